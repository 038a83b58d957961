//! `tidings serve`

use std::process::ExitCode;

use crate::cli::{Global, Listen};
use crate::cmd::{describe_db, load_config, open_store, shutdown_signal, sources};

/// Serves the site until Ctrl-C or SIGTERM.
pub async fn run(global: &Global, listen: &Listen) -> anyhow::Result<ExitCode> {
    let mut config = load_config(&sources(global, listen.listen.as_deref(), None))?;
    if listen.no_jobs {
        config.server.jobs = false;
    }
    std::fs::create_dir_all(&config.server.data_dir)?;
    let store = open_store(&config).await?;
    println!(
        "Tidings is serving {} (listening on {}, {})",
        config.site_url(),
        config.server.listen,
        describe_db(&config.database_url())
    );
    tidings_server::serve(&config, store, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}
