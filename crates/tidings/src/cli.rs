//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Self-hosted publishing for independent newsrooms.
#[derive(Debug, Parser)]
#[command(name = "tidings", version, about)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: Global,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes, so commands run beside a live server act on its data.
#[derive(Debug, Args, Clone, Default)]
pub struct Global {
    /// Configuration file (default: ./tidings.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data folder: SQLite database, outbox, media, theme overrides (env TIDINGS_SERVER__DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the site, admin, API and background workers.
    Serve(Listen),
    /// Serve a sample newsroom from a temporary data folder (or an empty --data-dir).
    Demo(Listen),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Validate the configuration and check the database and folders.
    Check,
    /// Manage newsroom accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Import or export newsletter subscribers as CSV.
    #[command(subcommand)]
    Subscribers(SubscribersCommand),
    /// Preview or send the daily digest.
    #[command(subcommand)]
    Newsletter(NewsletterCommand),
    /// Move a site in from another platform.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Run only the background jobs (mail, the digest, sending, renewals, scheduled publishing),
    /// for a site whose web nodes run `serve --no-jobs`.
    Worker,
    /// Donations: export them as CSV.
    #[command(subcommand)]
    Donations(DonationsCommand),
    /// Write the whole site (content, people, subscribers, donations, settings) to one JSON file.
    Export {
        /// The file to write (docs/export-format.md describes it).
        file: PathBuf,
        /// Also copy the media files into this folder.
        #[arg(long, value_name = "DIR")]
        media: Option<PathBuf>,
    },
    /// Copy the running site (database as of one moment, media, checksummed manifest) into a new folder.
    Backup {
        /// A new or empty folder.
        dir: PathBuf,
    },
    /// Restore a backup into an empty data folder (or empty database), after checking every file.
    Restore {
        /// The backup's folder (the one holding manifest.json).
        dir: PathBuf,
    },
    /// Make the AVIF copies of one stored photo (the background job runs this in a process of
    /// its own, so that the encoder's memory is returned when it ends).
    #[command(hide = true)]
    AvifEncode(AvifEncode),
}

/// `tidings avif-encode MEDIA_DIR PATH [--widths=480,800] [--webp]`
#[derive(Debug, Args)]
pub struct AvifEncode {
    /// The media folder.
    pub media_dir: PathBuf,
    /// The photo's path under it (its original-size JPEG).
    pub path: String,
    /// Widths of its narrower copies, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub widths: Vec<i64>,
    /// Whether it has WebP twins (which the AVIF copies must beat).
    #[arg(long)]
    pub webp: bool,
}

/// `tidings donations ...`
#[derive(Debug, Subcommand)]
pub enum DonationsCommand {
    /// Write every gift (with its donor, status, amounts and source) as CSV; `-` for standard output.
    Export {
        /// The CSV file to write.
        file: PathBuf,
    },
}

/// `tidings import ...`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// A WordPress export (Tools → Export → All content): posts, pages, authors, categories and
    /// tags, with every old address redirected to its new one. Safe to run again: it updates.
    Wordpress {
        /// The WXR file.
        file: PathBuf,
        /// The old site's `wp-content/uploads` folder: images are copied in through the media
        /// pipeline and posts point at the copies (without it, they stay links to the old site).
        #[arg(long, value_name = "DIR")]
        uploads: Option<PathBuf>,
        /// Check the file and print what would be imported; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where to write the report of every item skipped or changed (default: in the data folder).
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// GiveWP's donation history (Donations → Tools → Export → Export Donation History) and,
    /// better, its donors export beside it: every gift with its status, mode, form and date;
    /// subscriptions as monthly plans. Nothing is charged or mailed. Safe to run again.
    Givewp {
        /// The donations CSV.
        #[arg(long, value_name = "FILE")]
        donations: PathBuf,
        /// The donors CSV (Export Donors): names as typed, and addresses with their `+`.
        #[arg(long, value_name = "FILE")]
        donors: Option<PathBuf>,
        /// Check the files and print what would be imported; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where to write the report (default: in the data folder).
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// A Ghost export (Settings → Labs → Export your content): posts and pages (from HTML, or
    /// Lexical or Mobiledoc), tags and authors, at the addresses Ghost used. Safe to run again.
    Ghost {
        /// The JSON export.
        file: PathBuf,
        /// Ghost's `content/images` folder: images are copied in through the media pipeline.
        #[arg(long, value_name = "DIR")]
        images: Option<PathBuf>,
        /// Check the file and print what would be imported; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where to write the report (default: in the data folder).
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// A Substack export (Settings → Export your data: the zip, or the folder it unpacks to):
    /// posts, pages and podcasts with their dates, cleaned of Substack's widgets; paid posts held
    /// back. Subscribers come in with `tidings subscribers import`. Safe to run again.
    Substack {
        /// The export zip or folder.
        path: PathBuf,
        /// Check the export and print what would be imported; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where to write the report (default: in the data folder).
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// Ghost's members export (Members → Export): members subscribed to emails become confirmed
    /// subscribers (consent at their Ghost sign-up time), the others are kept and never mailed.
    GhostMembers {
        /// The members CSV.
        file: PathBuf,
        /// Check the file and print what would be imported; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where to list each member's labels and paid plan (default: in the data folder).
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// A Tidings export (`tidings export`), into an empty site: the same site again.
    Tidings {
        /// The export file.
        file: PathBuf,
        /// The media folder copied beside it by `tidings export --media`.
        #[arg(long, value_name = "DIR")]
        media: Option<PathBuf>,
    },
}

/// `tidings newsletter ...`
#[derive(Debug, Subcommand)]
pub enum NewsletterCommand {
    /// The next digest: show what it will carry, or send it now (replacing its scheduled send).
    Digest {
        /// Print the stories the next digest will carry, in order.
        #[arg(long, conflicts_with = "send", required_unless_present = "send")]
        preview: bool,
        /// Queue the next digest now and deliver it (and anything else waiting), with progress.
        #[arg(long)]
        send: bool,
    },
}

/// `tidings subscribers ...`
#[derive(Debug, Subcommand)]
pub enum SubscribersCommand {
    /// Import a Mailchimp or Substack export (or any CSV with an `email` column).
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Check every line and report, importing nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export every subscriber with status and consent record (`-` for standard output).
    Export {
        /// Where to write the CSV.
        file: PathBuf,
    },
}

/// `tidings user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account and print a one-time sign-in link for it.
    Add {
        /// Email address.
        #[arg(long)]
        email: String,
        /// owner, administrator, editor, author or contributor.
        #[arg(long)]
        role: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Make an API token for an account and print it (shown this once).
    Token {
        /// The account's email address.
        #[arg(long)]
        email: String,
        /// What uses the token, e.g. "Print bridge".
        #[arg(long)]
        name: String,
        /// A scope (repeat for more): content:read, content:write, content:publish,
        /// subscribers:read, subscribers:write, donations:read.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Days until it stops working; 0 for never.
        #[arg(long, default_value_t = 90)]
        expires_days: i64,
    },
}

/// Where to listen.
#[derive(Debug, Args, Clone, Default)]
pub struct Listen {
    /// Address and port, e.g. 127.0.0.1:8080 (env TIDINGS_SERVER__LISTEN).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Answer requests only; leave background jobs to `tidings worker` (env TIDINGS_SERVER__JOBS=false).
    #[arg(long)]
    pub no_jobs: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_work_after_the_subcommand() {
        let cli = Cli::parse_from(["tidings", "migrate", "--data-dir", "/tmp/x"]);
        assert_eq!(cli.global.data_dir, Some(PathBuf::from("/tmp/x")));
        let cli = Cli::parse_from(["tidings", "demo", "--listen", "127.0.0.1:0"]);
        assert!(matches!(
            cli.command,
            Some(Command::Demo(Listen {
                listen: Some(_),
                no_jobs: false
            }))
        ));
        let cli = Cli::parse_from(["tidings", "serve", "--no-jobs"]);
        assert!(matches!(
            cli.command,
            Some(Command::Serve(Listen { no_jobs: true, .. }))
        ));
        assert!(matches!(
            Cli::parse_from(["tidings", "worker"]).command,
            Some(Command::Worker)
        ));
        assert!(Cli::parse_from(["tidings"]).command.is_none());
        let cli = Cli::parse_from([
            "tidings", "user", "add", "--email", "a@b.org", "--role", "editor",
        ]);
        assert!(matches!(
            cli.command,
            Some(Command::User(UserCommand::Add { .. }))
        ));
    }
}
