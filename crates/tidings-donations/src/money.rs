//! Money: integer minor units, never floating point.

use std::fmt;

/// An ISO 4217 currency Tidings accepts, with its number of decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u32,
}

/// Currencies a donation form may use: ISO 4217 codes with their minor-unit exponent. Zero-decimal
/// currencies (JPY, KRW, ...) count whole units; the three-decimal ones count thousandths.
const CURRENCIES: &[(&str, u32)] = &[
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("CAD", 2),
    ("AUD", 2),
    ("NZD", 2),
    ("CHF", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("PLN", 2),
    ("CZK", 2),
    ("HUF", 2),
    ("RON", 2),
    ("BRL", 2),
    ("MXN", 2),
    ("INR", 2),
    ("ZAR", 2),
    ("SGD", 2),
    ("HKD", 2),
    ("ILS", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("VND", 0),
    ("CLP", 0),
    ("ISK", 0),
    ("UGX", 0),
    ("XOF", 0),
    ("BHD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("OMR", 3),
    ("TND", 3),
];

impl Currency {
    /// The currency with this code (case-insensitive), if supported.
    pub fn parse(code: &str) -> Option<Currency> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == upper)
            .map(|(code, exponent)| Currency {
                code,
                exponent: *exponent,
            })
    }

    /// The ISO code.
    pub fn code(self) -> &'static str {
        self.code
    }

    /// Decimal places.
    pub fn exponent(self) -> u32 {
        self.exponent
    }

    /// Minor units in one major unit (100 for USD, 1 for JPY, 1000 for KWD).
    pub fn scale(self) -> i64 {
        10i64.pow(self.exponent)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not a number a person would write for money.
    #[error("enter the amount as a number, like 25 or 25.50")]
    NotANumber,
    /// More decimals than the currency has.
    #[error("{0} amounts have at most {1} decimal places")]
    TooPrecise(&'static str, u32),
    /// Absurdly large.
    #[error("that amount is too large")]
    TooLarge,
}

/// Parses what a donor typed ("25", "25.5", "1,000.00", " $25 ") into minor units.
pub fn parse_amount(currency: Currency, input: &str) -> Result<i64, MoneyError> {
    let cleaned: String = input
        .trim()
        .trim_start_matches(['$', '€', '£', '¥'])
        .chars()
        .filter(|c| *c != ',' && *c != '_' && !c.is_whitespace())
        .collect();
    if cleaned.is_empty() || cleaned.len() > 24 {
        return Err(MoneyError::NotANumber);
    }
    let (whole, fraction) = match cleaned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return Err(MoneyError::NotANumber);
    }
    let exp = currency.exponent() as usize;
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > exp {
        return Err(MoneyError::TooPrecise(currency.code(), currency.exponent()));
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| MoneyError::TooLarge)?
    };
    let frac: i64 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<exp$}")
            .parse()
            .map_err(|_| MoneyError::NotANumber)?
    };
    whole
        .checked_mul(currency.scale())
        .and_then(|v| v.checked_add(frac))
        .filter(|v| *v <= 1_000_000_000_000)
        .ok_or(MoneyError::TooLarge)
}

/// Formats minor units for people: "$1,250.00", "¥5,000", "KWD 12.500".
pub fn format_amount(currency: Currency, minor: i64) -> String {
    let scale = currency.scale();
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs() as i64;
    let whole = abs / scale;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let number = if currency.exponent() > 0 {
        format!(
            "{grouped}.{:0width$}",
            abs % scale,
            width = currency.exponent() as usize
        )
    } else {
        grouped
    };
    let symbol = match currency.code() {
        "USD" | "CAD" | "AUD" | "NZD" | "SGD" | "HKD" | "MXN" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        _ => "",
    };
    if symbol.is_empty() {
        format!("{sign}{} {number}", currency.code())
    } else {
        format!("{sign}{symbol}{number}")
    }
}

/// Formats an amount stored with its currency code; unknown codes show the raw minor units.
pub fn format_stored(currency: &str, minor: i64) -> String {
    match Currency::parse(currency) {
        Some(c) => format_amount(c, minor),
        None => format!("{minor} {currency}"),
    }
}

/// A gateway's processing fee: a proportion in basis points (1/100 of a percent) plus a fixed part
/// in minor units, e.g. 2.9% + 30 cents = `FeeRate { basis_points: 290, fixed: 30 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeRate {
    /// Proportional part, in basis points (under 10,000).
    pub basis_points: i64,
    /// Fixed part per charge, in minor units.
    pub fixed: i64,
}

/// The total to charge so that, after the gateway takes its fee from the total, the outlet nets at
/// least `gift`: `ceil((gift + fixed) / (1 - rate))`. Returns (total, fee) with fee = total - gift.
pub fn cover_fee(gift: i64, rate: FeeRate) -> (i64, i64) {
    let denominator = 10_000 - rate.basis_points.clamp(0, 9_999);
    let numerator = (gift + rate.fixed) as i128 * 10_000;
    let total = ((numerator + denominator as i128 - 1) / denominator as i128) as i64;
    (total, total - gift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd() -> Currency {
        Currency::parse("usd").unwrap()
    }

    #[test]
    fn amounts_parse_in_minor_units_per_currency() {
        assert_eq!(parse_amount(usd(), "25"), Ok(2500));
        assert_eq!(parse_amount(usd(), " $1,000.5 "), Ok(100_050));
        assert_eq!(parse_amount(usd(), ".99"), Ok(99));
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(parse_amount(jpy, "5000"), Ok(5000));
        assert_eq!(
            parse_amount(jpy, "5000.5"),
            Err(MoneyError::TooPrecise("JPY", 0))
        );
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(parse_amount(kwd, "1.5"), Ok(1500));
        for bad in ["", "abc", "1.2.3", "-5", "1e3", "0x10", "١٠"] {
            assert_eq!(
                parse_amount(usd(), bad),
                Err(MoneyError::NotANumber),
                "{bad}"
            );
        }
        assert_eq!(
            parse_amount(usd(), "12.345"),
            Err(MoneyError::TooPrecise("USD", 2))
        );
        assert_eq!(
            parse_amount(usd(), "99999999999999999"),
            Err(MoneyError::TooLarge)
        );
        assert!(Currency::parse("XYZ").is_none());
    }

    #[test]
    fn amounts_format_for_people() {
        assert_eq!(format_amount(usd(), 125_000), "$1,250.00");
        assert_eq!(
            format_amount(Currency::parse("JPY").unwrap(), 5000),
            "¥5,000"
        );
        assert_eq!(
            format_amount(Currency::parse("KWD").unwrap(), 12_500),
            "KWD 12.500"
        );
        assert_eq!(format_amount(usd(), 5), "$0.05");
    }

    #[test]
    fn a_hundred_dollar_gift_grossed_up_for_stripe_pricing() {
        // 2.9% + 30c: (10000 + 30) / 0.971 = 10329.55 -> 10330.
        let (total, fee) = cover_fee(
            10_000,
            FeeRate {
                basis_points: 290,
                fixed: 30,
            },
        );
        assert_eq!((total, fee), (10_330, 330));
    }

    proptest! {
        #[test]
        fn covering_the_fee_nets_the_whole_gift_and_never_more_than_a_unit_extra(
            gift in 1i64..100_000_000,
            bp in 0i64..2_000,
            fixed in 0i64..500,
        ) {
            let rate = FeeRate { basis_points: bp, fixed };
            let (total, fee) = cover_fee(gift, rate);
            prop_assert_eq!(total - gift, fee);
            // After the proportional and fixed fee come off the total, the whole gift remains...
            let keep = 10_000 - bp as i128;
            prop_assert!(total as i128 * keep >= (gift + fixed) as i128 * 10_000);
            // ...and the total is the smallest that does so: never a minor unit more.
            prop_assert!((total - 1) as i128 * keep < (gift + fixed) as i128 * 10_000);
        }

        #[test]
        fn parsing_a_formatted_amount_gives_it_back(
            minor in 0i64..1_000_000_000,
            code in prop::sample::select(vec!["USD", "JPY", "KWD", "EUR"]),
        ) {
            let c = Currency::parse(code).unwrap();
            let shown = format_amount(c, minor);
            let number = shown.trim_start_matches(|ch: char| !ch.is_ascii_digit());
            prop_assert_eq!(parse_amount(c, number), Ok(minor));
        }
    }
}
