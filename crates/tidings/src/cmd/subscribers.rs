//! `tidings subscribers import|export`: CSV in the layouts Mailchimp and Substack export.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use tidings_newsletter::subscriber_csv;
use tidings_newsletter::{parse_subscribers, SourceFormat};

use crate::cli::{Global, SubscribersCommand};
use crate::cmd::{load_config, open_store, sources};

/// Runs a `subscribers` subcommand.
pub async fn run(global: &Global, command: SubscribersCommand) -> anyhow::Result<ExitCode> {
    let config = load_config(&sources(global, None, None))?;
    match command {
        SubscribersCommand::Import { file, dry_run } => {
            import_file(&config, &file, dry_run, None, None).await
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

/// Imports a subscriber CSV in one transaction; with `only`, a file of another layout is refused.
pub async fn import_file(
    config: &tidings_config::Config,
    file: &std::path::Path,
    dry_run: bool,
    only: Option<SourceFormat>,
    report: Option<std::path::PathBuf>,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
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
    if let Some(expected) = only {
        anyhow::ensure!(
            format == expected,
            "{}: not a {expected:?} export (its columns read as {format:?}); nothing was imported",
            file.display()
        );
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let people = subscriber_csv::to_import(format, &rows, &name);
    println!("{}", subscriber_csv::summary(format, &people));
    // What the old platform knew that subscribers here do not carry, said rather than dropped.
    let mut labels: std::collections::BTreeMap<&str, usize> = Default::default();
    for row in &rows {
        for l in &row.labels {
            *labels.entry(l.as_str()).or_default() += 1;
        }
    }
    if !labels.is_empty() {
        let list: Vec<String> = labels.iter().map(|(l, n)| format!("{l} ({n})")).collect();
        println!(
            "Labels are not kept (subscribers here have no labels): {}",
            list.join(", ")
        );
    }
    for row in rows.iter().filter(|r| !r.note.is_empty()) {
        println!("  line {}: {}: {}", row.line, row.email, row.note);
    }
    if let (Some(path), false) = (&report, dry_run) {
        let mut out =
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        for row in &rows {
            if !row.labels.is_empty() {
                writeln!(
                    out,
                    "line {}: {}: labels {}",
                    row.line,
                    row.email,
                    row.labels.join(", ")
                )?;
            }
            if !row.note.is_empty() {
                writeln!(out, "line {}: {}: {}", row.line, row.email, row.note)?;
            }
        }
        println!(
            "Labels and notes for each member are listed in {}.",
            path.display()
        );
    }
    if dry_run {
        println!("Dry run: nothing was imported.");
        return Ok(ExitCode::SUCCESS);
    }
    std::fs::create_dir_all(&config.server.data_dir)?;
    let store = open_store(config).await?;
    let bar = indicatif::ProgressBar::new(people.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let tick = bar.clone();
    let (added, present) = store
        .import_subscribers_with_progress(&people, &move |n| tick.set_position(n as u64))
        .await?;
    bar.finish_and_clear();
    store.close().await;
    println!("Imported {added} subscriber(s); {present} were already on the list and were left as they are. No email was sent.");
    Ok(ExitCode::SUCCESS)
}
