//! The donation service: what happens to gifts and monthly plans over the store, the payment
//! gateway and the mailer. The web layer and the command line call the same functions.

use std::sync::Arc;

use tidings_mail::{MailError, Mailer};
use tidings_store::{Store, StoreError};
use tidings_theme::{SiteInfo, SiteView};

use crate::gateway::Payments;
use crate::stripe::StripeError;

/// The setting named `donation_secret` signs donation-form challenges.
pub const SECRET: &str = "donation_secret";

/// Why a donation operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DonationError {
    /// The gift, plan or form asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The database refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The payment provider refused or could not be reached.
    #[error(transparent)]
    Gateway(#[from] StripeError),
    /// The provider answered without something its API documents.
    #[error("{0}")]
    Unexpected(&'static str),
    /// The mailer could not be used.
    #[error(transparent)]
    Mail(#[from] MailError),
    /// The payment configuration cannot be used.
    #[error("{0}")]
    Setup(String),
}

struct Inner {
    store: Store,
    mailer: Mailer,
    site: SiteInfo,
    payments: Payments,
}

/// Handle to the donation service; cheap to clone.
#[derive(Clone)]
pub struct Donations(Arc<Inner>);

impl Donations {
    /// The service over these parts.
    pub fn new(store: Store, mailer: Mailer, site: SiteInfo, payments: Payments) -> Self {
        Donations(Arc::new(Inner {
            store,
            mailer,
            site,
            payments,
        }))
    }

    /// The service as the configuration describes it, for a process without the web layer.
    pub fn from_config(
        config: &tidings_config::Config,
        store: Store,
    ) -> Result<Self, DonationError> {
        Ok(Donations::new(
            store,
            Mailer::from_config(config)?,
            SiteInfo::from_config(config),
            Payments::from_config(config)?,
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

    /// The site's identity.
    pub fn site(&self) -> &SiteInfo {
        &self.0.site
    }

    /// The gateway and donation settings.
    pub fn payments(&self) -> &Payments {
        &self.0.payments
    }

    /// The site-wide view as emails show it, read fresh from the settings.
    pub async fn site_view(&self) -> Result<SiteView, DonationError> {
        let view = self.site().view(self.store()).await?;
        // Mail goes out under the site's name as the database has it now.
        self.mailer().set_sender_name(&view.title);
        Ok(view)
    }

    /// Queues `email` for the job runner (retried with backoff, same Message-ID); the caller never
    /// waits on the mail server.
    pub async fn send_later(&self, email: tidings_mail::Email) -> Result<(), DonationError> {
        let payload = self.mailer().outbox_payload(email);
        let job = tidings_store::NewJob::new(
            tidings_mail::OUTBOX_JOB,
            payload,
            chrono::Utc::now().timestamp(),
        );
        self.store().enqueue_job(&job).await?;
        Ok(())
    }
}
