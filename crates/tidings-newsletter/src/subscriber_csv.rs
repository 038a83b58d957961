//! Subscriber CSV shared by the admin and `tidings subscribers import|export`: parsed rows become
//! store records with their source recorded, and exports escape formula-like cells.

use crate::{escape_cell, ImportRow, SourceFormat};
use chrono::{DateTime, NaiveDateTime, Utc};
use tidings_store::{ImportedSubscriber, Subscriber, SubscriberStatus};

/// Parsed rows as store records, each noting which file and layout it came from.
pub fn to_import(
    format: SourceFormat,
    rows: &[ImportRow],
    file_name: &str,
) -> Vec<ImportedSubscriber> {
    let label = match format {
        SourceFormat::Mailchimp => "mailchimp",
        SourceFormat::Substack => "substack",
        SourceFormat::Ghost => "Ghost",
        SourceFormat::Plain => "csv",
    };
    rows.iter()
        .map(|r| ImportedSubscriber {
            email: r.email.clone(),
            name: r.name.clone(),
            status: r.status,
            consent_at: r.consent_at.as_deref().and_then(parse_time),
            consent_ip: r.consent_ip.clone(),
            source: format!("import: {label} ({file_name})"),
        })
        .collect()
}

/// "N rows read as mailchimp: a confirmed, b pending ..., c suppressed."
pub fn summary(format: SourceFormat, people: &[ImportedSubscriber]) -> String {
    let label = match format {
        SourceFormat::Mailchimp => "Mailchimp",
        SourceFormat::Substack => "Substack",
        SourceFormat::Ghost => "Ghost members",
        SourceFormat::Plain => "plain CSV",
    };
    let count = |s: SubscriberStatus| people.iter().filter(|p| p.status == s).count();
    let left = count(SubscriberStatus::Unsubscribed);
    format!(
        "{} row(s) read as {label}: {} confirmed, {} pending (not mailed until they confirm), {} suppressed{}.",
        people.len(),
        count(SubscriberStatus::Confirmed),
        count(SubscriberStatus::Pending),
        count(SubscriberStatus::Suppressed),
        if left > 0 {
            format!(", {left} not subscribed to emails (kept, never mailed)")
        } else {
            String::new()
        }
    )
}

/// Every subscriber with status and consent record, as CSV.
pub fn export(all: &[Subscriber]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "email",
        "name",
        "status",
        "digest",
        "breaking",
        "consent_at",
        "consent_ip",
        "consent_source",
        "confirmed_at",
    ])?;
    for s in all {
        writer.write_record([
            escape_cell(&s.email),
            escape_cell(&s.name),
            s.status.to_string(),
            s.digest.to_string(),
            s.breaking.to_string(),
            s.consent_at.to_rfc3339(),
            escape_cell(&s.consent_ip),
            escape_cell(&s.consent_source),
            s.confirmed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ])?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// Export timestamps: RFC 3339, or Mailchimp's `YYYY-MM-DD HH:MM:SS` in UTC; never in the future.
fn parse_time(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp())
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                .ok()
                .map(|t| t.and_utc().timestamp())
        })
        .filter(|t| *t <= Utc::now().timestamp())
}
