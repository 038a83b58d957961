//! The old site's image folder (WordPress's `wp-content/uploads`, Ghost's `content/images`),
//! copied in through the media pipeline (type checked by content, metadata stripped, variants made)
//! as each file is first needed, so that featured images and images in bodies point at this site's
//! own copies.

use std::collections::HashMap;
use std::path::PathBuf;

use tidings_store::{FeatureImage, Media, Store};

use crate::wordpress::ImportError;

/// Where WordPress serves uploads from.
pub const WORDPRESS: &str = "/wp-content/uploads/";
/// Where Ghost serves images from.
pub const GHOST: &str = "/content/images/";

/// The uploads folder and what came from it so far.
pub struct Uploads {
    /// The part of an old URL the folder's paths follow (`/wp-content/uploads/`).
    marker: &'static str,
    /// The import recording the copies (`wordpress`, `ghost`).
    source: &'static str,
    dir: PathBuf,
    media_dir: PathBuf,
    /// By path under the uploads folder: the library copy, or `None` when it could not be used.
    done: HashMap<String, Option<Media>>,
    /// Files that were missing or not images, for the report.
    pub problems: Vec<String>,
    /// Library entries made (for an undo).
    pub created: Vec<i64>,
    /// Files written under the media folder (removed when the run is taken back).
    pub written: Vec<PathBuf>,
}

/// The path under `wp-content/uploads/` of an old site's file URL.
fn relative<'a>(url: &'a str, marker: &str) -> Option<&'a str> {
    let at = url.find(marker)? + marker.len();
    let rel = &url[at..];
    let rel = rel.split(['?', '#']).next().unwrap_or(rel);
    (!rel.is_empty() && !rel.split('/').any(|part| part == ".." || part.is_empty())).then_some(rel)
}

impl Uploads {
    /// Files from `dir` (the folder behind `marker` on the old site) go into `media_dir` (the
    /// site's media folder), recorded under `source`.
    pub fn new(
        dir: PathBuf,
        media_dir: PathBuf,
        marker: &'static str,
        source: &'static str,
    ) -> Self {
        Uploads {
            marker,
            source,
            dir,
            media_dir,
            done: HashMap::new(),
            problems: Vec::new(),
            created: Vec::new(),
            written: Vec::new(),
        }
    }

    /// The library copy of the file at `url` (on the old site), bringing it in the first time.
    pub async fn media(&mut self, store: &Store, url: &str) -> Result<Option<Media>, ImportError> {
        let Some(rel) = relative(url, self.marker) else {
            return Ok(None);
        };
        if let Some(done) = self.done.get(rel) {
            return Ok(done.clone());
        }
        let key = format!("upload:{rel}");
        // An earlier run's copy is used again while its file is still there.
        if let Some((_, id)) = store.imported(self.source, &key).await? {
            if let Some(m) = store.media_by_id(id).await? {
                if self.media_dir.join(&m.path).exists() {
                    self.done.insert(rel.to_string(), Some(m.clone()));
                    return Ok(Some(m));
                }
            }
        }
        let path = self.dir.join(rel);
        let media = match std::fs::read(&path) {
            Err(e) => {
                self.problems.push(format!("{rel}: {e}; kept as a link"));
                None
            }
            Ok(bytes) => {
                let processed = tokio_blocking(move || tidings_media::process(&bytes)).await;
                match processed {
                    Ok(processed) => {
                        let now = chrono::Utc::now();
                        // Random, so that no run overwrites another's (or an upload's) files.
                        let tag = format!("{:08x}", rand::random::<u32>());
                        let stem = tidings_media::library::stem_for(rel, &tag, now);
                        let written =
                            tidings_media::library::write_files(&processed, &self.media_dir, &stem)
                                .map_err(|source| ImportError::Open {
                                    path: self.media_dir.display().to_string(),
                                    source,
                                })?;
                        self.written.extend(written);
                        let record =
                            tidings_media::library::record(&processed, &stem, rel, "", now);
                        let media = store.create_media(&record, None).await?;
                        self.created.push(media.id);
                        store
                            .record_import(self.source, &key, "media", media.id)
                            .await?;
                        Some(media)
                    }
                    Err(e) => {
                        self.problems.push(format!("{rel}: {e}; kept as a link"));
                        None
                    }
                }
            }
        };
        self.done.insert(rel.to_string(), media.clone());
        Ok(media)
    }

    /// The featured image for an attachment's URL, if its file came in.
    pub async fn feature(
        &mut self,
        store: &Store,
        url: &str,
        alt: &str,
    ) -> Result<Option<FeatureImage>, ImportError> {
        Ok(self.media(store, url).await?.map(|m| FeatureImage {
            path: m.path,
            alt: alt.chars().take(500).collect(),
            width: m.width,
            height: m.height,
            widths: m.widths,
            webp: m.webp,
            ..FeatureImage::default()
        }))
    }

    /// `html` with every old-site upload URL whose file came in pointing at the copy here.
    pub async fn rewrite(&mut self, store: &Store, html: &str) -> Result<String, ImportError> {
        let mut out = String::with_capacity(html.len());
        let mut rest = html;
        while let Some(at) = rest.find(self.marker) {
            // The URL runs from the last quote, space or bracket before the marker to the next.
            let start = rest[..at]
                .rfind(['"', '\'', ' ', '(', '=', '\n', '['])
                .map(|i| i + 1)
                .unwrap_or(0);
            let end = rest[at..]
                .find(['"', '\'', ' ', ')', '>', '\n', ']'])
                .map(|i| at + i)
                .unwrap_or(rest.len());
            let url = &rest[start..end];
            out.push_str(&rest[..start]);
            match self.media(store, url).await? {
                Some(m) => out.push_str(&format!("/media/{}", m.path)),
                None => out.push_str(url),
            }
            rest = &rest[end..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Runs image work off the async threads.
async fn tokio_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

#[cfg(test)]
mod tests {
    use super::{relative, GHOST, WORDPRESS};

    #[test]
    fn upload_paths_stay_inside_the_folder() {
        assert_eq!(
            relative(
                "https://old.example/wp-content/uploads/2013/03/boat.jpg?w=300",
                WORDPRESS
            ),
            Some("2013/03/boat.jpg")
        );
        assert_eq!(
            relative(
                "https://old.example/wp-content/uploads/../../etc/passwd",
                WORDPRESS
            ),
            None
        );
        assert_eq!(
            relative("https://old.example/images/boat.jpg", WORDPRESS),
            None
        );
        assert_eq!(
            relative("__GHOST_URL__/content/images/2024/01/a.png", GHOST),
            Some("2024/01/a.png")
        );
    }
}
