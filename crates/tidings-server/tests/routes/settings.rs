//! The outlet's words in the admin: owners and administrators save them (each field checked, the
//! message beside it), editors cannot, and the public site, its JSON-LD and its emails follow.

use tidings_accounts::Role;

use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};
use crate::support::Options;

fn site(title: &str) -> Vec<(&str, &str)> {
    vec![
        ("site_title", title),
        ("site_description", "News for the quays."),
        ("site_language", "en"),
        ("site_timezone", "Europe/London"),
        ("accent_colour", ""),
    ]
}

fn organisation() -> Vec<(&'static str, &'static str)> {
    vec![
        ("organisation_name", "Quay Courier Trust"),
        ("organisation_address", "2 Dock Road\nPort Alder"),
        ("registration_number", "Charity 123"),
        ("contact_email", "newsroom@quaycourier.example"),
        (
            "social_profiles",
            "https://bsky.app/profile/quaycourier.example\nhttps://www.instagram.com/quaycourier",
        ),
        ("receipt_tax_text", "No goods or services were provided."),
    ]
}

fn newsletter(name: &str) -> Vec<(&str, &str)> {
    vec![
        ("newsletter_name", name),
        (
            "newsletter_description",
            "Five stories from the quays, before the ferry.",
        ),
        ("digest_time", "06:30"),
        ("digest_max_stories", "8"),
    ]
}

fn with<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    key: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    for f in fields.iter_mut().filter(|f| f.0 == key) {
        f.1 = value;
    }
    fields
}

server_test!(
    owners_make_the_site_theirs_and_editors_cannot,
    Options::default(),
    |app| {
        account(&app.store, "owner@example.org", Role::Owner).await;
        account(&app.store, "ed@example.org", Role::Editor).await;
        let mut editor = Browser::new(&app.base);
        editor.sign_in("ed@example.org", PASSWORD).await;
        assert_eq!(editor.get("/admin/settings").await.status, 403);
        assert_eq!(editor.get("/admin/settings/newsletter").await.status, 403);
        let mut owner = Browser::new(&app.base);
        owner.sign_in("owner@example.org", PASSWORD).await;
        let page = owner.get("/admin/settings").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("value=\"Test Ledger\""), "{}", page.body);
        assert!(page.body.contains("href=\"/admin/settings\">Settings</a>"));
        // Editors cannot save either (the form needs their session's token, which they have).
        editor.get("/admin/").await;
        assert_eq!(
            editor
                .post("/admin/settings", &site("Hijacked"))
                .await
                .status,
            403
        );

        // Each kind of bad value is refused beside its field, and nothing is saved.
        let long_name = "N".repeat(121);
        for (path, fields, message) in [
            ("/admin/settings", site(""), "Site name cannot be empty."),
            (
                "/admin/settings",
                site("Quay\u{7}Courier"),
                "One line, please",
            ),
            (
                "/admin/settings",
                with(site("Quay"), "site_timezone", "Mars/Olympus"),
                "`Mars/Olympus` is not a timezone name",
            ),
            (
                "/admin/settings",
                with(site("Quay"), "accent_colour", "#ffcc00"),
                "#ffcc00 has a contrast of 1.",
            ),
            (
                "/admin/settings",
                with(site("Quay"), "site_language", "english please"),
                "is not a language code",
            ),
            (
                "/admin/settings/newsletter",
                newsletter(&long_name),
                "At most 120 characters.",
            ),
            (
                "/admin/settings/newsletter",
                vec![("newsletter_sender_address", "tide@gmail.example")],
                "Newsletters can only come from an address at news.test",
            ),
            (
                "/admin/settings/newsletter",
                with(newsletter("Tide"), "digest_time", "7am"),
                "`7am` is not a time as HH:MM",
            ),
            (
                "/admin/settings/newsletter",
                with(newsletter("Tide"), "digest_max_stories", "500"),
                "A whole number from 1 to 50.",
            ),
            (
                "/admin/settings/organisation",
                with(organisation(), "contact_email", "not-an-address"),
                "`not-an-address`",
            ),
            (
                "/admin/settings/organisation",
                with(organisation(), "social_profiles", "http://plain.example/us"),
                "`http://plain.example/us` is not an https:// address.",
            ),
            (
                "/admin/settings/search",
                vec![("analytics_script", "http://stats.example/s.js")],
                "`http://stats.example/s.js` is not an https:// address.",
            ),
            (
                "/admin/settings/search",
                vec![("robots_extra", "Bcc: everyone")],
                "`Bcc: everyone`: each line is a comment or User-agent",
            ),
            (
                "/admin/settings/donations",
                vec![("donation_default_form", "gala")],
                "There is no donation form `gala`.",
            ),
        ] {
            let refused = owner.post(path, &fields).await;
            assert_eq!(refused.status, 422, "{message}");
            assert!(
                refused.body.contains(message),
                "{message}: {}",
                refused.body
            );
            assert!(refused.body.contains("aria-invalid=\"true\""));
        }
        let untouched = app.store.settings().await.unwrap();
        for key in ["site_title", "site_timezone", "digest_time", "robots_extra"] {
            assert_eq!(untouched.get(key), "", "{key} is not saved");
        }

        let saved = owner
            .post("/admin/settings", &site("The Quay Courier"))
            .await;
        assert_eq!(saved.status, 303);
        assert_eq!(saved.location.as_deref(), Some("/admin/settings?saved=1"));
        for (path, fields) in [
            ("/admin/settings/organisation", organisation()),
            ("/admin/settings/newsletter", newsletter("Morning Tide")),
            (
                "/admin/settings/donations",
                vec![
                    ("donation_cta_enabled", "on"),
                    ("donation_cta", "Keep the Courier free."),
                    ("donation_default_form", "default"),
                ],
            ),
        ] {
            let saved = owner.post(path, &fields).await;
            assert_eq!(saved.status, 303, "{path}: {}", saved.body);
            assert_eq!(
                saved.location.as_deref(),
                Some(format!("{path}?saved=1").as_str())
            );
        }
        let settings = app.store.settings().await.unwrap();
        assert_eq!(settings.get("site_title"), "The Quay Courier");
        assert_eq!(
            settings.get("organisation_address"),
            "2 Dock Road\nPort Alder"
        );
        let log = app.store.audit_log(10).await.unwrap();
        assert!(log
            .iter()
            .any(|e| e.action == "settings.save" && e.subject.contains("site_title")));

        // The public site follows at once: masthead, footer, JSON-LD, the signup box.
        let story = app
            .store
            .create_article(&tidings_store::NewArticle::published(
                "Dock repairs",
                "Text.",
            ))
            .await
            .unwrap();
        // A running server notices the change within a second (the generation it polls).
        assert!(
            app.eventually("/", std::time::Duration::from_secs(5), |b| b
                .contains("The Quay Courier"))
                .await
        );
        let home = app.text("/").await;
        assert!(home.contains("Quay Courier Trust"));
        assert!(home.contains("News for the quays."));
        assert!(home.contains("href=\"mailto:newsroom@quaycourier.example\""));
        assert!(
            home.contains(">Bluesky</a>") && home.contains(">Instagram</a>"),
            "{home}"
        );
        let article = app.text(&format!("/{}/", story.slug)).await;
        assert!(
            article.contains("\"name\":\"Quay Courier Trust\"")
                || article.contains("\"name\": \"Quay Courier Trust\""),
            "{article}"
        );
        assert!(article.contains("Keep the Courier free."));
        assert!(
            article.contains("\"sameAs\":[\"https://bsky.app/profile/quaycourier.example\""),
            "{article}"
        );
        let subscribe = app.text("/subscribe/").await;
        assert!(subscribe.contains("Morning Tide"), "{subscribe}");
        assert!(subscribe.contains("Five stories from the quays, before the ferry."));
        let identity = app
            .server
            .as_ref()
            .unwrap()
            .state
            .newsletters()
            .site()
            .identity();
        assert_eq!(
            identity.digest_time.map(|t| t.to_string()).as_deref(),
            Some("06:30:00")
        );
        assert_eq!(identity.max_stories, 8);
        // Saving a page again with nothing changed writes nothing.
        let before = app.store.audit_log(50).await.unwrap().len();
        owner
            .post("/admin/settings/newsletter", &newsletter("Morning Tide"))
            .await;
        assert_eq!(app.store.audit_log(50).await.unwrap().len(), before);
    }
);

server_test!(
    a_name_the_configuration_sets_is_shown_and_kept,
    Options {
        configure: Some(Box::new(|c| {
            c.explicit
                .insert("site.title".into(), "tidings.toml".into());
        })),
        ..Options::default()
    },
    |app| {
        account(&app.store, "owner@example.org", Role::Owner).await;
        let mut owner = Browser::new(&app.base);
        owner.sign_in("owner@example.org", PASSWORD).await;
        let page = owner.get("/admin/settings").await;
        assert!(page.body.contains("Set by tidings.toml"), "{}", page.body);
        assert!(page.body.contains("readonly"));
        let saved = owner.post("/admin/settings", &site("Other Name")).await;
        assert_eq!(saved.status, 303);
        let settings = app.store.settings().await.unwrap();
        assert_eq!(settings.get("site_title"), "");
        assert_eq!(settings.get("site_description"), "News for the quays.");
        assert!(app.text("/").await.contains("Test Ledger"));
    }
);

server_test!(
    forms_readers_search_for_are_indexable,
    crate::support::demo(),
    |app| {
        let subscribe = app.text("/subscribe/").await;
        assert!(!subscribe.contains("noindex"), "{subscribe}");
        assert!(subscribe.contains("in your inbox every morning"));
        let sitemap = app.text("/sitemap.xml").await;
        assert!(sitemap.contains("/donate/</loc>"), "{sitemap}");
        assert!(sitemap.contains("/subscribe/</loc>"));
        // This test site takes gifts through the test gateway: its donation page stays out of search.
        let donate = app.text("/donate/").await;
        assert!(donate.contains("<meta name=\"robots\" content=\"noindex\">"));
        // Pages for one reader stay out of search.
        assert!(app.text("/donate/portal").await.contains("noindex"));
    }
);
