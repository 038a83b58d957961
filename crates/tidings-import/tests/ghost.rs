//! Ghost's JSON export on both engines: posts (from HTML or Lexical), tags and authors at the
//! addresses Ghost used, a second run that updates, and damaged files refused whole.

use std::path::{Path, PathBuf};

use tidings_import::ghost::{import, plan, GhostError};
use tidings_store::{each_backend, Store};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/ghost")
        .join(name)
}

/// Posts per status and tags, counted from the file with a plain JSON reader.
fn expected(name: &str) -> (usize, usize, usize) {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(data(name)).unwrap()).unwrap();
    let d = v.get("db").map(|db| &db[0]["data"]).unwrap_or(&v["data"]);
    let posts = d["posts"].as_array().unwrap();
    let published = posts
        .iter()
        .filter(|p| p["status"] == "published" && p["visibility"] == "public")
        .count();
    (posts.len(), published, d["tags"].as_array().unwrap().len())
}

async fn published(store: &Store) -> usize {
    store.latest(1000, 0).await.unwrap().total as usize
}

each_backend!(a_ghost_export_comes_in_at_its_own_addresses, |store| {
    let (posts, public, tags) = expected("ghost.json");
    let p = plan(&data("ghost.json")).unwrap();
    assert_eq!(p.version, "2.0.0");
    assert_eq!(p.posts.values().sum::<usize>() + p.pages, posts);
    let report = import(&store, &p, None).await.unwrap();
    assert_eq!((report.created, report.updated), (posts, 0));
    assert_eq!(report.tags_created, tags);
    assert_eq!(report.authors_created, 2);
    assert_eq!(published(&store).await, public);
    // From HTML, tagged and bylined as in Ghost.
    let one = store.published_by_slug("post-1").await.unwrap().unwrap();
    assert!(one.body_html.contains("Hello world"), "{}", one.body_html);
    assert_eq!(
        one.primary_tag.as_ref().map(|t| t.slug.as_str()),
        Some("news")
    );
    assert_eq!(one.authors[0].slug, "alice-johnson");
    // From Lexical, where the export has no HTML.
    let three = store
        .published_by_slug("post-3-lexical")
        .await
        .unwrap()
        .unwrap();
    assert!(
        three
            .body_html
            .contains("https://example.com/images/lexical-image.jpg"),
        "{}",
        three.body_html
    );
    assert_eq!(
        store
            .redirect_target("/post-1/amp/")
            .await
            .unwrap()
            .as_deref(),
        Some("/post-1/")
    );
    assert!(report
        .notes
        .iter()
        .any(|n| n.contains("feature image kept at")));
    // Again: updated, not duplicated.
    let again = import(&store, &plan(&data("ghost.json")).unwrap(), None)
        .await
        .unwrap();
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, posts)
    );
    assert_eq!(published(&store).await, public);
});

each_backend!(the_flat_layout_and_member_only_posts, |store| {
    let p = plan(&data("ghost-flat.json")).unwrap();
    import(&store, &p, None).await.unwrap();
    assert!(store
        .published_by_slug("flat-format-post")
        .await
        .unwrap()
        .is_some());
    // A members-only post and one sent by email only stay unpublished, and are listed.
    let text = std::fs::read_to_string(data("ghost-flat.json")).unwrap();
    let members = text
        .replacen("\"flat-format-post\"", "\"members-post\"", 1)
        .replacen("\"abc123\"", "\"abc124\"", 1)
        .replacen("\"visibility\": \"public\"", "\"visibility\": \"paid\"", 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("members.json");
    std::fs::write(&path, members).unwrap();
    let report = import(&store, &plan(&path).unwrap(), None).await.unwrap();
    assert!(store
        .published_by_slug("members-post")
        .await
        .unwrap()
        .is_none());
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("for paid only in Ghost")),
        "{:#?}",
        report.notes
    );
});

fn refused(name: &str, body: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, body).unwrap();
    match plan(&path) {
        Err(GhostError::File(msg)) => msg,
        Ok(_) => panic!("{name} was not refused"),
        Err(e) => panic!("{name}: {e}"),
    }
}

#[test]
fn damaged_or_foreign_files_are_refused_with_their_place() {
    let good = std::fs::read_to_string(data("ghost.json")).unwrap();
    let msg = refused("cut.json", &good[..good.len() / 2]);
    assert!(
        msg.contains("EOF while parsing") && msg.contains("line"),
        "{msg}"
    );
    let msg = refused(
        "status.json",
        &good.replacen("\"status\": \"published\"", "\"status\": \"archived\"", 1),
    );
    assert!(msg.contains("unknown status `archived`"), "{msg}");
    let msg = refused("other.json", "{\"posts\": []}");
    assert!(msg.contains("not a Ghost export"), "{msg}");
    let lexical = good.replacen("{\\\"root\\\"", "{\\\"rot\\\"", 1);
    let msg = refused("lexical.json", &lexical);
    assert!(msg.contains("Lexical body has no root"), "{msg}");
}

each_backend!(ghost_images_come_in_when_the_folder_is_given, |store| {
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path().join("images");
    std::fs::create_dir_all(images.join("2024/01")).unwrap();
    let img = image::RgbImage::from_fn(320, 200, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png).unwrap();
    std::fs::write(images.join("2024/01/harbour.png"), png.into_inner()).unwrap();
    let text = std::fs::read_to_string(data("ghost-flat.json"))
        .unwrap()
        .replace(
            "https://example.com/images/flat-feature.jpg",
            "__GHOST_URL__/content/images/2024/01/harbour.png",
        )
        .replace(
            "https://example.com/images/flat-post.jpg",
            "__GHOST_URL__/content/images/2024/01/harbour.png",
        );
    let path = dir.path().join("site.json");
    std::fs::write(&path, text).unwrap();
    let media = dir.path().join("media");
    import(&store, &plan(&path).unwrap(), Some((images, media.clone())))
        .await
        .unwrap();
    let post = store
        .published_by_slug("flat-format-post")
        .await
        .unwrap()
        .unwrap();
    let copy = post.feature_image.path.clone();
    assert!(
        copy.starts_with("uploads/") && media.join(&copy).exists(),
        "{copy}"
    );
    assert!(
        post.body_html.contains(&format!("/media/{copy}")),
        "{}",
        post.body_html
    );
    assert_eq!(store.list_media(10).await.unwrap().len(), 1);
});
