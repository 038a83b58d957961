//! The content API through the router: lists newest first with filters, `fields`, cursors that
//! hold still while stories are published, ETag and 304, CORS, problem details for every bad
//! parameter, search, and the OpenAPI document and reference that describe it all.

use chrono::{Duration, Utc};
use serde_json::Value;
use tidings_content::Status;
use tidings_store::{NewArticle, NewAuthor, NewTag};

use crate::server_test;
use crate::support::{Options, TestApp, SITE};

async fn json(app: &TestApp, path: &str) -> Value {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(res.headers()["content-type"], "application/json", "{path}");
    serde_json::from_str(&res.text().await.unwrap()).unwrap()
}

async fn problem(app: &TestApp, path: &str, status: u16) -> Value {
    let res = app.get(path).await;
    assert_eq!(res.status(), status, "{path}");
    assert_eq!(
        res.headers()["content-type"],
        "application/problem+json",
        "{path}"
    );
    let p: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(p["status"], status, "{path}");
    assert!(p["type"]
        .as_str()
        .unwrap()
        .starts_with("/api/docs#problem-"));
    p
}

fn slugs(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["slug"].as_str().unwrap().to_string())
        .collect()
}

/// Five published stories a day apart (story-0 newest), the even ones in "Transport" bylined to
/// Ana; one draft.
async fn newsroom(app: &TestApp) {
    let transport = app
        .store
        .create_tag(&NewTag {
            slug: "transport".into(),
            name: "Transport".into(),
            ..NewTag::default()
        })
        .await
        .unwrap();
    let ana = app
        .store
        .create_author(&NewAuthor {
            slug: "ana-silva".into(),
            name: "Ana Silva".into(),
            ..NewAuthor::default()
        })
        .await
        .unwrap();
    for i in 0..5 {
        let mut new = NewArticle::published(&format!("Story {i}"), "The *body* of it.");
        new.slug = format!("story-{i}");
        new.published_at = Some(Utc::now() - Duration::days(i));
        if i % 2 == 0 {
            new.tag_ids = vec![transport.id];
            new.author_ids = vec![ana.id];
        }
        app.store.create_article(&new).await.unwrap();
    }
    let mut draft = NewArticle::published("Not yet", "Secret.");
    draft.slug = "not-yet".into();
    draft.status = Status::Draft;
    app.store.create_article(&draft).await.unwrap();
}

server_test!(
    articles_are_listed_filtered_and_paged,
    Options::default(),
    |app| {
        newsroom(&app).await;
        let all = json(&app, "/api/v1/articles").await;
        assert_eq!(
            slugs(&all),
            ["story-0", "story-1", "story-2", "story-3", "story-4"]
        );
        assert_eq!(all["next_cursor"], Value::Null);
        let first = &all["items"][0];
        assert_eq!(first["url"], format!("{SITE}/story-0/"));
        assert_eq!(first["tags"][0]["slug"], "transport");
        assert_eq!(first["authors"][0]["name"], "Ana Silva");
        assert!(first.get("html").is_none(), "lists leave the body out");
        assert!(first["published_at"].as_str().unwrap().ends_with('Z'));

        // Filters.
        assert_eq!(
            slugs(&json(&app, "/api/v1/articles?tag=transport").await),
            ["story-0", "story-2", "story-4"]
        );
        assert_eq!(
            slugs(&json(&app, "/api/v1/articles?author=ana-silva&limit=2").await),
            ["story-0", "story-2"]
        );
        let since = (Utc::now() - Duration::hours(36)).to_rfc3339();
        let until = (Utc::now() - Duration::hours(12)).to_rfc3339();
        let path = format!(
            "/api/v1/articles?since={}&until={}",
            urlencode(&since),
            urlencode(&until)
        );
        assert_eq!(slugs(&json(&app, &path).await), ["story-1"]);

        // Fields.
        let some = json(&app, "/api/v1/articles?limit=1&fields=slug,title,html").await;
        let keys: Vec<&String> = some["items"][0].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["html", "slug", "title"]);
        assert!(some["items"][0]["html"]
            .as_str()
            .unwrap()
            .contains("<em>body</em>"));

        // Cursor pages hold still while a story is published between them.
        let page1 = json(&app, "/api/v1/articles?limit=2").await;
        assert_eq!(slugs(&page1), ["story-0", "story-1"]);
        let cursor = page1["next_cursor"].as_str().unwrap().to_string();
        app.store
            .create_article(&NewArticle::published("Breaking", "Just in."))
            .await
            .unwrap();
        let page2 = json(&app, &format!("/api/v1/articles?limit=2&cursor={cursor}")).await;
        assert_eq!(slugs(&page2), ["story-2", "story-3"]);
        let cursor = page2["next_cursor"].as_str().unwrap().to_string();
        let page3 = json(&app, &format!("/api/v1/articles?limit=2&cursor={cursor}")).await;
        assert_eq!(slugs(&page3), ["story-4"]);
        assert_eq!(page3["next_cursor"], Value::Null);

        // One article, with its body; drafts and pages are not there.
        let one = json(&app, "/api/v1/articles/story-2").await;
        assert_eq!(one["title"], "Story 2");
        assert!(one["html"].as_str().unwrap().contains("<em>body</em>"));
        problem(&app, "/api/v1/articles/not-yet", 404).await;
        problem(&app, "/api/v1/articles/Not%20A%20Slug", 400).await;

        // Tags and authors with published stories.
        let tags = json(&app, "/api/v1/tags").await;
        assert_eq!(slugs(&tags), ["transport"]);
        assert_eq!(tags["items"][0]["url"], format!("{SITE}/tag/transport/"));
        assert_eq!(slugs(&json(&app, "/api/v1/authors").await), ["ana-silva"]);
    }
);

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

server_test!(
    bad_parameters_get_problems_naming_them,
    Options::default(),
    |app| {
        newsroom(&app).await;
        for (path, status, names) in [
            ("/api/v1/articles?limit=0", 400, "limit"),
            ("/api/v1/articles?limit=101", 400, "limit"),
            ("/api/v1/articles?limit=ten", 400, "limit"),
            ("/api/v1/articles?since=yesterday", 400, "since"),
            ("/api/v1/articles?until=2026-13-01T00:00:00Z", 400, "until"),
            ("/api/v1/articles?cursor=bm9wZQ", 400, "cursor"),
            ("/api/v1/articles?cursor=%00", 400, "cursor"),
            ("/api/v1/articles?fields=slug,password", 400, "fields"),
            ("/api/v1/articles?tag=City%20Hall", 400, "tag"),
            ("/api/v1/articles?tag=no-such-tag", 404, "no-such-tag"),
            ("/api/v1/articles?author=nobody", 404, "nobody"),
            ("/api/v1/search", 400, "q"),
            ("/api/v1/search?q=%20", 400, "q"),
            ("/api/v1/search?q=bridge&cursor=zzz", 400, "cursor"),
            ("/api/v1/nothing-here", 404, "/api/docs"),
        ] {
            let p = problem(&app, path, status).await;
            assert!(p["detail"].as_str().unwrap().contains(names), "{path}: {p}");
        }
        let long = format!("/api/v1/search?q={}", "a".repeat(300));
        problem(&app, &long, 400).await;
        let long = format!("/api/v1/articles?tag={}", "a".repeat(10_000));
        problem(&app, &long, 400).await;
    }
);

server_test!(
    answers_are_cached_with_etags_and_readable_from_other_origins,
    Options::default(),
    |app| {
        newsroom(&app).await;
        let res = app
            .get_with("/api/v1/articles", &[("origin", "https://app.example.org")])
            .await;
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        let etag = res.headers()["etag"].to_str().unwrap().to_string();
        assert!(res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=60"));
        let again = app
            .get_with("/api/v1/articles", &[("if-none-match", &etag)])
            .await;
        assert_eq!(again.status(), 304);
        // A change to the site makes a new answer.
        app.store
            .create_article(&NewArticle::published("Later", "More."))
            .await
            .unwrap();
        assert!(
            app.eventually("/api/v1/articles", std::time::Duration::from_secs(5), |b| {
                b.contains("\"later\"")
            })
            .await
        );
        let changed = app
            .get_with("/api/v1/articles", &[("if-none-match", &etag)])
            .await;
        assert_eq!(changed.status(), 200);
    }
);

server_test!(
    cors_origins_follow_the_configuration,
    Options {
        configure: Some(Box::new(|c| {
            c.api.cors_origins = vec!["https://app.example.org".into()]
        })),
        ..Options::default()
    },
    |app| {
        let ok = app
            .get_with("/api/v1/tags", &[("origin", "https://app.example.org")])
            .await;
        assert_eq!(
            ok.headers()["access-control-allow-origin"],
            "https://app.example.org"
        );
        let other = app
            .get_with("/api/v1/tags", &[("origin", "https://evil.example")])
            .await;
        assert!(other.headers().get("access-control-allow-origin").is_none());
    }
);

server_test!(
    search_finds_published_stories_and_is_limited,
    Options {
        configure: Some(Box::new(|c| c.search.per_minute = 3)),
        ..Options::default()
    },
    |app| {
        newsroom(&app).await;
        for i in 0..12 {
            let mut new =
                NewArticle::published(&format!("Lighthouse {i}"), "A <b>lamp</b> & a keeper.");
            new.slug = format!("lighthouse-{i}");
            app.store.create_article(&new).await.unwrap();
        }
        let first = json(&app, "/api/v1/search?q=lighthouse").await;
        assert_eq!(first["total"], 12);
        assert_eq!(first["items"].as_array().unwrap().len(), 10);
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = json(
            &app,
            &format!("/api/v1/search?q=lighthouse&cursor={cursor}"),
        )
        .await;
        assert_eq!(second["items"].as_array().unwrap().len(), 2);
        assert_eq!(second["next_cursor"], Value::Null);
        let keeper = json(&app, "/api/v1/search?q=keeper").await;
        assert!(keeper["items"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>keeper</mark>"));
        let res = app.get("/api/v1/search?q=secret").await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().contains_key("retry-after"));
    }
);

server_test!(
    the_openapi_document_describes_every_operation,
    Options::default(),
    |app| {
        let doc = json(&app, "/api/openapi.json").await;
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert_eq!(doc["servers"][0]["url"], SITE);
        for (path, statuses) in [
            ("/api/v1/articles", &["200", "304", "400", "404"][..]),
            ("/api/v1/articles/{slug}", &["200", "304", "400", "404"][..]),
            ("/api/v1/tags", &["200", "304"][..]),
            ("/api/v1/authors", &["200", "304"][..]),
            ("/api/v1/search", &["200", "400", "429"][..]),
        ] {
            let responses = doc["paths"][path]["get"]["responses"].as_object().unwrap();
            let mut got: Vec<&str> = responses.keys().map(String::as_str).collect();
            got.sort();
            assert_eq!(got, statuses, "{path}");
        }
        for (path, method, statuses) in [
            (
                "/api/v1/admin/articles",
                "get",
                &["200", "400", "401", "403", "429"][..],
            ),
            (
                "/api/v1/admin/articles",
                "post",
                &["201", "400", "401", "403", "422", "429"][..],
            ),
            (
                "/api/v1/admin/articles/{id}",
                "patch",
                &["200", "400", "401", "403", "404", "409", "422", "429"][..],
            ),
            (
                "/api/v1/admin/media",
                "post",
                &["201", "400", "401", "403", "413", "422", "429"][..],
            ),
        ] {
            let op = &doc["paths"][path][method];
            let mut got: Vec<&str> = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            got.sort();
            assert_eq!(got, statuses, "{method} {path}");
            assert!(op["security"][0]["bearer"].is_array(), "{method} {path}");
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert!(
            doc["paths"]["/api/v1/admin/articles"]["get"]["responses"]["429"]["headers"]
                ["Retry-After"]
                .is_object()
        );
        let res = app.get("/api/docs").await;
        assert_eq!(res.status(), 200);
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
        let page = res.text().await.unwrap();
        assert!(page.contains("id=\"listArticles\""));
        assert!(page.contains("id=\"problem-invalid-parameter\""));
        assert!(
            !page.contains(" src=") && !page.contains("<link"),
            "nothing loaded from elsewhere"
        );
    }
);
