//! DKIM: messages carry a signature over the headers bulk-sender rules care about, and the DNS
//! record to publish is derived from the same key.

use std::path::Path;

use tidings_mail::testing::SmtpCatcher;
use tidings_mail::{DkimSigner, Email, MailOptions, Mailer};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn tag<'a>(sig: &'a str, name: &str) -> &'a str {
    sig.split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .unwrap_or_default()
}

#[tokio::test]
async fn messages_are_signed_with_the_configured_key() {
    // On a blocking thread (a server) and on the formatting thread (a process without pages).
    for (file, algorithm, inline) in [
        ("dkim-rsa.pem", "rsa-sha256", false),
        ("dkim-ed25519.pem", "ed25519-sha256", false),
        ("dkim-rsa.pem", "rsa-sha256", true),
    ] {
        let catcher = SmtpCatcher::start().await;
        let dir = tempfile::tempdir().unwrap();
        let signer = DkimSigner::load(&fixture(file), "news2026", "example.org").unwrap();
        let mailer = Mailer::with_options(
            &catcher.url(),
            "Newsroom <news@example.org>",
            dir.path(),
            MailOptions {
                connections: 2,
                dkim: Some(signer),
            },
        )
        .unwrap();
        let mailer = if inline {
            mailer.signing_inline()
        } else {
            mailer
        };
        mailer
            .send(&Email {
                from_name: None,
                from_address: None,
                to: "reader@example.net".into(),
                subject: "Today".into(),
                text: "Stories.".into(),
                html: Some("<p>Stories.</p>".into()),
                headers: vec![
                    (
                        "List-Unsubscribe".into(),
                        "<https://example.org/u/1>".into(),
                    ),
                    (
                        "List-Unsubscribe-Post".into(),
                        "List-Unsubscribe=One-Click".into(),
                    ),
                ],
                message_id: None,
            })
            .await
            .unwrap();
        let got = catcher.messages_to("reader@example.net");
        let sig = got[0].header("DKIM-Signature").expect("signed");
        let sig = sig.replace(['\r', '\n', '\t'], "");
        assert_eq!(tag(&sig, "a"), algorithm);
        assert_eq!(tag(&sig, "d"), "example.org");
        assert_eq!(tag(&sig, "s"), "news2026");
        let signed: Vec<&str> = tag(&sig, "h").split(':').collect();
        for h in [
            "from",
            "subject",
            "list-unsubscribe",
            "list-unsubscribe-post",
        ] {
            assert!(signed.contains(&h), "{h} not covered: {sig}");
        }
        assert!(tag(&sig, "b").len() > 40);
    }
}

#[test]
fn the_dns_record_carries_the_public_key() {
    let rsa = DkimSigner::load(&fixture("dkim-rsa.pem"), "news2026", "example.org").unwrap();
    assert_eq!(rsa.record_name(), "news2026._domainkey.example.org");
    assert!(
        rsa.record_value().starts_with("v=DKIM1; k=rsa; p=MII"),
        "{}",
        rsa.record_value()
    );
    let ed = DkimSigner::load(&fixture("dkim-ed25519.pem"), "s", "example.org").unwrap();
    assert!(ed.record_value().starts_with("v=DKIM1; k=ed25519; p="));
    let err = DkimSigner::from_pem("not a key", "s", "example.org").unwrap_err();
    assert!(err.to_string().contains("not an RSA"), "{err}");
}
