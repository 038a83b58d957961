//! AVIF copies of photos, made after the upload: encoding takes seconds a size, so neither an
//! upload, an import nor the demo waits for it (ADR 022).
//!
//! The `tidings` binary encodes each photo in a process of its own (`tidings avif-encode`, see
//! [`encode_in_separate_processes`]): the encoder's working memory, tens of megabytes for a large
//! photo, would otherwise stay with the server after it is freed (the allocator keeps it), and the
//! idle site would carry it for good. Elsewhere (tests) it runs on a thread of this process.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tidings_store::{Media, Store};

use crate::runner::JobResult;

/// The nice value of the encoder: pages and mail come first, the encoder takes what is left.
pub const NICE: i32 = 19;

/// The program that encodes one photo in a process of its own, when set.
static HELPER: OnceLock<PathBuf> = OnceLock::new();

/// Has every photo encoded by `program avif-encode ...` (the `tidings` binary itself) in a
/// process of its own; set once, at start.
pub fn encode_in_separate_processes(program: PathBuf) {
    let _ = HELPER.set(program);
}

/// Why a photo got no copies.
enum Trouble {
    /// This photo: its files are missing or unreadable, or it failed to encode. Skipped for good.
    Photo(String),
    /// The encoder could not be started: every photo would fail alike, so none is marked.
    Encoder(String),
}

/// Makes the copies of each waiting photo in turn, newest first, taking no further photo once
/// `budget` has passed (one at least, when any waits).
pub async fn make_waiting(store: &Store, media_dir: &Path, budget: Duration) -> JobResult {
    let started = Instant::now();
    loop {
        let Some(media) = store
            .next_media_for_avif()
            .await
            .map_err(|e| e.to_string())?
        else {
            break;
        };
        let began = Instant::now();
        let made = match encode_aside(&media, media_dir).await {
            Ok(true) => {
                tracing::info!(path = %media.path, secs = began.elapsed().as_secs_f64(), "AVIF copies made");
                true
            }
            Ok(false) => {
                tracing::info!(path = %media.path, "AVIF copies not kept: not smaller");
                false
            }
            // A photo whose files cannot be read now will not be read on the next try either;
            // it keeps its JPEG and WebP, and the next photo is not held up.
            Err(Trouble::Photo(e)) => {
                tracing::warn!(path = %media.path, error = %e, "AVIF copies not made");
                false
            }
            Err(Trouble::Encoder(e)) => return Err(e.into()),
        };
        store
            .finish_media_avif(media.id, made)
            .await
            .map_err(|e| e.to_string())?;
        if started.elapsed() >= budget {
            break;
        }
    }
    Ok(())
}

/// Encodes off the async threads at the lowest priority, in a process of its own where one is
/// set; whether the copies were kept.
async fn encode_aside(media: &Media, media_dir: &Path) -> Result<bool, Trouble> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (path, widths, webp, dir) = (
        media.path.clone(),
        media.widths.clone(),
        media.webp,
        media_dir.to_path_buf(),
    );
    // A thread of its own: a pooled blocking thread would keep the lowered priority for
    // unrelated work.
    std::thread::Builder::new()
        .name("avif".into())
        .spawn(move || {
            let outcome = match HELPER.get() {
                Some(program) => in_child(program, &path, &widths, webp, &dir),
                None => {
                    lower_priority();
                    tidings_media::library::make_avif(&path, &widths, webp, &dir)
                        .map(|made| made.is_some())
                        .map_err(Trouble::Photo)
                }
            };
            let _ = tx.send(outcome);
        })
        .map_err(|e| Trouble::Encoder(format!("cannot start the AVIF encoder: {e}")))?;
    rx.await
        .map_err(|_| Trouble::Encoder("the AVIF encoder stopped before it finished".to_string()))?
}

/// What `tidings avif-encode` prints when the copies were written.
pub const MADE: &str = "made";
/// What it prints when they were not smaller and so not kept.
pub const NOT_SMALLER: &str = "not smaller";

fn in_child(
    program: &Path,
    path: &str,
    widths: &[i64],
    webp: bool,
    media_dir: &Path,
) -> Result<bool, Trouble> {
    let widths = widths
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let mut command = std::process::Command::new(program);
    command
        .arg("avif-encode")
        .arg(media_dir)
        .arg(path)
        .arg(format!("--widths={widths}"));
    if webp {
        command.arg("--webp");
    }
    let out = command
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| Trouble::Encoder(format!("cannot run {}: {e}", program.display())))?;
    let said = String::from_utf8_lossy(&out.stdout);
    match (out.status.success(), said.trim()) {
        (true, MADE) => Ok(true),
        (true, NOT_SMALLER) => Ok(false),
        _ => Err(Trouble::Photo(format!(
            "the encoder ended with {}: {}{}",
            out.status,
            said.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
    }
}

/// Lowers the calling thread's priority to [`NICE`] (on Linux a thread has a nice value of its
/// own; the process's first thread's is the process's).
pub fn lower_priority() {
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), NICE) {
        tracing::debug!(error = %e, "cannot lower the AVIF encoder's priority");
    }
}
