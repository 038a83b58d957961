//! Donors after the gift: monthly renewals, the donor portal and its limits, and donor records that
//! change only when a payment succeeds.

use chrono::{Duration, Utc};
use tidings_store::DonationStatus;

use crate::routes::donate::{donate, smtp};
use crate::server_test;
use crate::support::browser::{link, Browser};
use crate::support::Options;

server_test!(
    monthly_gifts_renew_and_a_failed_charge_is_told,
    smtp(),
    |app| {
        let smtp = app.smtp.clone().unwrap();
        let state = app.server.as_ref().unwrap().state.clone();
        for email in ["monthly@example.org", "monthly+decline@example.org"] {
            let mut b = Browser::new(&app.base);
            let sent = donate(
                &mut b,
                &[
                    ("frequency", "monthly"),
                    ("amount", "2500"),
                    ("email", email),
                ],
            )
            .await;
            let path = sent
                .location
                .unwrap()
                .trim_start_matches("http://news.test")
                .to_string();
            b.post_raw(&path, &[("outcome", "complete")]).await;
            smtp.wait_for(email, 1).await;
        }
        assert_eq!(
            state.donations().renew_due(Utc::now()).await.unwrap(),
            0,
            "nothing due yet"
        );
        let later = Utc::now() + Duration::days(32);
        assert_eq!(state.donations().renew_due(later).await.unwrap(), 2);
        assert_eq!(
            state.donations().renew_due(later).await.unwrap(),
            0,
            "each renewal once"
        );
        let ok = smtp.wait_for("monthly@example.org", 2).await;
        assert!(ok[1].header("Subject").unwrap().contains("receipt"));
        let failed = smtp.wait_for("monthly+decline@example.org", 2).await;
        assert!(failed[1]
            .header("Subject")
            .unwrap()
            .contains("did not go through"));
        let (rows, _) = app.store.list_donations(&Default::default()).await.unwrap();
        assert_eq!(
            rows.iter()
                .filter(|d| d.status == DonationStatus::Succeeded)
                .count(),
            3
        );
        assert_eq!(
            rows.iter()
                .filter(|d| d.status == DonationStatus::Failed)
                .count(),
            1
        );

        // The donor portal: a link by email, the history, and stopping the gift.
        let mut b = Browser::new(&app.base);
        let asked = b
            .post_raw("/donate/portal", &[("email", "monthly@example.org")])
            .await;
        assert!(asked.body.contains("If that address has given before"));
        let mail = smtp.wait_for("monthly@example.org", 3).await;
        let portal = link(&mail[2].data, "http://news.test/donate/portal/");
        let path = portal.trim_start_matches("http://news.test");
        let page = b.get(path).await;
        assert!(
            page.body.contains("$25.00 a month") && page.body.contains("active"),
            "{}",
            page.body
        );
        let at = page
            .body
            .find("/receipts/")
            .expect("a receipt form per gift");
        let start = page.body[..at].rfind('"').unwrap() + 1;
        let end = at + page.body[at..].find('"').unwrap();
        let receipt_form = page.body[start..end].to_string();
        let resent = b.post_raw(&receipt_form, &[]).await;
        assert!(
            resent.body.contains("The receipt is on its way."),
            "{receipt_form}: {}",
            resent.status
        );
        let again = smtp.wait_for("monthly@example.org", 4).await;
        assert!(again[3].header("Subject").unwrap().contains("receipt"));
        let summary = b
            .post_raw(
                &format!("{path}/summary"),
                &[("year", &chrono::Utc::now().format("%Y").to_string())],
            )
            .await;
        assert!(
            summary.body.contains("summary is on its way"),
            "{}",
            summary.body
        );
        let yearly = smtp.wait_for("monthly@example.org", 5).await;
        assert!(yearly[4].data.contains("Total: $"), "{}", yearly[4].data);
        // This donor covers the fee; a new amount keeps it covered.
        app.store.set_plan_amount(1, 2500, 106).await.unwrap();
        let changed = b
            .post_raw(&format!("{path}/plans/1/amount"), &[("amount", "30")])
            .await;
        assert!(
            changed.body.contains("Your monthly gift is updated.")
                && changed.body.contains("$31.21 a month"),
            "$30 and its fee: {}",
            changed.body
        );
        let plan = app.store.plan(1).await.unwrap().unwrap();
        let rate = tidings_donations::FeeRate {
            basis_points: 290,
            fixed: 30,
        };
        assert_eq!(
            (plan.amount, plan.fee),
            (3000, tidings_donations::cover_fee(3000, rate).1),
            "fee cover kept"
        );
        let too_small = b
            .post_raw(&format!("{path}/plans/1/amount"), &[("amount", "1")])
            .await;
        assert_eq!(too_small.status, 422);
        let too_large = b
            .post_raw(&format!("{path}/plans/1/amount"), &[("amount", "10001")])
            .await;
        assert_eq!(too_large.status, 422, "the form's maximum holds here too");
        let stopped = b.post_raw(&format!("{path}/plans/1/cancel"), &[]).await;
        assert!(stopped.body.contains("stopped"), "{}", stopped.body);
        let revived = b
            .post_raw(&format!("{path}/plans/1/amount"), &[("amount", "40")])
            .await;
        assert_eq!(revived.status, 422, "a stopped gift cannot be changed");
        assert_eq!(app.store.plan(1).await.unwrap().unwrap().amount, 3000);
        assert_eq!(
            state
                .donations()
                .renew_due(later + Duration::days(40))
                .await
                .unwrap(),
            1,
            "only the other plan"
        );
        let unknown = b
            .post_raw("/donate/portal", &[("email", "stranger@example.org")])
            .await;
        assert!(
            unknown.body.contains("If that address has given before"),
            "no enumeration"
        );
    }
);

/// Gives as ana@example.org through the test gateway and completes (or abandons) the checkout.
async fn give_as(b: &mut Browser, first: &str, last: &str, complete: bool) {
    let sent = donate(
        b,
        &[("first_name", first), ("last_name", last), ("address", "")],
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let path = sent
        .location
        .unwrap()
        .trim_start_matches("http://news.test")
        .to_string();
    if complete {
        let done = b.post_raw(&path, &[("outcome", "complete")]).await;
        assert_eq!(done.status, 303);
    }
}

server_test!(
    an_abandoned_form_cannot_rename_a_donor,
    Options::default(),
    |app| {
        let mut ana = Browser::new(&app.base);
        give_as(&mut ana, "Ana", "Reader", true).await;
        // Someone who knows Ana's address submits the form in another name and walks away.
        let mut mallory = Browser::new(&app.base);
        give_as(&mut mallory, "Mallory", "Renamer", false).await;
        let (rows, _) = app.store.list_donations(&Default::default()).await.unwrap();
        let paid = rows
            .iter()
            .find(|d| d.status == DonationStatus::Succeeded)
            .unwrap();
        assert_eq!(
            (paid.first_name.as_str(), paid.last_name.as_str()),
            ("Ana", "Reader")
        );
        let (_, first) = app
            .store
            .donor_by_email("ana@example.org")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first, "Ana", "the donor record is untouched");
        let pending = rows
            .iter()
            .find(|d| d.status == DonationStatus::Pending)
            .unwrap();
        assert_eq!(
            pending.first_name, "Mallory",
            "the name stays with its own attempt"
        );

        // A paid gift in a new name does update the donor.
        let mut again = Browser::new(&app.base);
        give_as(&mut again, "Ana", "Married-Name", true).await;
        let (_, first) = app
            .store
            .donor_by_email("ana@example.org")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first, "Ana");
        let history = app
            .store
            .list_donations(&Default::default())
            .await
            .unwrap()
            .0;
        let earlier = history.iter().find(|d| d.id == paid.id).unwrap();
        assert_eq!(
            earlier.last_name, "Reader",
            "earlier receipts keep their name"
        );
    }
);

server_test!(
    portal_links_are_limited_per_address_and_per_network,
    Options {
        smtp: true,
        ..Options::default()
    },
    |app| {
        let smtp = app.smtp.clone().unwrap();
        let mut ana = Browser::new(&app.base);
        give_as(&mut ana, "Ana", "Reader", true).await;
        smtp.wait_for("ana@example.org", 1).await;
        let mut b = Browser::new(&app.base);
        b.get("/donate/portal").await;
        let first = b
            .post_raw("/donate/portal", &[("email", "ana@example.org")])
            .await;
        assert_eq!(first.status, 200);
        let again = b
            .post_raw("/donate/portal", &[("email", "ana@example.org")])
            .await;
        assert_eq!(
            (again.status, &again.body),
            (first.status, &first.body),
            "same answer"
        );
        let mut tripped = None;
        for i in 0..20 {
            let page = b
                .post_raw("/donate/portal", &[("email", &format!("n{i}@example.org"))])
                .await;
            if page.status == 429 {
                tripped = Some((i, page.retry_after));
                break;
            }
        }
        let (at, retry) = tripped.expect("the per-network limit trips within 20 requests");
        assert!(at < 18, "{at}");
        assert!(retry.unwrap().parse::<i64>().unwrap() > 0);
        // Another receipt arriving after the repeat proves its mail would have been sent by now.
        give_as(&mut Browser::new(&app.base), "Ana", "Reader", true).await;
        let to_ana = smtp.wait_for("ana@example.org", 3).await;
        let links = to_ana
            .iter()
            .filter(|m| m.data.contains("/donate/portal/"))
            .count();
        assert_eq!(links, 1, "one portal link");
        assert_eq!(smtp.messages_to("ana@example.org").len(), 3);
    }
);
