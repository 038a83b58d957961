//! Subscribers in the admin: personal data, so owners and administrators only.

use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use serde::Deserialize;
use tidings_accounts::Action;

use crate::admin::page::{me, render};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
}

/// What an import did (or, in a dry run, would do), shown above the list.
#[derive(Default)]
struct ImportReport {
    summary: String,
    errors: Vec<String>,
    ok: bool,
}

/// `GET /admin/subscribers`: search, filter by status, counts by status, growth.
pub async fn list(
    State(app): State<AppState>,
    signed: Signed,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    signed.require(Action::ViewPersonalData)?;
    page(&app, &signed, &q, StatusCode::OK, ImportReport::default()).await
}

async fn page(
    app: &AppState,
    signed: &Signed,
    q: &ListQuery,
    status_code: StatusCode,
    report: ImportReport,
) -> Result<Response, AppError> {
    let status = q.status.parse().ok();
    let query: String = q.q.chars().take(200).collect();
    let (rows, counts) = app.store().list_subscribers(&query, status).await?;
    let tz = app.tz();
    let rows: Vec<Value> = rows
        .iter()
        .map(|s| {
            context! {
                id => s.id, email => s.email.clone(), name => s.name.clone(), status => s.status.clone(),
                digest => s.digest, breaking => s.breaking,
                since => tidings_theme::views::display_date(s.consent_at, tz), source => s.consent_source.clone(),
            }
        })
        .collect();
    let counts: Vec<Value> = counts
        .iter()
        .map(|(s, n)| context! { status => s.clone(), count => *n })
        .collect();
    let growth = app.store().subscriber_growth(90).await?;
    let ctx = context! {
        subscribers => rows, counts => counts, q => q.q.clone(), status => q.status.clone(),
        chart => Value::from_serialize(growth_chart(&growth)),
        report => context! { summary => report.summary, errors => report.errors, ok => report.ok },
    };
    Ok(render(
        app,
        status_code,
        "admin/subscribers.html",
        Some(me(signed)),
        ctx,
    )
    .await)
}

/// A line chart drawn on the server: SVG coordinates for the template, no script.
#[derive(serde::Serialize)]
pub struct GrowthChart {
    /// `x,y x,y ...` for a polyline in a 600 x 160 box.
    pub points: String,
    /// The same line closed along the bottom, for the shaded area.
    pub area: String,
    /// Highest count shown.
    pub max: i64,
    /// Count at the end of the last day.
    pub last: i64,
    /// Count at the end of the first day.
    pub first: i64,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day.
    pub to: String,
}

/// Scales daily counts into the chart's box.
pub fn growth_chart(days: &[(i64, i64)]) -> GrowthChart {
    let (w, h, pad) = (600.0, 160.0, 4.0);
    let max = days.iter().map(|d| d.1).max().unwrap_or(0).max(1);
    let n = days.len().max(2) - 1;
    let xy: Vec<(f64, f64)> = days
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            let x = pad + (w - 2.0 * pad) * i as f64 / n as f64;
            let y = h - pad - (h - 2.0 * pad) * (*v as f64) / (max as f64);
            (x, y)
        })
        .collect();
    let points = xy
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    let area = match (xy.first(), xy.last()) {
        (Some(a), Some(b)) => format!(
            "{:.1},{:.1} {points} {:.1},{:.1}",
            a.0,
            h - pad,
            b.0,
            h - pad
        ),
        _ => String::new(),
    };
    let day = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    GrowthChart {
        points,
        area,
        max,
        first: days.first().map(|d| d.1).unwrap_or(0),
        last: days.last().map(|d| d.1).unwrap_or(0),
        from: days.first().map(|d| day(d.0)).unwrap_or_default(),
        to: days.last().map(|d| day(d.0)).unwrap_or_default(),
    }
}

/// `GET /admin/subscribers/export`: every subscriber with status and consent, as CSV.
pub async fn export(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ViewPersonalData)?;
    let all = app.store().all_subscribers().await?;
    let body = tidings_newsletter::subscriber_csv::export(&all)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    signed
        .audit(&app, "subscribers.export", &format!("{} rows", all.len()))
        .await;
    let name = format!("subscribers-{}.csv", chrono::Utc::now().format("%Y-%m-%d"));
    Ok(crate::admin::page::csv_download(&name, body))
}

/// `POST /admin/subscribers/import`: a Mailchimp, Substack or plain CSV; all or nothing, with a
/// dry run that reports every line at fault.
pub async fn import(
    State(app): State<AppState>,
    signed: Signed,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    signed.require(Action::ViewPersonalData)?;
    let q = ListQuery::default();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut dry_run = false;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("file") => {
                    let name = field.file_name().unwrap_or("subscribers.csv").to_string();
                    match field.bytes().await {
                        Ok(b) => file = Some((name, b.to_vec())),
                        Err(_) => break,
                    }
                }
                Some("dry_run") => dry_run = true,
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                file = None;
                break;
            }
        }
    }
    let fail = |message: String, errors: Vec<String>| ImportReport {
        summary: message,
        errors,
        ok: false,
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let report = fail("Choose a CSV file to import.".into(), Vec::new());
        return page(&app, &signed, &q, StatusCode::UNPROCESSABLE_ENTITY, report).await;
    };
    let (format, rows) = match tidings_newsletter::parse_subscribers(&bytes) {
        Ok(parsed) => parsed,
        Err(errors) => {
            let lines = errors
                .iter()
                .take(200)
                .map(|e| format!("line {}: {}", e.line, e.message))
                .collect();
            let report = fail(
                format!(
                    "{} line(s) of {name} cannot be imported; nothing was imported.",
                    errors.len()
                ),
                lines,
            );
            return page(&app, &signed, &q, StatusCode::UNPROCESSABLE_ENTITY, report).await;
        }
    };
    let people = tidings_newsletter::subscriber_csv::to_import(format, &rows, &name);
    let mut summary = tidings_newsletter::subscriber_csv::summary(format, &people);
    if dry_run {
        summary.push_str(" Dry run: nothing was imported.");
    } else {
        let (added, present) = app.store().import_subscribers(&people).await?;
        signed
            .audit(
                &app,
                "subscribers.import",
                &format!("{name}: {added} added"),
            )
            .await;
        summary.push_str(&format!(
            " Imported {added}; {present} were already on the list and were left as they are."
        ));
    }
    page(
        &app,
        &signed,
        &q,
        StatusCode::OK,
        ImportReport {
            summary,
            errors: Vec::new(),
            ok: true,
        },
    )
    .await
}

/// `POST /admin/subscribers/{id}/suppress`: never mail this address again.
pub async fn suppress(
    State(app): State<AppState>,
    signed: Signed,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, AppError> {
    signed.require(Action::ViewPersonalData)?;
    let s = app
        .store()
        .suppress_subscriber(id)
        .await?
        .ok_or(AppError::NotFound)?;
    signed.audit(&app, "subscriber.suppress", &s.email).await;
    Ok(crate::admin::page::see_other("/admin/subscribers"))
}
