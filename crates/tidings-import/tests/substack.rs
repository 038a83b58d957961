//! Substack's export (folder or zip) on both engines: published posts, pages and podcasts with
//! their dates, drafts as drafts, paid posts held back and listed, widgets cleaned out, old `/p/`
//! addresses redirected, a second run that updates, and damaged exports refused whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use tidings_import::substack::{import, plan, SubstackError};
use tidings_store::each_backend;

fn export_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/substack/export")
}

/// The export zipped, the way Substack hands it out.
fn zipped(dir: &Path) -> PathBuf {
    let path = dir.join("export.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("posts.csv", options).unwrap();
    zip.write_all(&std::fs::read(export_dir().join("posts.csv")).unwrap())
        .unwrap();
    for entry in std::fs::read_dir(export_dir().join("posts")).unwrap() {
        let entry = entry.unwrap();
        zip.start_file(
            format!("posts/{}", entry.file_name().to_string_lossy()),
            options,
        )
        .unwrap();
        zip.write_all(&std::fs::read(entry.path()).unwrap())
            .unwrap();
    }
    zip.finish().unwrap();
    path
}

/// Rows of posts.csv by (is_published, audience), read with a plain CSV reader.
fn rows() -> Vec<(bool, String, String)> {
    let mut r = csv::Reader::from_path(export_dir().join("posts.csv")).unwrap();
    r.records()
        .map(|row| {
            let row = row.unwrap();
            (
                &row[2] == "true",
                row[6].to_string(),
                row[0].split_once('.').unwrap().1.to_string(),
            )
        })
        .collect()
}

each_backend!(a_substack_export_comes_in_cleaned_and_redirected, |store| {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows();
    let p = plan(&zipped(dir.path())).unwrap();
    assert_eq!(p.posts.len(), rows.len());
    let report = import(&store, &p).await.unwrap();
    assert_eq!((report.created, report.updated), (rows.len(), 0));
    for (published, audience, slug) in &rows {
        let public = store.published_by_slug(slug).await.unwrap();
        assert_eq!(
            public.is_some(),
            *published && audience == "everyone",
            "{slug} ({audience})"
        );
    }
    let first = store
        .published_by_slug("why-a-harbor-newsletter")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first.published_at.unwrap().to_rfc3339(),
        "2024-02-06T13:00:41+00:00"
    );
    assert_eq!(
        first.dek,
        "Three reporters, one inbox, and a promise about the tide tables"
    );
    let body = &first.body_html;
    assert!(
        body.contains("Fishing boats tied up at the east pier"),
        "{body}"
    );
    assert!(!body.contains("Type your email"), "{body}");
    assert!(!body.contains("reader-supported"), "{body}");
    assert!(!body.contains(">Share<"), "{body}");
    let podcast = store
        .published_by_slug("harbor-hour-episode-3")
        .await
        .unwrap()
        .unwrap();
    assert!(
        podcast.body_html.contains("Listen to the episode") && podcast.body_html.contains(".mp3"),
        "{}",
        podcast.body_html
    );
    assert!(podcast.body_html.contains("Episode 3 is out"));
    assert_eq!(
        store
            .redirect_target("/p/why-a-harbor-newsletter")
            .await
            .unwrap()
            .as_deref(),
        Some("/why-a-harbor-newsletter/")
    );
    assert!(report
        .notes
        .iter()
        .any(|n| n.contains("council-budget-explained") && n.contains("paid")));
    // The same export as a folder: updated, not duplicated.
    let again = import(&store, &plan(&export_dir()).unwrap()).await.unwrap();
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, rows.len())
    );
});

fn refused(path: &Path) -> String {
    match plan(path) {
        Err(SubstackError::File(msg)) => msg,
        Ok(_) => panic!("{} was not refused", path.display()),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn damaged_exports_are_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let copy = |name: &str, csv: &str, drop_body: Option<&str>| {
        let d = dir.path().join(name);
        std::fs::create_dir_all(d.join("posts")).unwrap();
        std::fs::write(d.join("posts.csv"), csv).unwrap();
        for e in std::fs::read_dir(export_dir().join("posts")).unwrap() {
            let e = e.unwrap();
            if Some(e.file_name().to_string_lossy().as_ref()) != drop_body {
                std::fs::copy(e.path(), d.join("posts").join(e.file_name())).unwrap();
            }
        }
        d
    };
    let good = std::fs::read_to_string(export_dir().join("posts.csv")).unwrap();
    let msg = refused(&copy("a", &good.replacen(",podcast,", ",video,", 1), None));
    assert!(
        msg.contains("posts.csv line 4: unknown type `video`"),
        "{msg}"
    );
    let msg = refused(&copy(
        "b",
        &good.replacen("2024-03-12T11:30:00.000Z", "12/03/2024", 1),
        None,
    ));
    assert!(msg.contains("line 3: post_date `12/03/2024`"), "{msg}");
    let msg = refused(&copy("c", &good, Some("141802.about.html")));
    assert!(msg.contains("posts/141802.about.html is missing"), "{msg}");
    let msg = refused(&copy("d", &good.replacen("post_id,", "id,", 1), None));
    assert!(msg.contains("line 1: missing column(s) post_id"), "{msg}");
    std::fs::write(dir.path().join("not.zip"), b"plain text").unwrap();
    let msg = refused(&dir.path().join("not.zip"));
    assert!(msg.contains("not.zip"), "{msg}");
}
