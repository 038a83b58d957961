//! What a payment's outcome changes, whichever way it is learned (the test checkout page, a
//! webhook, or reading the gateway on the thank-you page): each transition happens once.

use chrono::{DateTime, Months, Utc};

use tidings_store::{DonationStatus, Frequency, GatewayKind, PlanStatus};

use crate::app::AppState;
use crate::donations::emails;
use crate::error::AppError;

/// The same day next month (clamped to the month's end).
pub fn next_month(t: DateTime<Utc>) -> DateTime<Utc> {
    t.checked_add_months(Months::new(1)).unwrap_or(t)
}

/// What a gateway reported about a payment, to be checked against the gift it names.
#[derive(Debug, Clone, Copy)]
pub struct Reported<'a> {
    /// The checkout session's or payment intent's id.
    pub object: &'a str,
    /// The amount it says was paid, in minor units.
    pub amount: Option<i64>,
    /// Its currency (any case).
    pub currency: Option<&'a str>,
}

/// Why a report is not about `d` as stored: another session or intent, or another amount or
/// currency than the gift's total. A forged or replayed event for a cheaper payment (metadata is
/// set by whoever creates the payment) must not mark a gift paid.
pub fn mismatch(d: &tidings_store::Donation, r: &Reported<'_>) -> Option<String> {
    let known = [d.gateway_session.as_str(), d.gateway_payment.as_str()];
    if r.object.is_empty() || !known.contains(&r.object) {
        return Some(format!(
            "payment {} is not the one recorded for this gift",
            r.object
        ));
    }
    if r.amount != Some(d.total) {
        return Some(format!(
            "{} paid, but the gift is {} (minor units)",
            r.amount.map_or("no amount".into(), |a| a.to_string()),
            d.total
        ));
    }
    if !r
        .currency
        .is_some_and(|c| c.eq_ignore_ascii_case(&d.currency))
    {
        return Some(format!(
            "paid in {}, but the gift is in {}",
            r.currency.unwrap_or("no currency"),
            d.currency
        ));
    }
    None
}

/// Marks `d` paid only if the report matches it; otherwise records the mismatch for the admin and
/// leaves the gift as it was.
pub async fn succeeded_if_matching(
    app: &AppState,
    d: &tidings_store::Donation,
    reported: Reported<'_>,
    payment: &str,
    subscription: Option<&str>,
) -> Result<bool, AppError> {
    if let Some(why) = mismatch(d, &reported) {
        tracing::warn!(donation = d.id, reason = %why, "payment report does not match the gift");
        app.store().flag_donation_mismatch(d.id, &why).await?;
        return Ok(false);
    }
    succeeded(app, d.id, payment, subscription).await
}

/// A payment went through: mark it, start the monthly plan it opens, send the receipt once.
pub async fn succeeded(
    app: &AppState,
    donation_id: i64,
    payment: &str,
    subscription: Option<&str>,
) -> Result<bool, AppError> {
    let store = app.store();
    let changed = store.complete_donation(donation_id, payment).await?;
    let Some(d) = store.donation(donation_id).await? else {
        return Ok(false);
    };
    if d.frequency == Frequency::Monthly {
        let plan = match d.plan_id {
            Some(p) => p,
            None => {
                let p = store
                    .create_plan(
                        d.donor_id,
                        d.form_id,
                        d.amount,
                        d.fee,
                        &d.currency,
                        d.gateway,
                    )
                    .await?;
                store.set_donation_plan(d.id, p).await?;
                p
            }
        };
        if let Some(plan) = store.plan(plan).await? {
            if matches!(plan.status, PlanStatus::Pending | PlanStatus::PastDue) {
                // Gateways with their own subscriptions renew themselves; the test gateway's
                // renewals are ours to run.
                let next = (d.gateway == GatewayKind::Test)
                    .then(|| next_month(d.completed_at.unwrap_or_else(Utc::now)));
                store
                    .update_plan(plan.id, PlanStatus::Active, subscription, next)
                    .await?;
            }
        }
    }
    if store.mark_receipt_sent(d.id).await? {
        let email = emails::receipt(app, &d).await?;
        if let Err(e) = app.mailer().send(&email).await {
            tracing::error!(error = %e, donation = d.id, "cannot send receipt");
        }
    }
    Ok(changed)
}

/// A payment was declined (`failed`) or abandoned (`expired`). Nothing is recorded as paid.
pub async fn failed(
    app: &AppState,
    donation_id: i64,
    status: DonationStatus,
    reason: &str,
) -> Result<bool, AppError> {
    let store = app.store();
    let changed = store.fail_donation(donation_id, status, reason).await?;
    if changed {
        if let Some(d) = store.donation(donation_id).await? {
            // A renewal of a running monthly gift: tell the donor.
            if let Some(plan) = match d.plan_id {
                Some(p) => store.plan(p).await?,
                None => None,
            } {
                if matches!(plan.status, PlanStatus::Active | PlanStatus::PastDue) {
                    store
                        .update_plan(plan.id, PlanStatus::PastDue, None, plan.next_charge_at)
                        .await?;
                    let email = emails::charge_failed(app, &plan, reason).await?;
                    if let Err(e) = app.mailer().send(&email).await {
                        tracing::error!(error = %e, plan = plan.id, "cannot send failed-charge email");
                    }
                }
            }
        }
    }
    Ok(changed)
}
