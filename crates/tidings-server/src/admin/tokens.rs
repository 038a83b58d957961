//! One's own API tokens: made with a name, scopes (only those one's role may use) and an expiry,
//! shown once, listed by their last characters, revocable.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use tidings_accounts::{hash_token, new_api_token, token_hint, Scope};
use tidings_store::NewApiToken;

use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

/// Longest token name kept.
const MAX_NAME: usize = 80;
/// Expiry choices, in days (0: never).
const EXPIRIES: [(i64, &str); 4] = [
    (30, "30 days"),
    (90, "90 days"),
    (365, "1 year"),
    (0, "Never"),
];

/// What the page shows besides the list.
#[derive(Default)]
struct Extra {
    error: Option<String>,
    created: Option<String>,
}

async fn page(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    extra: Extra,
) -> Result<Response, AppError> {
    let tz = app.tz();
    let now = chrono::Utc::now().timestamp();
    let when = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0).map(|t| tidings_theme::views::display_date(t, tz))
    };
    let tokens: Vec<Value> = app
        .store()
        .api_tokens_of(signed.user.id)
        .await?
        .iter()
        .map(|t| {
            let state = match (t.revoked_at, t.expires_at) {
                (Some(_), _) => "revoked",
                (None, Some(e)) if e <= now => "expired",
                _ => "active",
            };
            context! {
                id => t.id, name => t.name, hint => t.hint, scopes => t.scopes,
                created => when(t.created_at), expires => t.expires_at.and_then(when),
                used => t.last_used_at.and_then(when), state => state,
            }
        })
        .collect();
    let scopes: Vec<Value> = Scope::grantable(signed.user.role)
        .into_iter()
        .map(|s| context! { name => s.as_str(), label => s.label() })
        .collect();
    let expiries: Vec<Value> = EXPIRIES
        .iter()
        .map(|(days, label)| context! { days => days, label => label })
        .collect();
    let ctx = context! {
        tokens => tokens, scopes => scopes, expiries => expiries,
        error => extra.error, created => extra.created,
    };
    Ok(render(app, status, "admin/tokens.html", Some(me(signed)), ctx).await)
}

/// `GET /admin/account/tokens`
pub async fn list(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    page(&app, &signed, StatusCode::OK, Extra::default()).await
}

/// `POST /admin/account/tokens`: makes a token and shows it, once.
pub async fn create(
    State(app): State<AppState>,
    signed: Signed,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let mut name = String::new();
    let mut asked = Vec::new();
    let mut days = -1_i64;
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "name" => name = v.trim().to_string(),
            "scope" => asked.push(v.into_owned()),
            "expires" => days = v.parse().unwrap_or(-1),
            _ => {}
        }
    }
    let fail = |msg: String| Extra {
        error: Some(msg),
        ..Extra::default()
    };
    let grantable = Scope::grantable(signed.user.role);
    let mut scopes: Vec<&str> = Vec::new();
    for a in &asked {
        match Scope::parse(a) {
            Some(s) if grantable.contains(&s) => {
                if !scopes.contains(&s.as_str()) {
                    scopes.push(s.as_str());
                }
            }
            _ => {
                let msg = format!("Your role cannot give a token the scope “{a}”.");
                return page(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, fail(msg)).await;
            }
        }
    }
    let problem = if name.is_empty() || name.chars().count() > MAX_NAME {
        Some(format!(
            "Give the token a name of up to {MAX_NAME} characters, saying what uses it."
        ))
    } else if scopes.is_empty() {
        Some("Choose at least one thing the token may do.".to_string())
    } else if !EXPIRIES.iter().any(|(d, _)| *d == days) {
        Some("Choose when the token stops working.".to_string())
    } else {
        None
    };
    if let Some(msg) = problem {
        return page(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, fail(msg)).await;
    }
    let token = new_api_token();
    let now = chrono::Utc::now().timestamp();
    let hint = token_hint(&token);
    let saved = app
        .store()
        .create_api_token(
            &NewApiToken {
                user_id: signed.user.id,
                name: &name,
                token_hash: &hash_token(&token),
                hint: &hint,
                scopes: &scopes,
                expires_at: (days > 0).then(|| now + days * 86_400),
            },
            now,
        )
        .await?;
    signed
        .audit(
            &app,
            "api_token.create",
            &format!("{} ({})", saved.name, scopes.join(" ")),
        )
        .await;
    page(
        &app,
        &signed,
        StatusCode::CREATED,
        Extra {
            created: Some(token),
            ..Extra::default()
        },
    )
    .await
}

/// `POST /admin/account/tokens/{id}/revoke`
pub async fn revoke(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let now = chrono::Utc::now().timestamp();
    if !app
        .store()
        .revoke_api_token(signed.user.id, id, now)
        .await?
    {
        return Err(AppError::NotFound);
    }
    signed
        .audit(&app, "api_token.revoke", &format!("token {id}"))
        .await;
    Ok(see_other("/admin/account/tokens"))
}
