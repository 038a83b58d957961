//! The admin list, its totals and the money raised over time.

use super::*;

impl Store {
    /// Gifts newest first (by id), below id `before`.
    pub async fn donations_page(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Donation>, StoreError> {
        let sql = format!(
            "SELECT {DONATION_COLUMNS} FROM donations d JOIN donors o ON o.id = d.donor_id \
             WHERE d.id < $1 ORDER BY d.id DESC LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(donation_from_row)
            .collect::<Result<_, _>>()?)
    }

    /// Donations for the admin, newest first (up to the filter's limit), and totals per currency of
    /// what succeeded within the filter, however many there are (gross, fees covered, refunded, count).
    pub async fn list_donations(
        &self,
        f: &DonationFilter,
    ) -> Result<(Vec<Donation>, Vec<(String, i64, i64, i64, i64)>), StoreError> {
        let mut clauses = vec![
            "(o.email LIKE $1 OR LOWER(o.first_name || ' ' || o.last_name) LIKE $1)".to_string(),
        ];
        let mut binds: Vec<String> = vec![format!(
            "%{}%",
            f.query.trim().to_lowercase().replace(['%', '_'], "")
        )];
        if let Some(s) = f.status {
            binds.push(s.as_str().to_string());
            clauses.push(format!("d.status = ${}", binds.len()));
        }
        if let Some(c) = &f.currency {
            binds.push(c.clone());
            clauses.push(format!("d.currency = ${}", binds.len()));
        }
        let mut ints: Vec<i64> = Vec::new();
        if let Some(t) = f.since {
            ints.push(t.timestamp());
            clauses.push(format!("d.created_at >= ${}", binds.len() + ints.len()));
        }
        if let Some(t) = f.until {
            ints.push(t.timestamp());
            clauses.push(format!("d.created_at < ${}", binds.len() + ints.len()));
        }
        let filter = clauses.join(" AND ");
        let sql = format!(
            "SELECT {DONATION_COLUMNS} FROM donations d JOIN donors o ON o.id = d.donor_id \
             WHERE {filter} ORDER BY d.created_at DESC, d.id DESC LIMIT {}",
            f.limit.unwrap_or(i64::MAX).max(0)
        );
        let mut q = sqlx::query(&sql);
        for b in &binds {
            q = q.bind(b.clone());
        }
        for i in &ints {
            q = q.bind(*i);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let list = rows
            .iter()
            .map(donation_from_row)
            .collect::<Result<_, _>>()?;
        let sql = format!(
            "SELECT d.currency, CAST(SUM(d.total) AS BIGINT), CAST(SUM(d.fee) AS BIGINT), \
             CAST(SUM(d.refunded_amount) AS BIGINT), COUNT(*) FROM donations d \
             JOIN donors o ON o.id = d.donor_id WHERE {filter} AND d.status IN ('succeeded', 'refunded') \
             GROUP BY d.currency ORDER BY d.currency"
        );
        let mut q = sqlx::query_as::<_, (String, i64, i64, i64, i64)>(&sql);
        for b in &binds {
            q = q.bind(b.clone());
        }
        for i in &ints {
            q = q.bind(*i);
        }
        let totals = q.fetch_all(&self.pool).await?;
        Ok((list, totals))
    }

    /// Money raised per UTC day over the last `days` days, in one currency (net of refunds).
    pub async fn raised_by_day(
        &self,
        currency: &str,
        days: i64,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let today = now() / 86_400;
        let first = today - days + 1;
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT CAST(completed_at / 86400 AS BIGINT), CAST(SUM(amount - refunded_amount) AS BIGINT) \
             FROM donations WHERE currency = $1 AND status IN ('succeeded', 'refunded') \
             AND completed_at >= $2 GROUP BY CAST(completed_at / 86400 AS BIGINT)",
        )
        .bind(currency)
        .bind(first * 86_400)
        .fetch_all(&self.pool)
        .await?;
        let by_day: std::collections::HashMap<i64, i64> = rows.into_iter().collect();
        Ok((first..=today)
            .map(|d| (d * 86_400, by_day.get(&d).copied().unwrap_or(0)))
            .collect())
    }
}
