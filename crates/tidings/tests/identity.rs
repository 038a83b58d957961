//! One identity for every process on the same data: a site named in the admin (a setting in the
//! database) sends its digest under that name even from a command run without its configuration.

use std::process::Stdio;

use chrono::Utc;
use tidings_store::{ImportedSubscriber, NewArticle, Store};

mod process;
use process::{text, tidings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_sent_from_the_command_line_carries_the_name_set_in_the_admin() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("site/tidings.db").display()
    );
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    let store = Store::open(&url, 2).await.unwrap();
    store
        .set_settings(&[
            ("site_title", "The Harbour Ledger"),
            ("newsletter_name", "The Morning Ledger"),
            ("organisation_address", "14 Quay Street, Port Alder"),
        ])
        .await
        .unwrap();
    let mut story = NewArticle::published("Harbour Strike Ends", "The strike is over.");
    story.published_at = Some(Utc::now() - chrono::Duration::hours(1));
    store.create_article(&story).await.unwrap();
    let reader = ImportedSubscriber {
        email: "reader@example.org".into(),
        name: String::new(),
        status: tidings_store::SubscriberStatus::Confirmed,
        consent_at: None,
        consent_ip: String::new(),
        source: "test".into(),
    };
    store.import_subscribers(&[reader]).await.unwrap();
    store.close().await;

    // No configuration names the site: the command finds its name in the database.
    let out = tidings(dir.path())
        .args(["newsletter", "digest", "--send", "--data-dir", "site"])
        .env("TIDINGS_NEWSLETTER__DIGEST_TIME", "off")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let outbox = dir.path().join("site/outbox");
    let mail: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(mail.len(), 1);
    let from = mail[0]
        .lines()
        .find(|l| l.starts_with("From:"))
        .unwrap()
        .to_string();
    assert!(from.contains("The Harbour Ledger"), "{from}");
    assert!(!mail[0].contains("Tidings <"), "{}", mail[0]);
    assert!(mail[0].contains("The Morning Ledger"));
    assert!(mail[0].contains("14 Quay Street"));
}
