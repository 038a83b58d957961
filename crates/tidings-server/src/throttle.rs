//! Limits on how often a form may be used, and the one way a throttled request is answered.
//!
//! Counters live in the database (`Store::rate_hit`), over sliding windows, so every node of a site
//! shares them. Only requests that passed the honeypot and proof-of-work count: a bot that cannot
//! solve the challenge cannot use up a real reader's allowance.

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use tidings_store::Window;

use crate::app::AppState;
use crate::error::AppError;

/// Newsletter signups from one address: 10 an hour.
pub const SIGNUP_PER_IP: [Window; 1] = [Window {
    max: 10,
    window_secs: 3600,
}];

/// Donor-portal link requests from one address: 10 an hour.
pub const PORTAL_PER_IP: [Window; 1] = [Window {
    max: 10,
    window_secs: 3600,
}];

/// Mail sent to one address from a public form (confirmation, portal link, password reset): one
/// per 10 minutes and five a day. Beyond that the form answers exactly as if it had sent one.
pub const MAIL_PER_ADDRESS: [Window; 2] = [
    Window {
        max: 1,
        window_secs: 600,
    },
    Window {
        max: 5,
        window_secs: 86_400,
    },
];

/// An hour's window of `max` requests.
pub fn per_hour(max: i64) -> [Window; 1] {
    [Window {
        max,
        window_secs: 3600,
    }]
}

/// A minute's window of `max` requests.
pub fn per_minute(max: i64) -> [Window; 1] {
    [Window {
        max,
        window_secs: 60,
    }]
}

/// Counts a request under `key`; `Some(seconds)` to wait when a window is full.
pub async fn hit(app: &AppState, key: &str, windows: &[Window]) -> Result<Option<i64>, AppError> {
    let now = chrono::Utc::now().timestamp();
    Ok(app.store().rate_hit(key, windows, now).await?)
}

/// Whether a mail of `kind` may go to `address` now (and counts it when it may).
pub async fn may_mail(app: &AppState, kind: &str, address: &str) -> Result<bool, AppError> {
    let key = format!("mail:{kind}:{}", address.to_lowercase());
    Ok(hit(app, &key, &MAIL_PER_ADDRESS).await?.is_none())
}

/// Turns `response` (the page that explains the pause) into a 429 that says when to come back.
pub fn too_many(mut response: Response, wait: i64) -> Response {
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response.headers_mut().insert(
        RETRY_AFTER,
        HeaderValue::from_str(&wait.max(1).to_string()).expect("digits"),
    );
    response
}
