//! Outbound webhooks: endpoints registered in the admin, and each delivery of an event to one of
//! them. A delivery is written with the job that sends it, in one transaction, so an event is
//! never queued without its sender nor sent twice as two deliveries.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::Store;
use crate::error::StoreError;
use crate::jobs::{enqueue_in, NewJob};

/// The events an endpoint may receive (each queued inside the write it reports).
pub const WEBHOOK_EVENTS: [&str; 7] = [
    "article.published",
    "article.updated",
    "article.unpublished",
    "subscriber.confirmed",
    "subscriber.unsubscribed",
    "donation.succeeded",
    "donation.refunded",
];

/// The job that sends one delivery.
pub const DELIVER_JOB: &str = "webhook.deliver";
/// Attempts per delivery: with pauses doubling from a minute up to an hour, about a day.
pub const DELIVERY_ATTEMPTS: i64 = 30;

/// An address that receives some events.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WebhookEndpoint {
    /// Row id.
    pub id: i64,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The events it receives.
    pub events: Vec<String>,
    /// The signing secret.
    pub secret: String,
    /// What it is for.
    pub description: String,
    /// When it was added (Unix seconds).
    pub created_at: i64,
}

/// One event for one endpoint, with what its attempts met.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WebhookDelivery {
    /// Row id.
    pub id: i64,
    /// The endpoint.
    pub endpoint_id: i64,
    /// The event's name.
    pub event: String,
    /// The event's id, the same on every attempt.
    pub event_id: String,
    /// The JSON body sent.
    pub payload: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last answer's HTTP status, if any came.
    pub last_status: Option<i64>,
    /// Why the last attempt failed, if it did.
    pub last_error: String,
    /// When the event happened (Unix seconds).
    pub created_at: i64,
    /// When it was last tried.
    pub last_attempt_at: Option<i64>,
}

fn endpoint_from_row(r: &AnyRow) -> Result<WebhookEndpoint, sqlx::Error> {
    let events: String = r.try_get("events")?;
    Ok(WebhookEndpoint {
        id: r.try_get("id")?,
        url: r.try_get("url")?,
        events: events.split_whitespace().map(str::to_string).collect(),
        secret: r.try_get("secret")?,
        description: r.try_get("description")?,
        created_at: r.try_get("created_at")?,
    })
}

fn delivery_from_row(r: &AnyRow) -> Result<WebhookDelivery, sqlx::Error> {
    Ok(WebhookDelivery {
        id: r.try_get("id")?,
        endpoint_id: r.try_get("endpoint_id")?,
        event: r.try_get("event")?,
        event_id: r.try_get("event_id")?,
        payload: r.try_get("payload")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        last_status: r.try_get("last_status")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        last_attempt_at: r.try_get("last_attempt_at")?,
    })
}

const ENDPOINT_COLUMNS: &str = "id, url, events, secret, description, created_at";
const DELIVERY_COLUMNS: &str = "id, endpoint_id, event, event_id, payload, status, attempts, \
    last_status, last_error, created_at, last_attempt_at";

/// Queues `event` with `data` for every endpoint that receives it, inside the write that caused
/// it, so the event goes out exactly when the change commits (and never when it rolls back).
pub(crate) async fn event_in(
    tx: &mut sqlx::AnyConnection,
    event: &str,
    data: serde_json::Value,
    now: i64,
) -> Result<(), StoreError> {
    let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE disabled_at IS NULL");
    let endpoints: Vec<WebhookEndpoint> = sqlx::query(&sql)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(endpoint_from_row)
        .collect::<Result<_, _>>()?;
    let targets: Vec<i64> = endpoints
        .iter()
        .filter(|e| e.events.iter().any(|x| x == event))
        .map(|e| e.id)
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    let event_id = format!("evt_{}", random_id());
    let payload = serde_json::json!({
        "id": event_id, "type": event, "created": now, "data": data,
    })
    .to_string();
    for endpoint in targets {
        insert_delivery(tx, endpoint, event, &event_id, &payload, now).await?;
    }
    Ok(())
}

/// Queues `event` about article `id` (pages are not announced).
pub(crate) async fn article_event_in(
    tx: &mut sqlx::AnyConnection,
    event: &str,
    id: i64,
    now: i64,
) -> Result<(), StoreError> {
    let row: Option<(String, String, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT slug, title, kind, status, published_at FROM articles WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((slug, title, kind, status, published_at)) = row else {
        return Ok(());
    };
    if kind != "article" {
        return Ok(());
    }
    let (base,): (String,) = sqlx::query_as("SELECT site_url FROM site_state WHERE id = 1")
        .fetch_one(&mut *tx)
        .await?;
    let data = serde_json::json!({
        "id": id, "slug": slug, "title": title, "status": status,
        "url": format!("{}/{slug}/", base.trim_end_matches('/')),
        "published_at": published_at,
    });
    event_in(tx, event, data, now).await
}

/// Queues `event` about subscriber `id`.
pub(crate) async fn subscriber_event_in(
    tx: &mut sqlx::AnyConnection,
    event: &str,
    id: i64,
    now: i64,
) -> Result<(), StoreError> {
    let row: Option<(String, String, String)> =
        sqlx::query_as("SELECT email, name, status FROM subscribers WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((email, name, status)) = row else {
        return Ok(());
    };
    let data = serde_json::json!({ "id": id, "email": email, "name": name, "status": status });
    event_in(tx, event, data, now).await
}

/// Queues `event` about gift `id`.
pub(crate) async fn donation_event_in(
    tx: &mut sqlx::AnyConnection,
    event: &str,
    id: i64,
    now: i64,
) -> Result<(), StoreError> {
    let row = sqlx::query(
        "SELECT d.amount, d.total, d.refunded_amount, d.currency, d.frequency, d.status, \
         d.anonymous, o.email FROM donations d JOIN donors o ON o.id = d.donor_id WHERE d.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(r) = row else {
        return Ok(());
    };
    let data = serde_json::json!({
        "id": id,
        "amount": r.try_get::<i64, _>("amount")?,
        "total": r.try_get::<i64, _>("total")?,
        "refunded_amount": r.try_get::<i64, _>("refunded_amount")?,
        "currency": r.try_get::<String, _>("currency")?,
        "frequency": r.try_get::<String, _>("frequency")?,
        "status": r.try_get::<String, _>("status")?,
        "anonymous": r.try_get::<i64, _>("anonymous")? != 0,
        "email": r.try_get::<String, _>("email")?,
    });
    event_in(tx, event, data, now).await
}

/// 24 random hex characters for an event id.
fn random_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One delivery and the job that sends it.
async fn insert_delivery(
    tx: &mut sqlx::AnyConnection,
    endpoint: i64,
    event: &str,
    event_id: &str,
    payload: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO webhook_deliveries (endpoint_id, event, event_id, payload, status, \
         created_at) VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id",
    )
    .bind(endpoint)
    .bind(event)
    .bind(event_id)
    .bind(payload)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let mut job = NewJob::new(DELIVER_JOB, format!("{{\"delivery\":{id}}}"), now);
    job.max_attempts = DELIVERY_ATTEMPTS;
    enqueue_in(tx, &job, now).await?;
    Ok(id)
}

impl Store {
    /// Registers an endpoint.
    pub async fn create_webhook(
        &self,
        url: &str,
        events: &[&str],
        secret: &str,
        description: &str,
        now: i64,
    ) -> Result<WebhookEndpoint, StoreError> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO webhook_endpoints (url, events, secret, description, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(url)
        .bind(events.join(" "))
        .bind(secret)
        .bind(description)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        self.webhook(id)
            .await?
            .ok_or(StoreError::NotFound("webhook endpoint"))
    }

    /// The endpoints in use, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE disabled_at IS NULL ORDER BY id"
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(endpoint_from_row)
            .collect::<Result<_, _>>()?)
    }

    /// One endpoint in use.
    pub async fn webhook(&self, id: i64) -> Result<Option<WebhookEndpoint>, StoreError> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND disabled_at IS NULL"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(endpoint_from_row).transpose()?)
    }

    /// Stops sending to an endpoint (its log stays); false when there was none.
    pub async fn disable_webhook(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Queues `event` for every endpoint that receives it (or only `only`), each delivery with
    /// its sending job, in one transaction. Answers the deliveries' ids.
    pub async fn queue_webhook_event(
        &self,
        event: &str,
        event_id: &str,
        payload: &str,
        only: Option<i64>,
        now: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let targets: Vec<i64> = self
            .webhooks()
            .await?
            .into_iter()
            .filter(|e| match only {
                Some(id) => e.id == id,
                None => e.events.iter().any(|x| x == event),
            })
            .map(|e| e.id)
            .collect();
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write_tx().await?;
        let mut ids = Vec::new();
        for endpoint in targets {
            ids.push(insert_delivery(&mut tx, endpoint, event, event_id, payload, now).await?);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// A delivery and its endpoint (even one disabled since, so the attempt can say so).
    pub async fn webhook_delivery(
        &self,
        id: i64,
    ) -> Result<Option<(WebhookDelivery, Option<WebhookEndpoint>)>, StoreError> {
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1");
        let Some(row) = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let delivery = delivery_from_row(&row)?;
        let endpoint = self.webhook(delivery.endpoint_id).await?;
        Ok(Some((delivery, endpoint)))
    }

    /// Records one attempt: its answer's status (if any), why it failed (empty when it did not),
    /// and where the delivery stands now.
    pub async fn record_webhook_attempt(
        &self,
        id: i64,
        answer: Option<i64>,
        error: &str,
        status: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, \
             last_error = $3, status = $4, last_attempt_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(answer)
        .bind(error)
        .bind(status)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Deletes finished deliveries (succeeded or given up) created before `before`; those still
    /// being retried stay, whatever their age. Answers how many went.
    pub async fn prune_webhook_deliveries(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1",
        )
        .bind(before)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// An endpoint's latest deliveries, newest first.
    pub async fn webhook_deliveries(
        &self,
        endpoint_id: i64,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 \
             ORDER BY id DESC LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(endpoint_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(delivery_from_row)
            .collect::<Result<_, _>>()?)
    }
}
