//! Query parameters read by hand, so that every bad value gets a problem naming it (an extractor
//! would answer with its own plain-text rejection).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::api::problem::ApiError;

/// The parameters of one request, first occurrence of each name.
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Reads a raw query string; bytes that are not UTF-8 become U+FFFD.
    pub fn new(raw: Option<&str>) -> Self {
        let mut seen: Vec<(String, String)> = Vec::new();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            if !seen.iter().any(|(name, _)| name == k.as_ref()) {
                seen.push((k.into_owned(), v.into_owned()));
            }
        }
        Params(seen)
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A whole number from `min` to `max`, `default` when absent.
    pub fn int(&self, name: &str, min: i64, max: i64, default: i64) -> Result<i64, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::invalid(
                    name,
                    format!("`{}` must be a whole number from {min} to {max}.", shown(v)),
                )),
            },
        }
    }

    /// An RFC 3339 date-time as Unix seconds.
    pub fn time(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => DateTime::parse_from_rfc3339(v)
                .map(|t| Some(t.timestamp()))
                .map_err(|_| {
                    ApiError::invalid(
                        name,
                        format!(
                            "`{}` must be a date and time such as 2026-11-30T09:00:00Z.",
                            shown(v)
                        ),
                    )
                }),
        }
    }

    /// A slug: lower-case letters, digits and hyphens.
    pub fn slug(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if is_slug(v) => Ok(Some(v)),
            Some(v) => Err(ApiError::invalid(
                name,
                format!(
                    "`{}` must be a slug (lower-case letters, digits and hyphens).",
                    shown(v)
                ),
            )),
        }
    }

    /// A comma-separated choice among `allowed`; `None` when absent.
    pub fn fields(
        &self,
        name: &str,
        allowed: &[&'static str],
    ) -> Result<Option<Vec<&'static str>>, ApiError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for f in v.split(',') {
            match allowed.iter().find(|a| **a == f) {
                Some(a) => {
                    if !out.contains(a) {
                        out.push(*a);
                    }
                }
                None => {
                    return Err(ApiError::invalid(
                        name,
                        format!("`{}` is not one of {}.", shown(f), allowed.join(", ")),
                    ))
                }
            }
        }
        Ok(Some(out))
    }
}

/// A time as the API writes it: RFC 3339, UTC, to the second.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Whether `s` can be a slug (as the site makes them), and not absurdly long.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A value quoted back in a message, cut short.
pub fn shown(v: &str) -> String {
    let mut s: String = v.chars().take(40).collect();
    if s.len() < v.len() {
        s.push('…');
    }
    s.chars().filter(|c| !c.is_control()).collect()
}

/// An opaque cursor over `parts` (whole numbers).
pub fn cursor(parts: &[i64]) -> String {
    let text = parts
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(".");
    URL_SAFE_NO_PAD.encode(text)
}

/// The whole numbers in a cursor made by [`cursor`], `n` of them.
pub fn read_cursor(v: &str, n: usize) -> Result<Vec<i64>, ApiError> {
    let bad = || {
        ApiError::invalid(
            "cursor",
            "not a cursor this API gave out; use the `next_cursor` of the previous page.",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(v).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parts = text
        .split('.')
        .map(|p| p.parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| bad())?;
    if parts.len() != n {
        return Err(bad());
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let c = cursor(&[1_764_000_000, 42]);
        assert_eq!(read_cursor(&c, 2).unwrap(), [1_764_000_000, 42]);
        for bad in ["", "!!", "bm90IGEgY3Vyc29y", &cursor(&[1])] {
            assert!(read_cursor(bad, 2).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_are_checked_by_name() {
        let p = Params::new(Some(
            "limit=0&since=yesterday&tag=City%20Hall&fields=slug,nope",
        ));
        assert!(p.int("limit", 1, 100, 20).is_err());
        assert!(p.time("since").is_err());
        assert!(p.slug("tag").is_err());
        assert!(p.fields("fields", &["slug", "title"]).is_err());
        let p = Params::new(Some(
            "limit=5&since=2026-01-02T03:04:05%2B01:00&fields=slug,slug",
        ));
        assert_eq!(p.int("limit", 1, 100, 20).unwrap(), 5);
        assert_eq!(p.time("since").unwrap(), Some(1_767_319_445));
        assert_eq!(
            p.fields("fields", &["slug", "title"]).unwrap(),
            Some(vec!["slug"])
        );
    }
}
