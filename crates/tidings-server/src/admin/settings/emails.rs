//! Settings → Emails: the words of the site's own emails (confirmation, welcome, receipt, failed
//! payment, portal link, digest intro), each with the variables it may use, a preview of its HTML
//! and text parts, and a test send to the signed-in user. A draft with an unknown variable, a
//! syntax error or without its one required link is refused, by name.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, X_FRAME_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use minijinja::context;
use serde::Deserialize;
use tidings_accounts::Action;
use tidings_mail::Email;
use tidings_theme::email_texts::{self, key, Rendered, Text, TextSpec, SPECS};

use super::{tabs, Saved};
use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

/// The list's address.
pub const URL: &str = "/admin/settings/emails";
/// Longest subject kept.
const MAX_SUBJECT: usize = 200;
/// Longest body kept.
const MAX_BODY: usize = 5000;

/// A draft as the form sends it.
#[derive(Deserialize, Default)]
pub struct Draft {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    action: String,
}

impl Draft {
    fn text(&self) -> Text {
        Text {
            subject: self.subject.trim().to_string(),
            body: self.body.replace("\r\n", "\n").trim_end().to_string(),
            edited: true,
        }
    }

    fn problems(&self, spec: &TextSpec) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.subject.chars().count() > MAX_SUBJECT {
            problems.push((
                "subject",
                format!("A subject holds at most {MAX_SUBJECT} characters."),
            ));
        }
        if self.body.chars().count() > MAX_BODY {
            problems.push((
                "body",
                format!("The text holds at most {MAX_BODY} characters."),
            ));
        }
        let text = self.text();
        problems.extend(spec.check(&text.subject, &text.body));
        problems
    }
}

fn spec_of(slug: &str) -> Result<&'static TextSpec, AppError> {
    email_texts::spec(slug).ok_or(AppError::NotFound)
}

/// The values a preview or test send fills in: the site's own names, the signed-in user's
/// address, and sample links on the site's address.
async fn samples(
    app: &AppState,
    spec: &TextSpec,
    to: &str,
) -> Result<BTreeMap<&'static str, String>, AppError> {
    let site = app.site_view().await?;
    let mut values = spec.samples();
    for value in values.values_mut() {
        if let Some(path) = value.strip_prefix("https://news.example") {
            *value = format!("{}{path}", site.url);
        }
    }
    for (name, value) in [
        ("site_name", site.title.clone()),
        ("newsletter_name", site.newsletter_name.clone()),
        ("email", to.to_string()),
    ] {
        if let Some(v) = values.get_mut(name) {
            *v = value;
        }
    }
    Ok(values)
}

/// `GET /admin/settings/emails`
pub async fn list(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let settings = app.store().settings().await?;
    let emails: Vec<minijinja::Value> = SPECS
        .iter()
        .map(|s| {
            context! {
                slug => s.slug, title => s.title, when => s.when,
                edited => s.current(&settings).edited,
            }
        })
        .collect();
    let ctx = context! { tabs => tabs(URL), emails => emails };
    Ok(render(
        &app,
        StatusCode::OK,
        "admin/settings_emails.html",
        Some(me(&signed)),
        ctx,
    )
    .await)
}

struct Shown<'a> {
    text: Text,
    problems: Vec<(&'static str, String)>,
    saved: bool,
    sent: bool,
    mail_error: Option<String>,
    spec: &'a TextSpec,
}

impl<'a> Shown<'a> {
    fn new(spec: &'a TextSpec, text: Text, problems: Vec<(&'static str, String)>) -> Self {
        Shown {
            text,
            problems,
            saved: false,
            sent: false,
            mail_error: None,
            spec,
        }
    }
}

async fn editor(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    shown: Shown<'_>,
) -> Result<Response, AppError> {
    let error_of = |field: &str| {
        shown
            .problems
            .iter()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let ctx = context! {
        tabs => tabs(URL),
        spec => shown.spec,
        subject => shown.text.subject,
        body => shown.text.body,
        edited => shown.text.edited,
        problems => shown.problems.iter().map(|(f, m)| context! { field => f, message => m }).collect::<Vec<_>>(),
        subject_error => error_of("subject"),
        body_error => error_of("body"),
        saved => shown.saved,
        sent => shown.sent,
        mail_error => shown.mail_error,
        max_subject => MAX_SUBJECT,
        max_body => MAX_BODY,
    };
    Ok(render(
        app,
        status,
        "admin/settings_email.html",
        Some(me(signed)),
        ctx,
    )
    .await)
}

/// `GET /admin/settings/emails/{slug}`
pub async fn show(
    State(app): State<AppState>,
    signed: Signed,
    Path(slug): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let spec = spec_of(&slug)?;
    let settings = app.store().settings().await?;
    let mut shown = Shown::new(spec, spec.current(&settings), Vec::new());
    shown.saved = q.saved.is_some();
    editor(&app, &signed, StatusCode::OK, shown).await
}

/// `POST /admin/settings/emails/{slug}`: saves the draft, or restores the default.
pub async fn save(
    State(app): State<AppState>,
    signed: Signed,
    Path(slug): Path<String>,
    Form(draft): Form<Draft>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let spec = spec_of(&slug)?;
    let (subject_key, body_key) = (key(spec.slug, "subject"), key(spec.slug, "body"));
    if draft.action == "restore" {
        app.store()
            .set_settings(&[(&subject_key, ""), (&body_key, "")])
            .await?;
        signed
            .audit(&app, "settings.email_restore", spec.slug)
            .await;
        return Ok(see_other(&format!("{URL}/{}?saved=1", spec.slug)));
    }
    let problems = draft.problems(spec);
    if !problems.is_empty() {
        let shown = Shown::new(spec, draft.text(), problems);
        return editor(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    }
    let text = draft.text();
    // An emptied digest intro is kept as a single space, so "no intro" stays the outlet's choice
    // rather than falling back to a default.
    let body = if text.body.is_empty() {
        " "
    } else {
        &text.body
    };
    app.store()
        .set_settings(&[(&subject_key, &text.subject), (&body_key, body)])
        .await?;
    signed.audit(&app, "settings.email_text", spec.slug).await;
    Ok(see_other(&format!("{URL}/{}?saved=1", spec.slug)))
}

/// The words filled in with sample values, or the draft's problems.
async fn sample_render(
    app: &AppState,
    spec: &TextSpec,
    text: &Text,
    to: &str,
) -> Result<Result<Rendered, String>, AppError> {
    let values = samples(app, spec, to).await?;
    Ok(spec.render(text, &values))
}

async fn preview_page(
    app: &AppState,
    signed: &Signed,
    spec: &TextSpec,
    text: Text,
    problems: Vec<(&'static str, String)>,
) -> Result<Response, AppError> {
    let site = app.site_view().await?;
    let words = if problems.is_empty() {
        sample_render(app, spec, &text, &signed.user.email).await?
    } else {
        Err(String::new())
    };
    let ctx = match words {
        Ok(w) => context! {
            subject => w.subject,
            html => email_texts::html_email(&w.html, &site.mail_footer()),
            text => format!("{}\n\n-- \n{}", w.text, site.mail_footer()),
            has_subject => spec.subject.is_some(),
        },
        Err(e) => context! {
            problems => problems.iter().map(|(_, m)| m.clone()).chain((!e.is_empty()).then_some(e)).collect::<Vec<_>>(),
        },
    };
    let html = app.theme().render("admin/email_preview.html", ctx)?;
    let mut r = axum::response::Html(html).into_response();
    let h = r.headers_mut();
    // Email HTML carries inline styles (mail clients ignore stylesheets); nothing else may run.
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
             form-action 'none'; base-uri 'none'; frame-ancestors 'self'",
        ),
    );
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    Ok(r)
}

/// `GET /admin/settings/emails/{slug}/preview`: the saved words, for the editor's frame.
pub async fn preview_saved(
    State(app): State<AppState>,
    signed: Signed,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let spec = spec_of(&slug)?;
    let settings = app.store().settings().await?;
    preview_page(&app, &signed, spec, spec.current(&settings), Vec::new()).await
}

/// `POST /admin/settings/emails/{slug}/preview`: the draft, into the editor's frame.
pub async fn preview_draft(
    State(app): State<AppState>,
    signed: Signed,
    Path(slug): Path<String>,
    Form(draft): Form<Draft>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let spec = spec_of(&slug)?;
    preview_page(&app, &signed, spec, draft.text(), draft.problems(spec)).await
}

/// `POST /admin/settings/emails/{slug}/test`: sends the draft, filled with sample values, to the
/// signed-in user at once; nothing is saved.
pub async fn test_send(
    State(app): State<AppState>,
    signed: Signed,
    Path(slug): Path<String>,
    Form(draft): Form<Draft>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let spec = spec_of(&slug)?;
    let mut shown = Shown::new(spec, draft.text(), draft.problems(spec));
    if !shown.problems.is_empty() {
        return editor(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    }
    let site = app.site_view().await?;
    let to = signed.user.email.clone();
    let words = match sample_render(&app, spec, &shown.text, &to).await? {
        Ok(w) => w,
        Err(e) => {
            shown.problems.push(("body", e));
            return editor(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
        }
    };
    let subject = match words.subject.as_str() {
        "" => format!("{}: {}", site.newsletter_name, spec.title),
        s => s.to_string(),
    };
    let email = Email {
        to: to.clone(),
        subject: format!("[Test] {subject}"),
        text: format!("{}\n\n-- \n{}\n", words.text, site.mail_footer()),
        html: Some(email_texts::html_email(&words.html, &site.mail_footer())),
        ..Email::default()
    };
    let status = match app.newsletters().mailer().send(&email).await {
        Ok(()) => {
            shown.sent = true;
            signed.audit(&app, "settings.email_test", spec.slug).await;
            StatusCode::OK
        }
        Err(e) => {
            tracing::warn!(error = %e, "test email not sent");
            shown.mail_error = Some(e.to_string());
            StatusCode::BAD_GATEWAY
        }
    };
    editor(&app, &signed, status, shown).await
}
