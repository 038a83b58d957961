use crate::server_test;
use crate::support::{demo, Options};

server_test!(unknown_slugs_get_the_themed_404, demo(), |app| {
    for path in [
        "/no-such-story/",
        "/Capitalised/",
        "/a.b/",
        "/%FF%FE/",
        "/tag/",
        "/x/y/z/",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(
            res.headers()["content-type"],
            "text/html; charset=utf-8",
            "{path}"
        );
        let html = res.text().await.unwrap();
        assert!(html.contains("We can't find that page"), "{path}");
        assert!(
            html.contains("<nav class=\"sections"),
            "the 404 is a full themed page"
        );
    }
});

server_test!(missing_trailing_slash_redirects, demo(), |app| {
    let res = app.get("/about").await;
    assert_eq!(res.status(), 301);
    assert_eq!(res.headers()["location"], "/about/");
    let res = app.get("/tag/culture?x=1").await;
    assert_eq!(res.headers()["location"], "/tag/culture/?x=1");
});

server_test!(
    oversized_paths_and_queries_are_bounded,
    Options::default(),
    |app| {
        let long_path = format!("/{}/", "a".repeat(5000));
        assert_eq!(app.get(&long_path).await.status(), 414);
        let long_query = format!("/?q={}", "b".repeat(5000));
        assert_eq!(app.get(&long_query).await.status(), 414);
        let res = app.get(&format!("/?q={}", "c".repeat(100))).await;
        assert_eq!(res.status(), 200, "an ordinary query string is fine");
    }
);

server_test!(
    a_theme_folder_overrides_templates,
    Options {
        files: vec![(
            "theme/templates/404.html",
            "<!doctype html><p>Lost at sea: {{ site.title }}</p>"
        )],
        ..Options::default()
    },
    |app| {
        let res = app.get("/missing/").await;
        assert_eq!(res.status(), 404);
        assert_eq!(
            res.text().await.unwrap(),
            "<!doctype html><p>Lost at sea: Test Ledger</p>"
        );
    }
);
