//! What a payment's outcome changes, whichever way it is learned (the test checkout page, a
//! webhook, or reading the gateway on the thank-you page): each transition happens once.

use chrono::{DateTime, Months, Utc};

use tidings_store::{DonationStatus, Frequency, GatewayKind, PlanStatus};

use crate::service::{DonationError, Donations};
use tidings_store::NewJob;

/// The job that mails a gift's receipt (payload: `{"donation": id}`).
pub const RECEIPT_JOB: &str = "mail.receipt";
/// The job that tells a donor a monthly charge failed (payload: `{"donation": id, "reason": …}`).
pub const CHARGE_FAILED_JOB: &str = "mail.charge_failed";
use crate::stripe::{IntentStatus, SessionPaymentStatus, SessionStatus};
use crate::Gateway;

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

impl Donations {
    /// Marks `d` paid only if the report matches it; otherwise records the mismatch for the admin and
    /// leaves the gift as it was.
    pub async fn succeeded_if_matching(
        &self,
        d: &tidings_store::Donation,
        reported: Reported<'_>,
        payment: &str,
        subscription: Option<&str>,
    ) -> Result<bool, DonationError> {
        if let Some(why) = mismatch(d, &reported) {
            tracing::warn!(donation = d.id, reason = %why, "payment report does not match the gift");
            self.store().flag_donation_mismatch(d.id, &why).await?;
            return Ok(false);
        }
        self.succeeded(d.id, payment, subscription).await
    }

    /// A payment went through: mark it, start the monthly plan it opens, and queue the receipt
    /// (with the change, once; the job runner sends it).
    pub async fn succeeded(
        &self,
        donation_id: i64,
        payment: &str,
        subscription: Option<&str>,
    ) -> Result<bool, DonationError> {
        let store = self.store();
        let receipt = NewJob::new(
            RECEIPT_JOB,
            serde_json::json!({ "donation": donation_id }).to_string(),
            Utc::now().timestamp(),
        )
        .once_per(format!("receipt:{donation_id}"));
        let changed = store
            .complete_donation(donation_id, payment, &[receipt])
            .await?;
        if changed {
            metrics::counter!("tidings_donations_total", "result" => "succeeded").increment(1);
        }
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
        Ok(changed)
    }

    /// A payment was declined (`failed`) or abandoned (`expired`). Nothing is recorded as paid.
    pub async fn failed(
        &self,
        donation_id: i64,
        status: DonationStatus,
        reason: &str,
    ) -> Result<bool, DonationError> {
        let store = self.store();
        // A declined renewal of a running monthly gift: the donor is told (queued with the change;
        // the job checks the plan is still running when it sends).
        let renewal = store
            .donation(donation_id)
            .await?
            .is_some_and(|d| d.plan_id.is_some());
        let notice = renewal.then(|| {
            NewJob::new(
                CHARGE_FAILED_JOB,
                serde_json::json!({ "donation": donation_id, "reason": reason }).to_string(),
                Utc::now().timestamp(),
            )
            .once_per(format!("charge-failed:{donation_id}"))
        });
        let changed = store
            .fail_donation(donation_id, status, reason, notice.as_slice())
            .await?;
        if changed {
            metrics::counter!("tidings_donations_total", "result" => status.as_str()).increment(1);
            if let Some(d) = store.donation(donation_id).await? {
                if let Some(plan) = match d.plan_id {
                    Some(p) => store.plan(p).await?,
                    None => None,
                } {
                    if matches!(plan.status, PlanStatus::Active | PlanStatus::PastDue) {
                        store
                            .update_plan(plan.id, PlanStatus::PastDue, None, plan.next_charge_at)
                            .await?;
                    }
                }
            }
        }
        Ok(changed)
    }

    /// On the thank-you page, before the webhook has come: asks the gateway whether the gift's
    /// payment went through, and records it if it did and matches.
    pub async fn confirm_with_gateway(
        &self,
        d: &tidings_store::Donation,
    ) -> Result<(), DonationError> {
        let Gateway::Stripe { client, .. } = &self.payments().gateway else {
            return Ok(());
        };
        if d.status != DonationStatus::Pending {
            return Ok(());
        }
        if d.gateway_session.starts_with("pi_") {
            if let Ok(pi) = client.payment_intent(&d.gateway_session).await {
                if pi.status == IntentStatus::Succeeded {
                    let reported = Reported {
                        object: &pi.id,
                        amount: Some(pi.amount),
                        currency: Some(&pi.currency),
                    };
                    self.succeeded_if_matching(d, reported, &pi.id, None)
                        .await?;
                }
            }
        } else if let Ok(s) = client.checkout_session(&d.gateway_session).await {
            if s.payment_status == SessionPaymentStatus::Paid
                || s.status == Some(SessionStatus::Complete)
                    && s.payment_status != SessionPaymentStatus::Unpaid
            {
                let reported = Reported {
                    object: &s.id,
                    amount: s.amount_total,
                    currency: s.currency.as_deref(),
                };
                self.succeeded_if_matching(
                    d,
                    reported,
                    s.payment_intent.as_deref().unwrap_or_default(),
                    s.subscription.as_deref(),
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// Where a donor goes once their gift is recorded.
#[derive(Debug, Clone)]
pub enum NextStep {
    /// To the gateway's (or the test gateway's) payment page.
    Pay(String),
    /// Paid on our own page with the embedded Payment Element.
    Embedded {
        /// The gift.
        donation: Box<tidings_store::Donation>,
        /// The PaymentIntent's id.
        intent: String,
        /// Its client secret, for the browser.
        client_secret: String,
        /// The publishable key.
        publishable_key: String,
    },
    /// This submission was paid already: its thank-you page.
    Thanks(String),
    /// This submission's attempt ended (declined or abandoned); a new one is needed.
    Over,
}

impl Donations {
    /// Records the gift (once per form submission: the same key gives the same gift) and starts
    /// its payment at the gateway. `form_slug` is where a cancelled checkout returns.
    pub async fn begin_payment(
        &self,
        new: &tidings_store::NewDonation,
        form_slug: &str,
    ) -> Result<NextStep, DonationError> {
        let store = self.store();
        let d = match store.start_donation(new).await? {
            tidings_store::Started::New(d) => d,
            tidings_store::Started::Existing(d) if d.status == DonationStatus::Pending => d,
            tidings_store::Started::Existing(d) if d.status == DonationStatus::Succeeded => {
                return Ok(NextStep::Thanks(format!(
                    "/donate/thanks/{}?session_id={}",
                    d.id, d.gateway_session
                )))
            }
            tidings_store::Started::Existing(_) => return Ok(NextStep::Over),
        };
        let gateway = &self.payments().gateway;
        if let Some((intent, client_secret, publishable_key)) = gateway.embedded_payment(&d).await?
        {
            store.set_donation_session(d.id, &intent).await?;
            return Ok(NextStep::Embedded {
                donation: Box::new(d),
                intent,
                client_secret,
                publishable_key,
            });
        }
        let description = format!("Gift to {}", self.site_view().await?.title);
        let (session, url) = gateway
            .checkout(&self.site().url, &d, form_slug, &description)
            .await?;
        store.set_donation_session(d.id, &session).await?;
        Ok(NextStep::Pay(url))
    }
}
