//! Gifts, donors and monthly plans moved in from another platform (GiveWP), written in one
//! transaction and keyed by their ids there, so that a second run changes nothing.

use super::*;

/// A donor as the other platform knew them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MovedInDonor {
    /// Their address (the key: one donor per address).
    pub email: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Postal address, one line.
    pub address: String,
    /// When they first gave there.
    pub created_at: i64,
}

/// A monthly gift that the other platform's gateway charges; here it is recorded, never charged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MovedInPlan {
    /// Its id there (stored as the plan's subscription reference, e.g. `givewp:7`).
    pub key: String,
    /// The donor's address.
    pub email: String,
    /// Monthly amount in minor units.
    pub amount: i64,
    /// ISO currency.
    pub currency: String,
    /// When it started.
    pub created_at: i64,
    /// Whether it still charges there (its latest payment went through).
    pub active: bool,
}

/// One gift as the other platform recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedInGift {
    /// Its id there, the key of a second run (stored as the idempotency key, e.g. `givewp:1190`).
    pub key: String,
    /// The donor's address.
    pub email: String,
    /// The name given with this gift.
    pub first_name: String,
    /// The family name given with this gift.
    pub last_name: String,
    /// The postal address given with this gift.
    pub address: String,
    /// Minor units.
    pub amount: i64,
    /// ISO currency.
    pub currency: String,
    /// Once or monthly.
    pub frequency: Frequency,
    /// Where it stands.
    pub status: DonationStatus,
    /// `Imported` for real money taken there; `Test` for the other platform's test-mode gifts.
    pub gateway: GatewayKind,
    /// Given anonymously.
    pub anonymous: bool,
    /// "In memory of …", if any.
    pub dedication: String,
    /// Where it came from, for people reading the list (e.g. `GiveWP #1190, stripe, form 347`).
    pub source: String,
    /// The campaign (by slug) it counts toward, created when missing.
    pub campaign: Option<(String, String)>,
    /// The monthly plan (by key) it belongs to.
    pub plan: Option<String>,
    /// When it was given.
    pub created_at: i64,
}

/// Everything one run moves in.
#[derive(Debug, Clone, Default)]
pub struct MoveIn {
    /// Donors, including those with no gift in this run.
    pub donors: Vec<MovedInDonor>,
    /// Monthly plans.
    pub plans: Vec<MovedInPlan>,
    /// Gifts.
    pub gifts: Vec<MovedInGift>,
}

/// What a run changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MovedIn {
    /// Gifts written for the first time.
    pub gifts_created: u64,
    /// Gifts already here that this run completed (a plan, anonymity or dedication learnt).
    pub gifts_updated: u64,
    /// Donors created.
    pub donors_created: u64,
    /// Monthly plans created.
    pub plans_created: u64,
    /// Campaigns created.
    pub campaigns_created: u64,
}

impl Store {
    /// Writes a run in one transaction: donors matched by address, campaigns by slug, plans and
    /// gifts by their ids there. Nothing is charged, mailed or queued.
    pub async fn move_in_gifts(&self, m: &MoveIn) -> Result<MovedIn, StoreError> {
        let mut out = MovedIn::default();
        let mut tx = self.write_tx().await?;
        for d in &m.donors {
            let done = sqlx::query(
                "INSERT INTO donors (email, first_name, last_name, address, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING",
            )
            .bind(&d.email)
            .bind(&d.first_name)
            .bind(&d.last_name)
            .bind(&d.address)
            .bind(d.created_at)
            .execute(&mut *tx)
            .await?;
            out.donors_created += done.rows_affected();
        }
        for p in &m.plans {
            let existing: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM recurring_plans WHERE gateway = $1 AND gateway_subscription = $2",
            )
            .bind(GatewayKind::Imported.as_str())
            .bind(&p.key)
            .fetch_optional(&mut *tx)
            .await?;
            if existing.is_some() {
                continue;
            }
            let status = if p.active {
                PlanStatus::Active
            } else {
                PlanStatus::Cancelled
            };
            sqlx::query(
                "INSERT INTO recurring_plans (donor_id, amount, fee, currency, status, gateway, \
                 gateway_subscription, created_at) \
                 SELECT id, $2, 0, $3, $4, $5, $6, $7 FROM donors WHERE email = $1",
            )
            .bind(&p.email)
            .bind(p.amount)
            .bind(&p.currency)
            .bind(status.as_str())
            .bind(GatewayKind::Imported.as_str())
            .bind(&p.key)
            .bind(p.created_at)
            .execute(&mut *tx)
            .await?;
            out.plans_created += 1;
        }
        // A run's gifts share a few campaigns and plans: each is looked up once.
        let mut campaigns: std::collections::HashMap<&str, i64> = Default::default();
        let mut plans: std::collections::HashMap<&str, Option<i64>> = Default::default();
        for g in &m.gifts {
            let campaign = match &g.campaign {
                Some((slug, _)) if campaigns.contains_key(slug.as_str()) => {
                    Some(campaigns[slug.as_str()])
                }
                Some((slug, title)) => {
                    let done = sqlx::query(
                        "INSERT INTO campaigns (slug, title, goal, currency, created_at) \
                         VALUES ($1, $2, 0, $3, $4) ON CONFLICT (slug) DO NOTHING",
                    )
                    .bind(slug)
                    .bind(title)
                    .bind(&g.currency)
                    .bind(g.created_at)
                    .execute(&mut *tx)
                    .await?;
                    out.campaigns_created += done.rows_affected();
                    let (id,): (i64,) = sqlx::query_as("SELECT id FROM campaigns WHERE slug = $1")
                        .bind(slug)
                        .fetch_one(&mut *tx)
                        .await?;
                    campaigns.insert(slug, id);
                    Some(id)
                }
                None => None,
            };
            let plan: Option<i64> = match &g.plan {
                Some(key) if plans.contains_key(key.as_str()) => plans[key.as_str()],
                Some(key) => {
                    let id = sqlx::query_as::<_, (i64,)>(
                    "SELECT id FROM recurring_plans WHERE gateway = $1 AND gateway_subscription = $2",
                )
                .bind(GatewayKind::Imported.as_str())
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.0);
                    plans.insert(key, id);
                    id
                }
                None => None,
            };
            let paid = matches!(
                g.status,
                DonationStatus::Succeeded | DonationStatus::Refunded
            );
            let refunded = if g.status == DonationStatus::Refunded {
                g.amount
            } else {
                0
            };
            let done = sqlx::query(
                "INSERT INTO donations (donor_id, campaign_id, plan_id, source, amount, fee, total, \
                 currency, frequency, status, gateway, anonymous, dedication, idempotency_key, \
                 refunded_amount, receipt_sent, created_at, completed_at, first_name, last_name, address) \
                 SELECT id, $2, $3, $4, $5, 0, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $18, $19 FROM donors WHERE email = $1 \
                 ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(&g.email)
            .bind(campaign)
            .bind(plan)
            .bind(&g.source)
            .bind(g.amount)
            .bind(&g.currency)
            .bind(g.frequency.as_str())
            .bind(g.status.as_str())
            .bind(g.gateway.as_str())
            .bind(i64::from(g.anonymous))
            .bind(&g.dedication)
            .bind(&g.key)
            .bind(refunded)
            // Receipts were the other platform's to send; none goes out from here.
            .bind(i64::from(paid))
            .bind(g.created_at)
            .bind(paid.then_some(g.created_at))
            .bind(&g.first_name)
            .bind(&g.last_name)
            .bind(&g.address)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() > 0 {
                out.gifts_created += 1;
                continue;
            }
            // Already here: a later export may say what an earlier one could not.
            let learnt = sqlx::query(
                "UPDATE donations SET \
                 plan_id = COALESCE(plan_id, $2), \
                 frequency = CASE WHEN $2 IS NULL THEN frequency ELSE 'monthly' END, \
                 anonymous = CASE WHEN $3 = 1 THEN 1 ELSE anonymous END, \
                 dedication = CASE WHEN dedication = '' THEN $4 ELSE dedication END \
                 WHERE idempotency_key = $1 AND ((plan_id IS NULL AND $2 IS NOT NULL) \
                 OR (anonymous = 0 AND $3 = 1) OR (dedication = '' AND $4 <> ''))",
            )
            .bind(&g.key)
            .bind(plan)
            .bind(i64::from(g.anonymous))
            .bind(&g.dedication)
            .execute(&mut *tx)
            .await?;
            out.gifts_updated += learnt.rows_affected();
        }
        crate::db::bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(out)
    }
}
