//! The payment gateways behind one type: the test gateway (no set-up, no card data, the donor
//! completes or declines a simulated payment on our own page) and Stripe Checkout.

use tidings_config::{PaymentGateway, StripeMode};
use tidings_store::{Donation, GatewayKind};

use crate::service::DonationError;
use crate::stripe::{NewCheckout, StripeClient};
use crate::{ChallengeProvider, Currency, FeeRate, Frequency};

/// The configured gateway.
pub enum Gateway {
    /// Simulated payments, labelled "test mode" everywhere.
    Test,
    /// Stripe Checkout.
    Stripe {
        /// API client.
        client: StripeClient,
        /// Webhook signing secret.
        webhook_secret: String,
        /// Publishable key, when one-time gifts use the embedded Payment Element.
        elements_key: Option<String>,
    },
}

/// The site's payment configuration.
pub struct Payments {
    /// The gateway.
    pub gateway: Gateway,
    /// Default currency for new forms.
    pub currency: Currency,
    /// The gateway's fee, for "cover the fee".
    pub fee: FeeRate,
    /// Attempts per address and per email in an hour.
    pub attempt_limit: i64,
    /// The optional third-party challenge (off unless configured).
    pub challenge: Option<Challenge>,
}

/// A configured third-party challenge.
pub struct Challenge {
    /// Turnstile or hCaptcha.
    pub provider: ChallengeProvider,
    /// Public site key.
    pub site_key: String,
    /// Secret key.
    pub secret: String,
    /// Verification endpoint.
    pub verify_url: String,
}

impl Payments {
    /// From the configuration (already validated).
    pub fn from_config(config: &tidings_config::Config) -> Result<Payments, DonationError> {
        let p = &config.payments;
        let currency = Currency::parse(&p.currency).ok_or_else(|| {
            DonationError::Setup(format!(
                "payments.currency: {} is not supported",
                p.currency
            ))
        })?;
        let gateway = match p.gateway() {
            PaymentGateway::Stripe => Gateway::Stripe {
                client: StripeClient::new(&p.stripe_api_base, &p.stripe_secret_key)?,
                webhook_secret: p.stripe_webhook_secret.clone(),
                elements_key: (p.stripe_mode() == StripeMode::Elements)
                    .then(|| p.stripe_publishable_key.clone()),
            },
            PaymentGateway::Test => Gateway::Test,
        };
        Ok(Payments {
            gateway,
            currency,
            fee: FeeRate {
                basis_points: i64::from(p.fee_basis_points),
                fixed: i64::from(p.fee_fixed),
            },
            attempt_limit: i64::from(p.attempt_limit),
            challenge: ChallengeProvider::parse(&p.challenge_provider).map(|provider| Challenge {
                provider,
                site_key: p.challenge_site_key.clone(),
                secret: p.challenge_secret.clone(),
                verify_url: if p.challenge_verify_url.is_empty() {
                    provider.verify_url().to_string()
                } else {
                    p.challenge_verify_url.clone()
                },
            }),
        })
    }
}

impl Gateway {
    /// Which kind of gateway this is (as stored with each gift).
    pub fn kind(&self) -> GatewayKind {
        match self {
            Gateway::Test => GatewayKind::Test,
            Gateway::Stripe { .. } => GatewayKind::Stripe,
        }
    }

    /// Whether no real money moves (the test gateway, or Stripe with a test key).
    pub fn test_mode(&self) -> bool {
        match self {
            Gateway::Test => true,
            Gateway::Stripe { client, .. } => !client.is_live(),
        }
    }

    /// Sends the donor to pay: returns the checkout session id and where to redirect.
    pub async fn checkout(
        &self,
        site_url: &str,
        d: &Donation,
        form_slug: &str,
        description: &str,
    ) -> Result<(String, String), DonationError> {
        match self {
            Gateway::Test => {
                let session = if d.gateway_session.is_empty() {
                    format!("test_{}", tidings_accounts::new_token())
                } else {
                    d.gateway_session.clone()
                };
                let url = format!("{site_url}/donate/test-checkout/{session}");
                Ok((session, url))
            }
            Gateway::Stripe { client, .. } => {
                let success = format!(
                    "{site_url}/donate/thanks/{}?session_id={{CHECKOUT_SESSION_ID}}",
                    d.id
                );
                let cancel = if form_slug == "default" {
                    format!("{site_url}/donate/?cancelled=1")
                } else {
                    format!("{site_url}/donate/{form_slug}/?cancelled=1")
                };
                let frequency = d.frequency;
                let key = format!("donation-{}", d.id);
                let session = client
                    .create_checkout_session(&NewCheckout {
                        frequency,
                        amount: d.total,
                        currency: &d.currency,
                        description,
                        success_url: &success,
                        cancel_url: &cancel,
                        email: &d.email,
                        donation_id: d.id,
                        idempotency_key: &key,
                    })
                    .await?;
                let url = session
                    .url
                    .clone()
                    .ok_or(DonationError::Unexpected("Stripe returned no checkout URL"))?;
                Ok((session.id, url))
            }
        }
    }

    /// For one-time gifts paid on our own page with the embedded Payment Element: the
    /// PaymentIntent's id and client secret, and the publishable key. `None` means "use checkout".
    pub async fn embedded_payment(
        &self,
        d: &Donation,
    ) -> Result<Option<(String, String, String)>, DonationError> {
        match self {
            Gateway::Stripe {
                client,
                elements_key: Some(key),
                ..
            } if d.frequency == Frequency::Once => {
                let intent = client
                    .create_payment_intent(
                        d.total,
                        &d.currency,
                        d.id,
                        &d.email,
                        &format!("donation-{}", d.id),
                    )
                    .await?;
                let secret = intent.client_secret.ok_or(DonationError::Unexpected(
                    "Stripe returned no client secret",
                ))?;
                Ok(Some((intent.id, secret, key.clone())))
            }
            _ => Ok(None),
        }
    }

    /// Refunds `amount` of a donation through the gateway, once per `key`.
    pub async fn refund(&self, d: &Donation, amount: i64, key: &str) -> Result<(), DonationError> {
        match self {
            Gateway::Test => Ok(()),
            Gateway::Stripe { client, .. } => client
                .refund(&d.gateway_payment, amount, key)
                .await
                .map(|_| ())
                .map_err(DonationError::from),
        }
    }

    /// Changes a monthly gift's amount at the gateway (from the next charge).
    pub async fn change_amount(
        &self,
        subscription: &str,
        plan_id: i64,
        total: i64,
    ) -> Result<(), DonationError> {
        match self {
            Gateway::Stripe { client, .. } if !subscription.is_empty() => client
                .change_subscription_amount(subscription, total, &format!("plan-{plan_id}-{total}"))
                .await
                .map(|_| ())
                .map_err(DonationError::from),
            _ => Ok(()),
        }
    }

    /// Stops a monthly gift at the gateway.
    pub async fn cancel(&self, subscription: &str) -> Result<(), DonationError> {
        match self {
            Gateway::Stripe { client, .. } if !subscription.is_empty() => client
                .cancel_subscription(subscription)
                .await
                .map(|_| ())
                .map_err(DonationError::from),
            _ => Ok(()),
        }
    }
}
