//! Typed configuration for Tidings.
//!
//! Infrastructure settings come from `tidings.toml` (optional) with every key overridable by an
//! environment variable `TIDINGS_<SECTION>__<KEY>`. Unknown keys and bad values stop start-up with a
//! message that names them; the outlet's own words live in the database, not here.

mod choices;
mod load;
mod sections;
mod validate;

pub use choices::{PaymentGateway, StripeMode};
pub use load::{load, ConfigError, Sources};
pub use sections::{
    ApiConfig, BackupConfig, Config, DatabaseConfig, MailConfig, MediaConfig, NewsletterConfig,
    PaymentsConfig, SearchConfig, ServerConfig, SiteConfig,
};
