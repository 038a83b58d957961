//! The newsletter's transactional emails: confirmation and welcome. Links use `site.url`.

use std::collections::BTreeMap;
use tidings_mail::{Email, OUTBOX_JOB};
use tidings_store::NewJob;

use tidings_store::Settings;
use tidings_theme::email_texts;
use tidings_theme::views::SiteView;

use crate::service::{NewsletterError, Newsletters};
use crate::sign_token;

impl Newsletters {
    /// The job that mails the double opt-in link for `token`, to be queued with the link itself.
    pub async fn confirmation_job(&self, to: &str, token: &str) -> Result<NewJob, NewsletterError> {
        let site = self.site_view().await?;
        let settings = self.store().settings().await?;
        let link = format!("{}/subscribe/confirm/{token}", site.url);
        let email = notice(
            &site,
            &settings,
            "confirmation",
            to,
            &[("confirm_url", link)],
        );
        Ok(self.outbox_job(email))
    }

    /// The job that welcomes a subscriber with their own links, to be queued with the
    /// confirmation.
    pub async fn welcome_job(
        &self,
        subscriber_id: i64,
        to: &str,
    ) -> Result<NewJob, NewsletterError> {
        let site = self.site_view().await?;
        let unsubscribe = self.unsubscribe_url(subscriber_id).await?;
        let preferences = self.preferences_url(subscriber_id).await?;
        let settings = self.store().settings().await?;
        let mut email = notice(
            &site,
            &settings,
            "welcome",
            to,
            &[
                ("preferences_url", preferences),
                ("unsubscribe_url", unsubscribe.clone()),
            ],
        );
        email.headers = vec![
            ("List-Unsubscribe".into(), format!("<{unsubscribe}>")),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
        ];
        Ok(self.outbox_job(email))
    }

    /// The subscriber's one-click unsubscribe link.
    pub async fn unsubscribe_url(&self, subscriber_id: i64) -> Result<String, NewsletterError> {
        let secret = self.secret().await?;
        Ok(format!(
            "{}/unsubscribe/{}",
            self.site().url,
            sign_token(secret.as_bytes(), "unsubscribe", subscriber_id)
        ))
    }

    /// The subscriber's preferences link.
    pub async fn preferences_url(&self, subscriber_id: i64) -> Result<String, NewsletterError> {
        let secret = self.secret().await?;
        Ok(format!(
            "{}/subscribe/preferences/{}",
            self.site().url,
            sign_token(secret.as_bytes(), "preferences", subscriber_id)
        ))
    }

    /// A job that sends `email` through the runner (retried with backoff, same Message-ID).
    fn outbox_job(&self, email: Email) -> NewJob {
        let payload = self.mailer().outbox_payload(email);
        NewJob::new(OUTBOX_JOB, payload, chrono::Utc::now().timestamp())
    }
}

/// The email `slug` to `to`, in the outlet's words with `values` filled in, and the footer.
pub(crate) fn notice(
    site: &SiteView,
    settings: &Settings,
    slug: &str,
    to: &str,
    values: &[(&'static str, String)],
) -> Email {
    let spec = email_texts::spec(slug).expect("a known email");
    let mut all: BTreeMap<&str, String> = BTreeMap::from([
        ("site_name", site.title.clone()),
        ("newsletter_name", site.newsletter_name.clone()),
        ("email", to.to_string()),
    ]);
    all.extend(values.iter().cloned());
    let words = spec.compose(settings, &all);
    let footer = site.mail_footer();
    Email {
        to: to.to_string(),
        subject: words.subject,
        text: format!("{}\n\n-- \n{footer}\n", words.text),
        html: Some(email_texts::html_email(&words.html, &footer)),
        ..Email::default()
    }
}
