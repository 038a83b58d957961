//! `tidings newsletter digest --preview|--send`.

use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use tidings_newsletter::{Newsletters, QueueOutcome, Sender};

use crate::cli::{Global, NewsletterCommand};
use crate::cmd::{load_config, open_store, sources};

/// Runs a `newsletter` subcommand.
pub async fn run(global: &Global, command: NewsletterCommand) -> anyhow::Result<ExitCode> {
    let config = load_config(&sources(global, None, None))?;
    let store = open_store(&config).await?;
    store.set_site_url(&config.site_url()).await?;
    let app = Newsletters::from_config(&config, store)?;
    let NewsletterCommand::Digest { send, .. } = command;
    let now = Utc::now();
    let edition = app.upcoming(now).await?;
    if !send {
        let draft = app.draft(&edition, now).await?;
        println!(
            "Digest {edition}, due {} ({} stories):",
            draft
                .send_at
                .with_timezone(&app.site().timezone())
                .format("%Y-%m-%d %H:%M %Z"),
            draft.items.len()
        );
        for (i, s) in draft.items.iter().enumerate() {
            println!(
                "{:>3}. {} ({} reads)\n     {}",
                i + 1,
                s.title,
                s.reads,
                s.url
            );
        }
        if draft.items.is_empty() {
            println!("No stories published since the last digest: nothing would go out.");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let id = match app.queue_digest(&edition, now, None).await? {
        QueueOutcome::Queued(id) => {
            println!("Digest {edition} queued.");
            id
        }
        QueueOutcome::AlreadySent(id) => {
            println!("Digest {edition} was queued before; finishing its delivery.");
            id
        }
        QueueOutcome::NoStories => {
            println!("No stories published since the last digest: nothing to send.");
            return Ok(ExitCode::SUCCESS);
        }
    };
    let total = app
        .store()
        .newsletter(id)
        .await?
        .map(|n| n.counts.total)
        .unwrap_or(0);
    let bar = ProgressBar::new(total.max(0) as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} messages {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let watcher = {
        let store = app.store().clone();
        let bar = bar.clone();
        tokio::spawn(async move {
            loop {
                if let Ok(Some(n)) = store.newsletter(id).await {
                    bar.set_position((n.counts.total - n.counts.pending()).max(0) as u64);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };
    let report = Sender::new(app.clone()).run_due().await;
    watcher.abort();
    bar.finish_and_clear();
    let report = report?;
    let n = app
        .store()
        .newsletter(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("newsletter {id} vanished"))?;
    let c = n.counts;
    println!(
        "Digest {edition}: {} of {} delivered, {} failed, {} left out (unsubscribed meanwhile), {} waiting for a retry.",
        c.sent, c.total, c.failed, c.skipped, c.pending()
    );
    if report.retrying > 0 || c.pending() > 0 {
        println!("A running `tidings serve` retries the waiting ones with backoff.");
    }
    if c.failed > 0 {
        println!("Failures and their reasons are listed in the admin under Newsletter.");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
