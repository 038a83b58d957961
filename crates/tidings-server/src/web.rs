//! Public handlers, one module per kind of page. Each extracts, loads, and renders a view.

pub mod archive;
pub mod article;
pub mod assets;
pub mod donate;
pub mod donor_portal;
pub mod feed;
pub mod health;
pub mod home;
pub mod listing;
pub mod preview;
pub mod problems;
pub mod search;
pub mod security_txt;
pub mod site_files;
pub mod sitemap;
pub mod subscribe;
pub mod timeline;
pub mod webhooks;

use serde::Serialize;

use crate::error::AppError;

/// A 301 to `location`: the classic permanent redirect that every crawler and cache understands.
///
/// Only a path on this site is ever sent; anything a browser could read as another host becomes
/// the 404 instead.
pub fn moved(location: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !is_local_path(location) {
        return AppError::NotFound.into_response();
    }
    // Letters beyond ASCII (an imported Greek address) travel percent-encoded, as HTTP wants.
    let location =
        percent_encoding::utf8_percent_encode(location, percent_encoding::CONTROLS).to_string();
    match axum::http::HeaderValue::from_str(&location) {
        Ok(value) => (
            axum::http::StatusCode::MOVED_PERMANENTLY,
            [(axum::http::header::LOCATION, value)],
        )
            .into_response(),
        Err(_) => AppError::NotFound.into_response(),
    }
}

/// Whether `target` is a path on this site that no browser resolves to another host: one leading
/// slash, then no second slash or backslash (raw or percent-encoded) that could start an authority.
pub fn is_local_path(target: &str) -> bool {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let lower = path.to_ascii_lowercase();
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !lower.contains("%2f")
        && !lower.contains("%5c")
        && !target.chars().any(|c| c.is_control())
}

/// Stories per listing page.
pub const PER_PAGE: i64 = 10;

/// Parses a `/page/{n}/` number: digits only, at least 1, bounded.
pub fn parse_page(raw: &str) -> Result<i64, AppError> {
    if raw.is_empty() || raw.len() > 6 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::NotFound);
    }
    match raw.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(AppError::NotFound),
    }
}

/// Whether a path segment could be a slug at all; anything else is a 404 without a query.
pub fn plausible_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 480
        && s.chars()
            .all(|c| c == '-' || (c.is_alphanumeric() && !c.is_uppercase()))
}

/// Previous/next links for a paginated listing.
#[derive(Debug, Serialize)]
pub struct Pagination {
    /// This page's number.
    pub current: i64,
    /// Number of pages.
    pub total: i64,
    /// URL of the newer page.
    pub newer: Option<String>,
    /// URL of the older page.
    pub older: Option<String>,
}

impl Pagination {
    /// Links for page `current` of `total` under `base` (`/` or `/tag/x/`).
    pub fn new(base: &str, current: i64, total: i64) -> Self {
        let url = |n: i64| {
            if n == 1 {
                base.to_string()
            } else {
                format!("{base}page/{n}/")
            }
        };
        Pagination {
            current,
            total,
            newer: (current > 1).then(|| url(current - 1)),
            older: (current < total).then(|| url(current + 1)),
        }
    }
}

/// Escapes text for XML content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// A fresh proof-of-work challenge signed with the secret `secret_name`, as JSON for the form script.
pub async fn challenge_json(
    app: &crate::app::AppState,
    secret_name: &str,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let secret = app.secret(secret_name).await?;
    let c = tidings_newsletter::issue_challenge(
        secret.as_bytes(),
        chrono::Utc::now().timestamp(),
        tidings_newsletter::SIGNUP_DIFFICULTY,
    );
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({ "token": c.token, "difficulty": c.difficulty })),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers() {
        assert_eq!(parse_page("2").unwrap(), 2);
        for bad in ["0", "-1", "abc", "", "1e3", "99999999", " 2"] {
            assert!(parse_page(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pagination_links() {
        let p = Pagination::new("/tag/x/", 2, 3);
        assert_eq!(p.newer.as_deref(), Some("/tag/x/"));
        assert_eq!(p.older.as_deref(), Some("/tag/x/page/3/"));
    }

    #[test]
    fn xml_escaping() {
        assert_eq!(xml_escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
