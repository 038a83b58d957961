//! GiveWP's cells as Tidings values: amounts in the site currency's formatting, dates in the
//! WordPress date format, status labels, and the donors file's `addslashes`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use tidings_store::DonationStatus;

/// A status label as a gift's state; `None` for a label GiveWP does not use.
pub(super) fn status(label: &str) -> Option<(DonationStatus, bool)> {
    // (state, whether the label itself says it is a subscription renewal)
    Some(match label.trim().to_ascii_lowercase().as_str() {
        "complete" | "completed" | "publish" => (DonationStatus::Succeeded, false),
        "renewal" | "give_subscription" => (DonationStatus::Succeeded, true),
        "refunded" | "refund" => (DonationStatus::Refunded, false),
        // A chargeback: the money went back.
        "revoked" => (DonationStatus::Refunded, false),
        "failed" | "cancelled" | "canceled" => (DonationStatus::Failed, false),
        "abandoned" => (DonationStatus::Expired, false),
        "pending" | "processing" | "preapproval" => (DonationStatus::Pending, false),
        _ => return None,
    })
}

/// An amount as GiveWP printed it, in the site currency's separators (`2,500.00`, `2.500,00`,
/// `25`), as minor units of a currency with `exponent` decimals.
pub(super) fn amount(text: &str, exponent: u32) -> Option<i64> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    if cleaned.is_empty()
        || text.trim().starts_with('-')
        || text.chars().any(|c| c.is_ascii_alphabetic())
    {
        return None;
    }
    // The last separator is the decimal one when exactly the currency's decimals follow it;
    // otherwise every separator must start a group of three digits (thousands).
    let (whole, fraction) = match cleaned.rfind(['.', ',']) {
        Some(at) if exponent > 0 && cleaned.len() - at - 1 == exponent as usize => {
            (&cleaned[..at], &cleaned[at + 1..])
        }
        _ => (cleaned.as_str(), ""),
    };
    if whole
        .split(['.', ','])
        .skip(1)
        .any(|group| group.len() != 3)
    {
        return None;
    }
    let whole: String = whole.chars().filter(char::is_ascii_digit).collect();
    if whole.len() > 15 {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    Some(whole * 10i64.pow(exponent) + fraction)
}

/// A date (`September 2, 2024` — WordPress's default format — or ISO and a few others) and an
/// optional `HH:MM` time, in the site's timezone, as seconds since the epoch.
pub(super) fn when(date: &str, time: &str, tz: Tz) -> Option<i64> {
    let date = date.trim();
    let day = [
        "%B %d, %Y",
        "%b %d, %Y",
        "%Y-%m-%d",
        "%d %B %Y",
        "%B %d %Y",
        "%Y/%m/%d",
    ]
    .iter()
    .find_map(|f| NaiveDate::parse_from_str(date, f).ok())?;
    let time = time.trim();
    let at = if time.is_empty() {
        NaiveTime::MIN
    } else {
        ["%H:%M", "%H:%M:%S", "%I:%M %p", "%l:%M %p"]
            .iter()
            .find_map(|f| NaiveTime::parse_from_str(time, f).ok())?
    };
    local(NaiveDateTime::new(day, at), tz)
}

/// A `YYYY-MM-DD HH:MM:SS` time in the site's timezone (the donors file's "Donor Created").
pub(super) fn created(text: &str, tz: Tz) -> Option<i64> {
    let t = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    local(t, tz)
}

fn local(t: NaiveDateTime, tz: Tz) -> Option<i64> {
    tz.from_local_datetime(&t)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(t + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.timestamp())
}

/// Undoes PHP's `addslashes`, which GiveWP's donors export runs every cell through.
pub(super) fn unslash(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('0') => {}
                Some(next) => out.push(next),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// An address with every `+` taken out of its local part, as GiveWP's donations export writes it.
pub(super) fn without_plus(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}@{domain}", local.replace('+', "")),
        None => email.replace('+', ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_the_site_currency_formatting() {
        assert_eq!(amount("2,500.00", 2), Some(250_000));
        assert_eq!(amount("2.500,00", 2), Some(250_000));
        assert_eq!(amount("25", 2), Some(2_500));
        assert_eq!(amount("25.50", 2), Some(2_550));
        assert_eq!(amount("25.5", 2), None, "neither decimals nor thousands");
        assert_eq!(amount("1,000", 2), Some(100_000));
        assert_eq!(amount("1500", 0), Some(1_500));
        assert_eq!(amount("$ 40.00", 2), Some(4_000));
        assert_eq!(amount("", 2), None);
        assert_eq!(amount("-5.00", 2), None);
        assert_eq!(amount("five", 2), None);
    }

    #[test]
    fn dates_statuses_and_slashes() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let t = when("September 2, 2024", "08:16", tz).unwrap();
        assert_eq!(
            chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339(),
            "2024-09-02T12:16:00+00:00"
        );
        assert_eq!(when("2024-09-02", "", chrono_tz::UTC), Some(1_725_235_200));
        assert_eq!(when("02/09/2024", "", tz), None);
        assert_eq!(status("Complete"), Some((DonationStatus::Succeeded, false)));
        assert_eq!(status("Abandoned"), Some((DonationStatus::Expired, false)));
        assert_eq!(status("Sent to gateway"), None);
        assert_eq!(unslash(r"Liam O\'Shaughnessy"), "Liam O'Shaughnessy");
        assert_eq!(
            without_plus("priya.raman+giving@example.org"),
            "priya.ramangiving@example.org"
        );
    }
}
