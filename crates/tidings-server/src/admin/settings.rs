//! The outlet's own words in the admin (owners and administrators): the site's name and
//! description, the organisation behind it (which receipts and newsletter footers must name), the
//! newsletter's name and the donation call to action. Saved in the database, so every process on
//! the same data shows the same identity; a key the configuration sets explicitly wins and is
//! shown read-only with where it was set.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::{Deserialize, Serialize};
use tidings_accounts::Action;

use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

/// One editable setting: its key, label, help, section, limit and whether it may be empty.
struct Field {
    key: &'static str,
    label: &'static str,
    help: &'static str,
    section: &'static str,
    max: usize,
    required: bool,
    multiline: bool,
    /// The configuration key that overrides it when set explicitly.
    config: Option<&'static str>,
}

const FIELDS: &[Field] = &[
    Field {
        key: "site_title",
        label: "Site name",
        help: "In the masthead, page titles, feeds and the sender of every email.",
        section: "Site",
        max: 120,
        required: true,
        multiline: false,
        config: Some("site.title"),
    },
    Field {
        key: "site_description",
        label: "Tagline",
        help: "Under the masthead and in search results.",
        section: "Site",
        max: 300,
        required: false,
        multiline: false,
        config: None,
    },
    Field {
        key: "organisation_name",
        label: "Legal name",
        help: "In the footer, on receipts and in newsletter footers.",
        section: "Organisation",
        max: 200,
        required: false,
        multiline: false,
        config: None,
    },
    Field {
        key: "organisation_address",
        label: "Postal address",
        help: "Receipts and newsletters must carry it by law in many countries.",
        section: "Organisation",
        max: 500,
        required: false,
        multiline: true,
        config: None,
    },
    Field {
        key: "registration_number",
        label: "Registration or charity number",
        help: "On receipts.",
        section: "Organisation",
        max: 200,
        required: false,
        multiline: false,
        config: None,
    },
    Field {
        key: "receipt_tax_text",
        label: "Tax wording on receipts",
        help: "For example: No goods or services were provided in exchange for this gift.",
        section: "Organisation",
        max: 1000,
        required: false,
        multiline: true,
        config: None,
    },
    Field {
        key: "contact_email",
        label: "Contact email",
        help: "Where readers write to the newsroom; in the footer.",
        section: "Organisation",
        max: 254,
        required: false,
        multiline: false,
        config: None,
    },
    Field {
        key: "social_profiles",
        label: "Profiles elsewhere",
        help: "One address per line (https://…): linked in the footer and named to search engines.",
        section: "Organisation",
        max: 2000,
        required: false,
        multiline: true,
        config: None,
    },
    Field {
        key: "newsletter_name",
        label: "Newsletter name",
        help: "In the signup box, confirmation emails and digest subjects.",
        section: "Newsletter",
        max: 120,
        required: false,
        multiline: false,
        config: None,
    },
    Field {
        key: "donation_cta",
        label: "Call to action on articles",
        help: "Shown at the end of every story, with the donate button.",
        section: "Donations",
        max: 500,
        required: false,
        multiline: true,
        config: None,
    },
];

#[derive(Serialize)]
struct FieldView {
    key: &'static str,
    label: &'static str,
    help: &'static str,
    max: usize,
    required: bool,
    multiline: bool,
    value: String,
    error: Option<String>,
    set_by: Option<String>,
}

#[derive(Serialize)]
struct SectionView {
    name: &'static str,
    fields: Vec<FieldView>,
}

fn sections(
    app: &AppState,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<&'static str, String>,
) -> Vec<SectionView> {
    let mut out: Vec<SectionView> = Vec::new();
    for f in FIELDS {
        let set_by = f
            .config
            .and_then(|k| app.config_set_by(k))
            .map(str::to_string);
        let view = FieldView {
            key: f.key,
            label: f.label,
            help: f.help,
            max: f.max,
            required: f.required,
            multiline: f.multiline,
            value: values.get(f.key).cloned().unwrap_or_default(),
            error: errors.get(f.key).cloned(),
            set_by,
        };
        match out.iter_mut().find(|s| s.name == f.section) {
            Some(s) => s.fields.push(view),
            None => out.push(SectionView {
                name: f.section,
                fields: vec![view],
            }),
        }
    }
    out
}

async fn page(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<&'static str, String>,
    saved: bool,
) -> Result<Response, AppError> {
    let ctx = context! {
        sections => sections(app, values, errors),
        saved => saved,
        failed => !errors.is_empty(),
    };
    Ok(render(app, status, "admin/settings.html", Some(me(signed)), ctx).await)
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /admin/settings`
pub async fn show(
    State(app): State<AppState>,
    signed: Signed,
    Query(q): Query<Shown>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let settings = app.store().settings().await?;
    let mut values: BTreeMap<String, String> = FIELDS
        .iter()
        .map(|f| (f.key.to_string(), settings.get(f.key).to_string()))
        .collect();
    // The name in use, also when it still comes from the configuration's default.
    if values["site_title"].is_empty() {
        values.insert("site_title".into(), app.site_view().await?.title.clone());
    }
    page(
        &app,
        &signed,
        StatusCode::OK,
        &values,
        &BTreeMap::new(),
        q.saved.is_some(),
    )
    .await
}

/// Why a value cannot be saved, if it cannot.
fn check(f: &Field, value: &str) -> Option<String> {
    let trimmed = value.trim();
    if f.key == "contact_email" && !trimmed.is_empty() {
        if let Err(e) = tidings_accounts::normalise_address(trimmed) {
            return Some(format!("`{trimmed}`: {e}."));
        }
    }
    if f.key == "social_profiles" {
        for line in trimmed.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let ok = url::Url::parse(line)
                .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some());
            if !ok {
                return Some(format!("`{line}` is not an https:// address."));
            }
        }
    }
    if f.required && trimmed.is_empty() {
        return Some(format!("{} cannot be empty.", f.label));
    }
    if trimmed.chars().count() > f.max {
        return Some(format!("At most {} characters.", f.max));
    }
    // Names go into email headers: one line, no control characters.
    let bad = |c: char| c.is_control() && !(f.multiline && (c == '\n' || c == '\r' || c == '\t'));
    if trimmed.chars().any(bad) {
        return Some(if f.multiline {
            "Control characters are not allowed.".into()
        } else {
            "One line, please: no line breaks or control characters.".into()
        });
    }
    None
}

/// `POST /admin/settings`
pub async fn save(
    State(app): State<AppState>,
    signed: Signed,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let before = app.store().settings().await?;
    let mut values = BTreeMap::new();
    let mut errors = BTreeMap::new();
    let mut changes: Vec<(&str, String)> = Vec::new();
    for f in FIELDS {
        // A key the configuration sets is shown, not taken from the form.
        if f.config.and_then(|k| app.config_set_by(k)).is_some() {
            values.insert(f.key.to_string(), before.get(f.key).to_string());
            continue;
        }
        let value = form.get(f.key).cloned().unwrap_or_default();
        if let Some(message) = check(f, &value) {
            errors.insert(f.key, message);
        }
        let value = value.trim().replace("\r\n", "\n");
        if value != before.get(f.key) {
            changes.push((f.key, value.clone()));
        }
        values.insert(f.key.to_string(), value);
    }
    if !errors.is_empty() {
        return page(
            &app,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            &values,
            &errors,
            false,
        )
        .await;
    }
    if !changes.is_empty() {
        let pairs: Vec<(&str, &str)> = changes.iter().map(|(k, v)| (*k, v.as_str())).collect();
        app.store().set_settings(&pairs).await?;
        let keys: Vec<&str> = changes.iter().map(|(k, _)| *k).collect();
        signed.audit(&app, "settings.save", &keys.join(", ")).await;
    }
    Ok(see_other("/admin/settings?saved=1"))
}
