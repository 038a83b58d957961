//! Marking a tag as a running story ("Budget 2027") and keeping its summary: the tag's stories
//! then show what came before them, and its page offers the story as a timeline.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::Deserialize;
use tidings_accounts::Action;
use tidings_store::StoreError;

use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

/// The running-story form.
#[derive(Deserialize)]
pub struct StoryForm {
    /// Present when the box is ticked.
    #[serde(default)]
    running: Option<String>,
    #[serde(default)]
    summary: String,
}

async fn page(
    app: &AppState,
    signed: &Signed,
    id: i64,
    status: StatusCode,
    error: Option<String>,
    typed: Option<&StoryForm>,
) -> Result<Response, AppError> {
    let tag = app.store().tag_by_id(id).await?.ok_or(AppError::NotFound)?;
    let story = app.store().running_story(id).await?;
    let (running, summary) = match typed {
        Some(f) => (f.running.is_some(), f.summary.clone()),
        None => (story.is_some(), story.unwrap_or_default()),
    };
    let ctx = context! {
        tag => context! { id => tag.id, name => tag.name, slug => tag.slug },
        running => running, summary => summary, error => error,
    };
    Ok(render(
        app,
        status,
        "admin/running_story.html",
        Some(me(signed)),
        ctx,
    )
    .await)
}

/// `GET /admin/tags/{id}/story`
pub async fn show(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageTaxonomy)?;
    page(&app, &signed, id, StatusCode::OK, None, None).await
}

/// `POST /admin/tags/{id}/story`
pub async fn save(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<StoryForm>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageTaxonomy)?;
    let summary = form.running.as_ref().map(|_| form.summary.as_str());
    match app.store().set_running_story(id, summary).await {
        Ok(()) => {}
        Err(StoreError::Invalid { message, .. }) => {
            let error = Some(format!("Summary: {message}."));
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return page(&app, &signed, id, status, error, Some(&form)).await;
        }
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    }
    let tag = app.store().tag_by_id(id).await?.ok_or(AppError::NotFound)?;
    signed.audit(&app, "tag.running_story", &tag.slug).await;
    let _ = app.refresh_generation().await;
    Ok(see_other(&format!("/admin/tags/{id}/story?saved=1")))
}
