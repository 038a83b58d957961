//! Every job the site runs, with its kind, schedule and handler. The table in
//! `docs/ARCHITECTURE.md` ("Background work") lists the same, with how each recovers.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use serde::Deserialize;
use tidings_donations::{Donations, CHARGE_FAILED_JOB, RECEIPT_JOB};
use tidings_mail::{Email, OUTBOX_JOB};
use tidings_newsletter::{Newsletters, QueueOutcome, Sender};
use tidings_store::Store;

use crate::runner::{JobError, Runner, Spec};

/// A mail failure as a job failure: a refusal for good (5xx) is not retried.
fn mail_failure(e: &tidings_mail::MailError) -> JobError {
    if e.is_permanent() {
        JobError::permanent(e.to_string())
    } else {
        e.to_string().into()
    }
}

/// A donation service failure as a job failure (its mail refused for good is not retried).
fn donation_failure(e: tidings_donations::DonationError) -> JobError {
    match &e {
        tidings_donations::DonationError::Mail(m) => mail_failure(m),
        _ => e.to_string().into(),
    }
}

/// Publishes scheduled articles whose time has come.
pub const PUBLISH: &str = "articles.publish_due";
/// Queues the daily digest when it is due.
pub const DIGEST: &str = "newsletter.digest";
/// Drains the newsletter delivery queue.
pub const SEND: &str = "newsletter.send";
/// Charges the test gateway's monthly gifts that are due.
pub const RENEW: &str = "donations.renew";
/// Deletes old read counts, rate-limit rows and finished jobs.
pub const PRUNE: &str = "maintenance.prune";
/// How long a finished newsletter keeps a row per subscriber (who got it, who failed and why)
/// before they are folded into its counts: a daily digest to a million readers would otherwise add
/// half a gigabyte a day.
pub const KEEP_DELIVERIES_SECS: i64 = 30 * 86_400;
/// Takes the nightly backup when one is configured.
pub const BACKUP: &str = "maintenance.backup";
/// Rebuilds the search index when the site's language changed (or it was never built).
pub const SEARCH_INDEX: &str = "search.index";

/// Makes AVIF copies of photos that have none yet, newest first.
pub const AVIF: &str = "media.avif";
/// How long one run of [`AVIF`] keeps taking the next photo (the next run goes on after it).
const AVIF_RUN: Duration = Duration::from_secs(60);

/// Sends one webhook delivery (queued with the event).
pub use tidings_store::DELIVER_JOB as WEBHOOK;

/// How long finished jobs are kept (the admin shows failed ones until retried).
const KEEP_DONE_SECS: i64 = 7 * 86_400;
/// How long a finished webhook delivery stays in its endpoint's log (as Stripe keeps its events).
const KEEP_WEBHOOK_LOG_SECS: i64 = 30 * 86_400;

/// The parts the site's jobs work on.
#[derive(Clone)]
pub struct Site {
    /// The repository.
    pub store: Store,
    /// The newsletter service.
    pub newsletters: Newsletters,
    /// The donation service.
    pub donations: Donations,
    /// The nightly backup, when `backup.dir` is set.
    pub backup: Option<Nightly>,
    /// Where uploaded images live (`<data dir>/media`).
    pub media_dir: PathBuf,
    /// Whether this process makes AVIF copies of photos (`media.avif`).
    pub avif: bool,
}

/// Where and when the nightly backup is taken.
#[derive(Clone, Debug)]
pub struct Nightly {
    /// The folder that holds the backups.
    pub dir: PathBuf,
    /// How many are kept.
    pub keep: usize,
    /// The local time after which each day's backup is taken.
    pub time: NaiveTime,
    /// The site's timezone.
    pub tz: Tz,
    /// The site's media folder.
    pub media_dir: PathBuf,
}

impl Nightly {
    /// From the configuration; `None` when no backup folder is set.
    pub fn from_config(config: &tidings_config::Config) -> Option<Nightly> {
        Some(Nightly {
            dir: config.backup.dir.clone()?,
            keep: config.backup.keep as usize,
            time: NaiveTime::parse_from_str(&config.backup.time, "%H:%M").ok()?,
            tz: config.timezone(),
            media_dir: config.server.data_dir.join("media"),
        })
    }

    /// Whether a backup is due at `now`, the last one having finished at `last` (epoch seconds):
    /// once today's backup time has passed and none was taken since.
    pub fn due(&self, now: DateTime<Utc>, last: Option<i64>) -> bool {
        let local = now.with_timezone(&self.tz).date_naive().and_time(self.time);
        let Some(today) = self.tz.from_local_datetime(&local).earliest() else {
            // The time does not exist today (a clock change): an hour later does.
            return last.is_none_or(|l| now.timestamp() - l > 86_400);
        };
        now >= today && last.is_none_or(|l| l < today.timestamp())
    }

    /// Takes a backup now into a new folder, then removes the ones beyond `keep`.
    pub async fn take(&self, store: &Store) -> Result<PathBuf, String> {
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        let name = tidings_backup::backup::folder_name(Utc::now());
        let mut folder = self.dir.join(&name);
        // Two backups within one second (one taken by hand beside the nightly one) stay apart.
        let mut n = 1;
        while folder.exists() {
            n += 1;
            folder = self.dir.join(format!("{name}-{n}"));
        }
        tidings_backup::backup(store, &self.media_dir, &folder)
            .await
            .map_err(|e| e.to_string())?;
        let removed = tidings_backup::prune(&self.dir, self.keep)
            .map_err(|e| format!("removing old backups in {}: {e}", self.dir.display()))?;
        for path in removed {
            tracing::info!(path = %path.display(), "old backup removed");
        }
        Ok(folder)
    }
}

#[derive(Deserialize)]
struct GiftRef {
    donation: i64,
    #[serde(default)]
    reason: String,
}

/// A job's input; one that cannot be read never will be.
fn payload<T: for<'de> Deserialize<'de>>(job: &tidings_store::Job) -> Result<T, JobError> {
    serde_json::from_str(&job.payload).map_err(|e| JobError::permanent(format!("payload: {e}")))
}

/// A runner with every job of the site registered.
pub fn runner(site: Site) -> Runner {
    let s = site.clone();
    let runner = Runner::new(site.store.clone()).register(PUBLISH, Spec::every(1), move |_| {
        let store = s.store.clone();
        async move {
            let n = store
                .publish_due(chrono::Utc::now())
                .await
                .map_err(|e| e.to_string())?;
            if n > 0 {
                tracing::info!(count = n, "published scheduled articles");
            }
            Ok(())
        }
    });
    let s = site.clone();
    let runner = runner.register(DIGEST, Spec::every(10), move |_| {
        let newsletters = s.newsletters.clone();
        async move {
            match newsletters.run_schedule(chrono::Utc::now()).await {
                Ok(Some(QueueOutcome::Queued(id))) => {
                    tracing::info!(newsletter = id, "daily digest queued");
                    Ok(())
                }
                Ok(_) => Ok(()),
                Err(e) => Err(e.to_string().into()),
            }
        }
    });
    let s = site.clone();
    let runner = runner.register(SEND, Spec::every(1), move |_| {
        let newsletters = s.newsletters.clone();
        async move {
            if !newsletters
                .store()
                .deliveries_waiting()
                .await
                .map_err(|e| e.to_string())?
            {
                return Ok(());
            }
            let report = Sender::new(newsletters)
                .run_due()
                .await
                .map_err(|e| e.to_string())?;
            if report != Default::default() {
                tracing::info!(?report, "newsletter deliveries processed");
            }
            Ok(())
        }
    });
    let s = site.clone();
    let runner = runner.register(RENEW, Spec::every(30), move |_| {
        let donations = s.donations.clone();
        async move {
            let n = donations
                .renew_due(chrono::Utc::now())
                .await
                .map_err(|e| e.to_string())?;
            if n > 0 {
                tracing::info!(count = n, "monthly gifts renewed");
            }
            Ok(())
        }
    });
    let s = site.clone();
    let runner = runner.register(
        tidings_store::RELATED_REFRESH_JOB,
        Spec::once(60),
        move |_| {
            let store = s.store.clone();
            async move {
                let n = store
                    .refresh_all_related()
                    .await
                    .map_err(|e| JobError::from(e.to_string()))?;
                tracing::info!(stories = n, "related coverage recomputed");
                Ok(())
            }
        },
    );
    let s = site.clone();
    let runner = runner.register(PRUNE, Spec::every(3600), move |_| {
        let store = s.store.clone();
        async move {
            let now = chrono::Utc::now();
            let prune = async {
                store.prune_reads(now - chrono::Duration::hours(48)).await?;
                // The longest rate window is a day.
                store.prune_rate_events(now.timestamp() - 86_400).await?;
                // Editors see the last eight weeks of searches.
                let oldest = (now - chrono::Duration::weeks(8))
                    .format("%G-W%V")
                    .to_string();
                store.prune_searches(&oldest).await?;
                store
                    .archive_deliveries(now.timestamp() - KEEP_DELIVERIES_SECS)
                    .await?;
                store
                    .prune_webhook_deliveries(now.timestamp() - KEEP_WEBHOOK_LOG_SECS)
                    .await?;
                store.prune_jobs(now.timestamp() - KEEP_DONE_SECS).await
            };
            prune
                .await
                .map(|_| ())
                .map_err(|e| JobError::from(e.to_string()))
        }
    });
    let s = site.clone();
    let runner = runner.register(BACKUP, Spec::every(300), move |_| {
        let (store, nightly) = (s.store.clone(), s.backup.clone());
        async move {
            let Some(nightly) = nightly else {
                return Ok(());
            };
            let settings = store.settings().await.map_err(|e| e.to_string())?;
            let last = settings
                .get(tidings_backup::LAST_BACKUP)
                .parse::<i64>()
                .ok();
            if !nightly.due(Utc::now(), last) {
                return Ok(());
            }
            let folder = nightly.take(&store).await?;
            tracing::info!(path = %folder.display(), "nightly backup taken");
            Ok(())
        }
    });
    let s = site.clone();
    let runner = if site.avif {
        runner.register(AVIF, Spec::every(5), move |_| {
            let (store, media_dir) = (s.store.clone(), s.media_dir.clone());
            async move { crate::avif::make_waiting(&store, &media_dir, AVIF_RUN).await }
        })
    } else {
        runner
    };
    let s = site.clone();
    let http = crate::webhooks::client();
    let runner = runner.register(WEBHOOK, Spec::once(60), move |job| {
        let (store, http) = (s.store.clone(), http.clone());
        async move { crate::webhooks::deliver(&store, &http, &job).await }
    });
    let s = site.clone();
    let runner = runner.register(SEARCH_INDEX, Spec::every(30), move |_| {
        let (store, newsletters) = (s.store.clone(), s.newsletters.clone());
        async move {
            let language = newsletters
                .site()
                .refresh(&store)
                .await
                .map_err(|e| e.to_string())?
                .language;
            if store
                .search_index_language()
                .await
                .map_err(|e| e.to_string())?
                == language
            {
                return Ok(());
            }
            let started = std::time::Instant::now();
            let count = store
                .rebuild_search_index(&language)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(%language, articles = count, secs = started.elapsed().as_secs_f64(), "search index rebuilt");
            Ok(())
        }
    });
    let s = site.clone();
    let runner = runner.register(OUTBOX_JOB, Spec::once(60), move |job| {
        let mailer = s.newsletters.mailer().clone();
        async move {
            let email: Email = payload(&job)?;
            mailer.send(&email).await.map_err(|e| mail_failure(&e))
        }
    });
    let s = site.clone();
    let runner = runner.register(RECEIPT_JOB, Spec::once(60), move |job| {
        let donations = s.donations.clone();
        async move {
            let gift: GiftRef = payload(&job)?;
            donations
                .send_receipt(gift.donation)
                .await
                .map_err(donation_failure)
        }
    });
    let s = site;
    runner.register(CHARGE_FAILED_JOB, Spec::once(60), move |job| {
        let donations = s.donations.clone();
        async move {
            let gift: GiftRef = payload(&job)?;
            donations
                .send_charge_failed(gift.donation, &gift.reason)
                .await
                .map_err(donation_failure)
        }
    })
}

/// The grace period running jobs get to finish when the process stops.
pub const STOP_GRACE: Duration = Duration::from_secs(10);
