//! `tidings import wordpress FILE [--dry-run] [--report FILE]`

use std::io::IsTerminal;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use tidings_import::wordpress::{self, Options, Plan};

use crate::cli::{Global, ImportCommand};
use crate::cmd::{load_config, open_store, sources, write_report};

fn print_plan(plan: &Plan) {
    println!(
        "WordPress export (WXR {}) from {}:",
        plan.version,
        if plan.blog_url.is_empty() {
            "an unnamed site"
        } else {
            &plan.blog_url
        }
    );
    println!(
        "  {} author(s), {} categor(ies), {} tag(s), {} comment(s) (counted, not imported)",
        plan.authors, plan.categories, plan.tags, plan.comments
    );
    for ((kind, status), n) in &plan.items {
        let fate = match (kind.as_str(), status.as_str()) {
            ("post" | "page", "publish") => "published",
            ("post" | "page", "future") => "scheduled",
            ("post" | "page", "draft" | "pending") => "drafts",
            ("post" | "page", "private") => "unpublished (private)",
            ("post" | "page", "trash" | "auto-draft") => "skipped",
            ("attachment", _) => "kept as links",
            _ => "skipped (not content)",
        };
        println!("  {n:>6} {kind} {status}: {fate}");
    }
    if plan.protected > 0 {
        println!(
            "  {} password-protected: imported unpublished",
            plan.protected
        );
    }
}

/// Runs an `import` subcommand.
pub async fn run(global: &Global, command: ImportCommand) -> anyhow::Result<ExitCode> {
    let (file, uploads, dry_run, report) = match command {
        ImportCommand::Wordpress {
            file,
            uploads,
            dry_run,
            report,
        } => (file, uploads, dry_run, report),
        ImportCommand::Tidings { file, media } => {
            return crate::cmd::backup::import(global, &file, media).await
        }
        ImportCommand::Ghost {
            file,
            images,
            dry_run,
            report,
        } => return crate::cmd::ghost::run(global, &file, images, dry_run, report).await,
        ImportCommand::Substack {
            path,
            dry_run,
            report,
        } => return crate::cmd::substack::run(global, &path, dry_run, report).await,
        ImportCommand::GhostMembers {
            file,
            dry_run,
            report,
        } => {
            let config = load_config(&sources(global, None, None))?;
            let report = crate::cmd::report_path(&config, report, "ghost-members");
            return crate::cmd::subscribers::import_file(
                &config,
                &file,
                dry_run,
                Some(tidings_newsletter::SourceFormat::Ghost),
                Some(report),
            )
            .await;
        }
        ImportCommand::Givewp {
            donations,
            donors,
            dry_run,
            report,
        } => {
            return crate::cmd::givewp::run(global, &donations, donors.as_deref(), dry_run, report)
                .await
        }
    };
    if let Some(dir) = &uploads {
        anyhow::ensure!(dir.is_dir(), "--uploads {}: not a folder", dir.display());
    }
    let config = load_config(&sources(global, None, None))?;
    if dry_run {
        let plan = wordpress::plan(&file)?;
        print_plan(&plan);
        // On an existing site, say what a run would update rather than create.
        let database = config.server.data_dir.join("tidings.db");
        let updates = if !config.database.url.is_empty() || database.exists() {
            let store = open_store(&config).await?;
            let n = wordpress::already_imported(&plan, &store).await?;
            store.close().await;
            n
        } else {
            0
        };
        println!(
            "{} post(s) and page(s) would be imported: {} created, {} updated (or left as they are when unchanged). Nothing was written (--dry-run).",
            plan.content(),
            plan.content() - updates,
            updates
        );
        return Ok(ExitCode::SUCCESS);
    }
    std::fs::create_dir_all(&config.server.data_dir)?;
    let store = open_store(&config).await?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} items {per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let progress = |done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let options = Options {
        timezone: config.timezone(),
        uploads: uploads.map(|dir| (dir, config.server.data_dir.join("media"))),
    };
    let bulk = store.for_bulk_import();
    let imported = wordpress::import(&file, &bulk, &options, &progress).await;
    // Related lists are computed once, by a running server's job runner, not after every story.
    store.queue_related_refresh().await?;
    let (plan, outcome) = imported?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    print_plan(&plan);
    println!(
        "Imported: {} created, {} updated, {} unchanged; {} author(s) and {} tag(s) created; {} old address(es) redirected.",
        outcome.created, outcome.updated, outcome.unchanged, outcome.authors_created, outcome.tags_created, outcome.redirects
    );
    write_report(
        &config,
        report,
        "wordpress",
        &outcome.notes,
        "item(s) skipped or changed are",
    )?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
