//! `tidings serve` processes as nodes of one site on PostgreSQL: a node answers health checks from
//! the start and says it is not ready while migrations are under way; sessions and publications
//! cross between nodes; a digest survives losing the node that was sending it. Run by their own CI
//! stage (they take about a minute).

use std::process::Stdio;
use std::time::{Duration, Instant};

use tidings_store::testing::{hold, TestDb};

mod process;
use process::{free_port, tidings, wait_ready, Running};

async fn status(url: &str) -> Option<reqwest::Response> {
    reqwest::get(url).await.ok()
}

/// Another process holds the migrations table (as a node applying migrations does): the new node
/// is alive but not ready, its pages say to come back, and it becomes ready once the lock goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL nodes: run by the nodes stage of .ci/run (TIDINGS_TEST_DATABASE_URL, --ignored nodes_)"]
async fn nodes_not_ready_while_migrations_wait() {
    let db = TestDb::require_postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let lock = hold(
        &db.store,
        "LOCK TABLE _sqlx_migrations IN ACCESS EXCLUSIVE MODE",
    )
    .await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _node = Running(
        tidings(dir.path())
            .env("TIDINGS_DATABASE__URL", &db.url)
            .env("TIDINGS_SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env("TIDINGS_SERVER__DATA_DIR", dir.path().join("site"))
            .env("TIDINGS_NEWSLETTER__DIGEST_TIME", "off")
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    loop {
        if let Some(res) = status(&format!("{base}/healthz")).await {
            assert_eq!(res.status(), 200);
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "never alive");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ready = status(&format!("{base}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503, "not ready while migrations wait");
    let page = status(&format!("{base}/")).await.unwrap();
    assert_eq!(page.status(), 503);
    assert!(page.headers().contains_key("retry-after"));

    lock.release().await;
    wait_ready(&base).await;
    let page = status(&format!("{base}/")).await.unwrap();
    assert_eq!(page.status(), 200);
}

const SUBSCRIBERS: usize = 20_000;
const CONNECTIONS: usize = 4;

fn node(dir: &std::path::Path, db: &str, smtp: &str, digest_time: &str) -> (Running, String) {
    let port = free_port();
    let child = tidings(dir)
        .env("RUST_LOG", "error")
        .env("TIDINGS_DATABASE__URL", db)
        .env("TIDINGS_SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("TIDINGS_SERVER__DATA_DIR", dir.join(format!("node-{port}")))
        .env("TIDINGS_SITE__URL", "https://news.example")
        .env("TIDINGS_SITE__TIMEZONE", "UTC")
        .env("TIDINGS_MAIL__URL", smtp)
        .env("TIDINGS_MAIL__FROM", "The Ledger <news@news.example>")
        .env("TIDINGS_MAIL__CONNECTIONS", CONNECTIONS.to_string())
        .env("TIDINGS_NEWSLETTER__DIGEST_TIME", digest_time)
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (Running(child), format!("http://127.0.0.1:{port}"))
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

/// Two nodes run the same schedule over one database: the digest is queued once, both send it,
/// one is killed (SIGKILL) mid-send, and the other finishes its share: nobody is missed, and the
/// only repeats are messages the dead node had in flight, each with its first Message-ID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL nodes: run by the nodes stage of .ci/run (TIDINGS_TEST_DATABASE_URL, --ignored nodes_)"]
async fn nodes_digest_survives_losing_a_node() {
    use std::collections::HashMap;
    use tidings_mail::testing::SmtpCatcher;
    use tidings_store::{Audience, ImportedSubscriber, NewArticle, NewsletterState};

    let db = TestDb::require_postgres().await;
    let store = &db.store;
    let mut story = NewArticle::published("Harbour Strike Ends", "The strike is over.");
    story.published_at = Some(chrono::Utc::now() - chrono::Duration::hours(1));
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

    // The digest is due this very minute on both nodes.
    let due = chrono::Utc::now().format("%H:%M").to_string();
    let smtp = SmtpCatcher::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (a, a_url) = node(dir.path(), &db.url, &smtp.url(), &due);
    let (_b, b_url) = node(dir.path(), &db.url, &smtp.url(), &due);
    wait_ready(&a_url).await;
    wait_ready(&b_url).await;

    let started = wait_until(Duration::from_secs(90), || smtp.count() >= SUBSCRIBERS / 4).await;
    assert!(started, "the send never got going ({} sent)", smtp.count());
    drop(a); // SIGKILL, then reap.
    let at_kill = smtp.count();
    assert!(
        at_kill < SUBSCRIBERS,
        "the send finished before the kill; nothing was tested"
    );

    // Counting is cheap; copying every message received to find the distinct recipients is
    // not, so that is done only once there are enough messages for everyone to be covered.
    let finished = wait_until(Duration::from_secs(180), || {
        smtp.count() >= SUBSCRIBERS && {
            let seen: std::collections::HashSet<String> =
                smtp.messages().iter().map(|m| m.to[0].clone()).collect();
            seen.len() >= SUBSCRIBERS
        }
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
        "only {} of {SUBSCRIBERS} subscribers got the digest ({at_kill} at the kill)",
        by_recipient.len()
    );
    let repeats: usize = by_recipient.values().map(|ids| ids.len() - 1).sum();
    assert!(
        repeats <= CONNECTIONS,
        "{repeats} repeats; at most one per connection of the dead node ({CONNECTIONS})"
    );
    for (to, ids) in &by_recipient {
        assert!(
            ids.iter().all(|id| id == &ids[0]),
            "{to} got different Message-IDs: {ids:?}"
        );
    }

    // The schedule fired once: one digest, recorded as sent to everyone.
    let mut settled = None;
    for _ in 0..100 {
        let all = store.newsletters(10, 0).await.unwrap();
        let digests: Vec<_> = all
            .into_iter()
            .filter(|n| n.kind == Audience::Digest)
            .collect();
        assert_eq!(
            digests.len(),
            1,
            "the schedule fired once across both nodes"
        );
        if digests[0].status != NewsletterState::Sending {
            settled = digests.into_iter().next();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let n = settled.expect("the send was never marked finished");
    assert_eq!(n.status, NewsletterState::Sent);
    assert_eq!(n.counts.sent as usize, SUBSCRIBERS);
    println!(
        "{at_kill} delivered before the kill, {} in all, {repeats} repeated (same Message-ID)",
        got.len()
    );
}

/// The `Set-Cookie` pairs of a response, as a `Cookie` header value.
fn cookies(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Signs in on `base` through the login form and returns the session's `Cookie` header.
async fn sign_in(base: &str, email: &str, password: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client
        .get(format!("{base}/admin/login"))
        .send()
        .await
        .unwrap();
    let pre = cookies(&form);
    let html = form.text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    let csrf = &html[at..at + html[at..].find('"').unwrap()];
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("email", email),
            ("password", password),
            ("next", "/admin/"),
            ("csrf", csrf),
        ])
        .finish();
    let done = client
        .post(format!("{base}/admin/login"))
        .header("cookie", pre)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303, "signed in");
    let session = cookies(&done);
    assert!(session.contains("tidings_session="), "{session}");
    session
}

/// Two real nodes on one database: a session made on A works on B, and a story published on A is
/// served by B within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL nodes: run by the nodes stage of .ci/run (TIDINGS_TEST_DATABASE_URL, --ignored nodes_)"]
async fn nodes_share_sessions_and_publications() {
    use tidings_accounts::{PasswordCost, Passwords, Role};
    use tidings_store::{NewArticle, NewUser};

    let db = TestDb::require_postgres().await;
    let password = "correct horse battery staple";
    let hash = Passwords::new(PasswordCost::Test).hash(password).unwrap();
    db.store
        .create_user(&NewUser {
            email: "ed@example.org".into(),
            name: "Ed".into(),
            role: Role::Editor,
            password_hash: Some(hash),
        })
        .await
        .unwrap();
    let mut story = NewArticle::published("Harbour Strike Ends", "The strike is over.");
    story.published_at = Some(chrono::Utc::now() - chrono::Duration::hours(1));
    db.store.create_article(&story).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (_a, a) = node(dir.path(), &db.url, "outbox", "off");
    let (_b, b) = node(dir.path(), &db.url, "outbox", "off");
    wait_ready(&a).await;
    wait_ready(&b).await;

    let session = sign_in(&a, "ed@example.org", password).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let desk = client
        .get(format!("{b}/admin/"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(
        desk.status(),
        200,
        "the session made on A opens the admin on B"
    );

    // B has its home page cached; the editor publishes on A through the admin API.
    assert!(!client
        .get(format!("{b}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("Ferry Timetable Doubles"));
    let out = tidings(dir.path())
        .env("TIDINGS_DATABASE__URL", &db.url)
        .env("TIDINGS_SERVER__DATA_DIR", dir.path().join("cli"))
        .args([
            "user",
            "token",
            "--email",
            "ed@example.org",
            "--name",
            "desk",
        ])
        .args(["--scope", "content:write", "--scope", "content:publish"])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    let token = printed
        .split_whitespace()
        .find(|w| w.starts_with("tdg_"))
        .unwrap_or_else(|| panic!("no token in {printed}"))
        .to_string();
    let made = client
        .post(format!("{a}/api/v1/admin/articles"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(r#"{"title": "Ferry Timetable Doubles", "body_markdown": "More sailings.", "slug": "ferry"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let id = serde_json::from_str::<serde_json::Value>(&made.text().await.unwrap()).unwrap()["id"]
        .as_i64()
        .unwrap();
    let published = client
        .post(format!("{a}/api/v1/admin/articles/{id}/publish"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 200);
    let at = Instant::now();
    loop {
        let home = client.get(format!("{b}/")).send().await.unwrap();
        if home
            .text()
            .await
            .unwrap()
            .contains("Ferry Timetable Doubles")
        {
            break;
        }
        assert!(
            at.elapsed() < Duration::from_secs(1),
            "B still serves the old home page after a second"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
