//! `tidings check`: validate configuration and connections without changing anything.

use std::process::ExitCode;

use tidings_store::Store;

use crate::cli::Global;
use crate::cmd::{describe_db, load_config, sources};

/// Prints one line per check and fails when any check fails.
pub async fn run(global: &Global) -> anyhow::Result<ExitCode> {
    let config = match load_config(&sources(global, None, None)) {
        Ok(c) => c,
        Err(e) => {
            println!("FAIL configuration: {e:#}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut failed = false;
    println!(
        "ok   configuration (site {}, timezone {})",
        config.site_url(),
        config.site.timezone
    );

    let dir = &config.server.data_dir;
    match std::fs::create_dir_all(dir).and_then(|_| {
        let probe = dir.join(".tidings-write-check");
        std::fs::write(&probe, b"ok")?;
        std::fs::remove_file(probe)
    }) {
        Ok(()) => println!("ok   data folder {} is writable", dir.display()),
        Err(e) => {
            failed = true;
            println!("FAIL data folder {}: {e}", dir.display());
        }
    }

    let url = config.database_url();
    match Store::connect(&url, 1).await {
        Ok(store) => match (store.ping().await, store.pending_migrations().await) {
            (Ok(()), Ok(pending)) if pending.is_empty() => {
                println!("ok   database: {} reachable and up to date", describe_db(&url))
            }
            (Ok(()), Ok(pending)) => println!(
                "ok   database: {} reachable; {} migration(s) will be applied at start (or run `tidings migrate`)",
                describe_db(&url),
                pending.len()
            ),
            (Err(e), _) | (_, Err(e)) => {
                failed = true;
                println!("FAIL database: {}: {e}", describe_db(&url));
            }
        },
        Err(e) => {
            failed = true;
            println!("FAIL database: {}: {e}", describe_db(&url));
        }
    }

    if config.mail.url == "outbox" {
        println!("ok   mail: outbox folder {}", dir.join("outbox").display());
    } else {
        println!("ok   mail: SMTP transport configured");
    }
    println!(
        "ok   payments: {} gateway, {}",
        config.payments.gateway, config.payments.currency
    );
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
