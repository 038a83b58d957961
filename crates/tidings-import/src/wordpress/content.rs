//! Turning a WordPress post body into the HTML Tidings keeps: block-editor comments removed,
//! shortcodes made into plain HTML (or reported), and WordPress's paragraph convention (blank lines
//! between paragraphs, which WordPress turns into `<p>` only when it shows a page) made explicit.

/// A cleaned body and the shortcodes it could not turn into HTML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body {
    /// HTML, one block per paragraph (sanitised later, as everything the editor saves).
    pub html: String,
    /// Shortcode names left as text, once each.
    pub unconverted: Vec<String>,
}

/// Block-level tags: a chunk that starts with one is HTML already.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "figure",
    "table",
    "pre",
    "hr",
    "dl",
    "address",
    "section",
    "aside",
    "iframe",
    "audio",
    "video",
];

/// Removes `<!-- wp:… -->` and `<!-- /wp:… -->` comments.
fn strip_block_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("<!--") {
        let after = &rest[at + 4..];
        let trimmed = after.trim_start();
        if trimmed.starts_with("wp:") || trimmed.starts_with("/wp:") {
            out.push_str(&rest[..at]);
            match after.find("-->") {
                Some(end) => rest = &after[end + 3..],
                None => {
                    rest = "";
                    break;
                }
            }
        } else {
            out.push_str(&rest[..at + 4]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The value of `key="…"` in a shortcode's attributes.
fn attr(attrs: &str, key: &str) -> Option<String> {
    let at = attrs.find(&format!("{key}=\""))? + key.len() + 2;
    let end = attrs[at..].find('"')? + at;
    Some(attrs[at..end].to_string())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Replaces each `[name …]inner[/name]` (or `[name …]` alone) with what `f` makes of it.
fn shortcodes(s: &str, unconverted: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let tail = &rest[open + 1..];
        let Some(close) = tail.find(']') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let tag = &tail[..close];
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if !name.starts_with(|c: char| c.is_ascii_alphabetic()) || tag.contains('\n') {
            out.push('[');
            rest = tail;
            continue;
        }
        let attrs = &tag[name.len()..];
        let after = &tail[close + 1..];
        let end_tag = format!("[/{name}]");
        let (inner, next) = match after.find(&end_tag) {
            Some(e) => (&after[..e], &after[e + end_tag.len()..]),
            None => ("", after),
        };
        match name.as_str() {
            "caption" | "wp_caption" => {
                // [caption …]<img …> The caption.[/caption]
                let (media, text) = match inner.rfind('>') {
                    Some(i) => (&inner[..=i], inner[i + 1..].trim()),
                    None => (inner, ""),
                };
                let text = if text.is_empty() {
                    attr(attrs, "caption").unwrap_or_default()
                } else {
                    text.to_string()
                };
                out.push_str(&format!(
                    "<figure>{}<figcaption>{}</figcaption></figure>",
                    media.trim(),
                    text
                ));
            }
            "embed" => {
                let url = inner.trim();
                out.push_str(&format!(
                    "<p><a href=\"{}\">{}</a></p>",
                    escape(url),
                    escape(url)
                ));
            }
            "audio" | "video" => {
                let src = ["src", "mp3", "m4a", "ogg", "wav", "mp4", "webm"]
                    .iter()
                    .find_map(|k| attr(attrs, k))
                    .unwrap_or_default();
                if src.is_empty() {
                    unconverted.push(name.clone());
                } else {
                    out.push_str(&format!(
                        "<p><a href=\"{}\">{} file</a></p>",
                        escape(&src),
                        if name == "audio" { "Audio" } else { "Video" }
                    ));
                }
            }
            _ => {
                if !unconverted.contains(&name) {
                    unconverted.push(name.clone());
                }
                // Left as it was, for the outlet to redo.
                out.push('[');
                out.push_str(tag);
                out.push(']');
                out.push_str(inner);
                if after.contains(&end_tag) {
                    out.push_str(&end_tag);
                }
            }
        }
        rest = next;
    }
    out.push_str(rest);
    out
}

/// Whether a line is HTML already (starts with a block-level tag, opening or closing, or a comment).
fn is_block(chunk: &str) -> bool {
    let Some(tag) = chunk.strip_prefix('<') else {
        return false;
    };
    let tag = tag.strip_prefix('/').unwrap_or(tag);
    if tag.starts_with("!--") {
        return true;
    }
    let name: String = tag
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    BLOCKS.contains(&name.as_str())
}

/// Cleans a post body (see the module's note).
pub fn clean(content: &str) -> Body {
    let mut unconverted = Vec::new();
    let text = strip_block_comments(&content.replace("\r\n", "\n"));
    let text = shortcodes(&text, &mut unconverted);
    let mut blocks = Vec::new();
    for chunk in text.split("\n\n") {
        let chunk = chunk.trim();
        if chunk.is_empty() {
            continue;
        }
        // Lines that are block-level HTML stand alone; runs of other lines are a paragraph with
        // line breaks. The chunk stays one block (no blank line inside it).
        let mut lines: Vec<String> = Vec::new();
        let mut inline: Vec<&str> = Vec::new();
        let flush = |inline: &mut Vec<&str>, lines: &mut Vec<String>| {
            if !inline.is_empty() {
                lines.push(format!("<p>{}</p>", inline.join("<br>\n")));
                inline.clear();
            }
        };
        for line in chunk.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if is_block(line) {
                flush(&mut inline, &mut lines);
                lines.push(line.to_string());
            } else {
                inline.push(line);
            }
        }
        flush(&mut inline, &mut lines);
        blocks.push(lines.join("\n"));
    }
    Body {
        html: blocks.join("\n\n"),
        unconverted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_blocks_and_comments() {
        let b = clean("<!-- wp:paragraph -->\nFirst line\nsecond line\n\nSecond para\n<!-- /wp:paragraph -->\n\n<h2>Head</h2>");
        assert_eq!(
            b.html,
            "<p>First line<br>\nsecond line</p>\n\n<p>Second para</p>\n\n<h2>Head</h2>"
        );
        let b = clean("<strong>Headings</strong>\n<h1>One</h1>\n<ul>\n<li>a</li>\n</ul>\nAfter");
        assert_eq!(
            b.html,
            "<p><strong>Headings</strong></p>\n<h1>One</h1>\n<ul>\n<li>a</li>\n</ul>\n<p>After</p>"
        );
        assert!(b.unconverted.is_empty());
    }

    #[test]
    fn shortcodes_become_html_or_are_reported() {
        let b = clean("[caption id=\"a\" width=\"300\"]<img src=\"x.jpg\" alt=\"A\"> Harbour at dawn[/caption]");
        assert_eq!(
            b.html,
            "<figure><img src=\"x.jpg\" alt=\"A\"><figcaption>Harbour at dawn</figcaption></figure>"
        );
        let b = clean("Watch: [embed]https://example.org/v[/embed] and [gallery ids=\"1,2\"]");
        assert!(
            b.html.contains("<a href=\"https://example.org/v\">"),
            "{}",
            b.html
        );
        assert!(b.html.contains("[gallery ids=\"1,2\"]"), "{}", b.html);
        assert_eq!(b.unconverted, ["gallery"]);
        // Brackets that are not shortcodes stay as they are.
        assert_eq!(clean("a [1] b").html, "<p>a [1] b</p>");
    }
}
