use std::time::Duration;

use tidings_content::{Kind, Status};
use tidings_store::NewArticle;

use crate::server_test;
use crate::support::{attr, demo, Options, SITE};

const BUDGET: &str = "/council-approves-a-leaner-budget-after-a-night-of-testimony/";

server_test!(
    article_page_has_everything_a_news_page_needs,
    demo(),
    |app| {
        let res = app.get(BUDGET).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
        let html = res.text().await.unwrap();
        assert!(html.contains("<title>Council approves a leaner budget after a night of testimony | The Harbour Ledger</title>"));
        assert_eq!(
        attr(&html, "<meta name=\"description\"", "content").unwrap(),
        "Evening buses and two branch libraries are spared as council tax rises by 4.9 per cent."
    );
        let canonical = format!("{SITE}{BUDGET}");
        assert_eq!(
            attr(&html, "<link rel=\"canonical\"", "href").unwrap(),
            canonical
        );
        assert_eq!(
            attr(&html, "<meta property=\"og:type\"", "content").unwrap(),
            "article"
        );
        assert_eq!(
            attr(&html, "<meta property=\"og:url\"", "content").unwrap(),
            canonical
        );
        let og_image = attr(&html, "<meta property=\"og:image\"", "content").unwrap();
        assert!(
            og_image.starts_with(&format!("{SITE}/media/demo/")),
            "{og_image}"
        );
        assert_eq!(
            attr(&html, "<meta name=\"twitter:card\"", "content").unwrap(),
            "summary_large_image"
        );
        assert!(html.contains("<h1 class=\"headline\">Council approves a leaner budget after a night of testimony</h1>"));
        assert!(html.contains("<p class=\"dek\">Evening buses"));
        assert!(
            html.contains("<span class=\"reading-time\">3 min read</span>"),
            "a ~600-word story reads in 3 minutes"
        );
        assert!(html.contains("rel=\"author\" href=\"/author/maya-okafor/\">Maya Okafor</a>"));
        assert!(html.contains("<time datetime=\""));

        // Share links: plain links, no third-party script anywhere on the page.
        for (key, prefix) in [
            ("facebook", "https://www.facebook.com/sharer/sharer.php?u="),
            ("x", "https://x.com/intent/post?url="),
            ("whatsapp", "https://wa.me/?text="),
            ("telegram", "https://t.me/share/url?url="),
            (
                "linkedin",
                "https://www.linkedin.com/sharing/share-offsite/?url=",
            ),
            ("email", "mailto:?subject="),
        ] {
            let href = attr(
                &html,
                &format!("<a class=\"share-link share-{key}\""),
                "href",
            )
            .unwrap_or_else(|| panic!("share link {key}"));
            assert!(href.starts_with(prefix), "{key}: {href}");
        }
        assert_eq!(
            attr(&html, "<a class=\"share-link share-copy\"", "data-copy").unwrap(),
            canonical
        );
        for src in html
            .match_indices("<script")
            .map(|(i, _)| &html[i..i + 80.min(html.len() - i)])
        {
            assert!(
                src.contains("type=\"application/ld+json\"") || src.contains("src=\"/assets/"),
                "only first-party scripts: {src}"
            );
        }

        // Feature image with responsive variants, caption and credit.
        let srcset = attr(&html, "<figure class=\"feature", "class")
            .map(|_| ())
            .and(attr(
                &html,
                "<img src=\"/media/demo/story-00.jpg\"",
                "srcset",
            ))
            .unwrap();
        assert!(
            srcset.contains("story-00-480w.jpg 480w") && srcset.contains("story-00.jpg 1200w"),
            "{srcset}"
        );
        // The demo's photos went through the upload pipeline: lossy WebP twins at the same widths.
        let webp = attr(&html, "<source type=\"image/webp\"", "srcset").unwrap();
        assert!(
            webp.contains("/media/demo/story-00-480w.webp 480w")
                && webp.contains("/media/demo/story-00.webp 1200w"),
            "{webp}"
        );
        let res = app.get("/media/demo/story-00-800w.webp").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/webp");
        let bytes = res.bytes().await.unwrap();
        assert_eq!(&bytes[12..16], b"VP8 ", "lossy");
        assert!(html.contains("<span class=\"credit\">Illustration: Harbour Ledger</span>"));

        // Newsletter box, donation call to action from the settings, author bio, related stories.
        assert!(html.contains("class=\"signup signup-article\""));
        assert!(html.contains("class=\"signup signup-footer\""));
        assert!(html.contains("class=\"donate-cta\""));
        assert!(html.contains("Donate today to support independent local reporting in Port Alder."));
        assert!(html.contains("class=\"author-bio\""));
        assert!(html.contains("More in City Hall"));
    }
);

server_test!(
    photos_are_offered_as_avif_once_the_job_made_them,
    Options {
        demo: true,
        configure: Some(Box::new(|c| c.media.avif = true)),
        ..Options::default()
    },
    |app| {
        // The job takes the newest photo first: find the story that shows it.
        let newest = app.store.list_media(1).await.unwrap().remove(0);
        let story = app
            .store
            .latest(100, 0)
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|a| a.feature_image.path == newest.path)
            .expect("a published story shows the newest photo");
        let path = format!("/{}/", story.slug);
        assert!(
            app.eventually(&path, Duration::from_secs(60), |html| html
                .contains("<source type=\"image/avif\""))
                .await,
            "the job made the copies and the page offers them"
        );
        let html = app.text(&path).await;
        let stem = newest.path.trim_end_matches(".jpg");
        let avif = attr(&html, "<source type=\"image/avif\"", "srcset").unwrap();
        assert_eq!(
            avif,
            format!("/media/{stem}-480w.avif 480w, /media/{stem}-800w.avif 800w, /media/{stem}.avif 1200w")
        );
        // Offered before the WebP, so that a browser that shows both takes the smaller.
        assert!(html.find("image/avif").unwrap() < html.find("image/webp").unwrap());
        let res = app.get(&format!("/media/{stem}-480w.avif")).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/avif");
        assert_eq!(&res.bytes().await.unwrap()[4..12], b"ftypavif");
    }
);

server_test!(json_ld_is_a_valid_news_article, demo(), |app| {
    let html = app.text(BUDGET).await;
    let start = html.find("<script type=\"application/ld+json\">").unwrap() + 35;
    let end = html[start..].find("</script>").unwrap() + start;
    let doc: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    assert_eq!(doc["@context"], "https://schema.org");
    assert_eq!(doc["@type"], "NewsArticle");
    assert_eq!(
        doc["headline"],
        "Council approves a leaner budget after a night of testimony"
    );
    assert_eq!(doc["author"][0]["name"], "Maya Okafor");
    assert_eq!(doc["publisher"]["name"], "Harbour Ledger Foundation");
    assert!(doc["image"][0]
        .as_str()
        .unwrap()
        .starts_with("http://news.test/media/"));
    let published =
        chrono::DateTime::parse_from_rfc3339(doc["datePublished"].as_str().unwrap()).unwrap();
    let modified =
        chrono::DateTime::parse_from_rfc3339(doc["dateModified"].as_str().unwrap()).unwrap();
    assert!(modified >= published);
    assert_eq!(doc["mainEntityOfPage"]["@id"], format!("{SITE}{BUDGET}"));
});

server_test!(
    dates_show_in_the_site_timezone,
    Options {
        demo: true,
        timezone: Some("Asia/Kolkata"),
        ..Options::default()
    },
    |app| {
        let html = app.text(BUDGET).await;
        assert!(
            html.contains(" IST</time>"),
            "date shown in the site's timezone"
        );
    }
);

server_test!(
    markdown_is_sanitized_on_the_way_to_the_page,
    Options::default(),
    |app| {
        app.store
        .create_article(&NewArticle::published(
            "Hostile Markdown",
            "Hi <script>alert('x')</script>\n\n[link](javascript:alert(1))\n\n<img src=\"/x.png\" onerror=\"alert(2)\">\n\n<a href=\"#\" onclick=\"steal()\">a</a>",
        ))
        .await
        .unwrap();
        let html = app.text("/hostile-markdown/").await;
        let body = &html
            [html.find("class=\"story-body").unwrap()..html.find("class=\"story-footer").unwrap()];
        for bad in ["<script", "javascript:", "onerror", "onclick", "alert("] {
            assert!(!body.contains(bad), "{bad} in {body}");
        }
    }
);

server_test!(
    static_pages_share_the_url_space_but_not_listings,
    demo(),
    |app| {
        let html = app.text("/about/").await;
        assert!(html.contains("About the Harbour Ledger"));
        assert!(
            !html.contains("class=\"share\""),
            "pages are not news stories"
        );
        let home = app.text("/").await;
        assert!(!home.contains("/about/\">About the Harbour Ledger"));
        let rss = app.text("/rss/").await;
        assert!(!rss.contains("/about/"));
    }
);

server_test!(
    drafts_and_scheduled_articles_are_not_public,
    Options::default(),
    |app| {
        let mut draft = NewArticle::published("Secret Draft", "not yet");
        draft.status = Status::Draft;
        app.store.create_article(&draft).await.unwrap();
        let mut page = NewArticle::published("Future Page", "later");
        page.kind = Kind::Page;
        page.published_at = Some(chrono::Utc::now() + chrono::Duration::days(1));
        app.store.create_article(&page).await.unwrap();
        assert_eq!(app.get("/secret-draft/").await.status(), 404);
        assert_eq!(app.get("/future-page/").await.status(), 404);
    }
);
