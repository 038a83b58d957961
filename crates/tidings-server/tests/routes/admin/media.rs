use image::codecs::jpeg::JpegEncoder;
use image::{ImageBuffer, Rgb};
use tidings_accounts::Role;

use crate::server_test;
use crate::support::browser::{account, Browser, Part, PASSWORD};
use crate::support::Options;

fn photo(w: u32, h: u32) -> Vec<u8> {
    let img = ImageBuffer::from_fn(w, h, |x, y| {
        Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 255) as u8])
    });
    let mut out = Vec::new();
    img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
        .unwrap();
    // An EXIF block with a location, as phones write.
    let payload = b"Exif\0\0MM\0*GPSLatitude 51.5072 N";
    let len = (payload.len() + 2) as u16;
    let mut with_exif = vec![0xFF, 0xD8, 0xFF, 0xE1];
    with_exif.extend_from_slice(&len.to_be_bytes());
    with_exif.extend_from_slice(payload);
    with_exif.extend_from_slice(&out[2..]);
    with_exif
}

async fn upload(b: &mut Browser, name: &str, bytes: &[u8]) -> (u16, Option<String>, String) {
    let parts = [
        Part::Field("alt", "Boats in the harbour"),
        Part::File("file", name, bytes),
    ];
    let page = b.post_multipart("/admin/media", &parts).await;
    (page.status, page.location, page.body)
}

server_test!(
    uploads_are_validated_stripped_resized_and_used_in_articles,
    Options::default(),
    |app| {
        account(&app.store, "photo@example.org", Role::Author).await;
        let mut b = Browser::new(&app.base);
        b.sign_in("photo@example.org", PASSWORD).await;
        b.get("/admin/media").await;

        let (status, _, body) = upload(&mut b, "notes.jpg", b"just some text, not a picture").await;
        assert_eq!(status, 422);
        assert!(
            body.contains("not a JPEG, PNG, WebP or GIF"),
            "type is checked by content, not name"
        );

        let bomb = tidings_media::testing::png_claiming(30_000, 30_000);
        let (status, _, body) = upload(&mut b, "bomb.png", &bomb).await;
        assert_eq!(status, 422);
        assert!(body.contains("30000×30000"), "{body}");

        let (status, _, body) = upload(&mut b, "huge.jpg", &vec![0xFFu8; 17 * 1024 * 1024]).await;
        assert_eq!(status, 422);
        assert!(
            body.contains("larger than 15 MB") && body.contains("name=\"file\""),
            "the form, with the limit"
        );
        assert!(
            app.store.list_media(10).await.unwrap().is_empty(),
            "nothing saved from refused uploads"
        );

        let (status, location, _) = upload(&mut b, "Harbour Boats.JPG", &photo(1000, 600)).await;
        assert_eq!(status, 303, "{location:?}");
        let media = app.store.list_media(10).await.unwrap();
        assert_eq!(media.len(), 1);
        let m = &media[0];
        assert!(
            m.path.starts_with("uploads/")
                && m.path.contains("harbour-boats-")
                && m.path.ends_with(".jpg"),
            "{}",
            m.path
        );
        assert_eq!(
            (m.width, m.height, m.widths.clone()),
            (1000, 600, vec![480, 800])
        );
        let stored = app
            .get(&format!("/media/{}", m.path))
            .await
            .bytes()
            .await
            .unwrap();
        assert_eq!(&stored[..2], &[0xFF, 0xD8]);
        assert!(
            !stored.windows(11).any(|w| w == b"GPSLatitude"),
            "location data removed"
        );
        let variant = m.path.replace(".jpg", "-480w.jpg");
        assert_eq!(app.get(&format!("/media/{variant}")).await.status(), 200);

        // The editor takes the image by its path; dimensions come from the library.
        b.get("/admin/articles/new").await;
        let saved = b
            .post(
                "/admin/articles/new",
                &[
                    ("title", "Boats return"),
                    ("body", "Text."),
                    ("image_path", &m.path),
                    ("image_alt", "Boats in the harbour"),
                    ("action", "publish"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303);
        let page = app.text("/boats-return/").await;
        assert!(page.contains(&format!("src=\"/media/{}\"", m.path)));
        assert!(page.contains("-480w.jpg 480w") && page.contains("width=\"1000\" height=\"600\""));
        let missing = b
            .post(
                "/admin/articles/new",
                &[
                    ("title", "No image"),
                    ("image_path", "uploads/nope.jpg"),
                    ("image_alt", "x"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(missing.status, 422);
    }
);
