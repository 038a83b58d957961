//! Outbound webhooks through the admin and the job runner: an endpoint registered by an
//! administrator, a test event delivered to a receiver on loopback that checks its signature,
//! retried after a 500 and not after a 2xx, and the delivery log showing each answer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use tidings_accounts::{webhook_signature, Role};

use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};
use crate::support::{Options, TestApp};

/// What the receiver saw: (signature header, event id, body) per request.
type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

/// A receiver on loopback answering each request with the next status of `answers` (the last
/// one thereafter).
async fn receiver(answers: Vec<u16>) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let answers = Arc::new(answers);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (log, answers) = (log.clone(), answers.clone());
            async move {
                let get = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                let mut log = log.lock().unwrap();
                log.push((get("tidings-signature"), get("tidings-event-id"), body));
                let n = answers[(log.len() - 1).min(answers.len() - 1)];
                StatusCode::from_u16(n).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://127.0.0.1:{}/hook", addr.port()), seen)
}

async fn wait_for(seen: &Seen, n: usize) {
    for _ in 0..100 {
        if seen.lock().unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the receiver saw {} requests, not {n}",
        seen.lock().unwrap().len()
    );
}

async fn admin(app: &TestApp) -> Browser {
    account(&app.store, "admin@example.org", Role::Administrator).await;
    let mut b = Browser::new(&app.base);
    b.sign_in("admin@example.org", PASSWORD).await;
    b.get("/admin/webhooks").await;
    b
}

server_test!(
    a_test_event_is_signed_retried_after_a_500_and_logged,
    Options::default(),
    |app| {
        let (url, seen) = receiver(vec![500, 200]).await;
        let mut b = admin(&app).await;
        let bad = b
            .post(
                "/admin/webhooks",
                &[
                    ("url", "ftp://example.org/x"),
                    ("event", "article.published"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422);
        let none = b.post("/admin/webhooks", &[("url", &url)]).await;
        assert_eq!(none.status, 422, "an endpoint needs events");
        let made = b
            .post(
                "/admin/webhooks",
                &[
                    ("url", &url),
                    ("description", "CRM"),
                    ("event", "article.published"),
                ],
            )
            .await;
        assert_eq!(made.status, 303, "{}", made.body);
        let endpoint = app.store.webhooks().await.unwrap().remove(0);
        assert!(endpoint.secret.starts_with("whsec_"));

        let sent = b
            .post(&format!("/admin/webhooks/{}/test", endpoint.id), &[])
            .await;
        assert_eq!(sent.status, 303);
        wait_for(&seen, 1).await;
        // The receiver answers before the worker logs the answer and requeues the job: wait
        // for both, or the page and the UPDATE below race the worker.
        let mut requeued = 0;
        for _ in 0..100 {
            requeued = tidings_store::testing::number(
                &app.store,
                "SELECT COUNT(*) FROM jobs WHERE kind = 'webhook.deliver' \
                 AND status = 'queued' AND attempts >= 1",
            )
            .await;
            if requeued == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(requeued, 1, "the failed delivery was not requeued");
        // The first answer was a 500: the delivery waits for its retry, logged with the answer.
        let page = b.get("/admin/webhooks").await;
        assert!(page.body.contains("pending"), "{}", page.body);
        assert!(page.body.contains("answered 500"), "{}", page.body);

        // Bring the retry forward rather than wait its minute.
        tidings_store::testing::execute(
            &app.store,
            "UPDATE jobs SET run_at = 0 WHERE kind = 'webhook.deliver' AND status = 'queued'",
        )
        .await
        .unwrap();
        wait_for(&seen, 2).await;
        let deliveries = {
            let mut d = Vec::new();
            for _ in 0..50 {
                d = app.store.webhook_deliveries(endpoint.id, 10).await.unwrap();
                if d[0].status == "succeeded" {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            d
        };
        assert_eq!(deliveries.len(), 1);
        assert_eq!(deliveries[0].status, "succeeded");
        assert_eq!(deliveries[0].attempts, 2);
        assert_eq!(deliveries[0].last_status, Some(200));

        // Both attempts carried the same event id and a signature over their time and body.
        let requests = seen.lock().unwrap().clone();
        assert_eq!(requests[0].1, requests[1].1);
        for (signature, _, body) in &requests {
            let t: i64 = signature
                .strip_prefix("t=")
                .and_then(|s| s.split(',').next())
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(
                signature,
                &webhook_signature(&endpoint.secret, t, body.as_bytes())
            );
            let event: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(event["type"], "ping");
        }
        // After the 2xx, nothing more is sent.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(seen.lock().unwrap().len(), 2);
        let page = b.get("/admin/webhooks").await;
        assert!(page.body.contains("succeeded"));

        // Removed: no more tests to it, its page is gone from the list.
        let removed = b
            .post(&format!("/admin/webhooks/{}/delete", endpoint.id), &[])
            .await;
        assert_eq!(removed.status, 303);
        assert!(app.store.webhooks().await.unwrap().is_empty());
        let audit = app.store.audit_log(10).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "webhook.test"));
    }
);

server_test!(
    only_administrators_manage_webhooks,
    Options::default(),
    |app| {
        account(&app.store, "ed@example.org", Role::Editor).await;
        let mut b = Browser::new(&app.base);
        b.sign_in("ed@example.org", PASSWORD).await;
        assert_eq!(b.get("/admin/webhooks").await.status, 403);
    }
);

server_test!(
    publishing_and_unpublishing_are_announced,
    Options::default(),
    |app| {
        let (url, seen) = receiver(vec![200]).await;
        let mut b = admin(&app).await;
        let made = b
            .post(
                "/admin/webhooks",
                &[
                    ("url", &url),
                    ("event", "article.published"),
                    ("event", "article.unpublished"),
                ],
            )
            .await;
        assert_eq!(made.status, 303);
        let mut draft = tidings_store::NewArticle::published("Ferry fares rise", "By ten percent.");
        draft.status = tidings_content::Status::Draft;
        let article = app.store.create_article(&draft).await.unwrap();
        let mut live = draft.clone();
        live.status = tidings_content::Status::Published;
        live.published_at = Some(chrono::Utc::now());
        let article = app
            .store
            .update_article(article.id, &live, Some(article.version))
            .await
            .unwrap();
        wait_for(&seen, 1).await;
        let first: serde_json::Value = serde_json::from_str(&seen.lock().unwrap()[0].2).unwrap();
        assert_eq!(first["type"], "article.published");
        assert_eq!(first["data"]["slug"], "ferry-fares-rise");
        assert_eq!(first["data"]["url"], "http://news.test/ferry-fares-rise/");
        // An edit of a live story is `article.updated`, which this endpoint did not ask for.
        let article = app
            .store
            .update_article(article.id, &live, Some(article.version))
            .await
            .unwrap();
        app.store
            .update_article(article.id, &draft, Some(article.version))
            .await
            .unwrap();
        wait_for(&seen, 2).await;
        let second: serde_json::Value = serde_json::from_str(&seen.lock().unwrap()[1].2).unwrap();
        assert_eq!(second["type"], "article.unpublished");
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(seen.lock().unwrap().len(), 2);
    }
);

server_test!(readers_and_gifts_are_announced, Options::default(), |app| {
    let (url, seen) = receiver(vec![200]).await;
    let mut b = admin(&app).await;
    let made = b
        .post(
            "/admin/webhooks",
            &[
                ("url", &url),
                ("event", "subscriber.confirmed"),
                ("event", "subscriber.unsubscribed"),
                ("event", "donation.succeeded"),
                ("event", "donation.refunded"),
            ],
        )
        .await;
    assert_eq!(made.status, 303);
    let events = || {
        seen.lock()
            .unwrap()
            .iter()
            .map(|(_, _, body)| serde_json::from_str::<serde_json::Value>(body).unwrap())
            .collect::<Vec<_>>()
    };

    // A reader confirms by the link, then leaves.
    let consent = tidings_store::Consent::default();
    let signup = app
        .store
        .sign_up("reader@example.org", "Ana", &consent)
        .await
        .unwrap();
    let tidings_store::Signup::New(reader) = signup else {
        panic!("a new address")
    };
    app.store
        .create_confirmation(reader.id, "hash-of-link", 3600, &[])
        .await
        .unwrap();
    app.store
        .confirm_subscriber("hash-of-link", &[])
        .await
        .unwrap();
    wait_for(&seen, 1).await;
    assert_eq!(events()[0]["type"], "subscriber.confirmed");
    assert_eq!(events()[0]["data"]["email"], "reader@example.org");
    app.store.unsubscribe(reader.id).await.unwrap();
    wait_for(&seen, 2).await;
    assert_eq!(events()[1]["type"], "subscriber.unsubscribed");

    // A gift through the test gateway, then refunded.
    let mut donor = Browser::new(&app.base);
    let sent = crate::routes::donate::donate(&mut donor, &[]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let path = sent
        .location
        .unwrap()
        .trim_start_matches("http://news.test")
        .to_string();
    let done = donor.post_raw(&path, &[("outcome", "complete")]).await;
    assert_eq!(done.status, 303);
    wait_for(&seen, 3).await;
    let gift = &events()[2];
    assert_eq!(gift["type"], "donation.succeeded");
    assert_eq!(gift["data"]["amount"], 10000);
    assert_eq!(gift["data"]["currency"], "USD");
    let id = gift["data"]["id"].as_i64().unwrap();
    let total = gift["data"]["total"].as_i64().unwrap();
    assert!(app.store.refund_donation(id, total).await.unwrap());
    wait_for(&seen, 4).await;
    assert_eq!(events()[3]["type"], "donation.refunded");
    assert_eq!(events()[3]["data"]["status"], "refunded");
});
