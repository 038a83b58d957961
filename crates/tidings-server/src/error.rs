//! One error type for handlers, translated once into a response; themed pages are filled in by
//! the `themed_errors` middleware, which has the state needed to render them.

use axum::http::header::RETRY_AFTER;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Seconds a client is asked to wait when the database cannot be reached.
pub const RETRY_UNAVAILABLE: &str = "5";

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such page: the themed 404.
    #[error("not found")]
    NotFound,
    /// The content lives at another address now (a changed slug): 301 there.
    #[error("moved to {0}")]
    Moved(String),
    /// The signed-in person's role does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// The request itself is malformed.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] tidings_store::StoreError),
    /// A template failed to render.
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
    /// The database cannot be reached; come back later.
    #[error("the database is unavailable")]
    Unavailable,
    /// Anything else that went wrong inside (logged, never shown).
    #[error("internal: {0}")]
    Internal(String),
}

impl From<tidings_newsletter::NewsletterError> for AppError {
    fn from(e: tidings_newsletter::NewsletterError) -> Self {
        use tidings_newsletter::NewsletterError as E;
        match e {
            E::NotFound(_) => AppError::NotFound,
            E::Store(e) => AppError::Store(e),
            E::Render(e) => AppError::Template(e),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<tidings_donations::DonationError> for AppError {
    fn from(e: tidings_donations::DonationError) -> Self {
        use tidings_donations::DonationError as E;
        match e {
            E::NotFound(_) => AppError::NotFound,
            E::Store(e) => AppError::Store(e),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// Marks a response whose body the themed-error middleware should render.
#[derive(Debug, Clone, Copy)]
pub struct ErrorPage;

impl AppError {
    /// Whether this is the database being out of reach (503), not a fault in the request or code.
    pub fn is_unavailable(&self) -> bool {
        match self {
            AppError::Unavailable => true,
            AppError::Store(e) => e.is_unavailable(),
            _ => false,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Moved(location) = &self {
            return crate::web::moved(location);
        }
        if self.is_unavailable() {
            // A node that already knows the database is down says so once, not per request.
            if !matches!(self, AppError::Unavailable) {
                tracing::warn!(error = %self, "the database is unavailable");
            }
            let mut response = (
                StatusCode::SERVICE_UNAVAILABLE,
                [(RETRY_AFTER, RETRY_UNAVAILABLE)],
                "Service Unavailable",
            )
                .into_response();
            response.extensions_mut().insert(ErrorPage);
            return response;
        }
        let status = match &self {
            AppError::Moved(_) => StatusCode::MOVED_PERMANENTLY,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Store(_)
            | AppError::Template(_)
            | AppError::Internal(_)
            | AppError::Unavailable => {
                // Internals are logged, never shown to readers.
                tracing::error!(error = %self, "request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let mut response = (status, status.canonical_reason().unwrap_or("error")).into_response();
        response.extensions_mut().insert(ErrorPage);
        response
    }
}
