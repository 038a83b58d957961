//! `tidings worker`: the job runner alone, beside web nodes started with `serve --no-jobs`.

use std::process::ExitCode;

use tidings_donations::Donations;
use tidings_jobs::site::{runner, Nightly, Site, STOP_GRACE};
use tidings_newsletter::Newsletters;

use crate::cli::Global;
use crate::cmd::{describe_db, load_config, open_store, shutdown_signal, sources};

/// Runs every background job until Ctrl-C or SIGTERM, then finishes or gives back what it holds.
pub async fn run(global: &Global) -> anyhow::Result<ExitCode> {
    let config = load_config(&sources(global, None, None))?;
    std::fs::create_dir_all(&config.server.data_dir)?;
    let store = open_store(&config).await?;
    store.set_site_url(&config.site_url()).await?;
    let newsletters = Newsletters::from_config(&config, store.clone())?;
    let donations = Donations::from_config(&config, store.clone())?;
    let jobs = runner(Site {
        store,
        newsletters,
        donations,
        backup: Nightly::from_config(&config),
        media_dir: config.server.data_dir.join("media"),
        avif: config.media.avif,
    });
    println!(
        "Tidings worker {} is running jobs for {} ({})",
        jobs.owner(),
        config.site_url(),
        describe_db(&config.database_url())
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(jobs.run(stopped, STOP_GRACE));
    shutdown_signal().await;
    let _ = stop.send(true);
    running.await?;
    println!("Tidings worker stopped.");
    Ok(ExitCode::SUCCESS)
}
