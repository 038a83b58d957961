//! `tidings import wordpress` as an operator runs it: a dry run that writes nothing, an import
//! with its summary and report, and a second run that updates instead of duplicating.

use std::path::Path;
use std::process::Stdio;

mod process;
use process::{text, tidings};

#[test]
fn a_wordpress_export_is_planned_imported_and_imported_again() {
    let dir = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/wordpress/themeunittestdata.wordpress.xml");
    let run = |args: &[&str]| {
        tidings(dir.path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let file = file.to_str().unwrap();
    let out = run(&[
        "import",
        "wordpress",
        file,
        "--dry-run",
        "--data-dir",
        "site",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("49 post publish: published"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("72 post(s) and page(s) would be imported: 72 created, 0 updated"),
        "{}",
        text(&out)
    );
    assert!(
        !dir.path().join("site/tidings.db").exists(),
        "a dry run wrote"
    );

    let out = run(&[
        "import",
        "wordpress",
        file,
        "--data-dir",
        "site",
        "--report",
        "report.txt",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Imported: 72 created, 0 updated"),
        "{}",
        text(&out)
    );
    let report = std::fs::read_to_string(dir.path().join("report.txt")).unwrap();
    assert!(report.contains("password-protected"), "{report}");

    let out = run(&[
        "import",
        "wordpress",
        file,
        "--dry-run",
        "--data-dir",
        "site",
    ]);
    assert!(
        text(&out).contains("would be imported: 0 created, 72 updated"),
        "{}",
        text(&out)
    );
    let out = run(&["import", "wordpress", file, "--data-dir", "site"]);
    assert!(
        text(&out).contains("Imported: 0 created, 72 updated"),
        "{}",
        text(&out)
    );

    // A damaged file: the place is named, nothing changes, the exit status says so.
    std::fs::write(
        dir.path().join("bad.xml"),
        "<?xml version=\"1.0\"?>\n<rss><channel>",
    )
    .unwrap();
    let out = run(&["import", "wordpress", "bad.xml", "--data-dir", "site"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("line 2"), "{}", text(&out));
}
