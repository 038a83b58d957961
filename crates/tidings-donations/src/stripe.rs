//! A small Stripe API client: Checkout Sessions (payment mode for gifts, subscription mode for
//! monthly gifts), PaymentIntents for the embedded Payment Element, retrieval, refunds and
//! subscription cancellation. Every POST carries an `Idempotency-Key`, so a retried request never
//! creates a second charge or refund. Card data never passes through here.

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;

use crate::form::Frequency;

/// The API's address.
pub const API_BASE: &str = "https://api.stripe.com";

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error object.
    #[error("Stripe {status}: {message} ({kind}{})", code.as_deref().map(|c| format!(", {c}")).unwrap_or_default())]
    Api {
        /// HTTP status.
        status: u16,
        /// `error.type`, e.g. `card_error`, `invalid_request_error`.
        kind: String,
        /// `error.code`, when given.
        code: Option<String>,
        /// `error.message`.
        message: String,
    },
    /// The request did not get an answer.
    #[error("cannot reach Stripe: {0}")]
    Network(String),
    /// The answer was not what the API documents.
    #[error("unexpected answer from Stripe: {0}")]
    Decode(String),
}

/// A Checkout Session's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// The donor has not finished.
    Open,
    /// Finished (paid, or a subscription set up).
    Complete,
    /// Abandoned.
    Expired,
    /// A value newer than this code.
    #[serde(other)]
    Other,
}

/// A Checkout Session's `payment_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionPaymentStatus {
    /// The money was taken.
    Paid,
    /// Not (yet) paid.
    Unpaid,
    /// Nothing to pay now (a subscription with a trial, say).
    NoPaymentRequired,
    /// A value newer than this code.
    #[serde(other)]
    Other,
}

/// A PaymentIntent's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentStatus {
    /// Waiting for a card.
    RequiresPaymentMethod,
    /// Waiting for the donor to confirm.
    RequiresConfirmation,
    /// Waiting for 3-D Secure or the like.
    RequiresAction,
    /// Being processed.
    Processing,
    /// Authorised, not captured.
    RequiresCapture,
    /// Cancelled.
    Canceled,
    /// Paid.
    Succeeded,
    /// A value newer than this code.
    #[serde(other)]
    Other,
}

/// `checkout.session`, the fields Tidings reads.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutSession {
    /// `cs_...`
    pub id: String,
    /// Where to send the donor (present while the session is open).
    pub url: Option<String>,
    /// `payment` or `subscription`.
    pub mode: String,
    /// Open, complete or expired.
    pub status: Option<SessionStatus>,
    /// Paid, unpaid or no payment required.
    pub payment_status: SessionPaymentStatus,
    /// Total in minor units.
    pub amount_total: Option<i64>,
    /// Lowercase ISO code.
    pub currency: Option<String>,
    /// `pi_...` (payment mode).
    pub payment_intent: Option<String>,
    /// `sub_...` (subscription mode).
    pub subscription: Option<String>,
    /// `cus_...`
    pub customer: Option<String>,
    /// Our donation id, among others.
    #[serde(default)]
    pub metadata: HashMap<String, String>,
}

/// `payment_intent`, the fields Tidings reads.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentIntent {
    /// `pi_...`
    pub id: String,
    /// For the Payment Element in the browser.
    pub client_secret: Option<String>,
    /// Where the payment stands.
    pub status: IntentStatus,
    /// Minor units.
    pub amount: i64,
    /// Lowercase ISO code.
    pub currency: String,
    /// Our donation id, among others.
    #[serde(default)]
    pub metadata: HashMap<String, String>,
}

/// `refund`, the fields Tidings reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Refund {
    /// `re_...`
    pub id: String,
    /// Minor units refunded.
    pub amount: i64,
    /// `pending`, `succeeded`, `failed`, ...
    pub status: Option<String>,
}

/// `subscription`, the fields Tidings reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Subscription {
    /// `sub_...`
    pub id: String,
    /// `active`, `past_due`, `canceled`, ...
    pub status: String,
    /// Our metadata.
    #[serde(default)]
    pub metadata: HashMap<String, String>,
    /// The subscription's items (a monthly gift has one).
    #[serde(default)]
    pub items: Option<SubscriptionItems>,
}

/// `subscription.items`.
#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionItems {
    /// The items.
    pub data: Vec<SubscriptionItem>,
}

/// `subscription_item`, the fields Tidings reads.
#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionItem {
    /// `si_...`
    pub id: String,
    /// Its price.
    pub price: Price,
}

/// `price`, the fields Tidings reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Price {
    /// `price_...`
    pub id: String,
    /// `prod_...`
    pub product: String,
    /// Minor units per month.
    pub unit_amount: Option<i64>,
    /// Lowercase ISO code.
    pub currency: String,
}

/// What a new Checkout Session is for.
#[derive(Debug, Clone)]
pub struct NewCheckout<'a> {
    /// Once (payment mode) or monthly (subscription mode).
    pub frequency: Frequency,
    /// Charged each time, minor units.
    pub amount: i64,
    /// ISO code.
    pub currency: &'a str,
    /// Line item name, e.g. "Gift to The Harbour Ledger".
    pub description: &'a str,
    /// Where Stripe sends the donor after paying (`{CHECKOUT_SESSION_ID}` is filled in by Stripe).
    pub success_url: &'a str,
    /// Where Stripe sends the donor on "back".
    pub cancel_url: &'a str,
    /// Pre-filled address.
    pub email: &'a str,
    /// Our donation id, carried in metadata and `client_reference_id`.
    pub donation_id: i64,
    /// One per form submission.
    pub idempotency_key: &'a str,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorObject,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(rename = "type")]
    kind: String,
    code: Option<String>,
    message: Option<String>,
}

/// A webhook endpoint as `GET /v1/webhook_endpoints` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookEndpoint {
    /// `we_...`
    pub id: String,
    /// Where Stripe posts.
    pub url: String,
    /// `enabled` or `disabled`.
    pub status: String,
    /// The event types sent (`*` for all).
    #[serde(default)]
    pub enabled_events: Vec<String>,
}

#[derive(Deserialize)]
struct List<T> {
    data: Vec<T>,
}

/// A client for one account.
#[derive(Clone)]
pub struct StripeClient {
    base: String,
    secret_key: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key never reaches logs.
        f.debug_struct("StripeClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl StripeClient {
    /// A client for the API at `base` (normally [`API_BASE`]) with a secret key.
    pub fn new(base: &str, secret_key: &str) -> Result<StripeClient, StripeError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| StripeError::Network(e.to_string()))?;
        Ok(StripeClient {
            base: base.trim_end_matches('/').to_string(),
            secret_key: secret_key.to_string(),
            http,
        })
    }

    /// Whether the key is a live one (`sk_live_`/`rk_live_`).
    pub fn is_live(&self) -> bool {
        self.secret_key.starts_with("sk_live_") || self.secret_key.starts_with("rk_live_")
    }

    async fn send<T: for<'de> Deserialize<'de>>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, StripeError> {
        let res = request
            .bearer_auth(&self.secret_key)
            .send()
            .await
            .map_err(|e| StripeError::Network(e.to_string()))?;
        let status = res.status().as_u16();
        let body = res
            .bytes()
            .await
            .map_err(|e| StripeError::Network(e.to_string()))?;
        if !(200..300).contains(&status) {
            let e: ErrorBody = serde_json::from_slice(&body)
                .map_err(|e| StripeError::Decode(format!("status {status}: {e}")))?;
            return Err(StripeError::Api {
                status,
                kind: e.error.kind,
                code: e.error.code,
                message: e.error.message.unwrap_or_default(),
            });
        }
        serde_json::from_slice(&body).map_err(|e| StripeError::Decode(e.to_string()))
    }

    async fn post<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<T, StripeError> {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Idempotency-Key", idempotency_key)
            .form(form);
        self.send(req).await
    }

    async fn get<T: for<'de> Deserialize<'de>>(&self, path: &str) -> Result<T, StripeError> {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// The account's webhook endpoints (the first hundred; an account has a handful).
    pub async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>, StripeError> {
        let list: List<WebhookEndpoint> = self.get("/v1/webhook_endpoints?limit=100").await?;
        Ok(list.data)
    }

    /// Creates a hosted Checkout Session: payment mode for a gift, subscription mode for a
    /// monthly gift (a monthly price made inline).
    pub async fn create_checkout_session(
        &self,
        c: &NewCheckout<'_>,
    ) -> Result<CheckoutSession, StripeError> {
        let id = c.donation_id.to_string();
        let mut form: Vec<(String, String)> = vec![
            ("success_url".into(), c.success_url.into()),
            ("cancel_url".into(), c.cancel_url.into()),
            ("client_reference_id".into(), id.clone()),
            ("metadata[donation_id]".into(), id.clone()),
            ("line_items[0][quantity]".into(), "1".into()),
            (
                "line_items[0][price_data][currency]".into(),
                c.currency.to_ascii_lowercase(),
            ),
            (
                "line_items[0][price_data][unit_amount]".into(),
                c.amount.to_string(),
            ),
            (
                "line_items[0][price_data][product_data][name]".into(),
                c.description.into(),
            ),
        ];
        if !c.email.is_empty() {
            form.push(("customer_email".into(), c.email.into()));
        }
        match c.frequency {
            Frequency::Once => {
                form.push(("mode".into(), "payment".into()));
                form.push(("payment_intent_data[metadata][donation_id]".into(), id));
                form.push(("submit_type".into(), "donate".into()));
            }
            Frequency::Monthly => {
                form.push(("mode".into(), "subscription".into()));
                form.push((
                    "line_items[0][price_data][recurring][interval]".into(),
                    "month".into(),
                ));
                form.push(("subscription_data[metadata][donation_id]".into(), id));
            }
        }
        self.post("/v1/checkout/sessions", &form, c.idempotency_key)
            .await
    }

    /// Creates a PaymentIntent for the embedded Payment Element (one-time gifts).
    pub async fn create_payment_intent(
        &self,
        amount: i64,
        currency: &str,
        donation_id: i64,
        email: &str,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, StripeError> {
        let form: Vec<(String, String)> = vec![
            ("amount".into(), amount.to_string()),
            ("currency".into(), currency.to_ascii_lowercase()),
            ("automatic_payment_methods[enabled]".into(), "true".into()),
            ("metadata[donation_id]".into(), donation_id.to_string()),
            ("receipt_email".into(), email.into()),
        ];
        self.post("/v1/payment_intents", &form, idempotency_key)
            .await
    }

    /// Reads a Checkout Session's current state.
    pub async fn checkout_session(&self, id: &str) -> Result<CheckoutSession, StripeError> {
        self.get(&format!("/v1/checkout/sessions/{}", path_segment(id)?))
            .await
    }

    /// Reads a PaymentIntent's current state.
    pub async fn payment_intent(&self, id: &str) -> Result<PaymentIntent, StripeError> {
        self.get(&format!("/v1/payment_intents/{}", path_segment(id)?))
            .await
    }

    /// Reads a subscription's current state.
    pub async fn subscription(&self, id: &str) -> Result<Subscription, StripeError> {
        self.get(&format!("/v1/subscriptions/{}", path_segment(id)?))
            .await
    }

    /// Refunds `amount` of a payment.
    pub async fn refund(
        &self,
        payment_intent: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<Refund, StripeError> {
        let form: Vec<(String, String)> = vec![
            ("payment_intent".into(), payment_intent.into()),
            ("amount".into(), amount.to_string()),
            ("reason".into(), "requested_by_customer".into()),
        ];
        self.post("/v1/refunds", &form, idempotency_key).await
    }

    /// Changes a monthly gift's amount from the next invoice on (no proration: nothing is charged
    /// or credited now).
    pub async fn change_subscription_amount(
        &self,
        id: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<Subscription, StripeError> {
        let current = self.subscription(id).await?;
        let item = current
            .items
            .as_ref()
            .and_then(|i| i.data.first())
            .ok_or_else(|| StripeError::Decode(format!("subscription {id} has no items")))?;
        let form: Vec<(String, String)> = vec![
            ("items[0][id]".into(), item.id.clone()),
            (
                "items[0][price_data][currency]".into(),
                item.price.currency.clone(),
            ),
            (
                "items[0][price_data][product]".into(),
                item.price.product.clone(),
            ),
            (
                "items[0][price_data][unit_amount]".into(),
                amount.to_string(),
            ),
            (
                "items[0][price_data][recurring][interval]".into(),
                "month".into(),
            ),
            ("proration_behavior".into(), "none".into()),
        ];
        self.post(
            &format!("/v1/subscriptions/{}", path_segment(id)?),
            &form,
            idempotency_key,
        )
        .await
    }

    /// Cancels a subscription at once.
    pub async fn cancel_subscription(&self, id: &str) -> Result<Subscription, StripeError> {
        let req = self.http.delete(format!(
            "{}/v1/subscriptions/{}",
            self.base,
            path_segment(id)?
        ));
        self.send(req).await
    }
}

/// Ids from the outside go into URLs only if they look like Stripe ids.
fn path_segment(id: &str) -> Result<&str, StripeError> {
    if !id.is_empty()
        && id.len() <= 255
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(id)
    } else {
        Err(StripeError::Decode(format!("`{id}` is not a Stripe id")))
    }
}
