//! The editor's history: autosave, revisions and restore, corrections, and signed preview links.

use tidings_accounts::Role;

use crate::routes::admin::editor::id_from;
use crate::server_test;
use crate::support::browser::{account, link, Browser, PASSWORD};
use crate::support::Options;

server_test!(
    revisions_autosave_restore_and_corrections,
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
                    ("title", "Tide tables"),
                    ("body", "First words."),
                    ("action", "publish"),
                ],
            )
            .await;
        let id = id_from(saved.location.as_deref().unwrap());
        let path = format!("/admin/articles/{id}");
        b.get(&path).await;
        b.post(
            &path,
            &[
                ("title", "Tide tables"),
                ("body", "Second words."),
                ("version", "1"),
                ("action", "publish"),
            ],
        )
        .await;

        // Autosave keeps typed words without touching the article.
        let auto = b
            .post(
                &format!("{path}/autosave"),
                &[("title", "Tide tables"), ("body", "Unsaved third words.")],
            )
            .await;
        assert_eq!(auto.status, 204);
        let article = app
            .store
            .article_by_id(id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(article.body_markdown, "Second words.");
        let editor = b.get(&path).await;
        assert!(editor.body.contains("You have unsaved changes"));

        // History lists both saves; loading the first and saving restores it.
        let history = b.get(&format!("{path}/revisions")).await;
        assert_eq!(history.status, 200);
        let revisions = app.store.revisions(id.parse().unwrap()).await.unwrap();
        let first = revisions
            .iter()
            .find(|r| r.kind == tidings_store::RevisionKind::Save && r.version == 1)
            .unwrap();
        assert!(history.body.contains(&format!("?revision={}", first.id)));
        let loaded = b.get(&format!("{path}?revision={}", first.id)).await;
        assert!(loaded.body.contains("First words.") && loaded.body.contains("Save to restore it"));
        b.post(
            &path,
            &[
                ("title", "Tide tables"),
                ("body", "First words."),
                ("version", "2"),
                ("action", "publish"),
            ],
        )
        .await;
        assert!(app.text("/tide-tables/").await.contains("First words."));

        // A correction shows on the story with its date, and moves dateModified.
        let before = app
            .store
            .article_by_id(id.parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .updated_at;
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        b.get(&path).await;
        let empty = b
            .post(
                &format!("{path}/notes"),
                &[("kind", "correction"), ("note", "  ")],
            )
            .await;
        assert_eq!(empty.status, 422);
        let added = b
            .post(
                &format!("{path}/notes"),
                &[
                    ("kind", "correction"),
                    ("note", "An earlier version gave the wrong high-tide time."),
                ],
            )
            .await;
        assert_eq!(added.status, 303);
        let after = app
            .store
            .article_by_id(id.parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .updated_at;
        assert!(after > before);
        let page = app.text("/tide-tables/").await;
        assert!(
            page.contains("<strong>Correction</strong>") && page.contains("wrong high-tide time")
        );
        let start = page.find("application/ld+json\">").unwrap() + 21;
        let end = page[start..].find("</script>").unwrap() + start;
        let doc: serde_json::Value = serde_json::from_str(&page[start..end]).unwrap();
        assert_eq!(doc["dateModified"], after.to_rfc3339());
    }
);

server_test!(
    signed_preview_links_show_drafts_until_they_expire,
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
                    ("title", "Embargoed report"),
                    ("body", "Secret until Monday."),
                    ("action", "save"),
                ],
            )
            .await;
        let id = id_from(saved.location.as_deref().unwrap());
        b.get(&format!("/admin/articles/{id}")).await;
        let page = b
            .post(&format!("/admin/articles/{id}/preview-link"), &[])
            .await;
        let url = link(&page.body, "http://news.test/preview/");
        let url = url.trim_end_matches("</div>");
        let path = url.trim_start_matches("http://news.test");
        // Anyone with the link can read the draft, without signing in; nobody else can.
        let res = app.get(path).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["x-robots-tag"], "noindex, nofollow");
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert!(res.text().await.unwrap().contains("Secret until Monday."));
        assert_eq!(
            app.get("/embargoed-report/").await.status(),
            404,
            "still not public"
        );
        let flip = if path.ends_with('0') { "1" } else { "0" };
        let forged = format!("{}{flip}", &path[..path.len() - 1]);
        assert_eq!(app.get(&forged).await.status(), 404);
        let parts: Vec<&str> = path.split('/').collect();
        let extended = format!(
            "/preview/{}/{}/{}",
            parts[2],
            parts[3].parse::<i64>().unwrap() + 86_400,
            parts[4]
        );
        assert_eq!(
            app.get(&extended).await.status(),
            404,
            "the expiry is signed"
        );
        let past = format!("/preview/{}/{}/{}", parts[2], 1_000, parts[4]);
        assert_eq!(app.get(&past).await.status(), 404);
    }
);
