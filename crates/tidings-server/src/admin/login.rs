//! Signing in and out: password, second factor, password reset, invitations and one-time links.

use axum::extract::{Path, Query, State};
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::Deserialize;
use tidings_accounts::{hash_token, new_token, normalise_address, throttle_delay, TwoFactor};
use tidings_store::{User, UserToken};

use crate::admin::emails;
use crate::admin::page::{message_page, render, see_other};
use crate::admin::session::{
    cookie, pre_session_token, set_cookie, start_session, with_cookie, Peer, Pending,
    SESSION_COOKIE,
};
use crate::app::AppState;
use crate::error::AppError;

mod links;
use crate::throttle;
pub use links::{
    show_invite, show_link_sign_in, show_reset, show_reset_request, submit_invite,
    submit_link_sign_in, submit_reset, submit_reset_request,
};

/// Failures per account before delays start.
const ACCOUNT_THRESHOLD: i64 = 5;
/// Failures per address before delays start (shared offices and NAT need room).
const IP_THRESHOLD: i64 = 20;
/// Reset links work for an hour.
const RESET_TTL: i64 = 3600;

fn ip_of(peer: &Peer) -> String {
    peer.ip()
}

/// Where to go after signing in: only a local admin path.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/admin/") && crate::web::is_local_path(n) && !n.contains("..") =>
        {
            n.to_string()
        }
        _ => "/admin/".to_string(),
    }
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login_page(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    email: &str,
    next: &str,
    error: Option<String>,
) -> Response {
    if app.store().count_users().await.unwrap_or(0) == 0 {
        return see_other("/admin/setup");
    }
    let (csrf, set) = pre_session_token(app, headers).await;
    let ctx = context! { csrf => csrf, email => email, next => next, error => error };
    let response = render(app, status, "admin/login.html", None, ctx).await;
    match set {
        Some(c) => with_cookie(response, c),
        None => response,
    }
}

/// `GET /admin/login`
pub async fn show(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    login_page(&app, &headers, StatusCode::OK, "", &next, None).await
}

/// Seconds until the lock on these keys lifts, if locked.
async fn locked_for(app: &AppState, keys: &[&str]) -> Result<Option<i64>, AppError> {
    let until = app.store().throttle_locked_until(keys).await?;
    let left = until - chrono::Utc::now().timestamp();
    Ok((left > 0).then_some(left))
}

async fn throttled(
    app: &AppState,
    headers: &HeaderMap,
    email: &str,
    next: &str,
    wait: i64,
) -> Response {
    let minutes = (wait + 59) / 60;
    let error = format!(
        "Too many unsuccessful attempts. For your security, sign-in is paused; try again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    );
    let mut r = login_page(
        app,
        headers,
        StatusCode::TOO_MANY_REQUESTS,
        email,
        next,
        Some(error),
    )
    .await;
    r.headers_mut().insert(
        RETRY_AFTER,
        HeaderValue::from_str(&wait.to_string()).expect("digits"),
    );
    r
}

/// `POST /admin/login`
pub async fn submit(
    State(app): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let ip = ip_of(&peer);
    // An address that does not normalise matches no account; it is throttled as typed.
    let email = normalise_address(&form.email).unwrap_or_else(|_| form.email.trim().to_string());
    let next = safe_next(Some(&form.next));
    let ip_key = format!("ip:{ip}");
    let account_key = format!("account:{email}");
    let keys = [ip_key.as_str(), account_key.as_str()];
    // During a lockout even the right password is refused, so guessing gains nothing...
    if let Some(wait) = locked_for(&app, &[ip_key.as_str()]).await? {
        return Ok(throttled(&app, &headers, &form.email, &next, wait).await);
    }
    let account_lock = locked_for(&app, &[account_key.as_str()]).await?;
    let user = app.store().user_by_email(&email).await?;
    let hash = user.as_ref().and_then(|u| u.password_hash.as_deref());
    let ok = app.verify_password(&form.password, hash).await
        && user.as_ref().is_some_and(|u| !u.disabled);
    if let Some(wait) = account_lock {
        // ...except that the right password of an account with a second factor still leads to
        // that step: the code is what a guesser lacks, and strangers' wrong guesses must not
        // lock the owner out for as long as they keep guessing.
        let second_factor = user.as_ref().is_some_and(|u| u.totp_secret.is_some());
        if !(ok && second_factor) {
            return Ok(throttled(&app, &headers, &form.email, &next, wait).await);
        }
    }
    let Some(user) = user.filter(|_| ok) else {
        app.store()
            .throttle_failure(&account_key, |n| throttle_delay(n, ACCOUNT_THRESHOLD))
            .await?;
        app.store()
            .throttle_failure(&ip_key, |n| throttle_delay(n, IP_THRESHOLD))
            .await?;
        app.store()
            .audit(None, "sign_in.failed", &email, &ip)
            .await?;
        if let Some(wait) = locked_for(&app, &keys).await? {
            return Ok(throttled(&app, &headers, &form.email, &next, wait).await);
        }
        // One message whether the address is unknown or the password wrong: no enumeration.
        let error = "That email and password don't match an account.".to_string();
        return Ok(login_page(
            &app,
            &headers,
            StatusCode::UNAUTHORIZED,
            &form.email,
            &next,
            Some(error),
        )
        .await);
    };
    let two_factor = user.totp_secret.is_some();
    // With a second factor still to come, the account's lock stays until that step succeeds.
    if !two_factor {
        app.store().throttle_clear(&account_key).await?;
    }
    app.store().throttle_clear(&ip_key).await?;
    let cookie = start_session(&app, &headers, &user, !two_factor, &ip).await?;
    app.store()
        .audit(Some(user.id), "sign_in", &user.email, &ip)
        .await?;
    let target = if two_factor {
        "/admin/two-factor".to_string()
    } else {
        next
    };
    Ok(with_cookie(see_other(&target), cookie))
}

/// `POST /admin/logout`
pub async fn logout(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        app.store().delete_session(&hash_token(token)).await?;
    }
    let mut r = see_other("/admin/login");
    r.headers_mut()
        .append(SET_COOKIE, set_cookie(&app, SESSION_COOKIE, "", 0, "Lax"));
    Ok(r)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn second_factor_page(
    app: &AppState,
    pending: &Pending,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let ctx = context! { csrf => pending.session.csrf_token.clone(), error => error };
    render(app, status, "admin/two_factor.html", None, ctx).await
}

/// `GET /admin/two-factor`
pub async fn show_second_factor(State(app): State<AppState>, pending: Pending) -> Response {
    second_factor_page(&app, &pending, StatusCode::OK, None).await
}

/// `POST /admin/two-factor`: an authenticator code or a recovery code.
pub async fn submit_second_factor(
    State(app): State<AppState>,
    peer: Peer,
    pending: Pending,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let ip = ip_of(&peer);
    // Wrong codes have their own counter: the password's lock does not block the code step.
    let code_key = format!("second-factor:{}", pending.user.email);
    let account_key = format!("account:{}", pending.user.email);
    if let Some(wait) = locked_for(&app, &[code_key.as_str()]).await? {
        let mut r = second_factor_page(
            &app,
            &pending,
            StatusCode::TOO_MANY_REQUESTS,
            Some("Too many wrong codes; wait a few minutes."),
        )
        .await;
        r.headers_mut().insert(
            RETRY_AFTER,
            HeaderValue::from_str(&wait.to_string()).expect("digits"),
        );
        return Ok(r);
    }
    let code = form.code.trim().to_lowercase();
    let user = &pending.user;
    let mut ok = false;
    if let Some(secret) = &user.totp_secret {
        if let Ok(tf) = TwoFactor::from_base32(secret) {
            let now = chrono::Utc::now().timestamp() as u64;
            if let Some(step) = tf.verify(&code, now, user.totp_last_step) {
                ok = app.store().use_totp_step(user.id, step).await?;
            }
        }
    }
    if !ok && code.len() == 14 {
        ok = app
            .store()
            .use_recovery_code(user.id, &hash_token(&code))
            .await?;
    }
    if !ok {
        app.store()
            .throttle_failure(&code_key, |n| throttle_delay(n, ACCOUNT_THRESHOLD))
            .await?;
        app.store()
            .audit(
                Some(user.id),
                "sign_in.second_factor_failed",
                &user.email,
                &ip,
            )
            .await?;
        return Ok(second_factor_page(
            &app,
            &pending,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("That code didn't work. Check your authenticator app and try again."),
        )
        .await);
    }
    app.store().throttle_clear(&account_key).await?;
    app.store().throttle_clear(&code_key).await?;
    app.store()
        .verify_session(&pending.session.token_hash)
        .await?;
    Ok(see_other("/admin/"))
}
