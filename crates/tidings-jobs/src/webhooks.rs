//! Sending one webhook delivery: POST the event's JSON, signed, to the endpoint; a 2xx answer
//! within the timeout is success; anything else is tried again by the runner (pauses doubling
//! from a minute up to an hour, for about a day), and the log keeps each attempt's answer.

use std::time::Duration;

use serde::Deserialize;
use tidings_accounts::webhook_signature;
use tidings_store::{Job, Store};

use crate::runner::{JobError, JobResult};

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The most of an answer's body kept in the log.
const KEEP_ANSWER: usize = 200;

#[derive(Deserialize)]
struct Payload {
    delivery: i64,
}

/// The HTTP client deliveries use: no redirects followed (a receiver answers where it was
/// registered), a short timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Tidings-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client without custom TLS settings builds")
}

/// Runs one `webhook.deliver` job.
pub async fn deliver(store: &Store, http: &reqwest::Client, job: &Job) -> JobResult {
    let p: Payload = serde_json::from_str(&job.payload)
        .map_err(|e| JobError::permanent(format!("payload: {e}")))?;
    let now = || chrono::Utc::now().timestamp();
    let Some((delivery, endpoint)) = store
        .webhook_delivery(p.delivery)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Err(JobError::permanent("the delivery is gone"));
    };
    let Some(endpoint) = endpoint else {
        store
            .record_webhook_attempt(delivery.id, None, "endpoint removed", "failed", now())
            .await
            .map_err(|e| e.to_string())?;
        return Err(JobError::permanent("the endpoint was removed"));
    };
    let sent_at = now();
    let answer = http
        .post(&endpoint.url)
        .header("content-type", "application/json")
        .header("tidings-event", &delivery.event)
        .header("tidings-event-id", &delivery.event_id)
        .header(
            "tidings-signature",
            webhook_signature(&endpoint.secret, sent_at, delivery.payload.as_bytes()),
        )
        .body(delivery.payload.clone())
        .send()
        .await;
    let last = job.attempts >= job.max_attempts;
    let (status, error) = match answer {
        Ok(r) if r.status().is_success() => (Some(i64::from(r.status().as_u16())), String::new()),
        Ok(r) => {
            let code = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            let text: String = text.chars().take(KEEP_ANSWER).collect();
            (Some(i64::from(code)), format!("answered {code}: {text}"))
        }
        Err(e) if e.is_timeout() => (None, format!("no answer within {}s", TIMEOUT.as_secs())),
        Err(e) => (None, format!("could not connect: {e}")),
    };
    let state = match (error.is_empty(), last) {
        (true, _) => "succeeded",
        (false, true) => "failed",
        (false, false) => "pending",
    };
    metrics::counter!("tidings_webhook_deliveries_total", "result" => state).increment(1);
    store
        .record_webhook_attempt(delivery.id, status, &error, state, now())
        .await
        .map_err(|e| e.to_string())?;
    if error.is_empty() {
        Ok(())
    } else {
        Err(error.into())
    }
}
