//! Importing real WordPress exports (the Theme Unit Test data and a theme preview), and refusing
//! damaged ones before anything is written; on SQLite always and on PostgreSQL when
//! TIDINGS_TEST_DATABASE_URL is set.

use std::path::{Path, PathBuf};

use tidings_import::wordpress::{import, plan, ImportError, Options};
use tidings_store::{each_backend, Store};

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/wordpress")
        .join(name)
}

fn options() -> Options {
    Options {
        timezone: chrono_tz::UTC,
        uploads: None,
    }
}

async fn articles(store: &Store) -> usize {
    store
        .admin_articles(&Default::default())
        .await
        .unwrap()
        .len()
}

#[test]
fn the_theme_unit_test_file_is_counted_by_kind_and_status() {
    // Counts read off the file with Python's ElementTree (see the test data's README).
    let p = plan(&testdata("themeunittestdata.wordpress.xml")).unwrap();
    assert_eq!(p.version, "1.2");
    assert_eq!(p.blog_url, "https://wpthemetestdata.wordpress.com");
    assert_eq!((p.authors, p.categories, p.tags), (2, 67, 110));
    assert_eq!(p.count("post", "publish"), 49);
    assert_eq!(p.count("post", "draft"), 1);
    assert_eq!(p.count("post", "future"), 1);
    assert_eq!(p.count("page", "publish"), 21);
    assert_eq!(p.count("attachment", "inherit"), 38);
    assert_eq!(p.count("nav_menu_item", "publish"), 70);
    assert_eq!(p.protected, 1);
    assert_eq!(p.comments, 32);
    assert_eq!(p.content(), 72);
}

each_backend!(
    the_theme_unit_test_data_comes_in_and_every_old_address_leads_to_it,
    |store| {
        let file = testdata("themeunittestdata.wordpress.xml");
        let (_, report) = import(&file, &store, &options(), &|_, _| {}).await.unwrap();
        assert_eq!(report.created, 72, "{:#?}", report.notes);
        assert_eq!(report.updated, 0);
        assert_eq!(report.authors_created, 2);
        assert_eq!(articles(&store).await, 72);
        // Published posts are public at their new address, and their old permalink leads there.
        let post = store
            .published_by_slug("markup-html-tags-and-formatting")
            .await
            .unwrap()
            .expect("a published post");
        assert_eq!(post.title, "Markup: HTML Tags and Formatting");
        assert_eq!(
            store
                .redirect_target("/2013/01/11/markup-html-tags-and-formatting/")
                .await
                .unwrap()
                .as_deref(),
            Some("/markup-html-tags-and-formatting/")
        );
        assert_eq!(
            store.redirect_target("/?p=1178").await.unwrap().as_deref(),
            Some("/markup-html-tags-and-formatting/")
        );
        // Its first category is its section; categories' old listings lead to their tags.
        assert_eq!(
            store
                .redirect_target("/category/markup/")
                .await
                .unwrap()
                .as_deref(),
            Some("/tag/markup/")
        );
        // Nested categories stay nested: the grandchild's listing names its broader sections.
        let grandchild = store
            .tag_by_slug("grandchild-category")
            .await
            .unwrap()
            .unwrap();
        let trail: Vec<String> = store
            .tag_ancestors(&grandchild)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.slug)
            .collect();
        assert_eq!(trail, ["parent-category", "child-category-03"]);
        let parent = store.tag_by_slug("parent-category").await.unwrap().unwrap();
        assert_eq!(store.tag_children(parent.id).await.unwrap().len(), 5);
        // The untitled post has a title from its date, and is public.
        assert!(
            report.notes.iter().any(|n| n.contains("untitled")),
            "{:#?}",
            report.notes
        );
        // The draft, the scheduled post and the password-protected one are not public.
        for slug in ["draft", "scheduled", "template-password-protected"] {
            assert!(
                store.published_by_slug(slug).await.unwrap().is_none(),
                "{slug} is public"
            );
        }
        assert!(report
            .notes
            .iter()
            .any(|n| n.contains("password-protected")));
        // Greek addresses are kept, and their old (nested, percent-encoded) permalinks lead there.
        let greek = store.published_by_slug("επίπεδο-2").await.unwrap();
        assert_eq!(
            greek.map(|a| a.title).as_deref(),
            Some("Επίπεδο 2 -Second Greek level")
        );
        assert_eq!(
            store
                .redirect_target("/greek/επίπεδο-2/")
                .await
                .unwrap()
                .as_deref(),
            Some("/επίπεδο-2/")
        );
        assert!(report.redirects > 72);

        // Importing again updates what is there instead of duplicating it.
        let (_, again) = import(&file, &store, &options(), &|_, _| {}).await.unwrap();
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 72));
        assert_eq!(articles(&store).await, 72);
    }
);

each_backend!(a_theme_preview_export_comes_in, |store| {
    let (p, report) = import(
        &testdata("theme-preview.xml"),
        &store,
        &options(),
        &|_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(p.count("post", "publish"), 7);
    assert_eq!(report.created, 7);
});

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:wp=\"http://wordpress.org/export/1.2/\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n<channel>\n<wp:wxr_version>1.2</wp:wxr_version>\n";

fn item(id: u32, guid: &str) -> String {
    format!("<item><title>Story {id}</title><guid>{guid}</guid><wp:post_id>{id}</wp:post_id><wp:post_type>post</wp:post_type><wp:status>publish</wp:status><wp:post_name>story-{id}</wp:post_name><wp:post_date_gmt>2020-01-02 03:04:05</wp:post_date_gmt><content:encoded><![CDATA[Body {id}]]></content:encoded></item>\n")
}

each_backend!(
    damaged_files_are_refused_with_their_place_and_nothing_is_written,
    |store| {
        let dir = tempfile::tempdir().unwrap();
        let good = format!("{HEAD}{}{}</channel></rss>", item(1, "g1"), item(2, "g2"));
        let cases: Vec<(&str, String, &str)> = vec![
        (
            "truncated.xml",
            good[..good.len() - 40].to_string(),
            "line",
        ),
        (
            "latin1.xml",
            good.replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\""),
            "encoding iso-8859-1",
        ),
        (
            "duplicate.xml",
            format!("{HEAD}{}{}</channel></rss>", item(1, "same"), item(1, "same")),
            "post 1 (GUID same) appears twice",
        ),
        (
            "newer.xml",
            good.replace("<wp:wxr_version>1.2<", "<wp:wxr_version>1.3<"),
            "WXR version 1.3",
        ),
        (
            "nesting.xml",
            format!(
                "{HEAD}{}{}{}</channel></rss>",
                item(1, "g1"),
                "<x>".repeat(10_000),
                "</x>".repeat(10_000)
            ),
            "nested deeper than 64",
        ),
        (
            "entities.xml",
            format!(
                "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>\n{}",
                good.split_once('\n').unwrap().1.replace("Body 1", "&c;")
            ),
            "DOCTYPE",
        ),
        (
            "not-wxr.xml",
            "<?xml version=\"1.0\"?>\n<html><body>hello</body></html>".to_string(),
            "not a WordPress export",
        ),
    ];
        for (name, body, expected) in cases {
            let path = write(dir.path(), name, &body);
            let err = import(&path, &store, &options(), &|_, _| {})
                .await
                .expect_err(name);
            let text = err.to_string();
            assert!(text.contains(expected), "{name}: {text}");
            if matches!(err, ImportError::File(_)) {
                assert!(text.starts_with("line "), "{name}: {text}");
            }
            assert_eq!(articles(&store).await, 0, "{name} wrote something");
        }
        // The same file, whole, imports; what the store would refuse is adjusted and reported.
        let long = "A headline that goes on ".repeat(20);
        let awkward = item(3, "g3")
            .replace("<title>Story 3</title>", &format!("<title>{long}</title>"))
            .replace(
                "<wp:status>publish</wp:status>",
                "<wp:status>future</wp:status>",
            )
            .replace(
                "<wp:post_date_gmt>2020-01-02 03:04:05</wp:post_date_gmt>",
                "",
            );
        let good = good.replace("</channel>", &format!("{awkward}</channel>"));
        let path = write(dir.path(), "good.xml", &good);
        let (_, report) = import(&path, &store, &options(), &|_, _| {}).await.unwrap();
        assert_eq!(report.created, 3, "{:#?}", report.notes);
        let noted = |s: &str| report.notes.iter().any(|n| n.contains(s));
        assert!(noted("title shortened"), "{:#?}", report.notes);
        assert!(noted("imported as a draft"), "{:#?}", report.notes);
    }
);

/// A real 640×400 PNG.
fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 400, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

each_backend!(uploads_come_in_through_the_media_pipeline, |store| {
    let dir = tempfile::tempdir().unwrap();
    let uploads = dir.path().join("uploads");
    std::fs::create_dir_all(uploads.join("2020/01")).unwrap();
    std::fs::write(uploads.join("2020/01/harbour.png"), png()).unwrap();
    std::fs::write(uploads.join("2020/01/notes.png"), b"not an image").unwrap();
    let media = dir.path().join("media");
    let old = "https://old.example/wp-content/uploads/2020/01";
    let wxr = format!(
        "{HEAD}<item><title>Harbour</title><guid>g1</guid><wp:post_id>1</wp:post_id><wp:post_type>post</wp:post_type><wp:status>publish</wp:status><wp:post_name>harbour</wp:post_name><wp:post_date_gmt>2020-01-02 03:04:05</wp:post_date_gmt><content:encoded><![CDATA[<img src=\"{old}/harbour.png\" alt=\"Boats\">\n\nSee <a href=\"{old}/notes.png\">notes</a> and <img src=\"{old}/missing.png\">]]></content:encoded><wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>2</wp:meta_value></wp:postmeta></item>\n<item><title>harbour</title><guid>g2</guid><wp:post_id>2</wp:post_id><wp:post_type>attachment</wp:post_type><wp:status>inherit</wp:status><wp:post_parent>1</wp:post_parent><wp:attachment_url>{old}/harbour.png</wp:attachment_url></item>\n</channel></rss>"
    );
    let file = write(dir.path(), "site.xml", &wxr);
    let options = Options {
        timezone: chrono_tz::UTC,
        uploads: Some((uploads, media.clone())),
    };
    let (_, report) = import(&file, &store, &options, &|_, _| {}).await.unwrap();
    let story = store.published_by_slug("harbour").await.unwrap().unwrap();
    // The featured image (an attachment that comes after its post) is the library copy.
    let path = story.feature_image.path.clone();
    assert!(
        path.starts_with("uploads/") && path.ends_with(".png"),
        "{path}"
    );
    assert!(media.join(&path).exists());
    assert_eq!(
        (story.feature_image.width, story.feature_image.height),
        (640, 400)
    );
    // The body points at the copy; what could not come in stays a link and is reported.
    assert!(
        story.body_html.contains(&format!("/media/{path}")),
        "{}",
        story.body_html
    );
    assert!(
        story.body_html.contains(&format!("{old}/missing.png")),
        "{}",
        story.body_html
    );
    assert!(
        report.notes.iter().any(|n| n.contains("notes.png")),
        "{:#?}",
        report.notes
    );
    assert!(
        report.notes.iter().any(|n| n.contains("missing.png")),
        "{:#?}",
        report.notes
    );
    // One file, one copy, however often it is used, and however often the file is imported.
    assert_eq!(store.list_media(10).await.unwrap().len(), 1);
    let (_, again) = import(&file, &store, &options, &|_, _| {}).await.unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 1));
    assert_eq!(store.list_media(10).await.unwrap().len(), 1);
    let story = store.published_by_slug("harbour").await.unwrap().unwrap();
    assert_eq!(story.feature_image.path, path);
});

each_backend!(
    an_import_that_fails_midway_takes_back_what_it_wrote,
    |store| {
        let dir = tempfile::tempdir().unwrap();
        let tagged = |n: u32| {
            item(n, &format!("g{n}")).replace(
            "</item>",
            &format!("<category domain=\"category\" nicename=\"topic-{n}\"><![CDATA[Topic {n}]]></category></item>"),
        )
        };
        // The first story carries an image from the old site's uploads folder.
        let uploads = dir.path().join("uploads");
        std::fs::create_dir_all(uploads.join("2020/01")).unwrap();
        std::fs::write(uploads.join("2020/01/harbour.png"), png()).unwrap();
        let media = dir.path().join("media");
        let with_image = tagged(1).replace(
            "Body 1",
            "<img src=\"https://old.example/wp-content/uploads/2020/01/harbour.png\" alt=\"Boats\">",
        );
        let wxr = format!(
        "{HEAD}<wp:author><wp:author_login>ana</wp:author_login><wp:author_display_name>Ana</wp:author_display_name></wp:author>{}{}{}</channel></rss>",
        with_image,
        tagged(2),
        tagged(3)
    );
        let path = write(dir.path(), "site.xml", &wxr);
        let options = Options {
            timezone: chrono_tz::UTC,
            uploads: Some((uploads, media.clone())),
        };
        let files_in = |dir: &Path| -> usize {
            let mut n = 0;
            let mut stack = vec![dir.to_path_buf()];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                    if e.path().is_dir() {
                        stack.push(e.path());
                    } else {
                        n += 1;
                    }
                }
            }
            n
        };
        // The database gives out at the third story (as a full disk would).
        let trigger = match store.backend() {
        tidings_store::Backend::Sqlite => "CREATE TRIGGER fail_third BEFORE INSERT ON articles \
             WHEN NEW.title = 'Story 3' BEGIN SELECT RAISE(ABORT, 'disk full'); END;"
            .to_string(),
        tidings_store::Backend::Postgres => "CREATE FUNCTION fail_third() RETURNS trigger AS $$ \
             BEGIN IF NEW.title = 'Story 3' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END \
             $$ LANGUAGE plpgsql; CREATE TRIGGER fail_third BEFORE INSERT ON articles \
             FOR EACH ROW EXECUTE FUNCTION fail_third();"
            .to_string(),
    };
        tidings_store::testing::execute(&store, &trigger)
            .await
            .unwrap();
        let err = import(&path, &store, &options, &|_, _| {})
            .await
            .expect_err("the third story fails");
        assert!(matches!(err, ImportError::RolledBack(_)), "{err}");
        assert!(
            err.to_string()
                .contains("nothing from this import was kept"),
            "{err}"
        );
        assert_eq!(articles(&store).await, 0);
        assert!(store.list_tags().await.unwrap().is_empty());
        assert!(store.list_authors().await.unwrap().is_empty());
        assert!(store.redirects(10).await.unwrap().is_empty());
        // The image's copies went with the run that made them.
        assert!(store.list_media(10).await.unwrap().is_empty());
        assert_eq!(files_in(&media), 0);
        // Once the disk has room again, the same file imports whole.
        let drop = match store.backend() {
            tidings_store::Backend::Sqlite => "DROP TRIGGER fail_third;",
            tidings_store::Backend::Postgres => "DROP TRIGGER fail_third ON articles;",
        };
        tidings_store::testing::execute(&store, drop).await.unwrap();
        let (_, report) = import(&path, &store, &options, &|_, _| {}).await.unwrap();
        assert_eq!((report.created, report.updated), (3, 0));
        assert_eq!(store.list_media(10).await.unwrap().len(), 1);
        assert!(files_in(&media) > 0);
    }
);
