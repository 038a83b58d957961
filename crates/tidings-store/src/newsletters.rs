//! Newsletters and their durable delivery queue.
//!
//! A send is one `newsletters` row plus one `deliveries` row per recipient, written in the same
//! transaction; the unique (newsletter, subscriber) key means a resumed send skips nobody and a
//! recorded delivery is never repeated. Workers claim small batches with a renewable lease, so a
//! crashed process's claims return to the queue when its lease runs out.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::{bump_generation, Backend, Store};
use crate::error::StoreError;
pub use crate::states::Audience;
use crate::states::{decode, DeliveryState, NewsletterState, SubscriberStatus};

impl Audience {
    /// The subscribers' column that says they want this kind.
    fn column(self) -> &'static str {
        match self {
            Audience::Digest => "digest",
            Audience::Breaking => "breaking",
        }
    }
}

/// A newsletter about to be queued.
#[derive(Debug, Clone)]
pub struct NewNewsletter {
    /// Who receives it.
    pub audience: Audience,
    /// Digest: local date (`YYYY-MM-DD`); breaking: the article id.
    pub edition: String,
    /// Subject line.
    pub subject: String,
    /// Editor's intro (Markdown-free plain text).
    pub intro: String,
    /// The stories, as JSON, frozen at send time.
    pub items: String,
    /// Stories published up to this instant were considered.
    pub cutoff_at: DateTime<Utc>,
    /// The account that sent it, if a person did.
    pub created_by: Option<i64>,
}

/// Delivery counts of one newsletter.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct DeliveryCounts {
    /// All recipients.
    pub total: i64,
    /// Waiting (including those waiting for a retry).
    pub queued: i64,
    /// Claimed by a worker right now.
    pub sending: i64,
    /// Accepted by the mail server.
    pub sent: i64,
    /// Given up on (permanent refusal or too many attempts).
    pub failed: i64,
    /// Left out because the subscriber unsubscribed or changed preferences meanwhile.
    pub skipped: i64,
}

impl DeliveryCounts {
    /// Deliveries still to be attempted.
    pub fn pending(&self) -> i64 {
        self.queued + self.sending
    }
}

/// A newsletter with its delivery counts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Newsletter {
    /// Row id (the archive URL's number).
    pub id: i64,
    /// Who it goes to: the digest's or the breaking alerts' subscribers.
    pub kind: Audience,
    /// See [`NewNewsletter::edition`].
    pub edition: String,
    /// Subject line.
    pub subject: String,
    /// Editor's intro.
    pub intro: String,
    /// Stories as JSON.
    pub items: String,
    /// Sending, sent (every delivery accepted or skipped) or failed (some failed).
    pub status: NewsletterState,
    /// The digest window's end.
    pub cutoff_at: DateTime<Utc>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the last delivery was settled.
    pub finished_at: Option<DateTime<Utc>>,
    /// Progress.
    pub counts: DeliveryCounts,
}

/// A delivery handed to a worker, with what it needs to address the message.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    /// Delivery row id.
    pub id: i64,
    /// Newsletter it belongs to.
    pub newsletter_id: i64,
    /// Recipient.
    pub subscriber_id: i64,
    /// Recipient's address.
    pub email: String,
    /// Recipient's name.
    pub name: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// Whether the subscriber still wants this newsletter (confirmed and opted in).
    pub wanted: bool,
}

/// How one delivery attempt ended.
#[derive(Debug, Clone)]
pub enum DeliveryOutcome {
    /// The mail server accepted the message.
    Sent,
    /// A temporary failure: try again at `retry_at` (or give up, if `retry_at` is `None`).
    Retry {
        /// Why it failed.
        error: String,
        /// When to try again; `None` means attempts are exhausted.
        retry_at: Option<DateTime<Utc>>,
    },
    /// A permanent refusal (SMTP 5xx): the address is suppressed.
    Refused {
        /// The server's answer.
        error: String,
    },
    /// The subscriber no longer wants it.
    Skipped,
}

/// A failed delivery as the admin shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FailedDelivery {
    /// Recipient's address.
    pub email: String,
    /// Why.
    pub error: String,
    /// Attempts made.
    pub attempts: i64,
}

/// The editor's plan for one digest edition.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DigestPlan {
    /// Intro shown above the stories.
    pub intro: String,
    /// Article ids in the editor's order (stories not listed follow in ranked order).
    pub ordered: Vec<i64>,
    /// Article ids left out.
    pub dropped: Vec<i64>,
}

const COLUMNS: &str = "n.id, n.kind, n.edition, n.subject, n.intro, n.items, n.status, \
    n.cutoff_at, n.created_at, n.finished_at, n.archived_counts";

fn at(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// The newsletter, with its counts when its delivery rows were folded into them (`true`).
fn from_row(r: &AnyRow) -> Result<(Newsletter, bool), sqlx::Error> {
    let archived: Option<String> = r.try_get("archived_counts")?;
    let archived: Option<DeliveryCounts> = archived.and_then(|a| serde_json::from_str(&a).ok());
    let finished: Option<i64> = r.try_get("finished_at")?;
    let n = Newsletter {
        id: r.try_get("id")?,
        kind: decode(r, "kind")?,
        edition: r.try_get("edition")?,
        subject: r.try_get("subject")?,
        intro: r.try_get("intro")?,
        items: r.try_get("items")?,
        status: decode(r, "status")?,
        cutoff_at: at(r.try_get("cutoff_at")?),
        created_at: at(r.try_get("created_at")?),
        finished_at: finished.map(at),
        counts: archived.unwrap_or_default(),
    };
    Ok((n, archived.is_some()))
}

/// Subscribers given their deliveries per transaction when a newsletter is queued: long enough
/// to keep the queueing quick, short enough that no other write waits long for the database.
pub const QUEUE_CHUNK: i64 = 10_000;

fn ids_text(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn parse_ids(s: &str) -> Vec<i64> {
    s.split(',').filter_map(|p| p.trim().parse().ok()).collect()
}

impl Store {
    /// Queues a newsletter to every subscriber of its audience, [`QUEUE_CHUNK`] subscribers per
    /// transaction. Returns `None` when that edition already exists (a digest already sent that day,
    /// an article already alerted); if its queueing was cut short (a crash), it is finished first.
    pub async fn queue_newsletter(&self, new: &NewNewsletter) -> Result<Option<i64>, StoreError> {
        self.queue_newsletter_in_chunks(new, QUEUE_CHUNK).await
    }

    /// [`Store::queue_newsletter`] with another chunk size (tests use small ones).
    pub async fn queue_newsletter_in_chunks(
        &self,
        new: &NewNewsletter,
        chunk: i64,
    ) -> Result<Option<i64>, StoreError> {
        let now = Utc::now().timestamp();
        let mut tx = self.write_tx().await?;
        let exists: Option<(i64, i64)> =
            sqlx::query_as("SELECT id, queueing FROM newsletters WHERE kind = $1 AND edition = $2")
                .bind(new.audience.as_str())
                .bind(&new.edition)
                .fetch_optional(&mut *tx)
                .await?;
        match exists {
            Some((_, 0)) => return Ok(None),
            Some((id, _)) => {
                tx.commit().await?;
                self.add_deliveries(id, new.audience, chunk).await?;
                return Ok(None);
            }
            None => {}
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO newsletters (kind, edition, subject, intro, items, status, cutoff_at, \
             created_by, created_at, queueing) VALUES ($1, $2, $3, $4, $5, $9, $6, $7, $8, 1) \
             RETURNING id",
        )
        .bind(new.audience.as_str())
        .bind(&new.edition)
        .bind(&new.subject)
        .bind(&new.intro)
        .bind(&new.items)
        .bind(new.cutoff_at.timestamp())
        .bind(new.created_by)
        .bind(now)
        .bind(NewsletterState::Sending.as_str())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        self.add_deliveries(id, new.audience, chunk).await?;
        Ok(Some(id))
    }

    /// Adds the deliveries of a queueing newsletter from where it stopped (its highest subscriber
    /// id so far), `chunk` subscribers per transaction, then marks it queued. Senders may claim
    /// the first chunks while later ones are added.
    async fn add_deliveries(
        &self,
        id: i64,
        audience: Audience,
        chunk: i64,
    ) -> Result<(), StoreError> {
        let wanted = format!("status = $1 AND {} = 1 AND id > $2", audience.column());
        // Where an interrupted queueing stopped; from then on each chunk starts after the last.
        let (after,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(subscriber_id) FROM deliveries WHERE newsletter_id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
        let mut after = after.unwrap_or(0);
        loop {
            let mut tx = self.write_tx().await?;
            let (upto,): (Option<i64>,) = sqlx::query_as(&format!(
                "SELECT MAX(id) FROM (SELECT id FROM subscribers WHERE {wanted} \
                 ORDER BY id LIMIT $3) chunk"
            ))
            .bind(SubscriberStatus::Confirmed.as_str())
            .bind(after)
            .bind(chunk)
            .fetch_one(&mut *tx)
            .await?;
            let Some(upto) = upto else {
                sqlx::query("UPDATE newsletters SET queueing = 0 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                // The archive at /newsletter/ lists it from now on.
                bump_generation(&mut tx).await?;
                tx.commit().await?;
                return Ok(());
            };
            sqlx::query(&format!(
                "INSERT INTO deliveries (newsletter_id, subscriber_id, status) \
                 SELECT $3, id, $4 FROM subscribers WHERE {wanted} AND id <= $5 ORDER BY id"
            ))
            .bind(SubscriberStatus::Confirmed.as_str())
            .bind(after)
            .bind(id)
            .bind(DeliveryState::Queued.as_str())
            .bind(upto)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            after = upto;
        }
    }

    /// The newsletter with this id, with its counts.
    pub async fn newsletter(&self, id: i64) -> Result<Option<Newsletter>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM newsletters n WHERE n.id = $1");
        let Some(row) = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let (mut n, archived) = from_row(&row)?;
        if !archived {
            n.counts = self
                .delivery_counts(&[id])
                .await?
                .remove(&id)
                .unwrap_or_default();
        }
        Ok(Some(n))
    }

    /// The newsletter for an edition of a kind, if it was queued.
    pub async fn newsletter_for_edition(
        &self,
        audience: Audience,
        edition: &str,
    ) -> Result<Option<Newsletter>, StoreError> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM newsletters WHERE kind = $1 AND edition = $2")
                .bind(audience.as_str())
                .bind(edition)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some((id,)) => self.newsletter(id).await,
            None => Ok(None),
        }
    }

    /// Newsletters, newest first, with counts.
    pub async fn newsletters(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Newsletter>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM newsletters n ORDER BY n.created_at DESC, n.id DESC \
             LIMIT $1 OFFSET $2"
        );
        let rows = sqlx::query(&sql)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let rows = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        let live: Vec<i64> = rows.iter().filter(|r| !r.1).map(|r| r.0.id).collect();
        let mut counts = self.delivery_counts(&live).await?;
        Ok(rows
            .into_iter()
            .map(|(mut n, archived)| {
                if !archived {
                    n.counts = counts.remove(&n.id).unwrap_or_default();
                }
                n
            })
            .collect())
    }

    /// Number of newsletters ever queued.
    pub async fn count_newsletters(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM newsletters")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    async fn delivery_counts(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, DeliveryCounts>, StoreError> {
        let mut out = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let sql = format!(
            "SELECT newsletter_id, status, COUNT(*) FROM deliveries WHERE newsletter_id IN ({}) \
             GROUP BY newsletter_id, status",
            ids_text(ids)
        );
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
        for (id, status, n) in rows {
            let c: &mut DeliveryCounts = out.entry(id).or_default();
            c.total += n;
            match status.parse::<DeliveryState>() {
                Ok(DeliveryState::Queued) => c.queued += n,
                Ok(DeliveryState::Sending) => c.sending += n,
                Ok(DeliveryState::Sent) => c.sent += n,
                Ok(DeliveryState::Failed) => c.failed += n,
                Ok(DeliveryState::Skipped) | Err(_) => c.skipped += n,
            }
        }
        Ok(out)
    }

    /// The end of the last digest's window, if a digest was ever queued.
    pub async fn last_digest_cutoff(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let (t,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(cutoff_at) FROM newsletters WHERE kind = $1")
                .bind(Audience::Digest.as_str())
                .fetch_one(&self.pool)
                .await?;
        Ok(t.map(at))
    }
}

mod deliveries;
pub use deliveries::DeliveryRecorder;
mod digest;
