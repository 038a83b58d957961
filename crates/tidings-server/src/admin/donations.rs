//! Donations in the admin (owners and administrators): the list with filters and totals per
//! currency, money raised over time (SVG), refunds, CSV for the accountant, forms and campaigns.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{DateTime, NaiveDate, Utc};
use minijinja::{context, Value};
use serde::Deserialize;
use tidings_accounts::Action;
use tidings_donations::{parse_amount, Currency, Refunded};
use tidings_store::DonationStatus;
use tidings_store::{DonationFilter, DonationForm};

use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::admin::subscribers::growth_chart;
use crate::app::AppState;
use crate::error::AppError;
use tidings_theme::views::display_date;

use tidings_donations::format_stored as money;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

fn day(s: &str) -> Option<DateTime<Utc>> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

fn filter(q: &ListQuery) -> DonationFilter {
    DonationFilter {
        status: q.status.parse().ok(),
        currency: Currency::parse(&q.currency).map(|c| c.code().to_string()),
        query: q.q.chars().take(200).collect(),
        since: day(&q.from),
        until: day(&q.to).map(|d| d + chrono::Duration::days(1)),
        limit: Some(1000),
    }
}

async fn list_page(
    app: &AppState,
    signed: &Signed,
    q: &ListQuery,
    status: StatusCode,
    notice: &str,
    error: &str,
) -> Result<Response, AppError> {
    let (rows, totals) = app.store().list_donations(&filter(q)).await?;
    let tz = app.tz();
    let rows: Vec<Value> = rows
        .iter()
        .map(|d| context! {
            id => d.id, date => display_date(d.created_at, tz), name => format!("{} {}", d.first_name, d.last_name),
            email => d.email.clone(), amount => money(&d.currency, d.amount), total => money(&d.currency, d.total),
            fee => money(&d.currency, d.fee), status => d.status.clone(), frequency => d.frequency.clone(),
            disputed => d.disputed, refunded => money(&d.currency, d.refunded_amount),
            refundable => d.status == DonationStatus::Succeeded && d.refunded_amount < d.total,
            // Each rendering of the refund form gets its own key: a second click of the same form
            // finds the first refund; a new refund needs the page shown again.
            refund_key => tidings_accounts::new_token(), refunded_minor => d.refunded_amount,
            mismatch => d.mismatch.clone(),
            source => d.source.clone(), failure => d.failure.clone(), gateway => d.gateway.clone(),
            anonymous => d.anonymous, dedication => d.dedication.clone(),
        })
        .collect();
    let totals: Vec<Value> = totals
        .iter()
        .map(|(c, total, fees, refunded, count)| {
            context! {
                currency => c.clone(), gross => money(c, *total), fees => money(c, *fees),
                refunded => money(c, *refunded), net => money(c, total - refunded), count => count,
            }
        })
        .collect();
    let currency = app.payments().currency.code();
    let raised = app.store().raised_by_day(currency, 90).await?;
    let mut running = 0;
    let cumulative: Vec<(i64, i64)> = raised
        .iter()
        .map(|(d, v)| {
            running += v;
            (*d, running)
        })
        .collect();
    let chart = growth_chart(&cumulative);
    let ctx = context! {
        donations => rows, totals => totals, q => q.q.clone(), status => q.status.clone(),
        currency_filter => q.currency.clone(), from => q.from.clone(), to => q.to.clone(),
        chart => Value::from_serialize(&chart),
        chart_currency => currency, chart_total => money(currency, running),
        test_mode => app.payments().gateway.test_mode(),
        notice => notice, error => error,
    };
    Ok(render(app, status, "admin/donations.html", Some(me(signed)), ctx).await)
}

/// `GET /admin/donations`
pub async fn list(
    State(app): State<AppState>,
    signed: Signed,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    signed.require(Action::ViewPersonalData)?;
    list_page(&app, &signed, &q, StatusCode::OK, "", "").await
}

/// `GET /admin/donations/export`: CSV for the accountant, with the list's filters.
pub async fn export(
    State(app): State<AppState>,
    signed: Signed,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    signed.require(Action::ViewPersonalData)?;
    let mut f = filter(&q);
    // The download holds every gift the filter finds, not just the page's thousand.
    f.limit = None;
    let (rows, _) = app.store().list_donations(&f).await?;
    let body =
        tidings_donations::donations_csv(&rows).map_err(|e| AppError::Internal(e.to_string()))?;
    signed
        .audit(&app, "donations.export", &format!("{} rows", rows.len()))
        .await;
    let name = format!("donations-{}.csv", Utc::now().format("%Y-%m-%d"));
    Ok(crate::admin::page::csv_download(&name, body))
}

#[derive(Deserialize, Default)]
pub struct RefundForm {
    #[serde(default)]
    amount: String,
    /// The form's idempotency key.
    #[serde(default)]
    key: String,
    /// What had been refunded when the form was shown.
    #[serde(default)]
    seen: i64,
}

/// `POST /admin/donations/{id}/refund`: through the gateway's API, then recorded.
pub async fn refund(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(f): Form<RefundForm>,
) -> Result<Response, AppError> {
    signed.require(Action::ViewPersonalData)?;
    let q = ListQuery::default();
    let (status, notice, error) = match app
        .donations()
        .refund(id, &f.amount, &f.key, f.seen)
        .await?
    {
        Refunded::Made {
            amount,
            currency,
            email,
        } => {
            let amount = money(&currency, amount);
            signed
                .audit(&app, "donation.refund", &format!("{id}: {amount}"))
                .await;
            let notice = format!("Refunded {amount} to {email}.");
            (StatusCode::OK, notice, String::new())
        }
        Refunded::AlreadyMade => (
            StatusCode::OK,
            "That refund was already made; nothing more was refunded.".into(),
            String::new(),
        ),
        Refunded::Incomplete => (
            StatusCode::UNPROCESSABLE_ENTITY,
            String::new(),
            "The refund form was incomplete. Reload the page and try again.".into(),
        ),
        Refunded::BadAmount(why) => (StatusCode::UNPROCESSABLE_ENTITY, String::new(), why),
        Refunded::Changed => (
            StatusCode::CONFLICT,
            String::new(),
            "This gift changed since the page was shown (another refund was made). Check it and try again.".into(),
        ),
        Refunded::Refused => (
            StatusCode::BAD_GATEWAY,
            String::new(),
            "The payment provider refused the refund; nothing changed.".into(),
        ),
    };
    list_page(&app, &signed, &q, status, &notice, &error).await
}

/// `GET /admin/donations/forms`: the forms and campaigns editor.
pub async fn forms(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    forms_page(&app, &signed, StatusCode::OK, "", "").await
}

async fn forms_page(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    notice: &str,
    error: &str,
) -> Result<Response, AppError> {
    let forms = app.store().donation_forms().await?;
    let campaigns = app.store().campaigns().await?;
    let major = |currency: &str, minor: i64| {
        let c = Currency::parse(currency);
        match c {
            Some(c) if c.exponent() > 0 && minor % c.scale() != 0 => format!(
                "{}.{:0w$}",
                minor / c.scale(),
                minor % c.scale(),
                w = c.exponent() as usize
            ),
            Some(c) => (minor / c.scale()).to_string(),
            None => minor.to_string(),
        }
    };
    let forms: Vec<Value> = forms
        .iter()
        .map(|f| context! {
            slug => f.slug.clone(), title => f.title.clone(), body => f.body.clone(), currency => f.currency.clone(),
            presets => f.presets.iter().map(|p| major(&f.currency, *p)).collect::<Vec<_>>().join(", "),
            default_amount => major(&f.currency, f.default_amount), minimum => major(&f.currency, f.minimum),
            maximum => major(&f.currency, f.maximum), allow_monthly => f.allow_monthly,
            offer_fee_cover => f.offer_fee_cover, campaign_id => f.campaign_id,
            url => if f.slug == "default" { "/donate/".to_string() } else { format!("/donate/{}/", f.slug) },
        })
        .collect();
    let campaigns: Vec<Value> = campaigns
        .iter()
        .map(|c| context! { id => c.id, slug => c.slug.clone(), title => c.title.clone(), goal => major(&c.currency, c.goal), currency => c.currency.clone() })
        .collect();
    let ctx = context! { forms => forms, campaigns => campaigns, notice => notice, error => error, currency => app.payments().currency.code() };
    Ok(render(
        app,
        status,
        "admin/donation_forms.html",
        Some(me(signed)),
        ctx,
    )
    .await)
}

#[derive(Deserialize, Default)]
pub struct FormFields {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    presets: String,
    #[serde(default)]
    default_amount: String,
    #[serde(default)]
    minimum: String,
    #[serde(default)]
    maximum: String,
    #[serde(default)]
    allow_monthly: Option<String>,
    #[serde(default)]
    offer_fee_cover: Option<String>,
    #[serde(default)]
    campaign_id: String,
}

fn form_from_fields(f: &FormFields) -> Result<DonationForm, String> {
    let slug = f.slug.trim().to_lowercase();
    if slug.is_empty()
        || slug.len() > 60
        || !slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("The form's address must be lowercase letters, digits and hyphens.".into());
    }
    if matches!(
        slug.as_str(),
        "portal" | "thanks" | "test-checkout" | "challenge"
    ) {
        return Err(format!(
            "`{slug}` is used by the site; choose another address."
        ));
    }
    let title = f.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err("The title is required (200 characters at most).".into());
    }
    let currency = Currency::parse(&f.currency)
        .ok_or_else(|| format!("`{}` is not a supported currency.", f.currency))?;
    let amount =
        |label: &str, v: &str| parse_amount(currency, v).map_err(|e| format!("{label}: {e}."));
    let presets = f
        .presets
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| amount("Preset amounts", p))
        .collect::<Result<Vec<_>, _>>()?;
    if presets.is_empty() || presets.len() > 8 {
        return Err("Give between one and eight preset amounts, separated by commas.".into());
    }
    let default_amount = amount("Default amount", &f.default_amount)?;
    let minimum = amount("Minimum", &f.minimum)?;
    let maximum = amount("Maximum", &f.maximum)?;
    if minimum < 1 || minimum > maximum {
        return Err("The minimum must be above zero and below the maximum.".into());
    }
    if presets.iter().any(|p| *p < minimum || *p > maximum) || !presets.contains(&default_amount) {
        return Err("Presets must lie between the minimum and maximum, and the default must be one of them.".into());
    }
    Ok(DonationForm {
        id: 0,
        slug,
        title: title.to_string(),
        body: f.body.trim().to_string(),
        currency: currency.code().to_string(),
        presets,
        default_amount,
        minimum,
        maximum,
        allow_monthly: f.allow_monthly.is_some(),
        offer_fee_cover: f.offer_fee_cover.is_some(),
        campaign_id: f.campaign_id.trim().parse().ok(),
    })
}

/// `POST /admin/donations/forms`: create or update a form.
pub async fn save_form(
    State(app): State<AppState>,
    signed: Signed,
    Form(f): Form<FormFields>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    match form_from_fields(&f) {
        Ok(form) => {
            app.store().save_donation_form(&form).await?;
            signed.audit(&app, "donation_form.save", &form.slug).await;
            forms_page(
                &app,
                &signed,
                StatusCode::OK,
                &format!(
                    "Saved the form at /donate/{}",
                    if form.slug == "default" {
                        String::new()
                    } else {
                        format!("{}/", form.slug)
                    }
                ),
                "",
            )
            .await
        }
        Err(e) => forms_page(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, "", &e).await,
    }
}

#[derive(Deserialize, Default)]
pub struct CampaignFields {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    goal: String,
    #[serde(default)]
    currency: String,
}

/// `POST /admin/donations/campaigns`: create or update a campaign with a goal.
pub async fn save_campaign(
    State(app): State<AppState>,
    signed: Signed,
    Form(f): Form<CampaignFields>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let slug = f.slug.trim().to_lowercase();
    let currency = Currency::parse(&f.currency);
    let goal = currency.map(|c| parse_amount(c, &f.goal));
    match (slug.is_empty() || !slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), f.title.trim().is_empty(), goal) {
        (false, false, Some(Ok(goal))) if goal > 0 => {
            app.store().save_campaign(&slug, f.title.trim(), goal, currency.map(|c| c.code()).unwrap_or("USD")).await?;
            signed.audit(&app, "campaign.save", &slug).await;
            Ok(see_other("/admin/donations/forms"))
        }
        _ => forms_page(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, "", "A campaign needs an address (lowercase letters, digits, hyphens), a title, a supported currency and a goal above zero.").await,
    }
}
