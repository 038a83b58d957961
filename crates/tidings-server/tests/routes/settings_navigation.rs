//! The header and footer menus: built in until the outlet changes them, reordered with up and down
//! buttons, items leading to tags, pages or addresses, bad additions refused, the built-in menu
//! restored; readers see each change at once.

use tidings_accounts::Role;
use tidings_theme::navigation::{Item, Target};

use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};

/// The header menu's labels on the home page, in order.
fn header_labels(home: &str) -> Vec<String> {
    let nav = home
        .split("<nav class=\"sections wrap\" aria-label=\"Sections\">")
        .nth(1)
        .and_then(|rest| rest.split("</nav>").next())
        .unwrap_or_default();
    nav.split("\">")
        .skip(1)
        .filter_map(|s| s.split("</a>").next())
        .map(str::to_string)
        .collect()
}

server_test!(
    menus_are_reordered_added_to_and_restored,
    crate::support::demo(),
    |app| {
        account(&app.store, "owner@example.org", Role::Owner).await;
        account(&app.store, "ed@example.org", Role::Editor).await;
        let mut editor = Browser::new(&app.base);
        editor.sign_in("ed@example.org", PASSWORD).await;
        assert_eq!(editor.get("/admin/settings/navigation").await.status, 403);
        editor.get("/admin/").await;
        let refused = editor
            .post(
                "/admin/settings/navigation",
                &[("menu", "header"), ("action", "reset")],
            )
            .await;
        assert_eq!(refused.status, 403);

        let mut owner = Browser::new(&app.base);
        owner.sign_in("owner@example.org", PASSWORD).await;
        let page = owner.get("/admin/settings/navigation").await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("This is the built-in menu"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("aria-label=\"Move City Hall down\""),
            "{}",
            page.body
        );
        let before = header_labels(&app.text("/").await);
        assert!(before.len() >= 2, "{before:?}");

        // The first section moves down one place.
        let moved = owner
            .post(
                "/admin/settings/navigation",
                &[("menu", "header"), ("action", "down"), ("index", "0")],
            )
            .await;
        assert_eq!(moved.status, 303);
        assert_eq!(
            moved.location.as_deref(),
            Some("/admin/settings/navigation?saved=1#menu-header-1"),
            "focus returns to the moved item"
        );
        let after = header_labels(&app.text("/").await);
        assert_eq!(after[0], before[1]);
        assert_eq!(after[1], before[0]);

        // A page and an address join the footer; bad additions are refused and change nothing.
        let settings = app.store.settings().await.unwrap();
        let pages = app.store.published_pages().await.unwrap();
        let about = pages.iter().find(|p| p.slug == "about").unwrap();
        let about_id = about.id.to_string();
        for (fields, message) in [
            (
                vec![
                    ("kind", "url"),
                    ("url", "javascript:alert(1)"),
                    ("label", "Click"),
                ],
                "is neither a path on this site",
            ),
            (
                vec![("kind", "url"), ("url", "https://shop.example/")],
                "An address needs a label.",
            ),
            (
                vec![("kind", "page"), ("page", "999999")],
                "Choose a published page.",
            ),
            (
                vec![("kind", "tag"), ("tag", "1"), ("label", "Line\nbreak")],
                "one line of at most 60 characters",
            ),
        ] {
            let mut all = vec![("menu", "footer"), ("action", "add")];
            all.extend(fields);
            let refused = owner.post("/admin/settings/navigation", &all).await;
            assert_eq!(refused.status, 422, "{message}");
            assert!(
                refused.body.contains(message),
                "{message}: {}",
                refused.body
            );
        }
        assert_eq!(
            app.store.settings().await.unwrap().get("menu_footer"),
            settings.get("menu_footer")
        );
        for fields in [
            vec![
                ("kind", "page"),
                ("page", about_id.as_str()),
                ("label", "Who we are"),
            ],
            vec![
                ("kind", "url"),
                ("url", "https://shop.example/"),
                ("label", "Shop"),
            ],
        ] {
            let mut all = vec![("menu", "footer"), ("action", "add")];
            all.extend(fields);
            assert_eq!(
                owner.post("/admin/settings/navigation", &all).await.status,
                303
            );
        }
        let saved: Vec<Item> =
            serde_json::from_str(app.store.settings().await.unwrap().get("menu_footer")).unwrap();
        assert_eq!(
            saved.len(),
            7,
            "the five built-in items, then the two added"
        );
        assert_eq!(saved[5].target, Target::Page(about.id));
        let home = app.text("/").await;
        assert!(
            home.contains("<li><a href=\"/about/\">Who we are</a></li>"),
            "{home}"
        );
        assert!(home.contains("<li><a href=\"https://shop.example/\">Shop</a></li>"));

        // A button from a page shown before the menu changed names an item that is no longer there.
        let stale = owner
            .post(
                "/admin/settings/navigation",
                &[("menu", "footer"), ("action", "up"), ("index", "40")],
            )
            .await;
        assert_eq!(stale.status, 422);
        assert!(stale.body.contains("That item has changed"));

        // Restoring the header forgets the saved one.
        let reset = owner
            .post(
                "/admin/settings/navigation",
                &[("menu", "header"), ("action", "reset")],
            )
            .await;
        assert_eq!(reset.status, 303);
        assert_eq!(app.store.settings().await.unwrap().get("menu_header"), "");
        assert_eq!(header_labels(&app.text("/").await), before);
        let log = app.store.audit_log(20).await.unwrap();
        assert!(log
            .iter()
            .any(|e| e.action == "settings.navigation" && e.subject == "footer add"));
    }
);
