//! The theme: templates and assets embedded in the binary, each overridable by a file in
//! `<data dir>/theme/templates/` or `<data dir>/theme/assets/`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::Path;

use minijinja::{Environment, UndefinedBehavior, Value};

use crate::views::SiteView;

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../themes/default/templates/", $name)))),*]
    };
}

/// The default theme's templates, compiled into the binary.
const TEMPLATES: &[(&str, &str)] = embedded!(
    "base.html",
    "home.html",
    "article.html",
    "page.html",
    "listing.html",
    "timeline.html",
    "404.html",
    "error.html",
    "partials/card.html",
    "partials/share.html",
    "partials/signup.html",
    "partials/donate.html",
    "partials/pagination.html",
    "partials/fields.html",
    "subscribe.html",
    "subscribe_sent.html",
    "subscribe_confirm.html",
    "unsubscribe.html",
    "subscribe_preferences.html",
    "admin/base.html",
    "admin/login.html",
    "admin/setup.html",
    "admin/two_factor.html",
    "admin/reset_request.html",
    "admin/reset.html",
    "admin/invite.html",
    "admin/link_sign_in.html",
    "admin/message.html",
    "admin/dashboard.html",
    "admin/articles.html",
    "admin/editor.html",
    "admin/users.html",
    "admin/account.html",
    "admin/tokens.html",
    "admin/running_story.html",
    "admin/webhooks.html",
    "admin/audit.html",
    "admin/jobs.html",
    "admin/export.html",
    "admin/settings.html",
    "admin/health.html",
    "search.html",
    "admin/searches.html",
    "admin/settings_emails.html",
    "admin/settings_email.html",
    "admin/email_preview.html",
    "admin/checklist.html",
    "admin/settings_tabs.html",
    "admin/settings_navigation.html",
    "admin/settings_images.html",
    "admin/signup_preview.html",
    "admin/redirects.html",
    "admin/media.html",
    "admin/revisions.html",
    "admin/tags.html",
    "admin/authors.html",
    "admin/subscribers.html",
    "admin/newsletter.html",
    "admin/newsletter_detail.html",
    "admin/donations.html",
    "admin/donation_forms.html",
    "email/newsletter.html",
    "email/newsletter.txt",
    "newsletter_archive.html",
    "newsletter_issue.html",
    "donate.html",
    "donate_test_checkout.html",
    "donate_thanks.html",
    "donate_portal.html",
    "donate_pay.html",
);

/// The default theme's assets, compiled into the binary.
const ASSETS: &[(&str, &[u8])] = &[
    (
        "style.css",
        include_bytes!("../../../themes/default/assets/style.css"),
    ),
    (
        "tidings.js",
        include_bytes!("../../../themes/default/assets/tidings.js"),
    ),
    (
        "subscribe.js",
        include_bytes!("../../../themes/default/assets/subscribe.js"),
    ),
    (
        "donate.js",
        include_bytes!("../../../themes/default/assets/donate.js"),
    ),
    (
        "stripe-element.js",
        include_bytes!("../../../themes/default/assets/stripe-element.js"),
    ),
    (
        "admin.css",
        include_bytes!("../../../themes/default/assets/admin.css"),
    ),
    (
        "admin.js",
        include_bytes!("../../../themes/default/assets/admin.js"),
    ),
    (
        "favicon.svg",
        include_bytes!("../../../themes/default/assets/favicon.svg"),
    ),
];

/// Loaded templates plus the asset table.
pub struct Theme {
    env: Environment<'static>,
    /// Hashed file name (`style.3f9a….css`) to the file.
    assets: HashMap<String, Asset>,
}

/// One asset file, served under its content-hashed name.
pub struct Asset {
    /// MIME type, from the plain name's extension.
    pub content_type: &'static str,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// Why the theme could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    /// A template (default or override) does not compile.
    #[error("theme template {name}: {source}")]
    Template {
        /// Template name.
        name: String,
        /// Parser message with line.
        source: minijinja::Error,
    },
    /// An override file could not be read.
    #[error("theme file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl Theme {
    /// Loads the embedded theme, then any overrides from `override_dir` (`<data dir>/theme`).
    pub fn load(override_dir: Option<&Path>) -> Result<Theme, ThemeError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.set_formatter(html_formatter);
        let mut sources: HashMap<String, Cow<'static, str>> = TEMPLATES
            .iter()
            .map(|(n, s)| (n.to_string(), Cow::Borrowed(*s)))
            .collect();
        let mut files: HashMap<String, Vec<u8>> = ASSETS
            .iter()
            .map(|(n, b)| (n.to_string(), b.to_vec()))
            .collect();
        if let Some(dir) = override_dir {
            read_tree(&dir.join("templates"), "", &mut |name, bytes| {
                sources.insert(
                    name,
                    Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
                );
            })?;
            read_tree(&dir.join("assets"), "", &mut |name, bytes| {
                files.insert(name, bytes);
            })?;
        }
        let mut urls = HashMap::new();
        let mut assets = HashMap::new();
        for (name, bytes) in files {
            let hashed = hashed_name(&name, &bytes);
            urls.insert(name.clone(), format!("/assets/{hashed}"));
            let content_type = content_type(&name);
            assets.insert(
                hashed,
                Asset {
                    content_type,
                    bytes,
                },
            );
        }
        env.add_function("asset", move |name: &str| -> Value {
            Value::from(urls.get(name).cloned().unwrap_or_default())
        });
        // Every template is compiled once here, so that a broken override stops the start with
        // its name and line, and then dropped: the environment compiles a template again when a
        // page first needs it. Compiled, the seventy templates hold some 2.5 MB, most of it for
        // the newsroom's pages, which a reader-facing node may never render.
        let check = Environment::new();
        for (name, source) in &sources {
            check
                .template_from_named_str(name.as_str(), source)
                .map_err(|source| ThemeError::Template {
                    name: name.clone(),
                    source,
                })?;
        }
        drop(check);
        env.set_loader(move |name| Ok(sources.get(name).map(|s| s.to_string())));
        Ok(Theme { env, assets })
    }

    /// Renders a template with the given context.
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(ctx)
    }

    /// Renders a page template with the site view merged into its context.
    pub fn render_page(
        &self,
        name: &str,
        site: &SiteView,
        ctx: Value,
    ) -> Result<String, minijinja::Error> {
        self.render(
            name,
            minijinja::context! { site => Value::from_serialize(site), ..ctx },
        )
    }

    /// Every asset by its hashed file name.
    pub fn assets(&self) -> impl Iterator<Item = (&str, &Asset)> {
        self.assets.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The URL of an asset by its plain name (`style.css`).
    pub fn asset_url(&self, name: &str) -> Option<String> {
        self.assets
            .keys()
            .find(|k| unhashed_name(k) == name)
            .map(|k| format!("/assets/{k}"))
    }
}

fn read_tree(
    dir: &Path,
    prefix: &str,
    sink: &mut dyn FnMut(String, Vec<u8>),
) -> Result<(), ThemeError> {
    let io = |source| ThemeError::Io {
        path: dir.display().to_string(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io)?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let path = entry.path();
        if path.is_dir() {
            read_tree(&path, &format!("{name}/"), sink)?;
        } else {
            let bytes = std::fs::read(&path).map_err(|source| ThemeError::Io {
                path: path.display().to_string(),
                source,
            })?;
            sink(name, bytes);
        }
    }
    Ok(())
}

/// Escapes like minijinja's HTML mode but leaves `/` alone, so that URLs in attributes stay readable
/// (escaping `/` protects nothing in a quoted attribute or in text).
fn html_formatter(
    out: &mut minijinja::Output,
    state: &minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if state.auto_escape() != minijinja::AutoEscape::Html || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    if value.is_undefined() {
        return Ok(());
    }
    escape_into(out, &value.to_string()).map_err(minijinja::Error::from)
}

/// Writes `text` HTML-escaped (`&`, `<`, `>`, `"`, `'`; not `/`), as the theme's templates do.
fn escape_into(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&text[last..i])?;
        out.write_str(rep)?;
        last = i + 1;
    }
    out.write_str(&text[last..])
}

/// `text` HTML-escaped the way the theme's templates escape it, for HTML built outside them.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    escape_into(&mut out, text).expect("writing to a String cannot fail");
    out
}

/// A short, stable digest of some bytes, for asset names and ETags.
pub fn digest(bytes: &[u8]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// `style.css` → `style.<hash>.css`.
fn hashed_name(name: &str, bytes: &[u8]) -> String {
    let hash = &digest(bytes)[..12];
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

/// `style.<hash>.css` → `style.css`.
fn unhashed_name(hashed: &str) -> String {
    let parts: Vec<&str> = hashed.rsplitn(3, '.').collect();
    match parts.as_slice() {
        [ext, _hash, stem] => format!("{stem}.{ext}"),
        _ => hashed.to_string(),
    }
}

/// MIME type for a file name, by extension.
pub fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or_default() {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_names_round_trip() {
        let h = hashed_name("style.css", b"body{}");
        assert!(
            h.starts_with("style.") && h.ends_with(".css") && h.len() == "style..css".len() + 12
        );
        assert_eq!(unhashed_name(&h), "style.css");
    }

    #[test]
    fn escaping_keeps_urls_readable_and_text_safe() {
        let mut env = Environment::new();
        env.set_formatter(html_formatter);
        env.add_template("t.html", "<a href=\"{{ u }}\">{{ t }}</a>")
            .unwrap();
        let out = env
            .get_template("t.html")
            .unwrap()
            .render(minijinja::context! { u => "/a/b/?x=1&y=\"2\"", t => "<script>'" })
            .unwrap();
        assert_eq!(
            out,
            "<a href=\"/a/b/?x=1&amp;y=&quot;2&quot;\">&lt;script&gt;&#39;</a>"
        );
    }

    #[test]
    fn overrides_replace_templates_and_assets() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("templates")).unwrap();
        std::fs::create_dir_all(dir.path().join("assets")).unwrap();
        std::fs::write(dir.path().join("templates/404.html"), "custom {{ 1 + 1 }}").unwrap();
        std::fs::write(dir.path().join("assets/style.css"), "body{color:red}").unwrap();
        let theme = Theme::load(Some(dir.path())).unwrap();
        assert_eq!(
            theme.render("404.html", Value::UNDEFINED).unwrap(),
            "custom 2"
        );
        let url = theme.asset_url("style.css").unwrap();
        let name = url.trim_start_matches("/assets/");
        let asset = theme.assets().find(|(k, _)| *k == name).unwrap().1;
        assert_eq!(asset.bytes, b"body{color:red}");
    }

    #[test]
    fn a_broken_override_is_reported_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("templates/home.html"), "{% if %}").unwrap();
        let err = Theme::load(Some(dir.path())).err().unwrap().to_string();
        assert!(err.contains("home.html"), "{err}");
    }

    #[test]
    fn templates_are_held_compiled_only_once_a_page_needs_them() {
        let theme = Theme::load(None).unwrap();
        assert_eq!(
            theme.env.templates().count(),
            0,
            "nothing compiled kept at start"
        );
        let html = theme
            .render("partials/pagination.html", minijinja::context! {})
            .unwrap();
        assert!(!html.contains("{%"), "{html}");
        let held: Vec<&str> = theme.env.templates().map(|(name, _)| name).collect();
        assert_eq!(held, ["partials/pagination.html"]);
    }
}
