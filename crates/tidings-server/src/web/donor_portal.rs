//! The donor portal: a magic link by email leads to the donor's history and receipts, where a
//! monthly gift can be changed or stopped and a yearly summary requested.

use axum::extract::{Path, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use chrono::Datelike;
use minijinja::{context, Value};
use serde::Deserialize;
use tidings_accounts::{hash_token, new_token};
use tidings_donations::{format_amount, parse_amount, Currency};
use tidings_newsletter::normalise_address;

use crate::admin::Peer;
use tidings_store::{DonationStatus, Frequency, PlanStatus};

use crate::app::AppState;
use crate::error::AppError;
use crate::throttle;
use crate::web::problems::Problems;
use tidings_theme::views::display_date;

/// Portal links work for an hour.
const LINK_TTL: i64 = 3600;

async fn page(app: &AppState, status: StatusCode, ctx: Value) -> Result<Response, AppError> {
    let html = app.render_page("donate_portal.html", ctx).await?;
    let mut r = (status, axum::response::Html(html)).into_response();
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// `GET /donate/portal`: ask for a link.
pub async fn show_request(State(app): State<AppState>) -> Result<Response, AppError> {
    page(&app, StatusCode::OK, context! {}).await
}

#[derive(Deserialize, Default)]
pub struct RequestForm {
    #[serde(default)]
    email: String,
}

/// `POST /donate/portal`: emails a link to a known donor; the answer never says whether one exists.
pub async fn request(
    State(app): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    Form(f): Form<RequestForm>,
) -> Result<Response, AppError> {
    if !crate::web::subscribe::same_site(&app, &headers) {
        return Err(AppError::Forbidden);
    }
    let key = format!("portal:{}", peer.ip());
    if let Some(wait) = throttle::hit(&app, &key, &throttle::PORTAL_PER_IP).await? {
        let r = page(
            &app,
            StatusCode::TOO_MANY_REQUESTS,
            context! { problems => Problems::general("Too many requests just now. Please try again later.").view() },
        )
        .await?;
        return Ok(throttle::too_many(r, wait));
    }
    let Ok(email) = normalise_address(&f.email) else {
        return page(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            context! { problems => Problems::at("email", "Enter the email address you gave with your donation.").view(), email => f.email },
        )
        .await;
    };
    // One link per address per 10 minutes (five a day); the answer is the same either way.
    let known = app.store().donor_by_email(&email).await?;
    if let Some((donor, _)) = known {
        if !throttle::may_mail(&app, "portal", &email).await? {
            return sent(&app).await;
        }
        let token = new_token();
        let mail = app.donations().portal_link(&email, &token).await?;
        app.store()
            .create_donor_token(
                donor,
                &hash_token(&token),
                LINK_TTL,
                &[app.outbox_job(mail)],
            )
            .await?;
    }
    sent(&app).await
}

async fn sent(app: &AppState) -> Result<Response, AppError> {
    page(app, StatusCode::OK, context! { notice => "If that address has given before, a link is on its way. It works for one hour." }).await
}

async fn donor(app: &AppState, token: &str) -> Result<i64, AppError> {
    if token.len() > 100 {
        return Err(AppError::NotFound);
    }
    app.store()
        .donor_for_token(&hash_token(token))
        .await?
        .ok_or(AppError::NotFound)
}

use tidings_donations::format_stored as money;

async fn history(
    app: &AppState,
    token: &str,
    status: StatusCode,
    notice: &str,
    problems: impl Into<Problems>,
) -> Result<Response, AppError> {
    let problems: Problems = problems.into();
    let id = donor(app, token).await?;
    let (donations, plans) = app.store().donor_history(id).await?;
    let tz = app.tz();
    let years: std::collections::BTreeSet<i32> = donations
        .iter()
        .filter(|d| {
            matches!(
                d.status,
                DonationStatus::Succeeded | DonationStatus::Refunded
            )
        })
        .map(|d| d.completed_at.unwrap_or(d.created_at).year())
        .collect();
    let donations: Vec<Value> = donations
        .iter()
        .map(|d| {
            context! {
                id => d.id, date => display_date(d.created_at, tz), total => money(&d.currency, d.total),
                monthly => d.frequency == Frequency::Monthly, status => d.status.as_str(),
                receipt => format!("{}-{}", d.created_at.year(), d.id),
            }
        })
        .collect();
    let plans: Vec<Value> = plans
        .iter()
        .map(|p| context! {
            id => p.id, amount => money(&p.currency, p.amount + p.fee), status => p.status.clone(),
            next => p.next_charge_at.map(|t| display_date(t, tz)),
        })
        .collect();
    let years: Vec<i32> = years.into_iter().rev().collect();
    page(
        app,
        status,
        context! {
            token => token, donations => donations, plans => plans, years => years,
            notice => notice, problems => problems.view(),
        },
    )
    .await
}

/// `GET /donate/portal/{token}`
pub async fn show(
    State(app): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    history(&app, &token, StatusCode::OK, "", "").await
}

/// What a donor is told about a monthly gift another platform still charges.
const MOVED_IN: &str = "This monthly gift was moved in from the newsroom's previous donation \
    platform, which still charges it: to change or stop it, write to the newsroom.";

async fn own_plan(
    app: &AppState,
    token: &str,
    plan: i64,
) -> Result<tidings_store::RecurringPlan, AppError> {
    let id = donor(app, token).await?;
    app.store()
        .plan(plan)
        .await?
        .filter(|p| p.donor_id == id)
        .ok_or(AppError::NotFound)
}

/// `POST /donate/portal/{token}/plans/{id}/cancel`
pub async fn cancel(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path((token, plan)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    if !crate::web::subscribe::same_site(&app, &headers) {
        return Err(AppError::Forbidden);
    }
    let p = own_plan(&app, &token, plan).await?;
    if p.gateway == tidings_store::GatewayKind::Imported {
        return history(&app, &token, StatusCode::UNPROCESSABLE_ENTITY, "", MOVED_IN).await;
    }
    app.payments()
        .gateway
        .cancel(&p.gateway_subscription)
        .await?;
    app.store()
        .update_plan(p.id, PlanStatus::Cancelled, None, None)
        .await?;
    history(
        &app,
        &token,
        StatusCode::OK,
        "Your monthly gift is stopped. Thank you for your support.",
        "",
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct AmountForm {
    #[serde(default)]
    amount: String,
}

/// `POST /donate/portal/{token}/plans/{id}/amount`
pub async fn change_amount(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path((token, plan)): Path<(String, i64)>,
    Form(f): Form<AmountForm>,
) -> Result<Response, AppError> {
    if !crate::web::subscribe::same_site(&app, &headers) {
        return Err(AppError::Forbidden);
    }
    let p = own_plan(&app, &token, plan).await?;
    if p.gateway == tidings_store::GatewayKind::Imported {
        return history(&app, &token, StatusCode::UNPROCESSABLE_ENTITY, "", MOVED_IN).await;
    }
    if p.status == PlanStatus::Cancelled {
        return history(
            &app,
            &token,
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
            "This monthly gift has ended; start a new one from the donation page.",
        )
        .await;
    }
    let currency = Currency::parse(&p.currency).ok_or(AppError::NotFound)?;
    // The limits of the form the plan came from, when it is in the plan's own currency.
    let form = match p.form_id {
        Some(id) => app.store().donation_form_by_id(id).await?,
        None => None,
    }
    .filter(|f| f.currency.eq_ignore_ascii_case(&p.currency));
    let minimum = form.as_ref().map_or(currency.scale(), |f| f.minimum);
    let maximum = form.as_ref().map_or(i64::MAX, |f| f.maximum);
    match parse_amount(currency, &f.amount) {
        Ok(a) if a > maximum => {
            history(
                &app,
                &token,
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
                Problems::at(
                    &format!("amount-{}", p.id),
                    format!(
                        "The largest monthly gift here is {}.",
                        format_amount(currency, maximum)
                    ),
                ),
            )
            .await
        }
        Ok(a) if a >= minimum => {
            // A donor who chose to cover the fee keeps covering it at the new amount.
            let (total, fee) = if p.fee > 0 {
                tidings_donations::cover_fee(a, app.payments().fee)
            } else {
                (a, 0)
            };
            if let Err(e) = app
                .payments()
                .gateway
                .change_amount(&p.gateway_subscription, p.id, total)
                .await
            {
                tracing::warn!(error = %e, plan = p.id, "cannot change the monthly amount");
                return history(
                    &app,
                    &token,
                    StatusCode::BAD_GATEWAY,
                    "",
                    "The payment provider did not accept the change; your gift is unchanged.",
                )
                .await;
            }
            app.store().set_plan_amount(p.id, a, fee).await?;
            history(
                &app,
                &token,
                StatusCode::OK,
                "Your monthly gift is updated.",
                "",
            )
            .await
        }
        Ok(_) => {
            history(
                &app,
                &token,
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
                Problems::at(
                    &format!("amount-{}", p.id),
                    format!(
                        "The smallest monthly gift is {}.",
                        format_amount(currency, minimum)
                    ),
                ),
            )
            .await
        }
        Err(e) => {
            history(
                &app,
                &token,
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
                Problems::at(&format!("amount-{}", p.id), format!("Amount: {e}.")),
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SummaryForm {
    #[serde(default)]
    year: i32,
}

/// `POST /donate/portal/{token}/summary`: the year's gifts by email.
pub async fn summary(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<SummaryForm>,
) -> Result<Response, AppError> {
    if !crate::web::subscribe::same_site(&app, &headers) {
        return Err(AppError::Forbidden);
    }
    let id = donor(&app, &token).await?;
    let (donations, _) = app.store().donor_history(id).await?;
    let gifts: Vec<tidings_store::Donation> = donations
        .into_iter()
        .filter(|d| {
            (matches!(
                d.status,
                DonationStatus::Succeeded | DonationStatus::Refunded
            )) && d.completed_at.unwrap_or(d.created_at).year() == f.year
        })
        .collect();
    let Some(first) = gifts.first() else {
        return history(
            &app,
            &token,
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
            "No gifts that year.",
        )
        .await;
    };
    let mail = app
        .donations()
        .yearly_summary(&first.email.clone(), f.year, &gifts)
        .await?;
    app.send_later(mail).await?;
    history(
        &app,
        &token,
        StatusCode::OK,
        &format!("Your {} summary is on its way.", f.year),
        "",
    )
    .await
}

/// `POST /donate/portal/{token}/receipts/{id}`: the receipt for one gift, emailed again.
pub async fn resend_receipt(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path((token, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    if !crate::web::subscribe::same_site(&app, &headers) {
        return Err(AppError::Forbidden);
    }
    let donor_id = donor(&app, &token).await?;
    let d = app
        .store()
        .donation(id)
        .await?
        .filter(|d| {
            d.donor_id == donor_id
                && (matches!(
                    d.status,
                    DonationStatus::Succeeded | DonationStatus::Refunded
                ))
        })
        .ok_or(AppError::NotFound)?;
    let mail = app.donations().receipt(&d).await?;
    app.send_later(mail).await?;
    history(
        &app,
        &token,
        StatusCode::OK,
        "The receipt is on its way.",
        "",
    )
    .await
}
