//! Newsletter emails: rendered once per newsletter from the theme, then given each recipient's
//! own links by substitution (rendering a template per recipient would cost more than sending).

use minijinja::{context, Value};
use tidings_mail::Email;
use tidings_store::Newsletter;
use tidings_theme::views::SiteView;

use crate::digest::items_of;
use crate::service::{NewsletterError, Newsletters};
use crate::sign_token;

/// Stand-ins for the recipient-specific links, replaced per recipient.
const PREFERENCES: &str = "TIDINGS-RECIPIENT-PREFERENCES";
const UNSUBSCRIBE: &str = "TIDINGS-RECIPIENT-UNSUBSCRIBE";

/// What sending a test copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestCopy {
    /// The mail server took it.
    Sent,
    /// The digest has no stories yet.
    NoStories,
    /// The mail server refused or could not be reached; what it said.
    NotSent(String),
}

/// A newsletter rendered for any recipient.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Newsletter id (part of every Message-ID).
    pub id: i64,
    /// Subject line.
    pub subject: String,
    /// HTML body with placeholders.
    pub html: String,
    /// Text body with placeholders.
    pub text: String,
    /// `List-Id` value.
    pub list_id: String,
    /// Domain used in Message-IDs.
    pub domain: String,
    /// The sender's name, when the outlet chose one for newsletters.
    pub sender: Option<String>,
    /// The sending address, when the outlet chose one on the mail domain.
    pub sender_address: Option<String>,
    /// Where replies go, when the outlet chose an address.
    pub reply_to: Option<String>,
    site_url: String,
    secret: String,
}

/// The theme context for a newsletter; `links` are the recipient's (or neutral ones on the web).
fn context(
    app: &Newsletters,
    site: &SiteView,
    n: &Newsletter,
    preferences: &str,
    unsubscribe: &str,
) -> Value {
    let date = n
        .created_at
        .with_timezone(&app.site().timezone())
        .format("%A, %-d %B %Y")
        .to_string();
    context! {
        site => Value::from_serialize(site),
        newsletter => context! {
            id => n.id,
            kind => n.kind.clone(),
            subject => n.subject.clone(),
            intro => n.intro.clone(),
            date => date,
            items => Value::from_serialize(items_of(&n.items)),
            web_url => format!("{}/newsletter/{}/", app.site().url, n.id),
        },
        links => context! { preferences => preferences, unsubscribe => unsubscribe },
    }
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "localhost".into())
}

impl Newsletters {
    /// Renders a newsletter once, ready for [`personalise`].
    pub async fn prepare(&self, n: &Newsletter) -> Result<Prepared, NewsletterError> {
        let app = self;
        let site = app.site_view().await?;
        let ctx = context(app, &site, n, PREFERENCES, UNSUBSCRIBE);
        let html = app.theme().render("email/newsletter.html", ctx.clone())?;
        let text = app.theme().render("email/newsletter.txt", ctx)?;
        let host = host_of(&app.site().url);
        let domain = app.mailer().from().email.domain().to_string();
        Ok(Prepared {
            id: n.id,
            subject: n.subject.clone(),
            html,
            text,
            list_id: format!(
                "{} <{}.{host}>",
                site.newsletter_name.replace(['<', '>', '"'], ""),
                n.kind
            ),
            domain,
            sender: Some(site.newsletter_sender.clone()).filter(|s| !s.is_empty()),
            reply_to: Some(site.newsletter_reply_to.clone()).filter(|s| !s.is_empty()),
            sender_address: Some(site.newsletter_sender_address.clone()).filter(|s| !s.is_empty()),
            site_url: app.site().url.clone(),
            secret: app.secret().await?,
        })
    }

    /// Mails the signed-in editor a test copy of the digest `edition` as it stands at `now`.
    pub async fn send_test(
        &self,
        edition: &str,
        now: chrono::DateTime<chrono::Utc>,
        to: &str,
    ) -> Result<TestCopy, NewsletterError> {
        let draft = self.draft(edition, now).await?;
        let Some(lead) = draft.items.first() else {
            return Ok(TestCopy::NoStories);
        };
        let n = Newsletter {
            id: 0,
            kind: tidings_store::Audience::Digest,
            edition: edition.to_string(),
            subject: format!(
                "{}: {}",
                self.site_view().await?.newsletter_name,
                lead.title
            ),
            intro: draft.effective_intro().to_string(),
            items: serde_json::to_string(&draft.items)?,
            status: tidings_store::NewsletterState::Sending,
            cutoff_at: now,
            created_at: now,
            finished_at: None,
            counts: Default::default(),
        };
        let prepared = self.prepare(&n).await?;
        Ok(match self.mailer().send(&test_copy(&prepared, to)).await {
            Ok(()) => TestCopy::Sent,
            Err(e) => {
                tracing::warn!(error = %e, "test digest not sent");
                TestCopy::NotSent(e.to_string())
            }
        })
    }
}

/// The message for one subscriber: their own links, and a Message-ID fixed by (newsletter,
/// subscriber) so that a repeat after a crash carries the same one.
pub fn personalise(p: &Prepared, subscriber_id: i64, to: &str) -> Email {
    let unsubscribe = format!(
        "{}/unsubscribe/{}",
        p.site_url,
        sign_token(p.secret.as_bytes(), "unsubscribe", subscriber_id)
    );
    let preferences = format!(
        "{}/subscribe/preferences/{}",
        p.site_url,
        sign_token(p.secret.as_bytes(), "preferences", subscriber_id)
    );
    let fill = |s: &str| {
        s.replace(PREFERENCES, &preferences)
            .replace(UNSUBSCRIBE, &unsubscribe)
    };
    let mut headers = vec![
        ("List-Unsubscribe".into(), format!("<{unsubscribe}>")),
        (
            "List-Unsubscribe-Post".into(),
            "List-Unsubscribe=One-Click".into(),
        ),
        ("List-Id".into(), p.list_id.clone()),
    ];
    headers.extend(reply_to(p));
    Email {
        from_name: p.sender.clone(),
        from_address: p.sender_address.clone(),
        to: to.to_string(),
        subject: p.subject.clone(),
        text: fill(&p.text),
        html: Some(fill(&p.html)),
        headers,
        message_id: Some(format!("tidings.{}.{subscriber_id}@{}", p.id, p.domain)),
    }
}

fn reply_to(p: &Prepared) -> Option<(String, String)> {
    p.reply_to.clone().map(|a| ("Reply-To".into(), a))
}

/// A test copy for the editor: marked as a test, with links that lead to the signup page rather
/// than to anyone's preferences.
pub fn test_copy(p: &Prepared, to: &str) -> Email {
    let neutral = format!("{}/subscribe/", p.site_url);
    let fill = |s: &str| {
        s.replace(PREFERENCES, &neutral)
            .replace(UNSUBSCRIBE, &neutral)
    };
    Email {
        to: to.to_string(),
        subject: format!("[Test] {}", p.subject),
        text: fill(&p.text),
        html: Some(fill(&p.html)),
        from_name: p.sender.clone(),
        from_address: p.sender_address.clone(),
        headers: reply_to(p).into_iter().collect(),
        ..Email::default()
    }
}
