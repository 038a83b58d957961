//! Related coverage and running stories on the reading site.

use crate::server_test;
use crate::support::demo;

/// The story links (`/slug/`) inside the page's section headed by the element with id `heading`.
fn links_under(html: &str, heading: &str) -> Vec<String> {
    let Some(after) = html.split(&format!("id=\"{heading}\"")).nth(1) else {
        return Vec::new();
    };
    let section = after.split("</section>").next().unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for part in section.split("href=\"").skip(1) {
        let href = part.split('"').next().unwrap_or_default().to_string();
        let story = href.starts_with('/') && href.matches('/').count() == 2;
        if story && !out.contains(&href) {
            out.push(href);
        }
    }
    out
}

server_test!(every_demo_story_shows_related_coverage, demo(), |app| {
    let stories = app.store.latest(100, 0).await.unwrap().items;
    assert!(stories.len() >= 10);
    let mut short = Vec::new();
    for story in &stories {
        let html = app.text(&format!("/{}/", story.slug)).await;
        let related = links_under(&html, "coverage-title");
        if related.len() < 2 {
            short.push(format!("{}: {related:?}", story.slug));
        }
        assert!(related.len() <= 4);
        assert!(
            !related.contains(&format!("/{}/", story.slug)),
            "never itself"
        );
    }
    assert!(
        short.is_empty(),
        "fewer than two related stories: {short:#?}"
    );
});

server_test!(
    editors_pin_order_and_remove_related_stories,
    demo(),
    |app| {
        use crate::support::browser::{account, Browser, PASSWORD};
        use tidings_accounts::Role;

        let stories = app.store.latest(100, 0).await.unwrap().items;
        let story = &stories[0];
        let path = format!("/{}/", story.slug);
        let computed = links_under(&app.text(&path).await, "coverage-title");
        let dropped = computed[0].clone();
        let dropped_slug = dropped.trim_matches('/').to_string();
        // Two stories to pin: neither the story itself nor the one removed.
        let mut others = stories[1..].iter().filter(|s| s.slug != dropped_slug).rev();
        let (first, second) = (others.next().unwrap(), others.next().unwrap());

        account(&app.store, "ed@example.org", Role::Editor).await;
        let mut b = Browser::new(&app.base);
        b.sign_in("ed@example.org", PASSWORD).await;
        let editor = b.get(&format!("/admin/articles/{}", story.id)).await;
        assert_eq!(editor.status, 200);
        assert!(
            editor.body.contains("Related stories"),
            "the editor shows the list"
        );
        let pinned = format!("{}/{}/\n{}", crate::support::SITE, second.slug, first.slug);
        let done = b
            .post(
                &format!("/admin/articles/{}/related", story.id),
                &[("pinned", &pinned), ("removed", &dropped_slug)],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);

        let shown = links_under(&app.text(&path).await, "coverage-title");
        assert_eq!(
            &shown[..2],
            &[format!("/{}/", second.slug), format!("/{}/", first.slug)],
            "pins first, in the editor's order"
        );
        assert!(!shown.contains(&dropped), "removed: {shown:?}");
        assert!(shown.len() <= 4);

        b.get(&format!("/admin/articles/{}", story.id)).await;
        let bad = b
            .post(
                &format!("/admin/articles/{}/related", story.id),
                &[("pinned", "/no-such-story/"), ("removed", "")],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("there is no story at /no-such-story/"));
        let (kept, _) = app.store.related_choices(story.id).await.unwrap();
        assert_eq!(
            kept,
            vec![second.id, first.id],
            "nothing changed by the refusal"
        );

        account(&app.store, "writer@example.org", Role::Contributor).await;
        let mut w = Browser::new(&app.base);
        w.sign_in("writer@example.org", PASSWORD).await;
        w.get("/admin/").await;
        let refused = w
            .post(
                &format!("/admin/articles/{}/related", story.id),
                &[("pinned", ""), ("removed", "")],
            )
            .await;
        assert_eq!(
            refused.status, 403,
            "a contributor cannot change others' stories"
        );
    }
);

/// The JSON-LD document of a page.
fn json_ld(html: &str) -> serde_json::Value {
    let at = html.find("application/ld+json").expect("JSON-LD");
    let start = html[at..].find('>').unwrap() + at + 1;
    let end = html[start..].find("</script>").unwrap() + start;
    serde_json::from_str(&html[start..end]).unwrap()
}

server_test!(
    a_running_story_has_a_timeline_and_earlier_stories,
    demo(),
    |app| {
        let budget = "/council-approves-a-leaner-budget-after-a-night-of-testimony/";
        let html = app.text(budget).await;
        let earlier = links_under(&html, "story-title");
        assert_eq!(earlier.len(), 2, "two stories came before it: {earlier:?}");
        let section = html.split("id=\"story-title\"").nth(1).unwrap();
        let section = section.split("</section>").next().unwrap();
        assert!(
            section.contains("href=\"/tag/budget-2027/\""),
            "the story's page"
        );
        assert!(
            section.contains("href=\"/tag/budget-2027/timeline/\""),
            "its timeline"
        );

        // Its JSON-LD says which series it is part of, and links its related coverage.
        let doc = json_ld(&html);
        assert_eq!(doc["isPartOf"]["@type"], "CreativeWorkSeries");
        assert_eq!(doc["isPartOf"]["name"], "Budget 2027");
        assert_eq!(
            doc["isPartOf"]["url"],
            format!("{}/tag/budget-2027/", crate::support::SITE)
        );
        let related = links_under(&html, "coverage-title");
        let linked = doc["mainEntityOfPage"]["relatedLink"].as_array().unwrap();
        assert_eq!(linked.len(), related.len());
        assert_eq!(linked[0], format!("{}{}", crate::support::SITE, related[0]));

        // The timeline: every story in date order, oldest first, under the summary.
        let timeline = app.text("/tag/budget-2027/timeline/").await;
        assert!(timeline.contains("the story so far"));
        assert!(timeline.contains("The council passed a leaner budget"));
        let dates: Vec<String> = timeline
            .split("<time datetime=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_string())
            .collect();
        assert_eq!(dates.len(), 3, "{dates:?}");
        let mut sorted = dates.clone();
        sorted.sort();
        assert_eq!(dates, sorted, "oldest first");
        let listing = app.text("/tag/budget-2027/").await;
        assert!(
            listing.contains("The council passed a leaner budget"),
            "summary on the tag page"
        );
        assert!(listing.contains("/tag/budget-2027/timeline/"));
        // A tag that follows no running story has no timeline.
        assert_eq!(app.get("/tag/city-hall/timeline/").await.status(), 404);
        assert!(!app.text("/tag/city-hall/").await.contains("/timeline/"));
    }
);

server_test!(editors_mark_a_tag_as_a_running_story, demo(), |app| {
    use crate::support::browser::{account, Browser, PASSWORD};
    use tidings_accounts::Role;

    let tag = app.store.tag_by_slug("transport").await.unwrap().unwrap();
    account(&app.store, "ed@example.org", Role::Editor).await;
    let mut b = Browser::new(&app.base);
    b.sign_in("ed@example.org", PASSWORD).await;
    let page = b.get(&format!("/admin/tags/{}/story", tag.id)).await;
    assert_eq!(page.status, 200);
    let done = b
        .post(
            &format!("/admin/tags/{}/story", tag.id),
            &[
                ("running", "1"),
                ("summary", "Buses and ferries this winter."),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
    let timeline = app.text("/tag/transport/timeline/").await;
    assert!(timeline.contains("Buses and ferries this winter."));

    b.get(&format!("/admin/tags/{}/story", tag.id)).await;
    let long = "x".repeat(5_001);
    let refused = b
        .post(
            &format!("/admin/tags/{}/story", tag.id),
            &[("running", "1"), ("summary", long.as_str())],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains(&long), "what was typed is kept");

    b.get(&format!("/admin/tags/{}/story", tag.id)).await;
    let off = b
        .post(&format!("/admin/tags/{}/story", tag.id), &[("summary", "")])
        .await;
    assert_eq!(off.status, 303);
    assert_eq!(app.get("/tag/transport/timeline/").await.status(), 404);

    account(&app.store, "writer@example.org", Role::Contributor).await;
    let mut w = Browser::new(&app.base);
    w.sign_in("writer@example.org", PASSWORD).await;
    assert_eq!(
        w.get(&format!("/admin/tags/{}/story", tag.id)).await.status,
        403
    );
});
