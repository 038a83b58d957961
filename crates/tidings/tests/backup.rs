//! `tidings backup` while the site writes, `tidings restore` into an empty folder, and the restored
//! site checked and served; a tampered backup is refused and writes nothing.

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use tidings_store::{ImportedSubscriber, NewArticle, Store, SubscriberStatus};

mod process;
use process::{free_port, text, tidings, wait_ready, Running};

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    tidings(dir)
        .args(args)
        .env("TIDINGS_NEWSLETTER__DIGEST_TIME", "off")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The writer's numbered stories and subscribers found in a site, in order.
async fn written(store: &Store) -> (Vec<usize>, Vec<usize>) {
    let mut stories: Vec<usize> = store
        .latest(100_000, 0)
        .await
        .unwrap()
        .items
        .iter()
        .filter_map(|a| a.title.strip_prefix("Loop story ")?.parse().ok())
        .collect();
    stories.sort();
    let mut readers: Vec<usize> = store
        .all_subscribers()
        .await
        .unwrap()
        .iter()
        .filter_map(|s| {
            s.email
                .strip_prefix("loop")?
                .strip_suffix("@example.org")?
                .parse()
                .ok()
        })
        .collect();
    readers.sort();
    (stories, readers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_the_site_writes_restores_to_a_working_site() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let site = root.join("site");
    let url = format!("sqlite://{}?mode=rwc", site.join("tidings.db").display());
    let store = Store::open(&url, 4).await.unwrap();
    tidings_demo::fill(&store, &site.join("media"))
        .await
        .unwrap();

    // The site goes on writing: a story, then a subscriber, numbered, one after the other.
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (store, stop, done) = (store.clone(), stop.clone(), done.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                store
                    .create_article(&NewArticle::published(&format!("Loop story {i}"), "Text."))
                    .await
                    .unwrap();
                let reader = ImportedSubscriber {
                    email: format!("loop{i}@example.org"),
                    name: String::new(),
                    status: SubscriberStatus::Confirmed,
                    consent_at: None,
                    consent_ip: String::new(),
                    source: "test".into(),
                };
                store.import_subscribers(&[reader]).await.unwrap();
                i += 1;
                done.store(i, Ordering::SeqCst);
            }
        })
    };
    while done.load(Ordering::SeqCst) < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before = done.load(Ordering::SeqCst);
    let backup = {
        let root = root.clone();
        tokio::task::spawn_blocking(move || run(&root, &["backup", "bk", "--data-dir", "site"]))
            .await
            .unwrap()
    };
    assert!(backup.status.success(), "{}", text(&backup));
    assert!(
        text(&backup).contains("tidings restore bk"),
        "{}",
        text(&backup)
    );
    // Still writing afterwards.
    let after = done.load(Ordering::SeqCst);
    while done.load(Ordering::SeqCst) < after + 5 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();

    // Restored into an empty folder: the site as of one moment, with no half-written pair.
    let restore = run(&root, &["restore", "bk", "--data-dir", "restored"]);
    assert!(restore.status.success(), "{}", text(&restore));
    let copy = Store::open(
        &format!("sqlite://{}", root.join("restored/tidings.db").display()),
        2,
    )
    .await
    .unwrap();
    let (stories, readers) = written(&copy).await;
    let n = stories.len();
    assert!(
        n >= before,
        "the backup lost writes made before it: {n} < {before}"
    );
    assert!(
        n < done.load(Ordering::SeqCst),
        "the backup holds writes made after it"
    );
    assert_eq!(stories, (0..n).collect::<Vec<_>>(), "stories with gaps");
    // The subscriber of the last story may or may not have been written at that moment.
    assert!(
        readers == (0..n).collect::<Vec<_>>() || readers == (0..n - 1).collect::<Vec<_>>(),
        "{n} stories but subscribers {readers:?}"
    );
    let media = std::fs::read_dir(root.join("restored/media/demo"))
        .unwrap()
        .count();
    assert!(media > 0, "media came back");
    copy.close().await;

    let check = run(&root, &["check", "--data-dir", "restored"]);
    assert!(check.status.success(), "{}", text(&check));
    assert!(
        text(&check).contains("ok   backup: the last one finished"),
        "{}",
        text(&check)
    );

    // Served, the restored site's sitemap lists exactly the stories it holds.
    let port = free_port();
    let mut serve = tidings(&root);
    serve
        .args([
            "serve",
            "--data-dir",
            "restored",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("TIDINGS_NEWSLETTER__DIGEST_TIME", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _serve = Running(serve.spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;
    let sitemap = reqwest::get(format!("{base}/sitemap.xml"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for i in 0..n {
        assert!(
            sitemap.contains(&format!("/loop-story-{i}/</loc>")),
            "story {i} missing"
        );
    }
    assert!(!sitemap.contains(&format!("/loop-story-{n}/</loc>")));
    assert!(sitemap.contains("/harbour-sea-wall-must-rise-by-60-centimetres-engineers-warn/"));
    // Its search index came with it, and finds what the site holds.
    let found = reqwest::get(format!("{base}/search/?q=%22loop%20story%20{}%22", n - 1))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        found.contains(&format!("href=\"/loop-story-{}/\"", n - 1)),
        "{found}"
    );

    // Into a folder that is not empty: refused.
    let again = run(&root, &["restore", "bk", "--data-dir", "restored"]);
    assert!(!again.status.success());
    assert!(
        text(&again).contains("a restore goes into an empty data folder"),
        "{}",
        text(&again)
    );

    // One changed byte in one image: refused before anything is written.
    let image = std::fs::read_dir(root.join("bk/media/demo"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&image).unwrap();
    bytes[10] ^= 0xff;
    std::fs::write(&image, bytes).unwrap();
    let tampered = run(&root, &["restore", "bk", "--data-dir", "third"]);
    assert!(!tampered.status.success());
    assert!(
        text(&tampered).contains("checksum does not match the manifest"),
        "{}",
        text(&tampered)
    );
    assert!(
        !root.join("third/tidings.db").exists(),
        "a refused restore wrote"
    );

    // A backup into a folder that already holds one is refused.
    let twice = run(&root, &["backup", "bk", "--data-dir", "site"]);
    assert!(!twice.status.success());
    assert!(text(&twice).contains("not empty"), "{}", text(&twice));
}

#[test]
fn check_warns_when_no_backup_was_taken_and_still_passes() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["migrate", "--data-dir", "site"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(dir.path(), &["check", "--data-dir", "site"]);
    assert!(
        out.status.success(),
        "a warning failed the check: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("warn backup: none has been taken"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("warn organisation: no postal address"),
        "{}",
        text(&out)
    );
}

#[test]
fn an_export_goes_into_a_new_site_and_comes_out_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| run(dir.path(), args);
    let out = run(&["import", "tidings", "missing.json", "--data-dir", "b"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("no such file"), "{}", text(&out));
    // An empty site exports a document that imports into another.
    assert!(run(&["migrate", "--data-dir", "a"]).status.success());
    let out = run(&["export", "a.json", "--data-dir", "a", "--media", "a-media"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Exported"), "{}", text(&out));
    let out = run(&["import", "tidings", "a.json", "--data-dir", "b"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&["export", "b.json", "--data-dir", "b"]);
    assert!(out.status.success(), "{}", text(&out));
    let strip = |name: &str| {
        std::fs::read_to_string(dir.path().join(name))
            .unwrap()
            .lines()
            .map(|l| match l.find("\"exported_at\"") {
                Some(at) => l[..at].to_string(),
                None => l.to_string(),
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip("a.json"), strip("b.json"));
}
