//! `tidings export`, `tidings import tidings`, `tidings backup` and `tidings restore`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use tidings_backup::{backup::copy_tree, Target};

use crate::cli::Global;
use crate::cmd::{describe_db, load_config, open_store, sources, spinner};

fn media_dir(config: &tidings_config::Config) -> PathBuf {
    config.server.data_dir.join("media")
}

/// `tidings export FILE [--media DIR]`
pub async fn export(
    global: &Global,
    file: &Path,
    media: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let config = load_config(&sources(global, None, None))?;
    let store = open_store(&config).await?;
    let part = file.with_extension("json.part");
    let out =
        std::fs::File::create(&part).with_context(|| format!("creating {}", part.display()))?;
    let bar = spinner("rows");
    let progress = |table: &str, n: u64| {
        if let Some(bar) = &bar {
            bar.set_message(table.to_string());
            bar.set_position(n);
        }
    };
    let counts = tidings_backup::export(&store, out, &progress).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    store.close().await;
    let counts = match counts {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e.into());
        }
    };
    std::fs::rename(&part, file)?;
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    println!("Exported {total} row(s) to {}:", file.display());
    for (table, n) in counts.iter().filter(|(_, n)| *n > 0) {
        println!("  {n:>8} {table}");
    }
    if let Some(dir) = media {
        let from = media_dir(&config);
        if from.is_dir() {
            copy_tree(&from, &dir)
                .with_context(|| format!("copying media to {}", dir.display()))?;
            println!("Media copied to {}.", dir.display());
        } else {
            println!("No media folder at {}: nothing to copy.", from.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `tidings import tidings FILE [--media DIR]`
pub async fn import(
    global: &Global,
    file: &Path,
    media: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let config = load_config(&sources(global, None, None))?;
    anyhow::ensure!(file.is_file(), "{}: no such file", file.display());
    if let Some(dir) = &media {
        anyhow::ensure!(dir.is_dir(), "--media {}: not a folder", dir.display());
    }
    std::fs::create_dir_all(&config.server.data_dir)?;
    let store = open_store(&config).await?;
    let bar = spinner("rows written");
    let progress = |n: u64| {
        if let Some(bar) = &bar {
            bar.set_position(n);
        }
    };
    let result = tidings_backup::import(&store, file, &progress).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    store.close().await;
    let (header, counts) =
        result.with_context(|| format!("{}: nothing was imported", file.display()))?;
    let total: u64 = counts.values().sum();
    println!(
        "Imported {total} row(s) from {} (exported {}, format version {}) into {}:",
        file.display(),
        header.exported_at,
        header.version,
        describe_db(&config.database_url())
    );
    for (table, n) in &counts {
        println!("  {n:>8} {table}");
    }
    if let Some(dir) = media {
        copy_tree(&dir, &media_dir(&config))?;
        println!("Media copied from {}.", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `tidings backup DIR`
pub async fn backup(global: &Global, dir: &Path) -> anyhow::Result<ExitCode> {
    let config = load_config(&sources(global, None, None))?;
    let store = open_store(&config).await?;
    let bar = spinner("");
    if let Some(bar) = &bar {
        bar.set_message("backing up");
    }
    let result = tidings_backup::backup(&store, &media_dir(&config), dir).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    store.close().await;
    let manifest = result?;
    println!(
        "Backed up {} ({} file(s), {:.1} MB) to {}; `tidings restore {}` brings it back.",
        describe_db(&config.database_url()),
        manifest.files.len(),
        manifest.total_bytes() as f64 / 1_048_576.0,
        dir.display(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `tidings restore DIR`
pub async fn restore(global: &Global, dir: &Path) -> anyhow::Result<ExitCode> {
    let config = load_config(&sources(global, None, None))?;
    let sqlite_file = config
        .database
        .url
        .is_empty()
        .then(|| config.server.data_dir.join("tidings.db"));
    let target = Target {
        data_dir: &config.server.data_dir,
        sqlite_file,
    };
    let open = || async {
        open_store(&config)
            .await
            .map_err(|e| tidings_backup::BackupError::Refused(format!("{e:#}")))
    };
    let bar = spinner("");
    if let Some(bar) = &bar {
        bar.set_message("checking and restoring");
    }
    let restored = tidings_backup::restore(dir, target, open).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let restored = restored.with_context(|| format!("{}: nothing was restored", dir.display()))?;
    println!(
        "Restored the backup of {} ({} file(s) checked against its manifest) into {}.",
        restored.manifest.created_at,
        restored.manifest.files.len(),
        describe_db(&config.database_url())
    );
    Ok(ExitCode::SUCCESS)
}
