//! DKIM's "relaxed" canonicalization (RFC 6376 section 3.4.2 and 3.4.4) over a formatted
//! message, and the signature header built from it. Signing the bytes as they will be sent lets
//! the expensive part (the private-key operation) run on any core, apart from message building.

use aws_lc_rs::digest;
use base64::Engine;

/// The relaxed form of a header field: lower-case name, value unfolded, runs of spaces and tabs
/// as one space, none at either end, then CRLF (the DKIM-Signature field itself goes without it).
fn header(out: &mut Vec<u8>, name: &str, value: &[u8], crlf: bool) {
    out.extend(name.bytes().map(|b| b.to_ascii_lowercase()));
    out.push(b':');
    let start = out.len();
    let mut space = false;
    for &b in value {
        match b {
            b'\r' | b'\n' => {}
            b' ' | b'\t' => space = true,
            _ => {
                if space && out.len() > start {
                    out.push(b' ');
                }
                space = false;
                out.push(b);
            }
        }
    }
    if crlf {
        out.extend_from_slice(b"\r\n");
    }
}

/// The SHA-256 of the relaxed body: runs of spaces and tabs as one space, none at a line's end,
/// no empty lines at the end, and a final CRLF unless the body is empty.
pub(super) fn body_hash(body: &[u8]) -> digest::Digest {
    let mut hash = digest::Context::new(&digest::SHA256);
    let mut line = Vec::with_capacity(128);
    // Empty lines seen but not yet written: written only if a non-empty line follows.
    let mut blank = 0usize;
    let mut rest = body;
    while !rest.is_empty() {
        let (raw, next) = match rest.windows(2).position(|w| w == b"\r\n") {
            Some(i) => (&rest[..i], &rest[i + 2..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        line.clear();
        let mut space = false;
        for &b in raw {
            if b == b' ' || b == b'\t' {
                space = true;
            } else {
                if space {
                    line.push(b' ');
                }
                space = false;
                line.push(b);
            }
        }
        if line.is_empty() {
            blank += 1;
            continue;
        }
        for _ in 0..blank {
            hash.update(b"\r\n");
        }
        blank = 0;
        hash.update(&line);
        hash.update(b"\r\n");
    }
    hash.finish()
}

/// The header fields of a formatted message, in order, as (name, raw value with any folding),
/// and where the body starts.
pub(super) fn split(message: &[u8]) -> (Vec<(&str, &[u8])>, &[u8]) {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(message.len(), |i| i + 2);
    let body = message.get(end + 2..).unwrap_or_default();
    let mut fields: Vec<(&str, &[u8])> = Vec::new();
    let head = &message[..end];
    let mut start = 0;
    let mut i = 0;
    while i < head.len() {
        // A field ends at a CRLF not followed by a space or tab (a folded continuation).
        let ends = head[i..].starts_with(b"\r\n") && !matches!(head.get(i + 2), Some(b' ' | b'\t'));
        if ends {
            let field = &head[start..i];
            if let Some(colon) = field.iter().position(|&b| b == b':') {
                if let Ok(name) = std::str::from_utf8(&field[..colon]) {
                    fields.push((name.trim(), &field[colon + 1..]));
                }
            }
            start = i + 2;
            i += 2;
        } else {
            i += 1;
        }
    }
    (fields, body)
}

/// What a signature says besides the signature itself.
pub(super) struct Tags<'a> {
    /// `rsa` or `ed25519`.
    pub algorithm: &'a str,
    pub domain: &'a str,
    pub selector: &'a str,
    /// Seconds since 1970.
    pub timestamp: u64,
    /// Header names to sign, in order; absent ones are signed as absent, so they cannot be added.
    pub headers: &'a [&'a str],
}

/// `message` with its DKIM-Signature field in front, `b=` filled by `sign` from the canonical
/// signed data (the covered fields, then this field with `b=` empty and no final CRLF).
pub(super) fn signed(
    message: &[u8],
    tags: &Tags<'_>,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let (fields, body) = split(message);
    let list = tags
        .headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(":");
    // Folded between tags only: a fold inside b= is allowed but needlessly fragile.
    let field = format!(
        "DKIM-Signature: v=1; a={}-sha256; d={}; s={}; c=relaxed/relaxed; q=dns/txt; t={};\r\n\th={list};\r\n\tbh={};\r\n\tb=",
        tags.algorithm,
        tags.domain,
        tags.selector,
        tags.timestamp,
        b64.encode(body_hash(body).as_ref()),
    );
    let mut data = Vec::with_capacity(512);
    for name in tags.headers {
        if let Some((n, value)) = fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            header(&mut data, n, value, true);
        }
    }
    header(
        &mut data,
        "DKIM-Signature",
        &field.as_bytes()["DKIM-Signature:".len()..],
        false,
    );
    let signature = b64.encode(sign(&data));
    let mut out = Vec::with_capacity(field.len() + signature.len() + 2 + message.len());
    out.extend_from_slice(field.as_bytes());
    out.extend_from_slice(signature.as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(message);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical_body(body: &str) -> Vec<u8> {
        body_hash(body.as_bytes()).as_ref().to_vec()
    }

    #[test]
    fn relaxed_body_folds_spaces_and_drops_trailing_blank_lines() {
        let plain = |s: &str| {
            digest::digest(&digest::SHA256, s.as_bytes())
                .as_ref()
                .to_vec()
        };
        assert_eq!(
            canonical_body(" C \r\nD \t E\r\n\r\n\r\n"),
            plain(" C\r\nD E\r\n")
        );
        // Blank lines inside the body stay; a body without a final CRLF gains one.
        assert_eq!(canonical_body("a\r\n\r\nb"), plain("a\r\n\r\nb\r\n"));
        assert_eq!(canonical_body(""), plain(""));
        assert_eq!(canonical_body("\r\n\r\n"), plain(""));
    }

    #[test]
    fn relaxed_headers_unfold_and_lower_case_the_name() {
        let message = b"A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\n";
        let (fields, body) = split(message);
        assert_eq!(body, b" C \r\n");
        let mut out = Vec::new();
        for (name, value) in fields {
            header(&mut out, name, value, true);
        }
        // RFC 6376 section 3.4.5's example.
        assert_eq!(out, b"a:X\r\nb:Y Z\r\n");
    }
}
