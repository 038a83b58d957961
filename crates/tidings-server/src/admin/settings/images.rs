//! The outlet's images on the Site settings page: logos for light and dark backgrounds, the icon
//! (made in every size browsers and phones ask for) and the default share image. An empty file
//! field keeps what is there; SVG is refused, since it can carry script.

use std::collections::BTreeMap;

use axum::extract::{Multipart, State};
use axum::response::Response;
use serde::Serialize;
use tidings_accounts::{new_token, Action};
use tidings_media::{brand, library, Output};

use crate::admin::page::see_other;
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;
use crate::web::problems::sentence;

/// One image slot: its setting, label and help.
pub struct Slot {
    pub key: &'static str,
    pub label: &'static str,
    pub help: &'static str,
}

/// The image slots, in the order the page shows them.
pub const SLOTS: &[Slot] = &[
    Slot {
        key: "logo_light",
        label: "Logo",
        help: "In the masthead instead of the site name: PNG, WebP or JPEG, about 600×120 pixels, for a light background.",
    },
    Slot {
        key: "logo_dark",
        label: "Logo for dark mode",
        help: "Shown to readers whose device is in dark mode; the logo above is used when empty.",
    },
    Slot {
        key: "site_icon",
        label: "Icon",
        help: "A square image at least 512×512 pixels: the browser tab, phone home screens and search results get it in their sizes.",
    },
    Slot {
        key: "share_image",
        label: "Default share image",
        help: "Shown when a page without its own image is shared: 1200×630 pixels works everywhere.",
    },
];

/// What the page shows of a slot.
#[derive(Serialize)]
pub struct SlotView {
    key: &'static str,
    label: &'static str,
    help: &'static str,
    /// The address of the current image, if any.
    current: Option<String>,
    error: Option<String>,
}

/// The slots with their current images and any message.
pub fn views(
    settings: &tidings_store::Settings,
    errors: &BTreeMap<&'static str, String>,
) -> Vec<SlotView> {
    SLOTS
        .iter()
        .map(|s| SlotView {
            key: s.key,
            label: s.label,
            help: s.help,
            current: Some(settings.get(s.key))
                .filter(|v| !v.is_empty())
                .map(|v| match s.key {
                    "site_icon" => format!("/media/{v}-180.png"),
                    _ => format!("/media/{v}"),
                }),
            error: errors.get(s.key).cloned(),
        })
        .collect()
}

/// The files an upload becomes and the setting's new value (a path, or a stem for icons).
fn prepare(key: &str, bytes: &[u8]) -> Result<(Vec<Output>, String, String), String> {
    if brand::is_svg(bytes) {
        return Err(
            "SVG files are not accepted, since they can carry scripts: upload a PNG, WebP or JPEG."
                .into(),
        );
    }
    let tag = &new_token()[..10];
    if key == "site_icon" {
        let stem = format!("site/icon-{tag}");
        let files = brand::icons(bytes).map_err(|e| sentence(&e.to_string()))?;
        return Ok((files, stem.clone(), stem));
    }
    let processed = tidings_media::process(bytes).map_err(|e| sentence(&e.to_string()))?;
    let stem = format!("site/{}-{tag}", key.replace('_', "-"));
    let path = format!("{stem}.{}", processed.format.ext());
    Ok((processed.files, stem, path))
}

/// `POST /admin/settings/images` (multipart; the token is in the address).
pub async fn save(
    State(app): State<AppState>,
    signed: Signed,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let mut uploads: Vec<(&'static str, String, Vec<u8>)> = Vec::new();
    let mut remove: Vec<&'static str> = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| AppError::BadRequest("the upload was cut short"))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if let Some(slot) = SLOTS.iter().find(|s| s.key == name) {
            let file = field.file_name().unwrap_or("image").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|_| AppError::BadRequest("the upload was cut short"))?;
            // An empty file field keeps the current image.
            if !bytes.is_empty() {
                uploads.push((slot.key, file, bytes.to_vec()));
            }
        } else if name == "remove" {
            let which = field.text().await.unwrap_or_default();
            if let Some(slot) = SLOTS.iter().find(|s| s.key == which) {
                remove.push(slot.key);
            }
        }
    }
    let mut errors = BTreeMap::new();
    let mut changes: Vec<(&'static str, String)> = Vec::new();
    let media_dir = app.media_dir().to_path_buf();
    for (key, file, bytes) in uploads {
        let dir = media_dir.clone();
        let made = app
            .spawn_blocking(move || {
                let (files, stem, value) = prepare(key, &bytes)?;
                library::write_outputs(&files, &dir, &stem)
                    .map_err(|e| format!("The image could not be stored: {e}."))?;
                Ok::<_, String>(value)
            })
            .await
            .map_err(|_| AppError::Internal("image processing stopped".into()))?;
        match made {
            Ok(value) => changes.push((key, value)),
            Err(message) => {
                errors.insert(key, format!("{file}: {message}"));
            }
        }
    }
    for key in remove {
        if !changes.iter().any(|(k, _)| *k == key) {
            changes.push((key, String::new()));
        }
    }
    if !errors.is_empty() {
        return super::site_page_with_image_errors(&app, &signed, &errors).await;
    }
    if !changes.is_empty() {
        let pairs: Vec<(&str, &str)> = changes.iter().map(|(k, v)| (*k, v.as_str())).collect();
        app.store().set_settings(&pairs).await?;
        // The owner sees the change on the next page, not after the generation poll.
        let _ = app.refresh_generation().await;
        let keys: Vec<&str> = changes.iter().map(|(k, _)| *k).collect();
        signed
            .audit(&app, "settings.images", &keys.join(", "))
            .await;
    }
    Ok(see_other("/admin/settings?saved=1"))
}
