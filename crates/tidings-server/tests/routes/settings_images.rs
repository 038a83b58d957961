//! The outlet's images: a logo for light and dark backgrounds, an icon made in every size, a
//! default share image; SVG refused, an empty file field keeping what is there, removal.

use image::{ImageBuffer, Rgba};
use tidings_accounts::Role;

use crate::server_test;
use crate::support::browser::{account, Browser, Part, PASSWORD};
use crate::support::Options;

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = ImageBuffer::from_fn(w, h, |x, y| {
        Rgba([(x % 200) as u8, 30, (y % 200) as u8, 255])
    });
    let mut out = Vec::new();
    img.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
        .unwrap();
    out
}

/// Posts the images form: (field, file name, bytes) parts, plus `remove` values.
async fn post_images(
    b: &mut Browser,
    files: &[(&str, &str, &[u8])],
    remove: &[&str],
) -> (u16, String) {
    let mut parts: Vec<Part> = files.iter().map(|(f, n, b)| Part::File(f, n, b)).collect();
    parts.extend(remove.iter().map(|v| Part::Field("remove", v)));
    let page = b.post_multipart("/admin/settings/images", &parts).await;
    (page.status, page.body)
}

server_test!(
    logos_icons_and_the_share_image_from_the_site_page,
    Options::default(),
    |app| {
        account(&app.store, "owner@example.org", Role::Owner).await;
        account(&app.store, "ed@example.org", Role::Editor).await;
        let mut editor = Browser::new(&app.base);
        editor.sign_in("ed@example.org", PASSWORD).await;
        editor.get("/admin/").await;
        let (status, _) =
            post_images(&mut editor, &[("logo_light", "l.png", &png(60, 20))], &[]).await;
        assert_eq!(status, 403);

        let mut owner = Browser::new(&app.base);
        owner.sign_in("owner@example.org", PASSWORD).await;
        owner.get("/admin/settings").await;
        let svg = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>";
        let (status, body) = post_images(&mut owner, &[("logo_light", "logo.svg", svg)], &[]).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("logo.svg: SVG files are not accepted"),
            "{body}"
        );
        let (status, body) = post_images(
            &mut owner,
            &[("site_icon", "icon.png", b"not an image")],
            &[],
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            body.contains("icon.png: This file is not a JPEG, PNG, WebP or GIF image."),
            "{body}"
        );
        assert_eq!(app.store.settings().await.unwrap().get("logo_light"), "");

        let (status, body) = post_images(
            &mut owner,
            &[
                ("logo_light", "logo.png", &png(600, 120)),
                ("logo_dark", "logo-dark.png", &png(600, 120)),
                ("site_icon", "icon.png", &png(640, 600)),
                ("share_image", "share.png", &png(1200, 630)),
            ],
            &[],
        )
        .await;
        assert_eq!(status, 303, "{body}");
        let settings = app.store.settings().await.unwrap();
        let (logo, icon, share) = (
            settings.get("logo_light").to_string(),
            settings.get("site_icon").to_string(),
            settings.get("share_image").to_string(),
        );
        assert!(
            logo.starts_with("site/logo-light-") && logo.ends_with(".png"),
            "{logo}"
        );
        for size in [32, 180, 192, 512] {
            let file = app
                .data_dir
                .join("media")
                .join(format!("{icon}-{size}.png"));
            let img = image::open(&file).unwrap();
            assert_eq!(
                (img.width(), img.height()),
                (size, size),
                "{}",
                file.display()
            );
        }
        assert!(
            app.eventually("/", std::time::Duration::from_secs(5), |b| b
                .contains("brand-logo"))
                .await
        );
        let home = app.text("/").await;
        assert!(
            home.contains(&format!(
                "<img class=\"brand-logo\" src=\"/media/{logo}\" alt=\"Test Ledger\">"
            )),
            "{home}"
        );
        assert!(home.contains("media=\"(prefers-color-scheme: dark)\""));
        assert!(home.contains(&format!(
            "<link rel=\"apple-touch-icon\" href=\"/media/{icon}-180.png\">"
        )));
        assert!(home.contains(&format!(
            "<meta property=\"og:image\" content=\"http://news.test/media/{share}\">"
        )));
        assert_eq!(app.get(&format!("/media/{logo}")).await.status(), 200);

        // An empty file field keeps the image; "remove" takes it away.
        let (status, _) = post_images(&mut owner, &[("logo_light", "", b"")], &["logo_dark"]).await;
        assert_eq!(status, 303);
        let settings = app.store.settings().await.unwrap();
        assert_eq!(settings.get("logo_light"), logo);
        assert_eq!(settings.get("logo_dark"), "");
        let log = app.store.audit_log(10).await.unwrap();
        assert!(log
            .iter()
            .any(|e| e.action == "settings.images" && e.subject.contains("logo_dark")));
    }
);
