//! Splitting roles: `serve --no-jobs` answers requests and runs no jobs, `tidings worker` runs them
//! beside it on the same database, and both stop with exit code 0 on SIGTERM.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use tidings_store::{NewJob, Store};

mod process;
use process::{free_port, tidings, wait_ready, Running};

fn outbox_count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("site/outbox"))
        .map(|d| d.filter_map(Result::ok).count())
        .unwrap_or(0)
}

/// Sends SIGTERM and waits (up to 15 s) for the exit status.
fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_nodes_without_jobs_and_a_worker_share_the_work_and_stop_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let site = |cmd: &mut std::process::Command| {
        cmd.env("TIDINGS_SERVER__DATA_DIR", dir.path().join("site"))
            .env("TIDINGS_NEWSLETTER__DIGEST_TIME", "off")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    };
    let mut web = tidings(dir.path());
    web.args([
        "serve",
        "--no-jobs",
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]);
    site(&mut web);
    let mut web = Running(web.spawn().unwrap());
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&url).await;

    let db = format!("sqlite://{}", dir.path().join("site/tidings.db").display());
    let store = Store::connect(&db, 1).await.unwrap();
    let mail = serde_json::json!({
        "to": "reader@example.org", "subject": "Hello", "text": "Queued beside the web node.",
        "html": null, "headers": [], "message_id": "tidings.roles-test@localhost",
    });
    store
        .enqueue_job(&NewJob::new(
            "mail.send",
            mail.to_string(),
            chrono::Utc::now().timestamp(),
        ))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(outbox_count(dir.path()), 0, "the web node ran a job");

    let mut worker = tidings(dir.path());
    worker.arg("worker");
    site(&mut worker);
    let mut worker = Running(worker.spawn().unwrap());
    let started = Instant::now();
    while outbox_count(dir.path()) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the worker did not send"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(outbox_count(dir.path()), 1);

    assert_eq!(
        terminate(&mut worker.0).code(),
        Some(0),
        "worker exit status"
    );
    assert_eq!(terminate(&mut web.0).code(), Some(0), "serve exit status");
    store.close().await;
}

/// SIGTERM while a request is half sent: the node stops accepting at once, still answers the
/// request in flight when its body arrives, and then exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_request_in_flight_and_refuses_new_ones() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut web = tidings(dir.path());
    web.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("TIDINGS_SERVER__DATA_DIR", dir.path().join("site"))
        .env("TIDINGS_NEWSLETTER__DIGEST_TIME", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut web = Running(web.spawn().unwrap());
    wait_ready(&format!("http://127.0.0.1:{port}")).await;

    let body = "email=reader%40example.org";
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "POST /subscribe/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: \
         application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&body.as_bytes()[..5]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let pid = web.0.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = Instant::now();
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still accepting connections after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        web.0.try_wait().unwrap().is_none(),
        "gone before its request was answered"
    );

    socket.write_all(&body.as_bytes()[5..]).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer))
        .await
        .expect("an answer")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    assert!(!answer.starts_with("HTTP/1.1 5"), "{answer}");
    assert_eq!(terminate(&mut web.0).code(), Some(0));
}

/// `log.format = "json"`: every log line on standard error is a JSON object, and the lines a
/// request causes carry its id, as sent back in `X-Request-Id`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_name_each_request() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("log")).unwrap();
    let mut web = tidings(dir.path());
    web.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("TIDINGS_SERVER__DATA_DIR", dir.path().join("site"))
        .env("TIDINGS_NEWSLETTER__DIGEST_TIME", "off")
        .env("TIDINGS_LOG__FORMAT", "json")
        .env("RUST_LOG", "info,tidings_server::middleware=debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    let mut web = Running(web.spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;
    let res = reqwest::Client::new()
        .get(format!("{base}/"))
        .header("x-request-id", "edge-4711")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "edge-4711");
    assert_eq!(terminate(&mut web.0).code(), Some(0));

    let text = std::fs::read_to_string(dir.path().join("log")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.iter().any(|l| l["message"] == "Tidings is serving"));
    let answered = lines
        .iter()
        .find(|l| l["message"] == "answered" && l["span"]["id"] == "edge-4711")
        .unwrap_or_else(|| panic!("no line for the request in {text}"));
    assert_eq!(answered["span"]["route"], "/");
    assert_eq!(answered["status"], 200);
    assert_eq!(answered["level"], "DEBUG");
}
