//! The runner: claim, run, record, with leases renewed while a job runs and given back on stop.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tidings_store::{Job, Store, StoreError};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// What a handler answers: done, or why not.
pub type JobResult = Result<(), JobError>;

/// Why a run failed, and whether trying again could help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    /// What went wrong (kept with the job, shown in the admin).
    pub message: String,
    /// No retry can succeed (a mail server refused the address for good): failed at once.
    pub permanent: bool,
}

impl JobError {
    /// A failure no retry can mend.
    pub fn permanent(message: impl Into<String>) -> Self {
        JobError {
            message: message.into(),
            permanent: true,
        }
    }
}

impl From<String> for JobError {
    /// A failure worth retrying.
    fn from(message: String) -> Self {
        JobError {
            message,
            permanent: false,
        }
    }
}

/// Runs one job.
pub type Handler =
    Arc<dyn Fn(Job) -> Pin<Box<dyn Future<Output = JobResult> + Send>> + Send + Sync>;

/// How a kind of job is run. How many attempts a job gets is the job's own (set when it is
/// queued: ten unless its kind says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The first retry waits this long; each later one twice as long (at most an hour).
    pub first_backoff_secs: i64,
    /// Seconds between runs, for a recurring job.
    pub period_secs: Option<i64>,
}

impl Spec {
    /// A job that runs once, retried after `first_backoff_secs`, then twice as long each time.
    pub fn once(first_backoff_secs: i64) -> Spec {
        Spec {
            first_backoff_secs,
            period_secs: None,
        }
    }

    /// A job that runs every `period_secs` (a failed run waits for the next slot).
    pub fn every(period_secs: i64) -> Spec {
        Spec {
            first_backoff_secs: 0,
            period_secs: Some(period_secs),
        }
    }

    /// When to try again after `attempts` of `max_attempts` failed; `None` when they are used up.
    pub fn retry_at(&self, now: i64, attempts: i64, max_attempts: i64) -> Option<i64> {
        if self.period_secs.is_some() || attempts >= max_attempts {
            return None;
        }
        let wait = self.first_backoff_secs.max(1) << (attempts - 1).clamp(0, 12);
        Some(now + wait.min(3600))
    }
}

type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Claims and runs jobs of the kinds registered with it.
#[derive(Clone)]
pub struct Runner {
    store: Store,
    owner: String,
    kinds: Arc<HashMap<String, (Spec, Handler)>>,
    concurrency: usize,
    lease_secs: i64,
    poll: Duration,
    clock: Clock,
}

impl Runner {
    /// A runner over `store` with no kinds yet, named uniquely (its leases carry the name).
    pub fn new(store: Store) -> Runner {
        let owner = format!(
            "{}-{}",
            std::process::id(),
            &tidings_accounts::new_token()[..8]
        );
        Runner {
            store,
            owner,
            kinds: Arc::new(HashMap::new()),
            concurrency: 4,
            lease_secs: 10,
            poll: Duration::from_millis(500),
            clock: Arc::new(|| chrono::Utc::now().timestamp()),
        }
    }

    /// Registers the handler for `kind`.
    pub fn register<F, Fut>(mut self, kind: &str, spec: Spec, handler: F) -> Runner
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = JobResult> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |job| Box::pin(handler(job)));
        Arc::make_mut(&mut self.kinds).insert(kind.to_string(), (spec, handler));
        self
    }

    /// Reads the time from `clock` (Unix seconds) instead of the system clock, for tests.
    pub fn with_clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Runner {
        self.clock = Arc::new(clock);
        self
    }

    /// How long a claim holds without renewal (renewed every third of it while the job runs).
    pub fn with_lease(mut self, secs: i64) -> Runner {
        self.lease_secs = secs.max(1);
        self
    }

    /// How many jobs run at once.
    pub fn with_concurrency(mut self, n: usize) -> Runner {
        self.concurrency = n.max(1);
        self
    }

    /// How often to look for due jobs when there is nothing to do.
    pub fn with_poll(mut self, poll: Duration) -> Runner {
        self.poll = poll;
        self
    }

    /// This runner's name, as its leases record it.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    fn kind_names(&self) -> Vec<&str> {
        self.kinds.keys().map(String::as_str).collect()
    }

    /// Creates the rows of the recurring kinds that have none yet.
    pub async fn schedule(&self) -> Result<(), StoreError> {
        let now = (self.clock)();
        for (kind, (spec, _)) in self.kinds.iter() {
            if let Some(period) = spec.period_secs {
                self.store.ensure_recurring(kind, period, now).await?;
            }
        }
        Ok(())
    }

    /// One round: puts back jobs whose lease ran out, claims what is due (up to the concurrency)
    /// and runs it to the end. Answers how many jobs ran.
    pub async fn run_due(&self) -> Result<usize, StoreError> {
        let now = (self.clock)();
        self.store.release_expired_jobs(now).await?;
        let jobs = self
            .store
            .claim_jobs(
                &self.owner,
                &self.kind_names(),
                self.concurrency as i64,
                now,
                now + self.lease_secs,
            )
            .await?;
        let n = jobs.len();
        let mut running = JoinSet::new();
        for job in jobs {
            running.spawn(self.clone().run_one(job));
        }
        while let Some(done) = running.join_next().await {
            if let Ok(Err(e)) = done {
                tracing::warn!(error = %e, "cannot record a job's outcome");
            }
        }
        Ok(n)
    }

    /// Runs one claimed job and records how it went.
    async fn run_one(self, job: Job) -> Result<(), StoreError> {
        let Some((spec, handler)) = self.kinds.get(&job.kind).cloned() else {
            return Ok(());
        };
        // A panicking handler is a failed attempt, not a dead runner.
        let outcome = match tokio::spawn(handler(job.clone())).await {
            Ok(result) => result,
            Err(e) => Err(format!("the handler stopped: {e}").into()),
        };
        let now = (self.clock)();
        match outcome {
            Ok(()) => {
                if !self.store.finish_job(&job, &self.owner, now).await? {
                    tracing::warn!(job = job.id, kind = %job.kind, "job finished after its lease was lost");
                }
            }
            Err(JobError { message, permanent }) => {
                let error = message;
                let retry = if permanent {
                    None
                } else {
                    spec.retry_at(now, job.attempts.max(1), job.max_attempts)
                };
                match retry {
                    Some(_) => {
                        tracing::warn!(job = job.id, kind = %job.kind, %error, "job failed; will retry")
                    }
                    None => tracing::error!(job = job.id, kind = %job.kind, %error, "job failed"),
                }
                self.store
                    .fail_job(&job, &self.owner, &error, retry, now)
                    .await?;
            }
        }
        Ok(())
    }

    /// Runs until `stop` turns true: claims due jobs as slots free up, renews the leases it holds,
    /// and on stop claims nothing more, lets running jobs finish for up to `grace`, then gives back
    /// (unrun) whatever it still holds.
    pub async fn run(self, mut stop: watch::Receiver<bool>, grace: Duration) {
        if let Err(e) = self.schedule().await {
            tracing::warn!(error = %e, "cannot set up recurring jobs");
        }
        let mut running: JoinSet<Result<(), StoreError>> = JoinSet::new();
        let renew_every = Duration::from_secs((self.lease_secs / 3).max(1) as u64);
        let mut last_renewal = tokio::time::Instant::now();
        let kinds = self.kind_names();
        loop {
            if *stop.borrow() {
                break;
            }
            let room = self.concurrency.saturating_sub(running.len());
            let mut claimed = 0;
            if room > 0 {
                let now = (self.clock)();
                let claim = async {
                    self.store.release_expired_jobs(now).await?;
                    self.store
                        .claim_jobs(&self.owner, &kinds, room as i64, now, now + self.lease_secs)
                        .await
                };
                match claim.await {
                    Ok(jobs) => {
                        claimed = jobs.len();
                        for job in jobs {
                            running.spawn(self.clone().run_one(job));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot claim jobs"),
                }
            }
            if last_renewal.elapsed() >= renew_every && !running.is_empty() {
                let now = (self.clock)();
                if let Err(e) = self
                    .store
                    .renew_job_leases(&self.owner, now + self.lease_secs)
                    .await
                {
                    tracing::warn!(error = %e, "cannot renew job leases");
                }
                last_renewal = tokio::time::Instant::now();
            }
            // Look again at once when a full claim suggests more is waiting; otherwise when a job
            // ends, at the next poll, or on stop.
            if claimed > 0 && claimed == room {
                while let Some(Ok(Err(e))) = running.try_join_next() {
                    tracing::warn!(error = %e, "cannot record a job's outcome");
                }
                if running.len() < self.concurrency {
                    continue;
                }
            }
            tokio::select! {
                Some(done) = running.join_next(), if !running.is_empty() => {
                    if let Ok(Err(e)) = done {
                        tracing::warn!(error = %e, "cannot record a job's outcome");
                    }
                }
                _ = tokio::time::sleep(self.poll) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        }
        // Stopping: finish what runs, within the grace period.
        let deadline = tokio::time::sleep(grace);
        tokio::pin!(deadline);
        while !running.is_empty() {
            tokio::select! {
                _ = running.join_next() => {}
                _ = &mut deadline => {
                    tracing::warn!(count = running.len(), "jobs still running at shutdown; giving them back");
                    running.abort_all();
                    break;
                }
            }
        }
        while running.join_next().await.is_some() {}
        match self.store.release_jobs(&self.owner).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "jobs given back for another runner"),
            Err(e) => {
                tracing::warn!(error = %e, "cannot give back jobs; their leases will run out")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_then_stop() {
        let spec = Spec::once(60);
        assert_eq!(spec.retry_at(0, 1, 5), Some(60));
        assert_eq!(spec.retry_at(0, 2, 5), Some(120));
        assert_eq!(spec.retry_at(0, 4, 5), Some(480));
        assert_eq!(spec.retry_at(0, 5, 5), None);
        assert_eq!(Spec::once(600).retry_at(0, 10, 20), Some(3600));
        assert_eq!(Spec::every(60).retry_at(0, 1, 5), None);
    }
}
