//! Donations: forms, campaigns, donors, gifts, monthly plans and gateway events.
//!
//! Amounts are integer minor units of the row's currency. A donation is written as `pending` before
//! the donor leaves for the gateway, under the form submission's idempotency key, and only a
//! confirmed payment moves it on; every transition checks the state it comes from, so a retried or
//! out-of-order event changes nothing twice.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::{now, Store};
use crate::error::StoreError;
use crate::states::{decode, DonationStatus, Frequency, GatewayKind, PlanStatus};

/// A donation form.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DonationForm {
    /// Row id.
    pub id: i64,
    /// `default` or the form's URL name.
    pub slug: String,
    /// Heading.
    pub title: String,
    /// Text above the form.
    pub body: String,
    /// ISO code.
    pub currency: String,
    /// Preset amounts, minor units.
    pub presets: Vec<i64>,
    /// The preset selected at first.
    pub default_amount: i64,
    /// Smallest gift.
    pub minimum: i64,
    /// Largest gift.
    pub maximum: i64,
    /// Monthly offered.
    pub allow_monthly: bool,
    /// "Cover the fee" offered.
    pub offer_fee_cover: bool,
    /// Campaign whose goal the form shows.
    pub campaign_id: Option<i64>,
}

/// A campaign with its goal.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Campaign {
    /// Row id.
    pub id: i64,
    /// URL-safe name.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Goal, minor units.
    pub goal: i64,
    /// Currency of the goal.
    pub currency: String,
}

/// A new gift about to go to the gateway.
#[derive(Debug, Clone, Default)]
pub struct NewDonation {
    /// Donor's normalised address.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Postal address for tax receipts (optional).
    pub address: String,
    /// Form it came from.
    pub form_id: Option<i64>,
    /// Campaign it counts towards.
    pub campaign_id: Option<i64>,
    /// The page the donor came from.
    pub source: String,
    /// The gift.
    pub amount: i64,
    /// The fee the donor chose to cover.
    pub fee: i64,
    /// ISO code.
    pub currency: String,
    /// Once or monthly.
    pub frequency: Frequency,
    /// The gateway it goes to.
    pub gateway: GatewayKind,
    /// Keep the name off public lists.
    pub anonymous: bool,
    /// "In memory of ..."
    pub dedication: String,
    /// The submission's idempotency key.
    pub idempotency_key: String,
    /// The monthly plan a renewal belongs to.
    pub plan_id: Option<i64>,
}

/// A donation as stored, with its donor's name and address.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Donation {
    /// Row id.
    pub id: i64,
    /// Donor row.
    pub donor_id: i64,
    /// Donor's address.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Form.
    pub form_id: Option<i64>,
    /// Campaign.
    pub campaign_id: Option<i64>,
    /// Monthly plan.
    pub plan_id: Option<i64>,
    /// Originating page.
    pub source: String,
    /// Gift, minor units.
    pub amount: i64,
    /// Covered fee.
    pub fee: i64,
    /// Charged.
    pub total: i64,
    /// ISO code.
    pub currency: String,
    /// Once or monthly.
    pub frequency: Frequency,
    /// Where it stands.
    pub status: DonationStatus,
    /// The gateway that took it.
    pub gateway: GatewayKind,
    /// Gateway's checkout session id.
    pub gateway_session: String,
    /// Gateway's payment id.
    pub gateway_payment: String,
    /// Anonymous gift.
    pub anonymous: bool,
    /// Dedication.
    pub dedication: String,
    /// Why it failed.
    pub failure: String,
    /// A dispute was opened.
    pub disputed: bool,
    /// Refunded so far.
    pub refunded_amount: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Succeeded (or failed) at.
    pub completed_at: Option<DateTime<Utc>>,
    /// Postal address given with the gift.
    pub address: String,
    /// Why a gateway event about this gift was not believed (empty when none was refused).
    pub mismatch: String,
}

/// What asking for a refund found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundStart {
    /// The amount is reserved: call the gateway, then [`Store::finish_refund`].
    Reserved,
    /// This form was sent before; the refund it made has this status.
    Repeated(String),
    /// The gift changed since the form was shown (another refund, a webhook): nothing reserved.
    Changed,
}

/// A monthly gift.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecurringPlan {
    /// Row id.
    pub id: i64,
    /// Donor row.
    pub donor_id: i64,
    /// Donor's address.
    pub email: String,
    /// Form.
    pub form_id: Option<i64>,
    /// Gift each month.
    pub amount: i64,
    /// Covered fee each month.
    pub fee: i64,
    /// ISO code.
    pub currency: String,
    /// Where it stands.
    pub status: PlanStatus,
    /// The gateway that charges it.
    pub gateway: GatewayKind,
    /// Gateway's subscription id.
    pub gateway_subscription: String,
    /// Next charge (gateways that renew through our job).
    pub next_charge_at: Option<DateTime<Utc>>,
}

/// What starting a donation found.
#[derive(Debug, Clone)]
pub enum Started {
    /// Written now.
    New(Donation),
    /// This submission was seen before (double click, retry): the same donation.
    Existing(Donation),
}

/// Filters for the admin list.
#[derive(Debug, Clone, Default)]
pub struct DonationFilter {
    /// Status to show, or all.
    pub status: Option<DonationStatus>,
    /// Currency to show, or all.
    pub currency: Option<String>,
    /// Address or name contains.
    pub query: String,
    /// Created at or after.
    pub since: Option<DateTime<Utc>>,
    /// Created before.
    pub until: Option<DateTime<Utc>>,
}

fn at(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

fn ids(s: &str) -> Vec<i64> {
    s.split(',').filter_map(|p| p.trim().parse().ok()).collect()
}

const FORM_COLUMNS: &str = "id, slug, title, body, currency, presets, default_amount, minimum, \
    maximum, allow_monthly, offer_fee_cover, campaign_id";

fn form_from_row(r: &AnyRow) -> Result<DonationForm, sqlx::Error> {
    let presets: String = r.try_get(5)?;
    Ok(DonationForm {
        id: r.try_get(0)?,
        slug: r.try_get(1)?,
        title: r.try_get(2)?,
        body: r.try_get(3)?,
        currency: r.try_get(4)?,
        presets: ids(&presets),
        default_amount: r.try_get(6)?,
        minimum: r.try_get(7)?,
        maximum: r.try_get(8)?,
        allow_monthly: r.try_get::<i64, _>(9)? != 0,
        offer_fee_cover: r.try_get::<i64, _>(10)? != 0,
        campaign_id: r.try_get(11)?,
    })
}

/// A gift shows the name and address given with it; gifts recorded without one (renewals) show
/// the donor's.
const DONATION_COLUMNS: &str = "d.id, d.donor_id, o.email, \
    CASE WHEN d.first_name <> '' THEN d.first_name ELSE o.first_name END, \
    CASE WHEN d.last_name <> '' THEN d.last_name ELSE o.last_name END, d.form_id, \
    d.campaign_id, d.plan_id, d.source, d.amount, d.fee, d.total, d.currency, d.frequency, d.status, \
    d.gateway, d.gateway_session, d.gateway_payment, d.anonymous, d.dedication, d.failure, d.disputed, \
    d.refunded_amount, d.created_at, d.completed_at, \
    CASE WHEN d.address <> '' THEN d.address ELSE o.address END, d.mismatch";

fn donation_from_row(r: &AnyRow) -> Result<Donation, sqlx::Error> {
    let completed: Option<i64> = r.try_get(24)?;
    Ok(Donation {
        id: r.try_get(0)?,
        donor_id: r.try_get(1)?,
        email: r.try_get(2)?,
        first_name: r.try_get(3)?,
        last_name: r.try_get(4)?,
        form_id: r.try_get(5)?,
        campaign_id: r.try_get(6)?,
        plan_id: r.try_get(7)?,
        source: r.try_get(8)?,
        amount: r.try_get(9)?,
        fee: r.try_get(10)?,
        total: r.try_get(11)?,
        currency: r.try_get(12)?,
        frequency: decode(r, 13)?,
        status: decode(r, 14)?,
        gateway: decode(r, 15)?,
        gateway_session: r.try_get(16)?,
        gateway_payment: r.try_get(17)?,
        anonymous: r.try_get::<i64, _>(18)? != 0,
        dedication: r.try_get(19)?,
        failure: r.try_get(20)?,
        disputed: r.try_get::<i64, _>(21)? != 0,
        refunded_amount: r.try_get(22)?,
        created_at: at(r.try_get(23)?),
        completed_at: completed.map(at),
        address: r.try_get(25)?,
        mismatch: r.try_get(26)?,
    })
}

const PLAN_COLUMNS: &str = "p.id, p.donor_id, o.email, p.form_id, p.amount, p.fee, p.currency, \
    p.status, p.gateway, p.gateway_subscription, p.next_charge_at";

fn plan_from_row(r: &AnyRow) -> Result<RecurringPlan, sqlx::Error> {
    let next: Option<i64> = r.try_get(10)?;
    Ok(RecurringPlan {
        id: r.try_get(0)?,
        donor_id: r.try_get(1)?,
        email: r.try_get(2)?,
        form_id: r.try_get(3)?,
        amount: r.try_get(4)?,
        fee: r.try_get(5)?,
        currency: r.try_get(6)?,
        status: decode(r, 7)?,
        gateway: decode(r, 8)?,
        gateway_subscription: r.try_get(9)?,
        next_charge_at: next.map(at),
    })
}

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
        let rows: Vec<(i64, String, String, i64, String)> = sqlx::query_as(
            "SELECT id, slug, title, goal, currency FROM campaigns ORDER BY created_at DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, slug, title, goal, currency)| Campaign {
                id,
                slug,
                title,
                goal,
                currency,
            })
            .collect())
    }

    /// A campaign with what it has raised in its currency (net of refunds) and how many donors gave.
    pub async fn campaign_progress(
        &self,
        id: i64,
    ) -> Result<Option<(Campaign, i64, i64)>, StoreError> {
        let row: Option<(i64, String, String, i64, String)> =
            sqlx::query_as("SELECT id, slug, title, goal, currency FROM campaigns WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let Some((id, slug, title, goal, currency)) = row else {
            return Ok(None);
        };
        let c = Campaign {
            id,
            slug,
            title,
            goal,
            currency,
        };
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
    /// that made the change, so receipts go out once.
    pub async fn complete_donation(&self, id: i64, payment: &str) -> Result<bool, StoreError> {
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
        if !refunded {
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
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE donations SET status = $1, failure = $2, completed_at = $3 \
             WHERE id = $4 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(reason)
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a refund of `amount` (minor units); fully refunded gifts become `refunded`.
    pub async fn refund_donation(&self, id: i64, amount: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE donations SET refunded_amount = $1, status = CASE WHEN $1 >= total \
             THEN 'refunded' ELSE status END WHERE id = $2 AND status IN ('succeeded', 'refunded') \
             AND refunded_amount <> $1",
        )
        .bind(amount)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
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
    ) -> Result<(), StoreError> {
        let t = now();
        sqlx::query(
            "INSERT INTO donor_tokens (token_hash, donor_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(donor_id)
        .bind(t + ttl_secs)
        .bind(t)
        .execute(&self.pool)
        .await?;
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

    /// Donations for the admin, newest first (at most 1,000), and totals per currency of what
    /// succeeded within the filter (gross, fees covered, refunded, count).
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
             WHERE {filter} ORDER BY d.created_at DESC, d.id DESC LIMIT 1000"
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
