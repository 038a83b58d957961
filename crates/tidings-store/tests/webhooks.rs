//! Webhook delivery logs on SQLite and (when configured) PostgreSQL.

use tidings_store::each_backend;

each_backend!(finished_deliveries_leave_the_log_after_a_while, |store| {
    let day = 86_400;
    let t0 = 1_700_000_000;
    let endpoint = store
        .create_webhook(
            "https://receiver.example/hooks",
            &["article.published"],
            "whsec_test",
            "",
            t0,
        )
        .await
        .unwrap();
    let queue = |at: i64| {
        let (store, event_id) = (store.clone(), format!("evt_{at}"));
        async move {
            store
                .queue_webhook_event("article.published", &event_id, "{}", None, at)
                .await
                .unwrap()[0]
        }
    };
    let succeeded = queue(t0).await;
    let failed = queue(t0 + 1).await;
    let retrying = queue(t0 + 2).await;
    let recent = queue(t0 + 40 * day).await;
    store
        .record_webhook_attempt(succeeded, Some(200), "", "succeeded", t0)
        .await
        .unwrap();
    store
        .record_webhook_attempt(failed, Some(500), "HTTP 500", "failed", t0 + day)
        .await
        .unwrap();
    store
        .record_webhook_attempt(retrying, None, "refused", "pending", t0 + day)
        .await
        .unwrap();
    store
        .record_webhook_attempt(recent, Some(204), "", "succeeded", t0 + 40 * day)
        .await
        .unwrap();

    let pruned = store
        .prune_webhook_deliveries(t0 + 40 * day - 30 * day)
        .await
        .unwrap();
    assert_eq!(pruned, 2);
    let left: Vec<i64> = store
        .webhook_deliveries(endpoint.id, 20)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(left, vec![recent, retrying]);
    assert_eq!(
        store
            .prune_webhook_deliveries(t0 + 40 * day - 30 * day)
            .await
            .unwrap(),
        0
    );
});
