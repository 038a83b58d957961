//! Deliveries: claimed in batches under a lease, their outcomes, retries and failures.

use sqlx::{Any, AnyConnection, Connection};

use super::*;

impl Store {
    /// Claims up to `limit` due deliveries of newsletters being sent, for `worker` until
    /// `lease_until`. Another worker never gets the same rows while the lease holds.
    pub async fn claim_deliveries(
        &self,
        worker: &str,
        limit: i64,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let lock = self.skip_locked();
        let mut tx = self.write_tx().await?;
        // Breaking-news alerts go before anything else waiting (a digest to many thousands must not
        // hold back news); then everything in queue order.
        let mut claimed: Vec<(i64,)> = Vec::new();
        // Only look for alerts when one is being sent: the scoped query costs a scan otherwise.
        let breaking: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM newsletters WHERE kind = $1 AND status = $2")
                .bind(Audience::Breaking.as_str())
                .bind(NewsletterState::Sending.as_str())
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
                "UPDATE deliveries SET status = $5, claimed_by = $1, lease_until = $2 \
                 WHERE id IN (SELECT id FROM deliveries WHERE status = $6 \
                 AND next_attempt_at <= $3 {scope} ORDER BY id LIMIT $4 {lock}) \
                 RETURNING id"
            );
            let rows: Vec<(i64,)> = sqlx::query_as(&sql)
                .bind(worker)
                .bind(lease_until.timestamp())
                .bind(now.timestamp())
                .bind(room)
                .bind(DeliveryState::Sending.as_str())
                .bind(DeliveryState::Queued.as_str())
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
            "SELECT d.id AS id, d.newsletter_id AS newsletter_id, d.subscriber_id AS subscriber_id, \
             s.email AS email, s.name AS name, d.attempts AS attempts, \
             CAST(CASE WHEN s.status = $1 AND \
               ((n.kind = $2 AND s.digest = 1) OR (n.kind = $3 AND s.breaking = 1)) \
               THEN 1 ELSE 0 END AS BIGINT) AS wanted \
             FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id \
             JOIN newsletters n ON n.id = d.newsletter_id \
             WHERE d.id IN ({}) ORDER BY CASE WHEN n.kind = $3 THEN 0 ELSE 1 END, d.id",
            ids_text(&ids)
        );
        let rows = sqlx::query(&sql)
            .bind(SubscriberStatus::Confirmed.as_str())
            .bind(Audience::Digest.as_str())
            .bind(Audience::Breaking.as_str())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(ClaimedDelivery {
                    id: r.try_get("id")?,
                    newsletter_id: r.try_get("newsletter_id")?,
                    subscriber_id: r.try_get("subscriber_id")?,
                    email: r.try_get("email")?,
                    name: r.try_get("name")?,
                    attempts: r.try_get("attempts")?,
                    wanted: r.try_get::<i64, _>("wanted")? != 0,
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
        // On PostgreSQL the rows the recorder is finishing at this moment are skipped, not
        // waited for: both statements lock many rows, in orders of their own, and waiting here
        // deadlocked the two (seen in a send to a million). A row being finished needs no lease.
        let done = sqlx::query(&format!(
            "UPDATE deliveries SET lease_until = $1 WHERE id IN (SELECT id FROM deliveries \
             WHERE status = $3 AND claimed_by = $2 {})",
            self.skip_locked()
        ))
        .bind(lease_until.timestamp())
        .bind(worker)
        .bind(DeliveryState::Sending.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// What a row-locking subquery adds on PostgreSQL so that it passes over rows another
    /// transaction holds (SQLite has one writer at a time and no such clause).
    fn skip_locked(&self) -> &'static str {
        match self.backend() {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// Returns to the queue every claim whose lease ran out (its worker died or hung).
    pub async fn release_expired_deliveries(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query(&format!(
            "UPDATE deliveries SET status = $2, claimed_by = '' WHERE id IN (SELECT id \
             FROM deliveries WHERE status = $3 AND lease_until < $1 {})",
            self.skip_locked()
        ))
        .bind(now.timestamp())
        .bind(DeliveryState::Queued.as_str())
        .bind(DeliveryState::Sending.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Records how claimed deliveries ended, atomically (the sender gathers the outcomes of all
    /// its connections, so a large send commits far fewer times than it sends). A refusal also
    /// suppresses the address.
    pub async fn record_deliveries(
        &self,
        outcomes: &[(i64, DeliveryOutcome)],
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        record(&mut conn, self.backend(), outcomes).await
    }

    /// A recorder that keeps one connection for a whole send. On SQLite each connection caches
    /// the pages it read until another connection writes; the pool hands its connections out in
    /// turn, so recording on whichever came next re-read the same pages from disk for every
    /// commit. A pool of one connection is not held (the send's claims need it too).
    pub async fn delivery_recorder(&self) -> Result<DeliveryRecorder, StoreError> {
        let kept = if self.pool.options().get_max_connections() > 1 {
            Some(self.pool.acquire().await?)
        } else {
            None
        };
        Ok(DeliveryRecorder {
            store: self.clone(),
            kept,
        })
    }

    /// Folds the delivery rows of newsletters that finished before `before` into their counts and
    /// removes the rows, one newsletter per transaction. Returns the rows removed.
    pub async fn archive_deliveries(&self, before: i64) -> Result<u64, StoreError> {
        let due: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM newsletters WHERE status <> $1 AND finished_at < $2 \
             AND archived_counts IS NULL ORDER BY id",
        )
        .bind(NewsletterState::Sending.as_str())
        .bind(before)
        .fetch_all(&self.pool)
        .await?;
        let mut removed = 0;
        for (id,) in due {
            let counts = self
                .delivery_counts(&[id])
                .await?
                .remove(&id)
                .unwrap_or_default();
            let mut tx = self.write_tx().await?;
            sqlx::query("UPDATE newsletters SET archived_counts = $1 WHERE id = $2")
                .bind(serde_json::to_string(&counts).unwrap_or_default())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            removed += sqlx::query("DELETE FROM deliveries WHERE newsletter_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
        }
        Ok(removed)
    }

    /// Marks newsletters whose deliveries are all settled as `sent` (none failed) or `failed`.
    /// Returns the ids that finished now.
    pub async fn finish_newsletters(&self) -> Result<Vec<i64>, StoreError> {
        let now = Utc::now().timestamp();
        let mut tx = self.write_tx().await?;
        let done: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT n.id, (SELECT COUNT(*) FROM deliveries f WHERE f.newsletter_id = n.id \
             AND f.status = $1) FROM newsletters n WHERE n.status = $2 AND n.queueing = 0 \
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.newsletter_id = n.id \
             AND d.status IN ($3, $4))",
        )
        .bind(DeliveryState::Failed.as_str())
        .bind(NewsletterState::Sending.as_str())
        .bind(DeliveryState::Queued.as_str())
        .bind(DeliveryState::Sending.as_str())
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
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM deliveries WHERE status IN ($1, $2) LIMIT 1")
                .bind(DeliveryState::Queued.as_str())
                .bind(DeliveryState::Sending.as_str())
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
             WHERE d.newsletter_id = $1 AND d.status = $3 ORDER BY d.id LIMIT $2",
        )
        .bind(newsletter_id)
        .bind(limit)
        .bind(DeliveryState::Failed.as_str())
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
}

/// Records a send's outcomes on a connection of its own (see [`Store::delivery_recorder`]).
pub struct DeliveryRecorder {
    store: Store,
    kept: Option<sqlx::pool::PoolConnection<Any>>,
}

impl DeliveryRecorder {
    /// Like [`Store::record_deliveries`], on the kept connection.
    pub async fn record(&mut self, outcomes: &[(i64, DeliveryOutcome)]) -> Result<(), StoreError> {
        match &mut self.kept {
            Some(conn) => record(conn, self.store.backend(), outcomes).await,
            None => self.store.record_deliveries(outcomes).await,
        }
    }
}

async fn record(
    conn: &mut AnyConnection,
    backend: Backend,
    outcomes: &[(i64, DeliveryOutcome)],
) -> Result<(), StoreError> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let now = Utc::now().timestamp();
    let of = |wanted: fn(&DeliveryOutcome) -> bool| -> Vec<i64> {
        outcomes
            .iter()
            .filter(|(_, o)| wanted(o))
            .map(|(id, _)| *id)
            .collect()
    };
    let sent = of(|o| matches!(o, DeliveryOutcome::Sent));
    let skipped = of(|o| matches!(o, DeliveryOutcome::Skipped));
    let sent_sql = format!(
        "UPDATE deliveries SET status = $2, sent_at = $1, attempts = attempts + 1, \
         error = '' WHERE id IN ({})",
        ids_text(&sent)
    );
    let record_sent = || {
        sqlx::query(&sent_sql)
            .bind(now)
            .bind(DeliveryState::Sent.as_str())
    };
    if sent.len() == outcomes.len() {
        // Nearly every batch of a large send: one statement, atomic on its own, which saves
        // the transaction's two extra round trips to the database on every commit.
        record_sent().execute(&mut *conn).await?;
        return Ok(());
    }
    let mut tx = match backend {
        Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => conn.begin().await?,
    };
    if !sent.is_empty() {
        record_sent().execute(&mut *tx).await?;
    }
    if !skipped.is_empty() {
        sqlx::query(&format!(
            "UPDATE deliveries SET status = $1 WHERE id IN ({})",
            ids_text(&skipped)
        ))
        .bind(DeliveryState::Skipped.as_str())
        .execute(&mut *tx)
        .await?;
    }
    for (delivery_id, outcome) in outcomes {
        match outcome {
            DeliveryOutcome::Sent | DeliveryOutcome::Skipped => {}
            DeliveryOutcome::Retry { error, retry_at } => {
                let (status, next) = match retry_at {
                    Some(t) => (DeliveryState::Queued, t.timestamp()),
                    None => (DeliveryState::Failed, now),
                };
                sqlx::query(
                    "UPDATE deliveries SET status = $1, next_attempt_at = $2, \
                     attempts = attempts + 1, error = $3, claimed_by = '' WHERE id = $4",
                )
                .bind(status.as_str())
                .bind(next)
                .bind(error)
                .bind(delivery_id)
                .execute(&mut *tx)
                .await?;
            }
            DeliveryOutcome::Refused { error } => {
                sqlx::query(
                    "UPDATE deliveries SET status = $3, attempts = attempts + 1, error = $1, \
                     claimed_by = '' WHERE id = $2",
                )
                .bind(error)
                .bind(delivery_id)
                .bind(DeliveryState::Failed.as_str())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE subscribers SET status = $4, suppressed_at = $1, \
                     suppressed_reason = $2 WHERE id = (SELECT subscriber_id FROM deliveries \
                     WHERE id = $3) AND status <> $5",
                )
                .bind(now)
                .bind(error)
                .bind(delivery_id)
                .bind(SubscriberStatus::Suppressed.as_str())
                .bind(SubscriberStatus::Unsubscribed.as_str())
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}
