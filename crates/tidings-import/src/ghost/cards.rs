//! Ghost's cards as HTML. Lexical nodes and Mobiledoc card payloads name their fields alike
//! (`src`, `alt`, `caption`, `url`, `metadata.title`, `images`, `code`, `html`, …), so both
//! formats render their cards here.

use serde_json::Value;

use super::escape;

fn s(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

fn img(v: &Value) -> String {
    format!(
        "<img src=\"{}\" alt=\"{}\">",
        escape(&s(v, "src")),
        escape(&s(v, "alt"))
    )
}

/// Writes the card `name` with payload `p`; `false` when it is not a card this knows.
pub(super) fn card(name: &str, p: &Value, out: &mut String) -> bool {
    match name {
        "image" => {
            out.push_str("<figure>");
            out.push_str(&img(p));
            let caption = s(p, "caption");
            if !caption.is_empty() {
                // Ghost keeps captions as HTML; they are sanitised with the body.
                out.push_str(&format!("<figcaption>{caption}</figcaption>"));
            }
            out.push_str("</figure>");
        }
        "gallery" => {
            out.push_str("<figure>");
            for image in p
                .get("images")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push_str(&img(image));
            }
            out.push_str("</figure>");
        }
        "bookmark" => {
            let url = s(p, "url");
            let title = p
                .get("metadata")
                .map(|m| s(m, "title"))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| url.clone());
            out.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p>",
                escape(&url),
                escape(&title)
            ));
        }
        "code" | "codeblock" => out.push_str(&format!(
            "<pre><code>{}</code></pre>",
            escape(&s(p, "code"))
        )),
        "html" | "embed" => out.push_str(&s(p, "html")),
        "markdown" | "card-markdown" => {
            out.push_str(&tidings_content::render_markdown(&s(p, "markdown")))
        }
        "hr" | "horizontalrule" => out.push_str("<hr>"),
        "callout" => out.push_str(&format!("<blockquote>{}</blockquote>", s(p, "calloutText"))),
        "button" => out.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape(&s(p, "buttonUrl")),
            escape(&s(p, "buttonText"))
        )),
        "toggle" => out.push_str(&format!("<h3>{}</h3>{}", s(p, "heading"), s(p, "content"))),
        // Pages here carry no players (the sanitiser keeps links, not <audio> or <video>).
        "video" | "audio" => out.push_str(&format!(
            "<p><a href=\"{}\">{} file</a></p>",
            escape(&s(p, "src")),
            if name == "audio" { "Audio" } else { "Video" }
        )),
        _ => return false,
    }
    true
}
