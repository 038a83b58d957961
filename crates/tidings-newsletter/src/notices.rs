//! The newsletter's transactional emails: confirmation and welcome. Links use `site.url`.

use tidings_mail::{Email, OUTBOX_JOB};
use tidings_store::NewJob;
use tidings_theme::views::SiteView;

use crate::service::{NewsletterError, Newsletters};
use crate::sign_token;

impl Newsletters {
    /// The job that mails the double opt-in link for `token`, to be queued with the link itself.
    pub async fn confirmation_job(&self, to: &str, token: &str) -> Result<NewJob, NewsletterError> {
        let site = self.site_view().await?;
        Ok(self.outbox_job(confirmation(&site, to, token)))
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
        Ok(self.outbox_job(welcome(&site, to, &unsubscribe, &preferences)))
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

fn footer(site: &SiteView) -> String {
    let mut f = site.organisation.clone();
    if !site.address.is_empty() {
        f.push_str(&format!(", {}", site.address));
    }
    f
}

/// The double opt-in email.
fn confirmation(site: &SiteView, to: &str, token: &str) -> Email {
    let link = format!("{}/subscribe/confirm/{token}", site.url);
    let text = format!(
        "Please confirm that you want {name} from {title}.\n\nConfirm your subscription (the link works for 48 hours):\n{link}\n\n\
         If you didn't ask for this, ignore this email and you won't hear from us again.\n\n-- \n{footer}\n",
        name = site.newsletter_name,
        title = site.title,
        footer = footer(site)
    );
    let html = format!(
        "<div style=\"font-family:Georgia,serif;max-width:560px;margin:0 auto;padding:16px;color:#1a1a1a\">\
         <p>Please confirm that you want <strong>{name}</strong> from {title}.</p>\
         <p><a href=\"{link}\" style=\"display:inline-block;padding:10px 18px;background:#a4161a;color:#ffffff;text-decoration:none;border-radius:3px\">Confirm my subscription</a></p>\
         <p style=\"font-size:14px;color:#545454\">The link works for 48 hours. If you didn't ask for this, ignore this email and you won't hear from us again.</p>\
         <p style=\"font-size:12px;color:#545454\">{footer}</p></div>",
        name = esc(&site.newsletter_name),
        title = esc(&site.title),
        footer = esc(&footer(site))
    );
    Email {
        to: to.to_string(),
        subject: format!("Confirm your subscription to {}", site.newsletter_name),
        text,
        html: Some(html),
        ..Email::default()
    }
}

/// Sent once an address is confirmed.
fn welcome(site: &SiteView, to: &str, unsubscribe: &str, preferences: &str) -> Email {
    let text = format!(
        "You're subscribed to {name}. The day's most important stories from {title} will arrive every morning.\n\n\
         Choose what you receive: {preferences}\nTo stop at any time: {unsubscribe}\n\n-- \n{footer}\n",
        name = site.newsletter_name,
        title = site.title,
        footer = footer(site)
    );
    Email {
        to: to.to_string(),
        subject: format!("Welcome to {}", site.newsletter_name),
        text,
        headers: vec![
            ("List-Unsubscribe".into(), format!("<{unsubscribe}>")),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
        ],
        ..Email::default()
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
