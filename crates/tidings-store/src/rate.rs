//! Rate limits over a sliding window, shared by every node through the database.

use crate::db::Store;
use crate::error::StoreError;

/// A limit: at most `max` counted requests in any `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Most requests in the window.
    pub max: i64,
    /// The window's length in seconds.
    pub window_secs: i64,
}

/// Seconds until every window of `key` has room (0 when all have).
async fn wait_in(
    conn: &mut sqlx::AnyConnection,
    key: &str,
    windows: &[Window],
    now: i64,
) -> Result<i64, StoreError> {
    let mut wait = 0;
    for w in windows {
        // The oldest of the last `max` requests inside the window decides when room opens.
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT at FROM rate_events WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT $3",
        )
        .bind(key)
        .bind(now - w.window_secs)
        .bind(w.max)
        .fetch_all(&mut *conn)
        .await?;
        if rows.len() as i64 >= w.max {
            let oldest = rows.last().map(|r| r.0).unwrap_or(now);
            wait = wait.max(oldest + w.window_secs - now).max(1);
        }
    }
    Ok(wait)
}

impl Store {
    /// Counts one request under `key` if every window still has room, and returns `None`; when
    /// one is full nothing is counted and the answer is the seconds until it has room again.
    pub async fn rate_hit(
        &self,
        key: &str,
        windows: &[Window],
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let longest = windows.iter().map(|w| w.window_secs).max().unwrap_or(0);
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM rate_events WHERE key = $1 AND at <= $2")
            .bind(key)
            .bind(now - longest)
            .execute(&mut *tx)
            .await?;
        let wait = wait_in(&mut tx, key, windows, now).await?;
        if wait > 0 {
            tx.commit().await?;
            return Ok(Some(wait));
        }
        sqlx::query("INSERT INTO rate_events (key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(None)
    }

    /// Seconds until `key` has room in every window again, without counting anything.
    pub async fn rate_wait(
        &self,
        key: &str,
        windows: &[Window],
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let wait = wait_in(&mut conn, key, windows, now).await?;
        Ok((wait > 0).then_some(wait))
    }

    /// Forgets counted requests older than `before` (all keys).
    pub async fn prune_rate_events(&self, before: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM rate_events WHERE at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
