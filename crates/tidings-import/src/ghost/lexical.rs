//! Ghost's Lexical documents (its editor's JSON, the only body of posts written since Ghost 5.x
//! when an export carries no HTML) as HTML. Cards with no meaning outside Ghost (signup forms,
//! email-only blocks, the paywall marker) are left out and named for the report.

use serde_json::Value;

use super::escape;

/// The HTML of a Lexical document, and the kinds of node that could not be turned into HTML.
pub(crate) fn to_html(doc: &str) -> Result<(String, Vec<String>), String> {
    let v: Value = serde_json::from_str(doc).map_err(|e| format!("its Lexical body: {e}"))?;
    let root = v.get("root").ok_or("its Lexical body has no root")?;
    let mut out = String::new();
    let mut skipped = Vec::new();
    children(root, &mut out, &mut skipped, 0);
    Ok((out, skipped))
}

fn children(node: &Value, out: &mut String, skipped: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    if let Some(list) = node.get("children").and_then(Value::as_array) {
        for child in list {
            element(child, out, skipped, depth + 1);
        }
    }
}

fn text_of(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

fn element(n: &Value, out: &mut String, skipped: &mut Vec<String>, depth: usize) {
    let kind = n.get("type").and_then(Value::as_str).unwrap_or("");
    let wrap = |out: &mut String, skipped: &mut Vec<String>, tag: &str| {
        out.push_str(&format!("<{tag}>"));
        children(n, out, skipped, depth);
        out.push_str(&format!("</{tag}>"));
    };
    match kind {
        "paragraph" => wrap(out, skipped, "p"),
        "heading" | "extended-heading" => {
            let tag = text_of(n, "tag");
            let tag = if matches!(tag.as_str(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6") {
                tag
            } else {
                "h2".into()
            };
            wrap(out, skipped, &tag);
        }
        "quote" | "extended-quote" => wrap(out, skipped, "blockquote"),
        "aside" => wrap(out, skipped, "blockquote"),
        "list" => {
            let tag = if text_of(n, "listType") == "number" {
                "ol"
            } else {
                "ul"
            };
            wrap(out, skipped, tag);
        }
        "listitem" => wrap(out, skipped, "li"),
        "link" | "autolink" => {
            out.push_str(&format!("<a href=\"{}\">", escape(&text_of(n, "url"))));
            children(n, out, skipped, depth);
            out.push_str("</a>");
        }
        "text" | "extended-text" => {
            let format = n.get("format").and_then(Value::as_i64).unwrap_or(0);
            let tags: Vec<&str> = [
                (1, "strong"),
                (2, "em"),
                (4, "s"),
                (8, "u"),
                (16, "code"),
                (32, "sub"),
                (64, "sup"),
            ]
            .iter()
            .filter(|(bit, _)| format & bit != 0)
            .map(|(_, t)| *t)
            .collect();
            for t in &tags {
                out.push_str(&format!("<{t}>"));
            }
            out.push_str(&escape(&text_of(n, "text")));
            for t in tags.iter().rev() {
                out.push_str(&format!("</{t}>"));
            }
        }
        "linebreak" => out.push_str("<br>"),
        "horizontalrule" => out.push_str("<hr>"),
        other if super::cards::card(other, n, out) => {}
        other => {
            if n.get("children").is_some() {
                children(n, out, skipped, depth);
            }
            skipped.push(if other.is_empty() {
                "unnamed".into()
            } else {
                other.to_string()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn paragraphs_marks_links_lists_and_cards() {
        let doc = r#"{"root":{"type":"root","children":[
            {"type":"heading","tag":"h2","children":[{"type":"text","text":"Harbour <news>","format":0}]},
            {"type":"paragraph","children":[{"type":"text","text":"bold","format":1},{"type":"text","text":" and ","format":0},
              {"type":"link","url":"https://example.org/?a=1&b=2","children":[{"type":"text","text":"a link","format":2}]}]},
            {"type":"list","listType":"number","children":[{"type":"listitem","children":[{"type":"text","text":"one","format":0}]}]},
            {"type":"image","src":"https://example.com/a.jpg","alt":"Boats","caption":"At dawn"},
            {"type":"signup","children":[]},
            {"type":"horizontalrule"}]}}"#;
        let (html, skipped) = to_html(doc).unwrap();
        assert_eq!(
            html,
            "<h2>Harbour &lt;news&gt;</h2><p><strong>bold</strong> and <a href=\"https://example.org/?a=1&amp;b=2\"><em>a link</em></a></p>\
             <ol><li>one</li></ol><figure><img src=\"https://example.com/a.jpg\" alt=\"Boats\"><figcaption>At dawn</figcaption></figure><hr>"
        );
        assert_eq!(skipped, ["signup"]);
        assert!(to_html("{\"nope\":1}").is_err());
    }
}
