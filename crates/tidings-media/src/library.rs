//! Putting a processed image into the media library: where its files go under the media folder,
//! writing them, and the record the store keeps. The admin's upload form and the importers use it.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tidings_store::Media;

use crate::{Output, Processed};

/// The path stem (no extension) for a new image: `uploads/YYYY/MM/<name>-<tag>`, the name
/// slugified from the original file name and `tag` keeping two images of one name apart.
pub fn stem_for(original_name: &str, tag: &str, now: DateTime<Utc>) -> String {
    let base = original_name.rsplit('/').next().unwrap_or(original_name);
    let base = base.rsplit_once('.').map(|(s, _)| s).unwrap_or(base);
    let name = tidings_content::slugify(base);
    let name = if name.is_empty() {
        "image".to_string()
    } else {
        name
    };
    format!("uploads/{}/{name}-{tag}", now.format("%Y/%m"))
}

/// Writes every file of `processed` (the original and its variants) under `media_dir`, and says
/// which files it wrote (so that work taken back can remove them).
pub fn write_files(
    processed: &Processed,
    media_dir: &Path,
    stem: &str,
) -> std::io::Result<Vec<PathBuf>> {
    write_outputs(&processed.files, media_dir, stem)
}

/// Writes `files` as `<stem><suffix>.<ext>` under `media_dir`, and says which it wrote.
pub fn write_outputs(
    files: &[Output],
    media_dir: &Path,
    stem: &str,
) -> std::io::Result<Vec<PathBuf>> {
    if let Some(dir) = Path::new(stem).parent() {
        std::fs::create_dir_all(media_dir.join(dir))?;
    }
    let mut written = Vec::with_capacity(files.len());
    for f in files {
        let path = media_dir.join(format!("{stem}{}.{}", f.suffix, f.ext));
        std::fs::write(&path, &f.bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// The library record for an image written under `stem`.
pub fn record(
    processed: &Processed,
    stem: &str,
    original_name: &str,
    alt: &str,
    now: DateTime<Utc>,
) -> Media {
    let original = processed
        .files
        .iter()
        .find(|f| f.suffix.is_empty() && f.ext == processed.format.ext());
    Media {
        id: 0,
        path: format!("{stem}.{}", processed.format.ext()),
        original_name: original_name.chars().take(200).collect(),
        mime: processed.format.mime().to_string(),
        width: i64::from(processed.width),
        height: i64::from(processed.height),
        bytes: original.map(|f| f.bytes.len() as i64).unwrap_or(0),
        widths: processed.widths.iter().map(|w| i64::from(*w)).collect(),
        webp: processed.webp,
        avif: false,
        alt: alt.trim().chars().take(500).collect(),
        created_at: now,
    }
}

/// Makes the AVIF copies of the stored photo at `path` (under `media_dir`, with narrower copies
/// at `widths` and WebP twins when `webp`), beside its other files, from the JPEG of each size.
/// They are kept only when every size is smaller than the copy browsers take today (the WebP
/// where there is one), the rule the WebP set follows; `Ok(None)` when they are not.
/// Runs on the calling thread for seconds: callers give it a thread or a process of its own.
pub fn make_avif(
    path: &str,
    widths: &[i64],
    webp: bool,
    media_dir: &Path,
) -> Result<Option<Vec<PathBuf>>, String> {
    let Some((stem, "jpg")) = path.rsplit_once('.') else {
        return Ok(None);
    };
    let suffixes = widths
        .iter()
        .map(|w| format!("-{w}w"))
        .chain([String::new()]);
    let mut files = Vec::new();
    for suffix in suffixes {
        let file = |ext: &str| media_dir.join(format!("{stem}{suffix}.{ext}"));
        let jpeg =
            std::fs::read(file("jpg")).map_err(|e| format!("{}: {e}", file("jpg").display()))?;
        let rival = if webp {
            std::fs::metadata(file("webp"))
                .map_err(|e| format!("{}: {e}", file("webp").display()))?
                .len() as usize
        } else {
            jpeg.len()
        };
        let img = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
            .map_err(|e| format!("{}: {e}", file("jpg").display()))?
            .to_rgb8();
        let avif = crate::encode_avif(&img).map_err(|e| e.to_string())?;
        if avif.len() >= rival {
            return Ok(None);
        }
        files.push(Output {
            suffix,
            ext: "avif",
            bytes: avif,
        });
    }
    write_outputs(&files, media_dir, stem)
        .map(Some)
        .map_err(|e| format!("writing AVIF copies of {path}: {e}"))
}
