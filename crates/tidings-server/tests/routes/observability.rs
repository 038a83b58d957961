//! Metrics, request ids and what readers get while the database is out of reach.

use std::collections::HashMap;

use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{MetricsExposition, PrometheusType, PrometheusValue};
use tidings_store::NewJob;

use crate::server_test;
use crate::support::{demo, Options};

const TOKEN: &str = "scrape-me-0123456789";

type Exposition = MetricsExposition<PrometheusType, PrometheusValue>;

fn metered() -> Options {
    Options {
        configure: Some(Box::new(|c| {
            c.metrics.token = TOKEN.into();
            c.metrics.listen = "127.0.0.1:0".into();
        })),
        ..demo()
    }
}

/// Every series of the metric `name`: its labels and value.
fn series(scrape: &Exposition, name: &str) -> Vec<(HashMap<String, String>, PrometheusValue)> {
    let Some(family) = scrape.families.get(name) else {
        return Vec::new();
    };
    let names = family.get_label_names().to_vec();
    family
        .iter_samples()
        .map(|sample| {
            let set = sample.get_labelset().unwrap();
            let labels = names
                .iter()
                .map(|n| (n.clone(), set.get_label_value(n).unwrap_or("").to_string()))
                .collect();
            (labels, sample.value.clone())
        })
        .collect()
}

/// The one value of the series of `name` whose `label` is `value`.
fn number(scrape: &Exposition, name: &str, label: &str, value: &str) -> Option<f64> {
    series(scrape, name)
        .into_iter()
        .find(|(labels, _)| labels.get(label).map(String::as_str) == Some(value))
        .map(|(_, v)| match v {
            PrometheusValue::Gauge(n) | PrometheusValue::Unknown(n) => n.as_f64(),
            PrometheusValue::Counter(c) => c.value.as_f64(),
            other => panic!("{name} is not a single value: {other:?}"),
        })
}

server_test!(
    metrics_need_the_token_on_the_main_listener,
    metered(),
    |app| {
        let res = app.get("/metrics").await;
        assert_eq!(res.status(), 401);
        assert!(res.headers().contains_key("www-authenticate"));
        let wrong = app
            .get_with(
                "/metrics",
                &[("authorization", "Bearer scrape-me-0123456788")],
            )
            .await;
        assert_eq!(wrong.status(), 401);
        let bearer = format!("Bearer {TOKEN}");
        let res = app
            .get_with("/metrics", &[("authorization", bearer.as_str())])
            .await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"));
        assert_eq!(res.headers()["cache-control"], "no-store");
    }
);

server_test!(metrics_are_not_public_by_default, demo(), |app| {
    assert_eq!(app.get("/metrics").await.status(), 404);
    let bearer = format!("Bearer {TOKEN}");
    let res = app
        .get_with("/metrics", &[("authorization", bearer.as_str())])
        .await;
    assert_eq!(res.status(), 404, "no token configured, nothing to open");
});

server_test!(metrics_name_routes_cache_pool_and_jobs, metered(), |app| {
    let first = "/council-approves-a-leaner-budget-after-a-night-of-testimony/".to_string();
    app.text("/").await;
    app.text(&first).await;
    for _ in 0..3 {
        app.get(&first).await;
    }
    let now = chrono::Utc::now().timestamp();
    app.store
        .enqueue_job(&NewJob::new("test.nobody-runs-this", "{}".into(), now - 30))
        .await
        .unwrap();

    // The separate listener needs no token: only the scraper can reach it.
    let addr = app.server.as_ref().unwrap().metrics_addr.expect("bound");
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let scrape = parse_prometheus(&text).expect("Prometheus text format");

    let latency = series(&scrape, "http_request_duration_seconds");
    let routes: Vec<&str> = latency
        .iter()
        .filter_map(|(labels, _)| labels.get("route").map(String::as_str))
        .collect();
    assert!(routes.contains(&"/{slug}/"), "route pattern: {routes:?}");
    assert!(routes.contains(&"/"), "{routes:?}");
    assert!(
        !routes.contains(&first.as_str()),
        "the raw path is never a label: {routes:?}"
    );
    let (_, article) = latency
        .iter()
        .find(|(labels, _)| labels.get("route").map(String::as_str) == Some("/{slug}/"))
        .unwrap();
    match article {
        PrometheusValue::Histogram(h) => {
            let total = h.buckets.last().unwrap().count.as_f64();
            assert!(total >= 4.0, "four article requests: {total}");
        }
        other => panic!("a histogram, not {other:?}"),
    }

    let hits = number(&scrape, "tidings_page_cache_total", "result", "hit").unwrap_or_default();
    assert!(hits >= 3.0, "repeated pages come from the cache: {hits}");

    let max = series(&scrape, "tidings_db_pool_max_connections");
    assert_eq!(max.len(), 1);
    assert_eq!(series(&scrape, "tidings_db_pool_connections").len(), 2);
    assert!(number(&scrape, "tidings_db_pool_connections", "state", "idle").is_some());

    let kind = "test.nobody-runs-this";
    assert_eq!(number(&scrape, "tidings_jobs_due", "kind", kind), Some(1.0));
    let oldest = number(&scrape, "tidings_jobs_oldest_due_seconds", "kind", kind).unwrap();
    assert!(oldest >= 30.0, "due 30 s ago: {oldest}");
});

server_test!(every_response_carries_a_request_id, demo(), |app| {
    let res = app.get("/").await;
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 16);
    let again = app.get("/").await;
    assert_ne!(
        again.headers()["x-request-id"],
        id.as_str(),
        "one per request"
    );
    // A proxy's id is kept, so its log and ours name the same request.
    let res = app.get_with("/", &[("x-request-id", "lb-7f3a-0042")]).await;
    assert_eq!(res.headers()["x-request-id"], "lb-7f3a-0042");
    let long = "x".repeat(200);
    let res = app.get_with("/", &[("x-request-id", long.as_str())]).await;
    assert_eq!(
        res.headers()["x-request-id"].len(),
        16,
        "too long: replaced"
    );
    assert!(app
        .get("/no-such-page/")
        .await
        .headers()
        .contains_key("x-request-id"));
});

const STORY: &str = "/council-approves-a-leaner-budget-after-a-night-of-testimony/";

/// Waits until the node has noticed the database is gone (it looks every few seconds, and gives
/// the database two seconds to answer).
async fn until_stale(app: &crate::support::TestApp, path: &str) -> reqwest::Response {
    for _ in 0..100 {
        let res = app.get(path).await;
        if res.headers().contains_key("tidings-stale") {
            return res;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{path} was never marked stale");
}

async fn post_signup(app: &crate::support::TestApp) -> reqwest::Response {
    app.client
        .post(format!("{}/subscribe/", app.base))
        .header("origin", &app.base)
        .form(&[("email", "reader@example.org")])
        .send()
        .await
        .unwrap()
}

server_test!(
    a_lost_database_leaves_cached_pages_up_and_writes_503,
    demo(),
    |app| {
        app.text("/").await;
        app.text(STORY).await;
        assert!(!app.get(STORY).await.headers().contains_key("tidings-stale"));
        app.store.close().await;

        let res = until_stale(&app, STORY).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["tidings-stale"], "database-unreachable");
        assert!(res.text().await.unwrap().contains("leaner budget"));
        let home = app.get("/").await;
        assert_eq!(home.status(), 200, "every cached page stays up");

        let res = post_signup(&app).await;
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()["retry-after"], "5");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let api = app
            .client
            .post(format!("{}/api/v1/admin/articles", app.base))
            .header("authorization", "Bearer tdg_whatever")
            .json(&serde_json::json!({"title": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 503);
        assert_eq!(api.headers()["retry-after"], "5");
        let problem: serde_json::Value = api.json().await.unwrap();
        assert_eq!(problem["type"], "/api/docs#problem-unavailable");
        assert_eq!(app.get("/readyz").await.status(), 503);
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
);

mod database_outage {
    use super::*;
    use crate::support::TestApp;

    /// PostgreSQL goes away under a running node (its connections cut, new ones refused) and
    /// comes back: the node keeps serving what it has, refuses writes, and recovers unaided.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "PostgreSQL: set TIDINGS_TEST_DATABASE_URL and run with --ignored"]
    async fn postgres() {
        let options = Options {
            through_proxy: true,
            ..demo()
        };
        let app = TestApp::start(tidings_store::Backend::Postgres, options)
            .await
            .expect("TIDINGS_TEST_DATABASE_URL is not set: this test needs PostgreSQL");
        let proxy = app.proxy.as_ref().unwrap();
        app.text(STORY).await;
        app.text("/").await;

        proxy.cut();
        let res = until_stale(&app, STORY).await;
        assert_eq!(res.status(), 200);
        assert_eq!(app.get("/").await.status(), 200);
        let res = post_signup(&app).await;
        assert_eq!(res.status(), 503);
        assert!(res.headers().contains_key("retry-after"));
        assert_eq!(app.get("/readyz").await.status(), 503);

        proxy.restore().await;
        let mut ready = false;
        for _ in 0..100 {
            if app.get("/readyz").await.status() == 200 {
                ready = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(ready, "ready again without a restart");
        let mut fresh = false;
        for _ in 0..30 {
            if !app.get(STORY).await.headers().contains_key("tidings-stale") {
                fresh = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(fresh, "pages are no longer marked stale");
        let (status, _) = crate::routes::subscribe::sign_up(&app, "back@example.org", "").await;
        assert_eq!(status, 200, "writes work again");
        assert!(app
            .store
            .subscriber_by_email("back@example.org")
            .await
            .unwrap()
            .is_some());
    }
}
