//! Ghost's Mobiledoc documents (the body of posts written in Ghost 1 to 4, in exports without HTML)
//! as HTML: markup sections, lists and the cards newsrooms use; other cards are named for the report.

use serde_json::Value;

use super::escape;

/// The HTML of a Mobiledoc document, and the cards that could not be turned into HTML.
pub(crate) fn to_html(doc: &str) -> Result<(String, Vec<String>), String> {
    let v: Value = serde_json::from_str(doc).map_err(|e| format!("its Mobiledoc body: {e}"))?;
    let empty = Vec::new();
    let list = |key: &str| {
        v.get(key)
            .and_then(Value::as_array)
            .unwrap_or(&empty)
            .clone()
    };
    let (markups, cards, atoms, sections) = (
        list("markups"),
        list("cards"),
        list("atoms"),
        list("sections"),
    );
    if v.get("sections").is_none() {
        return Err("its Mobiledoc body has no sections".into());
    }
    let mut out = String::new();
    let mut skipped = Vec::new();
    for section in &sections {
        let Some(parts) = section.as_array() else {
            continue;
        };
        match parts.first().and_then(Value::as_i64) {
            // [1, tag, markers]
            Some(1) => {
                let tag = parts
                    .get(1)
                    .and_then(Value::as_str)
                    .unwrap_or("p")
                    .to_ascii_lowercase();
                let tag = match tag.as_str() {
                    "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote" => tag,
                    "aside" | "pull-quote" => "blockquote".into(),
                    _ => "p".into(),
                };
                out.push_str(&format!("<{tag}>"));
                markers(parts.get(2), &markups, &atoms, &mut out);
                out.push_str(&format!("</{tag}>"));
            }
            // [3, "ul" | "ol", [markers, …]]
            Some(3) => {
                let tag = if parts.get(1).and_then(Value::as_str) == Some("ol") {
                    "ol"
                } else {
                    "ul"
                };
                out.push_str(&format!("<{tag}>"));
                for item in parts.get(2).and_then(Value::as_array).into_iter().flatten() {
                    out.push_str("<li>");
                    markers(Some(item), &markups, &atoms, &mut out);
                    out.push_str("</li>");
                }
                out.push_str(&format!("</{tag}>"));
            }
            // [10, card index]
            Some(10) => {
                let card = parts
                    .get(1)
                    .and_then(Value::as_u64)
                    .and_then(|i| cards.get(i as usize))
                    .and_then(Value::as_array);
                let (name, payload) = match card {
                    Some(c) => (
                        c.first().and_then(Value::as_str).unwrap_or(""),
                        c.get(1).cloned().unwrap_or(Value::Null),
                    ),
                    None => ("", Value::Null),
                };
                card_html(name, &payload, &mut out, &mut skipped);
            }
            _ => skipped.push("unknown section".into()),
        }
    }
    Ok((out, skipped))
}

fn card_html(name: &str, p: &Value, out: &mut String, skipped: &mut Vec<String>) {
    if !super::cards::card(name, p, out) {
        skipped.push(if name.is_empty() {
            "unnamed card".into()
        } else {
            name.to_string()
        });
    }
}

/// Markers: `[0, opened markup indexes, closed count, text]` or `[1, …, closed count, atom index]`.
fn markers(list: Option<&Value>, markups: &[Value], atoms: &[Value], out: &mut String) {
    let mut open: Vec<String> = Vec::new();
    for m in list.and_then(Value::as_array).into_iter().flatten() {
        let Some(m) = m.as_array() else { continue };
        for i in m.get(1).and_then(Value::as_array).into_iter().flatten() {
            let Some(markup) = i
                .as_u64()
                .and_then(|i| markups.get(i as usize))
                .and_then(Value::as_array)
            else {
                continue;
            };
            let tag = markup
                .first()
                .and_then(Value::as_str)
                .unwrap_or("span")
                .to_ascii_lowercase();
            let tag = match tag.as_str() {
                "b" | "strong" => "strong",
                "i" | "em" => "em",
                "a" => "a",
                "s" | "u" | "code" | "sub" | "sup" => markup[0].as_str().unwrap_or("span"),
                _ => "span",
            }
            .to_string();
            if tag == "a" {
                let attrs = markup.get(1).and_then(Value::as_array);
                let href = attrs
                    .and_then(|a| {
                        a.chunks(2).find_map(|kv| {
                            (kv.first().and_then(Value::as_str) == Some("href"))
                                .then(|| kv.get(1).and_then(Value::as_str).unwrap_or(""))
                        })
                    })
                    .unwrap_or("");
                out.push_str(&format!("<a href=\"{}\">", escape(href)));
            } else {
                out.push_str(&format!("<{tag}>"));
            }
            open.push(tag);
        }
        let text = match m.first().and_then(Value::as_i64) {
            Some(1) => m
                .get(3)
                .and_then(Value::as_u64)
                .and_then(|i| atoms.get(i as usize))
                .and_then(Value::as_array)
                .and_then(|a| a.get(1))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            _ => m.get(3).and_then(Value::as_str).unwrap_or("").to_string(),
        };
        out.push_str(&escape(&text));
        let closed = m.get(2).and_then(Value::as_u64).unwrap_or(0) as usize;
        for _ in 0..closed.min(open.len()) {
            if let Some(tag) = open.pop() {
                out.push_str(&format!("</{tag}>"));
            }
        }
    }
    while let Some(tag) = open.pop() {
        out.push_str(&format!("</{tag}>"));
    }
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn sections_markups_lists_and_cards() {
        let doc = r#"{"version":"0.3.1","atoms":[],"markups":[["strong"],["a",["href","https://example.org/"]]],
            "cards":[["image",{"src":"https://example.com/a.jpg","alt":"Boats","caption":"Dawn"}],["signup",{}]],
            "sections":[[1,"h2",[[0,[],0,"Title"]]],[1,"p",[[0,[0],1,"bold"],[0,[],0," then "],[0,[1],1,"link"]]],
            [3,"ul",[[[0,[],0,"one"]],[[0,[],0,"two"]]]],[10,0],[10,1]]}"#;
        let (html, skipped) = to_html(doc).unwrap();
        assert_eq!(
            html,
            "<h2>Title</h2><p><strong>bold</strong> then <a href=\"https://example.org/\">link</a></p>\
             <ul><li>one</li><li>two</li></ul><figure><img src=\"https://example.com/a.jpg\" alt=\"Boats\"><figcaption>Dawn</figcaption></figure>"
        );
        assert_eq!(skipped, ["signup"]);
    }
}
