//! The onboarding checklist and the Site health page: each step's state follows the site's data,
//! the mail test reaches a real SMTP server on loopback, and a refusing server's answer is shown.

use tidings_accounts::Role;

use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};
use crate::support::Options;

/// Whether the page shows `title` as done.
fn done(body: &str, title: &str) -> bool {
    body.split("<li class=\"")
        .find(|li| li.contains(&format!(">{title}</a>")))
        .is_some_and(|li| li.starts_with("done"))
}

server_test!(
    the_checklist_follows_the_site_and_tests_the_mail_server,
    Options {
        smtp: true,
        ..Options::default()
    },
    |app| {
        account(&app.store, "owner@example.org", Role::Owner).await;
        account(&app.store, "ed@example.org", Role::Editor).await;
        let mut editor = Browser::new(&app.base);
        editor.sign_in("ed@example.org", PASSWORD).await;
        assert_eq!(editor.get("/admin/health").await.status, 403);
        assert!(!editor
            .get("/admin/")
            .await
            .body
            .contains("Getting the site ready"));

        let mut owner = Browser::new(&app.base);
        owner.sign_in("owner@example.org", PASSWORD).await;
        let dashboard = owner.get("/admin/").await.body;
        assert!(dashboard.contains("Getting the site ready"), "{dashboard}");
        assert!(dashboard.contains("0 of 8 done"), "{dashboard}");
        for title in [
            "Organisation details",
            "First story published",
            "Mail server tested",
        ] {
            assert!(!done(&dashboard, title), "{title}");
        }

        // Facts change the states: no box is ticked by hand.
        app.store
            .set_settings(&[
                ("organisation_name", "Quay Courier Trust"),
                ("organisation_address", "2 Dock Road"),
            ])
            .await
            .unwrap();
        app.store
            .create_article(&tidings_store::NewArticle::published("Ferry", "Text."))
            .await
            .unwrap();
        let health = owner.get("/admin/health").await.body;
        assert!(done(&health, "Organisation details"), "{health}");
        assert!(done(&health, "First story published"));
        assert!(
            !done(&health, "Payments connected"),
            "the test gateway charges nothing"
        );

        // The mail test goes out at once and marks the step done.
        let sent = owner.post("/admin/health/mail", &[]).await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let smtp = app.smtp.as_ref().unwrap();
        let got = smtp.wait_for("owner@example.org", 1).await;
        assert!(got[0]
            .data
            .contains("Subject: Test message from Test Ledger"));
        assert!(done(
            &owner.get("/admin/health").await.body,
            "Mail server tested"
        ));

        // A mail server that refuses: its answer is shown, and the step is no longer done for it.
        smtp.fail_recipient("owner@example.org", 550);
        app.store
            .set_settings(&[("mail_tested_with", "")])
            .await
            .unwrap();
        let refused = owner.post("/admin/health/mail", &[]).await;
        assert_eq!(refused.status, 502);
        assert!(
            refused.body.contains("The mail server said:"),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("550"), "{}", refused.body);
        assert!(!done(&refused.body, "Mail server tested"));
    }
);
