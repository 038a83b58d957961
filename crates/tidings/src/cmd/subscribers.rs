//! `tidings subscribers import|export`: CSV in the layouts Mailchimp and Substack export.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, NaiveDateTime, Utc};
use tidings_newsletter::{escape_cell, parse_subscribers, SourceFormat};
use tidings_store::ImportedSubscriber;

use crate::cli::{Global, SubscribersCommand};
use crate::cmd::{load_config, open_store, sources};

/// Runs a `subscribers` subcommand.
pub async fn run(global: &Global, command: SubscribersCommand) -> anyhow::Result<ExitCode> {
    let config = load_config(&sources(global, None, None))?;
    match command {
        SubscribersCommand::Import { file, dry_run } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let (format, rows) = match parse_subscribers(&bytes) {
                Ok(parsed) => parsed,
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{}:{}: {}", file.display(), e.line, e.message);
                    }
                    eprintln!(
                        "{} line(s) cannot be imported; nothing was imported.",
                        errors.len()
                    );
                    return Ok(ExitCode::FAILURE);
                }
            };
            let label = match format {
                SourceFormat::Mailchimp => "mailchimp",
                SourceFormat::Substack => "substack",
                SourceFormat::Plain => "csv",
            };
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let people: Vec<ImportedSubscriber> = rows
                .iter()
                .map(|r| ImportedSubscriber {
                    email: r.email.clone(),
                    name: r.name.clone(),
                    status: r.status.as_str().to_string(),
                    consent_at: r.consent_at.as_deref().and_then(parse_time),
                    consent_ip: r.consent_ip.clone(),
                    source: format!("import: {label} ({name})"),
                })
                .collect();
            let count = |s: &str| people.iter().filter(|p| p.status == s).count();
            println!(
                "{} row(s) read as {label}: {} confirmed, {} pending (not mailed until they confirm), {} suppressed.",
                people.len(),
                count("confirmed"),
                count("pending"),
                count("suppressed")
            );
            if dry_run {
                println!("Dry run: nothing was imported.");
                return Ok(ExitCode::SUCCESS);
            }
            let store = open_store(&config).await?;
            let (added, present) = store.import_subscribers(&people).await?;
            println!("Imported {added} subscriber(s); {present} were already on the list and were left as they are.");
            Ok(ExitCode::SUCCESS)
        }
        SubscribersCommand::Export { file } => {
            let store = open_store(&config).await?;
            let all = store.all_subscribers().await?;
            let mut out: Box<dyn Write> = if file.as_os_str() == "-" {
                Box::new(std::io::stdout())
            } else {
                Box::new(
                    std::fs::File::create(&file)
                        .with_context(|| format!("creating {}", file.display()))?,
                )
            };
            let mut writer = csv::Writer::from_writer(&mut out);
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
            for s in &all {
                writer.write_record([
                    escape_cell(&s.email),
                    escape_cell(&s.name),
                    s.status.clone(),
                    s.digest.to_string(),
                    s.breaking.to_string(),
                    s.consent_at.to_rfc3339(),
                    escape_cell(&s.consent_ip),
                    escape_cell(&s.consent_source),
                    s.confirmed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                ])?;
            }
            writer.flush()?;
            drop(writer);
            if file.as_os_str() != "-" {
                println!(
                    "Exported {} subscriber(s) to {}.",
                    all.len(),
                    file.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Export timestamps: RFC 3339, or Mailchimp's `YYYY-MM-DD HH:MM:SS` in UTC.
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
