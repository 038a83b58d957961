use chrono::{Duration, Utc};
use tidings_accounts::Role;

use crate::server_test;
use crate::support::browser::{account, link, Browser, PASSWORD};
use crate::support::Options;

pub(crate) fn id_from(location: &str) -> String {
    location
        .trim_start_matches("/admin/articles/")
        .split('?')
        .next()
        .unwrap()
        .to_string()
}

server_test!(
    write_preview_publish_and_read_on_the_public_site,
    Options::default(),
    |app| {
        account(&app.store, "ed@example.org", Role::Editor).await;
        let mut b = Browser::new(&app.base);
        b.sign_in("ed@example.org", PASSWORD).await;
        b.get("/admin/articles/new").await;
        let empty = b
            .post(
                "/admin/articles/new",
                &[("title", "  "), ("body", "Kept text"), ("action", "save")],
            )
            .await;
        assert_eq!(empty.status, 422);
        assert!(
            empty.body.contains("Title: a title is required") && empty.body.contains("Kept text")
        );
        let reserved = b
            .post(
                "/admin/articles/new",
                &[
                    ("title", "Admin news"),
                    ("slug", "admin"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(reserved.status, 422);
        assert!(reserved.body.contains("used by the site itself"));

        let preview = b
            .post(
                "/admin/articles/new",
                &[
                    ("title", "Harbour fire"),
                    ("body", "A **big** fire <script>x()</script>"),
                    ("action", "preview"),
                ],
            )
            .await;
        assert_eq!(preview.status, 200);
        assert!(
            preview.body.contains("<strong>big</strong>") && !preview.body.contains("<script>x()")
        );
        let live = b.post("/admin/preview", &[("body", "*live*")]).await;
        assert_eq!(live.body.trim(), "<p><em>live</em></p>");

        let saved = b
            .post(
                "/admin/articles/new",
                &[
                    ("title", "Harbour fire"),
                    ("dek", "Crews worked overnight."),
                    ("body", "A big fire."),
                    ("tags", "City Hall, Breaking"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303);
        let id = id_from(saved.location.as_deref().unwrap());
        assert_eq!(
            app.get("/harbour-fire/").await.status(),
            404,
            "a draft is not public"
        );
        let editor = b.get(&format!("/admin/articles/{id}")).await;
        assert!(
            editor.body.contains("value=\"City Hall, Breaking\""),
            "tags created by an editor"
        );
        let published = b
            .post(
                &format!("/admin/articles/{id}"),
                &[
                    ("title", "Harbour fire"),
                    ("body", "A big fire."),
                    ("tags", "City Hall"),
                    ("version", "1"),
                    ("action", "publish"),
                ],
            )
            .await;
        assert_eq!(published.status, 303);
        let page = app.text("/harbour-fire/").await;
        assert!(page.contains("<h1 class=\"headline\">Harbour fire</h1>"));
        let list = b.get("/admin/articles?q=harbour&status=published").await;
        assert!(list.body.contains("Harbour fire"));
        let none = b.get("/admin/articles?q=harbour&status=draft").await;
        assert!(!none.body.contains("Harbour fire"));
    }
);

server_test!(
    changing_a_published_slug_leaves_a_redirect,
    Options::default(),
    |app| {
        account(&app.store, "ed@example.org", Role::Editor).await;
        let mut b = Browser::new(&app.base);
        b.sign_in("ed@example.org", PASSWORD).await;
        b.get("/admin/articles/new").await;
        let saved = b
            .post(
                "/admin/articles/new",
                &[
                    ("title", "Ferry timetable"),
                    ("body", "Times."),
                    ("action", "publish"),
                ],
            )
            .await;
        let id = id_from(saved.location.as_deref().unwrap());
        b.get(&format!("/admin/articles/{id}")).await;
        let moved = b
            .post(
                &format!("/admin/articles/{id}"),
                &[
                    ("title", "Ferry timetable"),
                    ("slug", "winter-ferry-timetable"),
                    ("body", "Times."),
                    ("version", "1"),
                    ("action", "publish"),
                ],
            )
            .await;
        assert_eq!(moved.status, 303);
        let res = app.get("/ferry-timetable/").await;
        assert_eq!(res.status(), 301);
        assert_eq!(res.headers()["location"], "/winter-ferry-timetable/");
        assert_eq!(app.get("/winter-ferry-timetable/").await.status(), 200);
        // The old slug behind a doubled or encoded slash never becomes an off-site redirect.
        for path in [
            "//ferry-timetable/",
            "/%2Fferry-timetable/",
            "//ferry-timetable",
        ] {
            let raw = crate::support::raw_get(app.addr(), path).await;
            assert!(
                crate::routes::security::stays_on_site(&raw),
                "{path}: {raw}"
            );
        }
    }
);

server_test!(
    stale_saves_are_refused_with_the_other_version_shown,
    Options::default(),
    |app| {
        account(&app.store, "a@example.org", Role::Editor).await;
        account(&app.store, "b@example.org", Role::Editor).await;
        let mut a = Browser::new(&app.base);
        let mut b = Browser::new(&app.base);
        a.sign_in("a@example.org", PASSWORD).await;
        b.sign_in("b@example.org", PASSWORD).await;
        a.get("/admin/articles/new").await;
        let saved = a
            .post(
                "/admin/articles/new",
                &[
                    ("title", "Budget"),
                    ("body", "First draft."),
                    ("action", "save"),
                ],
            )
            .await;
        let path = format!(
            "/admin/articles/{}",
            id_from(saved.location.as_deref().unwrap())
        );
        a.get(&path).await;
        b.get(&path).await;
        let first = a
            .post(
                &path,
                &[
                    ("title", "Budget"),
                    ("body", "A's edit."),
                    ("version", "1"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(first.status, 303);
        let second = b
            .post(
                &path,
                &[
                    ("title", "Budget"),
                    ("body", "B's edit."),
                    ("version", "1"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(second.status, 409);
        assert!(second.body.contains("Someone else saved this story"));
        assert!(
            second.body.contains("A&#39;s edit.") && second.body.contains("B&#39;s edit."),
            "both versions are on the page"
        );
        let article = app
            .store
            .article_by_id(id_from(&path).parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            article.body_markdown, "A's edit.",
            "nothing was overwritten"
        );
        let kept = b
            .post(
                &path,
                &[
                    ("title", "Budget"),
                    ("body", "Merged."),
                    ("version", "2"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(
            kept.status, 303,
            "saving again after seeing the other version works"
        );
    }
);

server_test!(
    scheduling_publishes_once_at_the_chosen_local_time,
    Options {
        timezone: Some("Europe/Paris"),
        ..Options::default()
    },
    |app| {
        account(&app.store, "ed@example.org", Role::Editor).await;
        let mut b = Browser::new(&app.base);
        b.sign_in("ed@example.org", PASSWORD).await;
        b.get("/admin/articles/new").await;
        let past = b
            .post(
                "/admin/articles/new",
                &[
                    ("title", "Old news"),
                    ("publish_at", "2020-01-01T09:00"),
                    ("action", "schedule"),
                ],
            )
            .await;
        assert_eq!(past.status, 422);
        let when = (Utc::now() + Duration::hours(3))
            .with_timezone(&chrono_tz::Europe::Paris)
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        let saved = b
            .post(
                "/admin/articles/new",
                &[
                    ("title", "Weekend weather"),
                    ("publish_at", &when),
                    ("action", "schedule"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303);
        let id: i64 = id_from(saved.location.as_deref().unwrap()).parse().unwrap();
        let article = app.store.article_by_id(id).await.unwrap().unwrap();
        assert_eq!(article.status, tidings_content::Status::Scheduled);
        let due = article.published_at.unwrap();
        assert!(
            (due - (Utc::now() + Duration::hours(3)))
                .num_minutes()
                .abs()
                <= 1,
            "local time read in the site's timezone"
        );
        assert_eq!(
            app.store
                .publish_due(due - Duration::seconds(1))
                .await
                .unwrap(),
            0
        );
        assert_eq!(app.store.publish_due(due).await.unwrap(), 1);
        assert_eq!(
            app.store
                .publish_due(due + Duration::hours(1))
                .await
                .unwrap(),
            0,
            "fires once"
        );
    }
);

server_test!(
    contributors_submit_for_review_and_editors_are_told,
    Options {
        smtp: true,
        ..Options::default()
    },
    |app| {
        let catcher = app.smtp.clone().unwrap();
        account(&app.store, "chief@example.org", Role::Editor).await;
        account(&app.store, "new@example.org", Role::Contributor).await;
        let mut c = Browser::new(&app.base);
        c.sign_in("new@example.org", PASSWORD).await;
        let form = c.get("/admin/articles/new").await;
        assert!(
            !form.body.contains("value=\"publish\""),
            "no publish button for contributors"
        );
        let saved = c
            .post(
                "/admin/articles/new",
                &[
                    ("title", "My first story"),
                    ("body", "Words."),
                    ("action", "submit"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303);
        let path = saved.location.unwrap();
        let id = id_from(&path);
        let sneaky = c
            .post(
                &format!("/admin/articles/{id}"),
                &[
                    ("title", "My first story"),
                    ("version", "1"),
                    ("action", "publish"),
                ],
            )
            .await;
        assert_eq!(sneaky.status, 403);
        let mails = catcher.wait_for("chief@example.org", 1).await;
        assert!(mails[0]
            .header("Subject")
            .unwrap()
            .contains("My first story"));
        assert!(link(&mails[0].data, "http://news.test/admin/articles/").ends_with(&id));
        let mut e = Browser::new(&app.base);
        e.sign_in("chief@example.org", PASSWORD).await;
        assert!(e.get("/admin/").await.body.contains("Waiting for review"));
        e.get(&format!("/admin/articles/{id}")).await;
        let live = e
            .post(
                &format!("/admin/articles/{id}"),
                &[
                    ("title", "My first story"),
                    ("body", "Words."),
                    ("version", "1"),
                    ("action", "publish"),
                ],
            )
            .await;
        assert_eq!(live.status, 303);
        assert_eq!(
            c.get(&format!("/admin/articles/{id}")).await.status,
            403,
            "once live, it is the editors'"
        );
    }
);

server_test!(
    editors_manage_tags_and_authors_and_link_bylines,
    Options::default(),
    |app| {
        account(&app.store, "ed@example.org", Role::Editor).await;
        let writer = account(&app.store, "writer@example.org", Role::Author).await;
        let mut w = Browser::new(&app.base);
        w.sign_in("writer@example.org", PASSWORD).await;
        assert_eq!(
            w.get("/admin/tags").await.status,
            403,
            "authors do not manage tags"
        );

        let mut b = Browser::new(&app.base);
        b.sign_in("ed@example.org", PASSWORD).await;
        b.get("/admin/tags").await;
        assert_eq!(
            b.post(
                "/admin/tags",
                &[("name", "Courts"), ("description", "Trials and rulings.")]
            )
            .await
            .status,
            303
        );
        let tag = app.store.tag_by_slug("courts").await.unwrap().unwrap();
        let dup = b
            .post(
                &format!("/admin/tags/{}", tag.id),
                &[("name", "Courts"), ("slug", "Bad Slug")],
            )
            .await;
        assert_eq!(dup.status, 422);
        assert_eq!(
            b.post(
                &format!("/admin/tags/{}", tag.id),
                &[
                    ("name", "Law and courts"),
                    ("slug", "law"),
                    ("description", "")
                ]
            )
            .await
            .status,
            303
        );
        assert_eq!(
            app.store.tag_by_slug("law").await.unwrap().unwrap().name,
            "Law and courts"
        );

        b.get("/admin/authors").await;
        let uid = writer.id.to_string();
        assert_eq!(
            b.post(
                "/admin/authors",
                &[
                    ("name", "Wren Writer"),
                    ("bio", "covers courts."),
                    ("user_id", &uid)
                ]
            )
            .await
            .status,
            303
        );
        let author = app
            .store
            .author_by_slug("wren-writer")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            app.store
                .user_by_id(writer.id)
                .await
                .unwrap()
                .unwrap()
                .author_id,
            Some(author.id)
        );

        // A story bylined to Wren, created by the editor, is now Wren's to edit and publish.
        b.get("/admin/articles/new").await;
        let aid = author.id.to_string();
        let saved = b
            .post(
                "/admin/articles/new",
                &[
                    ("title", "Court ruling"),
                    ("author", &aid),
                    ("tags", "Law and courts"),
                    ("action", "save"),
                ],
            )
            .await;
        let path = saved
            .location
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        assert_eq!(w.get(&path).await.status, 200);
        let published = w
            .post(
                &path,
                &[
                    ("title", "Court ruling"),
                    ("author", &aid),
                    ("tags", "Law and courts"),
                    ("version", "1"),
                    ("action", "publish"),
                ],
            )
            .await;
        assert_eq!(published.status, 303);
        let page = app.text("/court-ruling/").await;
        assert!(page.contains("Wren Writer") && page.contains("/tag/law/"));
    }
);

server_test!(
    unpublishing_and_duplicate_slugs,
    Options::default(),
    |app| {
        account(&app.store, "ed@example.org", Role::Editor).await;
        let mut b = Browser::new(&app.base);
        b.sign_in("ed@example.org", PASSWORD).await;
        b.get("/admin/articles/new").await;
        let first = b
            .post(
                "/admin/articles/new",
                &[
                    ("title", "Market day"),
                    ("body", "Stalls."),
                    ("action", "publish"),
                ],
            )
            .await;
        let path = first
            .location
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        assert_eq!(app.get("/market-day/").await.status(), 200);
        let dup = b
            .post(
                "/admin/articles/new",
                &[
                    ("title", "Market day"),
                    ("body", "Again."),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(dup.status, 422);
        assert!(dup.body.contains("/market-day/ is already used") && dup.body.contains("Again."));
        b.get(&path).await;
        let off = b
            .post(
                &path,
                &[
                    ("title", "Market day"),
                    ("body", "Stalls."),
                    ("version", "1"),
                    ("action", "unpublish"),
                ],
            )
            .await;
        assert_eq!(off.status, 303);
        assert!(
            app.eventually("/", std::time::Duration::from_secs(5), |html| !html
                .contains("Market day"))
                .await,
            "gone from the home page"
        );
        assert_eq!(app.get("/market-day/").await.status(), 404);
        let log = app.store.audit_log(10).await.unwrap();
        assert!(log
            .iter()
            .any(|e| e.action == "article.unpublish" && e.subject == "market-day"));
    }
);
