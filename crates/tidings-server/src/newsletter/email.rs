//! Newsletter emails: rendered once per newsletter from the theme, then given each recipient's
//! own links by substitution (rendering a template per recipient would cost more than sending).

use minijinja::{context, Value};
use tidings_mail::Email;
use tidings_newsletter::sign_token;
use tidings_store::Newsletter;

use crate::app::AppState;
use crate::error::AppError;
use crate::newsletter::digest::items_of;
use crate::views::SiteView;

/// Stand-ins for the recipient-specific links, replaced per recipient.
const PREFERENCES: &str = "TIDINGS-RECIPIENT-PREFERENCES";
const UNSUBSCRIBE: &str = "TIDINGS-RECIPIENT-UNSUBSCRIBE";

use crate::web::subscribe::SECRET;

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
    site_url: String,
    secret: String,
}

/// The theme context for a newsletter; `links` are the recipient's (or neutral ones on the web).
pub fn context(
    app: &AppState,
    site: &SiteView,
    n: &Newsletter,
    preferences: &str,
    unsubscribe: &str,
) -> Value {
    let date = n
        .created_at
        .with_timezone(&app.tz())
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

/// Renders a newsletter once, ready for [`personalise`].
pub async fn prepare(app: &AppState, n: &Newsletter) -> Result<Prepared, AppError> {
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
        site_url: app.site().url.clone(),
        secret: app.secret(SECRET).await?,
    })
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
    Email {
        to: to.to_string(),
        subject: p.subject.clone(),
        text: fill(&p.text),
        html: Some(fill(&p.html)),
        headers: vec![
            ("List-Unsubscribe".into(), format!("<{unsubscribe}>")),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
            ("List-Id".into(), p.list_id.clone()),
        ],
        message_id: Some(format!("tidings.{}.{subscriber_id}@{}", p.id, p.domain)),
    }
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
        ..Email::default()
    }
}

/// The web version's body: the same email with neutral links (no recipient's token).
pub fn web_html(app: &AppState, site: &SiteView, n: &Newsletter) -> Result<String, AppError> {
    let neutral = format!("{}/subscribe/", app.site().url);
    let ctx = context(app, site, n, &neutral, &neutral);
    Ok(app.theme().render("email/newsletter.html", ctx)?)
}
