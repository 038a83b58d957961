//! The job runner over the real jobs table, on SQLite always and on PostgreSQL when
//! TIDINGS_TEST_DATABASE_URL is set.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tidings_jobs::{Runner, Spec};
use tidings_store::{each_backend, JobState, NewJob, Store};

fn job(kind: &str, n: usize, run_at: i64) -> NewJob {
    NewJob::new(kind, format!("{{\"n\":{n}}}"), run_at)
}

/// A clock the test moves by hand.
fn clock(start: i64) -> Arc<AtomicI64> {
    Arc::new(AtomicI64::new(start))
}

fn runner_at(store: &Store, now: &Arc<AtomicI64>) -> Runner {
    let now = now.clone();
    Runner::new(store.clone()).with_clock(move || now.load(Ordering::SeqCst))
}

each_backend!(a_claim_holds_a_lease_and_an_expired_one_returns, |store| {
    store.enqueue_job(&job("work", 1, 100)).await.unwrap();
    let first = store
        .claim_jobs("a", &["work"], 10, 100, 130)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempts, 1);
    // While the lease holds, nobody else gets it, however often they ask.
    assert!(store
        .claim_jobs("b", &["work"], 10, 129, 160)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.release_expired_jobs(129).await.unwrap(), 0);
    // A renewed lease holds longer.
    assert_eq!(store.renew_job_leases("a", 140).await.unwrap(), 1);
    assert_eq!(store.release_expired_jobs(139).await.unwrap(), 0);
    // Its runner is gone: the lease runs out and the job is due again.
    assert_eq!(store.release_expired_jobs(141).await.unwrap(), 1);
    let second = store
        .claim_jobs("b", &["work"], 10, 141, 171)
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempts, 2);
    // The first runner, back from the dead, cannot record an outcome for a job it lost.
    assert!(!store.finish_job(&first[0], "a", 150).await.unwrap());
    assert!(store.finish_job(&second[0], "b", 150).await.unwrap());
    assert!(store
        .claim_jobs("a", &["work"], 10, 10_000, 10_030)
        .await
        .unwrap()
        .is_empty());
    // Unknown kinds are left for a runner that knows them; unique keys hold one job.
    store.enqueue_job(&job("other", 2, 100)).await.unwrap();
    assert!(store
        .claim_jobs("a", &["work"], 10, 200, 230)
        .await
        .unwrap()
        .is_empty());
    let once = job("work", 3, 100).once_per("receipt:7".into());
    assert!(store.enqueue_job(&once).await.unwrap().is_some());
    assert!(store.enqueue_job(&once).await.unwrap().is_none());
});

each_backend!(
    two_runners_run_each_of_a_thousand_jobs_exactly_once,
    |store| {
        for n in 0..1000 {
            store.enqueue_job(&job("count", n, 0)).await.unwrap();
        }
        let runs: Arc<Mutex<HashMap<i64, usize>>> = Arc::default();
        let make = |runs: Arc<Mutex<HashMap<i64, usize>>>| {
            Runner::new(store.clone()).with_concurrency(8).register(
                "count",
                Spec::once(1),
                move |job| {
                    let runs = runs.clone();
                    async move {
                        *runs.lock().unwrap().entry(job.id).or_default() += 1;
                        tokio::task::yield_now().await;
                        Ok(())
                    }
                },
            )
        };
        let (a, b) = (make(runs.clone()), make(runs.clone()));
        assert_ne!(a.owner(), b.owner());
        let drain = |r: Runner| async move {
            let mut total = 0;
            loop {
                let n = r.run_due().await.unwrap();
                if n == 0 {
                    return total;
                }
                total += n;
            }
        };
        let (ran_a, ran_b) = tokio::join!(drain(a), drain(b));
        assert_eq!(ran_a + ran_b, 1000, "a ran {ran_a}, b ran {ran_b}");
        let runs = runs.lock().unwrap().clone();
        assert_eq!(runs.len(), 1000);
        assert!(runs.values().all(|n| *n == 1), "a job ran twice");
        assert!(store
            .jobs_in(JobState::Queued, 10)
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .jobs_in(JobState::Failed, 10)
            .await
            .unwrap()
            .is_empty());
    }
);

each_backend!(
    a_job_held_by_a_killed_runner_is_run_by_another_after_its_lease,
    |store| {
        store.enqueue_job(&job("mail", 1, 1_000)).await.unwrap();
        // A runner claimed it and was killed: nothing records an outcome, nothing gives it back.
        let held = store
            .claim_jobs("killed", &["mail"], 1, 1_000, 1_030)
            .await
            .unwrap();
        assert_eq!(held.len(), 1);
        let now = clock(1_010);
        let ran = Arc::new(AtomicUsize::new(0));
        let counted = ran.clone();
        let survivor = runner_at(&store, &now).register("mail", Spec::once(60), move |_| {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
        assert_eq!(
            survivor.run_due().await.unwrap(),
            0,
            "taken while the lease held"
        );
        now.store(1_031, Ordering::SeqCst);
        assert_eq!(survivor.run_due().await.unwrap(), 1);
        assert_eq!(survivor.run_due().await.unwrap(), 0);
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }
);

each_backend!(
    recurring_jobs_fire_once_per_period_across_downtime,
    |store| {
        let now = clock(1_000);
        let ticks = Arc::new(AtomicUsize::new(0));
        let counted = ticks.clone();
        let runner = runner_at(&store, &now).register("tick", Spec::every(60), move |_| {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
        runner.schedule().await.unwrap();
        // Scheduling again (a restart, a second node) keeps the one row and its next slot.
        runner.schedule().await.unwrap();
        let at = |t: i64| {
            now.store(t, Ordering::SeqCst);
            runner.run_due()
        };
        assert_eq!(at(1_000).await.unwrap(), 1);
        assert_eq!(at(1_030).await.unwrap(), 0);
        assert_eq!(at(1_059).await.unwrap(), 0);
        assert_eq!(at(1_060).await.unwrap(), 1);
        // Down from 1,070 to 5,000: the missed slots make one run, not sixty-five.
        assert_eq!(at(5_000).await.unwrap(), 1);
        assert_eq!(at(5_000).await.unwrap(), 0);
        assert_eq!(at(5_019).await.unwrap(), 0);
        // Then the rhythm continues on the original slots (1,000 + 60k).
        assert_eq!(at(5_020).await.unwrap(), 1);
        assert_eq!(ticks.load(Ordering::SeqCst), 4);
        assert_eq!(store.jobs_in(JobState::Queued, 10).await.unwrap().len(), 1);
    }
);

each_backend!(
    failures_back_off_then_fail_and_a_retry_runs_them_again,
    |store| {
        let now = clock(0);
        let healthy = Arc::new(AtomicUsize::new(0));
        let flag = healthy.clone();
        let runner = runner_at(&store, &now).register("send", Spec::once(10), move |_| {
            let flag = flag.clone();
            async move {
                if flag.load(Ordering::SeqCst) == 0 {
                    Err("mail server down".to_string().into())
                } else {
                    Ok(())
                }
            }
        });
        let mut three_tries = job("send", 1, 0);
        three_tries.max_attempts = 3;
        store.enqueue_job(&three_tries).await.unwrap();
        let at = |t: i64| {
            now.store(t, Ordering::SeqCst);
            runner.run_due()
        };
        assert_eq!(at(0).await.unwrap(), 1);
        // First retry 10 s later, then 20 s after that.
        assert_eq!(at(9).await.unwrap(), 0);
        assert_eq!(at(10).await.unwrap(), 1);
        assert_eq!(at(29).await.unwrap(), 0);
        assert_eq!(at(30).await.unwrap(), 1);
        // Three attempts used: failed, with its error, and not run again.
        assert_eq!(at(10_000).await.unwrap(), 0);
        let failed = store.jobs_in(JobState::Failed, 10).await.unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].attempts, 3);
        assert_eq!(failed[0].last_error, "mail server down");
        // "Retry now" from the admin: due at once, attempts counted afresh.
        healthy.store(1, Ordering::SeqCst);
        assert!(store.retry_job(failed[0].id, 10_000).await.unwrap());
        assert!(!store.retry_job(failed[0].id, 10_000).await.unwrap());
        assert_eq!(at(10_000).await.unwrap(), 1);
        assert!(store
            .jobs_in(JobState::Failed, 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(store.jobs_in(JobState::Done, 10).await.unwrap().len(), 1);
    }
);

each_backend!(
    a_stopping_runner_gives_back_what_it_has_not_finished,
    |store| {
        store.enqueue_job(&job("slow", 1, 0)).await.unwrap();
        let runner = Runner::new(store.clone())
            .with_poll(std::time::Duration::from_millis(20))
            .register("slow", Spec::once(60), |_| async {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                Ok(())
            });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(runner.run(stopped, std::time::Duration::from_millis(200)));
        // Wait until it holds the job.
        for _ in 0..200 {
            if !store
                .jobs_in(JobState::Running, 1)
                .await
                .unwrap()
                .is_empty()
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(store.jobs_in(JobState::Running, 1).await.unwrap().len(), 1);
        stop.send(true).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), running)
            .await
            .expect("stopped within the grace period")
            .unwrap();
        // Given back unrun, its attempt not counted: another runner starts it afresh.
        let queued = store.jobs_in(JobState::Queued, 1).await.unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].attempts, 0);
    }
);
