//! When the daily digest goes out: a local time of day in the site's timezone, made concrete for
//! each date, across daylight-saving changes.
//!
//! Each digest is an *edition* named by its local date. A send time that does not exist on a
//! spring-forward day fires at the first valid local minute after it; a time that occurs twice on a
//! fall-back day fires at its first occurrence, and once, because the edition date is the key.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The instant the edition for `date` is due.
pub fn send_instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let mut local = date.and_time(time);
    // Gaps are at most a few hours; walk minute by minute to the first local time that exists.
    for _ in 0..(24 * 60) {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += Duration::minutes(1);
    }
    Utc.from_utc_datetime(&date.and_time(time))
}

/// The latest edition whose send instant is at or before `now` (the one a scheduler should have sent).
pub fn due_edition(tz: Tz, time: NaiveTime, now: DateTime<Utc>) -> NaiveDate {
    let today = now.with_timezone(&tz).date_naive();
    if send_instant(tz, today, time) <= now {
        today
    } else {
        today.pred_opt().unwrap_or(today)
    }
}

/// The next edition still to go out after `now` (what the editor prepares and "send now" sends).
pub fn upcoming_edition(tz: Tz, time: NaiveTime, now: DateTime<Utc>) -> NaiveDate {
    let today = now.with_timezone(&tz).date_naive();
    if now < send_instant(tz, today, time) {
        today
    } else {
        today.succ_opt().unwrap_or(today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_ordinary_day_fires_at_local_time() {
        let t = tidings_theme::parse_digest_time("07:00").unwrap();
        let tz: Tz = "America/New_York".parse().unwrap();
        // EST (UTC-5) in January, EDT (UTC-4) in July.
        assert_eq!(
            send_instant(tz, date("2026-01-15"), t),
            utc("2026-01-15T12:00:00Z")
        );
        assert_eq!(
            send_instant(tz, date("2026-07-15"), t),
            utc("2026-07-15T11:00:00Z")
        );
    }

    #[test]
    fn a_missing_local_time_fires_at_the_next_valid_instant() {
        // 2026-03-08: New York clocks jump from 02:00 to 03:00.
        let tz: Tz = "America/New_York".parse().unwrap();
        let t = tidings_theme::parse_digest_time("02:30").unwrap();
        assert_eq!(
            send_instant(tz, date("2026-03-08"), t),
            utc("2026-03-08T07:00:00Z"),
            "03:00 EDT"
        );
    }

    #[test]
    fn a_repeated_local_time_fires_once_at_its_first_occurrence() {
        // 2026-11-01: New York clocks fall back from 02:00 EDT to 01:00 EST; 01:30 happens twice.
        let tz: Tz = "America/New_York".parse().unwrap();
        let t = tidings_theme::parse_digest_time("01:30").unwrap();
        let first = utc("2026-11-01T05:30:00Z");
        let second = utc("2026-11-01T06:30:00Z");
        assert_eq!(send_instant(tz, date("2026-11-01"), t), first);
        // Between and after both occurrences, the due edition stays the same date: one send.
        assert_eq!(due_edition(tz, t, first), date("2026-11-01"));
        assert_eq!(due_edition(tz, t, second), date("2026-11-01"));
        assert_eq!(
            due_edition(tz, t, first - Duration::seconds(1)),
            date("2026-10-31")
        );
    }

    #[test]
    fn due_and_upcoming_editions_turn_over_at_the_send_time() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let t = tidings_theme::parse_digest_time("07:00").unwrap();
        let before = utc("2026-11-29T05:59:59Z");
        let after = utc("2026-11-29T06:00:00Z");
        assert_eq!(due_edition(tz, t, before), date("2026-11-28"));
        assert_eq!(upcoming_edition(tz, t, before), date("2026-11-29"));
        assert_eq!(due_edition(tz, t, after), date("2026-11-29"));
        assert_eq!(upcoming_edition(tz, t, after), date("2026-11-30"));
    }
}
