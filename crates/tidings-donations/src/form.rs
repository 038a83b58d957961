//! What a donation form accepts, checked the same way whatever the page sent.

use crate::money::{cover_fee, format_amount, parse_amount, Currency, FeeRate};

pub use tidings_store::Frequency;

/// A form's limits, from its settings.
#[derive(Debug, Clone)]
pub struct FormRules {
    /// The form's currency.
    pub currency: Currency,
    /// Smallest gift, minor units.
    pub minimum: i64,
    /// Largest gift, minor units.
    pub maximum: i64,
    /// Whether monthly gifts are offered.
    pub allow_monthly: bool,
    /// The gateway's fee, for the "cover the fee" choice.
    pub fee: FeeRate,
}

/// What the donor sent, as text.
#[derive(Debug, Clone, Default)]
pub struct GiftRequest {
    /// The chosen preset, or `custom`.
    pub amount: String,
    /// The custom amount, when `amount` is `custom`.
    pub custom_amount: String,
    /// `once` or `monthly`.
    pub frequency: String,
    /// Whether the donor ticked "cover the fee".
    pub cover_fee: bool,
    /// The currency the page showed (must be the form's).
    pub currency: String,
    /// The total the page showed, in minor units (checked against ours).
    pub shown_total: String,
}

/// A gift that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidGift {
    /// The gift itself, minor units.
    pub amount: i64,
    /// Fee added at the donor's choice.
    pub fee: i64,
    /// What is charged: amount + fee.
    pub total: i64,
    /// Once or monthly.
    pub frequency: Frequency,
}

/// Why a gift was refused, in words for the form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GiftError {
    /// Amount missing or not a number.
    #[error("{0}")]
    Amount(String),
    /// Below the form's minimum.
    #[error("the smallest gift on this form is {0}")]
    BelowMinimum(String),
    /// Above the form's maximum.
    #[error("the largest gift on this form is {0}; please contact us for larger gifts")]
    AboveMaximum(String),
    /// A frequency the form does not offer.
    #[error("choose a one-time or monthly gift")]
    Frequency,
    /// A currency other than the form's.
    #[error("this form takes {0} only")]
    Currency(&'static str),
    /// The total the page showed is not the one we compute: the page was tampered with or stale.
    #[error("the total changed; please check the amount and try again")]
    Total,
}

/// Checks a request against a form's rules; the total is always recomputed here.
pub fn validate_gift(rules: &FormRules, req: &GiftRequest) -> Result<ValidGift, GiftError> {
    let c = rules.currency;
    if !req.currency.is_empty() && !req.currency.eq_ignore_ascii_case(c.code()) {
        return Err(GiftError::Currency(c.code()));
    }
    let frequency = match req.frequency.trim().parse::<Frequency>().ok() {
        Some(Frequency::Monthly) if !rules.allow_monthly => return Err(GiftError::Frequency),
        Some(f) => f,
        None => return Err(GiftError::Frequency),
    };
    // A preset button posts its amount in minor units; "Other" posts what the donor typed.
    let amount = if req.amount == "custom" || req.amount.is_empty() {
        if req.custom_amount.trim().is_empty() {
            return Err(GiftError::Amount("choose or enter an amount".into()));
        }
        parse_amount(c, &req.custom_amount).map_err(|e| GiftError::Amount(e.to_string()))?
    } else {
        req.amount
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0 && req.amount.trim().bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                GiftError::Amount("choose one of the amounts or enter your own".into())
            })?
    };
    if amount < rules.minimum {
        return Err(GiftError::BelowMinimum(format_amount(c, rules.minimum)));
    }
    if amount > rules.maximum {
        return Err(GiftError::AboveMaximum(format_amount(c, rules.maximum)));
    }
    let (total, fee) = if req.cover_fee {
        cover_fee(amount, rules.fee)
    } else {
        (amount, 0)
    };
    if !req.shown_total.is_empty() && req.shown_total.trim().parse::<i64>().ok() != Some(total) {
        return Err(GiftError::Total);
    }
    Ok(ValidGift {
        amount,
        fee,
        total,
        frequency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> FormRules {
        FormRules {
            currency: Currency::parse("USD").unwrap(),
            minimum: 500,
            maximum: 1_000_000,
            allow_monthly: true,
            fee: FeeRate {
                basis_points: 290,
                fixed: 30,
            },
        }
    }

    fn req(amount: &str) -> GiftRequest {
        GiftRequest {
            amount: amount.into(),
            frequency: "once".into(),
            ..GiftRequest::default()
        }
    }

    #[test]
    fn presets_custom_amounts_and_fee_cover() {
        assert_eq!(
            validate_gift(&rules(), &req("10000")).unwrap().total,
            10_000
        );
        let mut r = req("custom");
        r.custom_amount = "42.50".into();
        r.cover_fee = true;
        r.frequency = "monthly".into();
        let g = validate_gift(&rules(), &r).unwrap();
        assert_eq!((g.amount, g.frequency), (4_250, Frequency::Monthly));
        assert_eq!(g.total, g.amount + g.fee);
        assert!(g.fee > 0);
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        assert!(
            matches!(validate_gift(&rules(), &req("200")), Err(GiftError::BelowMinimum(m)) if m == "$5.00")
        );
        assert!(matches!(
            validate_gift(&rules(), &req("2000000")),
            Err(GiftError::AboveMaximum(_))
        ));
        assert!(matches!(
            validate_gift(&rules(), &req("ten")),
            Err(GiftError::Amount(_))
        ));
        assert!(matches!(
            validate_gift(&rules(), &req("")),
            Err(GiftError::Amount(_))
        ));
        let mut r = req("10000");
        r.currency = "EUR".into();
        assert_eq!(validate_gift(&rules(), &r), Err(GiftError::Currency("USD")));
        let mut r = req("10000");
        r.frequency = "weekly".into();
        assert_eq!(validate_gift(&rules(), &r), Err(GiftError::Frequency));
        let mut r = req("10000");
        r.shown_total = "100".into();
        assert_eq!(
            validate_gift(&rules(), &r),
            Err(GiftError::Total),
            "tampered total"
        );
        let mut once_only = rules();
        once_only.allow_monthly = false;
        let mut r = req("10000");
        r.frequency = "monthly".into();
        assert_eq!(validate_gift(&once_only, &r), Err(GiftError::Frequency));
    }
}
