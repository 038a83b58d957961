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
