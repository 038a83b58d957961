use std::time::Duration;

use chrono::Utc;
use tidings_store::NewArticle;

use crate::server_test;
use crate::support::{demo, SITE};

fn parse(xml: &str) -> rss::Channel {
    rss::Channel::read_from(xml.as_bytes()).expect("valid RSS 2.0")
}

server_test!(rss_lists_latest_stories_with_full_content, demo(), |app| {
    let res = app.get("/rss/").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    let channel = parse(&res.text().await.unwrap());
    assert_eq!(channel.title(), "The Harbour Ledger");
    assert_eq!(channel.link(), format!("{SITE}/"));
    assert_eq!(channel.items().len(), 20);
    let first = &channel.items()[0];
    assert_eq!(
        first.title(),
        Some("Council approves a leaner budget after a night of testimony")
    );
    assert_eq!(
        first.link(),
        Some(
            format!("{SITE}/council-approves-a-leaner-budget-after-a-night-of-testimony/").as_str()
        )
    );
    assert!(first.pub_date().is_some());
    assert!(first
        .content()
        .unwrap()
        .contains("<h2>Where the money goes</h2>"));
    assert_eq!(first.categories()[0].name(), "City Hall");
    assert!(channel
        .items()
        .iter()
        .all(|i| !i.link().unwrap().ends_with("/about/")));
});

server_test!(per_tag_and_per_author_feeds, demo(), |app| {
    let tag = parse(&app.text("/tag/sports/rss/").await);
    assert_eq!(tag.title(), "The Harbour Ledger: Sports");
    assert_eq!(tag.items().len(), 2);
    let author = parse(&app.text("/author/tomas-lindqvist/rss/").await);
    assert_eq!(author.title(), "The Harbour Ledger: Tomás Lindqvist");
    assert!(author.items().iter().all(|i| i
        .dublin_core_ext()
        .unwrap()
        .creators()
        .contains(&"Tomás Lindqvist".to_string())));
    assert_eq!(app.get("/tag/nothing/rss/").await.status(), 404);
    assert_eq!(app.get("/author/nobody/rss/").await.status(), 404);
});

server_test!(sitemaps_list_what_search_engines_need, demo(), |app| {
    let xml = app.text("/sitemap.xml").await;
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let locs: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .filter_map(|n| n.text())
        .collect();
    assert!(locs.contains(&"http://news.test/"));
    assert!(locs.contains(
        &"http://news.test/council-approves-a-leaner-budget-after-a-night-of-testimony/"
    ));
    assert!(locs.contains(&"http://news.test/about/"));
    assert!(locs.contains(&"http://news.test/tag/city-hall/"));
    assert!(locs.contains(&"http://news.test/author/maya-okafor/"));
    assert!(
        !locs.iter().any(|l| l.contains("gales-expected")),
        "nothing scheduled"
    );
    assert!(locs.contains(&"http://news.test/donate/"));
    assert!(locs.contains(&"http://news.test/subscribe/"));
    // Home, stories, pages, sections, authors, and the donation and signup pages.
    assert_eq!(locs.len(), 1 + 20 + 4 + 11 + 4 + 2);

    // The news sitemap lists only the last two days (demo: stories up to 40 hours old).
    let xml = app.text("/news-sitemap.xml").await;
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let news_ns = "http://www.google.com/schemas/sitemap-news/0.9";
    let urls: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("url"))
        .collect();
    assert_eq!(urls.len(), 6);
    for url in urls {
        let date = url
            .descendants()
            .find(|n| n.has_tag_name((news_ns, "publication_date")))
            .and_then(|n| n.text())
            .unwrap();
        let date = chrono::DateTime::parse_from_rfc3339(date).unwrap();
        assert!(Utc::now().signed_duration_since(date) <= chrono::Duration::days(2));
        assert!(url
            .descendants()
            .any(|n| n.has_tag_name((news_ns, "title"))));
        assert_eq!(
            url.descendants()
                .find(|n| n.has_tag_name((news_ns, "name")))
                .unwrap()
                .text(),
            Some("The Harbour Ledger")
        );
    }

    let robots = app.text("/robots.txt").await;
    assert!(robots.contains("Sitemap: http://news.test/sitemap.xml"));
    assert!(robots.contains("Disallow: /admin/"));
});

server_test!(
    feeds_escape_hostile_titles,
    crate::support::Options::default(),
    |app| {
        app.store
            .create_article(&NewArticle::published(
                "Rates & <rents> \"rise\"",
                "Body & more <b>bold</b>",
            ))
            .await
            .unwrap();
        assert!(
            app.eventually("/rss/", Duration::from_secs(3), |x| x.contains("Rates"))
                .await
        );
        let channel = parse(&app.text("/rss/").await);
        assert_eq!(channel.items()[0].title(), Some("Rates & <rents> \"rise\""));
    }
);
