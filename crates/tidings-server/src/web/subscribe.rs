//! The free newsletter's front door: signup with double opt-in, confirmation, and leaving.
//!
//! Public forms sit beside cached pages, so they carry no session token: the POST must come from
//! this site (`Origin`/`Sec-Fetch-Site`), carry a solved proof-of-work challenge (used once), leave
//! the honeypot empty, and stay under a per-address rate limit. The answer never reveals whether an
//! address was already subscribed.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ORIGIN};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use minijinja::context;
use serde::Deserialize;
use tidings_accounts::{hash_token, new_token};
use tidings_newsletter::{
    issue_challenge, normalise_address, sign_token, verify_solution, verify_token,
    SIGNUP_DIFFICULTY,
};
use tidings_store::{Consent, Signup};

use crate::admin::Peer;
use crate::app::{AppState, HTML};
use crate::error::AppError;
use crate::throttle;
use crate::web::problems::Problems;

use tidings_newsletter::SECRET;

/// Confirmation links work for two days.
const CONFIRM_TTL: i64 = 48 * 3600;

/// The consent wording shown beside the form, recorded with each signup.
pub fn consent_text(newsletter: &str, site: &str) -> String {
    format!(
        "Send me {newsletter}, the day's most important stories from {site}, by email. \
         I can unsubscribe at any time with one click."
    )
}

async fn page(
    app: &AppState,
    status: StatusCode,
    template: &str,
    ctx: minijinja::Value,
) -> Response {
    match app.render_page(template, ctx).await {
        Ok(body) => (
            status,
            [
                (CONTENT_TYPE, HeaderValue::from_static(HTML)),
                (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn form_page(
    app: &AppState,
    status: StatusCode,
    email: &str,
    name: &str,
    problems: Problems,
) -> Result<Response, AppError> {
    let secret = app.secret(SECRET).await?;
    let challenge = issue_challenge(
        secret.as_bytes(),
        chrono::Utc::now().timestamp(),
        SIGNUP_DIFFICULTY,
    );
    let site = app.site_view().await?;
    let ctx = context! {
        email => email, name => name, problems => problems.view(),
        challenge => challenge.token, difficulty => challenge.difficulty,
        consent => consent_text(&site.newsletter_name, &site.title),
    };
    Ok(page(app, status, "subscribe.html", ctx).await)
}

/// `GET /subscribe/challenge`: a fresh challenge for the signup boxes on cached pages.
pub async fn challenge(State(app): State<AppState>) -> Result<Response, AppError> {
    crate::web::challenge_json(&app, SECRET).await
}

/// `GET /subscribe/`
pub async fn show_form(State(app): State<AppState>) -> Result<Response, AppError> {
    form_page(&app, StatusCode::OK, "", "", Problems::default()).await
}

#[derive(Deserialize, Default)]
pub struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    /// The honeypot: hidden from people, filled by naive bots.
    #[serde(default)]
    website: String,
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    solution: String,
    #[serde(default)]
    source: String,
}

/// Whether a public form post came from this site.
pub(crate) fn same_site(app: &AppState, headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site == "cross-site" || site == "same-site" {
            return false;
        }
    }
    match headers.get(ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = headers
                .get("host")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            origin == app.site().url
                || origin == format!("http://{host}")
                || origin == format!("https://{host}")
        }
    }
}

async fn too_many_signups(
    app: &AppState,
    form: &SignupForm,
    wait: i64,
) -> Result<Response, AppError> {
    let r = form_page(
        app,
        StatusCode::TOO_MANY_REQUESTS,
        &form.email,
        &form.name,
        Problems::general(
            "Too many signups from your network just now. Please try again in a few minutes.",
        ),
    )
    .await?;
    Ok(throttle::too_many(r, wait))
}

/// `POST /subscribe/`
pub async fn submit(
    State(app): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    Form(form): Form<SignupForm>,
) -> Result<Response, AppError> {
    if !same_site(&app, &headers) {
        return Err(AppError::Forbidden);
    }
    let ip = peer.ip();
    let key = format!("signup:{ip}");
    let now = chrono::Utc::now().timestamp();
    if let Some(wait) = app
        .store()
        .rate_wait(&key, &throttle::SIGNUP_PER_IP, now)
        .await?
    {
        return too_many_signups(&app, &form, wait).await;
    }
    let secret = app.secret(SECRET).await?;
    let solution = form.solution.trim().parse::<u64>().ok();
    let checked = match solution {
        Some(n) => verify_solution(secret.as_bytes(), &form.challenge, n, now).map_err(|e| e.to_string()),
        None => Err("This form needs JavaScript for a short, private security check. Please turn it on and try again.".to_string()),
    };
    let nonce = match checked {
        Ok(nonce) => nonce,
        Err(msg) => {
            return form_page(
                &app,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form.email,
                &form.name,
                msg.into(),
            )
            .await
        }
    };
    if !app.store().use_challenge(&nonce, now + 7200).await? {
        return form_page(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.email,
            &form.name,
            "This form was already sent. Please try again.".into(),
        )
        .await;
    }
    let email = match normalise_address(&form.email) {
        Ok(e) => e,
        Err(e) => {
            return form_page(
                &app,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form.email,
                &form.name,
                Problems::at("email", format!("Email: {e}.")),
            )
            .await
        }
    };
    // Names end up in emails: one line, a sensible length, no control characters (header injection).
    let name = form.name.trim();
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return form_page(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.email,
            "",
            Problems::at(
                "name",
                "Your name can be at most 100 characters, on one line.",
            ),
        )
        .await;
    }
    // A filled honeypot gets the same friendly answer and nothing else.
    if form.website.trim().is_empty() {
        // Counted only now, past the proof-of-work and the honeypot.
        if let Some(wait) = throttle::hit(&app, &key, &throttle::SIGNUP_PER_IP).await? {
            return too_many_signups(&app, &form, wait).await;
        }
        let site = app.site_view().await?;
        let consent = Consent {
            ip: ip.clone(),
            source: form.source.chars().take(300).collect(),
            text: consent_text(&site.newsletter_name, &site.title),
        };
        match app.store().sign_up(&email, name, &consent).await? {
            // One confirmation per address per 10 minutes (five a day), whoever asks: the
            // answer is the same either way, so it tells nobody whether the address is known.
            Signup::New(s) | Signup::Pending(s)
                if throttle::may_mail(&app, "confirm", &s.email).await? =>
            {
                let token = new_token();
                let mail = app.newsletters().confirmation_job(&s.email, &token).await?;
                app.store()
                    .create_confirmation(s.id, &hash_token(&token), CONFIRM_TTL, &[mail])
                    .await?;
            }
            Signup::New(_) | Signup::Pending(_) | Signup::Unchanged(_) => {}
        }
    }
    Ok(page(
        &app,
        StatusCode::OK,
        "subscribe_sent.html",
        context! { email => email },
    )
    .await)
}

/// `GET /subscribe/confirm/{token}`: a page with one button, so mail scanners that follow links
/// confirm nobody.
pub async fn show_confirm(
    State(app): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    match app.store().peek_confirmation(&hash_token(&token)).await? {
        Some(s) => Ok(page(
            &app,
            StatusCode::OK,
            "subscribe_confirm.html",
            context! { email => s.email },
        )
        .await),
        None => Ok(page(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            "subscribe_confirm.html",
            context! { expired => true },
        )
        .await),
    }
}

/// `POST /subscribe/confirm/{token}`
pub async fn confirm(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    if !same_site(&app, &headers) {
        return Err(AppError::Forbidden);
    }
    // The welcome is queued with the confirmation; its links need the subscriber, whom the
    // (unspent) link names.
    let welcome = match app.store().peek_confirmation(&hash_token(&token)).await? {
        Some(s) => vec![app.newsletters().welcome_job(s.id, &s.email).await?],
        None => Vec::new(),
    };
    let Some(s) = app
        .store()
        .confirm_subscriber(&hash_token(&token), &welcome)
        .await?
    else {
        return Ok(page(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            "subscribe_confirm.html",
            context! { expired => true },
        )
        .await);
    };
    Ok(page(
        &app,
        StatusCode::OK,
        "subscribe_confirm.html",
        context! { confirmed => true, email => s.email },
    )
    .await)
}

async fn preferences_page(app: &AppState, token: &str, saved: bool) -> Result<Response, AppError> {
    let secret = app.secret(SECRET).await?;
    let id = verify_token(secret.as_bytes(), "preferences", token).ok_or(AppError::NotFound)?;
    let s = app
        .store()
        .subscriber(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let unsubscribe = format!(
        "/unsubscribe/{}",
        sign_token(secret.as_bytes(), "unsubscribe", id)
    );
    let ctx = context! {
        email => s.email, status => s.status, digest => s.digest, breaking => s.breaking,
        saved => saved, unsubscribe => unsubscribe,
    };
    Ok(page(app, StatusCode::OK, "subscribe_preferences.html", ctx).await)
}

/// `GET /subscribe/preferences/{token}`: a subscriber's private page (linked from every email).
pub async fn show_preferences(
    State(app): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    preferences_page(&app, &token, false).await
}

#[derive(Deserialize, Default)]
pub struct PreferencesForm {
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    breaking: Option<String>,
}

/// `POST /subscribe/preferences/{token}`
pub async fn save_preferences(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<PreferencesForm>,
) -> Result<Response, AppError> {
    if !same_site(&app, &headers) {
        return Err(AppError::Forbidden);
    }
    let id = token_id(&app, "preferences", &token).await?;
    app.store()
        .set_preferences(id, form.digest.is_some(), form.breaking.is_some())
        .await?;
    preferences_page(&app, &token, true).await
}

/// The subscriber a signed link stands for; 404 for anything this site did not sign for `purpose`.
async fn token_id(app: &AppState, purpose: &str, token: &str) -> Result<i64, AppError> {
    let secret = app.secret(SECRET).await?;
    verify_token(secret.as_bytes(), purpose, token).ok_or(AppError::NotFound)
}

/// `GET /unsubscribe/{token}`: one button.
pub async fn show_unsubscribe(
    State(app): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let id = token_id(&app, "unsubscribe", &token).await?;
    let s = app
        .store()
        .subscriber(id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(page(
        &app,
        StatusCode::OK,
        "unsubscribe.html",
        context! { email => s.email, done => s.status == tidings_store::SubscriberStatus::Unsubscribed },
    )
    .await)
}

/// `POST /unsubscribe/{token}`: RFC 8058 one-click unsubscribe, effective at once. The signed,
/// recipient-specific token in the URL is the authority; no other token is needed.
pub async fn unsubscribe(
    State(app): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let id = token_id(&app, "unsubscribe", &token).await?;
    let s = app
        .store()
        .unsubscribe(id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(page(
        &app,
        StatusCode::OK,
        "unsubscribe.html",
        context! { email => s.email, done => true },
    )
    .await)
}
