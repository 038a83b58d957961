//! Reading time from word count.
//!
//! Formula: words are counted in the visible text (HTML tags and `<pre>` code blocks excluded), and
//! minutes = round(words / 200), at least 1. So ~600 words read as "3 min read", 1,500 as "8 min read".

/// Average adult reading speed for news prose, in words per minute.
pub const WORDS_PER_MINUTE: usize = 200;

/// Counts words in rendered HTML, skipping tags and preformatted code.
pub fn count_words(html: &str) -> usize {
    let mut words = 0;
    let mut in_word = false;
    let mut in_tag = false;
    let mut pre_depth = 0usize;
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            let lower: String = rest
                .chars()
                .take(5)
                .collect::<String>()
                .to_ascii_lowercase();
            if lower.starts_with("<pre") {
                pre_depth += 1;
            } else if lower.starts_with("</pre") {
                pre_depth = pre_depth.saturating_sub(1);
            }
            in_tag = true;
            in_word = false;
        } else if c == '>' && in_tag {
            in_tag = false;
        } else if c == '&' && !in_tag {
            // An entity such as &nbsp; separates words rather than joining them.
            // Look for its `;` in the next dozen bytes, cut at a character boundary.
            let mut window = rest.len().min(12);
            while !rest.is_char_boundary(window) {
                window -= 1;
            }
            if let Some(end) = rest[..window].find(';') {
                rest = &rest[end + 1..];
                in_word = false;
                continue;
            }
        } else if !in_tag && pre_depth == 0 {
            if c.is_alphanumeric() {
                if !in_word {
                    words += 1;
                    in_word = true;
                }
            } else if c.is_whitespace() {
                in_word = false;
            }
        }
        rest = &rest[c.len_utf8()..];
    }
    words
}

/// Minutes to read `words` words, rounded to the nearest minute and never less than one.
pub fn reading_minutes(words: usize) -> u32 {
    let minutes = (words + WORDS_PER_MINUTE / 2) / WORDS_PER_MINUTE;
    minutes.max(1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ampersand_before_accented_letters_is_no_trouble() {
        // `&` then a letter whose bytes straddle the entity window (found by a large import).
        assert_eq!(count_words("&amp; net résumé. Argued"), 3);
        assert_eq!(count_words("R&D résumé"), 2);
        assert_eq!(count_words("a &ééééééééé b"), 3);
    }

    #[test]
    fn about_six_hundred_words_read_in_three_minutes() {
        let html = format!("<p>{}</p>", "word ".repeat(600));
        assert_eq!(count_words(&html), 600);
        assert_eq!(reading_minutes(600), 3);
        assert_eq!(reading_minutes(640), 3);
        assert_eq!(reading_minutes(560), 3);
    }

    #[test]
    fn short_text_is_one_minute_and_code_is_skipped() {
        assert_eq!(reading_minutes(0), 1);
        assert_eq!(reading_minutes(20), 1);
        let html =
            "<p>two words</p><pre><code>let a = b + c;</code></pre><p>and <em>three</em> more</p>";
        assert_eq!(count_words(html), 5);
        assert_eq!(reading_minutes(1500), 8);
    }

    #[test]
    fn counts_contractions_and_unicode_as_words() {
        assert_eq!(
            count_words("<p>It's the café&nbsp;today — Zürich’s news.</p>"),
            6
        );
    }
}
