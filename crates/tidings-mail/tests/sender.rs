//! A message may name its own sending address (a newsletter's), but only on the configured
//! sender's domain: SPF and DKIM vouch for that domain and no other.

use tidings_mail::testing::SmtpCatcher;
use tidings_mail::{Email, Mailer};

#[tokio::test]
async fn another_address_on_the_sending_domain_is_used_and_any_other_is_not() {
    let catcher = SmtpCatcher::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::new(&catcher.url(), "Newsroom <news@example.org>", dir.path()).unwrap();
    for (to, from_address) in [
        ("a@example.net", "tide@example.org"),
        ("b@example.net", "tide@elsewhere.example"),
    ] {
        mailer
            .send(&Email {
                to: to.into(),
                subject: "Today".into(),
                text: "Stories.".into(),
                from_address: Some(from_address.into()),
                ..Email::default()
            })
            .await
            .unwrap();
    }
    let own = &catcher.messages_to("a@example.net")[0];
    assert!(own.header("From").unwrap().ends_with("<tide@example.org>"));
    assert_eq!(own.from, "tide@example.org", "the envelope sender follows");
    let foreign = &catcher.messages_to("b@example.net")[0];
    assert!(
        foreign
            .header("From")
            .unwrap()
            .ends_with("<news@example.org>"),
        "{:?}",
        foreign.header("From")
    );
}
