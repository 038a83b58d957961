//! The jobs table: background work shared by every process on the database. A job is claimed under
//! a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), so two runners
//! never hold the same one; a runner that dies leaves a lease that runs out, and the job goes back
//! to the queue. Recurring jobs are rows too: after each run they wait for their next slot.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::{Backend, Store};
use crate::error::StoreError;
use crate::states::{decode, JobState};

/// A job to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// What kind of work (the runner's handler name).
    pub kind: String,
    /// The handler's input, as JSON.
    pub payload: String,
    /// At most one job per key: adding a second is a no-op.
    pub unique_key: Option<String>,
    /// Not before this time (Unix seconds).
    pub run_at: i64,
    /// Attempts before it is marked failed.
    pub max_attempts: i64,
}

impl NewJob {
    /// A job of `kind` with this JSON payload, due at `run_at`, tried up to ten times (with the
    /// runner's doubling pauses from a minute, about four hours: a mail server's outage of an
    /// afternoon delays a receipt rather than losing it).
    pub fn new(kind: &str, payload: String, run_at: i64) -> Self {
        NewJob {
            kind: kind.to_string(),
            payload,
            unique_key: None,
            run_at,
            max_attempts: 10,
        }
    }

    /// The same job, only once per `key`.
    pub fn once_per(mut self, key: String) -> Self {
        self.unique_key = Some(key);
        self
    }
}

/// A job as a runner holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Row id.
    pub id: i64,
    /// What kind of work.
    pub kind: String,
    /// The handler's input, as JSON.
    pub payload: String,
    /// Its unique key, if it has one.
    pub unique_key: Option<String>,
    /// This attempt's number (1 for the first).
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// Seconds between runs of a recurring job; 0 for a job that runs once.
    pub period_secs: i64,
    /// When it was due.
    pub run_at: i64,
}

/// A job as the admin lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JobRecord {
    /// Row id.
    pub id: i64,
    /// What kind of work.
    pub kind: String,
    /// Where it stands.
    pub status: JobState,
    /// Attempts made.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The last attempt's error.
    pub last_error: String,
    /// When it is (or was) due.
    pub run_at: i64,
    /// Seconds between runs of a recurring job; 0 for a job that runs once.
    pub period_secs: i64,
}

const JOB_COLUMNS: &str =
    "id, kind, payload, unique_key, attempts, max_attempts, period_secs, run_at";

fn job_from_row(row: &AnyRow) -> Result<Job, sqlx::Error> {
    Ok(Job {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
        unique_key: row.try_get("unique_key")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        period_secs: row.try_get("period_secs")?,
        run_at: row.try_get("run_at")?,
    })
}

/// The first slot of a recurring job after `now`: however long the downtime, it runs once for the
/// slots it missed, then keeps its rhythm.
pub fn next_slot(run_at: i64, period: i64, now: i64) -> i64 {
    if period <= 0 {
        return now;
    }
    if now < run_at {
        return run_at;
    }
    run_at + period * ((now - run_at) / period + 1)
}

/// Adds a job inside the caller's transaction (the outbox: the job commits with the change that
/// causes it, or not at all). Answers the new id, or `None` when its unique key is taken.
pub(crate) async fn enqueue_in(
    conn: &mut sqlx::AnyConnection,
    job: &NewJob,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO jobs (kind, payload, unique_key, status, run_at, max_attempts, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (unique_key) DO NOTHING RETURNING id",
    )
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(job.unique_key.as_deref())
    .bind(JobState::Queued.as_str())
    .bind(job.run_at)
    .bind(job.max_attempts)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.0))
}

impl Store {
    /// Adds a job; `None` when one with its unique key exists already.
    pub async fn enqueue_job(&self, job: &NewJob) -> Result<Option<i64>, StoreError> {
        let mut tx = self.write_tx().await?;
        let id = enqueue_in(&mut tx, job, crate::db::now()).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Makes sure the recurring job `kind` exists with this period (first due at `first_run`); an
    /// existing schedule keeps its next slot.
    pub async fn ensure_recurring(
        &self,
        kind: &str,
        period_secs: i64,
        first_run: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO jobs (kind, payload, unique_key, status, run_at, period_secs, created_at) \
             VALUES ($1, '{}', $2, $3, $4, $5, $4) \
             ON CONFLICT (unique_key) DO UPDATE SET period_secs = excluded.period_secs",
        )
        .bind(kind)
        .bind(format!("every:{kind}"))
        .bind(JobState::Queued.as_str())
        .bind(first_run)
        .bind(period_secs)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Claims up to `limit` due jobs of these kinds for `owner` until `lease_until`, counting an
    /// attempt for each. Another runner never gets the same rows while the lease holds.
    pub async fn claim_jobs(
        &self,
        owner: &str,
        kinds: &[&str],
        limit: i64,
        now: i64,
        lease_until: i64,
    ) -> Result<Vec<Job>, StoreError> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let lock = match self.backend() {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let kind_params: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 6)).collect();
        let sql = format!(
            "UPDATE jobs SET status = $1, lease_owner = $2, lease_until = $3, \
             attempts = attempts + 1 WHERE id IN (SELECT id FROM jobs WHERE status = $4 \
             AND run_at <= $5 AND kind IN ({}) ORDER BY run_at, id LIMIT {limit} {lock}) \
             RETURNING {JOB_COLUMNS}",
            kind_params.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(JobState::Running.as_str())
            .bind(owner)
            .bind(lease_until)
            .bind(JobState::Queued.as_str())
            .bind(now);
        for k in kinds {
            q = q.bind(*k);
        }
        let mut tx = self.write_tx().await?;
        let rows = q.fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let mut jobs = rows
            .iter()
            .map(job_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        jobs.sort_by_key(|j| (j.run_at, j.id));
        Ok(jobs)
    }

    /// Extends the lease on every job `owner` holds.
    pub async fn renew_job_leases(&self, owner: &str, lease_until: i64) -> Result<u64, StoreError> {
        let done =
            sqlx::query("UPDATE jobs SET lease_until = $1 WHERE status = $2 AND lease_owner = $3")
                .bind(lease_until)
                .bind(JobState::Running.as_str())
                .bind(owner)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }

    /// Records a run that went well: a job that runs once is done (its payload, which may hold a
    /// link, is cleared); a recurring one waits for its next slot. `false` when `owner` no longer
    /// holds it (its lease ran out and another runner took it).
    pub async fn finish_job(&self, job: &Job, owner: &str, now: i64) -> Result<bool, StoreError> {
        let done = if job.period_secs > 0 {
            sqlx::query(
                "UPDATE jobs SET status = $1, run_at = $2, attempts = 0, lease_owner = '', \
                 lease_until = 0, last_error = '', finished_at = $3 \
                 WHERE id = $4 AND status = $5 AND lease_owner = $6",
            )
            .bind(JobState::Queued.as_str())
            .bind(next_slot(job.run_at, job.period_secs, now))
        } else {
            sqlx::query(
                "UPDATE jobs SET status = $1, payload = '{}', run_at = $2, lease_owner = '', \
                 lease_until = 0, last_error = '', finished_at = $3 \
                 WHERE id = $4 AND status = $5 AND lease_owner = $6",
            )
            .bind(JobState::Done.as_str())
            .bind(job.run_at)
        }
        .bind(now)
        .bind(job.id)
        .bind(JobState::Running.as_str())
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records a run that went wrong: tried again at `retry_at`, or failed for good when that is
    /// `None` (a recurring job then waits for its next slot, keeping the error).
    pub async fn fail_job(
        &self,
        job: &Job,
        owner: &str,
        error: &str,
        retry_at: Option<i64>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let (status, run_at, attempts) = match retry_at {
            Some(at) => (JobState::Queued, at, job.attempts),
            None if job.period_secs > 0 => (
                JobState::Queued,
                next_slot(job.run_at, job.period_secs, now),
                0,
            ),
            None => (JobState::Failed, job.run_at, job.attempts),
        };
        let done = sqlx::query(
            "UPDATE jobs SET status = $1, run_at = $2, attempts = $3, last_error = $4, \
             lease_owner = '', lease_until = 0, finished_at = $5 \
             WHERE id = $6 AND status = $7 AND lease_owner = $8",
        )
        .bind(status.as_str())
        .bind(run_at)
        .bind(attempts)
        .bind(error.chars().take(2000).collect::<String>())
        .bind(now)
        .bind(job.id)
        .bind(JobState::Running.as_str())
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Puts back every job whose lease ran out (its runner died or hung): due again now, or failed
    /// when that attempt was its last.
    pub async fn release_expired_jobs(&self, now: i64) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let failed = sqlx::query(
            "UPDATE jobs SET status = $1, last_error = $2, lease_owner = '', finished_at = $3 \
             WHERE status = $4 AND lease_until < $3 AND attempts >= max_attempts AND period_secs = 0",
        )
        .bind(JobState::Failed.as_str())
        .bind("the runner holding it stopped (lease expired) on its last attempt")
        .bind(now)
        .bind(JobState::Running.as_str())
        .execute(&mut *tx)
        .await?;
        let requeued = sqlx::query(
            "UPDATE jobs SET status = $1, lease_owner = '', lease_until = 0 \
             WHERE status = $2 AND lease_until < $3",
        )
        .bind(JobState::Queued.as_str())
        .bind(JobState::Running.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(failed.rows_affected() + requeued.rows_affected())
    }

    /// Gives back, unrun, the jobs `owner` still holds when it stops (the attempt is not counted).
    pub async fn release_jobs(&self, owner: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET status = $1, lease_owner = '', lease_until = 0, \
             attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END \
             WHERE status = $2 AND lease_owner = $3",
        )
        .bind(JobState::Queued.as_str())
        .bind(JobState::Running.as_str())
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Jobs in a state, newest first.
    pub async fn jobs_in(&self, state: JobState, limit: i64) -> Result<Vec<JobRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, status, attempts, max_attempts, last_error, run_at, period_secs \
             FROM jobs WHERE status = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(state.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(JobRecord {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    status: decode(r, "status")?,
                    attempts: r.try_get("attempts")?,
                    max_attempts: r.try_get("max_attempts")?,
                    last_error: r.try_get("last_error")?,
                    run_at: r.try_get("run_at")?,
                    period_secs: r.try_get("period_secs")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Queues a failed job again, due now, with its attempts reset. `false` if it had not failed.
    pub async fn retry_job(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET status = $1, run_at = $2, attempts = 0, finished_at = NULL \
             WHERE id = $3 AND status = $4",
        )
        .bind(JobState::Queued.as_str())
        .bind(now)
        .bind(id)
        .bind(JobState::Failed.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes jobs that finished before `before` (their unique keys are then free again).
    pub async fn prune_jobs(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM jobs WHERE status = $1 AND finished_at < $2")
            .bind(JobState::Done.as_str())
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// The next time any job of these kinds is due (to sleep until then).
    pub async fn next_job_due(&self, kinds: &[&str]) -> Result<Option<i64>, StoreError> {
        if kinds.is_empty() {
            return Ok(None);
        }
        let params: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT MIN(run_at) FROM jobs WHERE status = $1 AND kind IN ({})",
            params.join(", ")
        );
        let mut q = sqlx::query_as::<_, (Option<i64>,)>(&sql).bind(JobState::Queued.as_str());
        for k in kinds {
            q = q.bind(*k);
        }
        Ok(q.fetch_one(&self.pool).await?.0)
    }

    /// Per kind, the jobs due by `now` and not yet taken, and the time the oldest of them fell due
    /// (how far behind the runners are).
    pub async fn job_backlog(&self, now: i64) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT kind, COUNT(*), MIN(run_at) FROM jobs WHERE status = $1 AND run_at <= $2 \
             GROUP BY kind ORDER BY kind",
        )
        .bind(JobState::Queued.as_str())
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::next_slot;

    #[test]
    fn a_missed_schedule_runs_once_then_keeps_its_rhythm() {
        // Due at 100 every 60 s; the process was down until 1,000.
        assert_eq!(next_slot(100, 60, 1_000), 1_060);
        assert_eq!(next_slot(100, 60, 100), 160);
        assert_eq!(next_slot(100, 60, 159), 160);
        assert_eq!(next_slot(500, 60, 100), 500);
    }
}
