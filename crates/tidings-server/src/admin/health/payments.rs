//! Stripe's webhook on Site health: "check now" asks Stripe for the endpoints and posts a signed
//! test event to the site's own URL; the outcome is kept for the checklist, for the URL it was
//! made for.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tidings_donations::WebhookCheck;

use crate::app::AppState;
use crate::error::AppError;

/// The setting that keeps the last check.
const WEBHOOK_CHECKED: &str = "webhook_checked";

/// The last check and when it was made.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookReport {
    /// When.
    pub at: DateTime<Utc>,
    /// What was found.
    pub check: WebhookCheck,
}

/// The last check, if it was made for the webhook URL the site has now.
pub async fn last(app: &AppState) -> Result<Option<WebhookReport>, AppError> {
    let settings = app.store().settings().await?;
    let report: Option<WebhookReport> = serde_json::from_str(settings.get(WEBHOOK_CHECKED)).ok();
    Ok(report.filter(|r| r.check.url == tidings_donations::webhook_url(&app.site().url)))
}

/// Checks now and keeps the outcome; `None` when payments do not go through Stripe.
pub async fn check_now(app: &AppState) -> Result<Option<WebhookReport>, AppError> {
    let Some(check) = app.donations().check_webhook(&app.site().url).await else {
        return Ok(None);
    };
    let report = WebhookReport {
        at: Utc::now(),
        check,
    };
    let json = serde_json::to_string(&report).map_err(|e| AppError::Internal(e.to_string()))?;
    app.store()
        .set_settings(&[(WEBHOOK_CHECKED, &json)])
        .await?;
    Ok(Some(report))
}

/// The checklist's line for payments: done with Stripe whose webhook passed its last check.
pub fn summary(app: &AppState, report: Option<&WebhookReport>) -> (bool, String) {
    let gateway = &app.payments().gateway;
    if gateway.kind() != tidings_store::GatewayKind::Stripe {
        return (
            false,
            "Gifts go through the test gateway: nothing is charged. Set [payments] gateway = \"stripe\" with its keys in the configuration.".into(),
        );
    }
    let mode = if gateway.test_mode() {
        "Stripe in test mode (nothing is charged)"
    } else {
        "Stripe takes real gifts"
    };
    match report {
        None => (
            false,
            format!("{mode}; the webhook is not checked yet: check it on Site health."),
        ),
        Some(r) if r.check.passed() => (true, format!("{mode}; the webhook answers.")),
        Some(r) => (
            false,
            format!(
                "{mode}; the webhook's last check failed: {}",
                r.check
                    .endpoint
                    .as_ref()
                    .err()
                    .or(r.check.delivery.as_ref().err())
                    .map(String::as_str)
                    .unwrap_or_default()
            ),
        ),
    }
}
