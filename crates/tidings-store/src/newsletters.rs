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
use crate::states::{decode, NewsletterState};

impl Audience {
    /// The `kind` stored for newsletters sent to this audience.
    pub fn kind(self) -> &'static str {
        self.as_str()
    }

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
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
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
    n.cutoff_at, n.created_at, n.finished_at";

fn at(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

fn from_row(r: &AnyRow) -> Result<Newsletter, sqlx::Error> {
    let finished: Option<i64> = r.try_get(9)?;
    Ok(Newsletter {
        id: r.try_get(0)?,
        kind: decode(r, 1)?,
        edition: r.try_get(2)?,
        subject: r.try_get(3)?,
        intro: r.try_get(4)?,
        items: r.try_get(5)?,
        status: decode(r, 6)?,
        cutoff_at: at(r.try_get(7)?),
        created_at: at(r.try_get(8)?),
        finished_at: finished.map(at),
        counts: DeliveryCounts::default(),
    })
}

fn ids_text(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn parse_ids(s: &str) -> Vec<i64> {
    s.split(',').filter_map(|p| p.trim().parse().ok()).collect()
}

impl Store {
    /// Queues a newsletter to every subscriber of its audience, in one transaction. Returns `None`
    /// when that edition already exists (a digest already sent that day, an article already alerted).
    pub async fn queue_newsletter(&self, new: &NewNewsletter) -> Result<Option<i64>, StoreError> {
        let now = Utc::now().timestamp();
        let mut tx = self.write_tx().await?;
        let exists: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM newsletters WHERE kind = $1 AND edition = $2")
                .bind(new.audience.kind())
                .bind(&new.edition)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_some() {
            return Ok(None);
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO newsletters (kind, edition, subject, intro, items, status, cutoff_at, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, 'sending', $6, $7, $8) RETURNING id",
        )
        .bind(new.audience.kind())
        .bind(&new.edition)
        .bind(&new.subject)
        .bind(&new.intro)
        .bind(&new.items)
        .bind(new.cutoff_at.timestamp())
        .bind(new.created_by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let sql = format!(
            "INSERT INTO deliveries (newsletter_id, subscriber_id, status) \
             SELECT $1, id, 'queued' FROM subscribers \
             WHERE status = 'confirmed' AND {} = 1 ORDER BY id",
            new.audience.column()
        );
        sqlx::query(&sql).bind(id).execute(&mut *tx).await?;
        // The archive at /newsletter/ lists it from now on.
        bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(Some(id))
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
        let mut n = from_row(&row)?;
        n.counts = self
            .delivery_counts(&[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
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
                .bind(audience.kind())
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
        let mut list = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<i64> = list.iter().map(|n| n.id).collect();
        let mut counts = self.delivery_counts(&ids).await?;
        for n in &mut list {
            n.counts = counts.remove(&n.id).unwrap_or_default();
        }
        Ok(list)
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
            match status.as_str() {
                "queued" => c.queued += n,
                "sending" => c.sending += n,
                "sent" => c.sent += n,
                "failed" => c.failed += n,
                _ => c.skipped += n,
            }
        }
        Ok(out)
    }

    /// The end of the last digest's window, if a digest was ever queued.
    pub async fn last_digest_cutoff(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let (t,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(cutoff_at) FROM newsletters WHERE kind = 'digest'")
                .fetch_one(&self.pool)
                .await?;
        Ok(t.map(at))
    }

    /// Claims up to `limit` due deliveries of newsletters being sent, for `worker` until
    /// `lease_until`. Another worker never gets the same rows while the lease holds.
    pub async fn claim_deliveries(
        &self,
        worker: &str,
        limit: i64,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let lock = match self.backend() {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let mut tx = self.write_tx().await?;
        // Breaking-news alerts go before anything else waiting (a digest to many thousands must not
        // hold back news); then everything in queue order.
        let mut claimed: Vec<(i64,)> = Vec::new();
        // Only look for alerts when one is being sent: the scoped query costs a scan otherwise.
        let breaking: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM newsletters WHERE kind = 'breaking' AND status = 'sending'",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut scopes = Vec::new();
        if !breaking.is_empty() {
            let ids: Vec<i64> = breaking.iter().map(|r| r.0).collect();
            scopes.push(format!("AND newsletter_id IN ({})", ids_text(&ids)));
        }
        scopes.push(String::new());
        for scope in scopes {
            let room = limit - claimed.len() as i64;
            if room <= 0 {
                break;
            }
            let sql = format!(
                "UPDATE deliveries SET status = 'sending', claimed_by = $1, lease_until = $2 \
                 WHERE id IN (SELECT id FROM deliveries WHERE status = 'queued' \
                 AND next_attempt_at <= $3 {scope} ORDER BY id LIMIT $4 {lock}) \
                 RETURNING id"
            );
            let rows: Vec<(i64,)> = sqlx::query_as(&sql)
                .bind(worker)
                .bind(lease_until.timestamp())
                .bind(now.timestamp())
                .bind(room)
                .fetch_all(&mut *tx)
                .await?;
            claimed.extend(rows);
        }
        if claimed.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = claimed.into_iter().map(|r| r.0).collect();
        let sql = format!(
            "SELECT d.id, d.newsletter_id, d.subscriber_id, s.email, s.name, d.attempts, \
             CAST(CASE WHEN s.status = 'confirmed' AND \
               ((n.kind = 'digest' AND s.digest = 1) OR (n.kind = 'breaking' AND s.breaking = 1)) \
               THEN 1 ELSE 0 END AS BIGINT) \
             FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id \
             JOIN newsletters n ON n.id = d.newsletter_id \
             WHERE d.id IN ({}) ORDER BY CASE WHEN n.kind = 'breaking' THEN 0 ELSE 1 END, d.id",
            ids_text(&ids)
        );
        let rows = sqlx::query(&sql).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(ClaimedDelivery {
                    id: r.try_get(0)?,
                    newsletter_id: r.try_get(1)?,
                    subscriber_id: r.try_get(2)?,
                    email: r.try_get(3)?,
                    name: r.try_get(4)?,
                    attempts: r.try_get(5)?,
                    wanted: r.try_get::<i64, _>(6)? != 0,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Extends the lease on every delivery `worker` holds.
    pub async fn renew_delivery_leases(
        &self,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET lease_until = $1 WHERE status = 'sending' AND claimed_by = $2",
        )
        .bind(lease_until.timestamp())
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Returns to the queue every claim whose lease ran out (its worker died or hung).
    pub async fn release_expired_deliveries(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET status = 'queued', claimed_by = '' \
             WHERE status = 'sending' AND lease_until < $1",
        )
        .bind(now.timestamp())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Records how a claimed delivery ended. A refusal also suppresses the address.
    pub async fn record_delivery(
        &self,
        delivery_id: i64,
        outcome: &DeliveryOutcome,
    ) -> Result<(), StoreError> {
        let now = Utc::now().timestamp();
        match outcome {
            DeliveryOutcome::Sent => {
                sqlx::query(
                    "UPDATE deliveries SET status = 'sent', sent_at = $1, attempts = attempts + 1, \
                     error = '' WHERE id = $2",
                )
                .bind(now)
                .bind(delivery_id)
                .execute(&self.pool)
                .await?;
            }
            DeliveryOutcome::Skipped => {
                sqlx::query("UPDATE deliveries SET status = 'skipped' WHERE id = $1")
                    .bind(delivery_id)
                    .execute(&self.pool)
                    .await?;
            }
            DeliveryOutcome::Retry { error, retry_at } => {
                let (status, next) = match retry_at {
                    Some(t) => ("queued", t.timestamp()),
                    None => ("failed", now),
                };
                sqlx::query(
                    "UPDATE deliveries SET status = $1, next_attempt_at = $2, \
                     attempts = attempts + 1, error = $3, claimed_by = '' WHERE id = $4",
                )
                .bind(status)
                .bind(next)
                .bind(error)
                .bind(delivery_id)
                .execute(&self.pool)
                .await?;
            }
            DeliveryOutcome::Refused { error } => {
                let mut tx = self.write_tx().await?;
                sqlx::query(
                    "UPDATE deliveries SET status = 'failed', attempts = attempts + 1, error = $1, \
                     claimed_by = '' WHERE id = $2",
                )
                .bind(error)
                .bind(delivery_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE subscribers SET status = 'suppressed', suppressed_at = $1, \
                     suppressed_reason = $2 WHERE id = (SELECT subscriber_id FROM deliveries \
                     WHERE id = $3) AND status <> 'unsubscribed'",
                )
                .bind(now)
                .bind(error)
                .bind(delivery_id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Marks newsletters whose deliveries are all settled as `sent` (none failed) or `failed`.
    /// Returns the ids that finished now.
    pub async fn finish_newsletters(&self) -> Result<Vec<i64>, StoreError> {
        let now = Utc::now().timestamp();
        let mut tx = self.write_tx().await?;
        let done: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT n.id, (SELECT COUNT(*) FROM deliveries f WHERE f.newsletter_id = n.id \
             AND f.status = 'failed') FROM newsletters n WHERE n.status = 'sending' \
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.newsletter_id = n.id \
             AND d.status IN ('queued', 'sending'))",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (id, failed) in &done {
            let status = if *failed > 0 {
                NewsletterState::Failed
            } else {
                NewsletterState::Sent
            }
            .as_str();
            sqlx::query("UPDATE newsletters SET status = $1, finished_at = $2 WHERE id = $3")
                .bind(status)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(done.into_iter().map(|d| d.0).collect())
    }

    /// Whether any delivery is waiting, now or later (a worker has something to do).
    pub async fn deliveries_waiting(&self) -> Result<bool, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM deliveries WHERE status IN ('queued', 'sending') LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// The failed deliveries of a newsletter, with the reasons.
    pub async fn failed_deliveries(
        &self,
        newsletter_id: i64,
        limit: i64,
    ) -> Result<Vec<FailedDelivery>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT s.email, d.error, d.attempts FROM deliveries d \
             JOIN subscribers s ON s.id = d.subscriber_id \
             WHERE d.newsletter_id = $1 AND d.status = 'failed' ORDER BY d.id LIMIT $2",
        )
        .bind(newsletter_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(email, error, attempts)| FailedDelivery {
                email,
                error,
                attempts,
            })
            .collect())
    }

    /// The editor's plan for a digest edition (empty when none was saved).
    pub async fn digest_plan(&self, edition: &str) -> Result<DigestPlan, StoreError> {
        let row: Option<(String, String, String)> =
            sqlx::query_as("SELECT intro, ordered, dropped FROM digest_plans WHERE edition = $1")
                .bind(edition)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row
            .map(|(intro, ordered, dropped)| DigestPlan {
                intro,
                ordered: parse_ids(&ordered),
                dropped: parse_ids(&dropped),
            })
            .unwrap_or_default())
    }

    /// Saves the editor's plan for a digest edition.
    pub async fn save_digest_plan(
        &self,
        edition: &str,
        plan: &DigestPlan,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO digest_plans (edition, intro, ordered, dropped, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (edition) DO UPDATE SET \
             intro = excluded.intro, ordered = excluded.ordered, dropped = excluded.dropped, \
             updated_at = excluded.updated_at",
        )
        .bind(edition)
        .bind(&plan.intro)
        .bind(ids_text(&plan.ordered))
        .bind(ids_text(&plan.dropped))
        .bind(Utc::now().timestamp())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Adds counted reads: `(article id, hour since the epoch, reads)`. Unknown articles are ignored.
    pub async fn add_reads(&self, counts: &[(i64, i64, i64)]) -> Result<(), StoreError> {
        if counts.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        for (article, hour, reads) in counts {
            sqlx::query(
                "INSERT INTO article_reads (article_id, hour, reads) \
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM articles WHERE id = $1) \
                 ON CONFLICT (article_id, hour) DO UPDATE SET reads = article_reads.reads + excluded.reads",
            )
            .bind(article)
            .bind(hour)
            .bind(reads)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ids of the published articles at these slugs.
    pub async fn article_ids_by_slug(
        &self,
        slugs: &[String],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut out = HashMap::new();
        for chunk in slugs.chunks(200) {
            let marks = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT slug, id FROM articles WHERE status = 'published' AND slug IN ({marks})"
            );
            let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
            for s in chunk {
                q = q.bind(s.clone());
            }
            out.extend(q.fetch_all(&self.pool).await?);
        }
        Ok(out)
    }

    /// Reads per article since `since` (whole hours), for the given articles.
    pub async fn reads_since(
        &self,
        ids: &[i64],
        since: DateTime<Utc>,
    ) -> Result<HashMap<i64, i64>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT article_id, CAST(SUM(reads) AS BIGINT) FROM article_reads WHERE hour >= $1 \
             AND article_id IN ({}) GROUP BY article_id",
            ids_text(ids)
        );
        let rows: Vec<(i64, i64)> = sqlx::query_as(&sql)
            .bind(since.timestamp() / 3600)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Forgets read counts older than `before` (they only ever rank the last day).
    pub async fn prune_reads(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM article_reads WHERE hour < $1")
            .bind(before.timestamp() / 3600)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
