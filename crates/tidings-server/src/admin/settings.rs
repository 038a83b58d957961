//! The outlet's own words and looks in the admin (owners and administrators), one page per part:
//! site, organisation, newsletter, donations, search engines and code. Saved in the database, so
//! every process on the same data shows the same identity; a key the configuration sets explicitly
//! wins and is shown read-only with where it was set.

mod emails;
mod fields;
mod images;
mod navigation;
pub use emails::{
    list as list_emails, preview_draft as preview_email_draft, preview_saved as preview_email,
    save as save_email, show as show_email, test_send as test_email,
};
pub use images::save as save_images;
pub use navigation::{save as save_navigation, show as show_navigation};

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::{Deserialize, Serialize};
use tidings_accounts::Action;
use tidings_store::{DonationForm, Settings};

use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;
pub use fields::verification_code;
use fields::{Field, Kind, Section};

#[derive(Serialize)]
struct FieldView {
    key: &'static str,
    label: &'static str,
    help: &'static str,
    max: usize,
    required: bool,
    input: &'static str,
    value: String,
    error: Option<String>,
    set_by: Option<String>,
}

fn input(kind: Kind) -> &'static str {
    match kind {
        Kind::Text | Kind::Urls | Kind::Attributes | Kind::Robots | Kind::AdsTxt => "textarea",
        Kind::Toggle => "checkbox",
        Kind::DonationForm => "select",
        Kind::Email | Kind::SenderAddress => "email",
        Kind::HttpsUrl => "url",
        Kind::Count(..) => "number",
        _ => "text",
    }
}

/// What a field holds when nothing was ever saved.
fn default_of(f: &Field) -> &'static str {
    match f.kind {
        Kind::Toggle => "on",
        Kind::DonationForm => "default",
        _ => "",
    }
}

struct Shown<'a> {
    section: Section,
    settings: &'a Settings,
    forms: &'a [DonationForm],
    values: &'a BTreeMap<String, String>,
    errors: &'a BTreeMap<&'static str, String>,
    image_errors: &'a BTreeMap<&'static str, String>,
    saved: bool,
}

async fn page(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    shown: Shown<'_>,
) -> Result<Response, AppError> {
    let info = app.newsletters().site();
    let fields: Vec<FieldView> = fields::of(shown.section)
        .map(|f| FieldView {
            key: f.key,
            label: f.label,
            help: f.help,
            max: f.max,
            required: f.required,
            input: input(f.kind),
            value: shown.values.get(f.key).cloned().unwrap_or_default(),
            error: shown.errors.get(f.key).cloned(),
            set_by: info.fixed_by(f.key).map(str::to_string),
        })
        .collect();
    let gateway = &app.payments().gateway;
    let ctx = context! {
        title => shown.section.title(),
        action => url(shown.section),
        tabs => tabs(&url(shown.section)),
        fields => fields,
        saved => shown.saved,
        failed => !shown.errors.is_empty(),
        forms => shown.forms.iter().map(|f| context! {
            slug => f.slug, title => f.title,
            minimum => tidings_donations::format_stored(&f.currency, f.minimum),
            maximum => tidings_donations::format_stored(&f.currency, f.maximum),
        }).collect::<Vec<_>>(),
        default_form => shown.values.get("donation_default_form"),
        donations => shown.section == Section::Donations,
        payment_mode => if gateway.test_mode() { "test" } else { "live" },
        gateway => gateway.kind().as_str(),
        newsletter => shown.section == Section::Newsletter,
        site => shown.section == Section::Site,
        images => images::views(shown.settings, shown.image_errors),
        failed_images => !shown.image_errors.is_empty(),
    };
    Ok(render(app, status, "admin/settings.html", Some(me(signed)), ctx).await)
}

/// The settings pages' tabs, the one at `current` marked.
fn tabs(current: &str) -> Vec<minijinja::Value> {
    Section::ALL
        .iter()
        .map(|s| (s.title(), url(*s)))
        .chain([
            ("Navigation", navigation::URL.to_string()),
            ("Emails", emails::URL.to_string()),
        ])
        .map(|(title, url)| context! { title => title, current => url == current, url => url })
        .collect()
}

fn url(section: Section) -> String {
    match section.slug() {
        "" => "/admin/settings".into(),
        slug => format!("/admin/settings/{slug}"),
    }
}

fn section_of(slug: Option<&str>) -> Result<Section, AppError> {
    Section::from_slug(slug.unwrap_or_default()).ok_or(AppError::NotFound)
}

#[derive(Deserialize, Default)]
pub struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

/// The values a page shows: what is saved, else what is in force (a default, or the configuration).
fn current(app: &AppState, section: Section, settings: &Settings) -> BTreeMap<String, String> {
    let identity = app.newsletters().site().resolve(settings);
    let mut values = BTreeMap::new();
    for f in fields::of(section) {
        let saved = settings.get(f.key);
        let fixed = app.newsletters().site().fixed_by(f.key).is_some();
        let value = if !saved.is_empty() && !fixed {
            saved.to_string()
        } else {
            match f.key {
                "site_title" => identity.title.clone(),
                "site_language" => identity.language.clone(),
                "site_timezone" => identity.timezone.name().to_string(),
                "digest_time" => identity
                    .digest_time
                    .map_or_else(|| "off".into(), |t| t.format("%H:%M").to_string()),
                "digest_max_stories" => identity.max_stories.to_string(),
                _ if saved.is_empty() => default_of(f).into(),
                _ => saved.to_string(),
            }
        };
        values.insert(f.key.to_string(), value);
    }
    values
}

async fn show(
    app: AppState,
    signed: Signed,
    section: Section,
    saved: bool,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let settings = app.store().settings().await?;
    let forms = app.store().donation_forms().await?;
    let values = current(&app, section, &settings);
    let shown = Shown {
        section,
        settings: &settings,
        forms: &forms,
        values: &values,
        errors: &BTreeMap::new(),
        image_errors: &BTreeMap::new(),
        saved,
    };
    page(&app, &signed, StatusCode::OK, shown).await
}

/// The Site page again, with why an image was refused (422).
async fn site_page_with_image_errors(
    app: &AppState,
    signed: &Signed,
    image_errors: &BTreeMap<&'static str, String>,
) -> Result<Response, AppError> {
    let settings = app.store().settings().await?;
    let forms = app.store().donation_forms().await?;
    let values = current(app, Section::Site, &settings);
    let shown = Shown {
        section: Section::Site,
        settings: &settings,
        forms: &forms,
        values: &values,
        errors: &BTreeMap::new(),
        image_errors,
        saved: false,
    };
    page(app, signed, StatusCode::UNPROCESSABLE_ENTITY, shown).await
}

/// `GET /admin/settings`
pub async fn show_site(
    State(app): State<AppState>,
    signed: Signed,
    Query(q): Query<Saved>,
) -> Result<Response, AppError> {
    show(app, signed, Section::Site, q.saved.is_some()).await
}

/// `GET /admin/settings/{section}`
pub async fn show_section(
    State(app): State<AppState>,
    signed: Signed,
    Path(slug): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, AppError> {
    let section = section_of(Some(&slug))?;
    show(app, signed, section, q.saved.is_some()).await
}

/// `GET /admin/settings/signup-preview`: the signup box alone, with the public stylesheet, for
/// the frame on the newsletter settings page (the only page that may frame it).
pub async fn signup_preview(
    State(app): State<AppState>,
    signed: Signed,
) -> Result<Response, AppError> {
    use axum::http::header::{CONTENT_SECURITY_POLICY, X_FRAME_OPTIONS};
    use axum::http::HeaderValue;
    use axum::response::IntoResponse;
    signed.require(Action::ManageSettings)?;
    let html = app
        .render_page("admin/signup_preview.html", context! {})
        .await?;
    let mut r = axum::response::Html(html).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; \
             form-action 'none'; base-uri 'self'; frame-ancestors 'self'",
        ),
    );
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    Ok(r)
}

/// What a form field sends for `f`, normalised as it is stored.
fn submitted(f: &Field, form: &BTreeMap<String, String>) -> String {
    let raw = form.get(f.key).map(String::as_str).unwrap_or_default();
    match f.kind {
        // A checkbox sends nothing when it is cleared.
        Kind::Toggle => if raw.is_empty() { "off" } else { "on" }.into(),
        Kind::Verification => verification_code(raw).to_string(),
        Kind::Colour => raw.trim().to_ascii_lowercase(),
        _ => raw.trim().replace("\r\n", "\n"),
    }
}

async fn save(
    app: AppState,
    signed: Signed,
    section: Section,
    form: BTreeMap<String, String>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let before = app.store().settings().await?;
    let forms = app.store().donation_forms().await?;
    let slugs: Vec<String> = forms.iter().map(|f| f.slug.clone()).collect();
    let from = app.newsletters().mailer().from();
    let known = fields::Known {
        forms: &slugs,
        mail_domain: from.email.domain(),
    };
    let mut values = current(&app, section, &before);
    let mut errors = BTreeMap::new();
    let mut changes: Vec<(&str, String)> = Vec::new();
    for f in fields::of(section) {
        // A key the configuration sets is shown, not taken from the form.
        if app.newsletters().site().fixed_by(f.key).is_some() {
            continue;
        }
        let value = submitted(f, &form);
        if let Some(message) = fields::check(f, form.get(f.key).map_or("", |v| v), &known) {
            errors.insert(f.key, message);
        }
        // Never saved, and sent back as the value in force: nothing to store.
        let unchanged = match before.get(f.key) {
            "" => value.is_empty() || value == values[f.key],
            saved => value == saved,
        };
        if !unchanged {
            changes.push((f.key, value.clone()));
        }
        values.insert(f.key.to_string(), value);
    }
    if !errors.is_empty() {
        let shown = Shown {
            section,
            settings: &before,
            forms: &forms,
            values: &values,
            errors: &errors,
            image_errors: &BTreeMap::new(),
            saved: false,
        };
        return page(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    }
    if !changes.is_empty() {
        let pairs: Vec<(&str, &str)> = changes.iter().map(|(k, v)| (*k, v.as_str())).collect();
        app.store().set_settings(&pairs).await?;
        // The owner sees the change on the next page, not after the generation poll.
        let _ = app.refresh_generation().await;
        let keys: Vec<&str> = changes.iter().map(|(k, _)| *k).collect();
        signed.audit(&app, "settings.save", &keys.join(", ")).await;
    }
    Ok(see_other(&format!("{}?saved=1", url(section))))
}

/// `POST /admin/settings`
pub async fn save_site(
    State(app): State<AppState>,
    signed: Signed,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    save(app, signed, Section::Site, form).await
}

/// `POST /admin/settings/{section}`
pub async fn save_section(
    State(app): State<AppState>,
    signed: Signed,
    Path(slug): Path<String>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let section = section_of(Some(&slug))?;
    save(app, signed, section, form).await
}
