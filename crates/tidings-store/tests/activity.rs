//! The dashboard's week on both engines: reads, confirmed subscribers and completed gifts per UTC
//! day, every day present, nothing from before the window.

use chrono::Utc;
use tidings_store::{
    each_backend, Frequency, GatewayKind, ImportedSubscriber, NewArticle, NewDonation, Started,
    SubscriberStatus,
};

each_backend!(a_week_of_reads_subscribers_and_gifts_by_day, |store| {
    let now = Utc::now().timestamp();
    let (today, hour) = (now / 86_400, now / 3_600);
    let article = store
        .create_article(&NewArticle::published("Ferry", "Text."))
        .await
        .unwrap()
        .id;
    // Today, yesterday, and eight days ago (outside a seven-day window).
    store
        .add_reads(&[
            (article, hour, 5),
            (article, hour - 24, 3),
            (article, hour - 8 * 24, 40),
        ])
        .await
        .unwrap();
    store
        .import_subscribers(&[ImportedSubscriber {
            email: "new@example.org".into(),
            name: String::new(),
            status: SubscriberStatus::Confirmed,
            consent_at: None,
            consent_ip: String::new(),
            source: "test".into(),
        }])
        .await
        .unwrap();
    let Started::New(gift) = store
        .start_donation(&NewDonation {
            email: "ana@example.org".into(),
            amount: 2_500,
            currency: "USD".into(),
            frequency: Frequency::Once,
            gateway: GatewayKind::Test,
            idempotency_key: "k-activity-1".into(),
            ..NewDonation::default()
        })
        .await
        .unwrap()
    else {
        panic!("not new");
    };
    store
        .complete_donation(gift.id, "test_1", &[])
        .await
        .unwrap();

    let week = store.daily_activity(today, 7).await.unwrap();
    assert_eq!(week.len(), 7);
    assert_eq!(week.first().unwrap().day, today - 6);
    let last = week.last().unwrap();
    assert_eq!(
        (last.day, last.reads, last.subscribers, last.gifts),
        (today, 5, 1, 1)
    );
    assert_eq!(week[5].reads, 3, "yesterday");
    assert_eq!(
        week.iter().map(|d| d.reads).sum::<i64>(),
        8,
        "nothing from before the window"
    );
});
