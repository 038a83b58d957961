//! What readers search for, week by week: how often each query was asked and how many results
//! it last had. Counts only: no address, session or time of day is kept.

use crate::error::StoreError;
use crate::Store;

/// A query and its counts for one week.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueryCount {
    /// The query, normalised.
    pub query: String,
    /// How often it was asked.
    pub searches: i64,
    /// How many results it had the last time.
    pub last_results: i64,
}

impl Store {
    /// Adds `searches` askings of `query` in `week` (`YYYY-Www`), which last found `results`.
    pub async fn count_search(
        &self,
        week: &str,
        query: &str,
        searches: i64,
        results: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO search_queries (week, query, searches, last_results) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (week, query) DO UPDATE SET searches = search_queries.searches + EXCLUDED.searches, \
             last_results = EXCLUDED.last_results",
        )
        .bind(week)
        .bind(query)
        .bind(searches)
        .bind(results)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The week's most asked queries; with `only_empty`, those that found nothing.
    pub async fn top_searches(
        &self,
        week: &str,
        only_empty: bool,
        limit: i64,
    ) -> Result<Vec<QueryCount>, StoreError> {
        let filter = if only_empty {
            " AND last_results = 0"
        } else {
            ""
        };
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
            "SELECT query, searches, last_results FROM search_queries WHERE week = $1{filter} \
             ORDER BY searches DESC, query LIMIT $2"
        ))
        .bind(week)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(query, searches, last_results)| QueryCount {
                query,
                searches,
                last_results,
            })
            .collect())
    }

    /// Tags whose names contain any of `words`, for a search that found nothing.
    pub async fn tags_matching(
        &self,
        words: &[&str],
        limit: i64,
    ) -> Result<Vec<crate::Tag>, StoreError> {
        let mut out: Vec<crate::Tag> = Vec::new();
        let sql = format!(
            "SELECT {} FROM tags t WHERE LOWER(t.name) LIKE $1 ORDER BY t.name LIMIT $2",
            crate::tags::TAG_COLUMNS
        );
        for word in words.iter().filter(|w| w.chars().count() >= 3).take(5) {
            let pattern = format!("%{}%", word.to_lowercase().replace(['%', '_', '\\'], ""));
            let rows = sqlx::query(&sql)
                .bind(&pattern)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
            for row in &rows {
                let tag = crate::tags::tag_from_row(row)?;
                if (out.len() as i64) < limit && out.iter().all(|t| t.id != tag.id) {
                    out.push(tag);
                }
            }
        }
        Ok(out)
    }

    /// Forgets weeks before `week` (the log is for what readers look for now).
    pub async fn prune_searches(&self, week: &str) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM search_queries WHERE week < $1")
            .bind(week)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
