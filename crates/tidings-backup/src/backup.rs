//! `tidings backup DIR` and `tidings restore DIR`: a consistent copy of a running site (the
//! database, its media, and a manifest with every file's checksum), and the way back.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tidings_store::{Backend, Store};

use crate::BackupError;

/// The file that lists a backup's files; written last, so a backup without it is incomplete.
pub const MANIFEST: &str = "manifest.json";
/// What the manifest's `format` says.
pub const FORMAT: &str = "tidings-backup";
/// The manifest version this build writes and the newest it reads.
pub const VERSION: i64 = 1;
/// The setting that records when the last backup finished (seconds since the epoch).
pub const LAST_BACKUP: &str = "backup.last_at";

/// A backup's table of contents.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The manifest version.
    pub version: i64,
    /// When the backup was taken (RFC 3339).
    pub created_at: String,
    /// `sqlite` (the database file itself) or `postgres` (a logical export, `export.json`).
    pub engine: String,
    /// The newest migration of the database copied.
    pub schema: i64,
    /// Every file, with its size and SHA-256.
    pub files: Vec<FileEntry>,
}

/// One file of a backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    /// Its path inside the backup folder, with `/` between parts.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its SHA-256, in hex.
    pub sha256: String,
}

impl Manifest {
    /// Bytes in all files.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

/// Copies the site into `dir` (new or empty) while it runs: the database as of one moment
/// (SQLite's `VACUUM INTO`; a logical export on PostgreSQL), the media folder, then the manifest.
pub async fn backup(store: &Store, media_dir: &Path, dir: &Path) -> Result<Manifest, BackupError> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(BackupError::Refused(format!(
            "{} is not empty; a backup goes into a new or empty folder",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)?;
    let schema = store.schema_version().await?;
    let engine = match store.backend() {
        Backend::Sqlite => {
            let file = dir.join("tidings.db");
            store.copy_database_to(&file).await?;
            // The copy knows it is a backup, so a site restored from it does not warn of none.
            Store::set_setting_in_copy(&file, LAST_BACKUP, &now().to_string()).await?;
            "sqlite"
        }
        Backend::Postgres => {
            let file = std::fs::File::create(dir.join("export.json"))?;
            crate::export::export(store, file, &|_, _| {}).await?;
            "postgres"
        }
    };
    if media_dir.is_dir() {
        let (from, to) = (media_dir.to_path_buf(), dir.join("media"));
        tokio::task::spawn_blocking(move || copy_tree(&from, &to))
            .await
            .map_err(|e| BackupError::Refused(e.to_string()))??;
    }
    let root = dir.to_path_buf();
    let files = tokio::task::spawn_blocking(move || list_files(&root))
        .await
        .map_err(|e| BackupError::Refused(e.to_string()))??;
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        engine: engine.into(),
        schema,
        files,
    };
    let tmp = dir.join(".manifest.json.part");
    std::fs::write(
        &tmp,
        serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&tmp, dir.join(MANIFEST))?;
    store
        .set_settings(&[(LAST_BACKUP, &now().to_string())])
        .await?;
    Ok(manifest)
}

/// Reads and checks a backup's manifest and every file it lists (size and SHA-256), writing nothing.
pub fn verify(dir: &Path) -> Result<Manifest, BackupError> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read(&path).map_err(|e| {
        BackupError::Refused(format!(
            "{}: {e}; not a Tidings backup, or an incomplete one",
            path.display()
        ))
    })?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| BackupError::Refused(format!("{}: {e}", path.display())))?;
    if manifest.format != FORMAT {
        return Err(BackupError::Refused(format!(
            "{}: format \"{}\" is not a Tidings backup",
            path.display(),
            manifest.format
        )));
    }
    if manifest.version > VERSION {
        return Err(BackupError::Refused(format!(
            "backup format version {} is newer than this Tidings reads ({VERSION}); upgrade Tidings first",
            manifest.version
        )));
    }
    for f in &manifest.files {
        if f.path.split('/').any(|p| p == ".." || p.is_empty()) || f.path.starts_with('/') {
            return Err(BackupError::Refused(format!(
                "{}: not a path inside the backup",
                f.path
            )));
        }
        let (bytes, sha) = digest(&dir.join(&f.path))
            .map_err(|e| BackupError::Refused(format!("{}: {e}", f.path)))?;
        if bytes != f.bytes || sha != f.sha256 {
            return Err(BackupError::Refused(format!(
                "{}: its checksum does not match the manifest (the backup is damaged or was changed); nothing was restored",
                f.path
            )));
        }
    }
    Ok(manifest)
}

/// Where a restore goes: a data folder, and the database the site uses.
pub struct Target<'a> {
    /// The site's data folder (its media go under `media/`).
    pub data_dir: &'a Path,
    /// The SQLite file, when the site uses the embedded database; `None` for PostgreSQL.
    pub sqlite_file: Option<PathBuf>,
}

/// What a restore brought back.
#[derive(Debug)]
pub struct Restored {
    /// The checked manifest.
    pub manifest: Manifest,
    /// Whether the database file was copied as it was (else rows were imported).
    pub copied_file: bool,
}

/// Restores the backup in `dir` into an empty site, after checking it whole: a SQLite backup's
/// file is copied back; a PostgreSQL backup's export is imported row by row (into either engine).
/// `open` gives the target's store (created and migrated) once its file is in place.
pub async fn restore<F, Fut>(
    dir: &Path,
    target: Target<'_>,
    open: F,
) -> Result<Restored, BackupError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Store, BackupError>>,
{
    let check = dir.to_path_buf();
    let manifest = tokio::task::spawn_blocking(move || verify(&check))
        .await
        .map_err(|e| BackupError::Refused(e.to_string()))??;
    let media = target.data_dir.join("media");
    if media.is_dir() && std::fs::read_dir(&media)?.next().is_some() {
        return Err(BackupError::Refused(format!(
            "{} is not empty; a restore goes into an empty data folder",
            media.display()
        )));
    }
    let copied_file = match (&target.sqlite_file, manifest.engine.as_str()) {
        (Some(file), "sqlite") => {
            if file.exists() {
                return Err(BackupError::Refused(format!(
                    "{} already exists; a restore goes into an empty data folder",
                    file.display()
                )));
            }
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let part = file.with_extension("db.part");
            std::fs::copy(dir.join("tidings.db"), &part)?;
            std::fs::rename(&part, file)?;
            open().await?.close().await;
            true
        }
        (_, "postgres") => {
            let store = open().await?;
            let result = crate::load::import(&store, &dir.join("export.json"), &|_| {}).await;
            store.close().await;
            result?;
            false
        }
        (None, "sqlite") => return Err(BackupError::Refused(
            "this backup holds a SQLite database and the site here uses PostgreSQL: restore it \
                 into a SQLite data folder, then move with `tidings export` there and \
                 `tidings import tidings` here"
                .into(),
        )),
        (_, other) => {
            return Err(BackupError::Refused(format!(
                "the backup's engine \"{other}\" is not one this Tidings restores"
            )))
        }
    };
    if dir.join("media").is_dir() {
        let (from, to) = (dir.join("media"), media);
        tokio::task::spawn_blocking(move || copy_tree(&from, &to))
            .await
            .map_err(|e| BackupError::Refused(e.to_string()))??;
    }
    Ok(Restored {
        manifest,
        copied_file,
    })
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Keeps the newest `keep` complete backups (folders named `tidings-backup-…` with a manifest) in
/// `dir` and removes the older ones, and incomplete ones a day old; returns what it removed.
pub fn prune(dir: &Path, keep: usize) -> std::io::Result<Vec<PathBuf>> {
    let mut complete = Vec::new();
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.starts_with("tidings-backup-") || !entry.path().is_dir() {
            continue;
        }
        if entry.path().join(MANIFEST).exists() {
            complete.push((name, entry.path()));
        } else {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 86_400);
            if old {
                std::fs::remove_dir_all(entry.path())?;
                removed.push(entry.path());
            }
        }
    }
    // Names carry the time (UTC, sortable), newest last.
    complete.sort();
    let excess = complete.len().saturating_sub(keep.max(1));
    for (_, path) in complete.into_iter().take(excess) {
        std::fs::remove_dir_all(&path)?;
        removed.push(path);
    }
    Ok(removed)
}

/// The folder name of a backup taken now: `tidings-backup-YYYYMMDD-HHMMSS`.
pub fn folder_name(now: chrono::DateTime<chrono::Utc>) -> String {
    format!("tidings-backup-{}", now.format("%Y%m%d-%H%M%S"))
}

/// Copies a folder and everything in it.
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn list_files(root: &Path) -> std::io::Result<Vec<FileEntry>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .map_err(std::io::Error::other)?
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if rel == MANIFEST || rel.starts_with(".manifest") {
                continue;
            }
            let (bytes, sha256) = digest(&path)?;
            out.push(FileEntry {
                path: rel,
                bytes,
                sha256,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn digest(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    let mut hex = String::with_capacity(64);
    for b in hasher.finalize() {
        hex.push_str(&format!("{b:02x}"));
    }
    Ok((total, hex))
}
