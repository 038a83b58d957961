//! Subscribers in the admin: import (dry run first, all or nothing), export, and the growth chart.

use tidings_accounts::Role;
use tidings_store::SubscriberStatus;

use crate::server_test;
use crate::support::browser::{account, Browser, Part, PASSWORD};
use crate::support::Options;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/subscribers")
        .join(name);
    std::fs::read(path).unwrap()
}

async fn import(b: &mut Browser, name: &str, bytes: &[u8], dry_run: bool) -> (u16, String) {
    let mut parts = Vec::new();
    if dry_run {
        parts.push(Part::Field("dry_run", "on"));
    }
    parts.push(Part::File("file", name, bytes));
    let page = b.post_multipart("/admin/subscribers/import", &parts).await;
    (page.status, page.body)
}

server_test!(import_with_dry_run_then_export, Options::default(), |app| {
    account(&app.store, "admin@example.org", Role::Administrator).await;
    let mut b = Browser::new(&app.base);
    b.sign_in("admin@example.org", PASSWORD).await;
    b.get("/admin/subscribers").await;

    let csv = fixture("mailchimp-subscribed.csv");
    let (status, body) = import(&mut b, "mailchimp-subscribed.csv", &csv, true).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("read as Mailchimp") && body.contains("Dry run: nothing was imported."),
        "{body}"
    );
    assert!(app.store.all_subscribers().await.unwrap().is_empty());

    let (status, body) = import(&mut b, "mailchimp-subscribed.csv", &csv, false).await;
    assert_eq!(status, 200);
    assert!(body.contains("Imported"), "{body}");
    let all = app.store.all_subscribers().await.unwrap();
    assert!(!all.is_empty() && all.iter().all(|s| s.status == SubscriberStatus::Confirmed));
    assert!(all[0].consent_source.contains("mailchimp-subscribed.csv"));
    let before = all.len();

    // One bad line: the whole file is refused, line named, nothing added.
    let broken = b"email,name\nfine@example.org,Fine\nnot-an-address,Broken\n";
    let (status, body) = import(&mut b, "broken.csv", broken, false).await;
    assert_eq!(status, 422);
    assert!(body.contains("line 3"), "{body}");
    assert_eq!(app.store.all_subscribers().await.unwrap().len(), before);

    // The chart is drawn on the server and counts today's confirmed subscribers.
    let page = b.get("/admin/subscribers").await;
    assert!(page.body.contains("<svg viewBox=\"0 0 600 160\""));
    assert!(
        page.body.contains(&format!("{before} on ")),
        "{}",
        page.body
    );

    let res = app
        .client
        .get(format!("{}/admin/subscribers/export", app.base))
        .header(
            "cookie",
            format!("tidings_session={}", b.session().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("email,name,status,"));
    assert_eq!(csv.lines().count(), before + 1);

    // Editors do not see personal data.
    account(&app.store, "ed@example.org", Role::Editor).await;
    let mut ed = Browser::new(&app.base);
    ed.sign_in("ed@example.org", PASSWORD).await;
    assert_eq!(ed.get("/admin/subscribers/export").await.status, 403);
});
