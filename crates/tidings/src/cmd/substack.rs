//! `tidings import substack DIR|ZIP [--dry-run] [--report FILE]`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tidings_import::substack;

use crate::cli::Global;
use crate::cmd::{load_config, run_import, sources, write_report};

/// Runs the Substack import.
pub async fn run(
    global: &Global,
    path: &Path,
    dry_run: bool,
    report: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let config = load_config(&sources(global, None, None))?;
    let plan = substack::plan(path)?;
    println!("Substack export: {} post(s)", plan.posts.len());
    for ((kind, state), n) in &plan.counts {
        println!("  {n:>6} {kind} {state}");
    }
    if dry_run {
        println!("Nothing was written (--dry-run).");
        return Ok(ExitCode::SUCCESS);
    }
    let plan = &plan;
    let done = run_import(&config, true, |store| async move {
        substack::import(&store, plan).await
    })
    .await?;
    println!(
        "Imported: {} created, {} updated, {} unchanged; {} old address(es) redirected. Subscribers: `tidings subscribers import` with Substack's subscriber CSV.",
        done.created, done.updated, done.unchanged, done.redirects
    );
    write_report(
        &config,
        report,
        "substack",
        &done.notes,
        "item(s) held back or changed are",
    )?;
    Ok(ExitCode::SUCCESS)
}
