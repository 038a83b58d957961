//! The newsletter service: everything that reads or writes newsletters over the store, renders
//! them with the theme and sends them through the mailer. The web layer and the command line
//! call the same functions.

use std::sync::Arc;

use tidings_mail::{MailError, Mailer};
use tidings_store::{Store, StoreError};
use tidings_theme::{SiteInfo, SiteView, Theme};

use crate::reads::ReadCounter;

/// The settings named `newsletter_secret` signs recipients' links and signup challenges.
pub const SECRET: &str = "newsletter_secret";

/// Why a newsletter operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NewsletterError {
    /// The newsletter, edition or article asked for does not exist (or is not published).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The database refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A theme template failed to render.
    #[error("rendering the newsletter: {0}")]
    Render(#[from] minijinja::Error),
    /// Stored stories could not be written or read as JSON.
    #[error("newsletter stories: {0}")]
    Json(#[from] serde_json::Error),
    /// The mailer could not be used.
    #[error(transparent)]
    Mail(#[from] MailError),
    /// The theme could not be loaded.
    #[error(transparent)]
    Theme(#[from] tidings_theme::ThemeError),
    /// A sending task stopped unexpectedly.
    #[error("sending task: {0}")]
    Task(String),
}

/// How fast this site's newsletters go out, from `[newsletter]` and `[mail]` (the digest's time
/// and length are the outlet's settings: see [`tidings_theme::Identity`]).
#[derive(Debug, Clone)]
pub struct NewsletterOptions {
    /// Most messages per second from this process (0: no limit).
    pub send_rate: u32,
    /// Messages a send keeps in flight at once (one per SMTP connection).
    pub send_connections: usize,
}

impl NewsletterOptions {
    /// From the configuration (already validated).
    pub fn from_config(config: &tidings_config::Config) -> Self {
        NewsletterOptions {
            send_rate: config.newsletter.rate_limit,
            send_connections: config.mail.connections.max(1) as usize,
        }
    }
}

struct Inner {
    store: Store,
    mailer: Mailer,
    theme: Arc<Theme>,
    site: SiteInfo,
    options: NewsletterOptions,
    send_slot: tokio::sync::Mutex<Option<tokio::time::Instant>>,
    reads: ReadCounter,
}

/// Handle to the newsletter service; cheap to clone.
#[derive(Clone)]
pub struct Newsletters(Arc<Inner>);

impl Newsletters {
    /// The service over these parts.
    pub fn new(
        store: Store,
        mailer: Mailer,
        theme: Arc<Theme>,
        site: SiteInfo,
        options: NewsletterOptions,
    ) -> Self {
        Newsletters(Arc::new(Inner {
            store,
            mailer,
            theme,
            site,
            options,
            send_slot: tokio::sync::Mutex::new(None),
            reads: ReadCounter::default(),
        }))
    }

    /// The service as the configuration describes it, for a process without the web layer
    /// (the theme with the data folder's overrides, the configured mailer).
    pub fn from_config(
        config: &tidings_config::Config,
        store: Store,
    ) -> Result<Self, NewsletterError> {
        let theme = Theme::load(Some(&config.server.data_dir.join("theme")))?;
        Ok(Newsletters::new(
            store,
            Mailer::from_config(config)?.signing_inline(),
            Arc::new(theme),
            SiteInfo::from_config(config),
            NewsletterOptions::from_config(config),
        ))
    }

    /// The repository.
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// Outgoing mail.
    pub fn mailer(&self) -> &Mailer {
        &self.0.mailer
    }

    /// The theme the emails are rendered with.
    pub fn theme(&self) -> &Arc<Theme> {
        &self.0.theme
    }

    /// The site's identity.
    pub fn site(&self) -> &SiteInfo {
        &self.0.site
    }

    /// How newsletters go out.
    pub fn options(&self) -> &NewsletterOptions {
        &self.0.options
    }

    /// Per-article read counts not yet written to the database (this process's).
    pub fn reads(&self) -> &ReadCounter {
        &self.0.reads
    }

    /// When this process may send its next message (`newsletter.rate_limit` is per process,
    /// however many connections send).
    pub(crate) fn send_slot(&self) -> &tokio::sync::Mutex<Option<tokio::time::Instant>> {
        &self.0.send_slot
    }

    /// The site-wide view as emails show it, read fresh from the settings.
    pub async fn site_view(&self) -> Result<SiteView, NewsletterError> {
        let view = self.site().view(self.store()).await?;
        // Mail goes out under the site's name as the database has it now.
        self.mailer().set_sender_name(&view.title);
        Ok(view)
    }

    /// The secret that signs recipients' links.
    pub async fn secret(&self) -> Result<String, NewsletterError> {
        Ok(self.store().secret(SECRET).await?)
    }
}
