//! Background jobs through real HTTP: mail leaves the request path (a slow mail server never holds
//! a donor's answer), and failed jobs are shown in the admin with a "retry now" that works.

use std::time::{Duration, Instant};

use tidings_accounts::Role;
use tidings_store::{JobState, NewJob};

use crate::routes::donate::{donate, smtp};
use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};

server_test!(
    a_gift_is_answered_before_a_slow_mail_server_takes_its_receipt,
    smtp(),
    |app| {
        let smtp = app.smtp.clone().unwrap();
        smtp.delay_each(Duration::from_secs(5));
        let mut b = Browser::new(&app.base);
        let sent = donate(&mut b, &[]).await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let checkout = sent.location.unwrap();
        let path = checkout.trim_start_matches("http://news.test").to_string();
        let started = Instant::now();
        let done = b.post_raw(&path, &[("outcome", "complete")]).await;
        assert_eq!(done.status, 303);
        let thanks = b.get(&done.location.unwrap()).await;
        let answered = started.elapsed();
        assert!(thanks.body.contains("Thank you, Ana"), "{}", thanks.body);
        assert!(
            answered < Duration::from_secs(3),
            "the donor waited {answered:?} for the mail server"
        );
        assert!(
            smtp.messages_to("ana@example.org").is_empty(),
            "the receipt was accepted before the donor's answer"
        );
        // The runner sends it afterwards, once, under the gift's own Message-ID.
        let receipt = smtp.wait_for("ana@example.org", 1).await;
        assert!(started.elapsed() >= Duration::from_secs(5));
        let id = receipt[0].header("Message-ID").unwrap_or_default();
        assert!(id.contains("receipt."), "{id}");
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(smtp.messages_to("ana@example.org").len(), 1);
    }
);

server_test!(
    failed_jobs_are_shown_to_owners_and_retried_from_the_admin,
    smtp(),
    |app| {
        let smtp = app.smtp.clone().unwrap();
        smtp.fail_recipient("gone@example.org", 550);
        let mail = serde_json::json!({
            "to": "gone@example.org", "subject": "Your link", "text": "Hello", "html": null,
            "headers": [], "message_id": "tidings.retry-test@news.test",
        });
        // Ten attempts allowed, but a refusal for good (550) is not worth a second.
        let job = NewJob::new(
            "mail.send",
            mail.to_string(),
            chrono::Utc::now().timestamp(),
        );
        app.store.enqueue_job(&job).await.unwrap();
        let mut failed = Vec::new();
        for _ in 0..100 {
            failed = app.store.jobs_in(JobState::Failed, 10).await.unwrap();
            if !failed.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(failed.len(), 1, "the refused mail's job failed");
        assert!(
            failed[0].last_error.contains("550"),
            "{}",
            failed[0].last_error
        );
        assert_eq!(failed[0].attempts, 1, "a refusal for good is not retried");

        account(&app.store, "editor@example.org", Role::Editor).await;
        let mut editor = Browser::new(&app.base);
        editor.sign_in("editor@example.org", PASSWORD).await;
        assert_eq!(editor.get("/admin/jobs").await.status, 403);
        let refused = editor
            .post(&format!("/admin/jobs/{}/retry", failed[0].id), &[])
            .await;
        assert_eq!(refused.status, 403);

        account(&app.store, "owner@example.org", Role::Owner).await;
        let mut owner = Browser::new(&app.base);
        owner.sign_in("owner@example.org", PASSWORD).await;
        let page = owner.get("/admin/jobs").await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("mail.send") && page.body.contains("550"),
            "{}",
            page.body
        );
        assert!(page.body.contains("Retry now"));
        // The mail server takes it now: a retry from the admin delivers it.
        smtp.accept_recipient("gone@example.org");
        let retried = owner
            .post(&format!("/admin/jobs/{}/retry", failed[0].id), &[])
            .await;
        assert_eq!(retried.status, 303);
        let got = smtp.wait_for("gone@example.org", 1).await;
        assert_eq!(
            got[0].header("Message-ID").unwrap_or_default(),
            "<tidings.retry-test@news.test>"
        );
        assert!(app
            .store
            .jobs_in(JobState::Failed, 10)
            .await
            .unwrap()
            .is_empty());
    }
);
