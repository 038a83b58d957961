//! Donations through real HTTP: the test gateway end to end (receipt over SMTP, admin list, CSV),
//! declines, double submissions, bad input, card-testing limits, monthly renewals with a
//! controllable clock, and the donor portal.

use tidings_accounts::Role;
use tidings_newsletter::solve;
use tidings_store::DonationStatus;

use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};
use crate::support::{attr, Options};

pub(crate) fn smtp() -> Options {
    Options {
        smtp: true,
        ..Options::default()
    }
}

/// Opens a form and returns its fields: (key, challenge, solution).
pub(crate) async fn open_form(b: &mut Browser, path: &str) -> (String, String, String) {
    let page = b.get(path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let key = attr(&page.body, "<input type=\"hidden\" name=\"key\"", "value").unwrap();
    let challenge = attr(&page.body, "<form method=\"post\"", "data-challenge").unwrap();
    let difficulty: u32 = attr(&page.body, "<form method=\"post\"", "data-difficulty")
        .unwrap()
        .parse()
        .unwrap();
    let solution = solve(&challenge, difficulty).to_string();
    (key, challenge, solution)
}

/// Fills and posts the default form; extra fields override the defaults.
pub(crate) async fn donate(
    b: &mut Browser,
    extra: &[(&str, &str)],
) -> crate::support::browser::Page {
    let (key, challenge, solution) = open_form(b, "/donate/").await;
    let mut fields: Vec<(&str, String)> = vec![
        ("amount", "10000".into()),
        ("custom_amount", String::new()),
        ("frequency", "once".into()),
        ("currency", "USD".into()),
        ("first_name", "Ana".into()),
        ("last_name", "Reader".into()),
        ("email", "ana@example.org".into()),
        ("website", String::new()),
        ("key", key),
        ("challenge", challenge),
        ("solution", solution),
        ("source", "/a-story/".into()),
    ];
    for (k, v) in extra {
        fields.retain(|(name, _)| name != k);
        fields.push((k, v.to_string()));
    }
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post_raw("/donate/", &refs).await
}

server_test!(a_test_gateway_gift_from_start_to_receipt, smtp(), |app| {
    let smtp = app.smtp.clone().unwrap();
    let mut b = Browser::new(&app.base);
    let page = b.get("/donate/").await;
    assert!(page.body.contains("Test mode"), "{}", page.body);
    assert!(
        page.body.contains("value=\"10000\" checked"),
        "$100 selected by default"
    );
    assert!(
        !page.body.contains("name=\"cover_fee\" checked"),
        "fee cover never ticked by default"
    );
    let res = app.get("/donate/").await;
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    assert_eq!(res.headers()["cache-control"], "no-store");

    let sent = donate(
        &mut b,
        &[
            ("cover_fee", "on"),
            ("shown_total", "10330"),
            ("dedication", "For the harbour"),
            // A forged page posting card details: they are ignored, never stored.
            ("card_number", "4242424242424242"),
            ("cvc", "123"),
        ],
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let checkout = sent.location.unwrap();
    let path = checkout.trim_start_matches("http://news.test");
    assert!(
        path.starts_with("/donate/test-checkout/test_"),
        "{checkout}"
    );
    let page = b.get(path).await;
    assert!(
        page.body.contains("Test mode") && page.body.contains("$103.30"),
        "{}",
        page.body
    );
    let done = b.post_raw(path, &[("outcome", "complete")]).await;
    assert_eq!(done.status, 303);
    let thanks = b.get(&done.location.unwrap()).await;
    assert!(thanks.body.contains("Thank you, Ana"), "{}", thanks.body);

    let receipt = smtp.wait_for("ana@example.org", 1).await;
    let text = &receipt[0].data;
    assert!(
        text.contains("Harbour") || text.contains("receipt"),
        "{text}"
    );
    assert!(
        text.contains("$100.00") && text.contains("$103.30") && text.contains("TEST MODE"),
        "{text}"
    );

    // The newsroom sees it, with totals, and the accountant's CSV has it.
    account(&app.store, "owner@example.org", Role::Owner).await;
    let mut admin = Browser::new(&app.base);
    admin.sign_in("owner@example.org", PASSWORD).await;
    let list = admin.get("/admin/donations").await;
    assert!(list.body.contains("ana@example.org") && list.body.contains("For the harbour"));
    assert!(
        list.body.contains("/a-story/"),
        "the article the donor came from"
    );
    assert!(list.body.contains("<svg viewBox=\"0 0 600 160\""));
    let csv = app
        .client
        .get(format!("{}/admin/donations/export", app.base))
        .header(
            "cookie",
            format!("tidings_session={}", admin.session().unwrap()),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("4242424242424242") && !list.body.contains("4242424242424242"));
    if let Some(path) = app.db_url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap();
        let mut stored = Vec::new();
        for file in [path.to_string(), format!("{path}-wal")] {
            stored.extend(std::fs::read(&file).unwrap_or_default());
        }
        let has = |needle: &[u8]| stored.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"For the harbour"), "the database files were read");
        assert!(
            !has(b"4242424242424242") && !has(b"cvc"),
            "no card data stored"
        );
    }
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.contains(",succeeded,once,USD,100.00,3.30,103.30,0.00,Ana,Reader,ana@example.org,"),
        "{row}"
    );

    // A refund from the admin goes through the gateway and is recorded.
    let id = attr(
        &list.body,
        "<form method=\"post\" action=\"/admin/donations/",
        "action",
    )
    .unwrap();
    let key = attr(&list.body, "<input type=\"hidden\" name=\"key\"", "value").unwrap();
    let form = [("amount", ""), ("key", key.as_str()), ("seen", "0")];
    // Two clicks of the same form, at once: one refund.
    let (mut a, mut b) = (admin.clone(), admin.clone());
    let (first, second) = tokio::join!(a.post(&id, &form), b.post(&id, &form));
    let mut bodies = [first.body.clone(), second.body.clone()];
    bodies.sort_by_key(|b| !b.contains("Refunded $103.30"));
    assert!(bodies[0].contains("Refunded $103.30"), "{}", bodies[0]);
    assert!(
        bodies[1].contains("already made")
            || bodies[1].contains("changed since")
            || bodies[1].contains("no more than what is left"),
        "{}",
        bodies[1]
    );
    let (rows, _) = app.store.list_donations(&Default::default()).await.unwrap();
    assert_eq!(rows[0].status, DonationStatus::Refunded);
    assert_eq!(rows[0].refunded_amount, 10330);
    let refunds = app.store.refunds(rows[0].id).await.unwrap();
    assert_eq!(
        refunds,
        vec![(10330, "succeeded".to_string())],
        "one refund"
    );
    // The same form sent again later changes nothing either.
    let again = admin.post(&id, &form).await;
    assert!(again.body.contains("already made"), "{}", again.body);
    assert_eq!(app.store.refunds(rows[0].id).await.unwrap().len(), 1);
});

server_test!(
    a_declined_payment_shows_the_form_again_and_records_nothing_paid,
    smtp(),
    |app| {
        let mut b = Browser::new(&app.base);
        let sent = donate(&mut b, &[]).await;
        let path = sent
            .location
            .unwrap()
            .trim_start_matches("http://news.test")
            .to_string();
        let declined = b.post_raw(&path, &[("outcome", "decline")]).await;
        assert_eq!(declined.status, 402);
        assert!(declined.body.contains("declined") && declined.body.contains("name=\"amount\""));
        let (rows, totals) = app.store.list_donations(&Default::default()).await.unwrap();
        assert_eq!(rows[0].status, DonationStatus::Failed);
        assert!(totals.is_empty(), "nothing counted as paid");
        assert!(
            app.smtp
                .as_ref()
                .unwrap()
                .messages_to("ana@example.org")
                .is_empty(),
            "no receipt"
        );
    }
);

server_test!(
    a_double_submission_makes_one_donation,
    Options::default(),
    |app| {
        let mut b = Browser::new(&app.base);
        let (key, challenge, solution) = open_form(&mut b, "/donate/").await;
        let fields = |c: &str, s: &str| {
            vec![
                ("amount".to_string(), "5000".to_string()),
                ("frequency".into(), "once".into()),
                ("first_name".into(), "Ben".into()),
                ("last_name".into(), "Reader".into()),
                ("email".into(), "ben@example.org".into()),
                ("key".into(), key.clone()),
                ("challenge".into(), c.to_string()),
                ("solution".into(), s.to_string()),
            ]
        };
        let first = fields(&challenge, &solution);
        let refs: Vec<(&str, &str)> = first
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let one = b.post_raw("/donate/", &refs).await;
        // The retry carries the same key (same form) with a fresh challenge, as the script would solve.
        let (_, c2, s2) = open_form(&mut b, "/donate/").await;
        let second = fields(&c2, &s2);
        let refs: Vec<(&str, &str)> = second
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let two = b.post_raw("/donate/", &refs).await;
        assert_eq!((one.status, two.status), (303, 303));
        assert_eq!(one.location, two.location, "the same checkout");
        assert_eq!(
            app.store
                .list_donations(&Default::default())
                .await
                .unwrap()
                .0
                .len(),
            1
        );
    }
);

server_test!(
    forms_and_campaigns_from_the_admin,
    Options::default(),
    |app| {
        account(&app.store, "owner@example.org", Role::Owner).await;
        let mut admin = Browser::new(&app.base);
        admin.sign_in("owner@example.org", PASSWORD).await;
        admin.get("/admin/donations/forms").await;
        let saved = admin
            .post(
                "/admin/donations/campaigns",
                &[
                    ("slug", "spring"),
                    ("title", "Spring drive"),
                    ("goal", "5000"),
                    ("currency", "EUR"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303);
        let campaign = app.store.campaigns().await.unwrap()[0].id.to_string();
        admin.get("/admin/donations/forms").await;
        let form = admin
            .post(
                "/admin/donations/forms",
                &[
                    ("slug", "spring"),
                    ("title", "Spring drive"),
                    ("currency", "EUR"),
                    ("presets", "10, 20, 50"),
                    ("default_amount", "20"),
                    ("minimum", "5"),
                    ("maximum", "1000"),
                    ("allow_monthly", "on"),
                    ("campaign_id", &campaign),
                ],
            )
            .await;
        assert_eq!(form.status, 200, "{}", form.body);
        let page = app.text("/donate/spring/").await;
        assert!(
            page.contains("Spring drive") && page.contains("€0.00 raised of €5,000.00"),
            "{page}"
        );
        assert!(page.contains("<progress max=\"100\" value=\"0\">"));
        assert!(
            !page.contains("name=\"cover_fee\""),
            "not offered on this form"
        );
        let bad = admin
            .post(
                "/admin/donations/forms",
                &[
                    ("slug", "Bad Slug"),
                    ("title", "x"),
                    ("currency", "EUR"),
                    ("presets", "10"),
                    ("default_amount", "10"),
                    ("minimum", "5"),
                    ("maximum", "100"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert_eq!(app.get("/donate/nope/").await.status(), 404);
        account(&app.store, "ed@example.org", Role::Editor).await;
        let mut ed = Browser::new(&app.base);
        ed.sign_in("ed@example.org", PASSWORD).await;
        assert_eq!(ed.get("/admin/donations").await.status, 403);
    }
);
