//! Layering: defaults < `tidings.toml` < `TIDINGS_<SECTION>__<KEY>` variables < command-line flags.

use std::path::{Path, PathBuf};

use crate::sections::Config;

/// Where configuration comes from, gathered by the caller so that loading stays pure and testable.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// Path given with `--config`; it must exist when given.
    pub file: Option<PathBuf>,
    /// Environment variables to consider (usually `std::env::vars()`).
    pub env: Vec<(String, String)>,
    /// `--listen` from the command line, which wins over everything else.
    pub listen: Option<String>,
    /// `--data-dir` from the command line, which wins over everything else.
    pub data_dir: Option<PathBuf>,
}

/// Why the configuration could not be loaded; the message names the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named by `--config` could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file's path.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax {
        /// The file's path.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// One or more keys are unknown or have bad values.
    #[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
    Invalid(Vec<String>),
}

/// Loads and validates the configuration from the given sources.
pub fn load(sources: &Sources) -> Result<Config, ConfigError> {
    let mut table = match &sources.file {
        Some(path) => read_file(path)?,
        None => toml::Table::new(),
    };
    // Keys the file sets, by where they came from (environment and flags are added below).
    let mut explicit: std::collections::BTreeMap<String, String> = Default::default();
    if let Some(path) = &sources.file {
        for (section, keys) in &table {
            if let toml::Value::Table(keys) = keys {
                for key in keys.keys() {
                    explicit.insert(format!("{section}.{key}"), path.display().to_string());
                }
            }
        }
    }
    let mut origins = Vec::new();
    let mut problems = Vec::new();
    for (name, value) in &sources.env {
        let Some(rest) = name.strip_prefix("TIDINGS_") else {
            continue;
        };
        // Only TIDINGS_<SECTION>__<KEY> is configuration; other TIDINGS_* variables are not ours.
        let Some((section, key)) = rest.split_once("__") else {
            continue;
        };
        if section.is_empty() || key.is_empty() || key.contains("__") {
            problems.push(format!(
                "environment variable {name}: expected TIDINGS_<SECTION>__<KEY>"
            ));
            continue;
        }
        let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
        set(
            &mut table,
            &section,
            &key,
            toml::Value::String(value.clone()),
        );
        origins.push((format!("{section}.{key}"), name.clone()));
    }
    if let Some(listen) = &sources.listen {
        set(&mut table, "server", "listen", listen.clone().into());
        origins.push(("server.listen".into(), "--listen".into()));
    }
    if let Some(dir) = &sources.data_dir {
        let dir = dir.to_string_lossy().into_owned();
        set(&mut table, "server", "data_dir", dir.into());
        origins.push(("server.data_dir".into(), "--data-dir".into()));
    }
    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }

    for (key, from) in &origins {
        explicit.insert(key.clone(), from.clone());
    }
    let mut config: Config =
        serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.inner().to_string();
            let origin = describe_origin(&path, &inner, &origins, sources.file.as_deref());
            ConfigError::Invalid(vec![format!("{path}: {inner}{origin}")])
        })?;
    config.explicit = explicit;
    let problems = config.validate();
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError::Invalid(problems))
    }
}

fn read_file(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Syntax {
        path: path.to_path_buf(),
        message: e.to_string().trim().to_string(),
    })
}

fn set(table: &mut toml::Table, section: &str, key: &str, value: toml::Value) {
    let entry = table
        .entry(section.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(t) = entry {
        t.insert(key.to_string(), value);
    } else {
        // A scalar where a section belongs: replace it so serde reports the key we were given.
        *entry = toml::Value::Table(toml::Table::from_iter([(key.to_string(), value)]));
    }
}

/// Says which variable or flag set a bad key, so the operator knows where to look.
fn describe_origin(
    path: &str,
    inner: &str,
    origins: &[(String, String)],
    file: Option<&Path>,
) -> String {
    let unknown = inner
        .strip_prefix("unknown field `")
        .and_then(|s| s.split('`').next());
    let full = match (unknown, path) {
        (Some(field), ".") => field.to_string(),
        (Some(field), p) if p == field || p.ends_with(&format!(".{field}")) => p.to_string(),
        (Some(field), p) => format!("{p}.{field}"),
        (None, p) => p.to_string(),
    };
    if let Some((_, from)) = origins
        .iter()
        .rev()
        .find(|(k, _)| *k == full || full.starts_with(&format!("{k}.")))
    {
        return format!(" (set by {from})");
    }
    if let Some((_, from)) = origins
        .iter()
        .rev()
        .find(|(k, _)| k.split('.').next() == Some(full.as_str()))
    {
        return format!(" (set by {from})");
    }
    match file {
        Some(f) => format!(" (in {})", f.display()),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Sources {
        Sources {
            env: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Sources::default()
        }
    }

    #[test]
    fn empty_config_serves_on_loopback_8080_with_local_data() {
        let c = load(&Sources::default()).unwrap();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.server.data_dir, PathBuf::from("./tidings-data"));
        assert_eq!(c.site_url(), "http://127.0.0.1:8080");
        assert!(c
            .database_url()
            .starts_with("sqlite://./tidings-data/tidings.db"));
        assert_eq!(c.newsletter.digest_time, "07:00");
        assert_eq!(c.payments.currency, "USD");
    }

    #[test]
    fn environment_overrides_file_and_flags_override_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tidings.toml");
        std::fs::write(
            &file,
            "[site]\ntitle = \"Harbour Post\"\ntimezone = \"Europe/Oslo\"\n[server]\nlisten = \"127.0.0.1:9000\"\n",
        )
        .unwrap();
        let mut s = env(&[
            ("TIDINGS_SITE__TIMEZONE", "America/Chicago"),
            ("TIDINGS_SERVER__LISTEN", "127.0.0.1:9001"),
            ("TIDINGS_DATABASE__MAX_CONNECTIONS", "3"),
            ("TIDINGS_SITE__FEED_FULL_CONTENT", "false"),
            ("TIDINGS_SERVER__TRUSTED_PROXIES", "127.0.0.1, ::1"),
            ("TIDINGS_TEST_DATABASE_URL", "postgres://ignored"),
            ("PATH", "/usr/bin"),
        ]);
        s.file = Some(file);
        let c = load(&s).unwrap();
        assert_eq!(c.site.title, "Harbour Post");
        assert_eq!(c.site.timezone, "America/Chicago");
        assert_eq!(c.server.listen.port(), 9001);
        assert_eq!(c.database.max_connections, 3);
        assert!(!c.site.feed_full_content);
        assert_eq!(c.server.trusted_proxies.len(), 2);
        // Which keys were set, and by what: defaults are not.
        assert_eq!(
            c.set_by("site.title"),
            Some(dir.path().join("tidings.toml").to_str().unwrap())
        );
        assert_eq!(c.set_by("site.timezone"), Some("TIDINGS_SITE__TIMEZONE"));
        assert_eq!(c.set_by("site.language"), None);
        assert_eq!(c.set_by("newsletter.digest_time"), None);
        s.listen = Some("127.0.0.1:9002".into());
        assert_eq!(load(&s).unwrap().server.listen.port(), 9002);
    }

    #[test]
    fn unknown_key_in_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tidings.toml");
        std::fs::write(&file, "[site]\ntitel = \"x\"\n").unwrap();
        let s = Sources {
            file: Some(file),
            ..Sources::default()
        };
        let msg = load(&s).unwrap_err().to_string();
        assert!(msg.contains("titel"), "{msg}");
        assert!(msg.contains("site"), "{msg}");
    }

    #[test]
    fn unknown_section_and_key_from_environment_are_named() {
        let msg = load(&env(&[("TIDINGS_SITE__COLOUR", "red")]))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("colour") && msg.contains("TIDINGS_SITE__COLOUR"),
            "{msg}"
        );
        let msg = load(&env(&[("TIDINGS_SERVR__LISTEN", "x")]))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("servr") && msg.contains("TIDINGS_SERVR__LISTEN"),
            "{msg}"
        );
    }

    #[test]
    fn bad_values_are_named_together() {
        let msg = load(&env(&[
            ("TIDINGS_SITE__TIMEZONE", "Mars/Olympus"),
            ("TIDINGS_NEWSLETTER__DIGEST_TIME", "25:00"),
            ("TIDINGS_PAYMENTS__CURRENCY", "dollars"),
        ]))
        .unwrap_err()
        .to_string();
        for needle in [
            "site.timezone",
            "newsletter.digest_time",
            "payments.currency",
        ] {
            assert!(msg.contains(needle), "{needle} missing from {msg}");
        }
        let msg = load(&env(&[("TIDINGS_SERVER__LISTEN", "localhost")]))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("server.listen"), "{msg}");
        let msg = load(&env(&[(
            "TIDINGS_SERVER__TRUSTED_PROXIES",
            "10.0.0.1, proxy",
        )]))
        .unwrap_err()
        .to_string();
        assert!(
            msg.contains("server.trusted_proxies") && msg.contains("proxy"),
            "{msg}"
        );
        let msg = load(&env(&[("TIDINGS_DATABASE__MAX_CONNECTIONS", "many")]))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("database.max_connections"), "{msg}");
    }

    #[test]
    fn live_payments_need_https_and_stripe_needs_its_secrets() {
        let msg = load(&env(&[("TIDINGS_PAYMENTS__GATEWAY", "stripe")]))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("payments.stripe_secret_key")
                && msg.contains("payments.stripe_webhook_secret"),
            "{msg}"
        );
        let live = [
            ("TIDINGS_PAYMENTS__GATEWAY", "stripe"),
            ("TIDINGS_PAYMENTS__STRIPE_SECRET_KEY", "sk_live_abc"),
            ("TIDINGS_PAYMENTS__STRIPE_WEBHOOK_SECRET", "whsec_abc"),
            ("TIDINGS_SITE__URL", "http://news.example"),
        ];
        let msg = load(&env(&live)).unwrap_err().to_string();
        assert!(msg.contains("live Stripe keys need HTTPS"), "{msg}");
        let mut https = live.to_vec();
        https[3] = ("TIDINGS_SITE__URL", "https://news.example");
        assert!(load(&env(&https)).is_ok());
        let mut proxied = live.to_vec();
        proxied.push(("TIDINGS_SERVER__TRUSTED_PROXIES", "127.0.0.1"));
        assert!(
            load(&env(&proxied)).is_ok(),
            "TLS ends at a configured proxy"
        );
        let mut test_key = live.to_vec();
        test_key[1] = ("TIDINGS_PAYMENTS__STRIPE_SECRET_KEY", "sk_test_abc");
        assert!(
            load(&env(&test_key)).is_ok(),
            "test mode may run on plain HTTP"
        );
    }

    #[test]
    fn malformed_file_and_missing_file_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tidings.toml");
        std::fs::write(&file, "[site\n").unwrap();
        let s = Sources {
            file: Some(file.clone()),
            ..Sources::default()
        };
        assert!(matches!(load(&s), Err(ConfigError::Syntax { .. })));
        let s = Sources {
            file: Some(dir.path().join("missing.toml")),
            ..Sources::default()
        };
        assert!(matches!(load(&s), Err(ConfigError::Read { .. })));
    }

    #[test]
    fn database_password_is_not_echoed() {
        let msg = load(&env(&[("TIDINGS_DATABASE__URL", "mysql://u:secret@h/db")]))
            .unwrap_err()
            .to_string();
        assert!(!msg.contains("secret"), "{msg}");
    }

    #[test]
    fn a_dns_resolver_must_be_an_address() {
        let msg = load(&env(&[("TIDINGS_MAIL__DNS_RESOLVER", "dns.example")]))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("mail.dns_resolver: `dns.example`"), "{msg}");
        for ok in ["", "9.9.9.9", "127.0.0.1:5353", "[::1]:53"] {
            assert!(
                load(&env(&[("TIDINGS_MAIL__DNS_RESOLVER", ok)])).is_ok(),
                "{ok}"
            );
        }
    }

    #[test]
    fn api_cors_origins_are_origins() {
        for bad in [
            "app.example.org",
            "https://app.example.org/",
            "https://a.example/x",
            "ftp://a.example",
        ] {
            let msg = load(&env(&[("TIDINGS_API__CORS_ORIGINS", bad)]))
                .unwrap_err()
                .to_string();
            assert!(msg.contains("api.cors_origins"), "{bad}: {msg}");
        }
        let c = load(&env(&[(
            "TIDINGS_API__CORS_ORIGINS",
            "https://app.example.org,http://localhost:3000",
        )]))
        .unwrap();
        assert_eq!(c.api.cors_origins.len(), 2);
        assert_eq!(load(&env(&[])).unwrap().api.cors_origins, ["*"]);
    }

    #[test]
    fn a_replica_must_be_on_the_primary_engine() {
        let msg = load(&env(&[(
            "TIDINGS_DATABASE__REPLICA_URL",
            "postgres://reader:secret@replica/news",
        )]))
        .unwrap_err()
        .to_string();
        assert!(msg.contains("database.replica_url"), "{msg}");
        assert!(!msg.contains("secret"), "the password is not shown: {msg}");
        let c = load(&env(&[
            ("TIDINGS_DATABASE__URL", "postgres://db/news"),
            ("TIDINGS_DATABASE__REPLICA_URL", "postgres://replica/news"),
        ]))
        .unwrap();
        assert_eq!(c.database.replica_url, "postgres://replica/news");
    }

    #[test]
    fn metrics_and_log_keys_are_checked() {
        for (name, bad, key) in [
            ("TIDINGS_METRICS__LISTEN", "localhost", "metrics.listen"),
            ("TIDINGS_METRICS__TOKEN", "short", "metrics.token"),
            (
                "TIDINGS_METRICS__TOKEN",
                "has a space in it, long enough",
                "metrics.token",
            ),
            ("TIDINGS_LOG__FORMAT", "xml", "log.format"),
        ] {
            let msg = load(&env(&[(name, bad)])).unwrap_err().to_string();
            assert!(msg.contains(key), "{bad}: {msg}");
        }
        let off = load(&env(&[])).unwrap();
        assert_eq!(off.metrics.listen_addr(), None);
        assert!(!off.log.json());
        let on = load(&env(&[
            ("TIDINGS_METRICS__LISTEN", "127.0.0.1:9100"),
            ("TIDINGS_METRICS__TOKEN", "0123456789abcdef"),
            ("TIDINGS_LOG__FORMAT", "json"),
        ]))
        .unwrap();
        assert_eq!(
            on.metrics.listen_addr(),
            Some("127.0.0.1:9100".parse().unwrap())
        );
        assert!(on.log.json());
    }

    #[test]
    fn smtp_credentials_without_tls_are_refused() {
        for url in [
            "smtp://user:secret@mail.example.org:587",
            "smtp://user:secret@mail.example.org:587?tls=opportunistic",
        ] {
            let msg = load(&env(&[("TIDINGS_MAIL__URL", url)]))
                .unwrap_err()
                .to_string();
            assert!(msg.contains("in clear"), "{msg}");
            assert!(!msg.contains("secret"), "{msg}");
        }
        for url in [
            "smtp://user:secret@mail.example.org:587?tls=required",
            "smtps://user:secret@mail.example.org",
            "smtp://127.0.0.1:2525",
        ] {
            assert!(load(&env(&[("TIDINGS_MAIL__URL", url)])).is_ok(), "{url}");
        }
    }

    #[test]
    fn edge_limits_have_defaults_and_bounds() {
        let c = load(&Sources::default()).unwrap();
        assert_eq!(c.server.body_timeout_secs, 30);
        assert_eq!(c.server.keep_alive_secs, 75);
        assert_eq!(c.server.max_connections, 10_000);
        let msg = load(&env(&[
            ("TIDINGS_SERVER__BODY_TIMEOUT_SECS", "0"),
            ("TIDINGS_SERVER__MAX_CONNECTIONS", "3"),
            ("TIDINGS_SITE__SECURITY_CONTACT", "security@example.org"),
        ]))
        .unwrap_err()
        .to_string();
        for key in [
            "server.body_timeout_secs",
            "server.max_connections",
            "site.security_contact",
        ] {
            assert!(msg.contains(key), "{msg}");
        }
        let c = load(&env(&[(
            "TIDINGS_SERVER__ALLOWED_HOSTS",
            "www.example.org, example.org:8443",
        )]))
        .unwrap();
        assert_eq!(
            c.server.allowed_hosts,
            ["www.example.org", "example.org:8443"]
        );
    }

    #[test]
    fn jobs_run_unless_turned_off_and_choices_are_typed() {
        let c = load(&Sources::default()).unwrap();
        assert!(c.server.jobs);
        assert_eq!(c.payments.gateway(), crate::PaymentGateway::Test);
        assert_eq!(c.payments.stripe_mode(), crate::StripeMode::Checkout);
        let c = load(&env(&[("TIDINGS_SERVER__JOBS", "false")])).unwrap();
        assert!(!c.server.jobs);
        let msg = load(&env(&[("TIDINGS_SERVER__JOBS", "sometimes")]))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("server.jobs"), "{msg}");
    }

    #[test]
    fn avif_copies_are_made_unless_turned_off() {
        assert!(load(&Sources::default()).unwrap().media.avif);
        let c = load(&env(&[("TIDINGS_MEDIA__AVIF", "false")])).unwrap();
        assert!(!c.media.avif);
        let msg = load(&env(&[("TIDINGS_MEDIA__AVIF", "webp")]))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("media.avif"), "{msg}");
    }
}
