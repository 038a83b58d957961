//! Stripe's webhook events, typed: the envelope, the objects Tidings reads from each event kind,
//! and what each changes. Signature-checked (300-second tolerance), each event id handled once,
//! and safe in any order: every change checks the state it comes from (a late `payment_failed`
//! cannot undo a success) and refunds carry Stripe's running total rather than a difference.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use tidings_store::{DonationStatus, GatewayKind, PlanStatus};

use crate::outcome::Reported;
use crate::service::{DonationError, Donations};
use crate::stripe::{IntentStatus, SessionPaymentStatus};
use crate::{verify_signature, Gateway, TOLERANCE_SECS};

/// The envelope of every event.
#[derive(Debug, Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EnvelopeData,
}

#[derive(Debug, Deserialize)]
struct EnvelopeData {
    object: serde_json::Value,
}

/// A `checkout.session` as events carry it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SessionObject {
    /// `cs_...`
    pub id: String,
    /// Paid, unpaid or no payment required.
    pub payment_status: Option<SessionPaymentStatus>,
    /// Total in minor units.
    pub amount_total: Option<i64>,
    /// Lowercase ISO code.
    pub currency: Option<String>,
    /// `pi_...` (payment mode).
    pub payment_intent: Option<String>,
    /// `sub_...` (subscription mode).
    pub subscription: Option<String>,
    /// Our donation id, as set when the session was made.
    pub client_reference_id: Option<String>,
    /// Our donation id, among others.
    pub metadata: HashMap<String, String>,
}

/// The last error of a failed payment.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PaymentError {
    /// Shown to the donor by Stripe; kept as the failure's reason.
    pub message: Option<String>,
}

/// A `payment_intent` as events carry it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IntentObject {
    /// `pi_...`
    pub id: String,
    /// Asked for, minor units.
    pub amount: Option<i64>,
    /// Received, minor units.
    pub amount_received: Option<i64>,
    /// Lowercase ISO code.
    pub currency: Option<String>,
    /// Why the last attempt failed.
    pub last_payment_error: Option<PaymentError>,
    /// Our donation id, among others.
    pub metadata: HashMap<String, String>,
}

/// A `charge` (refunds) or a `dispute`: both name the payment they are about.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChargeObject {
    /// `pi_...`
    pub payment_intent: Option<String>,
    /// Refunded so far, minor units (charges only).
    pub amount_refunded: Option<i64>,
}

/// Why an invoice was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingReason {
    /// The subscription's first invoice (the checkout's own payment).
    SubscriptionCreate,
    /// A renewal.
    SubscriptionCycle,
    /// A change of amount.
    SubscriptionUpdate,
    /// Anything else.
    #[serde(other)]
    Other,
}

/// `parent.subscription_details` of newer API versions' invoices.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InvoiceParent {
    /// The subscription the invoice belongs to.
    pub subscription_details: Option<SubscriptionRef>,
}

/// A reference to a subscription.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SubscriptionRef {
    /// `sub_...`
    pub subscription: Option<String>,
}

/// An `invoice` as events carry it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InvoiceObject {
    /// `in_...`
    pub id: String,
    /// Why it was made.
    pub billing_reason: Option<BillingReason>,
    /// `sub_...` (older API versions).
    pub subscription: Option<String>,
    /// Where newer API versions name the subscription.
    pub parent: Option<InvoiceParent>,
    /// Billed, minor units.
    pub amount_due: Option<i64>,
    /// Lowercase ISO code.
    pub currency: Option<String>,
    /// `pi_...`
    pub payment_intent: Option<String>,
}

impl InvoiceObject {
    fn subscription(&self) -> &str {
        match self.subscription.as_deref() {
            Some(s) if !s.is_empty() => s,
            _ => self
                .parent
                .as_ref()
                .and_then(|p| p.subscription_details.as_ref())
                .and_then(|d| d.subscription.as_deref())
                .unwrap_or_default(),
        }
    }
}

/// A `subscription` as events carry it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SubscriptionObject {
    /// `sub_...`
    pub id: String,
}

/// The events Tidings acts on, each with its object.
#[derive(Debug)]
pub enum StripeEvent {
    /// `checkout.session.completed`
    CheckoutCompleted(SessionObject),
    /// `checkout.session.expired`
    CheckoutExpired(SessionObject),
    /// `payment_intent.succeeded`
    IntentSucceeded(IntentObject),
    /// `payment_intent.payment_failed`
    IntentFailed(IntentObject),
    /// `charge.refunded`
    ChargeRefunded(ChargeObject),
    /// `charge.dispute.created`
    DisputeCreated(ChargeObject),
    /// `invoice.paid`
    InvoicePaid(InvoiceObject),
    /// `invoice.payment_failed`
    InvoiceFailed(InvoiceObject),
    /// `customer.subscription.deleted`
    SubscriptionDeleted(SubscriptionObject),
    /// Any other kind: acknowledged, nothing done.
    Ignored(String),
}

impl StripeEvent {
    /// The event of `kind` with its object, or why the object is not what the kind promises.
    pub fn parse(kind: &str, object: serde_json::Value) -> Result<StripeEvent, serde_json::Error> {
        fn obj<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, serde_json::Error> {
            serde_json::from_value(v)
        }
        Ok(match kind {
            "checkout.session.completed" => StripeEvent::CheckoutCompleted(obj(object)?),
            "checkout.session.expired" => StripeEvent::CheckoutExpired(obj(object)?),
            "payment_intent.succeeded" => StripeEvent::IntentSucceeded(obj(object)?),
            "payment_intent.payment_failed" => StripeEvent::IntentFailed(obj(object)?),
            "charge.refunded" => StripeEvent::ChargeRefunded(obj(object)?),
            "charge.dispute.created" => StripeEvent::DisputeCreated(obj(object)?),
            "invoice.paid" => StripeEvent::InvoicePaid(obj(object)?),
            "invoice.payment_failed" => StripeEvent::InvoiceFailed(obj(object)?),
            "customer.subscription.deleted" => StripeEvent::SubscriptionDeleted(obj(object)?),
            other => StripeEvent::Ignored(other.to_string()),
        })
    }
}

/// What became of a webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Handled now.
    Handled,
    /// This event id was handled before.
    AlreadyHandled,
    /// Refused (bad signature, not an event): tell the sender why, with a 400.
    Refused(String),
    /// This site takes no webhooks from that gateway.
    NotHere,
}

fn donation_id(meta: &HashMap<String, String>, reference: Option<&str>) -> Option<i64> {
    meta.get("donation_id")
        .and_then(|v| v.parse().ok())
        .or_else(|| reference.and_then(|r| r.parse().ok()))
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

impl Donations {
    /// Takes one webhook delivery from `gateway`: checks its signature at `now`, records its id,
    /// and applies it once.
    pub async fn receive_webhook(
        &self,
        gateway: &str,
        body: &[u8],
        signature: &str,
        now: i64,
    ) -> Result<Delivery, DonationError> {
        let Gateway::Stripe { webhook_secret, .. } = &self.payments().gateway else {
            return Ok(Delivery::NotHere);
        };
        if gateway.parse::<GatewayKind>().ok() != Some(GatewayKind::Stripe) {
            return Ok(Delivery::NotHere);
        }
        if let Err(e) = verify_signature(body, signature, webhook_secret, now, TOLERANCE_SECS) {
            tracing::warn!(error = %e, "webhook refused");
            return Ok(Delivery::Refused(e.to_string()));
        }
        let envelope: Envelope = match serde_json::from_slice(body) {
            Ok(e) => e,
            Err(_) => return Ok(Delivery::Refused("not an event".into())),
        };
        if envelope.id.is_empty() || envelope.kind.is_empty() {
            return Ok(Delivery::Refused("not an event".into()));
        }
        let store = self.store();
        if store
            .gateway_event_seen(GatewayKind::Stripe.as_str(), &envelope.id)
            .await?
        {
            return Ok(Delivery::AlreadyHandled);
        }
        let event = match StripeEvent::parse(&envelope.kind, envelope.data.object) {
            Ok(event) => event,
            Err(e) => {
                // Signed by Stripe yet not shaped as documented: refuse, so that Stripe retries and
                // shows the failure rather than the change being lost quietly.
                tracing::warn!(kind = %envelope.kind, error = %e, "webhook object not understood");
                return Ok(Delivery::Refused(format!("{} object: {e}", envelope.kind)));
            }
        };
        self.apply(event).await?;
        store
            .record_gateway_event(GatewayKind::Stripe.as_str(), &envelope.id, &envelope.kind)
            .await?;
        Ok(Delivery::Handled)
    }

    /// What one event changes.
    pub async fn apply(&self, event: StripeEvent) -> Result<(), DonationError> {
        let store = self.store();
        match event {
            StripeEvent::CheckoutCompleted(s) => {
                let Some(d) = self.session_donation(&s).await? else {
                    return Ok(());
                };
                if matches!(
                    s.payment_status,
                    Some(SessionPaymentStatus::Paid | SessionPaymentStatus::NoPaymentRequired)
                ) {
                    let reported = Reported {
                        object: &s.id,
                        amount: s.amount_total,
                        currency: s.currency.as_deref(),
                    };
                    let payment = s.payment_intent.as_deref().unwrap_or_default();
                    self.succeeded_if_matching(&d, reported, payment, non_empty(&s.subscription))
                        .await?;
                }
            }
            StripeEvent::CheckoutExpired(s) => {
                if let Some(d) = self.session_donation(&s).await? {
                    self.failed(d.id, DonationStatus::Expired, "checkout expired")
                        .await?;
                }
            }
            StripeEvent::IntentSucceeded(pi) => {
                let Some(d) = self.intent_donation(&pi).await? else {
                    return Ok(());
                };
                // A Checkout payment's intent is learned from its session's completion, which is
                // the event that counts for it; its own event is not a mismatch.
                let via_checkout =
                    d.gateway_session.starts_with("cs_") && d.gateway_payment.is_empty();
                if !via_checkout {
                    let reported = Reported {
                        object: &pi.id,
                        amount: pi.amount_received.or(pi.amount),
                        currency: pi.currency.as_deref(),
                    };
                    self.succeeded_if_matching(&d, reported, &pi.id, None)
                        .await?;
                }
            }
            StripeEvent::IntentFailed(pi) => {
                let Some(d) = self.intent_donation(&pi).await? else {
                    return Ok(());
                };
                // Events can arrive late: ask Stripe what the payment's state is now.
                if let Gateway::Stripe { client, .. } = &self.payments().gateway {
                    if let Ok(now) = client.payment_intent(&pi.id).await {
                        if now.status == IntentStatus::Succeeded {
                            let reported = Reported {
                                object: &now.id,
                                amount: Some(now.amount),
                                currency: Some(&now.currency),
                            };
                            self.succeeded_if_matching(&d, reported, &now.id, None)
                                .await?;
                            return Ok(());
                        }
                    }
                }
                let reason = pi
                    .last_payment_error
                    .as_ref()
                    .and_then(|e| non_empty(&e.message))
                    .unwrap_or("payment failed");
                self.failed(d.id, DonationStatus::Failed, reason).await?;
            }
            StripeEvent::ChargeRefunded(c) => {
                let payment = c.payment_intent.as_deref().unwrap_or_default();
                if let Some(d) = store.donation_by_payment(payment).await? {
                    store
                        .refund_donation(d.id, c.amount_refunded.unwrap_or(0))
                        .await?;
                }
            }
            StripeEvent::DisputeCreated(c) => {
                let payment = c.payment_intent.as_deref().unwrap_or_default();
                if let Some(d) = store.donation_by_payment(payment).await? {
                    store.dispute_donation(d.id).await?;
                }
            }
            StripeEvent::InvoicePaid(invoice) => self.invoice(&invoice, true).await?,
            StripeEvent::InvoiceFailed(invoice) => self.invoice(&invoice, false).await?,
            StripeEvent::SubscriptionDeleted(sub) => {
                if let Some(plan) = store.plan_by_subscription(&sub.id).await? {
                    store
                        .update_plan(plan.id, PlanStatus::Cancelled, None, None)
                        .await?;
                }
            }
            StripeEvent::Ignored(kind) => tracing::debug!(kind, "webhook event ignored"),
        }
        Ok(())
    }

    async fn session_donation(
        &self,
        s: &SessionObject,
    ) -> Result<Option<tidings_store::Donation>, DonationError> {
        if let Some(id) = donation_id(&s.metadata, s.client_reference_id.as_deref()) {
            if let Some(d) = self.store().donation(id).await? {
                return Ok(Some(d));
            }
        }
        Ok(self.store().donation_by_session(&s.id).await?)
    }

    async fn intent_donation(
        &self,
        pi: &IntentObject,
    ) -> Result<Option<tidings_store::Donation>, DonationError> {
        match donation_id(&pi.metadata, None) {
            Some(id) => Ok(self.store().donation(id).await?),
            None => Ok(None),
        }
    }

    /// A renewal invoice of a Stripe subscription, paid or not.
    async fn invoice(&self, invoice: &InvoiceObject, paid: bool) -> Result<(), DonationError> {
        let store = self.store();
        // The first invoice of a subscription is the checkout's own payment, handled above.
        if invoice.billing_reason == Some(BillingReason::SubscriptionCreate) {
            return Ok(());
        }
        let Some(plan) = store.plan_by_subscription(invoice.subscription()).await? else {
            return Ok(());
        };
        // The invoice must be for this plan's own amount and currency.
        let expected = plan.amount + plan.fee;
        let currency = invoice.currency.as_deref().unwrap_or_default();
        if invoice.amount_due != Some(expected) || !currency.eq_ignore_ascii_case(&plan.currency) {
            let why = format!(
                "invoice {} is for {} {}, but the plan is {} {}",
                invoice.id,
                invoice
                    .amount_due
                    .map_or("no amount".into(), |a| a.to_string()),
                currency,
                expected,
                plan.currency
            );
            tracing::warn!(plan = plan.id, reason = %why, "invoice does not match the plan");
            store.flag_plan_mismatch(plan.id, &why).await?;
            return Ok(());
        }
        // The invoice matched the plan's amount and fee, so the renewal gift is the plan's.
        let d = self
            .renewal_gift(
                &plan,
                GatewayKind::Stripe,
                format!("invoice-{}", invoice.id),
            )
            .await?;
        if paid {
            let payment = non_empty(&invoice.payment_intent).unwrap_or(&invoice.id);
            self.succeeded(d.id, payment, None).await?;
        } else {
            self.failed(
                d.id,
                DonationStatus::Failed,
                "the monthly charge was declined",
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_read_into_their_types() {
        let object = serde_json::json!({
            "id": "in_1", "object": "invoice", "billing_reason": "subscription_cycle",
            "parent": {"subscription_details": {"subscription": "sub_9"}},
            "amount_due": 1030, "currency": "usd", "payment_intent": null,
        });
        let StripeEvent::InvoicePaid(invoice) = StripeEvent::parse("invoice.paid", object).unwrap()
        else {
            panic!("not an invoice");
        };
        assert_eq!(invoice.subscription(), "sub_9");
        assert_eq!(
            invoice.billing_reason,
            Some(BillingReason::SubscriptionCycle)
        );
        assert_eq!(non_empty(&invoice.payment_intent), None);

        let object = serde_json::json!({"id": "cs_1", "payment_status": "some_new_state"});
        let StripeEvent::CheckoutCompleted(s) =
            StripeEvent::parse("checkout.session.completed", object).unwrap()
        else {
            panic!("not a session");
        };
        assert_eq!(s.payment_status, Some(SessionPaymentStatus::Other));

        let ignored = StripeEvent::parse("customer.created", serde_json::json!({})).unwrap();
        assert!(matches!(ignored, StripeEvent::Ignored(k) if k == "customer.created"));
        // A kind we act on, with an object that is not what Stripe documents, is an error.
        assert!(StripeEvent::parse(
            "charge.refunded",
            serde_json::json!({"amount_refunded": "x"})
        )
        .is_err());
    }
}
