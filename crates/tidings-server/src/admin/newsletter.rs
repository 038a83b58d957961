//! The newsletter desk: the next digest (preview, order, leave out, intro, test, send now),
//! breaking-news alerts, and the send history with progress and failures.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{Duration, Utc};
use minijinja::{context, Value};
use tidings_accounts::Action;
use tidings_store::{DigestPlan, NewsletterState};

use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;
use tidings_newsletter::{NewsletterError, QueueOutcome, TestCopy};
use tidings_theme::views::display_date;

const MAX_INTRO: usize = 2_000;

async fn desk(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    notice: &str,
    error: &str,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let edition = app.newsletters().upcoming(now).await?;
    let draft = app.newsletters().draft(&edition, now).await?;
    let history = app.store().newsletters(30, 0).await?;
    let tz = app.tz();
    let sending = history.iter().any(|n| n.status == NewsletterState::Sending);
    let history: Vec<Value> = history
        .iter()
        .map(|n| {
            context! {
                id => n.id, kind => n.kind.clone(), subject => n.subject.clone(),
                status => n.status.clone(), created => display_date(n.created_at, tz),
                counts => Value::from_serialize(n.counts),
                percent => if n.counts.total > 0 { (n.counts.total - n.counts.pending()) * 100 / n.counts.total } else { 100 },
            }
        })
        .collect();
    let recent = app
        .store()
        .published_between(now - Duration::hours(48), now)
        .await?;
    let recent: Vec<Value> = recent
        .iter()
        .map(|a| context! { id => a.id, title => a.title.clone() })
        .collect();
    let ctx = context! {
        draft => Value::from_serialize(&draft),
        send_at => display_date(draft.send_at, tz),
        history => history, sending => sending, recent => recent,
        notice => notice, error => error, max_stories => app.newsletters().site().identity().max_stories,
    };
    Ok(render(app, status, "admin/newsletter.html", Some(me(signed)), ctx).await)
}

/// `GET /admin/newsletter`
pub async fn show(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::SendNewsletter)?;
    desk(&app, &signed, StatusCode::OK, "", "").await
}

/// The plan form: intro, the stories in their shown order with a position each, and which to
/// leave out or bring back.
/// Most fields the desk's form may carry: four a story, for far more stories than a day brings.
const MAX_FIELDS: usize = 1024;

fn plan_from_form(
    fields: &[(String, String)],
    current: &DigestPlan,
) -> Result<DigestPlan, &'static str> {
    // Each story brings a few fields; anything far beyond that is not this page's form (and
    // would make the lookups below quadratic).
    if fields.len() > MAX_FIELDS {
        return Err("The form has too many fields.");
    }
    if fields
        .iter()
        .any(|(k, v)| k.len() > 64 || (k != "intro" && v.len() > 64))
    {
        return Err("A field in the form is not valid.");
    }
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let intro = get("intro")
        .unwrap_or_default()
        .replace("\r\n", "\n")
        .trim()
        .to_string();
    if intro.chars().count() > MAX_INTRO {
        return Err("The intro is too long (2,000 characters at most).");
    }
    let mut shown: Vec<(i64, i64, usize)> = Vec::new();
    for (i, (name, value)) in fields.iter().enumerate() {
        if name == "story" {
            let id: i64 = value
                .parse()
                .map_err(|_| "A story in the form is not valid.")?;
            let pos = match get(&format!("pos_{id}")).map(str::trim) {
                None | Some("") => i as i64,
                Some(p) => p
                    .parse::<i64>()
                    .ok()
                    .filter(|p| p.abs() <= 10_000)
                    .ok_or("Positions must be whole numbers.")?,
            };
            if shown.iter().all(|(_, seen, _)| *seen != id) {
                shown.push((pos, id, i));
            }
        }
    }
    shown.sort();
    let mut dropped: Vec<i64> = current.dropped.clone();
    for (_, id, _) in &shown {
        if get(&format!("drop_{id}")).is_some() && !dropped.contains(id) {
            dropped.push(*id);
        }
    }
    dropped.retain(|id| get(&format!("include_{id}")).is_none());
    let ordered: Vec<i64> = shown
        .iter()
        .map(|(_, id, _)| *id)
        .filter(|id| !dropped.contains(id))
        .collect();
    Ok(DigestPlan {
        intro,
        ordered,
        dropped,
    })
}

/// `POST /admin/newsletter/digest`: save the plan, then send a test or the digest itself.
pub async fn digest_action(
    State(app): State<AppState>,
    signed: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    signed.require(Action::SendNewsletter)?;
    let now = Utc::now();
    let edition = app.newsletters().upcoming(now).await?;
    let current = app.store().digest_plan(&edition).await?;
    let plan = match plan_from_form(&fields, &current) {
        Ok(p) => p,
        Err(message) => {
            return desk(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, "", message).await
        }
    };
    app.store().save_digest_plan(&edition, &plan).await?;
    let action = fields
        .iter()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.as_str())
        .unwrap_or("save");
    match action {
        "test" => match app
            .newsletters()
            .send_test(&edition, now, &signed.user.email)
            .await?
        {
            TestCopy::Sent => {
                let notice = format!("A test copy went to {}.", signed.user.email);
                desk(&app, &signed, StatusCode::OK, &notice, "").await
            }
            TestCopy::NoStories => {
                let message = "There are no stories to send yet.";
                desk(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, "", message).await
            }
            TestCopy::NotSent(e) => {
                let message = format!("The test could not be sent: {e}");
                desk(
                    &app,
                    &signed,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "",
                    &message,
                )
                .await
            }
        },
        "send" => {
            let outcome = app
                .newsletters()
                .queue_digest(&edition, now, Some(signed.user.id))
                .await?;
            match outcome {
                QueueOutcome::Queued(id) => {
                    signed
                        .audit(&app, "newsletter.send", &format!("digest {edition}"))
                        .await;
                    Ok(see_other(&format!("/admin/newsletter/{id}")))
                }
                QueueOutcome::NoStories => {
                    desk(
                        &app,
                        &signed,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "",
                        "There are no stories to send: no digest goes out.",
                    )
                    .await
                }
                QueueOutcome::AlreadySent(id) => Ok(see_other(&format!("/admin/newsletter/{id}"))),
            }
        }
        _ => {
            desk(
                &app,
                &signed,
                StatusCode::OK,
                "Saved. The digest goes out with these choices.",
                "",
            )
            .await
        }
    }
}

/// `POST /admin/newsletter/breaking`: alert breaking-news subscribers to one story.
pub async fn breaking(
    State(app): State<AppState>,
    signed: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    signed.require(Action::SendNewsletter)?;
    let id = fields
        .iter()
        .find(|(k, _)| k == "article")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    let Some(id) = id else {
        return desk(
            &app,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
            "Choose a published story for the alert.",
        )
        .await;
    };
    match app
        .newsletters()
        .queue_breaking(id, Some(signed.user.id))
        .await
    {
        Ok(QueueOutcome::Queued(n)) => {
            signed
                .audit(&app, "newsletter.breaking", &id.to_string())
                .await;
            Ok(see_other(&format!("/admin/newsletter/{n}")))
        }
        Ok(QueueOutcome::AlreadySent(n)) => Ok(see_other(&format!("/admin/newsletter/{n}"))),
        Ok(QueueOutcome::NoStories) | Err(NewsletterError::NotFound(_)) => {
            desk(
                &app,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
                "That story is not published.",
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /admin/newsletter/{id}`: progress, counts and every failure with its reason.
pub async fn detail(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    signed.require(Action::SendNewsletter)?;
    let n = app
        .store()
        .newsletter(id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Addresses are personal data: only those who may see subscribers see who failed.
    let failures = if signed.user.role.can(Action::ViewPersonalData) {
        app.store().failed_deliveries(id, 500).await?
    } else {
        Vec::new()
    };
    let tz = app.tz();
    let ctx = context! {
        n => context! {
            id => n.id, kind => n.kind.clone(), subject => n.subject.clone(), status => n.status.clone(),
            created => display_date(n.created_at, tz),
            finished => n.finished_at.map(|t| display_date(t, tz)),
            counts => Value::from_serialize(n.counts),
            percent => if n.counts.total > 0 { (n.counts.total - n.counts.pending()) * 100 / n.counts.total } else { 100 },
        },
        failures => Value::from_serialize(&failures),
        sending => n.status == NewsletterState::Sending,
    };
    Ok(render(
        &app,
        StatusCode::OK,
        "admin/newsletter_detail.html",
        Some(me(&signed)),
        ctx,
    )
    .await)
}
