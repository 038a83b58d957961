//! Never locked in, never lost: the whole site as one documented JSON export and back
//! (`tidings export`, `tidings import tidings`), and consistent backups of a running site with
//! checksummed manifests (`tidings backup`, `tidings restore`, the nightly backup job).

pub mod backup;
pub mod document;
pub mod export;
pub mod load;

pub use backup::{backup, prune, restore, verify, Manifest, Target, LAST_BACKUP};
pub use export::export;
pub use load::import;

/// Why an export, import, backup or restore stopped.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database refused or failed.
    #[error(transparent)]
    Store(#[from] tidings_store::StoreError),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The export document is damaged, foreign or newer than this build (the place is named).
    #[error("{0}")]
    Document(String),
    /// The request cannot be carried out as asked (a folder not empty, a checksum that fails).
    #[error("{0}")]
    Refused(String),
}
