//! What is left before the outlet can publish, mail and take money: the onboarding checklist on
//! the dashboard (until every item is done) and the Site health page. Every state is computed
//! from the site's data and configuration, never ticked by hand.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;
use tidings_accounts::Action;
use tidings_mail::Email;

use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

/// The setting that records which mail transport last passed a test send.
const MAIL_TESTED: &str = "mail_tested_with";

/// One step and where it is done.
#[derive(Debug, Serialize)]
pub struct Step {
    /// What the step is.
    pub title: &'static str,
    /// Whether it is done.
    pub done: bool,
    /// What is known about it.
    pub detail: String,
    /// Where it is done.
    pub link: &'static str,
}

/// The checklist as the site stands.
pub async fn checklist(app: &AppState) -> Result<Vec<Step>, AppError> {
    let settings = app.store().settings().await?;
    let (published, sent) = app.store().first_steps().await?;
    let mail = app.newsletters().mailer().describe();
    let has = |key: &str| !settings.get(key).trim().is_empty();
    let last_backup = settings
        .get(tidings_backup::LAST_BACKUP)
        .parse::<i64>()
        .ok()
        .filter(|at| chrono::Utc::now().timestamp() - at < 2 * 86_400);
    let gateway = &app.payments().gateway;
    Ok(vec![
        Step {
            title: "Organisation details",
            done: has("organisation_name") && has("organisation_address"),
            detail: "The legal name and postal address receipts and newsletters must carry.".into(),
            link: "/admin/settings/organisation",
        },
        Step {
            title: "Logo",
            done: has("logo_light"),
            detail: "Shown in the masthead instead of the site's name.".into(),
            link: "/admin/settings",
        },
        Step {
            title: "First story published",
            done: published > 0,
            detail: format!("{published} published."),
            link: "/admin/articles/new",
        },
        Step {
            title: "Mail server tested",
            done: settings.get(MAIL_TESTED) == mail,
            detail: format!("Mail goes through the {mail}."),
            link: "/admin/health#mail",
        },
        Step {
            title: "Payments connected",
            done: gateway.kind() == tidings_store::GatewayKind::Stripe,
            detail: if gateway.test_mode() {
                "Gifts go through the test gateway (or Stripe's test mode): nothing is charged. Set [payments] in the configuration.".into()
            } else {
                "Stripe takes real gifts.".into()
            },
            link: "/admin/donations",
        },
        Step {
            title: "Backups",
            done: app.site().backups || last_backup.is_some(),
            detail: if app.site().backups {
                "A backup is taken every night (backup.dir).".into()
            } else {
                "Set backup.dir in the configuration, or run `tidings backup DIR` from a scheduler."
                    .into()
            },
            link: "/admin/export",
        },
        Step {
            title: "First newsletter sent",
            done: sent > 0,
            detail: format!("{sent} sent."),
            link: "/admin/newsletter",
        },
    ])
}

/// The checklist for the dashboard: `None` for those who cannot act on it, or once all is done.
pub async fn for_dashboard(app: &AppState, signed: &Signed) -> Result<Option<Vec<Step>>, AppError> {
    if !signed.user.role.can(Action::ManageSettings) {
        return Ok(None);
    }
    let steps = checklist(app).await?;
    Ok((!steps.iter().all(|s| s.done)).then_some(steps))
}

async fn page(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    mail_error: Option<String>,
) -> Result<Response, AppError> {
    let steps = checklist(app).await?;
    let ctx = context! {
        steps => steps,
        mail => app.newsletters().mailer().describe(),
        mail_error => mail_error,
    };
    Ok(render(app, status, "admin/health.html", Some(me(signed)), ctx).await)
}

/// `GET /admin/health`
pub async fn show(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    page(&app, &signed, StatusCode::OK, None).await
}

/// `POST /admin/health/mail`: sends a message to the signed-in user now (not through the queue),
/// so the mail server's own answer can be shown.
pub async fn test_mail(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let site = app.site_view().await?;
    let email = Email {
        to: signed.user.email.clone(),
        subject: format!("Test message from {}", site.title),
        text: format!(
            "This message was sent from the newsroom's Site health page to check that mail from {} reaches its readers.\n",
            site.title
        ),
        ..Email::default()
    };
    let mailer = app.newsletters().mailer();
    match mailer.send(&email).await {
        Ok(()) => {
            app.store()
                .set_settings(&[(MAIL_TESTED, &mailer.describe())])
                .await?;
            signed
                .audit(&app, "health.mail_test", &signed.user.email)
                .await;
            Ok(see_other("/admin/health?mail=sent#mail"))
        }
        Err(e) => {
            tracing::warn!(error = %e, "test message not sent");
            page(&app, &signed, StatusCode::BAD_GATEWAY, Some(e.to_string())).await
        }
    }
}
