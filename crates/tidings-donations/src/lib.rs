//! Donation rules without I/O: money in integer minor units per currency, parsing what donors type,
//! grossing up a gift so the outlet nets all of it, the form's validation, the Stripe API client
//! and webhook signatures.

mod challenge;
mod form;
mod money;
pub mod stripe;
mod webhook;

pub use challenge::{verify_challenge, ChallengeProvider};
pub use form::{validate_gift, FormRules, Frequency, GiftError, GiftRequest, ValidGift};
pub use money::{
    cover_fee, format_amount, format_stored, parse_amount, Currency, FeeRate, MoneyError,
};
pub use webhook::{sign_payload, verify_signature, SignatureError, TOLERANCE_SECS};
