//! Donation forms and campaigns.

use super::*;

impl Store {
    /// Creates the default form at `/donate/` if there is none yet.
    pub async fn ensure_default_form(&self, currency: &str, scale: i64) -> Result<(), StoreError> {
        let t = now();
        let presets = [25, 50, 100, 250]
            .iter()
            .map(|p| (p * scale).to_string())
            .collect::<Vec<_>>()
            .join(",");
        sqlx::query(
            "INSERT INTO donation_forms (slug, title, body, currency, presets, default_amount, \
             minimum, maximum, allow_monthly, offer_fee_cover, created_at, updated_at) \
             VALUES ('default', 'Support independent journalism', '', $1, $2, $3, $4, $5, 1, 1, $6, $6) \
             ON CONFLICT (slug) DO NOTHING",
        )
        .bind(currency)
        .bind(presets)
        .bind(100 * scale)
        .bind(5 * scale)
        .bind(10_000 * scale)
        .bind(t)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The form with this slug.
    pub async fn donation_form(&self, slug: &str) -> Result<Option<DonationForm>, StoreError> {
        let sql = format!("SELECT {FORM_COLUMNS} FROM donation_forms WHERE slug = $1");
        let row = sqlx::query(&sql)
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(form_from_row).transpose()?)
    }

    /// The form with this id.
    pub async fn donation_form_by_id(&self, id: i64) -> Result<Option<DonationForm>, StoreError> {
        let sql = format!("SELECT {FORM_COLUMNS} FROM donation_forms WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(form_from_row).transpose()?)
    }

    /// Every form, the default first.
    pub async fn donation_forms(&self) -> Result<Vec<DonationForm>, StoreError> {
        let sql =
            format!("SELECT {FORM_COLUMNS} FROM donation_forms ORDER BY slug <> 'default', title");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(form_from_row).collect::<Result<_, _>>()?)
    }

    /// Creates or updates a form by slug.
    pub async fn save_donation_form(&self, f: &DonationForm) -> Result<(), StoreError> {
        let t = now();
        let presets = f
            .presets
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        sqlx::query(
            "INSERT INTO donation_forms (slug, title, body, currency, presets, default_amount, \
             minimum, maximum, allow_monthly, offer_fee_cover, campaign_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
             ON CONFLICT (slug) DO UPDATE SET title = excluded.title, body = excluded.body, \
             currency = excluded.currency, presets = excluded.presets, \
             default_amount = excluded.default_amount, minimum = excluded.minimum, \
             maximum = excluded.maximum, allow_monthly = excluded.allow_monthly, \
             offer_fee_cover = excluded.offer_fee_cover, campaign_id = excluded.campaign_id, \
             updated_at = excluded.updated_at",
        )
        .bind(&f.slug)
        .bind(&f.title)
        .bind(&f.body)
        .bind(&f.currency)
        .bind(presets)
        .bind(f.default_amount)
        .bind(f.minimum)
        .bind(f.maximum)
        .bind(i64::from(f.allow_monthly))
        .bind(i64::from(f.offer_fee_cover))
        .bind(f.campaign_id)
        .bind(t)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Creates a campaign (or updates the one with this slug) and returns its id.
    pub async fn save_campaign(
        &self,
        slug: &str,
        title: &str,
        goal: i64,
        currency: &str,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO campaigns (slug, title, goal, currency, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (slug) DO UPDATE SET title = excluded.title, goal = excluded.goal, \
             currency = excluded.currency RETURNING id",
        )
        .bind(slug)
        .bind(title)
        .bind(goal)
        .bind(currency)
        .bind(now())
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// Every campaign.
    pub async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY created_at DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(campaign_from_row)
            .collect::<Result<_, _>>()
            .map_err(StoreError::from)
    }

    /// A campaign with what it has raised in its currency (net of refunds) and how many donors gave.
    pub async fn campaign_progress(
        &self,
        id: i64,
    ) -> Result<Option<(Campaign, i64, i64)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let c = campaign_from_row(&row)?;
        let (raised, donors): (Option<i64>, i64) = sqlx::query_as(
            "SELECT CAST(SUM(amount - refunded_amount) AS BIGINT), COUNT(DISTINCT donor_id) \
             FROM donations WHERE campaign_id = $1 AND currency = $2 AND status IN ('succeeded', 'refunded')",
        )
        .bind(id)
        .bind(&c.currency)
        .fetch_one(&self.pool)
        .await?;
        Ok(Some((c, raised.unwrap_or(0).max(0), donors)))
    }
}

const CAMPAIGN_COLUMNS: &str = "id, slug, title, goal, currency";

fn campaign_from_row(row: &sqlx::any::AnyRow) -> Result<Campaign, sqlx::Error> {
    use sqlx::Row;
    Ok(Campaign {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        title: row.try_get("title")?,
        goal: row.try_get("goal")?,
        currency: row.try_get("currency")?,
    })
}
