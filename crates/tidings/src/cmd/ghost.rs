//! `tidings import ghost FILE [--images DIR] [--dry-run] [--report FILE]`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tidings_import::ghost;

use crate::cli::Global;
use crate::cmd::{load_config, run_import, sources, write_report};

/// Runs the Ghost import.
pub async fn run(
    global: &Global,
    file: &Path,
    images: Option<PathBuf>,
    dry_run: bool,
    report: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &images {
        anyhow::ensure!(dir.is_dir(), "--images {}: not a folder", dir.display());
    }
    let config = load_config(&sources(global, None, None))?;
    let plan = ghost::plan(file)?;
    println!(
        "Ghost export (version {}): {} page(s), {} tag(s), {} author(s)",
        if plan.version.is_empty() {
            "unknown"
        } else {
            &plan.version
        },
        plan.pages,
        plan.tags,
        plan.authors
    );
    for (status, n) in &plan.posts {
        println!("  {n:>6} post(s) {status}");
    }
    if dry_run {
        println!("Nothing was written (--dry-run).");
        return Ok(ExitCode::SUCCESS);
    }
    let plan = &plan;
    let media = config.server.data_dir.join("media");
    let done = run_import(&config, true, |store| async move {
        ghost::import(&store, plan, images.map(|dir| (dir, media))).await
    })
    .await?;
    println!(
        "Imported: {} created, {} updated, {} unchanged; {} tag(s) and {} author(s) created; {} old address(es) redirected.",
        done.created, done.updated, done.unchanged, done.tags_created, done.authors_created, done.redirects
    );
    write_report(
        &config,
        report,
        "ghost",
        &done.notes,
        "item(s) skipped or changed are",
    )?;
    Ok(ExitCode::SUCCESS)
}
