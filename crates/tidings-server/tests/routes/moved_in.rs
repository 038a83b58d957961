//! Gifts moved in from GiveWP in the admin and the donor portal: listed and totalled with the
//! rest, never refunded or changed from here (the old platform took the money and still charges
//! the monthly gifts).

use std::path::Path;

use tidings_accounts::Role;

use crate::routes::donate::smtp;
use crate::server_test;
use crate::support::attr;
use crate::support::browser::{account, link, Browser, PASSWORD};

async fn move_in(store: &tidings_store::Store) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/givewp");
    let plan = tidings_import::givewp::plan(
        &data.join("givewp-donations-single-form.csv"),
        Some(&data.join("givewp-donors.csv")),
        chrono_tz::UTC,
    )
    .unwrap();
    tidings_import::givewp::import(store, &plan).await.unwrap();
}

server_test!(
    moved_in_gifts_are_listed_but_not_refunded_or_changed_here,
    smtp(),
    |app| {
        move_in(&app.store).await;
        account(&app.store, "owner@example.org", Role::Owner).await;
        let mut admin = Browser::new(&app.base);
        admin.sign_in("owner@example.org", PASSWORD).await;
        let list = admin.get("/admin/donations").await;
        assert_eq!(list.status, 200);
        assert!(list.body.contains("GiveWP #1190"), "{}", list.body);
        assert!(list.body.contains("maya.okafor@example.org"));

        // A refund of a moved-in gift is refused with the reason; nothing is recorded.
        let id = attr(
            &list.body,
            "<form method=\"post\" action=\"/admin/donations/",
            "action",
        )
        .unwrap();
        let key = attr(&list.body, "<input type=\"hidden\" name=\"key\"", "value").unwrap();
        let refused = admin
            .post(&id, &[("amount", ""), ("key", key.as_str()), ("seen", "0")])
            .await;
        assert!(
            refused.body.contains("moved in from another platform"),
            "{}",
            refused.body
        );
        let gift: i64 = id
            .trim_start_matches("/admin/donations/")
            .trim_end_matches("/refund")
            .parse()
            .unwrap();
        assert!(app.store.refunds(gift).await.unwrap().is_empty());

        // In the portal, the donor sees the monthly gift and is told where to change it.
        let smtp = app.smtp.clone().unwrap();
        let mut donor = Browser::new(&app.base);
        donor
            .post_raw("/donate/portal", &[("email", "maya.okafor@example.org")])
            .await;
        let mail = smtp.wait_for("maya.okafor@example.org", 1).await;
        let portal = link(&mail[0].data, "http://news.test/donate/portal/");
        let path = portal.trim_start_matches("http://news.test").to_string();
        let page = donor.get(&path).await;
        assert!(page.body.contains("$25.00 a month"), "{}", page.body);
        let plan = app
            .store
            .list_donations(&Default::default())
            .await
            .unwrap()
            .0
            .into_iter()
            .find_map(|d| d.plan_id.filter(|_| d.email == "maya.okafor@example.org"))
            .unwrap();
        let stop = donor
            .post_raw(&format!("{path}/plans/{plan}/cancel"), &[])
            .await;
        assert_eq!(stop.status, 422);
        assert!(
            stop.body.contains("previous donation platform"),
            "{}",
            stop.body
        );
        let plan = app.store.plan(plan).await.unwrap().unwrap();
        assert_eq!(plan.status, tidings_store::PlanStatus::Active);
    }
);
