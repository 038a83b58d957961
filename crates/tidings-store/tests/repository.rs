//! Repository behaviour, run on SQLite always and on PostgreSQL when TIDINGS_TEST_DATABASE_URL is set.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{Duration, Utc};
use tidings_content::{Kind, Status};
use tidings_store::{each_backend, NewArticle, NewAuthor, NewTag, Store, StoreError};

async fn seed(store: &Store) -> (i64, i64, i64) {
    let politics = store
        .create_tag(&NewTag {
            name: "Politics".into(),
            ..NewTag::default()
        })
        .await
        .unwrap();
    let climate = store
        .create_tag(&NewTag {
            name: "Climate".into(),
            ..NewTag::default()
        })
        .await
        .unwrap();
    let ana = store
        .create_author(&NewAuthor {
            name: "Ana Ribeiro".into(),
            bio: "Covers city hall.".into(),
            ..NewAuthor::default()
        })
        .await
        .unwrap();
    (politics.id, climate.id, ana.id)
}

each_backend!(creates_and_reads_an_article_with_relations, |store| {
    let (politics, climate, ana) = seed(&store).await;
    let mut new = NewArticle::published(
        "Council Passes the Budget",
        "The council **voted** 7-2.\n\n<script>alert(1)</script>",
    );
    new.dek = "A late-night vote.".into();
    new.tag_ids = vec![politics, climate, politics];
    new.author_ids = vec![ana];
    new.featured = true;
    new.digest_priority = 5;
    let created = store.create_article(&new).await.unwrap();
    assert_eq!(created.slug, "council-passes-the-budget");
    assert_eq!(created.status, Status::Published);
    assert!(created.body_html.contains("<strong>voted</strong>"));
    assert!(!created.body_html.contains("script"));
    assert_eq!(created.word_count, 4);
    assert_eq!(created.primary_tag.as_ref().unwrap().slug, "politics");
    assert_eq!(
        created
            .tags
            .iter()
            .map(|t| t.slug.as_str())
            .collect::<Vec<_>>(),
        ["politics", "climate"]
    );
    assert_eq!(created.authors[0].name, "Ana Ribeiro");
    assert!(created.featured);

    let read = store
        .published_by_slug("council-passes-the-budget")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.title, "Council Passes the Budget");
    assert_eq!(read.dek, "A late-night vote.");

    let page = store.latest(10, 0).await.unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].authors.len(), 1);
    assert_eq!(store.latest_by_tag(climate, 10, 0).await.unwrap().total, 1);
    assert_eq!(store.latest_by_author(ana, 10, 0).await.unwrap().total, 1);
    assert_eq!(store.sections(5).await.unwrap()[0].slug, "politics");
});

each_backend!(drafts_pages_and_scheduled_stay_out_of_listings, |store| {
    let mut draft = NewArticle::published("A Draft", "not yet");
    draft.status = Status::Draft;
    store.create_article(&draft).await.unwrap();
    let mut page = NewArticle::published("About Us", "We are a newsroom.");
    page.kind = Kind::Page;
    store.create_article(&page).await.unwrap();
    let mut later = NewArticle::published("Tomorrow's Story", "soon");
    later.published_at = Some(Utc::now() + Duration::hours(2));
    let later = store.create_article(&later).await.unwrap();
    assert_eq!(later.status, Status::Scheduled);

    assert_eq!(store.latest(10, 0).await.unwrap().total, 0);
    assert!(store.published_by_slug("a-draft").await.unwrap().is_none());
    assert!(store
        .published_by_slug("tomorrows-story")
        .await
        .unwrap()
        .is_none());
    assert!(store.published_by_slug("about-us").await.unwrap().is_some());
    assert!(store
        .feed_articles(None, None, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.sitemap_entries().await.unwrap().len(), 1);

    assert_eq!(
        store.next_scheduled().await.unwrap().unwrap().timestamp(),
        later.published_at.unwrap().timestamp()
    );
    let generation = store.generation().await.unwrap();
    assert_eq!(store.publish_due(Utc::now()).await.unwrap(), 0);
    assert_eq!(
        store.generation().await.unwrap(),
        generation,
        "nothing due, nothing bumped"
    );
    assert_eq!(
        store
            .publish_due(Utc::now() + Duration::hours(3))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .publish_due(Utc::now() + Duration::hours(3))
            .await
            .unwrap(),
        0,
        "fires once"
    );
    assert!(store.generation().await.unwrap() > generation);
    assert_eq!(store.latest(10, 0).await.unwrap().total, 1);
});

each_backend!(bad_input_is_refused_and_nothing_is_written, |store| {
    let generation = store.generation().await.unwrap();
    let err = store
        .create_article(&NewArticle::published("   ", "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid { field: "title", .. }),
        "{err}"
    );
    let mut reserved = NewArticle::published("Admin", "x");
    reserved.slug = "admin".into();
    let err = store.create_article(&reserved).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid { field: "slug", .. }),
        "{err}"
    );
    let mut bad_slug = NewArticle::published("Fine", "x");
    bad_slug.slug = "Not A Slug".into();
    assert!(store.create_article(&bad_slug).await.is_err());
    let mut missing_tag = NewArticle::published("Orphan", "x");
    missing_tag.tag_ids = vec![9999];
    let err = store.create_article(&missing_tag).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    let mut missing_author = NewArticle::published("Orphan Two", "x");
    missing_author.author_ids = vec![9999];
    assert!(store.create_article(&missing_author).await.is_err());
    assert!(
        store
            .published_by_slug("orphan-two")
            .await
            .unwrap()
            .is_none(),
        "a failed relation leaves no half-written article"
    );
    assert_eq!(store.generation().await.unwrap(), generation);

    store
        .create_article(&NewArticle::published("Same Title", "x"))
        .await
        .unwrap();
    let err = store
        .create_article(&NewArticle::published("Same Title", "y"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { field: "slug", .. }),
        "{err}"
    );
});

each_backend!(
    writes_bump_the_generation_and_settings_round_trip,
    |store| {
        let g0 = store.generation().await.unwrap();
        store
            .set_settings(&[
                ("organisation_name", "Harbour Post"),
                ("donation_cta", "Give"),
            ])
            .await
            .unwrap();
        let g1 = store.generation().await.unwrap();
        assert!(g1 > g0);
        store
            .set_settings(&[("donation_cta", "Donate today")])
            .await
            .unwrap();
        let settings = store.settings().await.unwrap();
        assert_eq!(settings.get("organisation_name"), "Harbour Post");
        assert_eq!(settings.get("donation_cta"), "Donate today");
        assert_eq!(settings.get("missing"), "");
        store.set_site_url("https://news.example").await.unwrap();
        let g2 = store.generation().await.unwrap();
        store.set_site_url("https://news.example").await.unwrap();
        assert_eq!(store.generation().await.unwrap(), g2, "same URL, no bump");
        assert_eq!(store.site_url().await.unwrap(), "https://news.example");
        assert!(!store.is_empty().await.unwrap());
        assert!(store.pending_migrations().await.unwrap().is_empty());
        assert!(
            store.migrate().await.unwrap().is_empty(),
            "migrating twice is a no-op"
        );
    }
);

each_backend!(
    fifty_concurrent_writers_and_readers_never_see_a_locked_database,
    |store| {
        let in_use = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..50 {
            let store = store.clone();
            let in_use = in_use.clone();
            let peak = peak.clone();
            tasks.push(tokio::spawn(async move {
                let now = in_use.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                let result = if i % 2 == 0 {
                    store
                        .create_article(&NewArticle::published(
                            &format!("Story number {i}"),
                            "Words here.",
                        ))
                        .await
                        .map(|_| ())
                } else {
                    async {
                        store.latest(10, 0).await?;
                        store.generation().await?;
                        Ok::<_, StoreError>(())
                    }
                    .await
                };
                in_use.fetch_sub(1, Ordering::SeqCst);
                result
            }));
        }
        for task in tasks {
            if let Err(e) = task.await.unwrap() {
                panic!("concurrent access failed: {e}");
            }
        }
        assert_eq!(store.latest(100, 0).await.unwrap().total, 25);
        assert!(peak.load(Ordering::SeqCst) > 1, "work overlapped");
        assert!(
            store.pool_size() > 1,
            "more than one pooled connection was used, got {}",
            store.pool_size()
        );
    }
);

each_backend!(canonical_urls_are_absolute_http_or_nothing, |store| {
    for bad in [
        "javascript:alert(1)",
        "/relative/path/",
        "//evil.example/x",
        "data:text/html,hi",
        "https://",
        "https://example.org/a b",
    ] {
        let mut new = NewArticle::published(&format!("Story {bad}"), "Text.");
        new.canonical_url = bad.into();
        match store.create_article(&new).await {
            Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "canonical_url", "{bad}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    let mut new = NewArticle::published("Syndicated", "Text.");
    new.canonical_url = " https://partner.example/story ".into();
    let a = store.create_article(&new).await.unwrap();
    assert_eq!(a.canonical_url, "https://partner.example/story");
});

each_backend!(a_secret_is_made_once_and_shared, |store| {
    let first = store.secret("link_secret").await.unwrap();
    assert!(first.len() >= 32, "{first}");
    // Two processes asking at once both end up with the one that was written first.
    let other = store.clone();
    let (a, b) = tokio::join!(store.secret("link_secret"), other.secret("link_secret"));
    assert_eq!((a.unwrap(), b.unwrap()), (first.clone(), first.clone()));
    assert_ne!(store.secret("other_secret").await.unwrap(), first);
    // An emptied setting is made again rather than signing with nothing.
    store.set_settings(&[("link_secret", "")]).await.unwrap();
    let again = store.secret("link_secret").await.unwrap();
    assert!(!again.is_empty() && again != first);
});

each_backend!(
    redirects_include_slug_changes_and_a_hand_made_one_wins,
    |store| {
        let a = store
            .create_article(&NewArticle::published("Harbour Strike", "Text."))
            .await
            .unwrap();
        let mut renamed = NewArticle::published("Harbour Strike", "Text.");
        renamed.slug = "harbour-strike-ends".into();
        store.update_article(a.id, &renamed, None).await.unwrap();
        store
            .set_redirect_to_article("/2015/11/27/harbour-strike/", a.id, "wordpress")
            .await
            .unwrap();
        store
            .set_redirect("/?p=12", "/harbour-strike-ends/", "wordpress")
            .await
            .unwrap();
        let all = store.redirects(100).await.unwrap();
        let pairs: Vec<(&str, &str, &str)> = all
            .iter()
            .map(|r| (r.from_path.as_str(), r.to_path.as_str(), r.source.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                (
                    "/2015/11/27/harbour-strike/",
                    "/harbour-strike-ends/",
                    "wordpress"
                ),
                ("/?p=12", "/harbour-strike-ends/", "wordpress"),
                ("/harbour-strike/", "/harbour-strike-ends/", "slug change"),
            ]
        );
        // Renamed again: the story's old addresses lead to the new one in one step, the new one
        // redirects nowhere, and a path that is not the story's keeps its target.
        renamed.slug = "strike-over".into();
        store.update_article(a.id, &renamed, None).await.unwrap();
        for old in [
            "/harbour-strike/",
            "/harbour-strike-ends/",
            "/2015/11/27/harbour-strike/",
        ] {
            assert_eq!(
                store.redirect_target(old).await.unwrap().as_deref(),
                Some("/strike-over/"),
                "{old}"
            );
        }
        assert_eq!(store.redirect_target("/strike-over/").await.unwrap(), None);
        assert_eq!(
            store.redirect_target("/?p=12").await.unwrap().as_deref(),
            Some("/harbour-strike-ends/")
        );
        // Back to its first name: that address is the story's again, not a redirect.
        renamed.slug = "harbour-strike".into();
        store.update_article(a.id, &renamed, None).await.unwrap();
        assert_eq!(
            store.redirect_target("/harbour-strike/").await.unwrap(),
            None
        );
        assert_eq!(
            store
                .redirect_target("/strike-over/")
                .await
                .unwrap()
                .as_deref(),
            Some("/harbour-strike/")
        );
        // Unpublished, the story's old addresses lead nowhere (they would reveal its new one).
        let mut draft = renamed.clone();
        draft.status = Status::Draft;
        draft.published_at = None;
        store.update_article(a.id, &draft, None).await.unwrap();
        assert_eq!(store.redirect_target("/strike-over/").await.unwrap(), None);
        store.update_article(a.id, &renamed, None).await.unwrap();
        // Set by hand, the old slug leads elsewhere; removed, it leads nowhere.
        store
            .set_redirect("/harbour-strike/", "/rss/", "admin")
            .await
            .unwrap();
        assert_eq!(
            store
                .redirect_target("/harbour-strike/")
                .await
                .unwrap()
                .as_deref(),
            Some("/rss/")
        );
        assert!(store.remove_redirect("/harbour-strike/").await.unwrap());
        assert_eq!(
            store.redirect_target("/harbour-strike/").await.unwrap(),
            None
        );
        // Deleted (by an import's undo), the story takes its redirects with it.
        let undo = tidings_store::ImportUndo {
            articles: vec![a.id],
            since: i64::MAX,
            ..Default::default()
        };
        store.undo_import("wordpress", &undo).await.unwrap();
        assert_eq!(store.redirect_target("/strike-over/").await.unwrap(), None);
        assert!(store
            .redirects(100)
            .await
            .unwrap()
            .iter()
            .all(|r| r.from_path == "/?p=12"));
        // Only paths on this site.
        assert!(matches!(
            store.set_redirect("/x/", "//evil.example/", "admin").await,
            Err(StoreError::Invalid { .. })
        ));
    }
);

each_backend!(other_nodes_hear_each_new_generation, |store| {
    let Some(mut listener) = store.listen_generations().await.unwrap() else {
        assert_eq!(
            store.backend(),
            tidings_store::Backend::Sqlite,
            "only SQLite has nothing to listen to"
        );
        return;
    };
    let before = store.generation().await.unwrap();
    store
        .set_settings(&[("site.tagline", "Heard at once")])
        .await
        .unwrap();
    let heard = tokio::time::timeout(std::time::Duration::from_secs(1), listener.next())
        .await
        .expect("announced within a second")
        .unwrap();
    let now = store.generation().await.unwrap();
    assert!(now > before);
    assert_eq!(
        heard,
        Some(now),
        "the announcement carries the new generation"
    );
});
