//! Settings → Emails: the texts are edited, previewed and test-sent; an unknown variable, a broken
//! template or a missing required link is refused by name; the mail readers get uses the new
//! words; the standing digest intro opens the digest.

use tidings_accounts::Role;

use crate::routes::subscribe::sign_up;
use crate::server_test;
use crate::support::browser::{account, link, Browser, PASSWORD};
use crate::support::Options;

const CONFIRM: &str = "/admin/settings/emails/confirmation";

server_test!(
    confirmation_text_is_checked_previewed_tested_and_sent,
    Options {
        smtp: true,
        ..Options::default()
    },
    |app| {
        account(&app.store, "owner@example.org", Role::Owner).await;
        account(&app.store, "ed@example.org", Role::Editor).await;
        let mut editor = Browser::new(&app.base);
        editor.sign_in("ed@example.org", PASSWORD).await;
        assert_eq!(editor.get("/admin/settings/emails").await.status, 403);
        assert_eq!(editor.get(CONFIRM).await.status, 403);

        let mut owner = Browser::new(&app.base);
        owner.sign_in("owner@example.org", PASSWORD).await;
        let list = owner.get("/admin/settings/emails").await.body;
        for title in [
            "Subscription confirmation",
            "Welcome",
            "Donation receipt",
            "Failed monthly payment",
            "Donor portal link",
            "Daily digest intro",
        ] {
            assert!(list.contains(title), "{title} missing");
        }
        assert_eq!(list.matches("<td>Default</td>").count(), 6);
        let page = owner.get(CONFIRM).await.body;
        assert!(
            page.contains("<code>{{ confirm_url }}</code> <strong>(required)</strong>"),
            "{page}"
        );
        assert!(page.contains("<code>{{ newsletter_name }}</code>"));
        assert_eq!(
            owner.get("/admin/settings/emails/nothing").await.status,
            404
        );

        // Refused, by name, and nothing is kept.
        let refused = owner
            .post(
                CONFIRM,
                &[
                    ("subject", "Hello {{ first_name }}"),
                    ("body", "Click {{ confirm_url }} for {{ coupon }}."),
                ],
            )
            .await;
        assert_eq!(refused.status, 422);
        assert!(
            refused.body.contains("Unknown variable {{ first_name }}"),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("Unknown variable {{ coupon }}: this email can use site_name, newsletter_name, email, confirm_url."), "{}", refused.body);
        assert!(
            refused
                .body
                .contains("Click {{ confirm_url }} for {{ coupon }}."),
            "the draft stays in the form"
        );
        let refused = owner
            .post(
                CONFIRM,
                &[("subject", "Confirm"), ("body", "Please confirm.")],
            )
            .await;
        assert_eq!(refused.status, 422);
        assert!(
            refused
                .body
                .contains("The text must contain {{ confirm_url }}"),
            "{}",
            refused.body
        );
        let refused = owner
            .post(
                CONFIRM,
                &[
                    ("subject", "Confirm"),
                    ("body", "{% if %}{{ confirm_url }}"),
                ],
            )
            .await;
        assert_eq!(refused.status, 422);
        assert!(
            refused.body.contains("does not read as a template"),
            "{}",
            refused.body
        );
        assert_eq!(
            app.store
                .settings()
                .await
                .unwrap()
                .get("email_confirmation_body"),
            ""
        );

        // The preview shows the draft with sample values, as HTML and as text.
        let draft = [
            ("subject", "One click for {{ newsletter_name }}"),
            ("body", "Hello {{ email }},\r\n\r\nTap below & you're in:\r\n\r\n{{ confirm_url }}\r\n\r\nThe {{ site_name }} desk"),
        ];
        let preview = owner.post(&format!("{CONFIRM}/preview"), &draft).await;
        assert_eq!(preview.status, 200);
        assert!(
            preview
                .body
                .contains("<strong>Subject:</strong> One click for The Daily Briefing"),
            "{}",
            preview.body
        );
        assert!(
            preview.body.contains("Tap below &amp; you&#39;re in:"),
            "{}",
            preview.body
        );
        assert!(
            preview.body.contains(">Confirm my subscription</a>"),
            "the link paragraph is a button"
        );
        assert!(preview
            .body
            .contains("http://news.test/subscribe/confirm/sample"));
        assert!(preview.body.contains("Hello owner@example.org,"));
        let broken = owner
            .post(
                &format!("{CONFIRM}/preview"),
                &[("subject", "x"), ("body", "{{ nope }}")],
            )
            .await;
        assert!(
            broken.body.contains("This draft cannot be shown"),
            "{}",
            broken.body
        );
        let saved_preview = owner.get(&format!("{CONFIRM}/preview")).await.body;
        assert!(
            saved_preview.contains("Confirm your subscription to The Daily Briefing"),
            "the saved (default) words"
        );

        // A test send goes to the signed-in user at once, and saves nothing.
        let sent = owner.post(&format!("{CONFIRM}/test"), &draft).await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        assert!(sent.body.contains("A test went to owner@example.org"));
        let smtp = app.smtp.as_ref().unwrap();
        let test = &smtp.wait_for("owner@example.org", 1).await[0];
        assert_eq!(
            test.header("Subject").as_deref(),
            Some("[Test] One click for The Daily Briefing")
        );
        assert!(
            test.data.contains("Tap below & you're in:"),
            "{}",
            test.data
        );
        assert_eq!(
            app.store
                .settings()
                .await
                .unwrap()
                .get("email_confirmation_body"),
            ""
        );
        smtp.fail_recipient("owner@example.org", 550);
        let failed = owner.post(&format!("{CONFIRM}/test"), &draft).await;
        assert_eq!(failed.status, 502);
        assert!(
            failed.body.contains("The mail server said:") && failed.body.contains("550"),
            "{}",
            failed.body
        );
        smtp.accept_recipient("owner@example.org");

        // Saved: a reader who signs up gets the new words.
        let saved = owner.post(CONFIRM, &draft).await;
        assert_eq!(saved.status, 303);
        assert!(owner
            .get("/admin/settings/emails")
            .await
            .body
            .contains("<td>Yours</td>"));
        assert!(app
            .store
            .audit_log(10)
            .await
            .unwrap()
            .iter()
            .any(|e| e.action == "settings.email_text" && e.subject == "confirmation"));
        let (status, _) = sign_up(&app, "reader@example.net", "").await;
        assert_eq!(status, 200);
        let mail = &smtp.wait_for("reader@example.net", 1).await[0];
        assert_eq!(
            mail.header("Subject").as_deref(),
            Some("One click for The Daily Briefing")
        );
        assert!(
            mail.data.contains("Hello reader@example.net,"),
            "{}",
            mail.data
        );
        let url = link(&mail.data, "http://news.test/subscribe/confirm/");
        assert!(
            url.len() > "http://news.test/subscribe/confirm/".len() + 10,
            "{url}"
        );

        // Restoring brings the default back.
        let restored = owner.post(CONFIRM, &[("action", "restore")]).await;
        assert_eq!(restored.status, 303);
        let page = owner.get(CONFIRM).await.body;
        assert!(
            page.contains("Please confirm that you want {{ newsletter_name }}"),
            "{page}"
        );
    }
);

server_test!(
    the_standing_digest_intro_opens_the_digest,
    Options {
        smtp: true,
        ..Options::default()
    },
    |app| {
        account(&app.store, "owner@example.org", Role::Owner).await;
        let mut owner = Browser::new(&app.base);
        owner.sign_in("owner@example.org", PASSWORD).await;
        let page = "/admin/settings/emails/digest-intro";
        assert!(owner
            .get(page)
            .await
            .body
            .contains("<code>{{ story_count }}</code>"));
        let refused = owner.post(page, &[("body", "Today: {{ weather }}")]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("Unknown variable {{ weather }}"));
        let saved = owner
            .post(page, &[("body", "Good morning from {{ site_name }}: {{ story_count }} stories, led by {{ lead_title }}.")])
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        app.store
            .create_article(&tidings_store::NewArticle::published(
                "Harbour bridge reopens",
                "Text.",
            ))
            .await
            .unwrap();
        let desk = owner.get("/admin/newsletter").await.body;
        assert!(
            desk.contains(
                "Good morning from Test Ledger: 1 stories, led by Harbour bridge reopens."
            ),
            "{desk}"
        );

        let state = &app.server.as_ref().unwrap().state;
        let now = chrono::Utc::now();
        let edition = state.newsletters().upcoming(now).await.unwrap();
        state
            .newsletters()
            .send_test(&edition, now, "owner@example.org")
            .await
            .unwrap();
        let copy = &app
            .smtp
            .as_ref()
            .unwrap()
            .wait_for("owner@example.org", 1)
            .await[0];
        assert!(
            copy.data.contains("Good morning from Test Ledger"),
            "{}",
            copy.data
        );

        // The editor's own intro for the edition wins.
        let intro = owner
            .post(
                "/admin/newsletter/digest",
                &[("intro", "A special edition.")],
            )
            .await;
        assert!(matches!(intro.status, 200 | 303), "{}", intro.body);
        let draft = state.newsletters().draft(&edition, now).await.unwrap();
        assert_eq!(draft.effective_intro(), "A special edition.");
    }
);
