//! `tidings import givewp --donations FILE [--donors FILE] [--dry-run] [--report FILE]`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tidings_import::givewp::{self, Plan};

use crate::cli::Global;
use crate::cmd::{load_config, run_import, sources, write_report};

fn print_plan(plan: &Plan) {
    println!("GiveWP export: {} gift(s)", plan.gifts());
    for (label, n) in &plan.by_status {
        println!("  {n:>6} {label}");
    }
    if plan.test_mode > 0 {
        println!(
            "  {} made in GiveWP's test mode: kept as test gifts (no money moved)",
            plan.test_mode
        );
    }
    println!("Completed gifts by form (live mode):");
    for (form, totals) in &plan.by_form {
        for (currency, (n, minor)) in totals {
            println!(
                "  {form}: {n} gift(s), {}",
                tidings_donations::format_stored(currency, *minor)
            );
        }
    }
    println!(
        "{} donor(s); {} monthly plan(s) moved in",
        plan.move_in.donors.len(),
        plan.move_in.plans.len()
    );
    for p in &plan.plans {
        println!("  {p}");
    }
    if !plan.plus_suspects.is_empty() {
        println!(
            "{} address(es) may have lost a `+` (listed in the report)",
            plan.plus_suspects.len()
        );
    }
}

/// Runs the GiveWP import.
pub async fn run(
    global: &Global,
    donations: &Path,
    donors: Option<&Path>,
    dry_run: bool,
    report: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let config = load_config(&sources(global, None, None))?;
    let plan = givewp::plan(donations, donors, config.timezone())?;
    print_plan(&plan);
    if dry_run {
        println!("Nothing was written (--dry-run).");
        return Ok(ExitCode::SUCCESS);
    }
    let plan = &plan;
    let done = run_import(&config, false, |store| async move {
        givewp::import(&store, plan).await
    })
    .await?;
    println!(
        "Imported: {} gift(s) created, {} completed with what this file adds, {} unchanged; {} donor(s), {} plan(s) and {} campaign(s) created. Nothing was charged and no email was sent.",
        done.gifts_created,
        done.gifts_updated,
        plan.gifts() as u64 - done.gifts_created - done.gifts_updated,
        done.donors_created,
        done.plans_created,
        done.campaigns_created
    );
    let lines: Vec<String> = plan
        .plans
        .iter()
        .map(|p| format!("monthly plan {p}"))
        .chain(plan.notes.iter().cloned())
        .collect();
    write_report(
        &config,
        report,
        "givewp",
        &lines,
        "note(s) (plans to continue, comments, addresses) are",
    )?;
    Ok(ExitCode::SUCCESS)
}
