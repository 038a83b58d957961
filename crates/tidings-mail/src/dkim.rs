//! DKIM signing of outgoing mail, and the DNS record that lets receivers check it.

use std::path::Path;

use base64::Engine;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};

use crate::transport::MailError;

/// Headers every signature covers. Bulk-sender rules require From, and the one-click unsubscribe
/// headers must be signed for receivers to trust them (RFC 8058 section 4).
const SIGNED_HEADERS: [&str; 8] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

/// A loaded DKIM key with its selector and signing domain.
#[derive(Debug)]
pub struct DkimSigner {
    config: DkimConfig,
    record: String,
    selector: String,
    domain: String,
}

impl DkimSigner {
    /// Reads a PEM key: RSA (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`) or Ed25519 (PKCS#8).
    pub fn load(path: &Path, selector: &str, domain: &str) -> Result<DkimSigner, MailError> {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| MailError::Config(format!("dkim_key_file {}: {e}", path.display())))?;
        Self::from_pem(&pem, selector, domain)
    }

    /// Like [`DkimSigner::load`], from the PEM text.
    pub fn from_pem(pem: &str, selector: &str, domain: &str) -> Result<DkimSigner, MailError> {
        let bad = |e: String| MailError::Config(format!("DKIM key: {e}"));
        let b64 = base64::engine::general_purpose::STANDARD;
        let rsa_key = rsa::RsaPrivateKey::from_pkcs1_pem(pem)
            .ok()
            .or_else(|| rsa::RsaPrivateKey::from_pkcs8_pem(pem).ok());
        let (key, record) = if let Some(rsa_key) = rsa_key {
            let pkcs1 = rsa_key
                .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
                .map_err(|e| bad(e.to_string()))?;
            let public = rsa_key
                .to_public_key()
                .to_public_key_der()
                .map_err(|e| bad(e.to_string()))?;
            let key = DkimSigningKey::new(&pkcs1, DkimSigningAlgorithm::Rsa)
                .map_err(|e| bad(e.to_string()))?;
            (
                key,
                format!("v=DKIM1; k=rsa; p={}", b64.encode(public.as_bytes())),
            )
        } else if let Ok(ed) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
            let key =
                DkimSigningKey::new(&b64.encode(ed.to_bytes()), DkimSigningAlgorithm::Ed25519)
                    .map_err(|e| bad(e.to_string()))?;
            (
                key,
                format!(
                    "v=DKIM1; k=ed25519; p={}",
                    b64.encode(ed.verifying_key().to_bytes())
                ),
            )
        } else {
            return Err(bad(
                "not an RSA (PKCS#1 or PKCS#8) or Ed25519 (PKCS#8) private key in PEM form".into(),
            ));
        };
        let headers = SIGNED_HEADERS
            .iter()
            .map(|h| HeaderName::new_from_ascii_str(h))
            .collect();
        let config = DkimConfig::new(
            selector.to_string(),
            domain.to_string(),
            key,
            headers,
            DkimCanonicalization {
                header: DkimCanonicalizationType::Relaxed,
                body: DkimCanonicalizationType::Relaxed,
            },
        );
        Ok(DkimSigner {
            config,
            record,
            selector: selector.to_string(),
            domain: domain.to_string(),
        })
    }

    /// Signs a message in place (adds `DKIM-Signature`).
    pub(crate) fn sign(&self, message: &mut lettre::Message) {
        message.sign(&self.config);
    }

    /// The TXT record name to publish: `<selector>._domainkey.<domain>`.
    pub fn record_name(&self) -> String {
        format!("{}._domainkey.{}", self.selector, self.domain)
    }

    /// The TXT record value to publish.
    pub fn record_value(&self) -> &str {
        &self.record
    }
}

/// A DNS record the operator should publish for mail from the site to be trusted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DnsAdvice {
    /// What it is for: `SPF`, `DKIM` or `DMARC`.
    pub purpose: &'static str,
    /// The record's name.
    pub name: String,
    /// The TXT value.
    pub value: String,
    /// One line of explanation.
    pub note: String,
}

/// The SPF, DKIM and DMARC records that large mailbox providers expect of a bulk sender using
/// `domain` in From, sending through `smtp_host` (when known) and signing with `dkim` (when set).
pub fn dns_advice(
    domain: &str,
    smtp_host: Option<&str>,
    dkim: Option<&DkimSigner>,
) -> Vec<DnsAdvice> {
    let spf = match smtp_host {
        Some(host) if host != "localhost" && host.parse::<std::net::IpAddr>().is_err() => {
            format!("v=spf1 a:{host} ~all")
        }
        Some(ip) if ip.parse::<std::net::IpAddr>().is_ok() => {
            let mechanism = if ip.contains(':') { "ip6" } else { "ip4" };
            format!("v=spf1 {mechanism}:{ip} ~all")
        }
        _ => "v=spf1 a mx ~all".to_string(),
    };
    let mut out = vec![DnsAdvice {
        purpose: "SPF",
        name: domain.to_string(),
        value: spf,
        note: "authorises the sending server; if your provider gives an include: (e.g. include:amazonses.com), use that instead, in one SPF record".into(),
    }];
    out.push(match dkim {
        Some(d) => DnsAdvice {
            purpose: "DKIM",
            name: d.record_name(),
            value: d.record_value().to_string(),
            note: "the public half of mail.dkim_key_file; every message is signed with it".into(),
        },
        None => DnsAdvice {
            purpose: "DKIM",
            name: format!("<selector>._domainkey.{domain}"),
            value: "(no key configured)".into(),
            note: "set mail.dkim_key_file (`openssl genrsa -traditional -out dkim.pem 2048`) and run check again, or publish the record your provider gives you".into(),
        },
    });
    out.push(DnsAdvice {
        purpose: "DMARC",
        name: format!("_dmarc.{domain}"),
        value: format!("v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}; adkim=r; aspf=r"),
        note: "required of bulk senders by Gmail and Yahoo; move to p=quarantine once reports show your mail passing".into(),
    });
    out
}

/// The records for the configured sender: the From domain, the SMTP host (none for the outbox)
/// and the DKIM key when one is set.
pub fn configured_advice(config: &tidings_config::Config) -> Result<Vec<DnsAdvice>, MailError> {
    let domain = config.mail_domain();
    let dkim = match &config.mail.dkim_key_file {
        Some(path) => Some(DkimSigner::load(path, &config.mail.dkim_selector, &domain)?),
        None => None,
    };
    let host = url::Url::parse(&config.mail.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string));
    let smtp_host = host.as_deref().filter(|_| config.mail.url != "outbox");
    Ok(dns_advice(&domain, smtp_host, dkim.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_names_each_record_for_the_sender_domain() {
        let advice = dns_advice("news.example", Some("smtp.provider.example"), None);
        let names: Vec<&str> = advice.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "news.example",
                "<selector>._domainkey.news.example",
                "_dmarc.news.example"
            ]
        );
        assert_eq!(advice[0].value, "v=spf1 a:smtp.provider.example ~all");
        assert!(advice[2].value.starts_with("v=DMARC1; p=none"));
        assert_eq!(
            dns_advice("n.example", Some("192.0.2.7"), None)[0].value,
            "v=spf1 ip4:192.0.2.7 ~all"
        );
    }
}
