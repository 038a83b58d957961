//! The newsroom's week at a glance: reads, new subscribers and gifts per day.

use std::collections::HashMap;

use crate::db::Store;
use crate::error::StoreError;

/// One UTC day's activity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DayActivity {
    /// Days since the epoch.
    pub day: i64,
    /// Story reads counted.
    pub reads: i64,
    /// Subscribers who confirmed.
    pub subscribers: i64,
    /// Gifts completed.
    pub gifts: i64,
}

impl Store {
    /// The last `days` UTC days up to `today` (days since the epoch), oldest first, every day present.
    pub async fn daily_activity(
        &self,
        today: i64,
        days: i64,
    ) -> Result<Vec<DayActivity>, StoreError> {
        let first = today - days + 1;
        let queries = [
            "SELECT CAST(hour / 24 AS BIGINT), CAST(SUM(reads) AS BIGINT) FROM article_reads \
             WHERE hour >= $1 * 24 GROUP BY CAST(hour / 24 AS BIGINT)",
            "SELECT CAST(confirmed_at / 86400 AS BIGINT), COUNT(*) FROM subscribers \
             WHERE confirmed_at >= $1 * 86400 GROUP BY CAST(confirmed_at / 86400 AS BIGINT)",
            "SELECT CAST(completed_at / 86400 AS BIGINT), COUNT(*) FROM donations \
             WHERE status IN ('succeeded', 'refunded') AND completed_at >= $1 * 86400 \
             GROUP BY CAST(completed_at / 86400 AS BIGINT)",
        ];
        let mut counts: Vec<HashMap<i64, i64>> = Vec::with_capacity(queries.len());
        for sql in queries {
            let rows: Vec<(i64, i64)> = sqlx::query_as(sql)
                .bind(first)
                .fetch_all(&self.pool)
                .await?;
            counts.push(rows.into_iter().collect());
        }
        Ok((first..=today)
            .map(|day| DayActivity {
                day,
                reads: counts[0].get(&day).copied().unwrap_or(0),
                subscribers: counts[1].get(&day).copied().unwrap_or(0),
                gifts: counts[2].get(&day).copied().unwrap_or(0),
            })
            .collect())
    }
}
