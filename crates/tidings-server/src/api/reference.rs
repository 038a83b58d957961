//! The API reference at `/api/docs`: one HTML page rendered from the OpenAPI document when the
//! server starts. It loads nothing (no script, font or stylesheet from elsewhere), so reading it
//! tells no third party who reads it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tidings_theme::escape_html as esc;

use crate::api::problem::KINDS;

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;\
padding:1rem;color:#1b1b1b}code,pre{font:14px/1.4 ui-monospace,monospace}pre{background:#f4f4f4;\
padding:.75rem;overflow-x:auto}table{border-collapse:collapse;width:100%;margin:.5rem 0}\
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}\
.op{border-top:2px solid #1b1b1b;margin-top:2rem}.method{font-weight:700;text-transform:uppercase}\
nav ul{columns:2}";

/// The page's `Content-Security-Policy`: nothing but its own inline style.
pub fn policy() -> String {
    let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    )
}

/// The reference page for `doc`.
pub fn render(doc: &utoipa::openapi::OpenApi) -> String {
    let doc = serde_json::to_value(doc).unwrap_or(Value::Null);
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut out = String::new();
    let title = text(&doc["info"]["title"]);
    out.push_str(&format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} reference</title><style>{STYLE}</style></head><body><main>\
         <h1>{} reference</h1><p>{}</p><p>The machine-readable contract is \
         <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI 3.1).</p>",
        esc(&title),
        esc(&title),
        esc(&text(&doc["info"]["description"]))
    ));
    let empty = serde_json::Map::new();
    let paths = doc["paths"].as_object().unwrap_or(&empty);
    out.push_str("<nav aria-label=\"Operations\"><h2>Operations</h2><ul>");
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap_or(&empty) {
            out.push_str(&format!(
                "<li><a href=\"#{}\"><span class=\"method\">{}</span> <code>{}</code></a></li>",
                esc(&text(&op["operationId"])),
                esc(method),
                esc(path)
            ));
        }
    }
    out.push_str("</ul></nav>");
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap_or(&empty) {
            operation(&mut out, method, path, op);
        }
    }
    out.push_str(
        "<h2 id=\"problems\">Problems</h2><p>Every error is a problem detail whose \
        <code>type</code> is one of these.</p>",
    );
    for k in KINDS {
        out.push_str(&format!(
            "<h3 id=\"problem-{}\"><code>{}</code> ({})</h3><p>{}</p>",
            k.slug(),
            esc(&k.type_uri()),
            k.status().as_u16(),
            esc(k.explanation())
        ));
    }
    out.push_str("<h2 id=\"schemas\">Schemas</h2>");
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap_or(&empty) {
        out.push_str(&format!(
            "<h3 id=\"schema-{}\">{}</h3><p>{}</p>",
            esc(name),
            esc(name),
            esc(&text(&schema["description"]))
        ));
        properties(&mut out, schema);
        if !schema["example"].is_null() {
            out.push_str(&format!(
                "<pre>{}</pre>",
                esc(&serde_json::to_string_pretty(&schema["example"]).unwrap_or_default())
            ));
        }
    }
    out.push_str("</main></body></html>");
    out
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value) {
    let text = |v: &Value| esc(v.as_str().unwrap_or_default());
    out.push_str(&format!(
        "<section class=\"op\" id=\"{}\"><h2><span class=\"method\">{}</span> <code>{}</code></h2>\
         <p>{}</p>",
        text(&op["operationId"]),
        esc(method),
        esc(path),
        text(&op["summary"])
    ));
    if op["description"].is_string() {
        out.push_str(&format!("<p>{}</p>", text(&op["description"])));
    }
    if let Some(params) = op["parameters"].as_array() {
        out.push_str(
            "<table><caption>Parameters</caption><tr><th>name</th><th>in</th><th>type</th>\
             <th>description</th></tr>",
        );
        for p in params {
            out.push_str(&format!(
                "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                text(&p["name"]),
                if p["required"].as_bool() == Some(true) {
                    " (required)"
                } else {
                    ""
                },
                text(&p["in"]),
                esc(&type_of(&p["schema"])),
                text(&p["description"])
            ));
        }
        out.push_str("</table>");
    }
    out.push_str(
        "<table><caption>Responses</caption><tr><th>status</th><th>description</th><th>body</th></tr>",
    );
    let empty = serde_json::Map::new();
    for (status, r) in op["responses"].as_object().unwrap_or(&empty) {
        let body = r["content"]
            .as_object()
            .and_then(|c| c.iter().next())
            .map(|(mime, c)| format!("<code>{}</code> {}", esc(mime), esc(&type_of(&c["schema"]))))
            .unwrap_or_default();
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(status),
            text(&r["description"]),
            body
        ));
    }
    out.push_str("</table></section>");
}

fn properties(out: &mut String, schema: &Value) {
    let Some(props) = schema["properties"].as_object() else {
        if let Some(values) = schema["enum"].as_array() {
            let names: Vec<String> = values
                .iter()
                .map(|v| format!("<code>{}</code>", esc(v.as_str().unwrap_or_default())))
                .collect();
            out.push_str(&format!("<p>One of {}.</p>", names.join(", ")));
        }
        return;
    };
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    out.push_str("<table><tr><th>field</th><th>type</th><th>description</th></tr>");
    for (name, p) in props {
        out.push_str(&format!(
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            if required.contains(&name.as_str()) {
                " (always)"
            } else {
                ""
            },
            esc(&type_of(p)),
            esc(p["description"].as_str().unwrap_or_default())
        ));
    }
    out.push_str("</table>");
}

/// A schema in a few words: `string (date-time)`, `array of Link`, `Link or null`.
fn type_of(s: &Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    if let Some(any) = s["oneOf"].as_array().or(s["anyOf"].as_array()) {
        return any.iter().map(type_of).collect::<Vec<_>>().join(" or ");
    }
    let base = match &s["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => String::new(),
    };
    let base = if base.starts_with("array") {
        base.replacen("array", &format!("array of {}", type_of(&s["items"])), 1)
    } else {
        base
    };
    match s["format"].as_str() {
        Some(f) => format!("{base} ({f})"),
        None => base,
    }
}
