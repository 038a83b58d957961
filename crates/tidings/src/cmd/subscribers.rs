//! `tidings subscribers import|export`: CSV in the layouts Mailchimp and Substack export.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use tidings_newsletter::parse_subscribers;
use tidings_newsletter::subscriber_csv;

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
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let people = subscriber_csv::to_import(format, &rows, &name);
            println!("{}", subscriber_csv::summary(format, &people));
            if dry_run {
                println!("Dry run: nothing was imported.");
                return Ok(ExitCode::SUCCESS);
            }
            let store = open_store(&config).await?;
            let bar = indicatif::ProgressBar::new(people.len() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let tick = bar.clone();
            let (added, present) = store
                .import_subscribers_with_progress(&people, &move |n| tick.set_position(n as u64))
                .await?;
            bar.finish_and_clear();
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
            out.write_all(&subscriber_csv::export(&all)?)?;
            out.flush()?;
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
