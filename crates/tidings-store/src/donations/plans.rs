//! Monthly plans, and donors: their history and their portal links.

use super::*;

impl Store {
    /// Starts a monthly plan for a donor (pending until the first payment succeeds).
    pub async fn create_plan(
        &self,
        donor_id: i64,
        form_id: Option<i64>,
        amount: i64,
        fee: i64,
        currency: &str,
        gateway: GatewayKind,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO recurring_plans (donor_id, form_id, amount, fee, currency, status, gateway, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) RETURNING id",
        )
        .bind(donor_id)
        .bind(form_id)
        .bind(amount)
        .bind(fee)
        .bind(currency)
        .bind(gateway.as_str())
        .bind(now())
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// Links a donation to its plan.
    pub async fn set_donation_plan(&self, donation: i64, plan: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE donations SET plan_id = $1 WHERE id = $2")
            .bind(plan)
            .bind(donation)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The plan with this id.
    pub async fn plan(&self, id: i64) -> Result<Option<RecurringPlan>, StoreError> {
        let sql = format!(
            "SELECT {PLAN_COLUMNS} FROM recurring_plans p JOIN donors o ON o.id = p.donor_id WHERE p.id = $1"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(plan_from_row).transpose()?)
    }

    /// The plan a gateway subscription belongs to.
    pub async fn plan_by_subscription(
        &self,
        sub: &str,
    ) -> Result<Option<RecurringPlan>, StoreError> {
        if sub.is_empty() {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {PLAN_COLUMNS} FROM recurring_plans p JOIN donors o ON o.id = p.donor_id \
             WHERE p.gateway_subscription = $1"
        );
        let row = sqlx::query(&sql)
            .bind(sub)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(plan_from_row).transpose()?)
    }

    /// Sets a plan's status, subscription id (when given) and next charge.
    pub async fn update_plan(
        &self,
        id: i64,
        status: PlanStatus,
        subscription: Option<&str>,
        next_charge_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE recurring_plans SET status = $1, \
             gateway_subscription = COALESCE($2, gateway_subscription), next_charge_at = $3, \
             cancelled_at = CASE WHEN $1 = 'cancelled' THEN $4 ELSE cancelled_at END WHERE id = $5",
        )
        .bind(status.as_str())
        .bind(subscription)
        .bind(next_charge_at.map(|t| t.timestamp()))
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Changes a plan's monthly amount.
    pub async fn set_plan_amount(&self, id: i64, amount: i64, fee: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE recurring_plans SET amount = $1, fee = $2 WHERE id = $3")
            .bind(amount)
            .bind(fee)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Active plans of a gateway whose next charge is due at `now` (renewals we run ourselves).
    pub async fn plans_due(
        &self,
        gateway: GatewayKind,
        now: DateTime<Utc>,
    ) -> Result<Vec<RecurringPlan>, StoreError> {
        let sql = format!(
            "SELECT {PLAN_COLUMNS} FROM recurring_plans p JOIN donors o ON o.id = p.donor_id \
             WHERE p.gateway = $1 AND p.status IN ('active', 'past_due') AND p.next_charge_at <= $2 \
             ORDER BY p.id"
        );
        let rows = sqlx::query(&sql)
            .bind(gateway.as_str())
            .bind(now.timestamp())
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(plan_from_row).collect::<Result<_, _>>()?)
    }

    /// A donor's plans and donations, newest first.
    pub async fn donor_history(
        &self,
        donor_id: i64,
    ) -> Result<(Vec<Donation>, Vec<RecurringPlan>), StoreError> {
        let sql = format!(
            "SELECT {DONATION_COLUMNS} FROM donations d JOIN donors o ON o.id = d.donor_id \
             WHERE d.donor_id = $1 ORDER BY d.created_at DESC, d.id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(donor_id)
            .fetch_all(&self.pool)
            .await?;
        let donations = rows
            .iter()
            .map(donation_from_row)
            .collect::<Result<_, _>>()?;
        let sql = format!(
            "SELECT {PLAN_COLUMNS} FROM recurring_plans p JOIN donors o ON o.id = p.donor_id \
             WHERE p.donor_id = $1 ORDER BY p.id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(donor_id)
            .fetch_all(&self.pool)
            .await?;
        let plans = rows.iter().map(plan_from_row).collect::<Result<_, _>>()?;
        Ok((donations, plans))
    }

    /// The donor with this address: (id, first name).
    pub async fn donor_by_email(&self, email: &str) -> Result<Option<(i64, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT id, first_name FROM donors WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Stores a portal link for a donor.
    pub async fn create_donor_token(
        &self,
        donor_id: i64,
        token_hash: &str,
        ttl_secs: i64,
        then: &[crate::NewJob],
    ) -> Result<(), StoreError> {
        let t = now();
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO donor_tokens (token_hash, donor_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(donor_id)
        .bind(t + ttl_secs)
        .bind(t)
        .execute(&mut *tx)
        .await?;
        // The email carrying the link, queued with it (the outbox).
        for job in then {
            crate::jobs::enqueue_in(&mut tx, job, t).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The donor a portal link stands for, if it has not expired.
    pub async fn donor_for_token(&self, token_hash: &str) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT donor_id FROM donor_tokens WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.0))
    }
}
