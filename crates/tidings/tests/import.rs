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
        text(&out).contains("Imported: 0 created, 0 updated, 72 unchanged"),
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

#[test]
fn givewp_gifts_move_in_and_come_out_in_the_donations_export() {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/givewp");
    let donations = data.join("givewp-donations-single-form.csv");
    let donors = data.join("givewp-donors.csv");
    let run = |args: &[&str]| {
        tidings(dir.path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let (donations, donors) = (donations.to_str().unwrap(), donors.to_str().unwrap());
    let args = [
        "import",
        "givewp",
        "--donations",
        donations,
        "--donors",
        donors,
        "--data-dir",
        "site",
    ];
    let out = run(&[&args[..], &["--dry-run"]].concat());
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("GiveWP export: 27 gift(s)"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("Nothing was written"), "{}", text(&out));
    assert!(
        !dir.path().join("site/tidings.db").exists(),
        "a dry run wrote"
    );

    let out = run(&args);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("Imported: 27 gift(s) created"), "{said}");
    assert!(said.contains("2 monthly plan(s) moved in"), "{said}");
    assert!(said.contains("GiveWP's gateway still charges it"), "{said}");
    assert!(
        said.contains("Nothing was charged and no email was sent"),
        "{said}"
    );
    let outbox = dir.path().join("site/outbox");
    assert!(
        !outbox.exists() || std::fs::read_dir(&outbox).unwrap().next().is_none(),
        "a message reached the outbox"
    );

    let out = run(&["donations", "export", "gifts.csv", "--data-dir", "site"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("27 gift(s) written"), "{}", text(&out));
    let csv = std::fs::read_to_string(dir.path().join("gifts.csv")).unwrap();
    assert_eq!(csv.lines().count(), 28);
    assert!(csv.contains("GiveWP #1190"), "{csv}");
    assert!(csv
        .lines()
        .any(|l| l.contains(",monthly,") && l.contains("imported")));
}

#[test]
fn ghost_members_come_in_and_only_the_subscribed_would_be_mailed() {
    let dir = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/subscribers/ghost-members.csv");
    let file = file.to_str().unwrap();
    let run = |args: &[&str]| {
        tidings(dir.path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = run(&[
        "import",
        "ghost-members",
        file,
        "--data-dir",
        "site",
        "--report",
        "m.txt",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let report = std::fs::read_to_string(dir.path().join("m.txt")).unwrap();
    assert!(
        report.contains("esther.k@example.com: labels Press, Founding readers"),
        "{report}"
    );
    let said = text(&out);
    assert!(said.contains("11 confirmed"), "{said}");
    assert!(
        said.contains("4 not subscribed to emails (kept, never mailed)"),
        "{said}"
    );
    assert!(said.contains("Labels are not kept"), "{said}");
    let out = run(&["subscribers", "export", "-", "--data-dir", "site"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    let ada = csv.lines().find(|l| l.starts_with("ada.mercer@")).unwrap();
    assert!(
        ada.contains(",confirmed,") && ada.contains("2023-02-11T14:03:27+00:00"),
        "{ada}"
    );
    assert!(ada.contains("import: Ghost"), "{ada}");
    let leo = csv.lines().find(|l| l.starts_with("leo.brandt@")).unwrap();
    assert!(leo.contains(",unsubscribed,"), "{leo}");
    let outbox = dir.path().join("site/outbox");
    assert!(!outbox.exists() || std::fs::read_dir(&outbox).unwrap().next().is_none());
    // Again: everyone is already there.
    let out = run(&["import", "ghost-members", file, "--data-dir", "site"]);
    assert!(
        text(&out).contains("Imported 0 subscriber(s); 15 were already"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_ghost_export_is_planned_then_imported() {
    let dir = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ghost/ghost.json");
    let file = file.to_str().unwrap();
    let run = |args: &[&str]| {
        tidings(dir.path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = run(&["import", "ghost", file, "--dry-run", "--data-dir", "site"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("3 post(s) published"), "{}", text(&out));
    assert!(
        !dir.path().join("site/tidings.db").exists(),
        "a dry run wrote"
    );
    let out = run(&[
        "import",
        "ghost",
        file,
        "--data-dir",
        "site",
        "--report",
        "r.txt",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Imported: 3 created, 0 updated"),
        "{}",
        text(&out)
    );
    let report = std::fs::read_to_string(dir.path().join("r.txt")).unwrap();
    assert!(report.contains("feature image kept at"), "{report}");
    let out = run(&["import", "ghost", "missing.json", "--data-dir", "site"]);
    assert!(!out.status.success());
}

#[test]
fn a_substack_export_is_planned_then_imported() {
    let dir = tempfile::tempdir().unwrap();
    let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/substack/export");
    let export = export.to_str().unwrap();
    let run = |args: &[&str]| {
        tidings(dir.path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = run(&[
        "import",
        "substack",
        export,
        "--dry-run",
        "--data-dir",
        "site",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Substack export: 5 post(s)"),
        "{}",
        text(&out)
    );
    assert!(
        !dir.path().join("site/tidings.db").exists(),
        "a dry run wrote"
    );
    let out = run(&[
        "import",
        "substack",
        export,
        "--data-dir",
        "site",
        "--report",
        "r.txt",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Imported: 5 created, 0 updated"),
        "{}",
        text(&out)
    );
    let report = std::fs::read_to_string(dir.path().join("r.txt")).unwrap();
    assert!(
        report.contains("for paid subscribers on Substack"),
        "{report}"
    );
}
