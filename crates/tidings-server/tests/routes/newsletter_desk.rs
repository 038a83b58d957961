//! The newsletter desk in the admin, and the sending rate limit.

use std::time::Duration;

use chrono::Utc;
use tidings_accounts::Role;

use crate::routes::newsletter::{
    an_hour_old_story, confirmed, deliver, queue_digest_now, readers, story,
};
use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};
use crate::support::Options;

server_test!(
    the_desk_previews_reorders_tests_and_sends,
    Options {
        smtp: true,
        ..Options::default()
    },
    |app| {
        let smtp = app.smtp.clone().unwrap();
        let now = Utc::now();
        let a = story(
            &app.store,
            "Alpha",
            now - chrono::Duration::hours(1),
            false,
            0,
        )
        .await;
        let b = story(
            &app.store,
            "Bravo",
            now - chrono::Duration::hours(2),
            false,
            0,
        )
        .await;
        let c = story(
            &app.store,
            "Charlie",
            now - chrono::Duration::hours(3),
            false,
            0,
        )
        .await;
        confirmed(&app.store, &["reader@example.org"]).await;
        account(&app.store, "editor@example.org", Role::Editor).await;
        account(&app.store, "writer@example.org", Role::Contributor).await;

        let mut writer = Browser::new(&app.base);
        writer.sign_in("writer@example.org", PASSWORD).await;
        assert_eq!(writer.get("/admin/newsletter").await.status, 403);

        let mut ed = Browser::new(&app.base);
        ed.sign_in("editor@example.org", PASSWORD).await;
        let desk = ed.get("/admin/newsletter").await;
        assert_eq!(desk.status, 200);
        assert!(desk.body.contains("Alpha") && desk.body.contains("Charlie"));

        // Charlie first, Alpha left out, with an intro.
        let (sa, sb, sc) = (a.to_string(), b.to_string(), c.to_string());
        let (pa, pb, pc) = (format!("pos_{a}"), format!("pos_{b}"), format!("pos_{c}"));
        let drop_a = format!("drop_{a}");
        let page = ed
            .post(
                "/admin/newsletter/digest",
                &[
                    ("intro", "Good morning, harbour."),
                    ("story", &sa),
                    (&pa, "1"),
                    ("story", &sb),
                    (&pb, "3"),
                    ("story", &sc),
                    (&pc, "2"),
                    (&drop_a, "on"),
                    ("action", "test"),
                ],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let test = smtp.wait_for("editor@example.org", 1).await;
        assert!(test[0].header("Subject").unwrap().starts_with("[Test]"));
        let body = test[0].data.replace("=\r\n", "");
        assert!(body.contains("Good morning, harbour."));
        let (at_c, at_b) = (body.find("Charlie").unwrap(), body.find("Bravo").unwrap());
        assert!(
            at_c < at_b && !body.contains("Alpha"),
            "order and drop kept"
        );
        assert!(
            smtp.messages_to("reader@example.org").is_empty(),
            "a test reaches only the editor"
        );

        let bad = ed
            .post(
                "/admin/newsletter/digest",
                &[("story", &sb), (&pb, "first"), ("action", "save")],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("whole numbers"));

        let sent = ed
            .post(
                "/admin/newsletter/digest",
                &[
                    ("story", &sc),
                    ("story", &sb),
                    ("intro", "Good morning, harbour."),
                    ("action", "send"),
                ],
            )
            .await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let location = sent.location.unwrap();
        let id: i64 = location
            .trim_start_matches("/admin/newsletter/")
            .parse()
            .unwrap();
        let n = deliver(&app, id).await;
        assert_eq!(n.counts.sent, 1);
        let got = smtp.wait_for("reader@example.org", 1).await;
        assert!(!got[0].data.contains("Alpha"));
        let detail = ed.get(&location).await;
        assert!(
            detail.body.contains("1</strong> delivered"),
            "{}",
            detail.body
        );

        // Breaking news reaches only those who opted in.
        let reader = app
            .store
            .subscriber_by_email("reader@example.org")
            .await
            .unwrap()
            .unwrap();
        app.store
            .set_preferences(reader.id, true, true)
            .await
            .unwrap();
        confirmed(&app.store, &["digest-only@example.org"]).await;
        ed.get("/admin/newsletter").await;
        let alert = ed
            .post("/admin/newsletter/breaking", &[("article", &sa)])
            .await;
        assert_eq!(alert.status, 303);
        let id: i64 = alert
            .location
            .unwrap()
            .trim_start_matches("/admin/newsletter/")
            .parse()
            .unwrap();
        let n = deliver(&app, id).await;
        assert_eq!(
            (n.kind.as_str(), n.counts.total, n.counts.sent),
            ("breaking", 1, 1)
        );
        let got = smtp.wait_for("reader@example.org", 2).await;
        assert!(got[1]
            .header("Subject")
            .unwrap()
            .starts_with("Breaking: Alpha"));
        assert!(smtp.messages_to("digest-only@example.org").is_empty());
    }
);

server_test!(
    the_send_rate_limit_spaces_messages_out,
    Options {
        smtp: true,
        configure: Some(Box::new(|c| c.newsletter.rate_limit = 20)),
        ..Options::default()
    },
    |app| {
        let smtp = app.smtp.clone().unwrap();
        an_hour_old_story(&app.store).await;
        readers(&app.store, "r", 10).await;
        let id = queue_digest_now(&app).await;
        let started = std::time::Instant::now();
        let n = deliver(&app, id).await;
        // 20 a second: ten messages need at least nine intervals of 50 ms.
        assert!(
            started.elapsed() >= Duration::from_millis(450),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(n.counts.sent, 10);
        assert_eq!(smtp.messages().len(), 10);
    }
);
