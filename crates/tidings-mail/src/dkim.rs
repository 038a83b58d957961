//! DKIM signing of outgoing mail, and the DNS record that lets receivers check it.

use std::path::Path;

use base64::Engine;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};

use crate::transport::MailError;

#[cfg(test)]
mod agreement;
mod canonical;

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

/// The private half, ready to sign: RSA through `aws-lc-rs` (OpenSSL's speed, with its AVX-512
/// code where the processor has it; ADR 021), Ed25519 through `ed25519-dalek`.
enum Key {
    Rsa(aws_lc_rs::rsa::KeyPair),
    Ed25519(ed25519_dalek::SigningKey),
}

/// A loaded DKIM key with its selector and signing domain.
pub struct DkimSigner {
    key: Key,
    record: String,
    selector: String,
    domain: String,
}

impl std::fmt::Debug for DkimSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimSigner")
            .field("selector", &self.selector)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
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
            let der = rsa_key.to_pkcs1_der().map_err(|e| bad(e.to_string()))?;
            let public = rsa_key
                .to_public_key()
                .to_public_key_der()
                .map_err(|e| bad(e.to_string()))?;
            let pair = aws_lc_rs::rsa::KeyPair::from_der(der.as_bytes())
                .map_err(|e| bad(format!("RSA key refused: {e}")))?;
            (
                Key::Rsa(pair),
                format!("v=DKIM1; k=rsa; p={}", b64.encode(public.as_bytes())),
            )
        } else if let Ok(ed) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
            let record = format!(
                "v=DKIM1; k=ed25519; p={}",
                b64.encode(ed.verifying_key().to_bytes())
            );
            (Key::Ed25519(ed), record)
        } else {
            return Err(bad(
                "not an RSA (PKCS#1 or PKCS#8) or Ed25519 (PKCS#8) private key in PEM form".into(),
            ));
        };
        Ok(DkimSigner {
            key,
            record,
            selector: selector.to_string(),
            domain: domain.to_string(),
        })
    }

    /// `message` (formatted, CRLF line ends) with a `DKIM-Signature` field in front, signed now.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.sign_at(message, now)
    }

    /// Like [`DkimSigner::sign`], stamped with `timestamp` (seconds since 1970).
    pub fn sign_at(&self, message: &[u8], timestamp: u64) -> Vec<u8> {
        let tags = canonical::Tags {
            algorithm: match self.key {
                Key::Rsa(_) => "rsa",
                Key::Ed25519(_) => "ed25519",
            },
            domain: &self.domain,
            selector: &self.selector,
            timestamp,
            headers: &SIGNED_HEADERS,
        };
        canonical::signed(message, &tags, |data| match &self.key {
            Key::Rsa(pair) => {
                // RSASSA-PKCS1-v1_5 with SHA-256 of the signed data (RFC 6376 section 3.3.1).
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    data,
                    &mut signature,
                )
                .expect("an RSA signature of a valid key's size");
                signature
            }
            Key::Ed25519(key) => {
                // Ed25519 signs the SHA-256 of the data, not the data (RFC 8463 section 3).
                use ed25519_dalek::Signer;
                let hashed = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
                key.sign(hashed.as_ref()).to_bytes().to_vec()
            }
        })
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
