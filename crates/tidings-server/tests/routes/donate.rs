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
    bad_input_is_refused_on_the_form_and_nothing_is_saved,
    Options {
        configure: Some(Box::new(|c| c.payments.attempt_limit = 100)),
        ..Options::default()
    },
    |app| {
        let mut b = Browser::new(&app.base);
        let long_dedication = "x".repeat(301);
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (
                vec![("amount", "custom"), ("custom_amount", "2")],
                "smallest gift on this form is $5.00",
            ),
            (
                vec![("amount", "custom"), ("custom_amount", "lots")],
                "Enter the amount as a number",
            ),
            (vec![("currency", "XYZ")], "This form takes USD only"),
            (vec![("email", "")], "Enter your email address"),
            (vec![("email", "not an address")], "Email:"),
            (vec![("first_name", "")], "Enter your first name"),
            (
                vec![("first_name", "Ana\r\nBcc: x@example.org")],
                "on one line",
            ),
            (vec![("last_name", "Rea\nder")], "on one line"),
            (vec![("last_name", "Rea\u{7}der")], "on one line"),
            (vec![("dedication", "For the\nharbour")], "on one line"),
            (
                vec![("dedication", &long_dedication)],
                "at most 300 characters",
            ),
            (vec![("address", "1 Quay St\u{0}")], "cannot print"),
            (vec![("frequency", "weekly")], "one-time or monthly"),
            (
                vec![
                    ("amount", "custom"),
                    ("custom_amount", "50"),
                    ("shown_total", "1"),
                ],
                "total changed",
            ),
            (vec![("amount", "999999999")], "largest gift"),
            (vec![("key", "x")], "incomplete"),
            (vec![("solution", "nope")], "needs JavaScript"),
            (
                vec![("website", "http://spam.example")],
                "could not take this donation",
            ),
        ];
        for (extra, message) in cases {
            let page = donate(&mut b, &extra).await;
            assert_eq!(page.status, 422, "{extra:?}: {}", page.body);
            assert!(
                page.body.contains(message),
                "{extra:?}: expected {message:?} in {}",
                page.body
            );
            assert!(
                page.body.contains("name=\"first_name\""),
                "the form is shown again"
            );
        }
        // Everything wrong is said at once, at the top, each linked to its field and repeated there.
        let page = donate(
            &mut b,
            &[("first_name", ""), ("last_name", ""), ("email", "nobody")],
        )
        .await;
        assert_eq!(page.status, 422);
        assert!(
            page.body.contains("Please fix these 3 things"),
            "{}",
            page.body
        );
        for (field, message) in [
            ("first_name", "Enter your first name."),
            ("last_name", "Enter your last name."),
            ("email", "Email:"),
        ] {
            assert!(
                page.body
                    .contains(&format!("<a href=\"#{field}\">{message}")),
                "{field} is linked from the summary: {}",
                page.body
            );
            let input = page
                .body
                .split(&format!("<input id=\"{field}\""))
                .nth(1)
                .and_then(|rest| rest.split('>').next())
                .unwrap_or_default();
            assert!(
                input.contains("aria-invalid=\"true\"")
                    && input.contains(&format!("aria-describedby=\"{field}")),
                "{field} is marked and points at its message: {input}"
            );
        }
        assert!(app
            .store
            .list_donations(&Default::default())
            .await
            .unwrap()
            .0
            .is_empty());
        // A forged total on a valid amount is caught by the server's own arithmetic.
        let ok = donate(&mut b, &[("shown_total", "10000")]).await;
        assert_eq!(ok.status, 303);
    }
);

server_test!(
    card_testing_is_cut_off_per_address_while_others_get_through,
    Options {
        configure: Some(Box::new(|c| {
            c.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
            c.payments.attempt_limit = 5;
        })),
        ..Options::default()
    },
    |app| {
        let mut statuses = Vec::new();
        // Bots that cannot pass the proof-of-work are turned away without using up the allowance.
        for _ in 0..20 {
            let res = app
                .client
                .post(format!("{}/donate/", app.base))
                .header("x-forwarded-for", "203.0.113.9")
                .form(&[
                    ("amount", "500"),
                    ("email", "bot@example.org"),
                    ("key", "k"),
                    ("challenge", "x"),
                    ("solution", "1"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 422);
        }
        // A card tester who solves every challenge gets five attempts.
        let mut b = Browser::new(&app.base);
        for i in 0..12 {
            let (key, challenge, solution) = open_form(&mut b, "/donate/").await;
            let email = format!("tester{i}@example.org");
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    // Below the form's minimum: refused after counting, so no gift is made.
                    ("amount", "1"),
                    ("custom_amount", "0.01"),
                    ("frequency", "once"),
                    ("first_name", "T"),
                    ("last_name", "T"),
                    ("email", email.as_str()),
                    ("key", key.as_str()),
                    ("challenge", challenge.as_str()),
                    ("solution", solution.as_str()),
                ])
                .finish();
            let res = app
                .client
                .post(format!("{}/donate/", app.base))
                .header("x-forwarded-for", "203.0.113.9")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            if res.status() == 429 {
                assert!(res.headers().contains_key("retry-after"));
            }
            statuses.push(res.status().as_u16());
        }
        assert!(statuses[..5].iter().all(|s| *s == 422), "{statuses:?}");
        assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
        assert!(app
            .store
            .list_donations(&Default::default())
            .await
            .unwrap()
            .0
            .is_empty());

        // Someone else, elsewhere, gives without trouble.
        let mut b = Browser::new(&app.base);
        let (key, challenge, solution) = open_form(&mut b, "/donate/").await;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("amount", "10000"),
                ("frequency", "once"),
                ("first_name", "Real"),
                ("last_name", "Donor"),
                ("email", "real@example.org"),
                ("key", key.as_str()),
                ("challenge", challenge.as_str()),
                ("solution", solution.as_str()),
            ])
            .finish();
        let res = app
            .client
            .post(format!("{}/donate/", app.base))
            .header("x-forwarded-for", "198.51.100.20")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
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

/// A stand-in for a challenge provider's siteverify endpoint: "good-token" passes.
fn siteverify_mock() -> String {
    static BASE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BASE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let app = axum::Router::new().route(
                    "/siteverify",
                    axum::routing::post(|body: axum::body::Bytes| async move {
                        let form: std::collections::HashMap<String, String> =
                            url::form_urlencoded::parse(&body).into_owned().collect();
                        let ok = form.get("response").map(String::as_str) == Some("good-token")
                            && form.get("secret").map(String::as_str) == Some("0x4AAA-secret")
                            && form.contains_key("remoteip");
                        axum::Json(if ok {
                            serde_json::json!({"success": true, "error-codes": [], "hostname": "news.test"})
                        } else {
                            serde_json::json!({"success": false, "error-codes": ["invalid-input-response"]})
                        })
                    }),
                );
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(format!("http://{}/siteverify", listener.local_addr().unwrap()))
                    .unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        rx.recv().unwrap()
    })
    .clone()
}

server_test!(
    an_optional_challenge_provider_is_checked_when_configured,
    Options {
        configure: Some(Box::new(|c| {
            c.payments.challenge_provider = "turnstile".into();
            c.payments.challenge_site_key = "0x4AAA-site".into();
            c.payments.challenge_secret = "0x4AAA-secret".into();
            c.payments.challenge_verify_url = siteverify_mock();
        })),
        ..Options::default()
    },
    |app| {
        let res = app.get("/donate/").await;
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("script-src 'self' https://challenges.cloudflare.com"),
            "{csp}"
        );
        let body = res.text().await.unwrap();
        assert!(body.contains("class=\"cf-turnstile\" data-sitekey=\"0x4AAA-site\""));
        let mut b = Browser::new(&app.base);
        let refused = donate(&mut b, &[]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("security check did not pass"));
        let passed = donate(&mut b, &[("cf-turnstile-response", "good-token")]).await;
        assert_eq!(passed.status, 303, "{}", passed.body);
        // Off by default: the plain form has no third-party script at all.
        assert!(!app
            .text("/subscribe/")
            .await
            .contains("challenges.cloudflare.com"));
    }
);
