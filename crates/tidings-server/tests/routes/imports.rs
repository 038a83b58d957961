//! A WordPress site moved in, through real HTTP: every kind of old address answers 301 to the new
//! one, Greek addresses work in both their forms, and what was not public stays so.

use std::path::Path;

use tidings_import::wordpress::{import, Options};

use crate::server_test;
use crate::support::Options as AppOptions;

server_test!(
    old_wordpress_addresses_lead_to_the_moved_site,
    AppOptions::default(),
    |app| {
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/wordpress/themeunittestdata.wordpress.xml");
        let options = Options {
            timezone: chrono_tz::UTC,
            uploads: None,
        };
        import(&file, &app.store, &options, &|_, _| {})
            .await
            .unwrap();
        let moved = |from: &'static str, to: &'static str| {
            let app = &app;
            async move {
                let res = app.get(from).await;
                assert_eq!(res.status(), 301, "{from}");
                let location = res.headers()["location"].to_str().unwrap().to_string();
                assert_eq!(
                    percent_encoding::percent_decode_str(&location).decode_utf8_lossy(),
                    to,
                    "{from}"
                );
            }
        };
        moved(
            "/2013/01/11/markup-html-tags-and-formatting/",
            "/markup-html-tags-and-formatting/",
        )
        .await;
        moved("/?p=1178", "/markup-html-tags-and-formatting/").await;
        moved("/category/markup/", "/tag/markup/").await;
        moved("/category/markup/page/2/", "/tag/markup/page/2/").await;
        moved("/category/markup/feed/", "/tag/markup/rss/").await;
        moved("/feed/", "/rss/").await;
        // An attachment's page leads to the post it belongs to.
        moved(
            "/2010/09/10/post-format-gallery/canola2/",
            "/post-format-gallery/",
        )
        .await;
        moved(
            "/greek/%CE%B5%CF%80%CE%AF%CF%80%CE%B5%CE%B4%CE%BF-2/",
            "/επίπεδο-2/",
        )
        .await;
        // The new addresses answer, Greek ones percent-encoded as browsers send them.
        assert_eq!(
            app.get("/markup-html-tags-and-formatting/").await.status(),
            200
        );
        let greek = app
            .get("/%CE%B5%CF%80%CE%AF%CF%80%CE%B5%CE%B4%CE%BF-2/")
            .await;
        assert_eq!(greek.status(), 200);
        assert!(greek.text().await.unwrap().contains("Second Greek level"));
        let sitemap = app.get("/sitemap.xml").await.text().await.unwrap();
        assert!(
            sitemap.contains("/%CE%B5%CF%80%CE%AF%CF%80%CE%B5%CE%B4%CE%BF-2/"),
            "{sitemap}"
        );
        // Drafts, scheduled and password-protected posts are not public; unknown old ids are 404s.
        assert_eq!(app.get("/scheduled/").await.status(), 404);
        assert_eq!(app.get("/template-password-protected/").await.status(), 404);
        assert_eq!(app.get("/2099/01/01/nothing-here/").await.status(), 404);
        assert_eq!(app.get("/?p=999999").await.status(), 200, "the home page");
    }
);

server_test!(
    owners_keep_redirects_in_the_admin,
    AppOptions::default(),
    |app| {
        use crate::support::browser::{account, Browser, PASSWORD};
        use tidings_accounts::Role;
        account(&app.store, "editor@example.org", Role::Editor).await;
        let mut editor = Browser::new(&app.base);
        editor.sign_in("editor@example.org", PASSWORD).await;
        assert_eq!(editor.get("/admin/redirects").await.status, 403);

        account(&app.store, "owner@example.org", Role::Owner).await;
        let mut owner = Browser::new(&app.base);
        owner.sign_in("owner@example.org", PASSWORD).await;
        assert_eq!(app.get("/2019/05/old-story/").await.status(), 404);
        assert_eq!(owner.get("/admin/redirects").await.status, 200);
        let saved = owner
            .post(
                "/admin/redirects",
                &[
                    ("from_path", "https://old.example.org/2019/05/old-story/"),
                    ("to_path", "/rss/"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let res = app.get("/2019/05/old-story/").await;
        assert_eq!(res.status(), 301);
        assert_eq!(res.headers()["location"], "/rss/");
        let page = owner.get("/admin/redirects").await;
        assert!(page.body.contains("/2019/05/old-story/"), "{}", page.body);
        // Changing it replaces the target; an address leading nowhere new is refused.
        let refused = owner
            .post(
                "/admin/redirects",
                &[("from_path", "/same/"), ("to_path", "/same/")],
            )
            .await;
        assert_eq!(refused.status, 422);
        let removed = owner
            .post(
                "/admin/redirects",
                &[("from_path", "/2019/05/old-story/"), ("remove", "1")],
            )
            .await;
        assert_eq!(removed.status, 303);
        assert_eq!(app.get("/2019/05/old-story/").await.status(), 404);
    }
);
