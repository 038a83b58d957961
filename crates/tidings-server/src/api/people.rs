//! The admin API's people: subscribers (list, add with consent source `api`, suppress) and
//! donations (list). Personal data: every scope here needs a role that may see it.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tidings_accounts::{normalise_address, Scope};
use tidings_store::{Donation, ImportedSubscriber, Subscriber, SubscriberStatus};
use utoipa::{IntoParams, ToSchema};

use crate::api::auth::{Caller, TokenProblems};
use crate::api::params::{cursor, read_cursor, rfc3339, Params};
use crate::api::problem::{ApiError, Problem};
use crate::app::AppState;

/// Most rows on a page.
const MAX_LIMIT: i64 = 500;

/// A newsletter subscriber.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriberItem {
    /// Row id.
    pub id: i64,
    /// Address.
    pub email: String,
    /// Name, if given.
    pub name: String,
    /// `pending`, `confirmed`, `unsubscribed` or `suppressed`.
    pub status: String,
    /// Receives the daily digest.
    pub digest: bool,
    /// Receives breaking-news alerts.
    pub breaking: bool,
    /// Where consent was given (`signup: /subscribe/`, `import: ...`, `api: <token name>`).
    pub consent_source: String,
    /// When consent was given (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub consent_at: String,
}

/// A page of subscribers, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriberList {
    /// This page.
    pub items: Vec<SubscriberItem>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Someone who agreed, elsewhere, to receive the newsletter.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "reader@example.org", "name": "Ana"}))]
pub struct NewSubscriber {
    /// Address.
    #[schema(format = Email)]
    pub email: String,
    /// Name.
    #[serde(default)]
    pub name: String,
}

/// A gift.
#[derive(Debug, Serialize, ToSchema)]
pub struct DonationItem {
    /// Row id.
    pub id: i64,
    /// The donor's address.
    pub email: String,
    /// The donor's name as given.
    pub name: String,
    /// Amount in the currency's smallest unit (cents).
    pub amount: i64,
    /// Fees the donor chose to cover, same unit.
    pub fee: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// `once` or `monthly`.
    pub frequency: String,
    /// `pending`, `succeeded`, `failed`, `refunded` or `expired`.
    pub status: String,
    /// Amount refunded so far, same unit.
    pub refunded_amount: i64,
    /// Given anonymously (never shown in public lists).
    pub anonymous: bool,
    /// When it was made (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A page of gifts, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DonationList {
    /// This page.
    pub items: Vec<DonationItem>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Subscriber list filters (documentation of what [`Params`] reads).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SubscriberParams {
    /// Only subscribers in this state.
    #[param(inline)]
    status: Option<SubscriberState>,
    /// Rows on the page.
    #[param(minimum = 1, maximum = 500, default = 100)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]{1,64}$")]
    cursor: Option<String>,
}

/// Donation list paging (documentation of what [`Params`] reads).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageParams {
    /// Rows on the page.
    #[param(minimum = 1, maximum = 500, default = 100)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]{1,64}$")]
    cursor: Option<String>,
}

/// A subscriber's state.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "snake_case")]
pub enum SubscriberState {
    Pending,
    Confirmed,
    Unsubscribed,
    Suppressed,
}

fn subscriber(s: &Subscriber) -> SubscriberItem {
    SubscriberItem {
        id: s.id,
        email: s.email.clone(),
        name: s.name.clone(),
        status: s.status.as_str().to_string(),
        digest: s.digest,
        breaking: s.breaking,
        consent_source: s.consent_source.clone(),
        consent_at: rfc3339(s.consent_at),
    }
}

fn donation(d: &Donation) -> DonationItem {
    DonationItem {
        id: d.id,
        email: d.email.clone(),
        name: format!("{} {}", d.first_name, d.last_name)
            .trim()
            .to_string(),
        amount: d.amount,
        fee: d.fee,
        currency: d.currency.clone(),
        frequency: d.frequency.as_str().to_string(),
        status: d.status.as_str().to_string(),
        refunded_amount: d.refunded_amount,
        anonymous: d.anonymous,
        created_at: rfc3339(d.created_at),
    }
}

/// `limit` and the position after `cursor`.
fn paging(p: &Params) -> Result<(i64, Option<i64>), ApiError> {
    let limit = p.int("limit", 1, MAX_LIMIT, 100)?;
    let before = match p.get("cursor") {
        Some(c) => Some(read_cursor(c, 1)?[0]),
        None => None,
    };
    Ok((limit, before))
}

/// `GET /api/v1/admin/subscribers`
#[utoipa::path(
    get,
    path = "/api/v1/admin/subscribers",
    tag = "people",
    operation_id = "listSubscribers",
    summary = "Newsletter subscribers, newest first",
    security(("bearer" = ["subscribers:read"])),
    params(SubscriberParams),
    responses(
        (status = 200, description = "A page of subscribers", body = SubscriberList),
        (status = 400, description = "A parameter is not valid", body = Problem, content_type = "application/problem+json"),
        TokenProblems,
    )
)]
pub async fn list_subscribers(
    State(app): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    caller.require(Scope::SubscribersRead)?;
    let p = Params::new(raw.as_deref());
    let (limit, before) = paging(&p)?;
    let status = match p.get("status") {
        None => None,
        Some(s) => Some(s.parse::<SubscriberStatus>().map_err(|_| {
            ApiError::invalid(
                "status",
                "must be pending, confirmed, unsubscribed or suppressed.",
            )
        })?),
    };
    let mut rows = app
        .store()
        .subscribers_page(status, before, limit + 1)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = rows.last().filter(|_| more).map(|s| cursor(&[s.id]));
    let items = rows.iter().map(subscriber).collect();
    Ok(Json(SubscriberList { items, next_cursor }).into_response())
}

/// `POST /api/v1/admin/subscribers`
#[utoipa::path(
    post,
    path = "/api/v1/admin/subscribers",
    tag = "people",
    operation_id = "addSubscriber",
    summary = "Add someone who agreed elsewhere",
    description = "The caller vouches for the consent: the subscriber is confirmed at once, with \
        consent source `api: <token name>`. An address already on the list is left as it is \
        (200, unchanged), so an unsubscribed or suppressed reader is never signed up again.",
    security(("bearer" = ["subscribers:write"])),
    request_body = NewSubscriber,
    responses(
        (status = 201, description = "Added", body = SubscriberItem),
        (status = 200, description = "Already on the list, left as it is", body = SubscriberItem),
        (status = 400, description = "The body is not JSON of this shape", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The address cannot be used", body = Problem, content_type = "application/problem+json"),
        TokenProblems,
    )
)]
pub async fn add_subscriber(
    State(app): State<AppState>,
    caller: Caller,
    payload: Result<Json<NewSubscriber>, JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::SubscribersWrite)?;
    let Json(n) = payload.map_err(|e| ApiError::invalid("body", e.body_text()))?;
    let email =
        normalise_address(&n.email).map_err(|e| ApiError::unprocessable(format!("email: {e}.")))?;
    if let Some(s) = app.store().subscriber_by_email(&email).await? {
        return Ok((StatusCode::OK, Json(subscriber(&s))).into_response());
    }
    let (added, _) = app
        .store()
        .import_subscribers(&[ImportedSubscriber {
            email: email.clone(),
            name: n.name.trim().chars().take(200).collect(),
            status: SubscriberStatus::Confirmed,
            consent_at: None,
            consent_ip: caller.ip.clone(),
            source: format!("api: {}", caller.token.name),
        }])
        .await?;
    let s = app
        .store()
        .subscriber_by_email(&email)
        .await?
        .ok_or_else(|| ApiError::not_found("The subscriber could not be read back."))?;
    caller.audit(&app, "subscriber.add", &email).await;
    let status = if added == 1 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(subscriber(&s))).into_response())
}

/// `POST /api/v1/admin/subscribers/{id}/suppress`
#[utoipa::path(
    post,
    path = "/api/v1/admin/subscribers/{id}/suppress",
    tag = "people",
    operation_id = "suppressSubscriber",
    summary = "Never mail this address again",
    security(("bearer" = ["subscribers:write"])),
    params(("id" = i64, Path, description = "The subscriber's id", minimum = 1)),
    responses(
        (status = 200, description = "The subscriber, suppressed", body = SubscriberItem),
        (status = 400, description = "The id cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscriber", body = Problem, content_type = "application/problem+json"),
        TokenProblems,
    )
)]
pub async fn suppress_subscriber(
    State(app): State<AppState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::SubscribersWrite)?;
    let id = match id.ok().and_then(|Path(p)| p.parse::<i64>().ok()) {
        Some(n) if n >= 1 => n,
        _ => return Err(ApiError::invalid("id", "must be a whole number from 1.")),
    };
    if app.store().subscriber(id).await?.is_none() {
        return Err(ApiError::not_found(format!("No subscriber {id}.")));
    }
    let s = app
        .store()
        .suppress_subscriber(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No subscriber {id}.")))?;
    caller.audit(&app, "subscriber.suppress", &s.email).await;
    Ok(Json(subscriber(&s)).into_response())
}

/// `GET /api/v1/admin/donations`
#[utoipa::path(
    get,
    path = "/api/v1/admin/donations",
    tag = "people",
    operation_id = "listDonations",
    summary = "Gifts, newest first",
    security(("bearer" = ["donations:read"])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of gifts", body = DonationList),
        (status = 400, description = "A parameter is not valid", body = Problem, content_type = "application/problem+json"),
        TokenProblems,
    )
)]
pub async fn list_donations(
    State(app): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    caller.require(Scope::DonationsRead)?;
    let p = Params::new(raw.as_deref());
    let (limit, before) = paging(&p)?;
    let mut rows = app.store().donations_page(before, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = rows.last().filter(|_| more).map(|d| cursor(&[d.id]));
    let items = rows.iter().map(donation).collect();
    Ok(Json(DonationList { items, next_cursor }).into_response())
}
