//! `tidings serve`

use std::process::ExitCode;

use crate::cli::{Global, Listen};
use anyhow::Context;

use crate::cmd::{describe_db, load_config, shutdown_signal, sources};

/// Serves the site until Ctrl-C or SIGTERM.
pub async fn run(global: &Global, listen: &Listen) -> anyhow::Result<ExitCode> {
    let mut config = load_config(&sources(global, listen.listen.as_deref(), None))?;
    if listen.no_jobs {
        config.server.jobs = false;
    }
    std::fs::create_dir_all(&config.server.data_dir)?;
    // Migrations are applied by `serve` itself, while it already answers health checks.
    let url = config.database_url();
    let store = tidings_store::Store::connect(&url, config.database.max_connections)
        .await
        .with_context(|| format!("connecting to {}", describe_db(&url)))?;
    println!(
        "Tidings is serving {} (listening on {}, {})",
        config.site_url(),
        config.server.listen,
        describe_db(&config.database_url())
    );
    tidings_server::serve(&config, store, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}
