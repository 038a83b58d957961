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

mod dns;
mod payments;

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
    let (dns_done, dns_detail) = dns::summary(dns::last(app).await?.as_ref(), app.tz());
    let (paid_done, paid_detail) = payments::summary(app, payments::last(app).await?.as_ref());
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
            title: "Mail records (SPF, DKIM, DMARC)",
            done: dns_done,
            detail: dns_detail,
            link: "/admin/health#dns",
        },
        Step {
            title: "Payments connected",
            done: paid_done,
            detail: paid_detail,
            link: "/admin/health#payments",
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
    problem: Problem,
) -> Result<Response, AppError> {
    let steps = checklist(app).await?;
    let dns = dns::last(app).await?;
    let advice = app.site().mail_advice.as_ref();
    let ctx = context! {
        steps => steps,
        mail => app.newsletters().mailer().describe(),
        mail_error => problem.mail,
        dns_error => problem.dns.or_else(|| advice.err().cloned()),
        advice => advice.ok(),
        dns => dns.map(|r| context! {
            at => r.at.with_timezone(&app.tz()).format("%-d %b %Y %H:%M").to_string(),
            checks => r.checks.iter().map(|c| context! {
                purpose => c.purpose, name => c.name, expected => c.expected, found => c.found,
                detail => c.detail, state => dns::state_word(c.state), pass => c.state == tidings_mail::RecordState::Pass,
            }).collect::<Vec<_>>(),
        }),
        resolver => match app.site().dns_resolver.as_str() { "" => "the system's resolver".to_string(), r => r.to_string() },
        stripe => app.payments().gateway.kind() == tidings_store::GatewayKind::Stripe,
        webhook_url => tidings_donations::webhook_url(&app.site().url),
        webhook_events => tidings_donations::WEBHOOK_EVENTS,
        webhook => payments::last(app).await?.map(|r| context! {
            at => r.at.with_timezone(&app.tz()).format("%-d %b %Y %H:%M").to_string(),
            endpoint_ok => r.check.endpoint.is_ok(),
            endpoint => r.check.endpoint.unwrap_or_else(|e| e),
            delivery_ok => r.check.delivery.is_ok(),
            delivery => r.check.delivery.unwrap_or_else(|e| e),
        }),
    };
    Ok(render(app, status, "admin/health.html", Some(me(signed)), ctx).await)
}

/// `GET /admin/health`
pub async fn show(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    page(&app, &signed, StatusCode::OK, Problem::default()).await
}

/// What went wrong in the last action, shown on the page.
#[derive(Default)]
struct Problem {
    mail: Option<String>,
    dns: Option<String>,
}

/// `POST /admin/health/dns`: looks the mail records up now.
pub async fn check_dns(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    match dns::check_now(&app).await? {
        Ok(report) => {
            let outcome = if report.passed() { "passed" } else { "failed" };
            signed.audit(&app, "health.dns_check", outcome).await;
            Ok(see_other("/admin/health#dns"))
        }
        Err(e) => {
            let problem = Problem {
                dns: Some(e),
                ..Problem::default()
            };
            page(&app, &signed, StatusCode::BAD_GATEWAY, problem).await
        }
    }
}

/// `POST /admin/health/payments`: checks Stripe's webhook now.
pub async fn check_payments(
    State(app): State<AppState>,
    signed: Signed,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    match payments::check_now(&app).await? {
        Some(report) => {
            let outcome = if report.check.passed() {
                "passed"
            } else {
                "failed"
            };
            signed.audit(&app, "health.webhook_check", outcome).await;
            Ok(see_other("/admin/health#payments"))
        }
        None => Err(AppError::NotFound),
    }
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
            let problem = Problem {
                mail: Some(e.to_string()),
                ..Problem::default()
            };
            page(&app, &signed, StatusCode::BAD_GATEWAY, problem).await
        }
    }
}
