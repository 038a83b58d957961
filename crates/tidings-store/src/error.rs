//! Errors from the repository layer.

/// What went wrong in the store; `Invalid` and `Conflict` carry the field at fault.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or answered with an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A value was refused before anything was written.
    #[error("{field}: {message}")]
    Invalid {
        /// The input field at fault.
        field: &'static str,
        /// A message for the person who typed it.
        message: String,
    },
    /// A unique value (such as a slug) is already taken.
    #[error("{field}: `{value}` is already taken")]
    Conflict {
        /// The input field at fault.
        field: &'static str,
        /// The value that clashed.
        value: String,
    },
    /// Someone else saved first; `current` is the version now stored.
    #[error("this was changed by someone else since you opened it")]
    Stale {
        /// The version now stored.
        current: i64,
    },
    /// The referenced row does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
}

impl StoreError {
    /// Whether the database could not be reached (down, restarting, or every connection busy for
    /// too long), as opposed to refusing this request: trying again later may work.
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => true,
            // PostgreSQL shutting down, starting up or out of connections (class 57 and 53300).
            sqlx::Error::Database(db) => db
                .code()
                .is_some_and(|c| c.starts_with("57P") || c == "53300"),
            _ => false,
        }
    }

    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        StoreError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// Turns a unique-constraint violation into a field conflict, leaving other errors alone.
pub(crate) fn on_unique(err: sqlx::Error, field: &'static str, value: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        if db.is_unique_violation() {
            return StoreError::Conflict {
                field,
                value: value.to_string(),
            };
        }
        if db.is_foreign_key_violation() {
            return StoreError::invalid("tags", "refers to a tag that does not exist");
        }
    }
    StoreError::Database(err)
}
