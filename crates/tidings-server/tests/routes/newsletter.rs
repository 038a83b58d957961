//! The daily digest and breaking news, end to end: assembly, scheduling with a controllable clock
//! (daylight-saving days included), sending over real SMTP, the archive, and the newsroom's desk.

use std::time::Duration;
use tidings_store::{NewsletterState, SubscriberStatus};

use chrono::{DateTime, Utc};
use tidings_newsletter::{QueueOutcome, Sender};
use tidings_server::AppState;
use tidings_store::{ImportedSubscriber, NewArticle, Store};

use crate::server_test;
use crate::support::{Options, TestApp};

pub(crate) fn state(app: &TestApp) -> AppState {
    app.server.as_ref().unwrap().state.clone()
}

pub(crate) async fn confirmed(store: &Store, emails: &[&str]) {
    let rows: Vec<ImportedSubscriber> = emails
        .iter()
        .map(|e| ImportedSubscriber {
            email: e.to_string(),
            name: String::new(),
            status: tidings_store::SubscriberStatus::Confirmed,
            consent_at: None,
            consent_ip: "192.0.2.1".into(),
            source: "test".into(),
        })
        .collect();
    store.import_subscribers(&rows).await.unwrap();
}

pub(crate) async fn story(
    store: &Store,
    title: &str,
    at: DateTime<Utc>,
    featured: bool,
    priority: i64,
) -> i64 {
    let mut new = NewArticle::published(title, "Body text for the story.");
    new.published_at = Some(at);
    new.featured = featured;
    new.digest_priority = priority;
    new.dek = format!("Dek of {title}.");
    store.create_article(&new).await.unwrap().id
}

/// Drains the queue here and waits until the newsletter is settled (the server's own worker may
/// hold some of the claims).
pub(crate) async fn deliver(app: &TestApp, id: i64) -> tidings_store::Newsletter {
    Sender::new(state(app).newsletters().clone())
        .run_due()
        .await
        .unwrap();
    for _ in 0..200 {
        let n = app.store.newsletter(id).await.unwrap().unwrap();
        if n.counts.pending() == 0 {
            app.store.finish_newsletters().await.unwrap();
            return app.store.newsletter(id).await.unwrap().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("newsletter {id} never settled");
}

/// One ordinary story published an hour ago (what a digest needs to go out).
pub(crate) async fn an_hour_old_story(store: &Store) -> i64 {
    story(
        store,
        "Story",
        Utc::now() - chrono::Duration::hours(1),
        false,
        0,
    )
    .await
}

/// Queues today's digest now and returns its id.
pub(crate) async fn queue_digest_now(app: &TestApp) -> i64 {
    let s = state(app);
    let now = Utc::now();
    match s
        .newsletters()
        .queue_digest(&s.newsletters().upcoming(now).await.unwrap(), now, None)
        .await
        .unwrap()
    {
        QueueOutcome::Queued(id) => id,
        other => panic!("not queued: {other:?}"),
    }
}

/// `n` confirmed subscribers, `{prefix}{i}@example.org`.
pub(crate) async fn readers(store: &Store, prefix: &str, n: usize) {
    let emails: Vec<String> = (0..n).map(|i| format!("{prefix}{i}@example.org")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    confirmed(store, &refs).await;
}

pub(crate) fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

server_test!(
    digest_goes_out_with_one_click_unsubscribe_and_a_tokenless_web_version,
    Options {
        smtp: true,
        ..Options::default()
    },
    |app| {
        let smtp = app.smtp.clone().unwrap();
        let now = Utc::now();
        let older = story(
            &app.store,
            "Older Story",
            now - chrono::Duration::hours(3),
            false,
            0,
        )
        .await;
        let lead = story(
            &app.store,
            "Featured Story",
            now - chrono::Duration::hours(5),
            true,
            0,
        )
        .await;
        confirmed(&app.store, &["ana@example.org", "ben@example.org"]).await;
        let ana = app
            .store
            .subscriber_by_email("ana@example.org")
            .await
            .unwrap()
            .unwrap();

        let s = state(&app);
        let edition = s.newsletters().upcoming(now).await.unwrap();
        let draft = s.newsletters().draft(&edition, now).await.unwrap();
        let order: Vec<i64> = draft.items.iter().map(|i| i.id).collect();
        assert_eq!(order, vec![lead, older], "featured first");

        let QueueOutcome::Queued(id) = s
            .newsletters()
            .queue_digest(&edition, now, None)
            .await
            .unwrap()
        else {
            panic!("not queued");
        };
        assert_eq!(
            s.newsletters()
                .queue_digest(&edition, now, None)
                .await
                .unwrap(),
            QueueOutcome::AlreadySent(id),
            "one digest per edition"
        );
        let n = deliver(&app, id).await;
        assert_eq!((n.status.as_str(), n.counts.sent), ("sent", 2));

        let got = smtp.wait_for("ana@example.org", 1).await;
        let m = &got[0];
        assert!(m.header("Subject").unwrap().contains("Featured Story"));
        assert!(m
            .header("Content-Type")
            .unwrap()
            .starts_with("multipart/alternative"));
        assert_eq!(
            m.header("List-Unsubscribe-Post").unwrap(),
            "List-Unsubscribe=One-Click"
        );
        assert_eq!(
            m.header("Message-ID").unwrap(),
            format!("<tidings.{id}.{}@news.test>", ana.id)
        );
        let unsubscribe = m.header("List-Unsubscribe").unwrap();
        let unsubscribe = unsubscribe.trim_start_matches('<').trim_end_matches('>');
        assert!(
            unsubscribe.starts_with("http://news.test/unsubscribe/"),
            "{unsubscribe}"
        );
        let body = m.data.replace("=\r\n", "").replace("=3D", "=");
        assert!(body.contains("Featured Story") && body.contains("Dek of Older Story"));
        assert!(
            body.contains("http://news.test/subscribe/preferences/"),
            "preferences link in the footer"
        );
        assert!(
            body.contains(&format!("http://news.test/newsletter/{id}/")),
            "web version link"
        );
        assert!(
            !body.to_lowercase().contains("utm_") && !body.contains("/track"),
            "no tracking"
        );
        // Every bulk message carries the one-click headers and both parts.
        for m in smtp.messages() {
            assert!(m
                .header("List-Unsubscribe")
                .unwrap()
                .starts_with("<http://news.test/unsubscribe/"));
            assert_eq!(
                m.header("List-Unsubscribe-Post").unwrap(),
                "List-Unsubscribe=One-Click"
            );
            assert!(m
                .header("Content-Type")
                .unwrap()
                .starts_with("multipart/alternative"));
            assert!(
                m.data.contains("Content-Type: text/plain")
                    && m.data.contains("Content-Type: text/html")
            );
        }
        // The other subscriber's message carries their own links.
        let ben = smtp.wait_for("ben@example.org", 1).await;
        assert_ne!(
            ben[0].header("List-Unsubscribe").unwrap(),
            format!("<{unsubscribe}>")
        );

        // RFC 8058: a POST to the List-Unsubscribe URL, no other token, takes effect at once.
        let path = unsubscribe.trim_start_matches("http://news.test");
        let res = app
            .client
            .post(format!("{}{path}", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let ana = app.store.subscriber(ana.id).await.unwrap().unwrap();
        assert_eq!(ana.status, SubscriberStatus::Unsubscribed);

        // The web version and the archive carry no recipient's token.
        let web = app.text(&format!("/newsletter/{id}/")).await;
        assert!(web.contains("Featured Story") && web.contains("Older Story"));
        assert!(!web.contains("/unsubscribe/") && !web.contains("/preferences/"));
        let archive = app.text("/newsletter/").await;
        assert!(archive.contains(&format!("/newsletter/{id}/")));
        assert_eq!(app.get("/newsletter/999/").await.status(), 404);
        assert_eq!(app.get("/newsletter/abc/").await.status(), 404);
    }
);

server_test!(no_stories_no_digest, Options::default(), |app| {
    let s = state(&app);
    let now = Utc::now();
    confirmed(&app.store, &["ana@example.org"]).await;
    let edition = s.newsletters().upcoming(now).await.unwrap();
    assert_eq!(
        s.newsletters()
            .queue_digest(&edition, now, None)
            .await
            .unwrap(),
        QueueOutcome::NoStories
    );
    assert_eq!(app.store.count_newsletters().await.unwrap(), 0);
});

server_test!(
    the_digest_is_capped_and_follows_reads_after_editor_priority,
    Options::default(),
    |app| {
        let s = state(&app);
        let now = Utc::now();
        let mut ids = Vec::new();
        for i in 0..12 {
            ids.push(
                story(
                    &app.store,
                    &format!("Story {i}"),
                    now - chrono::Duration::minutes(10 + i),
                    false,
                    0,
                )
                .await,
            );
        }
        let prioritised = story(
            &app.store,
            "Editor's pick",
            now - chrono::Duration::hours(20),
            false,
            3,
        )
        .await;
        // Story 11 is the oldest plain one but the most read.
        let hour = now.timestamp() / 3600;
        app.store
            .add_reads(&[(ids[11], hour, 50), (ids[10], hour, 20)])
            .await
            .unwrap();
        let draft = s
            .newsletters()
            .draft(&s.newsletters().upcoming(now).await.unwrap(), now)
            .await
            .unwrap();
        let order: Vec<i64> = draft.items.iter().map(|i| i.id).collect();
        assert_eq!(order.len(), 10, "at most newsletter.max_stories");
        assert_eq!(&order[..4], &[prioritised, ids[11], ids[10], ids[0]]);
        assert_eq!(draft.left_out.len(), 3);
    }
);

server_test!(
    reads_are_counted_for_people_and_not_for_bots,
    Options::default(),
    |app| {
        let id = story(&app.store, "Counted", Utc::now(), false, 0).await;
        let person = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        for _ in 0..3 {
            let res = app.get_with("/counted/", &[("user-agent", person)]).await;
            assert_eq!(res.status(), 200);
        }
        app.get_with(
            "/counted/",
            &[(
                "user-agent",
                "Googlebot/2.1 (+http://www.google.com/bot.html)",
            )],
        )
        .await;
        app.get_with(
            "/counted/",
            &[("user-agent", person), ("sec-purpose", "prefetch")],
        )
        .await;
        app.get_with("/no-such-story/", &[("user-agent", person)])
            .await;
        let s = state(&app);
        s.newsletters()
            .reads()
            .flush(&app.store, Utc::now())
            .await
            .unwrap();
        let reads = app
            .store
            .reads_since(&[id], Utc::now() - chrono::Duration::hours(24))
            .await
            .unwrap();
        assert_eq!(reads.get(&id), Some(&3));
    }
);

server_test!(
    scheduled_digest_fires_once_at_local_time_across_daylight_saving,
    Options {
        timezone: Some("America/New_York"),
        digest_time: Some("02:30"),
        ..Options::default()
    },
    |app| {
        let s = state(&app);
        confirmed(&app.store, &["ana@example.org"]).await;
        // 2026-03-08: 02:30 does not exist in New York; the digest goes at 03:00 EDT (07:00Z).
        story(
            &app.store,
            "Spring Story",
            utc("2026-03-08T05:00:00Z"),
            false,
            0,
        )
        .await;
        assert_eq!(
            s.newsletters()
                .run_schedule(utc("2026-03-08T06:59:00Z"))
                .await
                .unwrap(),
            None
        );
        let Some(QueueOutcome::Queued(id)) = s
            .newsletters()
            .run_schedule(utc("2026-03-08T07:00:00Z"))
            .await
            .unwrap()
        else {
            panic!("not sent at the next valid instant");
        };
        let n = app.store.newsletter(id).await.unwrap().unwrap();
        assert_eq!(n.edition, "2026-03-08");
        assert_eq!(n.cutoff_at, utc("2026-03-08T07:00:00Z"));
        assert_eq!(
            s.newsletters()
                .run_schedule(utc("2026-03-08T07:30:00Z"))
                .await
                .unwrap(),
            None
        );
        // Too late to send a missed edition: more than three hours after its time.
        story(
            &app.store,
            "Late Story",
            utc("2026-03-09T05:00:00Z"),
            false,
            0,
        )
        .await;
        assert_eq!(
            s.newsletters()
                .run_schedule(utc("2026-03-09T10:31:00Z"))
                .await
                .unwrap(),
            None
        );
        // The next day's edition picks the late story up; the day after has nothing to say.
        assert!(matches!(
            s.newsletters()
                .run_schedule(utc("2026-03-10T06:30:00Z"))
                .await
                .unwrap(),
            Some(QueueOutcome::Queued(_))
        ));
        assert_eq!(
            s.newsletters()
                .run_schedule(utc("2026-03-11T06:30:00Z"))
                .await
                .unwrap(),
            Some(QueueOutcome::NoStories)
        );
    }
);

server_test!(
    a_repeated_local_time_sends_once,
    Options {
        timezone: Some("America/New_York"),
        digest_time: Some("01:30"),
        ..Options::default()
    },
    |app| {
        let s = state(&app);
        confirmed(&app.store, &["ana@example.org"]).await;
        story(
            &app.store,
            "Autumn Story",
            utc("2026-11-01T04:00:00Z"),
            false,
            0,
        )
        .await;
        // 2026-11-01: 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
        assert!(matches!(
            s.newsletters()
                .run_schedule(utc("2026-11-01T05:30:00Z"))
                .await
                .unwrap(),
            Some(QueueOutcome::Queued(_))
        ));
        story(&app.store, "Between", utc("2026-11-01T06:00:00Z"), false, 0).await;
        assert_eq!(
            s.newsletters()
                .run_schedule(utc("2026-11-01T06:30:00Z"))
                .await
                .unwrap(),
            None
        );
        assert_eq!(app.store.count_newsletters().await.unwrap(), 1);
    }
);

server_test!(
    refusals_suppress_and_temporary_failures_wait_for_a_retry,
    Options {
        smtp: true,
        ..Options::default()
    },
    |app| {
        let smtp = app.smtp.clone().unwrap();
        smtp.fail_recipient("gone@example.org", 550);
        smtp.fail_recipient("busy@example.org", 451);
        an_hour_old_story(&app.store).await;
        confirmed(
            &app.store,
            &["ok@example.org", "gone@example.org", "busy@example.org"],
        )
        .await;
        let id = queue_digest_now(&app).await;
        let s = state(&app);
        Sender::new(s.newsletters().clone())
            .run_due()
            .await
            .unwrap();
        let mut n = app.store.newsletter(id).await.unwrap().unwrap();
        for _ in 0..100 {
            if n.counts.sending == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            n = app.store.newsletter(id).await.unwrap().unwrap();
        }
        assert_eq!((n.counts.sent, n.counts.failed, n.counts.queued), (1, 1, 1));
        assert_eq!(
            n.status,
            NewsletterState::Sending,
            "a retry is still waiting: not reported as sent"
        );
        let gone = app
            .store
            .subscriber_by_email("gone@example.org")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(gone.status, SubscriberStatus::Suppressed);
        let failures = app.store.failed_deliveries(id, 10).await.unwrap();
        assert!(failures[0].error.contains("550"), "{:?}", failures);
    }
);

server_test!(
    a_stopped_workers_claims_go_out_before_a_long_send_ends,
    Options {
        smtp: true,
        // No worker of the server's own: only the one below sends.
        configure: Some(Box::new(|c| {
            c.server.jobs = false;
            c.mail.connections = 1;
        })),
        ..Options::default()
    },
    |app| {
        let smtp = app.smtp.clone().unwrap();
        an_hour_old_story(&app.store).await;
        readers(&app.store, "reader", 20).await;
        let id = queue_digest_now(&app).await;
        // A worker that claimed five and stopped: its lease runs out a second from now, after
        // the send below has started (so that send cannot simply take them back at its start).
        let now = Utc::now();
        let abandoned = app
            .store
            .claim_deliveries("stopped-worker", 5, now, now + chrono::Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(abandoned.len(), 5);
        // The other fifteen take six seconds on one connection, twice the renewal interval.
        smtp.delay_each(Duration::from_millis(400));
        Sender::new(state(&app).newsletters().clone())
            .run_due()
            .await
            .unwrap();
        assert_eq!(
            smtp.count(),
            20,
            "the stopped worker's deliveries went out in the same run"
        );
        let n = deliver(&app, id).await;
        assert_eq!(n.counts.sent, 20);
        assert_eq!(n.status, NewsletterState::Sent);
    }
);
