//! `tidings check`: validate configuration and connections without changing anything.

use std::process::ExitCode;

use tidings_mail::{dns_advice, DkimSigner, MailOptions, Mailer};
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

    if config.site.url.is_empty() {
        println!(
            "warn site.url is not set: the site's public address is guessed from the listen address, \
             and requests for any host name are answered (set site.url to turn on the Host check)"
        );
    }
    if config.site.security_contact.is_empty() && config.mail.from.is_empty() {
        println!(
            "warn no site.security_contact (or mail.from): /.well-known/security.txt is not served"
        );
    }

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
                println!("ok   database: {} reachable and up to date", describe_db(&url));
                backup_age(&store, &config).await;
                identity(&store).await;
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

    failed |= !check_mail(&config).await;
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

/// Checks the mail transport and DKIM key, then prints the DNS records bulk senders need.
async fn check_mail(config: &tidings_config::Config) -> bool {
    let from = config.mail_from();
    let domain = config.mail_domain();
    let mut ok = true;
    let dkim = match &config.mail.dkim_key_file {
        Some(path) => match DkimSigner::load(path, &config.mail.dkim_selector, &domain) {
            Ok(signer) => {
                println!("ok   DKIM: signing as {}", signer.record_name());
                Some(signer)
            }
            Err(e) => {
                println!("FAIL DKIM: {e}");
                ok = false;
                None
            }
        },
        None => None,
    };
    let host = url::Url::parse(&config.mail.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string));
    let smtp_host = host.as_deref().filter(|_| config.mail.url != "outbox");
    let advice = dns_advice(&domain, smtp_host, dkim.as_ref());
    let options = MailOptions {
        connections: 1,
        dkim,
    };
    match Mailer::with_options(&config.mail.url, &from, &config.server.data_dir, options) {
        Ok(mailer) if config.mail.url == "outbox" => match mailer.test_connection().await {
            Ok(()) => println!(
                "ok   mail: outbox folder {} (nothing leaves this machine)",
                config.server.data_dir.join("outbox").display()
            ),
            Err(e) => {
                ok = false;
                println!("FAIL mail: {e}");
            }
        },
        Ok(mailer) => match mailer.test_connection().await {
            Ok(()) => println!(
                "ok   mail: SMTP server {} answers; sending as {from}",
                host.as_deref().unwrap_or("?")
            ),
            Err(e) => {
                ok = false;
                println!(
                    "FAIL mail: SMTP server {}: {e}",
                    host.as_deref().unwrap_or("?")
                );
            }
        },
        Err(e) => {
            ok = false;
            println!("FAIL mail: {e}");
        }
    }
    println!("\nDNS records for mail from {domain} (Gmail, Yahoo and Microsoft require all three of bulk senders):");
    for a in advice {
        println!(
            "  {:<5} TXT {}\n        \"{}\"\n        {}",
            a.purpose, a.name, a.value, a.note
        );
    }
    ok
}

/// Warns when no backup finished in the last two days (a warning: the exit code stays as it is).
async fn backup_age(store: &Store, config: &tidings_config::Config) {
    let last = match store.settings().await {
        Ok(s) => s.get(tidings_backup::LAST_BACKUP).parse::<i64>().ok(),
        Err(_) => return,
    };
    let nightly = match &config.backup.dir {
        Some(dir) => format!("nightly backups go to {}", dir.display()),
        None => "set backup.dir for nightly backups".to_string(),
    };
    let now = chrono::Utc::now().timestamp();
    match last {
        Some(at) if now - at <= 2 * 86_400 => {
            let when = chrono::DateTime::from_timestamp(at, 0).unwrap_or_default();
            println!(
                "ok   backup: the last one finished {} UTC; {nightly}",
                when.format("%Y-%m-%d %H:%M")
            )
        }
        Some(at) => println!(
            "warn backup: none for {} days (run `tidings backup DIR`, or {nightly})",
            (now - at) / 86_400
        ),
        None => {
            println!("warn backup: none has been taken (run `tidings backup DIR`, or {nightly})")
        }
    }
}

/// Warns when receipts and newsletter footers would go out without the address the law asks for.
async fn identity(store: &Store) {
    let Ok(settings) = store.settings().await else {
        return;
    };
    if settings.get("organisation_address").trim().is_empty() {
        println!(
            "warn organisation: no postal address; receipts and newsletter footers need one              (admin → Settings → Organisation)"
        );
    }
}
