use crate::server_test;
use crate::support::demo;

server_test!(tag_listing_shows_its_stories, demo(), |app| {
    let html = app.text("/tag/environment/").await;
    assert!(html.contains("<h1 class=\"listing-title\">Environment</h1>"));
    assert!(html.contains("The coast, the estuary, the weather and the climate."));
    assert!(html.contains("Harbour sea wall must rise"));
    assert!(html.contains("Native oysters breed"));
    assert!(
        !html.contains("Council approves a leaner budget"),
        "other sections stay out"
    );
    assert!(
        !html.contains("Gales expected"),
        "scheduled stories stay out"
    );
    assert!(html.contains("href=\"/tag/environment/rss/\""));
    assert_eq!(app.get("/tag/no-such-tag/").await.status(), 404);
    assert_eq!(app.get("/tag/environment/page/2/").await.status(), 404);
    let res = app.get("/tag/environment/page/1/").await;
    assert_eq!(res.status(), 301);
    assert_eq!(res.headers()["location"], "/tag/environment/");
    assert_eq!(app.get("/tag/Environment/").await.status(), 404);
});

server_test!(author_listing_shows_bylines_and_paginates, demo(), |app| {
    let html = app.text("/author/maya-okafor/").await;
    assert!(html.contains("<h1 class=\"listing-title\">Maya Okafor</h1>"));
    assert!(html.contains("covers the council"));
    assert!(
        html.contains("What the new rent rules mean for tenants"),
        "shared bylines count"
    );
    assert!(html.contains("src=\"/media/demo/author-maya-okafor.jpg\""));
    assert_eq!(app.get("/author/nobody/").await.status(), 404);

    // Twelve more stories push the listing onto a second page.
    let me = app
        .store
        .author_by_slug("maya-okafor")
        .await
        .unwrap()
        .unwrap();
    for i in 0..12 {
        let mut a = tidings_store::NewArticle::published(&format!("Council note {i}"), "Brief.");
        a.author_ids = vec![me.id];
        app.store.create_article(&a).await.unwrap();
    }
    assert!(
        app.eventually(
            "/author/maya-okafor/page/2/",
            std::time::Duration::from_secs(5),
            |b| b.contains("Page 2 of 2")
        )
        .await
    );
});

server_test!(tag_listing_shows_its_image, demo(), |app| {
    let tag = app.store.tag_by_slug("sports").await.unwrap().unwrap();
    app.store
        .update_tag(
            tag.id,
            &tidings_store::NewTag {
                name: tag.name.clone(),
                slug: tag.slug.clone(),
                description: tag.description.clone(),
                image_url: "/media/demo/story-07-480w.jpg".into(),
                parent_id: None,
            },
        )
        .await
        .unwrap();
    assert!(
        app.eventually("/tag/sports/", std::time::Duration::from_secs(10), |html| {
            html.contains("src=\"/media/demo/story-07-480w.jpg\"")
        })
        .await
    );
});

server_test!(
    nested_tags_list_their_narrower_stories_and_link_both_ways,
    demo(),
    |app| {
        use crate::support::browser::{account, Browser, PASSWORD};
        account(&app.store, "ed@example.org", tidings_accounts::Role::Editor).await;
        let mut b = Browser::new(&app.base);
        b.sign_in("ed@example.org", PASSWORD).await;
        b.get("/admin/tags").await;
        let env = app.store.tag_by_slug("environment").await.unwrap().unwrap();
        assert_eq!(
            b.post("/admin/tags", &[("name", "Nature")]).await.status,
            303
        );
        let nature = app.store.tag_by_slug("nature").await.unwrap().unwrap();
        let nature_id = nature.id.to_string();
        // Environment goes under Nature; Nature under Environment would be a loop, and is refused.
        let moved = b
            .post(
                &format!("/admin/tags/{}", env.id),
                &[
                    ("name", env.name.as_str()),
                    ("slug", "environment"),
                    ("description", env.description.as_str()),
                    ("parent_id", nature_id.as_str()),
                ],
            )
            .await;
        assert_eq!(moved.status, 303);
        let env_id = env.id.to_string();
        let refused = b
            .post(
                &format!("/admin/tags/{}", nature.id),
                &[("name", "Nature"), ("parent_id", env_id.as_str())],
            )
            .await;
        assert_eq!(refused.status, 422);
        assert!(refused
            .body
            .contains("parent: a tag cannot sit beneath itself"));

        let html = app.text("/tag/nature/").await;
        assert!(
            html.contains("Harbour sea wall must rise"),
            "narrower stories"
        );
        assert!(html.contains("<a href=\"/tag/environment/\">Environment</a>"));
        let html = app.text("/tag/environment/").await;
        assert!(html.contains("<a href=\"/tag/nature/\">Nature</a> › Section"));
        let feed = app.text("/tag/nature/rss/").await;
        assert!(feed.contains("Harbour sea wall must rise"));
    }
);
