//! A receipt survives a crash: the server is killed with SIGKILL after a gift is recorded as paid
//! and before the mail server has accepted its receipt; started again, it sends the receipt
//! exactly once, under the gift's own Message-ID.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tidings_mail::testing::SmtpCatcher;
use tidings_store::{DonationStatus, JobState, Store};

mod process;
use process::{free_port, wait_ready, Running};

fn serve(dir: &Path, smtp: &str, port: u16) -> Running {
    let mut cmd = process::tidings(dir);
    cmd.arg("serve")
        .env("RUST_LOG", "error")
        .env("TIDINGS_SERVER__DATA_DIR", dir.join("site"))
        .env("TIDINGS_SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("TIDINGS_SITE__URL", format!("http://127.0.0.1:{port}"))
        .env("TIDINGS_MAIL__URL", smtp)
        .env("TIDINGS_MAIL__FROM", "The Ledger <news@news.example>")
        .env("TIDINGS_NEWSLETTER__DIGEST_TIME", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    Running(cmd.spawn().expect("start tidings serve"))
}

fn attr(html: &str, tag_start: &str, attr: &str) -> String {
    let at = html.find(tag_start).expect("tag");
    let tag = &html[at..at + html[at..].find('>').expect("tag end")];
    let key = format!("{attr}=\"");
    let start = tag.find(&key).expect("attribute") + key.len();
    tag[start..start + tag[start..].find('"').expect("quote")].to_string()
}

/// Gives through the test gateway and returns the test-checkout path.
async fn give(client: &reqwest::Client, base: &str) -> String {
    let page = client
        .get(format!("{base}/donate/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let key = attr(&page, "<input type=\"hidden\" name=\"key\"", "value");
    let challenge = attr(&page, "<form method=\"post\"", "data-challenge");
    let difficulty: u32 = attr(&page, "<form method=\"post\"", "data-difficulty")
        .parse()
        .unwrap();
    let solution = tidings_newsletter::solve(&challenge, difficulty).to_string();
    let fields = [
        ("amount", "2500"),
        ("frequency", "once"),
        ("currency", "USD"),
        ("first_name", "Ana"),
        ("last_name", "Reader"),
        ("email", "ana@example.org"),
        ("website", ""),
        ("key", key.as_str()),
        ("challenge", challenge.as_str()),
        ("solution", solution.as_str()),
    ];
    let res = client
        .post(format!("{base}/donate/"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    location.trim_start_matches(base).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_survives_a_kill_between_the_payment_and_the_mail() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    let smtp = SmtpCatcher::start().await;
    // A mail server that takes a minute to accept anything: the receipt is in flight at the kill.
    smtp.delay_each(Duration::from_secs(60));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let server = serve(dir.path(), &smtp.url(), port);
    wait_ready(&base).await;
    let checkout = give(&client, &base).await;
    let done = client
        .post(format!("{base}{checkout}"))
        .form(&[("outcome", "complete")])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303, "the gift is paid");

    // The receipt's job is claimed and its message is with the (slow) mail server: kill now.
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("site/tidings.db").display()
    );
    let store = Store::open(&url, 2).await.unwrap();
    let started = Instant::now();
    while store
        .jobs_in(JobState::Running, 10)
        .await
        .unwrap()
        .is_empty()
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "receipt never claimed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(server);
    let session = checkout.rsplit('/').next().unwrap();
    let gift = store.donation_by_session(session).await.unwrap().unwrap();
    assert_eq!(gift.status, DonationStatus::Succeeded);
    assert_eq!(smtp.count(), 0, "nothing was accepted before the kill");

    // Started again, with a mail server that answers at once: the receipt goes out, once.
    smtp.delay_each(Duration::ZERO);
    let _again = serve(dir.path(), &smtp.url(), port);
    wait_ready(&base).await;
    let got = smtp
        .wait_for_within("ana@example.org", 1, Duration::from_secs(30))
        .await;
    let id = got[0].header("Message-ID").unwrap_or_default();
    assert_eq!(id, format!("<receipt.{}@news.example>", gift.id));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        smtp.messages_to("ana@example.org").len(),
        1,
        "sent exactly once"
    );
    store.close().await;
}
