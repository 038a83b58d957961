//! `tidings demo`: a sample newsroom to look around in.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;

use crate::cli::{Global, Listen};
use crate::cmd::{load_config, open_store, shutdown_signal, sources};

/// Fills a fresh (or empty) data folder with sample content and serves it.
pub async fn run(global: &Global, listen: &Listen) -> anyhow::Result<ExitCode> {
    // A data dir named on the command line or in the environment is used; otherwise a temporary
    // one that disappears when the demo stops.
    let named = global.data_dir.is_some() || std::env::var_os("TIDINGS_SERVER__DATA_DIR").is_some();
    let temp = if named {
        None
    } else {
        Some(TempDataDir::create()?)
    };
    let data_dir: Option<PathBuf> = temp.as_ref().map(|t| t.0.clone());
    let mut config = load_config(&sources(global, listen.listen.as_deref(), data_dir))?;
    if config.site.title == tidings_config::SiteConfig::default().title {
        config.site.title = tidings_demo::DEMO_TITLE.to_string();
    }
    std::fs::create_dir_all(&config.server.data_dir)?;
    let store = open_store(&config).await?;
    if store.is_empty().await? {
        let media = config.server.data_dir.join("media");
        let s = tidings_demo::fill(&store, &media).await?;
        println!(
            "Sample newsroom created: {} articles ({} scheduled), {} pages, {} authors, {} sections.",
            s.published + s.scheduled,
            s.scheduled,
            s.pages,
            s.authors,
            s.tags
        );
    } else if store.settings().await?.get("demo") == "1" {
        println!(
            "Reusing the sample newsroom already in {}.",
            config.server.data_dir.display()
        );
    } else {
        bail!(
            "{} already holds a Tidings site that is not a demo; refusing to add sample content. \
             Use `tidings serve` for it, or give `demo` an empty --data-dir.",
            config.server.data_dir.display()
        );
    }
    println!("Data folder: {}", config.server.data_dir.display());
    println!(
        "Open {} in your browser (Ctrl-C to stop).",
        config.site_url()
    );
    tidings_server::serve(&config, store, shutdown_signal()).await?;
    drop(temp);
    Ok(ExitCode::SUCCESS)
}

/// A fresh folder in the system's temporary directory, removed when the demo ends.
struct TempDataDir(PathBuf);

impl TempDataDir {
    fn create() -> std::io::Result<TempDataDir> {
        let name = format!(
            "tidings-demo-{}-{}",
            std::process::id(),
            &tidings_accounts::new_token()[..12]
        );
        let path = std::env::temp_dir().join(name);
        // create_dir, not create_dir_all: the folder must be new, never someone else's.
        std::fs::create_dir(&path)?;
        Ok(TempDataDir(path))
    }
}

impl Drop for TempDataDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            eprintln!("could not remove {}: {e}", self.0.display());
        }
    }
}
