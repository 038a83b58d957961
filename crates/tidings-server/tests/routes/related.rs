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
