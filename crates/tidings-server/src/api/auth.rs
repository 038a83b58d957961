//! Who calls the admin API: the bearer token, looked up by its hash, its maker enabled, counted
//! against the per-token limit; each operation then asks for a scope, which holds only while the
//! maker's role still allows what it stands for.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use tidings_accounts::{hash_token, Scope};
use tidings_store::{ApiToken, User};

use crate::admin::Peer;
use crate::api::problem::{ApiError, Problem};
use crate::app::AppState;

/// The answers every admin API operation may give because of its token, for the document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum TokenProblems {
    /// No valid token: none sent, or unknown, expired or revoked.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The token lacks the operation's scope, or its maker may not do this (their role, or a
    /// story that is not theirs).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// Too many calls with this token; `Retry-After` says when to come back.
    #[response(
        status = 429,
        content_type = "application/problem+json",
        headers(("Retry-After" = i64, description = "Seconds to wait"))
    )]
    RateLimited(Problem),
}

/// A caller with a valid token.
pub struct Caller {
    /// The token's maker, as the account is now.
    pub user: User,
    /// The token.
    pub token: ApiToken,
    /// The caller's address, for the audit log.
    pub ip: String,
}

impl Caller {
    /// Allows the operation when the token holds `scope` and its maker's role allows it.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if !self.token.scopes.iter().any(|s| s == scope.as_str()) {
            return Err(ApiError::forbidden(format!(
                "This token does not hold the scope `{}`.",
                scope.as_str()
            )));
        }
        if !self.user.role.can(scope.needs()) {
            return Err(ApiError::forbidden(format!(
                "The token's maker, now {}, may no longer use `{}`.",
                self.user.role.label().to_lowercase(),
                scope.as_str()
            )));
        }
        Ok(())
    }

    /// Appends to the audit log as the token's maker, naming the token.
    pub async fn audit(&self, app: &AppState, action: &str, subject: &str) {
        let subject = format!("{subject} (API token “{}”)", self.token.name);
        if let Err(e) = app
            .store()
            .audit(Some(self.user.id), action, &subject, &self.ip)
            .await
        {
            tracing::error!(error = %e, "cannot write the audit log");
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            return Err(ApiError::unauthorized(
                "Send `Authorization: Bearer <token>`; tokens are made under Your account → API tokens.",
            ));
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("The Authorization header must be `Bearer <token>`.")
            })?;
        let now = chrono::Utc::now().timestamp();
        let (token, user) = app
            .store()
            .api_token_by_hash(&hash_token(token), now)
            .await?
            .ok_or_else(|| ApiError::unauthorized("This token is unknown, expired or revoked."))?;
        let limit = crate::throttle::per_minute(i64::from(app.site().api_token_per_minute));
        if let Some(wait) =
            crate::throttle::hit(app, &format!("api-token:{}", token.id), &limit).await?
        {
            return Err(ApiError::rate_limited(wait));
        }
        app.store().touch_api_token(token.id, now).await?;
        let ip = Peer::from_request_parts(parts, app)
            .await
            .ok()
            .and_then(|p| p.ip_addr())
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        Ok(Caller { user, token, ip })
    }
}
