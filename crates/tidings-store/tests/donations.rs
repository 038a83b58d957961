//! Donations on both engines: one gift per submission key, transitions that happen once, events
//! recorded once, monthly plans coming due, and the admin's totals.

use chrono::{Duration, Utc};
use tidings_store::{
    each_backend, DonationFilter, DonationStatus, Frequency, GatewayKind, NewDonation, PlanStatus,
    Started,
};

fn gift(key: &str, email: &str, amount: i64) -> NewDonation {
    NewDonation {
        email: email.into(),
        first_name: "Ana".into(),
        last_name: "Reader".into(),
        amount,
        fee: 0,
        currency: "USD".into(),
        frequency: Frequency::Once,
        gateway: GatewayKind::Test,
        idempotency_key: key.into(),
        source: "/a-story/".into(),
        ..NewDonation::default()
    }
}

each_backend!(a_submission_makes_one_donation_and_settles_once, |store| {
    store.ensure_default_form("USD", 100).await.unwrap();
    let form = store.donation_form("default").await.unwrap().unwrap();
    assert_eq!(form.default_amount, 10_000);
    assert_eq!(form.presets, vec![2_500, 5_000, 10_000, 25_000]);

    let Started::New(d) = store
        .start_donation(&gift("k1", "ana@example.org", 10_000))
        .await
        .unwrap()
    else {
        panic!("not new");
    };
    assert_eq!((d.status, d.total), (DonationStatus::Pending, 10_000));
    let Started::Existing(again) = store
        .start_donation(&gift("k1", "ana@example.org", 10_000))
        .await
        .unwrap()
    else {
        panic!("a repeated submission made a second donation");
    };
    assert_eq!(again.id, d.id);

    store.set_donation_session(d.id, "cs_1").await.unwrap();
    assert_eq!(
        store.donation_by_session("cs_1").await.unwrap().unwrap().id,
        d.id
    );
    assert!(store.complete_donation(d.id, "pi_1", &[]).await.unwrap());
    assert!(
        !store.complete_donation(d.id, "pi_1", &[]).await.unwrap(),
        "only once"
    );
    assert!(
        !store
            .fail_donation(d.id, DonationStatus::Failed, "late decline", &[])
            .await
            .unwrap(),
        "a paid gift stays paid"
    );
    assert!(store.mark_receipt_sent(d.id).await.unwrap());
    assert!(!store.mark_receipt_sent(d.id).await.unwrap());

    assert!(store
        .record_gateway_event("stripe", "evt_1", "charge.refunded")
        .await
        .unwrap());
    assert!(!store
        .record_gateway_event("stripe", "evt_1", "charge.refunded")
        .await
        .unwrap());
    assert!(store.refund_donation(d.id, 10_000).await.unwrap());
    assert!(!store.refund_donation(d.id, 10_000).await.unwrap());
    assert_eq!(
        store.donation(d.id).await.unwrap().unwrap().status,
        DonationStatus::Refunded
    );
    assert!(store.dispute_donation(d.id).await.unwrap());

    // The same donor gives again: one donor row.
    let Started::New(second) = store
        .start_donation(&gift("k2", "ana@example.org", 2_500))
        .await
        .unwrap()
    else {
        panic!();
    };
    assert_eq!(second.donor_id, d.donor_id);
    assert!(store
        .fail_donation(second.id, DonationStatus::Failed, "card declined", &[])
        .await
        .unwrap());

    let (list, totals) = store
        .list_donations(&DonationFilter::default())
        .await
        .unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(totals, vec![("USD".to_string(), 10_000, 0, 10_000, 1)]);
    let failed = DonationFilter {
        status: Some(DonationStatus::Failed),
        ..DonationFilter::default()
    };
    assert_eq!(store.list_donations(&failed).await.unwrap().0.len(), 1);
});

each_backend!(monthly_plans_come_due_and_campaigns_add_up, |store| {
    let campaign = store
        .save_campaign("spring", "Spring drive", 1_000_000, "USD")
        .await
        .unwrap();
    let mut g = gift("m1", "ben@example.org", 5_000);
    g.frequency = Frequency::Monthly;
    g.campaign_id = Some(campaign);
    let Started::New(d) = store.start_donation(&g).await.unwrap() else {
        panic!()
    };
    let plan = store
        .create_plan(d.donor_id, None, 5_000, 0, "USD", GatewayKind::Test)
        .await
        .unwrap();
    store.set_donation_plan(d.id, plan).await.unwrap();
    store.complete_donation(d.id, "test_1", &[]).await.unwrap();
    let now = Utc::now();
    store
        .update_plan(
            plan,
            PlanStatus::Active,
            None,
            Some(now + Duration::days(30)),
        )
        .await
        .unwrap();
    assert!(store
        .plans_due(GatewayKind::Test, now)
        .await
        .unwrap()
        .is_empty());
    let due = store
        .plans_due(GatewayKind::Test, now + Duration::days(31))
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].amount, due[0].email.as_str()),
        (5_000, "ben@example.org")
    );
    store
        .update_plan(plan, PlanStatus::Cancelled, None, None)
        .await
        .unwrap();
    assert!(store
        .plans_due(GatewayKind::Test, now + Duration::days(31))
        .await
        .unwrap()
        .is_empty());

    let (c, raised, donors) = store.campaign_progress(campaign).await.unwrap().unwrap();
    assert_eq!((c.goal, raised, donors), (1_000_000, 5_000, 1));
    let (history, plans) = store.donor_history(d.donor_id).await.unwrap();
    assert_eq!((history.len(), plans.len()), (1, 1));
    let days = store.raised_by_day("USD", 30).await.unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(days.last().unwrap().1, 5_000);
});
