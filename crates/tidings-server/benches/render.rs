//! Rendering the page of a 1,500-word article from its stored, already-sanitized HTML, bypassing the
//! page cache and the database: views, JSON-LD, share links and the theme template; and what a cache
//! miss adds to that, compressing the page for the cache.

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tidings_content::{count_words, render_markdown, Kind, Status};
use tidings_server::cache::CachedPage;
use tidings_server::web::article::render_article_html;
use tidings_server::{views::SiteView, Theme};
use tidings_store::{Article, ArticleSummary, Author, FeatureImage, Settings, Tag};

fn article() -> Article {
    let paragraph = "The council's finance committee met on Tuesday evening to weigh three options for the harbour, \
        and residents who spoke urged members to publish the full figures before any vote was taken. ";
    let mut md = String::new();
    for i in 0..24 {
        if i % 6 == 5 {
            md.push_str("## What happens next\n\n");
        }
        md.push_str(&paragraph.repeat(2));
        md.push_str("\n\n");
    }
    let body_html = render_markdown(&md);
    let words = count_words(&body_html) as i64;
    assert!((1450..=1600).contains(&words), "{words} words");
    let tag = Tag {
        id: 1,
        slug: "city-hall".into(),
        name: "City Hall".into(),
        description: String::new(),
        image_url: String::new(),
        parent_id: None,
    };
    let author = Author {
        id: 1,
        slug: "maya-okafor".into(),
        name: "Maya Okafor".into(),
        bio: "covers the council.".into(),
        avatar_url: "/media/demo/author-maya-okafor.jpg".into(),
    };
    let image = FeatureImage {
        path: "demo/story-00.jpg".into(),
        alt: "The town hall".into(),
        caption: "Residents queued for the public gallery.".into(),
        credit: "Harbour Ledger".into(),
        width: 1200,
        height: 675,
        widths: vec![480, 800],
        webp: false,
        avif: false,
    };
    Article {
        id: 1,
        kind: Kind::Article,
        slug: "council-approves-a-leaner-budget".into(),
        title: "Council approves a leaner budget after a night of testimony".into(),
        dek: "Evening buses and two branch libraries are spared.".into(),
        body_markdown: md,
        body_html,
        word_count: words,
        feature_image: image,
        status: Status::Published,
        published_at: Some(Utc::now() - Duration::hours(3)),
        updated_at: Utc::now() - Duration::hours(2),
        featured: true,
        digest_priority: 10,
        primary_tag: Some(tag.clone()),
        tags: vec![tag],
        authors: vec![author],
        seo_title: String::new(),
        seo_description: String::new(),
        canonical_url: String::new(),
        version: 1,
        created_by: None,
    }
}

fn related(a: &Article) -> Vec<ArticleSummary> {
    (0..3)
        .map(|i| ArticleSummary {
            id: 10 + i,
            slug: format!("related-story-{i}"),
            title: format!("Related story number {i}"),
            dek: "A short standfirst.".into(),
            word_count: 600,
            feature_image: a.feature_image.clone(),
            published_at: Utc::now() - Duration::days(i + 1),
            updated_at: Utc::now() - Duration::days(i + 1),
            featured: false,
            digest_priority: 0,
            primary_tag: a.primary_tag.clone(),
            authors: a.authors.clone(),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let theme = Theme::load(None).unwrap();
    let mut settings = Settings::default();
    settings.0.insert(
        "organisation_name".into(),
        "Harbour Ledger Foundation".into(),
    );
    let sections = vec![Tag {
        id: 1,
        slug: "city-hall".into(),
        name: "City Hall".into(),
        description: String::new(),
        image_url: String::new(),
        parent_id: None,
    }];
    let identity = tidings_theme::Identity {
        title: "The Harbour Ledger".into(),
        language: "en".into(),
        timezone: chrono_tz::Europe::London,
        digest_time: None,
        max_stories: 10,
    };
    let menus = [
        sections
            .iter()
            .map(tidings_theme::views::tag_link)
            .collect(),
        Vec::new(),
    ];
    let site = SiteView::new(
        &identity,
        "https://news.example",
        &settings,
        &sections,
        menus,
    );
    let article = article();
    let related = tidings_theme::views::Connected {
        section: related(&article),
        related: related(&article),
        story: None,
    };
    let tz = chrono_tz::Europe::London;
    // Reference measured in the same run: a fixed third-party workload on the same article.
    c.bench_function("reference_pulldown_cmark_1500_words", |b| {
        b.iter(|| {
            let mut out = String::with_capacity(article.body_markdown.len() * 2);
            let parser = pulldown_cmark::Parser::new(black_box(&article.body_markdown));
            pulldown_cmark::html::push_html(&mut out, parser);
            out
        })
    });
    c.bench_function("render_article_page_1500_words", |b| {
        b.iter(|| {
            render_article_html(&theme, &site, black_box(&article), &related, &[], tz).unwrap()
        })
    });
    // What a cache miss adds to the render: the page compressed for the cache (gzip, and brotli
    // at the quick quality used on the request path).
    let html = render_article_html(&theme, &site, &article, &related, &[], tz).unwrap();
    c.bench_function("cache_article_page_1500_words", |b| {
        b.iter(|| {
            CachedPage::new(
                1,
                StatusCode::OK,
                "text/html; charset=utf-8",
                "public, max-age=60",
                black_box(html.clone()),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
