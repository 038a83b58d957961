//! Full-text search on both engines: each query form, ranking (title above body, newer first on
//! ties), a story found the moment it is published and gone the moment it is unpublished, tag
//! names, drafts for the newsroom only, a rebuild for another language, and hostile input.

use chrono::{Duration, Utc};
use tidings_content::search_query::parse;
use tidings_content::Status;
use tidings_store::{each_backend, NewArticle, NewTag, Scope, Store, MARK_END, MARK_START};

async fn story(store: &Store, title: &str, body: &str, days_ago: i64) -> i64 {
    let mut new = NewArticle::published(title, body);
    new.published_at = Some(Utc::now() - Duration::days(days_ago));
    store.create_article(&new).await.unwrap().id
}

async fn titles(store: &Store, q: &str, scope: Scope) -> Vec<String> {
    store
        .search(&parse(q), scope, 20, 0)
        .await
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.title)
        .collect()
}

async fn archive(store: &Store) {
    story(
        store,
        "Harbour bridge reopens",
        "The bridge over the harbour reopened on Monday after repairs to its cables.",
        3,
    )
    .await;
    story(
        store,
        "Council votes on the budget",
        "City hall approved the budget. The harbour authority asked for more money for the bridge.",
        2,
    )
    .await;
    story(
        store,
        "Ferry timetable changes",
        "Ferries will run every twenty minutes. Parking near the terminal is limited.",
        1,
    )
    .await;
    story(
        store,
        "School meals",
        "Parents asked the council about school meals and parking outside schools.",
        5,
    )
    .await;
}

each_backend!(each_query_form_finds_what_it_says, |store| {
    archive(&store).await;
    // All words must match.
    assert_eq!(
        titles(&store, "harbour bridge", Scope::Public).await,
        ["Harbour bridge reopens", "Council votes on the budget"]
    );
    // A phrase, in order.
    assert_eq!(
        titles(&store, "\"city hall\"", Scope::Public).await,
        ["Council votes on the budget"]
    );
    assert!(titles(&store, "\"hall city\"", Scope::Public)
        .await
        .is_empty());
    // Excluded words.
    assert_eq!(
        titles(&store, "parking -ferries", Scope::Public).await,
        ["School meals"]
    );
    // Prefixes.
    assert_eq!(
        titles(&store, "timet*", Scope::Public).await,
        ["Ferry timetable changes"]
    );
    // Stemming: "votes" finds "voting" on English sites.
    assert_eq!(
        titles(&store, "voting", Scope::Public).await,
        ["Council votes on the budget"]
    );
    // Nothing to look for finds nothing.
    assert!(titles(&store, "-harbour", Scope::Public).await.is_empty());
});

each_backend!(
    title_hits_rank_above_body_hits_and_newer_first_on_ties,
    |store| {
        story(
            &store,
            "A day at the races",
            "Nothing about ferries here, only a mention of the harbour.",
            1,
        )
        .await;
        story(
            &store,
            "Harbour dredging begins",
            "Work starts on Tuesday.",
            9,
        )
        .await;
        assert_eq!(
            titles(&store, "harbour", Scope::Public).await,
            ["Harbour dredging begins", "A day at the races"]
        );
        // The same text twice: the newer story first.
        for (slug, days_ago) in [("tides-older", 4), ("tides-newer", 2)] {
            let mut new = NewArticle::published("Tide tables", "Tide tables for the week.");
            new.slug = slug.into();
            new.published_at = Some(Utc::now() - Duration::days(days_ago));
            store.create_article(&new).await.unwrap();
        }
        let page = store
            .search(&parse("tide"), Scope::Public, 20, 0)
            .await
            .unwrap();
        assert_eq!(page.total, 2);
        assert!(page.hits[0].published_at > page.hits[1].published_at);
    }
);

each_backend!(headline_words_rank_first_and_pages_fit_together, |store| {
    story(
        &store,
        "Council meeting notes",
        "Quarry, quarry, quarry: the quarry came up all evening, and so did gravel.",
        1,
    )
    .await;
    story(
        &store,
        "Gravel lorries on the bypass",
        "Residents counted lorries leaving the quarry.",
        6,
    )
    .await;
    // A searched word in the headline puts a story first, however often the other says it.
    assert_eq!(
        titles(&store, "quarry gravel", Scope::Public).await,
        ["Gravel lorries on the bypass", "Council meeting notes"]
    );

    // Published stories and drafts, some naming the word in the headline: the newsroom's
    // pages, read three at a time, are the one full list cut in pieces.
    for i in 0..12 {
        let title = if i % 3 == 0 {
            format!("Lantern parade {i}")
        } else {
            format!("Street notes {i}")
        };
        let mut new = NewArticle::published(&title, "The lantern makers met again.");
        new.slug = format!("story-{i}");
        new.published_at = Some(Utc::now() - Duration::days(i));
        if i % 2 == 1 {
            new.status = Status::Draft;
        }
        store.create_article(&new).await.unwrap();
    }
    let all = titles(&store, "lantern", Scope::Newsroom).await;
    assert_eq!(all.len(), 12);
    assert!(all[..4].iter().all(|t| t.starts_with("Lantern parade")));
    let mut pieces = Vec::new();
    for offset in (0..15).step_by(3) {
        let page = store
            .search(&parse("lantern"), Scope::Newsroom, 3, offset)
            .await
            .unwrap();
        assert_eq!(page.total, 12);
        pieces.extend(page.hits.into_iter().map(|h| h.title));
    }
    assert_eq!(pieces, all);
});

each_backend!(a_story_is_found_when_published_and_gone_when_not, |store| {
    let mut new = NewArticle::published(
        "Lighthouse keeper retires",
        "After forty years at the lighthouse.",
    );
    new.status = Status::Draft;
    let id = store.create_article(&new).await.unwrap().id;
    assert!(
        titles(&store, "lighthouse", Scope::Public).await.is_empty(),
        "a draft is not public"
    );
    assert_eq!(
        titles(&store, "lighthouse", Scope::Newsroom).await,
        ["Lighthouse keeper retires"]
    );
    new.status = Status::Published;
    store.update_article(id, &new, None).await.unwrap();
    assert_eq!(
        titles(&store, "lighthouse", Scope::Public).await,
        ["Lighthouse keeper retires"]
    );
    // An edit is searchable at once, and the old words are gone.
    new.body_markdown = "After forty years at the beacon.".into();
    new.title = "Keeper retires".into();
    store.update_article(id, &new, None).await.unwrap();
    assert!(titles(&store, "lighthouse", Scope::Public).await.is_empty());
    assert_eq!(
        titles(&store, "beacon", Scope::Public).await,
        ["Keeper retires"]
    );
    new.status = Status::Draft;
    store.update_article(id, &new, None).await.unwrap();
    assert!(
        titles(&store, "beacon", Scope::Public).await.is_empty(),
        "unpublished at once"
    );
});

each_backend!(tag_names_are_searched_and_renames_follow, |store| {
    let tag = store
        .create_tag(&NewTag {
            name: "Waterfront".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut new = NewArticle::published("Pier opens", "A new pier.");
    new.tag_ids = vec![tag.id];
    store.create_article(&new).await.unwrap();
    assert_eq!(
        titles(&store, "waterfront", Scope::Public).await,
        ["Pier opens"]
    );
    store
        .update_tag(
            tag.id,
            &NewTag {
                name: "Seafront".into(),
                slug: tag.slug.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(titles(&store, "waterfront", Scope::Public).await.is_empty());
    assert_eq!(
        titles(&store, "seafront", Scope::Public).await,
        ["Pier opens"]
    );
});

each_backend!(snippets_mark_the_words_found, |store| {
    story(&store, "Storm", "Heavy rain fell overnight. The storm flooded the market square and closed the coast road until noon.", 1).await;
    let page = store
        .search(&parse("flooded"), Scope::Public, 20, 0)
        .await
        .unwrap();
    let snippet = &page.hits[0].snippet;
    assert!(
        snippet.contains(&format!("{MARK_START}flooded{MARK_END}")),
        "{snippet:?}"
    );
});

each_backend!(
    another_language_rebuilds_the_index_with_its_rules,
    |store| {
        story(&store, "Café de l'été", "Les élèves déjeunent au café.", 1).await;
        assert_eq!(store.rebuild_search_index("fr").await.unwrap(), 1);
        assert_eq!(store.search_index_language().await.unwrap(), "fr");
        // Accents fold on SQLite; PostgreSQL's French stemmer matches the same word.
        assert_eq!(
            titles(&store, "élèves", Scope::Public).await,
            ["Café de l'été"]
        );
        // A story saved after the rebuild is indexed with the new rules too.
        story(&store, "Marché", "Le marché du samedi.", 1).await;
        assert_eq!(titles(&store, "marché", Scope::Public).await, ["Marché"]);
    }
);

each_backend!(hostile_queries_never_fail, |store| {
    archive(&store).await;
    let long = "harbour ".repeat(40);
    for q in [
        "\"",
        "\"\"",
        "*",
        "-",
        "--",
        "(",
        ")",
        "((harbour",
        "harbour)",
        "NEAR(harbour bridge)",
        "harbour NEAR bridge",
        "AND",
        "OR NOT",
        "harbour AND",
        "'",
        "';--",
        "\\",
        "%",
        "_",
        "%00",
        "\0",
        "\u{fffd}",
        "a:*",
        "!harbour",
        "harbour | bridge",
        "<->",
        "title:harbour",
        "^harbour",
        "{harbour}",
        long.as_str(),
        "😀",
        "ハーバー",
    ] {
        let parsed = parse(q);
        store
            .search(&parsed, Scope::Public, 20, 0)
            .await
            .unwrap_or_else(|e| panic!("{q:?}: {e}"));
        store
            .search(&parsed, Scope::Newsroom, 20, 0)
            .await
            .unwrap_or_else(|e| panic!("{q:?}: {e}"));
    }
});

each_backend!(broad_queries_are_counted_up_to_the_cap, |store| {
    for i in 0..=tidings_store::COUNT_CAP {
        let mut new = NewArticle::published(&format!("Weather {i}"), "Rain again.");
        new.slug = format!("weather-{i}");
        store.create_article(&new).await.unwrap();
    }
    let page = store
        .search(&parse("rain"), Scope::Public, 10, 0)
        .await
        .unwrap();
    assert!(page.more, "more than the cap");
    assert_eq!(page.total, tidings_store::COUNT_CAP);
    assert_eq!(page.hits.len(), 10);
    let page = store
        .search(&parse("\"weather 7\""), Scope::Public, 10, 0)
        .await
        .unwrap();
    assert!(!page.more);
    assert_eq!(page.total, 1);
});
