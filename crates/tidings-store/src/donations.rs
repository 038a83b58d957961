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
    /// At most this many, newest first; `None` for all.
    pub limit: Option<i64>,
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
    let presets: String = r.try_get("presets")?;
    Ok(DonationForm {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        currency: r.try_get("currency")?,
        presets: ids(&presets),
        default_amount: r.try_get("default_amount")?,
        minimum: r.try_get("minimum")?,
        maximum: r.try_get("maximum")?,
        allow_monthly: r.try_get::<i64, _>("allow_monthly")? != 0,
        offer_fee_cover: r.try_get::<i64, _>("offer_fee_cover")? != 0,
        campaign_id: r.try_get("campaign_id")?,
    })
}

/// A gift shows the name and address given with it; gifts recorded without one (renewals) show
/// the donor's.
const DONATION_COLUMNS: &str = "d.id AS id, d.donor_id AS donor_id, o.email AS email, \
    CASE WHEN d.first_name <> '' THEN d.first_name ELSE o.first_name END AS first_name, \
    CASE WHEN d.last_name <> '' THEN d.last_name ELSE o.last_name END AS last_name, \
    d.form_id AS form_id, d.campaign_id AS campaign_id, d.plan_id AS plan_id, d.source AS source, \
    d.amount AS amount, d.fee AS fee, d.total AS total, d.currency AS currency, \
    d.frequency AS frequency, d.status AS status, d.gateway AS gateway, \
    d.gateway_session AS gateway_session, d.gateway_payment AS gateway_payment, \
    d.anonymous AS anonymous, d.dedication AS dedication, d.failure AS failure, \
    d.disputed AS disputed, d.refunded_amount AS refunded_amount, d.created_at AS created_at, \
    d.completed_at AS completed_at, \
    CASE WHEN d.address <> '' THEN d.address ELSE o.address END AS address, d.mismatch AS mismatch";

fn donation_from_row(r: &AnyRow) -> Result<Donation, sqlx::Error> {
    let completed: Option<i64> = r.try_get("completed_at")?;
    Ok(Donation {
        id: r.try_get("id")?,
        donor_id: r.try_get("donor_id")?,
        email: r.try_get("email")?,
        first_name: r.try_get("first_name")?,
        last_name: r.try_get("last_name")?,
        form_id: r.try_get("form_id")?,
        campaign_id: r.try_get("campaign_id")?,
        plan_id: r.try_get("plan_id")?,
        source: r.try_get("source")?,
        amount: r.try_get("amount")?,
        fee: r.try_get("fee")?,
        total: r.try_get("total")?,
        currency: r.try_get("currency")?,
        frequency: decode(r, "frequency")?,
        status: decode(r, "status")?,
        gateway: decode(r, "gateway")?,
        gateway_session: r.try_get("gateway_session")?,
        gateway_payment: r.try_get("gateway_payment")?,
        anonymous: r.try_get::<i64, _>("anonymous")? != 0,
        dedication: r.try_get("dedication")?,
        failure: r.try_get("failure")?,
        disputed: r.try_get::<i64, _>("disputed")? != 0,
        refunded_amount: r.try_get("refunded_amount")?,
        created_at: at(r.try_get("created_at")?),
        completed_at: completed.map(at),
        address: r.try_get("address")?,
        mismatch: r.try_get("mismatch")?,
    })
}

const PLAN_COLUMNS: &str = "p.id AS id, p.donor_id AS donor_id, o.email AS email, \
    p.form_id AS form_id, p.amount AS amount, p.fee AS fee, p.currency AS currency, \
    p.status AS status, p.gateway AS gateway, p.gateway_subscription AS gateway_subscription, \
    p.next_charge_at AS next_charge_at";

fn plan_from_row(r: &AnyRow) -> Result<RecurringPlan, sqlx::Error> {
    let next: Option<i64> = r.try_get("next_charge_at")?;
    Ok(RecurringPlan {
        id: r.try_get("id")?,
        donor_id: r.try_get("donor_id")?,
        email: r.try_get("email")?,
        form_id: r.try_get("form_id")?,
        amount: r.try_get("amount")?,
        fee: r.try_get("fee")?,
        currency: r.try_get("currency")?,
        status: decode(r, "status")?,
        gateway: decode(r, "gateway")?,
        gateway_subscription: r.try_get("gateway_subscription")?,
        next_charge_at: next.map(at),
    })
}

mod forms;
mod gifts;
mod moved_in;
mod plans;
mod reports;

pub use moved_in::{MoveIn, MovedIn, MovedInDonor, MovedInGift, MovedInPlan};
