//! The API's errors as RFC 9457 problem details (`application/problem+json`). Each kind has a
//! stable `type`, a link to its section of the API reference, so programs can tell them apart
//! and people can read what they mean.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

/// Media type of every error the API answers.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The problem kinds, each with its status, `type` and title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A query parameter or path segment cannot be read.
    InvalidParameter,
    /// No token, or one that is unknown, expired or revoked.
    Unauthorized,
    /// The token lacks the scope, or its maker's role does not allow this.
    Forbidden,
    /// Nothing at this address.
    NotFound,
    /// The thing changed since the version given.
    Conflict,
    /// The body is larger than the operation takes.
    TooLarge,
    /// The body can be read but what it asks for cannot be done.
    Unprocessable,
    /// Too many requests; `Retry-After` says when to come back.
    RateLimited,
    /// Something failed inside; nothing was changed.
    Internal,
    /// The database cannot be reached right now; `Retry-After` says when to try again.
    Unavailable,
}

/// Every kind, in the order the reference lists them.
pub const KINDS: [Kind; 10] = [
    Kind::InvalidParameter,
    Kind::Unauthorized,
    Kind::Forbidden,
    Kind::NotFound,
    Kind::Conflict,
    Kind::TooLarge,
    Kind::Unprocessable,
    Kind::RateLimited,
    Kind::Internal,
    Kind::Unavailable,
];

impl Kind {
    /// The HTTP status it is answered with.
    pub fn status(self) -> StatusCode {
        match self {
            Kind::InvalidParameter => StatusCode::BAD_REQUEST,
            Kind::Unauthorized => StatusCode::UNAUTHORIZED,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::Conflict => StatusCode::CONFLICT,
            Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Its stable name, the tail of its `type`.
    pub fn slug(self) -> &'static str {
        match self {
            Kind::InvalidParameter => "invalid-parameter",
            Kind::Unauthorized => "unauthorized",
            Kind::Forbidden => "forbidden",
            Kind::NotFound => "not-found",
            Kind::Conflict => "conflict",
            Kind::TooLarge => "too-large",
            Kind::Unprocessable => "unprocessable",
            Kind::RateLimited => "rate-limited",
            Kind::Internal => "internal",
            Kind::Unavailable => "unavailable",
        }
    }

    /// The same short summary for every occurrence.
    pub fn title(self) -> &'static str {
        match self {
            Kind::InvalidParameter => "A parameter is not valid",
            Kind::Unauthorized => "A valid token is needed",
            Kind::Forbidden => "Not allowed",
            Kind::NotFound => "Not found",
            Kind::Conflict => "Changed in the meantime",
            Kind::TooLarge => "Too large",
            Kind::Unprocessable => "Cannot be done",
            Kind::RateLimited => "Too many requests",
            Kind::Internal => "Internal error",
            Kind::Unavailable => "Temporarily unavailable",
        }
    }

    /// What it means and what to do, for the reference.
    pub fn explanation(self) -> &'static str {
        match self {
            Kind::InvalidParameter => {
                "A query parameter or part of the path could not be read: `detail` names it and \
                 says what is expected. Nothing was changed."
            }
            Kind::Unauthorized => {
                "The admin API needs `Authorization: Bearer <token>` with a token made under \
                 Your account → API tokens that is neither expired nor revoked, and whose maker's \
                 account is enabled."
            }
            Kind::Forbidden => {
                "The token does not hold the scope this operation needs, or its maker's role \
                 (checked at every use) does not allow it: `detail` says which."
            }
            Kind::NotFound => {
                "Nothing is published at this address, or a filter names a tag or author that \
                 does not exist."
            }
            Kind::Conflict => {
                "Someone saved the article after the `version` you sent. Read it again, merge, \
                 and send the new version."
            }
            Kind::TooLarge => {
                "The body is larger than the operation takes (64 MB for an image upload, 2 MB \
                 for JSON)."
            }
            Kind::Unprocessable => {
                "The body is well-formed but cannot be applied: `detail` says what to change \
                 (a missing title, a slug in use, an unknown tag, a time in the past)."
            }
            Kind::RateLimited => {
                "Too many requests from this address in a short time. Wait the number of \
                 seconds in the `Retry-After` header and try again."
            }
            Kind::Internal => {
                "Something failed on the server and was logged. Nothing was changed; trying \
                 again later may work."
            }
            Kind::Unavailable => {
                "The site's database cannot be reached at the moment (it is restarting or \
                 overloaded). Nothing was changed; wait the number of seconds in the \
                 `Retry-After` header and try again."
            }
        }
    }

    /// The `type` URI: the reference's section about it.
    pub fn type_uri(self) -> String {
        format!("/api/docs#problem-{}", self.slug())
    }
}

/// An RFC 9457 problem detail.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/api/docs#problem-invalid-parameter",
    "title": "A parameter is not valid",
    "status": 400,
    "detail": "limit: `500` must be a whole number from 1 to 100."
}))]
pub struct Problem {
    /// Stable identifier of the kind of problem: a link to its explanation.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind, the same every time.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
}

/// An API call that did not succeed.
#[derive(Debug)]
pub struct ApiError {
    kind: Kind,
    detail: String,
    retry_after: Option<i64>,
}

impl ApiError {
    /// A parameter that cannot be read: `name: detail`.
    pub fn invalid(name: &str, detail: impl std::fmt::Display) -> Self {
        Self::new(Kind::InvalidParameter, format!("{name}: {detail}"))
    }

    /// No usable token.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(Kind::Unauthorized, detail.into())
    }

    /// Not allowed to this token or its maker.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(Kind::Forbidden, detail.into())
    }

    /// Changed since the version given.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(Kind::Conflict, detail.into())
    }

    /// Larger than the operation takes.
    pub fn too_large(detail: impl Into<String>) -> Self {
        Self::new(Kind::TooLarge, detail.into())
    }

    /// Well-formed but impossible.
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(Kind::Unprocessable, detail.into())
    }

    /// Nothing at this address.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, detail.into())
    }

    /// Too many requests; come back in `seconds`.
    pub fn rate_limited(seconds: i64) -> Self {
        ApiError {
            retry_after: Some(seconds.max(1)),
            ..Self::new(
                Kind::RateLimited,
                format!(
                    "Too many requests from this address; try again in {} seconds.",
                    seconds.max(1)
                ),
            )
        }
    }

    fn new(kind: Kind, detail: String) -> Self {
        ApiError {
            kind,
            detail,
            retry_after: None,
        }
    }

    /// Its problem detail.
    pub fn problem(&self) -> Problem {
        Problem {
            kind: self.kind.type_uri(),
            title: self.kind.title().to_string(),
            status: self.kind.status().as_u16(),
            detail: self.detail.clone(),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => ApiError::not_found("Nothing is published at this address."),
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "the database is unavailable");
                ApiError {
                    retry_after: crate::error::RETRY_UNAVAILABLE.parse().ok(),
                    ..ApiError::new(
                        Kind::Unavailable,
                        "The database cannot be reached right now; nothing was changed.".into(),
                    )
                }
            }
            other => {
                tracing::error!(error = %other, "API request failed");
                ApiError::new(Kind::Internal, "Something failed on the server.".into())
            }
        }
    }
}

impl From<tidings_store::StoreError> for ApiError {
    fn from(e: tidings_store::StoreError) -> Self {
        AppError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (self.kind.status(), body).into_response();
        let h = response.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(s) = self.retry_after {
            h.insert(RETRY_AFTER, HeaderValue::from(s));
        }
        if self.kind == Kind::Unauthorized {
            h.insert(
                axum::http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"tidings\""),
            );
        }
        response
    }
}
