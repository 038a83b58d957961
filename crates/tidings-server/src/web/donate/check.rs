//! The checks on a donation form before any payment starts: every field at once, so the donor
//! fixes everything in one go, each message tied to its field.

use tidings_donations::{validate_gift, Currency, FeeRate, FormRules, GiftError, GiftRequest};
use tidings_store::{DonationForm, GatewayKind, NewDonation};

use super::DonateForm;
use crate::web::problems::{sentence, Problems};

/// Longest name, dedication and address accepted.
const MAX_NAME: usize = 100;
const MAX_DEDICATION: usize = 300;
const MAX_ADDRESS: usize = 500;

fn clean(s: &str) -> String {
    s.trim().to_string()
}

/// Names and dedications go into email headers and receipts: one line, no control characters.
fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A postal address may span lines, and nothing else out of the ordinary.
fn bad_address(s: &str) -> bool {
    s.chars().count() > MAX_ADDRESS || s.chars().any(|c| c.is_control() && c != '\n' && c != '\r')
}

fn check_name(problems: &mut Problems, field: &'static str, value: &str, which: &str) {
    if value.is_empty() {
        problems.push(Some(field), format!("Enter your {which} name."));
    } else if value.chars().count() > MAX_NAME || has_control(value) {
        problems.push(
            Some(field),
            format!("Your {which} name can be at most {MAX_NAME} characters, on one line."),
        );
    }
}

/// The gift the form describes, or everything wrong with it.
pub(super) fn checked_gift(
    form: &DonationForm,
    f: &DonateForm,
    email: Result<String, tidings_accounts::AddressError>,
    currency: Currency,
    fee: FeeRate,
    gateway: GatewayKind,
) -> Result<NewDonation, Problems> {
    let mut problems = Problems::default();
    let rules = FormRules {
        currency,
        minimum: form.minimum,
        maximum: form.maximum,
        allow_monthly: form.allow_monthly,
        fee,
    };
    let gift = validate_gift(
        &rules,
        &GiftRequest {
            amount: f.amount.clone(),
            custom_amount: f.custom_amount.clone(),
            frequency: f.frequency.clone(),
            cover_fee: f.cover_fee.is_some(),
            currency: f.currency.clone(),
            shown_total: f.shown_total.clone(),
        },
    );
    if let Err(e) = &gift {
        let field = match e {
            GiftError::Frequency => Some("frequency-once"),
            GiftError::Currency(_) | GiftError::Total => None,
            _ if f.amount == "custom" => Some("custom_amount"),
            _ => Some("amount-first"),
        };
        problems.push(field, sentence(&e.to_string()));
    }
    if f.cover_fee.is_some() && !form.offer_fee_cover {
        problems.push(None, "This form does not offer to cover the fee.");
    }
    let (first, last) = (clean(&f.first_name), clean(&f.last_name));
    check_name(&mut problems, "first_name", &first, "first");
    check_name(&mut problems, "last_name", &last, "last");
    if f.email.trim().is_empty() {
        problems.push(Some("email"), "Enter your email address, for your receipt.");
    } else if let Err(e) = &email {
        problems.push(Some("email"), format!("Email: {e}."));
    }
    if bad_address(&f.address) {
        problems.push(
            Some("address"),
            format!("The address can be at most {MAX_ADDRESS} characters, with nothing we cannot print."),
        );
    }
    if f.dedication.chars().count() > MAX_DEDICATION || has_control(&f.dedication) {
        problems.push(
            Some("dedication"),
            format!("A dedication can be at most {MAX_DEDICATION} characters, on one line."),
        );
    }
    if f.key.len() < 20 || f.key.len() > 64 || !f.key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        problems.push(None, "The form was incomplete. Please try again.");
    }
    let gift = match gift {
        Ok(g) if problems.is_empty() => g,
        _ => return Err(problems),
    };
    Ok(NewDonation {
        email: email.unwrap_or_default(),
        first_name: first,
        last_name: last,
        address: clean(&f.address),
        form_id: Some(form.id),
        campaign_id: form.campaign_id,
        source: f.source.chars().take(300).collect(),
        amount: gift.amount,
        fee: gift.fee,
        currency: currency.code().to_string(),
        frequency: gift.frequency,
        gateway,
        anonymous: f.anonymous.is_some(),
        dedication: clean(&f.dedication),
        idempotency_key: f.key.clone(),
        plan_id: None,
    })
}
