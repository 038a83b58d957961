//! Nested tags, run on SQLite always and on PostgreSQL when TIDINGS_TEST_DATABASE_URL is set.

use tidings_store::{each_backend, NewArticle, NewTag, Store, StoreError};

async fn tag(store: &Store, name: &str, parent_id: Option<i64>) -> i64 {
    store
        .create_tag(&NewTag {
            name: name.into(),
            parent_id,
            ..NewTag::default()
        })
        .await
        .unwrap()
        .id
}

each_backend!(a_broad_tag_lists_its_narrower_tags_stories, |store| {
    let world = tag(&store, "World", None).await;
    let europe = tag(&store, "Europe", Some(world)).await;
    let lisbon = tag(&store, "Lisbon", Some(europe)).await;
    let sport = tag(&store, "Sport", None).await;
    let mut story = NewArticle::published("Tram fares rise", "Text.");
    story.tag_ids = vec![lisbon];
    let story = store.create_article(&story).await.unwrap();
    let mut other = NewArticle::published("Derby ends level", "Text.");
    other.tag_ids = vec![sport];
    store.create_article(&other).await.unwrap();

    for id in [world, europe, lisbon] {
        let page = store.latest_by_tag(id, 10, 0).await.unwrap();
        let ids: Vec<i64> = page.items.iter().map(|a| a.id).collect();
        assert_eq!((ids, page.total), (vec![story.id], 1), "tag {id}");
        let feed = store.feed_articles(Some(id), None, 10).await.unwrap();
        assert_eq!(feed.len(), 1);
    }
    assert_eq!(store.latest_by_tag(sport, 10, 0).await.unwrap().total, 1);

    let lisbon_tag = store.tag_by_slug("lisbon").await.unwrap().unwrap();
    let trail: Vec<String> = store
        .tag_ancestors(&lisbon_tag)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.slug)
        .collect();
    assert_eq!(trail, ["world", "europe"]);
    let under_world: Vec<i64> = store
        .tag_children(world)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(under_world, [europe]);
});

each_backend!(a_tag_cannot_sit_beneath_itself, |store| {
    let world = tag(&store, "World", None).await;
    let europe = tag(&store, "Europe", Some(world)).await;
    let under = |parent_id| NewTag {
        name: "World".into(),
        slug: "world".into(),
        parent_id: Some(parent_id),
        ..NewTag::default()
    };
    // Beneath its own child, beneath itself, beneath a tag that does not exist: refused, unchanged.
    for parent in [europe, world, 999_999] {
        assert!(
            matches!(
                store.update_tag(world, &under(parent)).await,
                Err(StoreError::Invalid {
                    field: "parent",
                    ..
                })
            ),
            "parent {parent}"
        );
    }
    assert!(matches!(
        store.set_tag_parent(world, europe).await,
        Err(StoreError::Invalid { .. })
    ));
    let world_tag = store.tag_by_slug("world").await.unwrap().unwrap();
    assert_eq!(world_tag.parent_id, None);
    // Moved back to the top level, Europe has no trail.
    let mut top = NewTag {
        name: "Europe".into(),
        ..NewTag::default()
    };
    store.update_tag(europe, &top).await.unwrap();
    let europe_tag = store.tag_by_slug("europe").await.unwrap().unwrap();
    assert!(store.tag_ancestors(&europe_tag).await.unwrap().is_empty());
    top.parent_id = Some(world);
    store.update_tag(europe, &top).await.unwrap();
    assert_eq!(store.tag_children(world).await.unwrap().len(), 1);
});
