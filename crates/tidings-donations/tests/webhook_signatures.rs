//! Signatures made by Stripe's official Node library (`fixtures/stripe/sign.cjs`, stripe 23.1.0)
//! verify here, and anything else does not.

use std::path::Path;

use tidings_donations::{sign_payload, verify_signature, SignatureError, TOLERANCE_SECS};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/stripe")
            .join(name),
    )
    .unwrap()
}

#[test]
fn official_signatures_verify_and_tampering_or_age_does_not() {
    let payload = fixture("checkout.session.completed.json");
    let sig: serde_json::Value =
        serde_json::from_str(&fixture("checkout.session.completed.signature.json")).unwrap();
    let (secret, t, header) = (
        sig["secret"].as_str().unwrap(),
        sig["timestamp"].as_i64().unwrap(),
        sig["header"].as_str().unwrap(),
    );
    assert_eq!(
        verify_signature(payload.as_bytes(), header, secret, t + 10, TOLERANCE_SECS),
        Ok(())
    );
    // Our own signer produces exactly what the official library does.
    assert_eq!(sign_payload(secret, t, payload.as_bytes()), header);

    let tampered = payload.replace("10000", "1");
    assert_eq!(
        verify_signature(tampered.as_bytes(), header, secret, t + 10, TOLERANCE_SECS),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(
            payload.as_bytes(),
            header,
            "whsec_other",
            t + 10,
            TOLERANCE_SECS
        ),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(payload.as_bytes(), header, secret, t + 301, TOLERANCE_SECS),
        Err(SignatureError::Stale)
    );
    assert_eq!(
        verify_signature(payload.as_bytes(), "v1=abc", secret, t, TOLERANCE_SECS),
        Err(SignatureError::Malformed)
    );
    // A rolled secret: several v1 entries, any one may match.
    let rolled = format!("{header},v1={}", "0".repeat(64));
    assert_eq!(
        verify_signature(payload.as_bytes(), &rolled, secret, t, TOLERANCE_SECS),
        Ok(())
    );
}
