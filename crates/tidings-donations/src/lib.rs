//! Donation rules without I/O: money in integer minor units per currency, parsing what donors type,
//! grossing up a gift so the outlet nets all of it, and the form's validation.

mod form;
mod money;

pub use form::{validate_gift, FormRules, Frequency, GiftError, GiftRequest, ValidGift};
pub use money::{
    cover_fee, format_amount, minor_units, parse_amount, Currency, FeeRate, MoneyError,
};
