//! The newsletter queue on both engines: one delivery per subscriber, claims with leases,
//! outcomes, and the digest's inputs (plans and read counts).

use chrono::{Duration, Utc};
use tidings_store::{
    each_backend, Audience, DeliveryOutcome, DigestPlan, ImportedSubscriber, NewArticle,
    NewNewsletter, NewsletterState, Store, SubscriberStatus,
};

async fn subscribers(store: &Store, n: usize, status: SubscriberStatus) {
    let rows: Vec<ImportedSubscriber> = (0..n)
        .map(|i| ImportedSubscriber {
            email: format!("{status}{i}@example.org"),
            name: String::new(),
            status,
            consent_at: None,
            consent_ip: String::new(),
            source: "test".into(),
        })
        .collect();
    store.import_subscribers(&rows).await.unwrap();
}

fn digest(edition: &str) -> NewNewsletter {
    NewNewsletter {
        audience: Audience::Digest,
        edition: edition.into(),
        subject: "Today".into(),
        intro: String::new(),
        items: "[]".into(),
        cutoff_at: Utc::now(),
        created_by: None,
    }
}

each_backend!(
    one_delivery_per_confirmed_subscriber_and_one_send_per_edition,
    |store| {
        subscribers(&store, 5, SubscriberStatus::Confirmed).await;
        subscribers(&store, 3, SubscriberStatus::Pending).await;
        subscribers(&store, 2, SubscriberStatus::Suppressed).await;
        let opted_out = store
            .subscriber_by_email("confirmed0@example.org")
            .await
            .unwrap()
            .unwrap();
        store
            .set_preferences(opted_out.id, false, true)
            .await
            .unwrap();

        let id = store
            .queue_newsletter(&digest("2026-11-29"))
            .await
            .unwrap()
            .unwrap();
        let n = store.newsletter(id).await.unwrap().unwrap();
        assert_eq!(n.counts.total, 4, "confirmed and wanting the digest only");
        assert_eq!(n.status, NewsletterState::Sending);
        assert!(store
            .queue_newsletter(&digest("2026-11-29"))
            .await
            .unwrap()
            .is_none());

        let mut breaking = digest("17");
        breaking.audience = Audience::Breaking;
        let b = store.queue_newsletter(&breaking).await.unwrap().unwrap();
        assert_eq!(store.newsletter(b).await.unwrap().unwrap().counts.total, 1);
    }
);

each_backend!(
    queueing_goes_in_chunks_and_finishes_after_a_crash,
    |store| {
        use tidings_store::testing::{execute, number};
        subscribers(&store, 25, SubscriberStatus::Confirmed).await;
        subscribers(&store, 4, SubscriberStatus::Pending).await;
        let id = store
            .queue_newsletter_in_chunks(&digest("2026-11-29"), 10)
            .await
            .unwrap()
            .unwrap();
        let count = format!("SELECT COUNT(*) FROM deliveries WHERE newsletter_id = {id}");
        let distinct = format!(
            "SELECT COUNT(DISTINCT subscriber_id) FROM deliveries WHERE newsletter_id = {id}"
        );
        assert_eq!(number(&store, &count).await, 25);
        assert_eq!(number(&store, &distinct).await, 25);
        let flag = format!("SELECT queueing FROM newsletters WHERE id = {id}");
        assert_eq!(number(&store, &flag).await, 0);

        // A crash part-way: the flag still up, the last chunks never written.
        execute(
            &store,
            &format!(
                "UPDATE newsletters SET queueing = 1 WHERE id = {id}; \
                 DELETE FROM deliveries WHERE newsletter_id = {id} AND subscriber_id > \
                 (SELECT MIN(subscriber_id) + 4 FROM deliveries WHERE newsletter_id = {id})"
            ),
        )
        .await
        .unwrap();
        assert_eq!(number(&store, &count).await, 5);
        // Nothing is waiting, but the newsletter is not finished while it is still being queued.
        let claimed = store
            .claim_deliveries("w", 50, Utc::now(), Utc::now() + Duration::seconds(10))
            .await
            .unwrap();
        let sent: Vec<_> = claimed
            .iter()
            .map(|d| (d.id, DeliveryOutcome::Sent))
            .collect();
        store.record_deliveries(&sent).await.unwrap();
        assert!(store.finish_newsletters().await.unwrap().is_empty());

        // Queueing the same edition again finishes the job instead of starting another.
        assert!(store
            .queue_newsletter_in_chunks(&digest("2026-11-29"), 10)
            .await
            .unwrap()
            .is_none());
        assert_eq!(number(&store, &count).await, 25);
        assert_eq!(number(&store, &distinct).await, 25);
        assert_eq!(number(&store, &flag).await, 0);
        let n = store.newsletter(id).await.unwrap().unwrap();
        assert_eq!(n.counts.total, 25);
        assert_eq!(n.status, NewsletterState::Sending, "20 still to send");
    }
);

each_backend!(claims_are_exclusive_leased_and_settled, |store| {
    subscribers(&store, 6, SubscriberStatus::Confirmed).await;
    let id = store
        .queue_newsletter(&digest("2026-11-29"))
        .await
        .unwrap()
        .unwrap();
    let now = Utc::now();
    let lease = now + Duration::seconds(10);
    let a = store.claim_deliveries("a", 4, now, lease).await.unwrap();
    let b = store.claim_deliveries("b", 4, now, lease).await.unwrap();
    assert_eq!((a.len(), b.len()), (4, 2));
    assert!(a.iter().all(|d| !b.iter().any(|e| e.id == d.id)));
    assert!(a.iter().all(|d| d.wanted && d.newsletter_id == id));

    // Worker "a" dies: once its lease runs out its claims go back to the queue.
    assert_eq!(
        store.release_expired_deliveries(now).await.unwrap(),
        0,
        "leases still hold"
    );
    assert_eq!(
        store
            .release_expired_deliveries(lease + Duration::seconds(1))
            .await
            .unwrap(),
        6
    );
    let again = store
        .claim_deliveries("c", 10, now, lease + Duration::seconds(60))
        .await
        .unwrap();
    assert_eq!(again.len(), 6);
    assert_eq!(
        store
            .renew_delivery_leases("c", lease + Duration::seconds(120))
            .await
            .unwrap(),
        6
    );

    // Settle them in every way, all in one write (as the sender's recorder does).
    let later = now + Duration::seconds(60);
    let outcomes = vec![
        (again[0].id, DeliveryOutcome::Sent),
        (again[1].id, DeliveryOutcome::Skipped),
        (
            again[2].id,
            DeliveryOutcome::Refused {
                error: "550 no such user".into(),
            },
        ),
        (
            again[3].id,
            DeliveryOutcome::Retry {
                error: "421 try later".into(),
                retry_at: Some(later),
            },
        ),
        (again[4].id, DeliveryOutcome::Sent),
        (again[5].id, DeliveryOutcome::Sent),
    ];
    store.record_deliveries(&outcomes).await.unwrap();
    let refused = store
        .subscriber(again[2].subscriber_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refused.status, SubscriberStatus::Suppressed);

    // The retry is not due yet; nothing finishes while it waits.
    assert!(store
        .claim_deliveries("c", 10, now, lease)
        .await
        .unwrap()
        .is_empty());
    assert!(store.finish_newsletters().await.unwrap().is_empty());
    let retry = store.claim_deliveries("c", 10, later, lease).await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].attempts, 1);
    store
        .record_deliveries(&[(
            retry[0].id,
            DeliveryOutcome::Retry {
                error: "421 still busy".into(),
                retry_at: None,
            },
        )])
        .await
        .unwrap();

    assert_eq!(store.finish_newsletters().await.unwrap(), vec![id]);
    let n = store.newsletter(id).await.unwrap().unwrap();
    assert_eq!(
        n.status,
        NewsletterState::Failed,
        "a send with failures never reports success"
    );
    assert_eq!(
        (n.counts.sent, n.counts.failed, n.counts.skipped),
        (3, 2, 1)
    );
    let failures = store.failed_deliveries(id, 10).await.unwrap();
    let reasons: Vec<&str> = failures.iter().map(|f| f.error.as_str()).collect();
    assert_eq!(reasons, vec!["550 no such user", "421 still busy"]);
    assert!(!store.deliveries_waiting().await.unwrap());

    // Weeks later its rows are folded into its counts: the counts stay, the rows go.
    let finished = n.finished_at.unwrap().timestamp();
    assert_eq!(
        store.archive_deliveries(finished).await.unwrap(),
        0,
        "not yet"
    );
    assert_eq!(store.archive_deliveries(finished + 1).await.unwrap(), 6);
    assert_eq!(
        store.archive_deliveries(finished + 1).await.unwrap(),
        0,
        "once"
    );
    let kept = store.newsletter(id).await.unwrap().unwrap();
    assert_eq!(
        (
            kept.counts.total,
            kept.counts.sent,
            kept.counts.failed,
            kept.counts.skipped
        ),
        (6, 3, 2, 1)
    );
    let listed = store.newsletters(10, 0).await.unwrap();
    assert_eq!(
        listed[0].counts.sent, 3,
        "the list shows the kept counts too"
    );
    assert!(store.failed_deliveries(id, 10).await.unwrap().is_empty());
});

each_backend!(
    an_unsubscribe_after_queueing_is_seen_at_claim_time,
    |store| {
        subscribers(&store, 2, SubscriberStatus::Confirmed).await;
        store
            .queue_newsletter(&digest("2026-11-29"))
            .await
            .unwrap()
            .unwrap();
        let s = store
            .subscriber_by_email("confirmed1@example.org")
            .await
            .unwrap()
            .unwrap();
        store.unsubscribe(s.id).await.unwrap();
        let now = Utc::now();
        let claimed = store
            .claim_deliveries("a", 10, now, now + Duration::seconds(10))
            .await
            .unwrap();
        let wanted: Vec<(i64, bool)> = claimed
            .iter()
            .map(|d| (d.subscriber_id, d.wanted))
            .collect();
        assert!(wanted.contains(&(s.id, false)));
        assert_eq!(wanted.iter().filter(|w| w.1).count(), 1);
    }
);

each_backend!(digest_plans_and_read_counts_round_trip, |store| {
    assert!(store
        .digest_plan("2026-11-29")
        .await
        .unwrap()
        .ordered
        .is_empty());
    let plan = DigestPlan {
        intro: "Good morning.".into(),
        ordered: vec![3, 1],
        dropped: vec![2],
    };
    store.save_digest_plan("2026-11-29", &plan).await.unwrap();
    let mut changed = plan.clone();
    changed.intro = "Hello.".into();
    store
        .save_digest_plan("2026-11-29", &changed)
        .await
        .unwrap();
    let back = store.digest_plan("2026-11-29").await.unwrap();
    assert_eq!(back.intro, "Hello.");
    assert_eq!((back.ordered, back.dropped), (vec![3, 1], vec![2]));

    let article = store
        .create_article(&NewArticle::published("Read me", "Text."))
        .await
        .unwrap()
        .id;
    let hour = Utc::now().timestamp() / 3600;
    store
        .add_reads(&[
            (article, hour, 3),
            (article, hour - 30, 100),
            (999_999, hour, 5),
        ])
        .await
        .unwrap();
    store.add_reads(&[(article, hour, 2)]).await.unwrap();
    let reads = store
        .reads_since(&[article], Utc::now() - Duration::hours(24))
        .await
        .unwrap();
    assert_eq!(
        reads.get(&article),
        Some(&5),
        "older hours and unknown articles are left out"
    );
    assert_eq!(
        store
            .prune_reads(Utc::now() - Duration::hours(24))
            .await
            .unwrap(),
        1
    );
});

each_backend!(breaking_alerts_go_before_a_waiting_digest, |store| {
    subscribers(&store, 30, SubscriberStatus::Confirmed).await;
    let all: Vec<i64> = store
        .all_subscribers()
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    for id in &all[..3] {
        store.set_preferences(*id, true, true).await.unwrap();
    }
    let digest_id = store
        .queue_newsletter(&digest("2026-11-29"))
        .await
        .unwrap()
        .unwrap();
    let mut alert = digest("99");
    alert.audience = Audience::Breaking;
    let alert_id = store.queue_newsletter(&alert).await.unwrap().unwrap();
    let now = Utc::now();
    let first = store
        .claim_deliveries("a", 5, now, now + Duration::seconds(10))
        .await
        .unwrap();
    let kinds: Vec<i64> = first.iter().map(|d| d.newsletter_id).collect();
    assert_eq!(
        kinds,
        vec![alert_id, alert_id, alert_id, digest_id, digest_id]
    );
});

/// A recorder kept for a whole send, beside the claims it records: with a pool of one
/// connection it must not hold that connection, or the next claim would wait for it forever.
async fn a_recorder_leaves_claims_a_connection(db: tidings_store::testing::TestDb) {
    subscribers(&db.store, 4, SubscriberStatus::Confirmed).await;
    let id = db
        .store
        .queue_newsletter(&digest("2026-12-01"))
        .await
        .unwrap()
        .unwrap();
    for pool in [1, 2] {
        let store = Store::connect(&db.url, pool).await.unwrap();
        let mut recorder = store.delivery_recorder().await.unwrap();
        let now = Utc::now();
        let claim = store.claim_deliveries("w", 2, now, now + Duration::seconds(10));
        let claimed = tokio::time::timeout(std::time::Duration::from_secs(2), claim)
            .await
            .unwrap_or_else(|_| panic!("a pool of {pool}: the claim waited for the recorder"))
            .unwrap();
        assert_eq!(claimed.len(), 2);
        let sent: Vec<_> = claimed
            .iter()
            .map(|d| (d.id, DeliveryOutcome::Sent))
            .collect();
        recorder.record(&sent).await.unwrap();
    }
    let n = db.store.newsletter(id).await.unwrap().unwrap();
    assert_eq!(n.counts.sent, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorder_leaves_claims_a_connection_sqlite() {
    a_recorder_leaves_claims_a_connection(tidings_store::testing::TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: set TIDINGS_TEST_DATABASE_URL and run with --ignored"]
async fn a_recorder_leaves_claims_a_connection_postgres() {
    a_recorder_leaves_claims_a_connection(tidings_store::testing::TestDb::require_postgres().await)
        .await;
}
