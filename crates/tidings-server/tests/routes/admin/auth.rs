use tidings_accounts::{hash_token, Role, TwoFactor};
use tidings_store::UserToken;

use crate::server_test;
use crate::support::browser::{account, link, Browser, PASSWORD};
use crate::support::Options;

server_test!(
    first_run_setup_creates_the_owner_with_the_printed_code,
    Options::default(),
    |app| {
        let mut b = Browser::new(&app.base);
        let page = b.get("/admin/").await;
        assert_eq!(page.status, 303);
        assert_eq!(
            page.location.as_deref(),
            Some("/admin/login?next=%2Fadmin%2F")
        );
        let page = b.get("/admin/login").await;
        assert_eq!(
            page.location.as_deref(),
            Some("/admin/setup"),
            "no account yet: set up first"
        );
        let page = b.get("/admin/setup").await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("name=\"code\""),
            "the setup code is asked for, even from this machine"
        );
        let code = app.server.as_ref().unwrap().state.setup_code().unwrap();
        let without = b
            .post(
                "/admin/setup",
                &[
                    ("email", "owner@example.org"),
                    ("password", PASSWORD),
                    ("confirm", PASSWORD),
                ],
            )
            .await;
        assert_eq!(without.status, 403, "no code, no owner");
        let wrong = b
            .post(
                "/admin/setup",
                &[
                    ("email", "owner@example.org"),
                    ("password", PASSWORD),
                    ("confirm", PASSWORD),
                    ("code", "not-the-code"),
                ],
            )
            .await;
        assert_eq!(wrong.status, 403);
        assert_eq!(app.store.count_users().await.unwrap(), 0);
        let bad = b
            .post(
                "/admin/setup",
                &[
                    ("email", "owner@example.org"),
                    ("password", "short"),
                    ("confirm", "short"),
                    ("code", &code),
                ],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(
            bad.body.contains("at least 12 characters") && bad.body.contains("owner@example.org"),
            "keeps what was typed"
        );
        assert_eq!(
            app.store.count_users().await.unwrap(),
            0,
            "nothing half-saved"
        );
        let done = b
            .post(
                "/admin/setup",
                &[
                    ("email", "owner@example.org"),
                    ("name", "Olu"),
                    ("password", PASSWORD),
                    ("confirm", PASSWORD),
                    ("code", &code),
                ],
            )
            .await;
        assert_eq!(done.status, 303);
        assert!(b.has_session());
        let home = b.get("/admin/").await;
        assert_eq!(home.status, 200);
        assert!(home.body.contains("Hello, Olu"));
        assert_eq!(
            b.get("/admin/setup").await.location.as_deref(),
            Some("/admin/login"),
            "setup is over"
        );
        let again = Browser::new(&app.base).post_raw("/admin/setup", &[]).await;
        assert_eq!(again.status, 403, "no CSRF cookie, no form");
    }
);

server_test!(
    forms_without_a_valid_csrf_token_are_refused,
    Options::default(),
    |app| {
        account(&app.store, "ed@example.org", Role::Editor).await;
        let mut b = Browser::new(&app.base);
        b.get("/admin/login").await;
        let no_token = b
            .post_raw(
                "/admin/login",
                &[("email", "ed@example.org"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(no_token.status, 403);
        let wrong = b
            .post_raw(
                "/admin/login",
                &[
                    ("email", "ed@example.org"),
                    ("password", PASSWORD),
                    ("csrf", "forged"),
                ],
            )
            .await;
        assert_eq!(wrong.status, 403);
        let foreign = b
            .post_with(
                "/admin/login",
                &[("email", "ed@example.org"), ("password", PASSWORD)],
                &[("origin", "https://evil.example")],
            )
            .await;
        assert_eq!(foreign.status, 403);
        assert!(!b.has_session());
        assert_eq!(b.sign_in("ed@example.org", PASSWORD).await.status, 303);
        // Signed in, the pre-session token no longer counts: forms must carry the session's own token.
        let token_before = b.csrf.clone();
        b.get("/admin/articles/new").await;
        assert_ne!(
            b.csrf, token_before,
            "a per-session token replaces the pre-session one"
        );
        let stale = b
            .post_raw(
                "/admin/articles/new",
                &[("title", "x"), ("csrf", &token_before)],
            )
            .await;
        assert_eq!(stale.status, 403);
    }
);

server_test!(
    sign_in_is_throttled_with_growing_delays,
    Options::default(),
    |app| {
        account(&app.store, "au@example.org", Role::Author).await;
        let mut b = Browser::new(&app.base);
        for attempt in 1..=4 {
            let page = b.sign_in("au@example.org", "wrong password here").await;
            assert_eq!(page.status, 401, "attempt {attempt}");
            assert!(page.body.contains("match an account"));
        }
        let fifth = b.sign_in("au@example.org", "wrong password here").await;
        assert_eq!(fifth.status, 429);
        let wait: i64 = fifth.retry_after.unwrap().parse().unwrap();
        assert!((1..=30).contains(&wait), "{wait}");
        let right = b.sign_in("au@example.org", PASSWORD).await;
        assert_eq!(
            right.status, 429,
            "during a lockout even the right password is refused"
        );
        assert!(!b.has_session());
        // Unknown addresses get the same answer as wrong passwords.
        let unknown = Browser::new(&app.base)
            .sign_in("nobody@example.org", "wrong password here")
            .await;
        assert_eq!(unknown.status, 401);
        assert!(unknown.body.contains("match an account"));
    }
);

server_test!(
    password_reset_links_work_once_and_expire,
    Options {
        smtp: true,
        ..Options::default()
    },
    |app| {
        let catcher = app.smtp.clone().unwrap();
        let user = account(&app.store, "rita@example.org", Role::Editor).await;
        let mut old = Browser::new(&app.base);
        assert_eq!(old.sign_in("rita@example.org", PASSWORD).await.status, 303);

        let mut b = Browser::new(&app.base);
        b.get("/admin/reset").await;
        let sent = b
            .post("/admin/reset", &[("email", "rita@example.org")])
            .await;
        let unknown = b
            .post("/admin/reset", &[("email", "nobody@example.org")])
            .await;
        assert_eq!(sent.status, 200);
        assert_eq!(
            sent.body, unknown.body,
            "the same answer whether or not the account exists"
        );
        let mails = catcher.wait_for("rita@example.org", 1).await;
        assert!(catcher.messages_to("nobody@example.org").is_empty());
        let url = link(&mails[0].data, "http://news.test/admin/reset/");
        let path = url.trim_start_matches("http://news.test");

        assert_eq!(b.get(path).await.status, 200);
        let mismatch = b
            .post(
                path,
                &[
                    ("password", "a brand new passphrase"),
                    ("confirm", "different"),
                ],
            )
            .await;
        assert_eq!(mismatch.status, 422, "a typo does not burn the link");
        let done = b
            .post(
                path,
                &[
                    ("password", "a brand new passphrase"),
                    ("confirm", "a brand new passphrase"),
                ],
            )
            .await;
        assert_eq!(done.status, 303);
        assert!(b.has_session());
        assert_eq!(b.get(path).await.status, 422, "single use");
        assert_eq!(
            old.get("/admin/").await.status,
            303,
            "other sessions were ended"
        );
        let mut c = Browser::new(&app.base);
        assert_eq!(c.sign_in("rita@example.org", PASSWORD).await.status, 401);
        assert_eq!(
            c.sign_in("rita@example.org", "a brand new passphrase")
                .await
                .status,
            303
        );

        app.store
            .create_user_token(user.id, UserToken::Reset, &hash_token("old-link"), -1, &[])
            .await
            .unwrap();
        assert_eq!(c.get("/admin/reset/old-link").await.status, 422, "expired");
    }
);

server_test!(
    invitations_arrive_by_smtp_and_sign_the_person_in,
    Options {
        smtp: true,
        ..Options::default()
    },
    |app| {
        let catcher = app.smtp.clone().unwrap();
        account(&app.store, "boss@example.org", Role::Owner).await;
        let mut owner = Browser::new(&app.base);
        owner.sign_in("boss@example.org", PASSWORD).await;
        owner.get("/admin/users").await;
        let sent = owner
            .post(
                "/admin/users",
                &[
                    ("email", "Nia@Example.org"),
                    ("name", "Nia"),
                    ("role", "editor"),
                ],
            )
            .await;
        assert_eq!(sent.status, 200);
        assert!(sent.body.contains("Invitation sent to nia@example.org"));
        let dup = owner
            .post(
                "/admin/users",
                &[("email", "nia@example.org"), ("role", "author")],
            )
            .await;
        assert_eq!(dup.status, 422);
        let mails = catcher.wait_for("nia@example.org", 1).await;
        assert!(mails[0].header("Subject").unwrap().contains("invited"));
        let url = link(&mails[0].data, "http://news.test/admin/invite/");
        let path = url.trim_start_matches("http://news.test");

        let mut nia = Browser::new(&app.base);
        let form = nia.get(path).await;
        assert!(form.body.contains("nia@example.org"));
        let joined = nia
            .post(
                path,
                &[
                    ("name", "Nia Adu"),
                    ("password", "another long passphrase"),
                    ("confirm", "another long passphrase"),
                ],
            )
            .await;
        assert_eq!(joined.status, 303);
        let home = nia.get("/admin/").await;
        assert!(home.body.contains("Hello, Nia Adu"));
        assert!(
            !home.body.contains("href=\"/admin/users\""),
            "editors don't manage people"
        );
        assert_eq!(
            Browser::new(&app.base).get(path).await.status,
            422,
            "invitation used"
        );
        let log = app.store.audit_log(20).await.unwrap();
        assert!(log.iter().any(|e| e.action == "user.invite"));
        assert!(log.iter().any(|e| e.action == "invitation.accepted"));
    }
);

server_test!(
    two_factor_enrolment_and_sign_in,
    Options::default(),
    |app| {
        account(&app.store, "tf@example.org", Role::Administrator).await;
        let mut b = Browser::new(&app.base);
        b.sign_in("tf@example.org", PASSWORD).await;
        b.get("/admin/account").await;
        let start = b.post("/admin/account/two-factor", &[]).await;
        let at = start.body.find("name=\"secret\" value=\"").unwrap() + 21;
        let secret = start.body[at..at + 32].to_string();
        let tf = TwoFactor::from_base32(&secret).unwrap();
        let now = chrono::Utc::now().timestamp() as u64;
        let wrong = b
            .post(
                "/admin/account/two-factor",
                &[("secret", &secret), ("code", "000000")],
            )
            .await;
        assert_eq!(wrong.status, 422);
        let on = b
            .post(
                "/admin/account/two-factor",
                &[("secret", &secret), ("code", &tf.code_at(now))],
            )
            .await;
        assert_eq!(on.status, 200);
        assert!(on.body.contains("Two-factor sign-in is on"));
        let codes: Vec<String> = on
            .body
            .match_indices("<li><code>")
            .map(|(i, _)| on.body[i + 10..i + 24].to_string())
            .collect();
        assert_eq!(codes.len(), 10);

        // A new sign-in stops at the second factor.
        let mut c = Browser::new(&app.base);
        let page = c.sign_in("tf@example.org", PASSWORD).await;
        assert_eq!(page.location.as_deref(), Some("/admin/two-factor"));
        assert_eq!(
            c.get("/admin/").await.location.as_deref(),
            Some("/admin/two-factor"),
            "not signed in yet"
        );
        c.get("/admin/two-factor").await;
        assert_eq!(
            c.post("/admin/two-factor", &[("code", "123456")])
                .await
                .status,
            422
        );
        // The code used at enrolment cannot be replayed; the next step's code works (one step of drift).
        assert_eq!(
            c.post("/admin/two-factor", &[("code", &tf.code_at(now))])
                .await
                .status,
            422
        );
        let next = c
            .post("/admin/two-factor", &[("code", &tf.code_at(now + 30))])
            .await;
        assert_eq!(next.status, 303);
        assert_eq!(c.get("/admin/").await.status, 200);

        // A recovery code works once.
        let mut d = Browser::new(&app.base);
        d.sign_in("tf@example.org", PASSWORD).await;
        d.get("/admin/two-factor").await;
        assert_eq!(
            d.post("/admin/two-factor", &[("code", &codes[0])])
                .await
                .status,
            303
        );
        let mut e = Browser::new(&app.base);
        e.sign_in("tf@example.org", PASSWORD).await;
        e.get("/admin/two-factor").await;
        assert_eq!(
            e.post("/admin/two-factor", &[("code", &codes[0])])
                .await
                .status,
            422
        );
    }
);

server_test!(
    sign_out_everywhere_ends_other_sessions,
    Options::default(),
    |app| {
        account(&app.store, "multi@example.org", Role::Author).await;
        let mut laptop = Browser::new(&app.base);
        let mut phone = Browser::new(&app.base);
        laptop.sign_in("multi@example.org", PASSWORD).await;
        let before = laptop.session();
        phone.sign_in("multi@example.org", PASSWORD).await;
        assert_ne!(laptop.session(), phone.session());
        laptop.get("/admin/").await;
        assert_eq!(laptop.session(), before);
        laptop.get("/admin/account").await;
        let done = laptop.post("/admin/account/sessions/revoke", &[]).await;
        assert!(done.body.contains("Signed out of 1 other session"));
        assert_eq!(phone.get("/admin/").await.status, 303);
        assert_eq!(laptop.get("/admin/").await.status, 200);
        let out = laptop.post("/admin/logout", &[]).await;
        assert_eq!(out.status, 303);
        assert_eq!(laptop.get("/admin/").await.status, 303);
        // Sessions rotate at sign-in: a cookie from before signing in is never reused.
        let mut again = Browser::new(&app.base);
        again.sign_in("multi@example.org", PASSWORD).await;
        let first = again.session();
        again.sign_in("multi@example.org", PASSWORD).await;
        assert_ne!(again.session(), first);
    }
);

server_test!(
    setup_from_loopback_or_through_a_proxy_needs_the_code,
    Options::default(),
    |app| {
        // A reverse proxy on the same machine forwards internet traffic from loopback, with or
        // without X-Forwarded-For: being local proves nothing.
        for headers in [vec![("x-forwarded-for", "198.51.100.7")], vec![]] {
            let res = app.get_with("/admin/setup", &headers).await;
            assert_eq!(res.status(), 200);
            assert!(
                res.text().await.unwrap().contains("name=\"code\""),
                "the setup code is asked for"
            );
        }
        let mut b = Browser::new(&app.base);
        b.get("/admin/setup").await;
        let res = b
            .post(
                "/admin/setup",
                &[
                    ("email", "intruder@example.org"),
                    ("password", PASSWORD),
                    ("confirm", PASSWORD),
                ],
            )
            .await;
        assert_eq!(res.status, 403);
        assert_eq!(app.store.count_users().await.unwrap(), 0);
    }
);

server_test!(
    strangers_guesses_cannot_lock_out_an_owner_with_a_second_factor,
    Options::default(),
    |app| {
        let owner = account(&app.store, "tf-owner@example.org", Role::Owner).await;
        let tf = TwoFactor::generate();
        app.store
            .set_two_factor(owner.id, Some(tf.secret()), &[])
            .await
            .unwrap();
        let mut guesser = Browser::new(&app.base);
        guesser.get("/admin/login").await;
        for _ in 0..6 {
            guesser
                .post(
                    "/admin/login",
                    &[
                        ("email", "tf-owner@example.org"),
                        ("password", "wrong guess here"),
                    ],
                )
                .await;
        }
        let locked = guesser
            .post(
                "/admin/login",
                &[
                    ("email", "tf-owner@example.org"),
                    ("password", "wrong guess again"),
                ],
            )
            .await;
        assert_eq!(locked.status, 429, "the account is paused for guessers");

        // The owner: right password, then a valid code, during the pause.
        let mut b = Browser::new(&app.base);
        b.get("/admin/login").await;
        let first = b
            .post(
                "/admin/login",
                &[("email", "tf-owner@example.org"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(first.status, 303, "{}", first.body);
        assert_eq!(first.location.as_deref(), Some("/admin/two-factor"));
        b.get("/admin/two-factor").await;
        let now = chrono::Utc::now().timestamp() as u64;
        let done = b
            .post("/admin/two-factor", &[("code", &tf.code_at(now))])
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(b.get("/admin/").await.status, 200, "signed in");

        // Without a second factor the pause holds for the right password too, as documented.
        account(&app.store, "plain@example.org", Role::Editor).await;
        let mut g = Browser::new(&app.base);
        g.get("/admin/login").await;
        for _ in 0..6 {
            g.post(
                "/admin/login",
                &[
                    ("email", "plain@example.org"),
                    ("password", "wrong guess here"),
                ],
            )
            .await;
        }
        let mut p = Browser::new(&app.base);
        p.get("/admin/login").await;
        let refused = p
            .post(
                "/admin/login",
                &[("email", "plain@example.org"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(refused.status, 429);
    }
);
