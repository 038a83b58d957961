//! The AVIF job: which images it takes, what it writes beside them, and how articles showing
//! them learn of the new copies.

use std::path::Path;
use std::time::Duration;

use image::{ImageBuffer, Rgb, Rgba};
use tidings_jobs::avif::make_waiting;
use tidings_store::{each_backend, FeatureImage, Media, NewArticle, Store};

/// A photograph-like picture: smooth light, some texture.
fn photo(w: u32, h: u32) -> image::RgbImage {
    ImageBuffer::from_fn(w, h, |x, y| {
        let ripple = ((x as f32 / 9.0).sin() * (y as f32 / 7.0).cos() * 18.0) as i32;
        let shade = |base: i32| (base + ripple).clamp(0, 255) as u8;
        Rgb([
            shade(60 + (x * 120 / w) as i32),
            shade(110 + (y * 90 / h) as i32),
            shade(170),
        ])
    })
}

/// Files an image in the library as an upload does.
async fn file(
    store: &Store,
    dir: &Path,
    name: &str,
    processed: &tidings_media::Processed,
) -> Media {
    let now = chrono::Utc::now();
    let stem = format!("uploads/2026/12/{name}");
    tidings_media::library::write_files(processed, dir, &stem).unwrap();
    let record = tidings_media::library::record(processed, &stem, name, "", now);
    store.create_media(&record, None).await.unwrap()
}

each_backend!(
    photos_get_avif_copies_and_their_articles_offer_them,
    |store| {
        let dir = tempfile::tempdir().unwrap();
        let media_dir = dir.path();
        let graphic = {
            let flat = ImageBuffer::from_pixel(300, 200, Rgba([20u8, 120, 200, 255]));
            let mut png = Vec::new();
            flat.write_with_encoder(image::codecs::png::PngEncoder::new(&mut png))
                .unwrap();
            tidings_media::process(&png).unwrap()
        };
        let graphic = file(&store, media_dir, "chart", &graphic).await;
        let harbour = tidings_media::process_photo(photo(1000, 560)).unwrap();
        assert!(harbour.webp);
        let harbour = file(&store, media_dir, "harbour", &harbour).await;
        assert!(!harbour.avif);
        let mut new = NewArticle::published("Ferry returns", "The ferry is back.");
        new.feature_image = FeatureImage {
            alt: "The ferry at the pier".into(),
            ..harbour.feature_image()
        };
        let story = store.create_article(&new).await.unwrap();
        assert!(!story.feature_image.avif);
        let before = store.generation().await.unwrap();

        // The photo is taken; the graphic (PNG) never is.
        let next = store.next_media_for_avif().await.unwrap().unwrap();
        assert_eq!(next.id, harbour.id);
        make_waiting(&store, media_dir, Duration::from_secs(60))
            .await
            .unwrap();
        assert!(store.next_media_for_avif().await.unwrap().is_none());
        assert!(!store.media_by_id(graphic.id).await.unwrap().unwrap().avif);

        // A copy at every width, each an AVIF file smaller than its WebP twin.
        assert!(store.media_by_id(harbour.id).await.unwrap().unwrap().avif);
        let stem = harbour.path.trim_end_matches(".jpg");
        for suffix in ["-480w", "-800w", ""] {
            let avif = std::fs::read(media_dir.join(format!("{stem}{suffix}.avif"))).unwrap();
            assert_eq!(&avif[4..12], b"ftypavif", "{suffix}: an AVIF file");
            let webp = std::fs::metadata(media_dir.join(format!("{stem}{suffix}.webp"))).unwrap();
            assert!(
                (avif.len() as u64) < webp.len(),
                "{suffix}: smaller than the WebP"
            );
        }

        // The story shows them from its next page (the content generation moved), and a story
        // saved afterwards with the same image has them from the start.
        let story = store.article_by_id(story.id).await.unwrap().unwrap();
        assert!(story.feature_image.avif);
        assert!(store.generation().await.unwrap() > before);
        let mut later = NewArticle::published("Ferry timetable", "Twice an hour.");
        later.feature_image = FeatureImage {
            alt: "The ferry at the pier".into(),
            avif: false,
            ..harbour.feature_image()
        };
        assert!(
            store
                .create_article(&later)
                .await
                .unwrap()
                .feature_image
                .avif
        );
    }
);

each_backend!(
    a_photo_whose_files_are_gone_does_not_hold_up_the_next,
    |store| {
        let dir = tempfile::tempdir().unwrap();
        let media_dir = dir.path();
        let first = tidings_media::process_photo(photo(600, 340)).unwrap();
        let first = file(&store, media_dir, "first", &first).await;
        let second = tidings_media::process_photo(photo(600, 340)).unwrap();
        let second = file(&store, media_dir, "second", &second).await;
        // The newest is tried first; its files were removed by hand.
        std::fs::remove_file(media_dir.join(&second.path)).unwrap();
        make_waiting(&store, media_dir, Duration::from_secs(60))
            .await
            .unwrap();
        assert!(!store.media_by_id(second.id).await.unwrap().unwrap().avif);
        assert!(store.media_by_id(first.id).await.unwrap().unwrap().avif);
        assert!(
            store.next_media_for_avif().await.unwrap().is_none(),
            "neither is tried again"
        );
        // Nothing was lost: the first photo's JPEG and WebP are still there beside the AVIF.
        let stem = first.path.trim_end_matches(".jpg");
        for ext in ["jpg", "webp", "avif"] {
            assert!(media_dir.join(format!("{stem}.{ext}")).exists(), "{ext}");
        }
    }
);
