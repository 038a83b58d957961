//! The SPF, DKIM and DMARC records on Site health: "check now" looks them up through the
//! configured resolver and keeps the outcome, which the checklist reads. A kept outcome counts only
//! while it was made for the records the configuration asks for today.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tidings_mail::{RecordCheck, RecordState};

use crate::app::AppState;
use crate::error::AppError;

/// The setting that keeps the last lookup.
const DNS_CHECKED: &str = "dns_checked";

/// The last lookup: when, and what each record was found to be.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DnsReport {
    /// When it was made.
    pub at: DateTime<Utc>,
    /// One entry per advised record.
    pub checks: Vec<RecordCheck>,
}

impl DnsReport {
    /// Whether every record passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.state == RecordState::Pass)
    }
}

/// The last lookup, if it was made for the records advised now.
pub async fn last(app: &AppState) -> Result<Option<DnsReport>, AppError> {
    let Ok(advice) = &app.site().mail_advice else {
        return Ok(None);
    };
    let settings = app.store().settings().await?;
    let report: Option<DnsReport> = serde_json::from_str(settings.get(DNS_CHECKED)).ok();
    Ok(report.filter(|r| {
        r.checks.len() == advice.len()
            && r.checks
                .iter()
                .zip(advice)
                .all(|(c, a)| c.name == a.name && c.expected == a.value)
    }))
}

/// Looks every record up now and keeps the outcome.
pub async fn check_now(app: &AppState) -> Result<Result<DnsReport, String>, AppError> {
    let advice = match &app.site().mail_advice {
        Ok(advice) => advice,
        Err(e) => return Ok(Err(e.clone())),
    };
    let resolver = match tidings_mail::resolver(&app.site().dns_resolver) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let report = DnsReport {
        at: Utc::now(),
        checks: tidings_mail::check_records(&resolver, advice).await,
    };
    let json = serde_json::to_string(&report).map_err(|e| AppError::Internal(e.to_string()))?;
    app.store().set_settings(&[(DNS_CHECKED, &json)]).await?;
    Ok(Ok(report))
}

/// The checklist's line for the records: done only when the last lookup passed.
pub fn summary(report: Option<&DnsReport>, tz: chrono_tz::Tz) -> (bool, String) {
    match report {
        None => (
            false,
            "Not checked yet: publish the records shown on Site health, then check them.".into(),
        ),
        Some(r) => {
            let states: Vec<String> = r
                .checks
                .iter()
                .map(|c| format!("{} {}", c.purpose, state_word(c.state)))
                .collect();
            (
                r.passed(),
                format!(
                    "Checked {}: {}.",
                    r.at.with_timezone(&tz).format("%-d %b %Y %H:%M"),
                    states.join(", ")
                ),
            )
        }
    }
}

/// How a state reads in a sentence and on the page.
pub fn state_word(state: RecordState) -> &'static str {
    match state {
        RecordState::Pass => "passes",
        RecordState::Missing => "missing",
        RecordState::Wrong => "wrong",
        RecordState::Unknown => "unknown",
    }
}
