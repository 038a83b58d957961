//! The nightly backup: when it is due in the site's timezone, and what taking one leaves behind
//! (checked backups, the newest `keep` of them, the time recorded for `tidings check`).

use std::path::PathBuf;

use chrono::{NaiveTime, TimeZone, Utc};
use tidings_jobs::site::Nightly;
use tidings_store::each_backend;

fn nightly(dir: PathBuf, keep: usize) -> Nightly {
    Nightly {
        media_dir: dir.join("media"),
        dir: dir.join("backups"),
        keep,
        time: NaiveTime::from_hms_opt(3, 0, 0).unwrap(),
        tz: chrono_tz::Europe::Paris,
    }
}

#[test]
fn a_backup_is_due_once_a_day_after_its_local_time() {
    let n = nightly(PathBuf::from("/nowhere"), 7);
    // 03:00 in Paris in winter is 02:00 UTC.
    let at = |h, m| Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0).unwrap();
    assert!(!n.due(at(1, 59), None), "before its time");
    assert!(n.due(at(2, 1), None), "after its time, none taken");
    let taken = at(2, 1).timestamp();
    assert!(!n.due(at(2, 6), Some(taken)), "taken already today");
    assert!(!n.due(at(23, 0), Some(taken)));
    // The next day, after 03:00 local.
    let next = Utc.with_ymd_and_hms(2026, 12, 2, 2, 1, 0).unwrap();
    assert!(n.due(next, Some(taken)));
    // Down for days: the first check after its time takes one.
    let later = Utc.with_ymd_and_hms(2026, 12, 9, 14, 0, 0).unwrap();
    assert!(n.due(later, Some(taken)));
}

each_backend!(
    nightly_backups_are_checked_and_only_the_newest_are_kept,
    |store| {
        let dir = tempfile::tempdir().unwrap();
        let n = nightly(dir.path().to_path_buf(), 2);
        std::fs::create_dir_all(n.media_dir.join("uploads")).unwrap();
        std::fs::write(n.media_dir.join("uploads/a.jpg"), b"not really a jpeg").unwrap();
        let mut taken = Vec::new();
        for _ in 0..3 {
            taken.push(n.take(&store).await.unwrap());
        }
        let mut left: Vec<PathBuf> = std::fs::read_dir(&n.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        left.sort();
        assert_eq!(left, taken[1..].to_vec(), "the oldest goes");
        for path in &left {
            let manifest = tidings_backup::verify(path).unwrap();
            assert!(manifest
                .files
                .iter()
                .any(|f| f.path == "media/uploads/a.jpg"));
            let database = match store.backend() {
                tidings_store::Backend::Sqlite => "tidings.db",
                tidings_store::Backend::Postgres => "export.json",
            };
            assert!(
                manifest.files.iter().any(|f| f.path == database),
                "{manifest:?}"
            );
        }
        let settings = store.settings().await.unwrap();
        let last: i64 = settings.get(tidings_backup::LAST_BACKUP).parse().unwrap();
        assert!(Utc::now().timestamp() - last < 60);
        assert!(!n.due(Utc::now(), Some(last)));
    }
);
