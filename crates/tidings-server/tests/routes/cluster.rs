//! Two nodes over one database: what one node does, the other serves at once.

use std::time::{Duration, Instant};

use reqwest::Method;
use tidings_accounts::{PasswordCost, Role};
use tidings_config::Config;
use tidings_server::Server;
use tidings_store::Store;

use crate::routes::api_admin::{call, token};
use crate::server_test;
use crate::support::browser::Browser;
use crate::support::{demo, TestApp, SITE};

/// A second web node (no job runner, as `serve --no-jobs`) over `app`'s database.
async fn second_node(app: &TestApp, data: &std::path::Path) -> Server {
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.server.data_dir = data.to_path_buf();
    config.server.jobs = false;
    config.site.url = SITE.into();
    config.newsletter.digest_time = "off".into();
    let store = Store::connect(&app.db_url, 4).await.unwrap();
    Server::start_with(&config, store, PasswordCost::Test)
        .await
        .unwrap()
}

server_test!(
    a_session_and_a_publication_reach_the_other_node,
    demo(),
    |app| {
        let data = tempfile::tempdir().unwrap();
        let b = second_node(&app, data.path()).await;
        let node_b = format!("http://{}", b.addr);

        // Signed in on A, the same cookie works on B: sessions live in the database.
        let t = token(
            &app,
            "ed@example.org",
            Role::Editor,
            &["content:read", "content:write", "content:publish"],
        )
        .await;
        let mut on_a = Browser::new(&app.base);
        on_a.sign_in("ed@example.org", crate::support::browser::PASSWORD)
            .await;
        let mut on_b = on_a.at(&node_b);
        let desk = on_b.get("/admin/").await;
        assert_eq!(desk.status, 200, "signed in on B too: {:?}", desk.location);

        // B has the home page cached; A publishes; B serves the new story within a second.
        let home = reqwest::get(format!("{node_b}/")).await.unwrap();
        assert!(!home
            .text()
            .await
            .unwrap()
            .contains("Ferry timetable doubles"));
        let made = call(
        &app,
        Method::POST,
        "/api/v1/admin/articles",
        Some(&t),
        Some(r#"{"title": "Ferry timetable doubles", "body_markdown": "More sailings.", "slug": "ferry-timetable"}"#),
    )
    .await;
        assert_eq!(made.status, 201, "{}", made.body);
        let id = made.body["id"].as_i64().unwrap();
        let path = format!("/api/v1/admin/articles/{id}/publish");
        let published = call(&app, Method::POST, &path, Some(&t), None).await;
        assert_eq!(published.status, 200, "{}", published.body);
        let at = Instant::now();
        loop {
            let page = reqwest::get(format!("{node_b}/")).await.unwrap();
            if page
                .text()
                .await
                .unwrap()
                .contains("Ferry timetable doubles")
            {
                break;
            }
            assert!(
                at.elapsed() < Duration::from_secs(1),
                "B still serves the old home page after a second"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let story = reqwest::get(format!("{node_b}/ferry-timetable/"))
            .await
            .unwrap();
        assert_eq!(story.status(), 200);
        b.stop().await;
    }
);

/// Public reads go to `database.replica_url`; writes and the newsroom stay on the primary. The
/// "replica" here is a separate database holding other content, so each read shows where it went.
async fn replica_takes_public_reads(backend: tidings_store::Backend) {
    let replica = tidings_store::testing::TestDb::new(backend)
        .await
        .expect("a database for the replica");
    let mut only_there = tidings_store::NewArticle::published(
        "Seen only on the replica",
        "This story lives in the replica database.",
    );
    only_there.slug = "replica-only".into();
    replica.store.create_article(&only_there).await.unwrap();
    let url = replica.url.clone();
    let options = crate::support::Options {
        configure: Some(Box::new(move |c| c.database.replica_url = url.clone())),
        ..demo()
    };
    let app = TestApp::start(backend, options).await.unwrap();

    let home = app.text("/").await;
    assert!(
        home.contains("Seen only on the replica"),
        "the home page reads the replica"
    );
    assert!(!home.contains("leaner budget"), "not the primary");
    assert_eq!(app.get("/replica-only/").await.status(), 200);
    let api = app.text("/api/v1/articles").await;
    assert!(
        api.contains("replica-only"),
        "the content API reads the replica"
    );
    let rss = app.text("/rss/").await;
    assert!(rss.contains("Seen only on the replica"));

    // The newsroom reads and writes the primary: an editor sees what they wrote at once.
    crate::support::browser::account(&app.store, "ed@example.org", Role::Editor).await;
    let mut b = Browser::new(&app.base);
    b.sign_in("ed@example.org", crate::support::browser::PASSWORD)
        .await;
    let list = b.get("/admin/articles").await;
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains("leaner budget"),
        "the admin lists the primary's stories"
    );
    assert!(!list.body.contains("Seen only on the replica"));
    assert!(app
        .store
        .published_by_slug("replica-only")
        .await
        .unwrap()
        .is_none());
}

mod replica {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        replica_takes_public_reads(tidings_store::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "PostgreSQL: set TIDINGS_TEST_DATABASE_URL and run with --ignored"]
    async fn postgres() {
        replica_takes_public_reads(tidings_store::Backend::Postgres).await;
    }
}
