//! A result's snippet, cut from its body as FTS5's `highlight()` marks it: the stretch of
//! [`WORDS`] words holding the most distinct searched words. FTS5's own `snippet()` reads the
//! body twice (once for sentence bounds, once to mark it) and was a quarter of a search's time.

use super::{MARK_END, MARK_START};

/// Words in a snippet.
pub(super) const WORDS: usize = 24;
/// Words kept before the first hit of the chosen stretch, for context.
const LEAD: usize = 3;

/// The best stretch of `marked` (a whole body with hits between [`MARK_START`] and
/// [`MARK_END`]), with `…` where it cuts the text, and every mark it keeps closed.
pub(super) fn cut(marked: &str) -> String {
    // Word boundaries and hits in one pass over the bytes (a body is thousands of words, a page
    // of results ten bodies): for each word its start and end, and whether a hit starts in it.
    let bytes = marked.as_bytes();
    let mut words: Vec<(usize, usize)> = Vec::with_capacity(bytes.len() / 6);
    let mut hits: Vec<(usize, &str)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        let start = i;
        let mut hit = None;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            if bytes[i] == MARK_START as u8 && hit.is_none() {
                hit = Some(i + 1);
            }
            i += 1;
        }
        if let Some(from) = hit {
            let rest = &marked[from..i];
            let text = &rest[..rest.find(MARK_END).unwrap_or(rest.len())];
            hits.push((words.len(), text));
        }
        words.push((start, i));
    }
    // The stretch starting a little before a hit that holds the most distinct hits (the same word
    // in another case counts once); the first such wins.
    let mut best = (0usize, 0usize);
    for (n, &(at, _)) in hits.iter().enumerate() {
        let from = at.saturating_sub(LEAD);
        let mut seen: Vec<&str> = Vec::new();
        for &(_, text) in hits[n..].iter().take_while(|(w, _)| *w < from + WORDS) {
            if !seen.iter().any(|s| s.eq_ignore_ascii_case(text)) {
                seen.push(text);
            }
        }
        // Hits just before `at` but inside the stretch count too.
        for &(_, text) in hits[..n].iter().rev().take_while(|(w, _)| *w >= from) {
            if !seen.iter().any(|s| s.eq_ignore_ascii_case(text)) {
                seen.push(text);
            }
        }
        if seen.len() > best.1 {
            best = (from, seen.len());
        }
    }
    let from = best.0;
    let to = (from + WORDS).min(words.len());
    let mut out = String::with_capacity(WORDS * 10);
    if from > 0 {
        out.push('…');
    }
    let mut open = false;
    for (n, &(start, end)) in words[from..to].iter().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        for c in marked[start..end].chars() {
            match c {
                MARK_START => open = true,
                // A phrase's mark may have opened before the stretch: drop its end.
                MARK_END if !open => continue,
                MARK_END => open = false,
                _ => {}
            }
            out.push(c);
        }
    }
    if open {
        out.push(MARK_END);
    }
    if to < words.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(s: &str) -> String {
        s.replace('[', &MARK_START.to_string())
            .replace(']', &MARK_END.to_string())
    }

    #[test]
    fn the_stretch_with_most_distinct_hits_wins() {
        let filler = "word ".repeat(40);
        let body = mark(&format!(
            "[harbour] {filler} the [harbour] [flooded] again today {filler} end"
        ));
        let got = cut(&body);
        assert!(got.starts_with('…') && got.ends_with('…'), "{got}");
        assert!(got.contains(&mark("[harbour] [flooded] again")), "{got}");
        assert_eq!(got.split_whitespace().count(), WORDS);
    }

    #[test]
    fn short_bodies_are_whole_and_marks_stay_balanced() {
        assert_eq!(
            cut(&mark("the [port] is\n\nopen")),
            mark("the [port] is open")
        );
        // A phrase hit that opens before the stretch loses its end; one cut off gets one.
        let body = mark(&format!("[a {} b] tail", "x ".repeat(30)));
        let got = cut(&body);
        assert_eq!(
            got.matches(MARK_START).count(),
            got.matches(MARK_END).count(),
            "{got}"
        );
        assert_eq!(cut(""), "");
    }
}
