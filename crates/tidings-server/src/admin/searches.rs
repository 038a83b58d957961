//! `GET /admin/searches`: what readers looked for this week (or an earlier one): the most asked
//! queries and those that found nothing, as counts only.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use minijinja::context;
use serde::Deserialize;
use tidings_accounts::Action;

use crate::admin::page::{me, render};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

/// Weeks offered (the log keeps eight).
const WEEKS: i64 = 8;

#[derive(Deserialize, Default)]
pub struct WeekQuery {
    #[serde(default)]
    week: String,
}

/// The Monday of ISO week `YYYY-Www`.
fn monday(week: &str) -> Option<NaiveDate> {
    let (year, number) = week.split_once("-W")?;
    NaiveDate::from_isoywd_opt(year.parse().ok()?, number.parse().ok()?, Weekday::Mon)
}

/// `GET /admin/searches`
pub async fn show(
    State(app): State<AppState>,
    signed: Signed,
    Query(q): Query<WeekQuery>,
) -> Result<Response, AppError> {
    signed.require(Action::EditAnyArticle)?;
    // This node's latest counts first, so the page is up to date.
    crate::searches::flush(app.store(), app.searches().take()).await;
    let today = Utc::now().date_naive();
    let weeks: Vec<String> = (0..WEEKS)
        .map(|i| (today - Duration::weeks(i)).format("%G-W%V").to_string())
        .collect();
    let week = if weeks.contains(&q.week) {
        q.week.clone()
    } else {
        weeks[0].clone()
    };
    let top = app.store().top_searches(&week, false, 20).await?;
    let empty = app.store().top_searches(&week, true, 20).await?;
    let label = |w: &str| {
        monday(w)
            .map(|m| format!("week of {} {}", m.day(), m.format("%B %Y")))
            .unwrap_or_else(|| w.to_string())
    };
    let ctx = context! {
        week => week,
        week_label => label(&week),
        weeks => weeks.iter().map(|w| context! { id => w, label => label(w), current => *w == week }).collect::<Vec<_>>(),
        top => top,
        empty => empty,
    };
    Ok(render(
        &app,
        StatusCode::OK,
        "admin/searches.html",
        Some(me(&signed)),
        ctx,
    )
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks_start_on_monday() {
        assert_eq!(monday("2026-W49"), NaiveDate::from_ymd_opt(2026, 11, 30));
        assert_eq!(monday("2026-W99"), None);
        assert_eq!(monday("junk"), None);
    }
}
