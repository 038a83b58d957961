//! The sending worker: drains the deliveries queue over the mailer's pooled connections.
//!
//! Each connection task sends one message at a time and has its outcome written before the next
//! goes, so after a crash at most one message per connection can have been delivered without
//! being recorded; that one goes again with the same Message-ID. While an outcome is being
//! written the connection builds (and signs) its next message, and one recorder, on a database
//! connection it keeps for the whole send, writes the outcomes of every connection that finished
//! meanwhile in a single commit. Claims carry a lease that a live worker renews; a dead worker's
//! claims return to the queue when it lapses.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use tidings_mail::{Formatting, MailError};
use tidings_store::{ClaimedDelivery, DeliveryOutcome, DeliveryRecorder, Store};
use tokio::sync::{mpsc, oneshot};
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

/// A message built (perhaps still being signed): `None` when the subscriber no longer wants it.
type Building = Option<Result<Formatting, MailError>>;

/// Whether an outcome reached the database (the error as text: every waiting connection gets it).
type Written = oneshot::Receiver<Result<(), String>>;

/// An outcome on its way to the database, with the connection that waits for it.
struct Outcome {
    delivery: i64,
    outcome: DeliveryOutcome,
    written: oneshot::Sender<Result<(), String>>,
}

/// Writes the outcomes of every connection, all those waiting in one transaction, until the
/// connections are gone.
async fn record(mut recorder: DeliveryRecorder, mut outcomes: mpsc::Receiver<Outcome>) {
    let mut waiting = Vec::new();
    while outcomes.recv_many(&mut waiting, 512).await > 0 {
        let mut rows = Vec::with_capacity(waiting.len());
        let mut acks = Vec::with_capacity(waiting.len());
        for o in waiting.drain(..) {
            rows.push((o.delivery, o.outcome));
            acks.push(o.written);
        }
        let written = recorder.record(&rows).await.map_err(|e| e.to_string());
        for ack in acks {
            // A connection that stopped waiting has failed already; nothing to tell it.
            let _ = ack.send(written.clone());
        }
    }
}

/// Puts back in the queue the claims whose lease ran out (their worker stopped or hung).
async fn resume_abandoned(store: &Store) -> Result<(), NewsletterError> {
    let released = store.release_expired_deliveries(Utc::now()).await?;
    if released > 0 {
        tracing::warn!(
            count = released,
            "resuming deliveries left by a stopped worker"
        );
    }
    Ok(())
}

/// Waits until the last outcome a connection handed over is in the database.
async fn settle(written: Option<Written>) -> Result<(), NewsletterError> {
    let Some(written) = written else {
        return Ok(());
    };
    match written.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(NewsletterError::Task(format!("recording outcomes: {e}"))),
        Err(_) => Err(NewsletterError::Task("the outcome recorder stopped".into())),
    }
}

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
        resume_abandoned(store).await?;
        let kept = store.delivery_recorder().await?;
        // Claims of a worker that dies during a long send go back to the queue while this one
        // is still sending, not only when it next starts.
        let renewer = {
            let store = store.clone();
            let id = self.id.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(RENEW_EVERY).await;
                    if let Err(e) = store.renew_delivery_leases(&id, Utc::now() + LEASE).await {
                        tracing::warn!(error = %e, "cannot renew delivery leases");
                    }
                    if let Err(e) = resume_abandoned(&store).await {
                        tracing::warn!(error = %e, "cannot release abandoned deliveries");
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
        let connections = self.app.options().send_connections;
        let (outcomes, received) = mpsc::channel(connections.max(1) * 2);
        let recorder = tokio::spawn(record(kept, received));
        let tasks: Vec<_> = (0..connections)
            .map(|_| {
                let c = self
                    .clone()
                    .connection(pacer.clone(), prepared.clone(), outcomes.clone());
                tokio::spawn(c)
            })
            .collect();
        drop(outcomes);
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
        if let Err(e) = recorder.await {
            first_error = first_error.or(Some(NewsletterError::Task(e.to_string())));
        }
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
        recorder: mpsc::Sender<Outcome>,
    ) -> Result<SendReport, NewsletterError> {
        let store = self.app.store();
        let mut report = SendReport::default();
        // The last outcome handed to the recorder, not yet known to be written.
        let mut unwritten: Option<Written> = None;
        // The newsletters this connection has met, so that it takes the shared lock only once
        // for each rather than once a message.
        let mut mine: HashMap<i64, Arc<Prepared>> = HashMap::new();
        loop {
            // The last batch is settled before the next is claimed, so a connection never holds
            // more than one batch's deliveries.
            settle(unwritten.take()).await?;
            let now = Utc::now();
            let batch = store
                .claim_deliveries(&self.id, BATCH, now, now + LEASE)
                .await?;
            if batch.is_empty() {
                return Ok(report);
            }
            // Each message is built while the outcome before it is recorded, and its signature
            // (if any) computed on a blocking thread while that one is sent.
            let mut batch = batch.into_iter();
            let mut next = self.build_next(&prepared, &mut mine, &mut batch).await?;
            while let Some((d, building)) = next.take() {
                let message = match building {
                    None => None,
                    Some(Ok(m)) => Some(m.finish().await),
                    Some(Err(e)) => Some(Err(e)),
                };
                next = self.build_next(&prepared, &mut mine, &mut batch).await?;
                settle(unwritten.take()).await?;
                let outcome = match message {
                    None => DeliveryOutcome::Skipped,
                    Some(Ok(m)) => {
                        pacer.wait().await;
                        judge(&d, self.app.mailer().transmit(&m).await)
                    }
                    Some(Err(e)) => judge(&d, Err(e)),
                };
                match &outcome {
                    DeliveryOutcome::Sent => report.sent += 1,
                    DeliveryOutcome::Skipped => report.skipped += 1,
                    DeliveryOutcome::Refused { .. } => report.failed += 1,
                    DeliveryOutcome::Retry { retry_at: None, .. } => report.failed += 1,
                    DeliveryOutcome::Retry { .. } => report.retrying += 1,
                }
                let (written, wait) = oneshot::channel();
                recorder
                    .send(Outcome {
                        delivery: d.id,
                        outcome,
                        written,
                    })
                    .await
                    .map_err(|_| NewsletterError::Task("the outcome recorder stopped".into()))?;
                unwritten = Some(wait);
            }
        }
    }

    /// The newsletter rendered for this run, rendering it if no connection has yet.
    async fn rendered(
        &self,
        prepared: &RenderedNewsletters,
        newsletter_id: i64,
    ) -> Result<Arc<Prepared>, NewsletterError> {
        let mut cache = prepared.lock().await;
        if let Some(p) = cache.get(&newsletter_id) {
            return Ok(p.clone());
        }
        let n = self
            .app
            .store()
            .newsletter(newsletter_id)
            .await?
            .ok_or(NewsletterError::NotFound("newsletter"))?;
        let p = Arc::new(self.app.prepare(&n).await?);
        cache.insert(newsletter_id, p.clone());
        Ok(p)
    }

    /// Builds the batch's next subscriber's own message (`None` inside when they no longer want
    /// it) and starts signing it; `None` at the batch's end.
    async fn build_next(
        &self,
        prepared: &RenderedNewsletters,
        mine: &mut HashMap<i64, Arc<Prepared>>,
        batch: &mut impl Iterator<Item = ClaimedDelivery>,
    ) -> Result<Option<(ClaimedDelivery, Building)>, NewsletterError> {
        let Some(d) = batch.next() else {
            return Ok(None);
        };
        if !d.wanted {
            return Ok(Some((d, None)));
        }
        let p = match mine.get(&d.newsletter_id) {
            Some(p) => p.clone(),
            None => {
                let p = self.rendered(prepared, d.newsletter_id).await?;
                mine.insert(d.newsletter_id, p.clone());
                p
            }
        };
        let email = personalise(&p, d.subscriber_id, &d.email);
        let building = self.app.mailer().start_format(&email);
        Ok(Some((d, Some(building))))
    }
}

/// What a send's result means for the delivery.
fn judge(d: &ClaimedDelivery, sent: Result<(), MailError>) -> DeliveryOutcome {
    match sent {
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
