//! Markdown rendering and HTML sanitizing, done once when content is saved.

use std::sync::OnceLock;

use pulldown_cmark::{html, Options, Parser};

/// Renders author Markdown to HTML that is safe to embed in a page.
pub fn render_markdown(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    sanitize_html(&raw)
}

/// Cleans author or imported HTML through an allow-list: no scripts, no event handlers, no
/// `javascript:` URLs, no inline styles.
pub fn sanitize_html(html: &str) -> String {
    cleaner().clean(html).to_string()
}

fn cleaner() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_tags(["figure", "figcaption", "aside", "mark", "section"])
            .add_tag_attributes("img", ["loading", "width", "height", "srcset", "sizes"])
            .add_tag_attributes("a", ["id"])
            .add_tag_attributes("sup", ["id"])
            .add_tag_attributes("li", ["id"])
            .add_tag_attributes("div", ["id"])
            .add_tag_attributes("h2", ["id"])
            .add_tag_attributes("h3", ["id"])
            .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
            .link_rel(Some("noopener noreferrer"));
        b
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_common_markdown() {
        let html = render_markdown("# Title\n\nSome *emphasis* and a [link](https://example.org).\n\n> A quote\n\n- one\n- two\n");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>emphasis</em>"));
        assert!(
            html.contains("<a href=\"https://example.org\" rel=\"noopener noreferrer\">link</a>")
        );
        assert!(html.contains("<blockquote>"));
        assert!(html.contains("<li>two</li>"));
    }

    #[test]
    fn removes_scripts_event_handlers_and_javascript_links() {
        let md = "Hello <script>alert(1)</script>\n\n<img src=\"x.png\" onerror=\"alert(2)\">\n\n[click](javascript:alert(3))\n\n<a href=\"JaVaScRiPt:alert(4)\">x</a>\n\n<p style=\"color:red\" onclick=\"alert(5)\">p</p>\n\n<iframe src=\"https://evil.example\"></iframe>";
        let html = render_markdown(md);
        let lower = html.to_ascii_lowercase();
        for bad in [
            "<script",
            "alert(1)",
            "onerror",
            "javascript:",
            "onclick",
            "style=",
            "<iframe",
        ] {
            assert!(!lower.contains(bad), "{bad} survived in {html}");
        }
        assert!(html.contains("<img src=\"x.png\">"), "{html}");
    }

    #[test]
    fn keeps_figures_and_tables() {
        let html = sanitize_html("<figure><img src=\"/media/a.jpg\" alt=\"A\" loading=\"lazy\"><figcaption>Cap</figcaption></figure>");
        assert!(html.contains("<figcaption>Cap</figcaption>"));
        assert!(html.contains("loading=\"lazy\""));
        let html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<table>"));
    }
}
