//! `tidings migrate`

use std::process::ExitCode;

use anyhow::Context;
use tidings_store::Store;

use crate::cli::Global;
use crate::cmd::{describe_db, load_config, sources};

/// Applies pending migrations and reports what was done.
pub async fn run(global: &Global) -> anyhow::Result<ExitCode> {
    let config = load_config(&sources(global, None, None))?;
    let url = config.database_url();
    let store = Store::connect(&url, 1)
        .await
        .with_context(|| format!("connecting to {}", describe_db(&url)))?;
    let applied = store.migrate().await?;
    if applied.is_empty() {
        println!("{} is up to date.", describe_db(&url));
    } else {
        for m in &applied {
            println!("applied {m}");
        }
        println!(
            "{} migration(s) applied to {}.",
            applied.len(),
            describe_db(&url)
        );
    }
    Ok(ExitCode::SUCCESS)
}
