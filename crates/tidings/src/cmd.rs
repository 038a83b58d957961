//! One module per command; each is a thin call into the library crates.

mod avif;
mod backup;
mod check;
mod demo;
mod donations;
mod ghost;
mod givewp;
mod import;
mod migrate;
mod newsletter;
mod serve;
mod subscribers;
mod substack;
mod user;
mod worker;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use tidings_config::{Config, Sources};
use tidings_store::Store;

use crate::cli::{Cli, Command, Global, Listen};

/// Runs the chosen command.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Ok(exe) = std::env::current_exe() {
        tidings_jobs::avif::encode_in_separate_processes(exe);
    }
    match cli.command {
        None => serve::run(&cli.global, &Listen::default()).await,
        Some(Command::Serve(listen)) => serve::run(&cli.global, &listen).await,
        Some(Command::Demo(listen)) => demo::run(&cli.global, &listen).await,
        Some(Command::Migrate) => migrate::run(&cli.global).await,
        Some(Command::Check) => check::run(&cli.global).await,
        Some(Command::User(command)) => user::run(&cli.global, command).await,
        Some(Command::Subscribers(command)) => subscribers::run(&cli.global, command).await,
        Some(Command::Newsletter(command)) => newsletter::run(&cli.global, command).await,
        Some(Command::Worker) => worker::run(&cli.global).await,
        Some(Command::Import(command)) => import::run(&cli.global, command).await,
        Some(Command::Donations(command)) => donations::run(&cli.global, command).await,
        Some(Command::Export { file, media }) => backup::export(&cli.global, &file, media).await,
        Some(Command::Backup { dir }) => backup::backup(&cli.global, &dir).await,
        Some(Command::Restore { dir }) => backup::restore(&cli.global, &dir).await,
        Some(Command::AvifEncode(args)) => Ok(avif::encode(&args)),
    }
}

/// Gathers configuration sources: `--config` (or ./tidings.toml), the environment, and flags.
pub fn sources(global: &Global, listen: Option<&str>, data_dir: Option<PathBuf>) -> Sources {
    let file = global.config.clone().or_else(|| {
        let default = Path::new("tidings.toml");
        default.exists().then(|| default.to_path_buf())
    });
    Sources {
        file,
        env: std::env::vars().collect(),
        listen: listen.map(str::to_string),
        data_dir: data_dir.or_else(|| global.data_dir.clone()),
    }
}

/// Loads the configuration, with the key at fault named on failure.
pub fn load_config(sources: &Sources) -> anyhow::Result<Config> {
    let config = tidings_config::load(sources)?;
    crate::logging::configure(&config);
    Ok(config)
}

/// Opens (creating and migrating if needed) the configured database.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let url = config.database_url();
    Store::open(&url, config.database.max_connections)
        .await
        .with_context(|| format!("opening the database ({})", describe_db(&url)))
}

/// Names a database for messages without showing a password.
pub fn describe_db(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) if u.scheme().starts_with("postgres") => format!(
            "PostgreSQL at {}{}",
            u.host_str().unwrap_or("localhost"),
            u.path()
        ),
        _ => format!(
            "SQLite file {}",
            url.trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap_or_default()
        ),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// Opens the site's store (creating the data folder), runs one import on it under a spinner, and
/// closes the store whatever the import did.
pub async fn run_import<T, E, Fut>(
    config: &Config,
    stories: bool,
    import: impl FnOnce(Store) -> Fut,
) -> anyhow::Result<T>
where
    Fut: std::future::Future<Output = Result<T, E>>,
    anyhow::Error: From<E>,
{
    std::fs::create_dir_all(&config.server.data_dir)?;
    let store = open_store(config).await?;
    let bar = spinner("");
    if let Some(bar) = &bar {
        bar.set_message("importing");
    }
    let result = import(store.for_bulk_import()).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    // Related lists are computed once, by a running server's job runner, not after every story.
    if stories {
        store.queue_related_refresh().await?;
    }
    store.close().await;
    Ok(result?)
}

/// A spinner with a count on a terminal; nothing when the output is a file or a pipe.
pub fn spinner(unit: &str) -> Option<indicatif::ProgressBar> {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(&if unit.is_empty() {
            "{spinner} {msg} {elapsed}".to_string()
        } else {
            format!("{{spinner}} {{msg}} {{pos}} {unit} {{per_sec}}")
        })
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}

/// Where an import's report goes: the path given, else `import-<source>-<time>.txt` in the data folder.
pub fn report_path(config: &Config, given: Option<PathBuf>, source: &str) -> PathBuf {
    given.unwrap_or_else(|| {
        config.server.data_dir.join(format!(
            "import-{source}-{}.txt",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        ))
    })
}

/// Writes an import's report, a line per item, and says where it is.
pub fn write_report(
    config: &Config,
    given: Option<PathBuf>,
    source: &str,
    lines: &[String],
    what: &str,
) -> anyhow::Result<()> {
    use std::io::Write;
    let path = report_path(config, given, source);
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?,
    );
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    println!("{} {what} listed in {}.", lines.len(), path.display());
    Ok(())
}
