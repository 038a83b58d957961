//! Newsletter subscribers: signup (double opt-in), confirmation, unsubscribing.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::{now, Store};
use crate::error::StoreError;
use crate::states::{decode, SubscriberStatus};

/// A newsletter subscriber.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Subscriber {
    /// Row id.
    pub id: i64,
    /// Normalised address.
    pub email: String,
    /// Name, if given.
    pub name: String,
    /// Where they stand.
    pub status: SubscriberStatus,
    /// Wants the daily digest.
    pub digest: bool,
    /// Wants breaking-news alerts.
    pub breaking: bool,
    /// When consent was given.
    pub consent_at: DateTime<Utc>,
    /// Address consent came from.
    pub consent_ip: String,
    /// Page the form was on.
    pub consent_source: String,
    /// Words shown next to the form.
    pub consent_text: String,
    /// When the address was confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// What a signup found.
#[derive(Debug, Clone)]
pub enum Signup {
    /// A new address, now pending confirmation.
    New(Subscriber),
    /// Signed up before and not yet confirmed (or left earlier): pending again.
    Pending(Subscriber),
    /// Already confirmed (or suppressed): nothing changes.
    Unchanged(Subscriber),
}

/// A person to import, already validated.
#[derive(Debug, Clone)]
pub struct ImportedSubscriber {
    /// Normalised address.
    pub email: String,
    /// Name.
    pub name: String,
    /// Confirmed, pending or suppressed.
    pub status: SubscriberStatus,
    /// When they opted in elsewhere (Unix seconds), if known.
    pub consent_at: Option<i64>,
    /// Where from, if known.
    pub consent_ip: String,
    /// e.g. `import: mailchimp (file.csv)`.
    pub source: String,
}

/// Consent as recorded at signup.
#[derive(Debug, Clone, Default)]
pub struct Consent {
    /// Client address.
    pub ip: String,
    /// Page the form was on.
    pub source: String,
    /// Words shown next to the form.
    pub text: String,
}

const COLUMNS: &str = "id, email, name, status, digest, breaking, consent_at, consent_ip, \
    consent_source, consent_text, confirmed_at";

fn at(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

fn from_row(r: &AnyRow) -> Result<Subscriber, sqlx::Error> {
    let confirmed: Option<i64> = r.try_get("confirmed_at")?;
    Ok(Subscriber {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        status: decode(r, "status")?,
        digest: r.try_get::<i64, _>("digest")? != 0,
        breaking: r.try_get::<i64, _>("breaking")? != 0,
        consent_at: at(r.try_get("consent_at")?),
        consent_ip: r.try_get("consent_ip")?,
        consent_source: r.try_get("consent_source")?,
        consent_text: r.try_get("consent_text")?,
        confirmed_at: confirmed.map(at),
    })
}

impl Store {
    /// The subscriber with this id.
    pub async fn subscriber(&self, id: i64) -> Result<Option<Subscriber>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM subscribers WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// The subscriber with this (already normalised) address.
    pub async fn subscriber_by_email(&self, email: &str) -> Result<Option<Subscriber>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM subscribers WHERE email = $1");
        let row = sqlx::query(&sql)
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// Records a signup for a normalised address: new addresses and those not yet confirmed (or
    /// unsubscribed) become pending with this consent; confirmed and suppressed ones are untouched.
    pub async fn sign_up(
        &self,
        email: &str,
        name: &str,
        consent: &Consent,
    ) -> Result<Signup, StoreError> {
        let t = now();
        let mut tx = self.write_tx().await?;
        let sql = format!("SELECT {COLUMNS} FROM subscribers WHERE email = $1");
        let existing = sqlx::query(&sql)
            .bind(email)
            .fetch_optional(&mut *tx)
            .await?;
        let outcome = match existing.as_ref().map(from_row).transpose()? {
            Some(s)
                if matches!(
                    s.status,
                    SubscriberStatus::Confirmed | SubscriberStatus::Suppressed
                ) =>
            {
                Signup::Unchanged(s)
            }
            // A repeat while pending keeps the first consent record: a stranger re-submitting the
            // address must not rewrite when, where and from which page it was given.
            Some(s) if s.status == SubscriberStatus::Pending => Signup::Pending(s),
            Some(s) => {
                sqlx::query(
                    "UPDATE subscribers SET status = 'pending', consent_at = $1, consent_ip = $2, \
                     consent_source = $3, consent_text = $4, unsubscribed_at = NULL WHERE id = $5",
                )
                .bind(t)
                .bind(&consent.ip)
                .bind(&consent.source)
                .bind(&consent.text)
                .bind(s.id)
                .execute(&mut *tx)
                .await?;
                Signup::Pending(s)
            }
            None => {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO subscribers (email, name, status, consent_at, consent_ip, consent_source, \
                     consent_text, created_at) VALUES ($1, $2, 'pending', $3, $4, $5, $6, $3) RETURNING id",
                )
                .bind(email)
                .bind(name.trim())
                .bind(t)
                .bind(&consent.ip)
                .bind(&consent.source)
                .bind(&consent.text)
                .fetch_one(&mut *tx)
                .await?;
                let row = sqlx::query(&format!("SELECT {COLUMNS} FROM subscribers WHERE id = $1"))
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                Signup::New(from_row(&row)?)
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Stores a confirmation link's token hash.
    /// Records a confirmation link, with `then` (the email carrying it) queued in the same
    /// transaction.
    pub async fn create_confirmation(
        &self,
        subscriber_id: i64,
        token_hash: &str,
        ttl_secs: i64,
        then: &[crate::NewJob],
    ) -> Result<(), StoreError> {
        let t = now();
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO subscriber_tokens (token_hash, subscriber_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(subscriber_id)
        .bind(t + ttl_secs)
        .bind(t)
        .execute(&mut *tx)
        .await?;
        for job in then {
            crate::jobs::enqueue_in(&mut tx, job, t).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The subscriber a valid, unused confirmation link belongs to, without spending it.
    pub async fn peek_confirmation(
        &self,
        token_hash: &str,
    ) -> Result<Option<Subscriber>, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT subscriber_id FROM subscriber_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some((id,)) => self.subscriber(id).await,
            None => Ok(None),
        }
    }

    /// Spends a confirmation link and confirms the subscriber; `None` if expired or used.
    pub async fn confirm_subscriber(
        &self,
        token_hash: &str,
        then: &[crate::NewJob],
    ) -> Result<Option<Subscriber>, StoreError> {
        let t = now();
        let mut tx = self.write_tx().await?;
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE subscriber_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL \
             AND expires_at > $1 RETURNING subscriber_id",
        )
        .bind(t)
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id,)) = row else {
            return Ok(None);
        };
        let confirmed = sqlx::query(
            "UPDATE subscribers SET status = 'confirmed', confirmed_at = $1 WHERE id = $2 AND status = 'pending'",
        )
        .bind(t)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if confirmed.rows_affected() == 1 {
            crate::webhooks::subscriber_event_in(&mut tx, "subscriber.confirmed", id, t).await?;
        }
        // The welcome, queued with the confirmation (the outbox).
        for job in then {
            crate::jobs::enqueue_in(&mut tx, job, t).await?;
        }
        tx.commit().await?;
        self.subscriber(id).await
    }

    /// Unsubscribes at once; returns the subscriber (already unsubscribed ones are returned as they are).
    pub async fn unsubscribe(&self, id: i64) -> Result<Option<Subscriber>, StoreError> {
        let t = now();
        let mut tx = self.write_tx().await?;
        let left = sqlx::query(
            "UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = $1 \
             WHERE id = $2 AND status IN ('pending', 'confirmed')",
        )
        .bind(t)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if left.rows_affected() == 1 {
            crate::webhooks::subscriber_event_in(&mut tx, "subscriber.unsubscribed", id, t).await?;
        }
        tx.commit().await?;
        self.subscriber(id).await
    }

    /// Subscribers matching `query` (address or name), newest first, at most 200, and the count of
    /// every status across the whole list.
    pub async fn list_subscribers(
        &self,
        query: &str,
        status: Option<SubscriberStatus>,
    ) -> Result<(Vec<Subscriber>, Vec<(String, i64)>), StoreError> {
        let pattern = format!("%{}%", query.trim().to_lowercase().replace(['%', '_'], ""));
        let mut sql = format!(
            "SELECT {COLUMNS} FROM subscribers WHERE (email LIKE $1 OR LOWER(name) LIKE $1)"
        );
        if status.is_some() {
            sql.push_str(" AND status = $2");
        }
        sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT 200");
        let mut q = sqlx::query(&sql).bind(pattern);
        if let Some(s) = status {
            q = q.bind(s.as_str());
        }
        let rows = q.fetch_all(&self.pool).await?;
        let list = rows.iter().map(from_row).collect::<Result<_, _>>()?;
        let counts: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, COUNT(*) FROM subscribers GROUP BY status ORDER BY status",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok((list, counts))
    }

    /// Imports people in one transaction: new addresses are added with their status and consent,
    /// addresses already here are left as they are. Returns (added, already present).
    pub async fn import_subscribers(
        &self,
        rows: &[ImportedSubscriber],
    ) -> Result<(usize, usize), StoreError> {
        self.import_subscribers_with_progress(rows, &|_| {}).await
    }

    /// Like [`Store::import_subscribers`], telling `progress` how many rows are done now and then.
    pub async fn import_subscribers_with_progress(
        &self,
        rows: &[ImportedSubscriber],
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<(usize, usize), StoreError> {
        let t = now();
        let mut tx = self.write_tx().await?;
        let (mut added, mut present) = (0, 0);
        for r in rows {
            let done = sqlx::query(
                "INSERT INTO subscribers (email, name, status, consent_at, consent_ip, consent_source, \
                 consent_text, confirmed_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (email) DO NOTHING",
            )
            .bind(&r.email)
            .bind(&r.name)
            .bind(r.status.as_str())
            .bind(r.consent_at.unwrap_or(t))
            .bind(&r.consent_ip)
            .bind(&r.source)
            .bind("")
            .bind((r.status == SubscriberStatus::Confirmed).then(|| r.consent_at.unwrap_or(t)))
            .bind(t)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                added += 1;
            } else {
                present += 1;
            }
            if (added + present) % 1000 == 0 {
                progress(added + present);
            }
        }
        progress(added + present);
        tx.commit().await?;
        Ok((added, present))
    }

    /// Confirmed subscribers at the end of each of the last `days` UTC days, oldest first, worked
    /// back from today's count through each day's confirmations and departures.
    pub async fn subscriber_growth(&self, days: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        let today = now() / 86_400;
        let first = today - days + 1;
        let (current,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM subscribers WHERE status = 'confirmed'")
                .fetch_one(&self.pool)
                .await?;
        let per_day = |column: &str| {
            format!(
                "SELECT CAST({column} / 86400 AS BIGINT), COUNT(*) FROM subscribers \
                 WHERE {column} IS NOT NULL AND {column} >= $1 AND confirmed_at IS NOT NULL \
                 GROUP BY CAST({column} / 86400 AS BIGINT)"
            )
        };
        let mut change: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
        for (column, sign) in [
            ("confirmed_at", 1),
            ("unsubscribed_at", -1),
            ("suppressed_at", -1),
        ] {
            let rows: Vec<(i64, i64)> = sqlx::query_as(&per_day(column))
                .bind(first * 86_400)
                .fetch_all(&self.pool)
                .await?;
            for (day, n) in rows {
                *change.entry(day).or_default() += sign * n;
            }
        }
        let mut out = Vec::with_capacity(days as usize);
        let mut total = current;
        for day in (first..=today).rev() {
            out.push((day * 86_400, total.max(0)));
            total -= change.get(&day).copied().unwrap_or(0);
        }
        out.reverse();
        Ok(out)
    }

    /// Every subscriber, oldest first, for export.
    pub async fn all_subscribers(&self) -> Result<Vec<Subscriber>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM subscribers ORDER BY created_at, id");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// Subscribers (in `status`, if given) newest first, below id `before`.
    pub async fn subscribers_page(
        &self,
        status: Option<SubscriberStatus>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Subscriber>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM subscribers WHERE ($1 = '' OR status = $1) AND id < $2 \
             ORDER BY id DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(status.map(|s| s.as_str()).unwrap_or_default())
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// Suppresses an address by hand: it is never mailed again, whatever it signs up for.
    pub async fn suppress_subscriber(&self, id: i64) -> Result<Option<Subscriber>, StoreError> {
        sqlx::query(
            "UPDATE subscribers SET status = 'suppressed', suppressed_at = $1, \
             suppressed_reason = 'suppressed by hand' WHERE id = $2",
        )
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.subscriber(id).await
    }

    /// Sets which emails a subscriber wants.
    pub async fn set_preferences(
        &self,
        id: i64,
        digest: bool,
        breaking: bool,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE subscribers SET digest = $1, breaking = $2 WHERE id = $3")
            .bind(i64::from(digest))
            .bind(i64::from(breaking))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Spends a signup challenge nonce: false if it was used before.
    pub async fn use_challenge(&self, nonce: &str, expires_at: i64) -> Result<bool, StoreError> {
        let t = now();
        sqlx::query("DELETE FROM used_challenges WHERE expires_at < $1")
            .bind(t)
            .execute(&self.pool)
            .await?;
        let done = sqlx::query(
            "INSERT INTO used_challenges (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING",
        )
        .bind(nonce)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
