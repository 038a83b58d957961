//! `/search/` through the router: results with marked snippets, paging, no results with tag
//! suggestions, `noindex`, the header box, the per-address limit, 30 hostile inputs (200 or 422,
//! never 500), the newsroom's article list searching drafts, and the weekly query counts.

use tidings_accounts::Role;
use tidings_store::{NewArticle, NewTag};

use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};
use crate::support::{Options, TestApp};

async fn publish(app: &TestApp, title: &str, body: &str) {
    app.store
        .create_article(&NewArticle::published(title, body))
        .await
        .unwrap();
}

fn limited(per_minute: u32) -> Options {
    Options {
        configure: Some(Box::new(move |c| c.search.per_minute = per_minute)),
        ..Options::default()
    }
}

server_test!(
    readers_find_stories_with_marked_snippets_and_pages,
    limited(1000),
    |app| {
        publish(
            &app,
            "Harbour bridge reopens",
            "Ships at the harbour said 5 < 6 & tests passed.",
        )
        .await;
        for i in 0..23 {
            publish(
                &app,
                &format!("Tide report {i}"),
                "Tides along the coast this week.",
            )
            .await;
        }
        let home = app.text("/").await;
        assert!(
            home.contains("<form class=\"site-search\" role=\"search\" aria-label=\"Site search\" action=\"/search/\""),
            "the header box"
        );

        let res = app.get("/search/?q=harbour").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["x-robots-tag"], "noindex");
        let page = res.text().await.unwrap();
        assert!(page.contains("<meta name=\"robots\" content=\"noindex\">"));
        assert!(
            page.contains("1 story matches <strong>harbour</strong>"),
            "{page}"
        );
        assert!(page.contains("<a href=\"/harbour-bridge-reopens/\">Harbour bridge reopens</a>"));
        assert!(
            page.contains("Ships at the <mark>harbour</mark> said 5 &lt; 6 &amp; tests passed"),
            "escaped, then marked: {page}"
        );

        let first = app.text("/search/?q=tides").await;
        assert!(
            first.contains("23 stories match <strong>tides</strong>; 1–10 shown"),
            "{first}"
        );
        assert!(
            first.contains("rel=\"next\" href=\"/search/?q=tides&amp;page=2\""),
            "{first}"
        );
        let third = app.text("/search/?q=tides&page=3").await;
        assert!(third.contains("<ol class=\"search-results\" start=\"21\">"));
        assert_eq!(third.matches("<h2><a href=").count(), 3, "{third}");
        assert!(third.contains("rel=\"prev\" href=\"/search/?q=tides&amp;page=2\""));
        assert!(!third.contains("rel=\"next\""));

        // Nothing found: sections whose names match are offered.
        app.store
            .create_tag(&NewTag {
                name: "Harbourside".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        let none = app.text("/search/?q=harbours%20dredging").await;
        assert!(none.contains("No stories match"), "{none}");
        assert!(
            none.contains("<a href=\"/tag/harbourside/\">Harbourside</a>"),
            "{none}"
        );
        // An empty query is the search page itself.
        assert!(app.text("/search/").await.contains("id=\"search-q\""));
    }
);

server_test!(hostile_queries_answer_200_or_422, limited(1000), |app| {
    publish(
        &app,
        "Harbour bridge reopens",
        "The bridge over the harbour.",
    )
    .await;
    let long = "harbour%20".repeat(1000);
    let queries = [
        "%22",
        "%22%22",
        "*",
        "-",
        "(",
        ")",
        "((harbour",
        "NEAR(harbour%20bridge)",
        "harbour%20NEAR%20bridge",
        "AND",
        "OR%20NOT",
        "%27",
        "%27%3B--",
        "%5C",
        "%25",
        "_",
        "%00",
        "harbour%00bridge",
        "%FF%FE",
        "%C3%28",
        "%E2%82",
        "a%3A*",
        "!harbour",
        "harbour%20%7C%20bridge",
        "%3C-%3E",
        "title%3Aharbour",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "%F0%9F%98%80",
        long.as_str(),
        "harbour&page=abc",
        "harbour&page=-1",
        "harbour&page=999999",
    ];
    assert!(queries.len() >= 30);
    for q in queries {
        let res = app.get(&format!("/search/?q={q}")).await;
        let status = res.status().as_u16();
        assert!(status == 200 || status == 422, "{q}: {status}");
        let body = res.text().await.unwrap();
        assert!(!body.contains("<script>alert"), "{q}: echoed unescaped");
    }
    let too_long = app.get(&format!("/search/?q={long}")).await;
    assert_eq!(too_long.status(), 422);
    assert!(too_long.text().await.unwrap().contains("too long"));
});

server_test!(one_address_is_limited_per_minute, limited(3), |app| {
    for _ in 0..3 {
        assert_eq!(app.get("/search/?q=harbour").await.status(), 200);
    }
    let res = app.get("/search/?q=harbour").await;
    assert_eq!(res.status(), 429);
    let wait: i64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(res.text().await.unwrap().contains("Too many searches"));
    // The search page without a query is not a search.
    assert_eq!(app.get("/search/").await.status(), 200);
});

server_test!(
    the_newsroom_searches_drafts_and_sees_what_readers_asked,
    limited(1000),
    |app| {
        account(&app.store, "ed@example.org", Role::Editor).await;
        account(&app.store, "writer@example.org", Role::Contributor).await;
        publish(
            &app,
            "Harbour bridge reopens",
            "The bridge over the harbour.",
        )
        .await;
        let mut draft =
            NewArticle::published("Harbour dredging plan", "Dredging the harbour next spring.");
        draft.status = tidings_content::Status::Draft;
        app.store.create_article(&draft).await.unwrap();
        publish(&app, "Council budget", "Nothing about boats.").await;

        let mut ed = Browser::new(&app.base);
        ed.sign_in("ed@example.org", PASSWORD).await;
        let list = ed.get("/admin/articles?q=harbour").await.body;
        assert!(
            list.contains("Harbour dredging plan") && list.contains("Harbour bridge reopens"),
            "{list}"
        );
        assert!(!list.contains("Council budget"));
        let drafts = ed.get("/admin/articles?q=harbour&status=draft").await.body;
        assert!(
            drafts.contains("Harbour dredging plan") && !drafts.contains("Harbour bridge reopens")
        );

        for q in ["harbour", "Harbour", "harbour", "ferry%20strike"] {
            app.get(&format!("/search/?q={q}")).await;
        }
        let searches = ed.get("/admin/searches").await;
        assert_eq!(searches.status, 200);
        assert!(
            searches
                .body
                .contains("<a href=\"/search/?q=harbour\">harbour</a></th><td>3</td><td>1</td>"),
            "{}",
            searches.body
        );
        let empty = searches.body.split("found nothing").nth(1).unwrap();
        assert!(
            empty.contains("<th scope=\"row\">ferry strike</th><td>1</td>"),
            "{empty}"
        );
        assert!(!empty.contains(">harbour<"));

        let mut writer = Browser::new(&app.base);
        writer.sign_in("writer@example.org", PASSWORD).await;
        assert_eq!(writer.get("/admin/searches").await.status, 403);
    }
);
