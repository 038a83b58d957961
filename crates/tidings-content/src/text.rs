//! Plain text from HTML, for excerpts and meta descriptions.

/// Strips tags and decodes the few entities the Markdown renderer emits; collapses whitespace.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first `max_chars` characters of the text, cut at a word boundary with an ellipsis.
pub fn excerpt(html: &str, max_chars: usize) -> String {
    let text = html_to_text(html);
    if text.chars().count() <= max_chars {
        return text;
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max_chars / 2 => &cut[..i],
        _ => &cut,
    };
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
}

/// A CSV cell that a spreadsheet will show as text: values starting with `=`, `+`, `-` or `@`
/// (and tab or carriage return) get a leading apostrophe, so they are never run as formulas.
pub fn escape_cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_excerpt() {
        let html = "<p>The <em>council</em> met &amp; voted.</p>\n<p>Second   paragraph here.</p>";
        assert_eq!(
            html_to_text(html),
            "The council met & voted. Second paragraph here."
        );
        assert_eq!(
            excerpt(html, 200),
            "The council met & voted. Second paragraph here."
        );
        assert_eq!(excerpt(html, 20), "The council met &…");
    }
}
