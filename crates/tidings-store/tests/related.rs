//! Related coverage over a small fixture archive, on SQLite always and on PostgreSQL when
//! TIDINGS_TEST_DATABASE_URL is set: the order, updates on edit and unpublish, and editors' pins.

use chrono::{Duration, Utc};
use tidings_store::{each_backend, Article, NewArticle, NewTag, Store};

async fn tag(store: &Store, name: &str) -> i64 {
    let new = NewTag {
        name: name.into(),
        ..NewTag::default()
    };
    store.create_tag(&new).await.unwrap().id
}

async fn story(store: &Store, title: &str, body: &str, tags: &[i64], days_ago: i64) -> Article {
    let mut new = NewArticle::published(title, body);
    new.tag_ids = tags.to_vec();
    new.published_at = Some(Utc::now() - Duration::days(days_ago));
    store.create_article(&new).await.unwrap()
}

async fn related(store: &Store, a: &Article) -> Vec<String> {
    store
        .related_coverage(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.slug)
        .collect()
}

/// The archive: a budget story, then stories sharing its rare names, its tag, or nothing.
struct Archive {
    budget: Article,
    vote: Article,
    adeyemi: Article,
    old_budget: Article,
    council_only: Article,
    sport: Article,
}

async fn archive(store: &Store) -> Archive {
    let council = tag(store, "Council").await;
    let sport_tag = tag(store, "Sport").await;
    // Filler that makes "Council" a common tag and "Port Alder" a common name.
    for i in 0..6 {
        story(
            store,
            &format!("Council notice {i}"),
            "The meeting in Port Alder was short.",
            &[council],
            40 + i,
        )
        .await;
    }
    let budget = story(
        store,
        "Council approves the budget",
        "Council leader Ruth Adeyemi said the Harbour Board in Port Alder would get less.",
        &[council],
        0,
    )
    .await;
    let vote = story(
        store,
        "Harbour Board votes on fees",
        "The Harbour Board met as Ruth Adeyemi watched from the gallery in Port Alder.",
        &[council],
        1,
    )
    .await;
    let adeyemi = story(
        store,
        "A profile of the leader",
        "For years Ruth Adeyemi has chaired meetings in Port Alder.",
        &[sport_tag],
        2,
    )
    .await;
    let old_budget = story(
        store,
        "Last year's harbour fees",
        "The Harbour Board raised fees, and Ruth Adeyemi objected.",
        &[council],
        300,
    )
    .await;
    let council_only = story(
        store,
        "Council changes its meeting day",
        "Meetings move to Thursdays in Port Alder.",
        &[council],
        3,
    )
    .await;
    let sport = story(
        store,
        "Athletic win the derby",
        "A late goal settled it.",
        &[sport_tag],
        0,
    )
    .await;
    Archive {
        budget,
        vote,
        adeyemi,
        old_budget,
        council_only,
        sport,
    }
}

each_backend!(
    related_stories_come_in_order_of_shared_rare_names_tags_and_time,
    |store| {
        let a = archive(&store).await;
        let list = related(&store, &a.budget).await;
        // Same tag and both rare names, a day apart, comes first; then the leader's profile (one
        // rare name, another section, two days apart); then this week's story sharing only the
        // common tag; last year's story, though it shares both names, is too old to make the list.
        assert_eq!(
            &list[..3],
            &[
                a.vote.slug.clone(),
                a.adeyemi.slug.clone(),
                a.council_only.slug.clone()
            ],
            "{list:?}"
        );
        assert!(
            !list.contains(&a.old_budget.slug),
            "recency counts: {list:?}"
        );
        assert!(!list.contains(&a.sport.slug), "nothing shared: {list:?}");
        assert!(!list.contains(&a.budget.slug), "never itself");
        // The relation goes both ways: the vote story lists the budget story.
        assert!(related(&store, &a.vote).await.contains(&a.budget.slug));
    }
);

each_backend!(related_lists_follow_edits_and_unpublishing, |store| {
    let a = archive(&store).await;
    assert!(related(&store, &a.budget).await.contains(&a.vote.slug));

    // Unpublished: it leaves every list at once.
    let mut draft = NewArticle::published(&a.vote.title, &a.vote.body_markdown);
    draft.slug = a.vote.slug.clone();
    draft.status = tidings_content::Status::Draft;
    draft.published_at = None;
    store.update_article(a.vote.id, &draft, None).await.unwrap();
    assert!(!related(&store, &a.budget).await.contains(&a.vote.slug));
    assert!(
        related(&store, &a.vote).await.is_empty(),
        "a draft lists nothing"
    );

    // Edited to name the leader prominently, the sport story now relates to the profile.
    let mut edit = NewArticle::published(
        "Athletic win the derby, Ruth Adeyemi watching",
        "Ruth Adeyemi presented the cup to the Harbour Board's team.",
    );
    edit.slug = a.sport.slug.clone();
    edit.published_at = Some(a.sport.published_at.unwrap());
    edit.tag_ids = a.sport.tags.iter().map(|t| t.id).collect();
    store.update_article(a.sport.id, &edit, None).await.unwrap();
    let list = related(&store, &a.sport).await;
    assert!(list.contains(&a.adeyemi.slug), "{list:?}");
    assert!(
        related(&store, &a.adeyemi).await.contains(&a.sport.slug),
        "and it entered the profile's list"
    );
});

each_backend!(pins_and_removals_survive_recomputation, |store| {
    let a = archive(&store).await;
    // Pin the unrelated sport story first and the council-only one second; remove the vote story.
    store
        .set_related_choices(a.budget.id, &[a.sport.id, a.council_only.id], &[a.vote.id])
        .await
        .unwrap();
    let list = related(&store, &a.budget).await;
    assert_eq!(
        &list[..2],
        &[a.sport.slug.clone(), a.council_only.slug.clone()]
    );
    assert!(!list.contains(&a.vote.slug), "removed: {list:?}");
    assert_eq!(list.len(), 4, "filled up with computed ones: {list:?}");

    // Saving the story (or a neighbour) recomputes, and the choices stay.
    let mut same = NewArticle::published(&a.budget.title, &a.budget.body_markdown);
    same.slug = a.budget.slug.clone();
    same.published_at = a.budget.published_at;
    same.tag_ids = a.budget.tags.iter().map(|t| t.id).collect();
    store
        .update_article(a.budget.id, &same, None)
        .await
        .unwrap();
    store
        .update_article(
            a.adeyemi.id,
            &NewArticle {
                slug: a.adeyemi.slug.clone(),
                published_at: a.adeyemi.published_at,
                ..NewArticle::published(&a.adeyemi.title, &a.adeyemi.body_markdown)
            },
            None,
        )
        .await
        .unwrap();
    let again = related(&store, &a.budget).await;
    assert_eq!(&again[..2], &list[..2], "pins first, in order");
    assert!(!again.contains(&a.vote.slug), "still removed");
    let (pinned, removed) = store.related_choices(a.budget.id).await.unwrap();
    assert_eq!(pinned, vec![a.sport.id, a.council_only.id]);
    assert_eq!(removed, vec![a.vote.id]);

    // Refreshing everything (as after an import) keeps them too.
    store.refresh_all_related().await.unwrap();
    assert_eq!(related(&store, &a.budget).await[..2], list[..2]);
});

each_backend!(a_running_story_lists_its_stories_in_date_order, |store| {
    let budget = tag(&store, "Budget 2027").await;
    let other = tag(&store, "Weather").await;
    let first = story(&store, "Budget talks open", "Text.", &[budget], 30).await;
    let second = story(&store, "Budget draft leaks", "Text.", &[other, budget], 10).await;
    let third = story(&store, "Budget passes", "Text.", &[budget], 1).await;
    story(&store, "Storm warning", "Text.", &[other], 5).await;
    let mut draft = NewArticle::published("Budget unpublished", "Text.");
    draft.tag_ids = vec![budget];
    draft.status = tidings_content::Status::Draft;
    draft.published_at = None;
    store.create_article(&draft).await.unwrap();

    assert_eq!(store.running_story(budget).await.unwrap(), None);
    assert!(store.story_of(third.id).await.unwrap().is_none());
    store
        .set_running_story(budget, Some("Where the budget stands."))
        .await
        .unwrap();
    assert_eq!(
        store.running_story(budget).await.unwrap().as_deref(),
        Some("Where the budget stands.")
    );
    let slugs = |list: Vec<tidings_store::ArticleSummary>| -> Vec<String> {
        list.into_iter().map(|a| a.slug).collect()
    };
    assert_eq!(
        slugs(store.timeline(budget, true).await.unwrap()),
        vec![first.slug.clone(), second.slug.clone(), third.slug.clone()],
        "oldest first, published only"
    );
    assert_eq!(
        slugs(store.timeline(budget, false).await.unwrap()),
        vec![third.slug.clone(), second.slug.clone(), first.slug.clone()]
    );
    let (of, _) = store.story_of(second.id).await.unwrap().unwrap();
    assert_eq!(
        of.id, budget,
        "the story's running tag, even when not its first tag"
    );
    assert_eq!(
        slugs(store.earlier_in_story(budget, third.id, 5).await.unwrap()),
        vec![second.slug.clone(), first.slug.clone()],
        "what came before, latest first"
    );
    assert!(store
        .earlier_in_story(budget, first.id, 5)
        .await
        .unwrap()
        .is_empty());

    let long = "x".repeat(5_001);
    assert!(store.set_running_story(budget, Some(&long)).await.is_err());
    assert!(store
        .set_running_story(999_999, Some("No tag"))
        .await
        .is_err());
    store.set_running_story(budget, None).await.unwrap();
    assert_eq!(store.running_story(budget).await.unwrap(), None);
});

each_backend!(a_bulk_import_leaves_the_lists_to_one_refresh, |store| {
    let bulk = store.for_bulk_import();
    let a = archive(&bulk).await;
    assert!(
        related(&store, &a.budget).await.is_empty(),
        "no list is computed story by story during an import"
    );
    store.queue_related_refresh().await.unwrap();
    let queued = store
        .jobs_in(tidings_store::JobState::Queued, 10)
        .await
        .unwrap();
    assert!(queued
        .iter()
        .any(|j| j.kind == tidings_store::RELATED_REFRESH_JOB));
    store.refresh_all_related().await.unwrap();
    let list = related(&store, &a.budget).await;
    assert_eq!(
        list[0], a.vote.slug,
        "the same lists as story by story: {list:?}"
    );
    assert_eq!(list.len(), 4);
});
