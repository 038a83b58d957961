use tidings_newsletter::solve;
use tidings_store::SubscriberStatus;

use crate::server_test;
use crate::support::browser::{link, Browser};
use crate::support::{Options, TestApp};

/// Opens the signup page and returns (challenge, difficulty).
async fn challenge(b: &mut Browser) -> (String, u32) {
    let page = b.get("/subscribe/").await;
    assert_eq!(page.status, 200);
    let at = page.body.find("name=\"challenge\" value=\"").unwrap() + 24;
    let token = page.body[at..].split('"').next().unwrap().to_string();
    let at = page.body.find("data-difficulty=\"").unwrap() + 17;
    let difficulty = page.body[at..].split('"').next().unwrap().parse().unwrap();
    (token, difficulty)
}

pub async fn sign_up(app: &TestApp, email: &str, honeypot: &str) -> (u16, String) {
    sign_up_named(app, email, "Reader", honeypot).await
}

async fn sign_up_named(app: &TestApp, email: &str, name: &str, honeypot: &str) -> (u16, String) {
    sign_up_from(app, email, name, honeypot, "/subscribe/").await
}

async fn sign_up_from(
    app: &TestApp,
    email: &str,
    name: &str,
    honeypot: &str,
    source: &str,
) -> (u16, String) {
    let mut b = Browser::new(&app.base);
    let (token, difficulty) = challenge(&mut b).await;
    let solution = solve(&token, difficulty).to_string();
    let page = b
        .post_raw(
            "/subscribe/",
            &[
                ("email", email),
                ("name", name),
                ("website", honeypot),
                ("challenge", &token),
                ("solution", &solution),
                ("source", source),
            ],
        )
        .await;
    (page.status, page.body)
}

server_test!(
    double_opt_in_end_to_end_over_smtp,
    Options {
        smtp: true,
        ..Options::default()
    },
    |app| {
        let smtp = app.smtp.clone().unwrap();
        let (status, body) = sign_up(&app, "  Reader@Bücher.example ", "").await;
        assert_eq!(status, 200);
        assert!(body.contains("Check your inbox"));
        let address = "reader@xn--bcher-kva.example";
        let sub = app
            .store
            .subscriber_by_email(address)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            sub.status,
            SubscriberStatus::Pending,
            "not subscribed until confirmed"
        );
        assert!(
            sub.consent_text.contains("unsubscribe at any time") && sub.consent_ip == "127.0.0.1"
        );
        assert_eq!(sub.consent_source, "/subscribe/");

        let mails = smtp.wait_for(address, 1).await;
        assert!(mails[0]
            .header("Content-Type")
            .unwrap()
            .starts_with("multipart/alternative"));
        let url = link(&mails[0].data, "http://news.test/subscribe/confirm/");
        let path = url.trim_start_matches("http://news.test");

        // Following the link (as a mail scanner would) confirms nobody.
        let page = app.get(path).await;
        assert_eq!(page.status(), 200);
        assert!(page
            .text()
            .await
            .unwrap()
            .contains("Confirm my subscription"));
        assert_eq!(
            app.store.subscriber(sub.id).await.unwrap().unwrap().status,
            SubscriberStatus::Pending
        );
        let res = app
            .client
            .post(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("You're subscribed"));
        assert_eq!(
            app.store.subscriber(sub.id).await.unwrap().unwrap().status,
            SubscriberStatus::Confirmed
        );
        let again = app
            .client
            .post(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 422, "single use");

        let welcome = smtp.wait_for(address, 2).await;
        let unsubscribe = welcome[1].header("List-Unsubscribe").unwrap();
        assert_eq!(
            welcome[1].header("List-Unsubscribe-Post").unwrap(),
            "List-Unsubscribe=One-Click"
        );
        let unsubscribe = unsubscribe
            .trim_matches(|c| c == '<' || c == '>')
            .trim_start_matches("http://news.test");

        // The same answer, and no new email, for an address that is already subscribed.
        let (status, body_again) = sign_up(&app, address, "").await;
        assert_eq!(status, 200);
        assert_eq!(body_again.replace(address, "X"), body.replace(address, "X"));
        // A later signup's confirmation arriving proves nothing more went to this address.
        sign_up(&app, "someone-else@example.org", "").await;
        smtp.wait_for("someone-else@example.org", 1).await;
        assert_eq!(smtp.messages_to(address).len(), 2);

        // The private preferences page, linked from the welcome email.
        let prefs = link(&welcome[1].data, "http://news.test/subscribe/preferences/");
        let prefs = prefs.trim_start_matches("http://news.test");
        let page = app.get(prefs).await.text().await.unwrap();
        assert!(page.contains(address) && page.contains("name=\"digest\" value=\"1\" checked"));
        let saved = app
            .client
            .post(format!("{}{prefs}", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("breaking=1")
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), 200);
        let now = app.store.subscriber(sub.id).await.unwrap().unwrap();
        assert!(!now.digest && now.breaking);
        let wrong_purpose = prefs.replace("/subscribe/preferences/", "/unsubscribe/");
        assert_eq!(
            app.client
                .post(format!("{}{wrong_purpose}", app.base))
                .send()
                .await
                .unwrap()
                .status(),
            404,
            "tokens are bound to their purpose"
        );

        // RFC 8058 one-click: a POST to the link in the header, effective at once.
        let page = app.get(unsubscribe).await;
        assert!(page.text().await.unwrap().contains("Unsubscribe"));
        let res = app
            .client
            .post(format!("{}{unsubscribe}", app.base))
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            app.store.subscriber(sub.id).await.unwrap().unwrap().status,
            SubscriberStatus::Unsubscribed
        );
        let flip = if unsubscribe.ends_with('0') { "1" } else { "0" };
        let forged = format!("{}{flip}", &unsubscribe[..unsubscribe.len() - 1]);
        assert_eq!(
            app.client
                .post(format!("{}{forged}", app.base))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
    }
);

server_test!(
    bots_and_bad_input_are_turned_away,
    Options {
        smtp: true,
        ..Options::default()
    },
    |app| {
        let smtp = app.smtp.clone().unwrap();
        // Honeypot: the same friendly page, nothing stored, nothing sent.
        let (status, body) = sign_up(&app, "bot@example.org", "http://spam.example").await;
        assert_eq!(status, 200);
        assert!(body.contains("Check your inbox"));
        assert!(app
            .store
            .subscriber_by_email("bot@example.org")
            .await
            .unwrap()
            .is_none());
        assert!(smtp.messages_to("bot@example.org").is_empty());

        let (status, body) = sign_up(&app, "not an address", "").await;
        assert_eq!(status, 422);
        assert!(
            body.contains("Email:") && body.contains("value=\"not an address\""),
            "keeps what was typed"
        );

        // No solved challenge, a wrong solution, a reused challenge, a foreign origin.
        let mut b = Browser::new(&app.base);
        let (token, difficulty) = challenge(&mut b).await;
        let page = b
            .post_raw(
                "/subscribe/",
                &[("email", "a@example.org"), ("challenge", &token)],
            )
            .await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("needs JavaScript"));
        let bad = (0u64..)
            .find(|n| *n != solve(&token, difficulty))
            .unwrap()
            .to_string();
        let solution = solve(&token, difficulty).to_string();
        let wrong = b
            .post_raw(
                "/subscribe/",
                &[
                    ("email", "a@example.org"),
                    ("challenge", &token),
                    ("solution", &bad),
                ],
            )
            .await;
        assert_eq!(wrong.status, 422);
        let ok = b
            .post_raw(
                "/subscribe/",
                &[
                    ("email", "a@example.org"),
                    ("challenge", &token),
                    ("solution", &solution),
                ],
            )
            .await;
        assert_eq!(ok.status, 200);
        let reused = b
            .post_raw(
                "/subscribe/",
                &[
                    ("email", "b@example.org"),
                    ("challenge", &token),
                    ("solution", &solution),
                ],
            )
            .await;
        assert_eq!(reused.status, 422, "a challenge is spent once");
        let (token2, _) = challenge(&mut b).await;
        let solution2 = solve(&token2, difficulty).to_string();
        let foreign = b
            .post_with(
                "/subscribe/",
                &[
                    ("email", "c@example.org"),
                    ("challenge", &token2),
                    ("solution", &solution2),
                ],
                &[("origin", "https://evil.example")],
            )
            .await;
        assert_eq!(foreign.status, 403);
    }
);

server_test!(
    signups_are_rate_limited_per_address,
    Options::default(),
    |app| {
        let mut last = 0;
        let mut retry = None;
        for i in 0..12 {
            let mut b = Browser::new(&app.base);
            let (token, difficulty) = challenge(&mut b).await;
            let solution = solve(&token, difficulty).to_string();
            let email = format!("r{i}@example.org");
            let page = b
                .post_raw(
                    "/subscribe/",
                    &[
                        ("email", &email),
                        ("challenge", &token),
                        ("solution", &solution),
                    ],
                )
                .await;
            last = page.status;
            retry = page.retry_after;
            if last == 429 {
                break;
            }
        }
        assert_eq!(last, 429);
        assert!(retry.unwrap().parse::<i64>().unwrap() > 0);
    }
);

server_test!(
    administrators_see_subscribers_and_editors_do_not,
    Options::default(),
    |app| {
        use crate::support::browser::{account, PASSWORD};
        use tidings_accounts::Role;
        sign_up(&app, "first@example.org", "").await;
        sign_up(&app, "second@example.org", "").await;
        account(&app.store, "admin@example.org", Role::Administrator).await;
        account(&app.store, "ed@example.org", Role::Editor).await;
        let mut admin = Browser::new(&app.base);
        admin.sign_in("admin@example.org", PASSWORD).await;
        let page = admin.get("/admin/subscribers").await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("first@example.org")
                && page.body.contains("<strong>2</strong> pending")
        );
        let filtered = admin.get("/admin/subscribers?q=second").await;
        assert!(
            filtered.body.contains("second@example.org")
                && !filtered.body.contains("first@example.org")
        );
        let mut ed = Browser::new(&app.base);
        ed.sign_in("ed@example.org", PASSWORD).await;
        assert_eq!(
            ed.get("/admin/subscribers").await.status,
            403,
            "personal data: owners and administrators only"
        );
    }
);

server_test!(
    header_injection_and_oversized_names_are_refused,
    Options::default(),
    |app| {
        let (status, body) =
            sign_up_named(&app, "eve@example.org", "Eve\r\nBcc: all@example.net", "").await;
        assert_eq!(status, 422);
        assert!(
            body.contains("Your name can be at most 100 characters, on one line.")
                && body.contains("<a href=\"#name\">"),
            "{body}"
        );
        let (status, _) = sign_up_named(&app, "eve@example.org", &"x".repeat(101), "").await;
        assert_eq!(status, 422);
        assert!(app
            .store
            .subscriber_by_email("eve@example.org")
            .await
            .unwrap()
            .is_none());
        let (status, _) =
            sign_up_named(&app, &format!("{}@example.org", "a".repeat(300)), "Eve", "").await;
        assert_eq!(status, 422, "oversized address");
    }
);

server_test!(
    one_confirmation_per_address_however_often_it_is_asked_for,
    Options {
        smtp: true,
        ..Options::default()
    },
    |app| {
        let smtp = app.smtp.clone().unwrap();
        let (first_status, first) =
            sign_up_from(&app, "flood@example.org", "", "", "/first-story/").await;
        let before = app
            .store
            .subscriber_by_email("flood@example.org")
            .await
            .unwrap()
            .unwrap();
        for page in ["/second-story/", "/third-story/", "/fourth-story/"] {
            let (status, body) = sign_up_from(&app, "flood@example.org", "", "", page).await;
            // The same answer as the first time: nothing tells a stranger what happened.
            assert_eq!(status, first_status);
            assert_eq!(body, first);
        }
        // A later signup's mail arriving proves the queue has caught up.
        sign_up(&app, "later@example.org", "").await;
        smtp.wait_for("later@example.org", 1).await;
        assert_eq!(
            smtp.messages_to("flood@example.org").len(),
            1,
            "one confirmation"
        );
        let after = app
            .store
            .subscriber_by_email("flood@example.org")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            after.consent_source, "/first-story/",
            "the first consent record stays"
        );
        assert_eq!(after.consent_at, before.consent_at);
    }
);
