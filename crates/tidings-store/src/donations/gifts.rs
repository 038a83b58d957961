//! Gifts: starting one, what the gateway says about it, refunds, disputes and receipts.

use super::*;

impl Store {
    /// Records a gift as pending (and its donor, one per address), once per idempotency key.
    pub async fn start_donation(&self, d: &NewDonation) -> Result<Started, StoreError> {
        if let Some(existing) = self.donation_by_key(&d.idempotency_key).await? {
            return Ok(Started::Existing(existing));
        }
        let t = now();
        let mut tx = self.write_tx().await?;
        // A new donor starts with the name given; an existing one is left as it is until a payment
        // succeeds (see `complete_donation`): anyone may type anyone's address into a form.
        let (donor,): (i64,) = sqlx::query_as(
            "INSERT INTO donors (email, first_name, last_name, address, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO UPDATE SET email = donors.email \
             RETURNING id",
        )
        .bind(&d.email)
        .bind(&d.first_name)
        .bind(&d.last_name)
        .bind(&d.address)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        let inserted: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO donations (donor_id, form_id, campaign_id, plan_id, source, amount, fee, total, \
             currency, frequency, status, gateway, anonymous, dedication, idempotency_key, created_at, \
             first_name, last_name, address) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12, $13, $14, $15, $16, $17, $18) \
             ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        )
        .bind(donor)
        .bind(d.form_id)
        .bind(d.campaign_id)
        .bind(d.plan_id)
        .bind(&d.source)
        .bind(d.amount)
        .bind(d.fee)
        .bind(d.amount + d.fee)
        .bind(&d.currency)
        .bind(d.frequency.as_str())
        .bind(d.gateway.as_str())
        .bind(i64::from(d.anonymous))
        .bind(&d.dedication)
        .bind(&d.idempotency_key)
        .bind(t)
        .bind(&d.first_name)
        .bind(&d.last_name)
        .bind(&d.address)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        let found = self
            .donation_by_key(&d.idempotency_key)
            .await?
            .ok_or(StoreError::NotFound("donation"))?;
        Ok(match inserted {
            Some(_) => Started::New(found),
            None => Started::Existing(found),
        })
    }

    async fn one_donation(&self, filter: &str, bind: &str) -> Result<Option<Donation>, StoreError> {
        let sql = format!(
            "SELECT {DONATION_COLUMNS} FROM donations d JOIN donors o ON o.id = d.donor_id WHERE {filter}"
        );
        let row = sqlx::query(&sql)
            .bind(bind)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(donation_from_row).transpose()?)
    }

    async fn donation_by_key(&self, key: &str) -> Result<Option<Donation>, StoreError> {
        self.one_donation("d.idempotency_key = $1", key).await
    }

    /// The donation with this id.
    pub async fn donation(&self, id: i64) -> Result<Option<Donation>, StoreError> {
        let sql = format!(
            "SELECT {DONATION_COLUMNS} FROM donations d JOIN donors o ON o.id = d.donor_id WHERE d.id = $1"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(donation_from_row).transpose()?)
    }

    /// The donation a gateway checkout session belongs to.
    pub async fn donation_by_session(&self, session: &str) -> Result<Option<Donation>, StoreError> {
        if session.is_empty() {
            return Ok(None);
        }
        self.one_donation("d.gateway_session = $1", session).await
    }

    /// The donation a gateway payment belongs to.
    pub async fn donation_by_payment(&self, payment: &str) -> Result<Option<Donation>, StoreError> {
        if payment.is_empty() {
            return Ok(None);
        }
        self.one_donation("d.gateway_payment = $1", payment).await
    }

    /// Remembers the gateway's checkout session for a pending donation.
    pub async fn set_donation_session(&self, id: i64, session: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE donations SET gateway_session = $1 WHERE id = $2")
            .bind(session)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Marks a pending (or failed, then paid) donation as succeeded. Returns true only for the call
    /// that made the change; `then` (its receipt) is queued in the same transaction, so a crash
    /// cannot record the payment and lose the receipt, and a repeat cannot queue a second.
    pub async fn complete_donation(
        &self,
        id: i64,
        payment: &str,
        then: &[crate::NewJob],
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE donations SET status = 'succeeded', gateway_payment = CASE WHEN $1 = '' \
             THEN gateway_payment ELSE $1 END, completed_at = $2, failure = '', mismatch = '' \
             WHERE id = $3 AND status IN ('pending', 'failed', 'expired')",
        )
        .bind(payment)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let changed = done.rows_affected() == 1;
        if changed {
            // Paid: now the name and address given with this gift are the donor's.
            sqlx::query(
                "UPDATE donors SET \
                 first_name = COALESCE(NULLIF((SELECT first_name FROM donations WHERE id = $1), ''), first_name), \
                 last_name = COALESCE(NULLIF((SELECT last_name FROM donations WHERE id = $1), ''), last_name), \
                 address = COALESCE(NULLIF((SELECT address FROM donations WHERE id = $1), ''), address) \
                 WHERE id = (SELECT donor_id FROM donations WHERE id = $1)",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            for job in then {
                crate::jobs::enqueue_in(&mut tx, job, now()).await?;
            }
            crate::webhooks::donation_event_in(&mut tx, "donation.succeeded", id, now()).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Records why a gateway event about a gift was not believed; the gift keeps its status.
    pub async fn flag_donation_mismatch(&self, id: i64, reason: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE donations SET mismatch = $1 WHERE id = $2")
            .bind(reason)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records why a gateway event about a monthly plan was not believed.
    pub async fn flag_plan_mismatch(&self, id: i64, reason: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE recurring_plans SET mismatch = $1 WHERE id = $2")
            .bind(reason)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Starts a refund asked for under `key`: reserves `amount` on the gift only if nothing was
    /// refunded since the asker saw `seen_refunded`, so two clicks (or two admins) make one refund.
    pub async fn begin_refund(
        &self,
        donation: i64,
        amount: i64,
        key: &str,
        seen_refunded: i64,
    ) -> Result<RefundStart, StoreError> {
        let mut tx = self.write_tx().await?;
        let existing: Option<(String,)> =
            sqlx::query_as("SELECT status FROM refunds WHERE idempotency_key = $1")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((status,)) = existing {
            return Ok(RefundStart::Repeated(status));
        }
        let reserved = sqlx::query(
            "UPDATE donations SET refunded_amount = refunded_amount + $1, \
             status = CASE WHEN refunded_amount + $1 >= total THEN 'refunded' ELSE status END \
             WHERE id = $2 AND status = 'succeeded' AND refunded_amount = $3 AND refunded_amount + $1 <= total",
        )
        .bind(amount)
        .bind(donation)
        .bind(seen_refunded)
        .execute(&mut *tx)
        .await?;
        if reserved.rows_affected() != 1 {
            return Ok(RefundStart::Changed);
        }
        sqlx::query(
            "INSERT INTO refunds (donation_id, amount, idempotency_key, status, created_at) \
             VALUES ($1, $2, $3, 'pending', $4)",
        )
        .bind(donation)
        .bind(amount)
        .bind(key)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(RefundStart::Reserved)
    }

    /// Ends a refund begun with [`Store::begin_refund`]: kept when the gateway refunded, given back
    /// to the gift when it refused.
    pub async fn finish_refund(&self, key: &str, refunded: bool) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT donation_id, amount FROM refunds WHERE idempotency_key = $1 AND status = 'pending'",
        )
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((donation, amount)) = row else {
            return Ok(());
        };
        sqlx::query("UPDATE refunds SET status = $1 WHERE idempotency_key = $2")
            .bind(if refunded { "succeeded" } else { "failed" })
            .bind(key)
            .execute(&mut *tx)
            .await?;
        if refunded {
            crate::webhooks::donation_event_in(&mut tx, "donation.refunded", donation, now())
                .await?;
        } else {
            sqlx::query(
                "UPDATE donations SET refunded_amount = refunded_amount - $1, status = 'succeeded' \
                 WHERE id = $2 AND status IN ('succeeded', 'refunded')",
            )
            .bind(amount)
            .bind(donation)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The status of the refund asked for under `key`, if one was.
    pub async fn refund_status(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT status FROM refunds WHERE idempotency_key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(s,)| s))
    }

    /// Refunds recorded for a gift: (amount, status), oldest first.
    pub async fn refunds(&self, donation: i64) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT amount, status FROM refunds WHERE donation_id = $1 ORDER BY id")
                .bind(donation)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Marks a pending donation as failed (declined) or expired (abandoned checkout).
    pub async fn fail_donation(
        &self,
        id: i64,
        status: DonationStatus,
        reason: &str,
        then: &[crate::NewJob],
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE donations SET status = $1, failure = $2, completed_at = $3 \
             WHERE id = $4 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(reason)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let changed = done.rows_affected() == 1;
        if changed {
            for job in then {
                crate::jobs::enqueue_in(&mut tx, job, now()).await?;
            }
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Records a refund of `amount` (minor units); fully refunded gifts become `refunded`.
    pub async fn refund_donation(&self, id: i64, amount: i64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE donations SET refunded_amount = $1, status = CASE WHEN $1 >= total \
             THEN 'refunded' ELSE status END WHERE id = $2 AND status IN ('succeeded', 'refunded') \
             AND refunded_amount <> $1",
        )
        .bind(amount)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let changed = done.rows_affected() == 1;
        if changed {
            crate::webhooks::donation_event_in(&mut tx, "donation.refunded", id, now()).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Flags a donation as disputed (chargeback opened).
    pub async fn dispute_donation(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE donations SET disputed = 1 WHERE id = $1 AND disputed = 0")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks the receipt as sent; true only the first time.
    pub async fn mark_receipt_sent(&self, id: i64) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE donations SET receipt_sent = 1 WHERE id = $1 AND receipt_sent = 0")
                .bind(id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a gateway event id; false when it was seen before (and must not be handled again).
    pub async fn record_gateway_event(
        &self,
        gateway: &str,
        event_id: &str,
        kind: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO gateway_events (gateway, event_id, kind, received_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (gateway, event_id) DO NOTHING",
        )
        .bind(gateway)
        .bind(event_id)
        .bind(kind)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether a gateway event was handled before.
    pub async fn gateway_event_seen(
        &self,
        gateway: &str,
        event_id: &str,
    ) -> Result<bool, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT kind FROM gateway_events WHERE gateway = $1 AND event_id = $2")
                .bind(gateway)
                .bind(event_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }
}
