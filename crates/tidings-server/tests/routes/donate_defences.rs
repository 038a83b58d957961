//! What a donation form refuses before any payment starts: bad input (every field, all at once,
//! nothing saved), card testing from one address, and an optional challenge provider.

use crate::routes::donate::{donate, open_form};
use crate::server_test;
use crate::support::browser::Browser;
use crate::support::Options;

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
