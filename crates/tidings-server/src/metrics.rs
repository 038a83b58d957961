//! Prometheus metrics: counters and histograms recorded where things happen (requests here; mail,
//! donations and webhooks in their crates, through the `metrics` facade), and gauges read from
//! the pool and the jobs table when scraped.
//!
//! Nothing is recorded unless the configuration opens `/metrics` (`metrics.listen` or
//! `metrics.token`): without an installed recorder every `metrics::` call is a no-op.

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::app::AppState;

/// Name of the request latency histogram.
pub const REQUEST_DURATION: &str = "http_request_duration_seconds";
/// Bucket bounds for request latency, in seconds: cached pages answer in well under a millisecond,
/// so the low end is fine-grained.
const BUCKETS: [f64; 14] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
/// How often histograms are folded into their buckets between scrapes (bounds the memory that
/// samples waiting for a scrape can take).
const UPKEEP: Duration = Duration::from_secs(5);
/// The text format's media type.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
/// Job kinds seen with a backlog, so that a kind whose queue emptied reads 0 rather than its last
/// figure.
static KINDS_SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fn builder() -> PrometheusBuilder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), &BUCKETS)
        .expect("bucket bounds are not empty")
}

/// Installs the process's recorder (once) and starts folding histograms in the background.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let handle = builder()
            .install_recorder()
            // Another recorder was installed first: keep a private one so scrapes still answer.
            .unwrap_or_else(|_| builder().build_recorder().handle());
        let upkeep = handle.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(UPKEEP).await;
                upkeep.run_upkeep();
            }
        });
        describe();
        handle
    })
}

/// Whether the recorder is installed (requests are then timed).
pub fn enabled() -> bool {
    HANDLE.get().is_some()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "Time to answer a request, by route pattern, method and status."
    );
    describe_counter!(
        "tidings_page_cache_total",
        "Cached-page lookups, by result (hit or miss)."
    );
    describe_gauge!(
        "tidings_db_pool_connections",
        "Database connections held by this node's pool, by state (busy or idle)."
    );
    describe_gauge!(
        "tidings_db_pool_max_connections",
        "Most connections this node's pool may open."
    );
    describe_gauge!(
        "tidings_jobs_due",
        "Jobs due and waiting for a runner, by kind."
    );
    describe_gauge!(
        "tidings_jobs_oldest_due_seconds",
        Unit::Seconds,
        "How long the oldest waiting job of each kind has been due."
    );
    describe_counter!(
        "tidings_mail_messages_total",
        "Messages handed to the mail transport, by result (sent or failed)."
    );
    describe_counter!(
        "tidings_donations_total",
        "Gifts whose payment ended, by result (succeeded, failed or expired)."
    );
    describe_counter!(
        "tidings_webhook_deliveries_total",
        "Webhook delivery attempts, by result (succeeded, pending retry or failed)."
    );
    describe_gauge!(
        "tidings_content_generation",
        "The content generation this node's page cache holds."
    );
}

/// Counts a page-cache lookup.
pub fn cache_lookup(hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    metrics::counter!("tidings_page_cache_total", "result" => result).increment(1);
}

/// Records one answered request under its route pattern (`/{section}/{slug}/`, never the raw
/// path, so the number of series stays bounded).
pub fn observe_request(route: &str, method: &axum::http::Method, status: u16, seconds: f64) {
    metrics::histogram!(
        REQUEST_DURATION,
        "route" => route.to_string(),
        "method" => method.as_str().to_string(),
        "status" => status.to_string(),
    )
    .record(seconds);
}

/// The text exposition, with the read-at-scrape gauges brought up to date first.
pub async fn render(app: &AppState) -> String {
    let Some(handle) = HANDLE.get() else {
        return String::new();
    };
    let store = app.store();
    let size = store.pool_size() as f64;
    let idle = store.pool_idle() as f64;
    metrics::gauge!("tidings_db_pool_connections", "state" => "busy").set((size - idle).max(0.0));
    metrics::gauge!("tidings_db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("tidings_db_pool_max_connections").set(f64::from(store.pool_max()));
    metrics::gauge!("tidings_content_generation").set(app.cache().generation() as f64);
    let now = chrono::Utc::now().timestamp();
    match store.job_backlog(now).await {
        Ok(rows) => {
            let mut seen = KINDS_SEEN.lock().expect("lock");
            for kind in seen.iter() {
                if !rows.iter().any(|(k, _, _)| k == kind) {
                    metrics::gauge!("tidings_jobs_due", "kind" => kind.clone()).set(0.0);
                    metrics::gauge!("tidings_jobs_oldest_due_seconds", "kind" => kind.clone())
                        .set(0.0);
                }
            }
            for (kind, due, oldest) in rows {
                metrics::gauge!("tidings_jobs_due", "kind" => kind.clone()).set(due as f64);
                metrics::gauge!("tidings_jobs_oldest_due_seconds", "kind" => kind.clone())
                    .set((now - oldest).max(0) as f64);
                seen.insert(kind);
            }
        }
        // The rest of the figures are still worth having.
        Err(e) => tracing::warn!(error = %e, "cannot read the job backlog for metrics"),
    }
    handle.run_upkeep();
    handle.render()
}

fn exposition(body: String) -> Response {
    (
        StatusCode::OK,
        [(CONTENT_TYPE, TEXT_FORMAT), (CACHE_CONTROL, "no-store")],
        body,
    )
        .into_response()
}

/// `GET /metrics` on the main listener: only with `Authorization: Bearer <metrics.token>`; a
/// site without a token answers 404, as if there were nothing here.
pub async fn guarded(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = app.site().metrics_token.as_deref() else {
        return crate::error::AppError::NotFound.into_response();
    };
    let given = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !tidings_accounts::constant_time_eq(given.as_bytes(), token.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(
                axum::http::header::WWW_AUTHENTICATE,
                "Bearer realm=\"metrics\"",
            )],
            "A bearer token is needed.\n",
        )
            .into_response();
    }
    exposition(render(&app).await)
}

/// `GET /metrics` on `metrics.listen`, an address only the scraper should reach.
pub async fn open(State(app): State<AppState>) -> Response {
    exposition(render(&app).await)
}

/// The router of the separate metrics listener.
pub fn listener_router(app: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(open))
        .with_state(app)
}
