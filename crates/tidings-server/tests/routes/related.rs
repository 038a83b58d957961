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
