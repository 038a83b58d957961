//! A send survives a crash: kill the sending process with SIGKILL mid-send, start the server, and
//! count at a real SMTP server on loopback that everyone got the digest and that the only repeats
//! are messages that were in flight at the kill (at most one per SMTP connection), each with the
//! Message-ID of its first copy.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tidings_store::NewsletterState;

use chrono::Utc;
use tidings_mail::testing::SmtpCatcher;
use tidings_store::{ImportedSubscriber, NewArticle, Store};

mod process;
use process::{free_port, Running};

const SUBSCRIBERS: usize = 3_000;
const CONNECTIONS: usize = 4;

fn tidings(dir: &Path, smtp: &str, port: u16) -> Command {
    let mut cmd = process::tidings(dir);
    cmd.env("RUST_LOG", "error")
        .env("TIDINGS_SERVER__DATA_DIR", dir.join("site"))
        .env("TIDINGS_SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("TIDINGS_SITE__URL", "https://news.example")
        .env("TIDINGS_MAIL__URL", smtp)
        .env("TIDINGS_MAIL__FROM", "The Ledger <news@news.example>")
        .env("TIDINGS_MAIL__CONNECTIONS", CONNECTIONS.to_string())
        .env("TIDINGS_NEWSLETTER__DIGEST_TIME", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

async fn seed(dir: &Path) {
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.join("site/tidings.db").display()
    );
    let store = Store::open(&url, 2).await.unwrap();
    let mut story = NewArticle::published("Harbour Strike Ends", "The strike is over.");
    story.published_at = Some(Utc::now() - chrono::Duration::hours(1));
    store.create_article(&story).await.unwrap();
    let rows: Vec<ImportedSubscriber> = (0..SUBSCRIBERS)
        .map(|i| ImportedSubscriber {
            email: format!("reader{i:05}@example.org"),
            name: String::new(),
            status: tidings_store::SubscriberStatus::Confirmed,
            consent_at: None,
            consent_ip: String::new(),
            source: "test".into(),
        })
        .collect();
    store.import_subscribers(&rows).await.unwrap();
    store.close().await;
}

async fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_killed_mid_way_resumes_without_skipping_anyone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    seed(dir.path()).await;
    let smtp = SmtpCatcher::start().await;

    let sending = Running(
        tidings(dir.path(), &smtp.url(), free_port())
            .args(["newsletter", "digest", "--send"])
            .spawn()
            .unwrap(),
    );
    let started = wait_until(Duration::from_secs(60), || smtp.count() >= SUBSCRIBERS / 4).await;
    assert!(started, "the send never got going ({} sent)", smtp.count());
    drop(sending); // SIGKILL, then reap.
    let at_kill = smtp.count();
    assert!(
        at_kill < SUBSCRIBERS,
        "the send finished before the kill; nothing was tested"
    );

    // The server resumes the send once the dead process's claims lapse.
    let _server = Running(
        tidings(dir.path(), &smtp.url(), free_port())
            .arg("serve")
            .spawn()
            .unwrap(),
    );
    let finished = wait_until(Duration::from_secs(90), || {
        let got = smtp.messages();
        let mut seen = std::collections::HashSet::new();
        got.iter().for_each(|m| {
            seen.insert(m.to[0].clone());
        });
        seen.len() >= SUBSCRIBERS
    })
    .await;
    let got = smtp.messages();
    let mut by_recipient: HashMap<String, Vec<String>> = HashMap::new();
    for m in &got {
        by_recipient
            .entry(m.to[0].clone())
            .or_default()
            .push(m.header("Message-ID").unwrap());
    }
    assert!(
        finished,
        "only {} of {SUBSCRIBERS} subscribers got the digest ({} at the kill)",
        by_recipient.len(),
        at_kill
    );
    let repeats: usize = by_recipient.values().map(|ids| ids.len() - 1).sum();
    assert!(
        repeats <= CONNECTIONS,
        "{repeats} repeats; at most one per connection ({CONNECTIONS}) may be repeated"
    );
    for (to, ids) in &by_recipient {
        assert!(
            ids.iter().all(|id| id == &ids[0]),
            "{to} got different Message-IDs: {ids:?}"
        );
    }
    // And the send is recorded as complete, with every delivery accounted for.
    let url = format!("sqlite://{}", dir.path().join("site/tidings.db").display());
    let store = Store::open(&url, 1).await.unwrap();
    let mut settled = None;
    for _ in 0..100 {
        let n = store.newsletters(1, 0).await.unwrap().remove(0);
        if n.status != NewsletterState::Sending {
            settled = Some(n);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let n = settled.expect("the send was never marked finished");
    assert_eq!(n.status, NewsletterState::Sent);
    assert_eq!(n.counts.sent as usize, SUBSCRIBERS);
    println!(
        "{} delivered before the kill, {} in all, {repeats} repeated (same Message-ID)",
        at_kill,
        got.len()
    );
}
