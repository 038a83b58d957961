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
