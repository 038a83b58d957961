//! A backup's manifest is checked before anything is restored: present, of a version this build
//! reads, naming only files inside the backup, each with its size and checksum.

use tidings_backup::{backup, verify, BackupError};
use tidings_store::testing::TestDb;

fn refused(dir: &std::path::Path) -> String {
    match verify(dir) {
        Err(BackupError::Refused(msg)) => msg,
        other => panic!("not refused: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_whole_unchanged_backup_of_a_known_version_passes() {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    std::fs::create_dir_all(media.join("uploads")).unwrap();
    std::fs::write(media.join("uploads/a.jpg"), b"an image").unwrap();
    let bk = dir.path().join("bk");
    let manifest = backup(&db.store, &media, &bk).await.unwrap();
    assert_eq!(verify(&bk).unwrap(), manifest);
    let text = std::fs::read_to_string(bk.join("manifest.json")).unwrap();
    let write = |body: &str| std::fs::write(bk.join("manifest.json"), body).unwrap();

    write(&text.replacen("\"version\": 1", "\"version\": 2", 1));
    assert!(refused(&bk).contains("version 2 is newer"));

    write(&text.replacen("media/uploads/a.jpg", "../outside.jpg", 1));
    assert!(refused(&bk).contains("not a path inside the backup"));

    write(&text.replacen("\"format\": \"tidings-backup\"", "\"format\": \"other\"", 1));
    assert!(refused(&bk).contains("is not a Tidings backup"));

    write(&text[..text.len() / 2]);
    assert!(refused(&bk).contains("manifest.json"));

    write(&text);
    std::fs::remove_file(bk.join("media/uploads/a.jpg")).unwrap();
    assert!(refused(&bk).contains("media/uploads/a.jpg"));

    std::fs::remove_file(bk.join("manifest.json")).unwrap();
    assert!(refused(&bk).contains("not a Tidings backup, or an incomplete one"));
}
