//! The sending worker: drains the deliveries queue over the mailer's pooled connections.
//!
//! Each connection task sends one message at a time and records its outcome before the next, so
//! after a crash at most one message per connection can have been delivered without being
//! recorded; that one goes again with the same Message-ID. Claims carry a lease that a live worker
//! renews; a dead worker's claims return to the queue when it lapses.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use tidings_store::{ClaimedDelivery, DeliveryOutcome};
use tokio::time::Instant;

use crate::email::{personalise, Prepared};
use crate::service::{NewsletterError, Newsletters};

/// How long a claim holds without renewal.
pub const LEASE: Duration = Duration::seconds(10);
/// Renewal interval, well inside the lease.
const RENEW_EVERY: StdDuration = StdDuration::from_secs(3);
/// Deliveries a connection claims at a time: with the connection count, all a worker holds.
pub const BATCH: i64 = 50;
/// Attempts before a temporary failure becomes final.
pub const MAX_ATTEMPTS: i64 = 5;

/// When to try again after `attempts` failed attempts; `None` once they are used up.
pub fn retry_at(now: DateTime<Utc>, attempts: i64) -> Option<DateTime<Utc>> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    // 1, 2, 4, 8 minutes: long enough for a greylisting server or a provider's rate limit to pass.
    let minutes = 1i64 << (attempts - 1).clamp(0, 6);
    Some(now + Duration::minutes(minutes))
}

/// Newsletters rendered in this run, shared by its connections.
type RenderedNewsletters = Arc<tokio::sync::Mutex<HashMap<i64, Arc<Prepared>>>>;

/// Tallies of one run of the worker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Accepted by the mail server.
    pub sent: u64,
    /// Refused for good (address suppressed) or out of attempts.
    pub failed: u64,
    /// Will be tried again later.
    pub retrying: u64,
    /// No longer wanted by the subscriber.
    pub skipped: u64,
}

/// A worker with its own identity (claims are recorded under it).
#[derive(Clone)]
pub struct Sender {
    app: Newsletters,
    id: String,
}

/// Spaces sends out to the configured rate, across every worker of this process.
struct Pacer {
    app: Newsletters,
    interval: Option<StdDuration>,
}

impl Pacer {
    async fn wait(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let at = {
            let mut next = self.app.send_slot().lock().await;
            let at = next.unwrap_or_else(Instant::now).max(Instant::now());
            *next = Some(at + interval);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

impl Sender {
    /// A worker for this process.
    pub fn new(app: Newsletters) -> Sender {
        let id = format!(
            "{}-{}",
            std::process::id(),
            &tidings_accounts::new_token()[..8]
        );
        Sender { app, id }
    }

    /// Sends every delivery due now and returns when none is left (later retries stay queued).
    pub async fn run_due(&self) -> Result<SendReport, NewsletterError> {
        let store = self.app.store();
        let released = store.release_expired_deliveries(Utc::now()).await?;
        if released > 0 {
            tracing::warn!(
                count = released,
                "resuming deliveries left by a stopped worker"
            );
        }
        let renewer = {
            let store = store.clone();
            let id = self.id.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(RENEW_EVERY).await;
                    if let Err(e) = store.renew_delivery_leases(&id, Utc::now() + LEASE).await {
                        tracing::warn!(error = %e, "cannot renew delivery leases");
                    }
                }
            })
        };
        let rate = self.app.options().send_rate;
        let pacer = Arc::new(Pacer {
            app: self.app.clone(),
            interval: (rate > 0).then(|| StdDuration::from_secs_f64(1.0 / f64::from(rate))),
        });
        // Each newsletter is rendered once per run, whichever connection meets it first.
        let prepared: RenderedNewsletters = Arc::default();
        let tasks: Vec<_> = (0..self.app.options().send_connections)
            .map(|_| tokio::spawn(self.clone().connection(pacer.clone(), prepared.clone())))
            .collect();
        let mut report = SendReport::default();
        let mut first_error = None;
        for t in tasks {
            match t.await {
                Ok(Ok(r)) => {
                    report.sent += r.sent;
                    report.failed += r.failed;
                    report.retrying += r.retrying;
                    report.skipped += r.skipped;
                }
                Ok(Err(e)) => first_error = first_error.or(Some(e)),
                Err(e) => first_error = first_error.or(Some(NewsletterError::Task(e.to_string()))),
            }
        }
        renewer.abort();
        for id in store.finish_newsletters().await? {
            tracing::info!(newsletter = id, "newsletter send finished");
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// One connection's loop: claim a few, send them one by one, record each, repeat.
    async fn connection(
        self,
        pacer: Arc<Pacer>,
        prepared: RenderedNewsletters,
    ) -> Result<SendReport, NewsletterError> {
        let store = self.app.store();
        let mut report = SendReport::default();
        loop {
            let now = Utc::now();
            let batch = store
                .claim_deliveries(&self.id, BATCH, now, now + LEASE)
                .await?;
            if batch.is_empty() {
                return Ok(report);
            }
            for d in batch {
                let p = {
                    let mut cache = prepared.lock().await;
                    match cache.get(&d.newsletter_id) {
                        Some(p) => p.clone(),
                        None => {
                            let n = store
                                .newsletter(d.newsletter_id)
                                .await?
                                .ok_or(NewsletterError::NotFound("newsletter"))?;
                            let p = Arc::new(self.app.prepare(&n).await?);
                            cache.insert(d.newsletter_id, p.clone());
                            p
                        }
                    }
                };
                let outcome = self.deliver(&p, &d, &pacer).await;
                match &outcome {
                    DeliveryOutcome::Sent => report.sent += 1,
                    DeliveryOutcome::Skipped => report.skipped += 1,
                    DeliveryOutcome::Refused { .. } => report.failed += 1,
                    DeliveryOutcome::Retry { retry_at: None, .. } => report.failed += 1,
                    DeliveryOutcome::Retry { .. } => report.retrying += 1,
                }
                store.record_delivery(d.id, &outcome).await?;
            }
        }
    }

    async fn deliver(&self, p: &Prepared, d: &ClaimedDelivery, pacer: &Pacer) -> DeliveryOutcome {
        if !d.wanted {
            return DeliveryOutcome::Skipped;
        }
        pacer.wait().await;
        let email = personalise(p, d.subscriber_id, &d.email);
        match self.app.mailer().send(&email).await {
            Ok(()) => DeliveryOutcome::Sent,
            Err(e) if e.is_permanent() => {
                tracing::warn!(to = %d.email, error = %e, "address refused; suppressed");
                DeliveryOutcome::Refused {
                    error: e.to_string(),
                }
            }
            Err(e) => {
                tracing::warn!(to = %d.email, error = %e, "temporary failure; will retry");
                DeliveryOutcome::Retry {
                    error: e.to_string(),
                    retry_at: retry_at(Utc::now(), d.attempts + 1),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_then_stop() {
        let now = Utc::now();
        assert_eq!(retry_at(now, 1), Some(now + Duration::minutes(1)));
        assert_eq!(retry_at(now, 2), Some(now + Duration::minutes(2)));
        assert_eq!(retry_at(now, 4), Some(now + Duration::minutes(8)));
        assert_eq!(retry_at(now, MAX_ATTEMPTS), None);
    }
}
