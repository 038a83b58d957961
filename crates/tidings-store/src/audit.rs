//! The audit log: who did what, when, from where.

use chrono::{DateTime, Utc};

use crate::db::{now, Store};
use crate::error::StoreError;

/// One line of the audit log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (email), if anyone was signed in.
    pub user: Option<String>,
    /// What, e.g. `article.publish`.
    pub action: String,
    /// On what, e.g. the article's slug.
    pub subject: String,
    /// From which address.
    pub ip: String,
}

impl Store {
    /// Appends to the audit log.
    pub async fn audit(
        &self,
        user_id: Option<i64>,
        action: &str,
        subject: &str,
        ip: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at, user_id, action, subject, ip) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(now())
        .bind(user_id)
        .bind(action)
        .bind(subject)
        .bind(ip)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The latest entries, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT a.at, u.email AS user_email, a.action, a.subject, a.ip FROM audit_log a \
             LEFT JOIN users u ON u.id = a.user_id ORDER BY a.at DESC, a.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: DateTime::from_timestamp(r.try_get("at")?, 0)
                        .unwrap_or(DateTime::UNIX_EPOCH),
                    user: r.try_get("user_email")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    ip: r.try_get("ip")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}
