//! Background jobs in the admin (owners and administrators): the ones that failed for good, each
//! with its last error and a "retry now" button, and what is waiting.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use tidings_accounts::Action;
use tidings_store::{JobRecord, JobState};

use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

fn row(app: &AppState, j: &JobRecord) -> Value {
    let at = chrono::DateTime::from_timestamp(j.run_at, 0).unwrap_or_default();
    context! {
        id => j.id, kind => j.kind.clone(), attempts => j.attempts, max_attempts => j.max_attempts,
        error => j.last_error.clone(), at => tidings_theme::views::display_date(at, app.tz()),
        recurring => j.period_secs > 0, period => j.period_secs,
    }
}

/// `GET /admin/jobs`
pub async fn list(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let failed = app.store().jobs_in(JobState::Failed, 200).await?;
    let queued = app.store().jobs_in(JobState::Queued, 200).await?;
    let running = app.store().jobs_in(JobState::Running, 200).await?;
    let ctx = context! {
        failed => failed.iter().map(|j| row(&app, j)).collect::<Vec<_>>(),
        waiting => queued.iter().filter(|j| j.period_secs == 0).map(|j| row(&app, j)).collect::<Vec<_>>(),
        schedules => queued.iter().chain(running.iter()).filter(|j| j.period_secs > 0).map(|j| row(&app, j)).collect::<Vec<_>>(),
        running => running.len(),
    };
    Ok(render(
        &app,
        StatusCode::OK,
        "admin/jobs.html",
        Some(me(&signed)),
        ctx,
    )
    .await)
}

/// `POST /admin/jobs/{id}/retry`: a failed job, due again now with its attempts reset.
pub async fn retry(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    if app
        .store()
        .retry_job(id, chrono::Utc::now().timestamp())
        .await?
    {
        signed.audit(&app, "job.retry", &id.to_string()).await;
    }
    Ok(see_other("/admin/jobs"))
}
