//! `/admin/`: what needs attention (drafts, reviews, the onboarding checklist) and the week at a
//! glance: reads, new subscribers and gifts, today and over seven days, with small bar charts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use serde::Serialize;
use tidings_accounts::Action;
use tidings_content::Status;
use tidings_store::{AdminFilter, DayActivity};

use crate::admin::page::{me, render};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

/// Days the dashboard looks back over.
const WEEK: i64 = 7;

/// One measure over the week: today's figure, the week's total, and bars for a small chart.
#[derive(Debug, Serialize)]
struct Measure {
    name: &'static str,
    today: i64,
    week: i64,
    /// `(x, y, height, value, weekday)` of each day's bar in a 140×40 box.
    bars: Vec<(i64, i64, i64, i64, String)>,
}

fn measure(name: &'static str, days: &[DayActivity], pick: fn(&DayActivity) -> i64) -> Measure {
    let max = days.iter().map(pick).max().unwrap_or(0).max(1);
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let v = pick(d);
            let h = (v * 38 / max).max(i64::from(v > 0));
            let weekday = chrono::DateTime::from_timestamp(d.day * 86_400, 0)
                .map(|t| t.format("%a").to_string())
                .unwrap_or_default();
            (i as i64 * 20 + 2, 40 - h, h, v, weekday)
        })
        .collect();
    Measure {
        name,
        today: days.last().map(pick).unwrap_or(0),
        week: days.iter().map(pick).sum(),
        bars,
    }
}

/// `GET /admin/`
pub async fn show(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    let mut filter = AdminFilter::default();
    if !signed.user.role.can(Action::EditAnyArticle) {
        filter.owner = Some((signed.user.id, signed.user.author_id));
    }
    let rows = app.store().admin_articles(&filter).await?;
    let count = |s: Status| rows.iter().filter(|r| r.status == s).count();
    let review: Vec<_> = rows
        .iter()
        .filter(|r| r.in_review)
        .take(10)
        .cloned()
        .collect();
    let recent: Vec<_> = rows.iter().take(10).cloned().collect();
    let today = chrono::Utc::now().timestamp() / 86_400;
    let days = app.store().daily_activity(today, WEEK).await?;
    let mut measures = vec![measure("Reads", &days, |d| d.reads)];
    // Who signs up and who gives stay with those who may see personal data.
    if signed.user.role.can(Action::ViewPersonalData) {
        measures.push(measure("New subscribers", &days, |d| d.subscribers));
        measures.push(measure("Gifts", &days, |d| d.gifts));
    }
    let ctx = context! {
        drafts => count(Status::Draft), scheduled => count(Status::Scheduled), published => count(Status::Published),
        review => Value::from_serialize(&review), recent => Value::from_serialize(&recent),
        steps => crate::admin::health::for_dashboard(&app, &signed).await?,
        measures => measures,
    };
    Ok(render(
        &app,
        StatusCode::OK,
        "admin/dashboard.html",
        Some(me(&signed)),
        ctx,
    )
    .await)
}
