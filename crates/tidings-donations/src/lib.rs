//! Reader donations: the rules (money in integer minor units per currency, parsing what donors
//! type, grossing up a gift so the outlet nets all of it, the form's validation, webhook
//! signatures), the Stripe API client, and the service that runs gifts and monthly plans over the
//! store, the gateway and the mailer (outcomes, renewals, receipts, typed webhook events, refunds).

mod challenge;
mod csv_export;
mod events;
mod form;
mod gateway;
mod money;
mod outcome;
mod receipts;
mod refunds;
mod renewals;
mod service;
pub mod stripe;
mod webhook;
mod webhook_check;

pub use challenge::{verify_challenge, ChallengeProvider};
pub use csv_export::donations_csv;
pub use events::{Delivery, StripeEvent};
pub use form::{validate_gift, FormRules, Frequency, GiftError, GiftRequest, ValidGift};
pub use gateway::{Challenge, Gateway, Payments};
pub use money::{
    cover_fee, format_amount, format_stored, parse_amount, Currency, FeeRate, MoneyError,
};
pub use outcome::{mismatch, next_month, NextStep, Reported, CHARGE_FAILED_JOB, RECEIPT_JOB};
pub use refunds::Refunded;
pub use service::{DonationError, Donations, SECRET};
pub use webhook::{sign_payload, verify_signature, SignatureError, TOLERANCE_SECS};
pub use webhook_check::{webhook_url, WebhookCheck, WEBHOOK_EVENTS};
