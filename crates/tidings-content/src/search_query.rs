//! What a reader types into the search box, read into terms both engines can run safely: words
//! (all must match), `"exact phrases"`, `-excluded` words or phrases and `prefix*` words. Anything
//! else (operators, brackets, stray quotes, control characters) is read as plain words, so no
//! input reaches an engine's own query syntax.

/// Longest query read, in characters; a longer one is refused by the page.
pub const MAX_QUERY_CHARS: usize = 256;
/// Most terms read; the rest are ignored.
const MAX_TERMS: usize = 12;
/// Longest word kept, in characters.
const MAX_WORD: usize = 64;

/// One thing to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A word, as the engine stems it.
    Word(String),
    /// Words starting with this.
    Prefix(String),
    /// These words, in this order.
    Phrase(Vec<String>),
}

impl Term {
    /// The term's words, for highlighting and suggestions.
    pub fn words(&self) -> Vec<&str> {
        match self {
            Term::Word(w) | Term::Prefix(w) => vec![w.as_str()],
            Term::Phrase(ws) => ws.iter().map(String::as_str).collect(),
        }
    }
}

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Every one must match.
    pub must: Vec<Term>,
    /// None may match.
    pub not: Vec<Term>,
}

impl SearchQuery {
    /// Whether there is anything to look for (exclusions alone find nothing).
    pub fn is_empty(&self) -> bool {
        self.must.is_empty()
    }

    /// The query written back in its canonical form, for logs of what readers look for.
    pub fn normalised(&self) -> String {
        let show = |t: &Term| match t {
            Term::Word(w) => w.clone(),
            Term::Prefix(w) => format!("{w}*"),
            Term::Phrase(ws) => format!("\"{}\"", ws.join(" ")),
        };
        self.must
            .iter()
            .map(show)
            .chain(self.not.iter().map(|t| format!("-{}", show(t))))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The FTS5 `MATCH` expression: every word quoted, so nothing in it is FTS5 syntax.
    pub fn fts5(&self) -> String {
        let mut out = format!(
            "({})",
            self.must
                .iter()
                .map(fts5_term)
                .collect::<Vec<_>>()
                .join(" AND ")
        );
        for t in &self.not {
            out.push_str(" NOT ");
            out.push_str(&fts5_term(t));
        }
        out
    }

    /// The FTS5 expression matching rows that hold any wanted term: with the headline, dek and
    /// tags alone, the stories that rank first.
    pub fn fts5_any(&self) -> String {
        self.must
            .iter()
            .map(fts5_term)
            .collect::<Vec<_>>()
            .join(" OR ")
    }

    /// The PostgreSQL `to_tsquery` text matching any wanted term in the headline, dek or tags
    /// (weights A and B), the stories that rank first.
    pub fn tsquery_head(&self) -> String {
        self.must
            .iter()
            .map(|t| ts_term(t, "AB"))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// The PostgreSQL `to_tsquery` text: every word single-quoted (words hold only letters and
    /// digits, so no quote can end early).
    pub fn tsquery(&self) -> String {
        self.must
            .iter()
            .map(|t| ts_term(t, ""))
            .chain(self.not.iter().map(|t| format!("!{}", ts_term(t, ""))))
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// One term in `to_tsquery` syntax, its words quoted, restricted to `weights` (`"AB"`) if any.
fn ts_term(t: &Term, weights: &str) -> String {
    let word = |w: &str, prefix: bool| match (prefix, weights.is_empty()) {
        (false, true) => format!("'{w}'"),
        (false, false) => format!("'{w}':{weights}"),
        (true, _) => format!("'{w}':*{weights}"),
    };
    match t {
        Term::Word(w) => word(w, false),
        Term::Prefix(w) => word(w, true),
        Term::Phrase(ws) => format!(
            "({})",
            ws.iter()
                .map(|w| word(w, false))
                .collect::<Vec<_>>()
                .join(" <-> ")
        ),
    }
}

/// One term in FTS5's syntax, its words quoted.
fn fts5_term(t: &Term) -> String {
    match t {
        Term::Word(w) => format!("\"{w}\""),
        Term::Prefix(w) => format!("\"{w}\"*"),
        Term::Phrase(ws) => format!("\"{}\"", ws.join(" ")),
    }
}

/// The words in `s`: runs of letters and digits, lowercased and cut to a sane length.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(MAX_WORD).collect())
        .collect()
}

/// Reads a query. Never fails: what is not syntax is words.
pub fn parse(input: &str) -> SearchQuery {
    let mut q = SearchQuery::default();
    let mut rest = input;
    let push = |q: &mut SearchQuery, negated: bool, term: Term| {
        if q.must.len() + q.not.len() >= MAX_TERMS {
            return;
        }
        if negated {
            q.not.push(term);
        } else {
            q.must.push(term);
        }
    };
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c.is_control());
        if rest.is_empty() {
            break;
        }
        let negated = rest.starts_with('-') && rest.len() > 1;
        let body = if negated { &rest[1..] } else { rest };
        if let Some(after) = body.strip_prefix('"') {
            // A phrase runs to the next quote; an unclosed one runs to the end.
            let (inside, next) = match after.find('"') {
                Some(end) => (&after[..end], &after[end + 1..]),
                None => (after, ""),
            };
            match words(inside).as_slice() {
                [] => {}
                [one] => push(&mut q, negated, Term::Word(one.clone())),
                many => push(&mut q, negated, Term::Phrase(many.to_vec())),
            }
            rest = next;
            continue;
        }
        let end = body.find(char::is_whitespace).unwrap_or(body.len());
        let token = &body[..end];
        rest = &body[end..];
        let parts = words(token);
        // `word*` is a prefix; a star anywhere else, or alone, is not syntax.
        let prefix = token.ends_with('*') && parts.len() == 1;
        for (i, w) in parts.iter().enumerate() {
            let term = if prefix && i == parts.len() - 1 {
                Term::Prefix(w.clone())
            } else {
                Term::Word(w.clone())
            };
            // `-well-known` excludes "well" and "known" together only as one phrase.
            if negated && parts.len() > 1 {
                push(&mut q, true, Term::Phrase(parts.clone()));
                break;
            }
            push(&mut q, negated, term);
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Term {
        Term::Word(s.into())
    }

    #[test]
    fn each_form_is_read() {
        let q = parse(r#"Budget "city hall" -parking harb* "#);
        assert_eq!(
            q.must,
            [
                w("budget"),
                Term::Phrase(vec!["city".into(), "hall".into()]),
                Term::Prefix("harb".into())
            ]
        );
        assert_eq!(q.not, [w("parking")]);
        assert_eq!(
            q.fts5(),
            r#"("budget" AND "city hall" AND "harb"*) NOT "parking""#
        );
        assert_eq!(
            q.tsquery(),
            "'budget' & ('city' <-> 'hall') & 'harb':* & !'parking'"
        );
        assert_eq!(q.normalised(), r#"budget "city hall" harb* -parking"#);
        // The headline tier asks for any wanted term, never the excluded ones.
        assert_eq!(q.fts5_any(), r#""budget" OR "city hall" OR "harb"*"#);
        assert_eq!(
            q.tsquery_head(),
            "'budget':AB | ('city':AB <-> 'hall':AB) | 'harb':*AB"
        );
    }

    #[test]
    fn syntax_of_the_engines_is_only_words() {
        for (input, must) in [
            ("NEAR(a b)", vec![w("near"), w("a"), w("b")]),
            (
                "a AND (b OR c",
                vec![w("a"), w("and"), w("b"), w("or"), w("c")],
            ),
            ("* ** -", vec![]),
            (
                "'; DROP TABLE articles; --",
                vec![w("drop"), w("table"), w("articles")],
            ),
            (
                "\"unclosed phrase",
                vec![Term::Phrase(vec!["unclosed".into(), "phrase".into()])],
            ),
            ("a\0b", vec![w("a"), w("b")]),
            ("École d'été", vec![w("école"), w("d"), w("été")]),
            ("x:* & !y", vec![Term::Prefix("x".into()), w("y")]),
        ] {
            assert_eq!(parse(input).must, must, "{input}");
        }
        assert!(parse("-only -exclusions").is_empty());
        assert_eq!(parse(&"word ".repeat(100)).must.len(), MAX_TERMS);
    }
}
