//! The binary as an operator uses it: real processes, real files, real ports on loopback.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tidings_store::{NewArticle, Store};

mod process;
use process::{free_port, text, tidings, wait_ready, Running};

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("run tidings")
}

#[test]
fn unknown_config_keys_stop_start_up_with_their_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(tidings(dir.path())
        .arg("serve")
        .env("TIDINGS_SITE__TITEL", "x"));
    assert!(!out.status.success());
    let msg = text(&out);
    assert!(
        msg.contains("titel") && msg.contains("TIDINGS_SITE__TITEL"),
        "{msg}"
    );

    std::fs::write(
        dir.path().join("tidings.toml"),
        "[server]\nlisten = \"nowhere\"\n",
    )
    .unwrap();
    let out = run(tidings(dir.path()).arg("check"));
    assert!(!out.status.success());
    assert!(text(&out).contains("server.listen"), "{}", text(&out));

    std::fs::write(
        dir.path().join("other.toml"),
        "[site]\ntimezone = \"Atlantis/Capital\"\n",
    )
    .unwrap();
    let out = run(tidings(dir.path()).args(["migrate", "--config", "other.toml"]));
    assert!(!out.status.success());
    assert!(text(&out).contains("site.timezone"), "{}", text(&out));
}

#[test]
fn migrate_and_check_act_on_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(tidings(dir.path()).args(["migrate", "--data-dir", "site"]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("migration(s) applied"),
        "{}",
        text(&out)
    );
    assert!(dir.path().join("site/tidings.db").exists());
    let out = run(tidings(dir.path()).args(["migrate", "--data-dir", "site"]));
    assert!(text(&out).contains("up to date"), "{}", text(&out));
    let out = run(tidings(dir.path()).args(["check", "--data-dir", "site"]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("reachable and up to date"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("warn site.url is not set"),
        "the Host check is off without a site.url: {}",
        text(&out)
    );
    let out = run(tidings(dir.path())
        .args(["check", "--data-dir", "site"])
        .env("TIDINGS_SITE__URL", "https://news.example.org"));
    assert!(
        !text(&out).contains("site.url is not set"),
        "{}",
        text(&out)
    );
    let out = run(tidings(dir.path())
        .args(["check", "--data-dir", "site"])
        .env(
            "TIDINGS_DATABASE__URL",
            "postgres://nobody@127.0.0.1:1/none",
        ));
    assert!(!out.status.success());
    assert!(text(&out).contains("FAIL database"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_fills_an_empty_data_dir_and_serves_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("notes.txt"), "other files may be here").unwrap();
    let port = free_port();
    let child = tidings(dir.path())
        .args([
            "demo",
            "--data-dir",
            "data",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Running(child);
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&url).await;
    let home = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(home.contains("The Harbour Ledger"));
    assert!(home.contains("Council approves a leaner budget"));
    assert!(data.join("tidings.db").exists() && data.join("notes.txt").exists());

    // A command beside the live server writes to the same database; the site shows it within a second.
    let store = Store::connect(
        &format!("sqlite://{}", data.join("tidings.db").display()),
        1,
    )
    .await
    .unwrap();
    let mut news = NewArticle::published("Written beside the server", "From another process.");
    news.featured = true;
    store.create_article(&news).await.unwrap();
    let start = Instant::now();
    loop {
        let home = reqwest::get(&url).await.unwrap().text().await.unwrap();
        if home.contains("Written beside the server") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_millis(1500),
            "the live server noticed the write"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        store.site_url().await.unwrap(),
        url,
        "the database holds the public URL"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_refuses_a_data_dir_holding_a_real_site() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("tidings.db").display()
    );
    let store = Store::open(&url, 1).await.unwrap();
    store
        .create_article(&NewArticle::published("Real news", "Keep me."))
        .await
        .unwrap();
    store.close().await;
    let out = run(tidings(dir.path()).args(["demo", "--data-dir", ".", "--listen", "127.0.0.1:0"]));
    assert!(!out.status.success());
    assert!(text(&out).contains("not a demo"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_no_configuration_uses_loopback_8080_and_local_data() {
    if TcpListener::bind("127.0.0.1:8080").is_err() {
        eprintln!("skipped: port 8080 is taken on this machine");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let child = tidings(dir.path())
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Running(child);
    wait_ready("http://127.0.0.1:8080").await;
    assert!(dir.path().join("tidings-data/tidings.db").exists());
    let res = reqwest::get("http://127.0.0.1:8080/").await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_prints_a_one_time_sign_in_link() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(tidings(dir.path())
        .args([
            "user",
            "add",
            "--email",
            "Chief@Example.org",
            "--role",
            "owner",
            "--data-dir",
            "d",
        ])
        .env("TIDINGS_SITE__URL", "https://news.example.org"));
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    let link = printed
        .lines()
        .find(|l| l.starts_with("https://news.example.org/admin/signin/"))
        .unwrap_or_else(|| panic!("{printed}"));
    assert_eq!(
        link.len(),
        "https://news.example.org/admin/signin/".len() + 64
    );
    let again = run(tidings(dir.path()).args([
        "user",
        "add",
        "--email",
        "chief@example.org",
        "--role",
        "editor",
        "--data-dir",
        "d",
    ]));
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));
    let bad = run(tidings(dir.path()).args([
        "user",
        "add",
        "--email",
        "x@example.org",
        "--role",
        "boss",
        "--data-dir",
        "d",
    ]));
    assert!(!bad.status.success());
    assert!(text(&bad).contains("--role"), "{}", text(&bad));

    // The link signs in once, through the page's button.
    let port = free_port();
    let child = tidings(dir.path())
        .args([
            "serve",
            "--data-dir",
            "d",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("TIDINGS_SITE__URL", "https://news.example.org")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Running(child);
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&url).await;
    let path = link.trim_start_matches("https://news.example.org");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(format!("{url}{path}")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let body = page.text().await.unwrap();
    let at = body.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &body[at..at + 64];
    let signed = client
        .post(format!("{url}{path}"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    assert_eq!(signed.headers()["location"], "/admin/account");
    let reuse = client.get(format!("{url}{path}")).send().await.unwrap();
    assert_eq!(reuse.status(), 422, "single use");
}

#[test]
fn subscribers_import_and_export_round_trip_with_real_exports() {
    let dir = tempfile::tempdir().unwrap();
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/subscribers/"
    );
    let file = |name: &str| format!("{data}{name}");
    // A dry run reports and imports nothing.
    let out = run(tidings(dir.path()).args([
        "subscribers",
        "import",
        &file("mailchimp-subscribed.csv"),
        "--dry-run",
        "--data-dir",
        "d",
    ]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("5 row(s) read as Mailchimp: 5 confirmed"),
        "{}",
        text(&out)
    );
    let out = run(tidings(dir.path()).args(["subscribers", "export", "-", "--data-dir", "d"]));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        1,
        "only the header after a dry run"
    );

    for name in [
        "mailchimp-subscribed.csv",
        "mailchimp-unsubscribed.csv",
        "mailchimp-cleaned.csv",
        "substack-signup_emails.csv",
    ] {
        let out = run(tidings(dir.path()).args([
            "subscribers",
            "import",
            &file(name),
            "--data-dir",
            "d",
        ]));
        assert!(out.status.success(), "{name}: {}", text(&out));
    }
    let again = run(tidings(dir.path()).args([
        "subscribers",
        "import",
        &file("mailchimp-subscribed.csv"),
        "--data-dir",
        "d",
    ]));
    assert!(
        text(&again).contains("Imported 0 subscriber(s); 5 were already on the list"),
        "{}",
        text(&again)
    );

    // A file with one bad line names it and imports nothing.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "email\nfine@example.org\nnot an address\n").unwrap();
    let out = run(tidings(dir.path()).args([
        "subscribers",
        "import",
        bad.to_str().unwrap(),
        "--data-dir",
        "d",
    ]));
    assert!(!out.status.success());
    assert!(text(&out).contains("bad.csv:3:"), "{}", text(&out));

    let evil = dir.path().join("evil.csv");
    std::fs::write(
        &evil,
        "email,name\nx@example.org,=HYPERLINK(\"http://evil.example\")\n",
    )
    .unwrap();
    assert!(run(tidings(dir.path()).args([
        "subscribers",
        "import",
        evil.to_str().unwrap(),
        "--data-dir",
        "d"
    ]))
    .status
    .success());

    let out = run(tidings(dir.path()).args(["subscribers", "export", "-", "--data-dir", "d"]));
    let csv = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        !csv.contains("fine@example.org"),
        "the failed import added nothing"
    );
    let status_of = |email: &str| {
        csv.lines()
            .find(|l| l.starts_with(email))
            .map(|l| l.split(',').nth(2).unwrap().to_string())
    };
    assert_eq!(status_of("s1@example.com").as_deref(), Some("confirmed"));
    assert_eq!(
        status_of("u1@example.com").as_deref(),
        Some("suppressed"),
        "unsubscribed elsewhere: never mailed"
    );
    assert_eq!(
        status_of("c1@example.com").as_deref(),
        Some("suppressed"),
        "cleaned: never mailed"
    );
    assert_eq!(
        status_of("x@example.org").as_deref(),
        Some("pending"),
        "no proof of opt-in: not mailed until they confirm"
    );
    assert!(
        csv.contains("'=HYPERLINK"),
        "formula cells are escaped: {csv}"
    );
    assert!(csv.contains("import: mailchimp (mailchimp-subscribed.csv)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_tests_smtp_and_prints_spf_dkim_and_dmarc_records() {
    let dir = tempfile::tempdir().unwrap();
    let key =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tidings-mail/tests/fixtures/dkim-rsa.pem");
    let smtp = tidings_mail::testing::SmtpCatcher::start().await;
    let out = run(tidings(dir.path())
        .args(["check", "--data-dir", "site"])
        .env("TIDINGS_MAIL__URL", smtp.url())
        .env("TIDINGS_MAIL__FROM", "The Ledger <news@ledger.example>")
        .env("TIDINGS_MAIL__DKIM_SELECTOR", "news2026")
        .env("TIDINGS_MAIL__DKIM_KEY_FILE", &key));
    let msg = text(&out);
    assert!(out.status.success(), "{msg}");
    assert!(
        msg.contains("ok   mail: SMTP server 127.0.0.1 answers"),
        "{msg}"
    );
    assert!(
        msg.contains("TXT ledger.example\n        \"v=spf1 ip4:127.0.0.1 ~all\""),
        "{msg}"
    );
    assert!(
        msg.contains("TXT news2026._domainkey.ledger.example\n        \"v=DKIM1; k=rsa; p=MII"),
        "{msg}"
    );
    assert!(
        msg.contains("TXT _dmarc.ledger.example\n        \"v=DMARC1; p=none"),
        "{msg}"
    );

    let out = run(tidings(dir.path())
        .args(["check", "--data-dir", "site"])
        .env(
            "TIDINGS_MAIL__URL",
            format!("smtp://127.0.0.1:{}", free_port()),
        ));
    assert!(!out.status.success());
    assert!(
        text(&out).contains("FAIL mail: SMTP server 127.0.0.1"),
        "{}",
        text(&out)
    );
}

/// The server's peak resident memory, from the kernel's accounting of the process.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_60_mb_upload_without_a_session_leaves_the_server_small() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = tidings(dir.path())
        .args([
            "serve",
            "--data-dir",
            "site",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let _server = Running(child);
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&url).await;
    let before = peak_rss_kib(pid);

    const SIZE: usize = 60 * 1024 * 1024;
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /admin/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: {SIZE}\r\n\r\n"
    );
    let upload = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await.unwrap();
        let chunk = vec![b'a'; 256 * 1024];
        let mut sent = 0;
        while sent < SIZE {
            match writer.write(&chunk).await {
                Ok(n) => sent += n,
                Err(_) => break,
            }
        }
    });
    let mut answer = vec![0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(3), reader.read(&mut answer))
        .await
        .expect("answered within 3 s")
        .unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 4"));
    drop(reader);
    let _ = tokio::time::timeout(Duration::from_secs(10), upload).await;
    let peak = peak_rss_kib(pid);
    assert!(
        peak < 150 * 1024,
        "peak RSS {peak} KiB (was {before} KiB before the upload)"
    );
    // Still serving.
    assert_eq!(
        reqwest::get(format!("{url}/healthz"))
            .await
            .unwrap()
            .status(),
        200
    );
}

#[test]
fn user_token_prints_a_token_within_the_accounts_role() {
    let dir = tempfile::tempdir().unwrap();
    let add = |email: &str, role: &str| {
        let out = run(tidings(dir.path()).args([
            "user",
            "add",
            "--email",
            email,
            "--role",
            role,
            "--data-dir",
            "d",
        ]));
        assert!(out.status.success(), "{}", text(&out));
    };
    add("ed@example.org", "editor");
    let token = |args: &[&str]| {
        let mut all = vec!["user", "token", "--data-dir", "d", "--name", "Print bridge"];
        all.extend_from_slice(args);
        run(tidings(dir.path()).args(all))
    };
    let ok = token(&["--email", "ed@example.org", "--scope", "content:read"]);
    assert!(ok.status.success(), "{}", text(&ok));
    let printed = String::from_utf8_lossy(&ok.stdout);
    let line = printed.trim();
    assert!(line.starts_with("tdg_") && line.len() == 68, "{line}");

    let beyond = token(&["--email", "ed@example.org", "--scope", "subscribers:read"]);
    assert!(!beyond.status.success());
    assert!(
        text(&beyond).contains("may not use it"),
        "{}",
        text(&beyond)
    );
    let unknown = token(&["--email", "ed@example.org", "--scope", "everything"]);
    assert!(
        text(&unknown).contains("must be one of"),
        "{}",
        text(&unknown)
    );
    let nobody = token(&["--email", "nobody@example.org", "--scope", "content:read"]);
    assert!(text(&nobody).contains("no account"), "{}", text(&nobody));
}
