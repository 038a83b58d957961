//! The editor's plan for a digest edition, and the read counts that rank its stories.

use super::*;

impl Store {
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
