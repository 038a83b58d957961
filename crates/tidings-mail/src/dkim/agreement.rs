//! The signer agrees with lettre's DKIM signer, an independent implementation of the same
//! RFCs: RSA PKCS#1 v1.5 and Ed25519 signatures are deterministic, so for the same key, message
//! and time both must produce the very same field, signature included.

use lettre::message::dkim::{
    dkim_sign, DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};

use super::*;
use crate::Email;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// A digest as it goes out: both parts, unsubscribe headers, folded long lines, trailing spaces.
fn message() -> lettre::Message {
    let email = Email {
        to: "Reader  Name <reader@example.net>".into(),
        subject: "The day's stories: a council budget, \ta night of testimony and a very long subject line that folds".into(),
        text: "Stories.  \r\nWith  double spaces\t and tabs \r\n\r\n\r\n".into(),
        html: Some("<p>Stories.</p>\r\n\r\n".into()),
        headers: vec![
            ("List-Unsubscribe".into(), "<https://example.org/u/1?t=abc>".into()),
            ("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into()),
        ],
        message_id: Some("tidings.0011223344556677@example.org".into()),
        ..Email::default()
    };
    email
        .to_message(&"Ledger <news@example.org>".parse().unwrap())
        .unwrap()
}

/// The DKIM-Signature field's value, unfolded, with runs of white space as one space.
fn field(formatted: &[u8]) -> String {
    let text = String::from_utf8_lossy(formatted);
    let start = text.find("DKIM-Signature:").expect("signed") + "DKIM-Signature:".len();
    let mut value = String::new();
    for line in text[start..].split("\r\n") {
        if !value.is_empty() && !line.starts_with([' ', '\t']) {
            break;
        }
        value.push_str(line);
    }
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn timestamp(value: &str) -> u64 {
    value
        .split(';')
        .find_map(|t| t.trim().strip_prefix("t="))
        .unwrap()
        .parse()
        .unwrap()
}

fn agree(pem: &str, key: DkimSigningKey) {
    let ours = DkimSigner::from_pem(pem, "news2026", "example.org").unwrap();
    let mut theirs = message();
    // The same message for both: its boundary and Date are made when it is built.
    let original = theirs.formatted();
    let config = DkimConfig::new(
        "news2026".into(),
        "example.org".into(),
        key,
        SIGNED_HEADERS
            .iter()
            .map(|h| HeaderName::new_from_ascii_str(h))
            .collect(),
        DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        },
    );
    dkim_sign(&mut theirs, &config);
    let expected = field(&theirs.formatted());
    let signed = ours.sign_at(&original, timestamp(&expected));
    assert_eq!(field(&signed), expected);
    // The field goes in front of the message, which is otherwise unchanged.
    assert!(signed.ends_with(&original));
}

#[test]
fn rsa_signatures_match_an_independent_signer() {
    let pem = fixture("dkim-rsa.pem");
    let pkcs1 = rsa::RsaPrivateKey::from_pkcs1_pem(&pem)
        .unwrap()
        .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap();
    agree(
        &pem,
        DkimSigningKey::new(&pkcs1, DkimSigningAlgorithm::Rsa).unwrap(),
    );
}

#[test]
fn ed25519_signatures_match_an_independent_signer() {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    let pem = fixture("dkim-ed25519.pem");
    let key = ed25519_dalek::SigningKey::from_pkcs8_pem(&pem).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    agree(
        &pem,
        DkimSigningKey::new(&b64.encode(key.to_bytes()), DkimSigningAlgorithm::Ed25519).unwrap(),
    );
}
