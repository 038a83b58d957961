//! `tidings donations export FILE`

use std::io::Write;
use std::process::ExitCode;

use tidings_store::DonationFilter;

use crate::cli::{DonationsCommand, Global};
use crate::cmd::{load_config, open_store, sources};

/// Runs a `donations` subcommand.
pub async fn run(global: &Global, command: DonationsCommand) -> anyhow::Result<ExitCode> {
    let DonationsCommand::Export { file } = command;
    let config = load_config(&sources(global, None, None))?;
    let store = open_store(&config).await?;
    let (rows, totals) = store.list_donations(&DonationFilter::default()).await?;
    store.close().await;
    let body = tidings_donations::donations_csv(&rows)?;
    if file.as_os_str() == "-" {
        std::io::stdout().write_all(&body)?;
        return Ok(ExitCode::SUCCESS);
    }
    std::fs::write(&file, body)?;
    println!("{} gift(s) written to {}.", rows.len(), file.display());
    for (currency, gross, _, refunded, n) in totals {
        println!(
            "  {currency}: {n} paid, {} gross, {} refunded",
            tidings_donations::format_stored(&currency, gross),
            tidings_donations::format_stored(&currency, refunded)
        );
    }
    Ok(ExitCode::SUCCESS)
}
