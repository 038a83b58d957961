//! The people, places and organisations a story names, found as runs of capitalised words
//! ("Ruth Adeyemi", "Port Alder", "Harbour Board"), to connect stories that name the same ones.
//!
//! No language model: a capitalised word is a name unless it only ever opens a sentence (where
//! every word is capitalised) or is one of the short function words that often do.

use std::collections::BTreeSet;

/// Words that are capitalised at the start of a sentence or of a name but never a name themselves.
const NOT_NAMES: &[&str] = &[
    "a",
    "about",
    "after",
    "all",
    "also",
    "an",
    "and",
    "as",
    "at",
    "because",
    "before",
    "but",
    "by",
    "for",
    "from",
    "he",
    "her",
    "his",
    "how",
    "i",
    "if",
    "in",
    "is",
    "it",
    "its",
    "last",
    "many",
    "more",
    "most",
    "mr",
    "mrs",
    "ms",
    "dr",
    "my",
    "new",
    "no",
    "not",
    "now",
    "of",
    "on",
    "one",
    "or",
    "our",
    "she",
    "so",
    "some",
    "that",
    "the",
    "their",
    "there",
    "these",
    "they",
    "this",
    "those",
    "to",
    "two",
    "under",
    "until",
    "we",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "why",
    "with",
    "yes",
    "you",
    "your",
    "then",
    "meanwhile",
    "later",
    "still",
    "yesterday",
    "today",
    "tomorrow",
    "however",
    "although",
    "though",
    "since",
    "during",
    "even",
    "only",
    "every",
    "each",
    "both",
    "several",
    "instead",
    "once",
    "here",
    "asked",
    "residents",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Small words that may sit inside a name ("Bank of England", "Isle of Man").
const JOINERS: &[&str] = &[
    "of", "de", "da", "van", "von", "der", "la", "le", "du", "del",
];

fn capitalised(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(char::is_uppercase) && chars.any(char::is_lowercase)
        || word.chars().count() >= 2 && word.chars().all(|c| c.is_uppercase() || c == '&')
}

/// The names in `text`, lower-cased, each once, in order of first appearance.
pub fn names(text: &str) -> Vec<String> {
    // Words with whether each opens a sentence; punctuation other than apostrophes and hyphens
    // inside a word ends a run.
    let mut words: Vec<(String, bool, bool)> = Vec::new(); // (word, opens sentence, ends run)
    let mut opens = true;
    for raw in text.split_whitespace() {
        let trimmed = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let ends = raw
            .trim_end_matches(['"', '\'', '’', '”', ')'])
            .ends_with(['.', '!', '?', ':', ';', ',']);
        if !trimmed.is_empty() {
            let lead = raw.starts_with(['"', '“', '(', '‘']);
            words.push((trimmed.to_string(), opens || lead, ends));
        }
        opens = raw
            .trim_end_matches(['"', '\'', '’', '”', ')'])
            .ends_with(['.', '!', '?', ':']);
    }
    // A word seen capitalised mid-sentence is a name even where it opens one.
    let mid: BTreeSet<String> = words
        .iter()
        .filter(|(w, opens, _)| !opens && capitalised(w))
        .map(|(w, _, _)| w.to_lowercase())
        .collect();

    let mut found: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut run: Vec<&str> = Vec::new();
    let mut flush = |run: &mut Vec<&str>, found: &mut Vec<String>| {
        while run
            .last()
            .is_some_and(|w| JOINERS.contains(&w.to_lowercase().as_str()))
        {
            run.pop();
        }
        if !run.is_empty() {
            // "Port Alder General Hospital" also names the place it opens with, "Port Alder":
            // every leading part of two words or more that does not end on a joiner.
            for len in (2..run.len()).chain([run.len()]) {
                let part = &run[..len];
                if part
                    .last()
                    .is_some_and(|w| JOINERS.contains(&w.to_lowercase().as_str()))
                {
                    continue;
                }
                let name = part.join(" ").to_lowercase();
                if name.chars().count() >= 3 && seen.insert(name.clone()) {
                    found.push(name);
                }
            }
        }
        run.clear();
    };
    for (at, (word, opens, ends)) in words.iter().enumerate() {
        let lower = word.to_lowercase();
        let joiner = !run.is_empty() && JOINERS.contains(&lower.as_str());
        // A sentence's first word is a name if it is one elsewhere, or if a name follows it at
        // once ("Port Alder Sailing Club will ...").
        let name_word = capitalised(word)
            && !NOT_NAMES.contains(&lower.as_str())
            && (!opens || mid.contains(&lower) || !ends && next_is_name(&words, at));
        if name_word || joiner {
            run.push(word);
        } else {
            flush(&mut run, &mut found);
        }
        if *ends {
            flush(&mut run, &mut found);
        }
    }
    flush(&mut run, &mut found);
    found
}

/// Whether the word after the one at `at` is capitalised and not a function word.
fn next_is_name(words: &[(String, bool, bool)], at: usize) -> bool {
    words.get(at + 1).is_some_and(|(next, _, _)| {
        capitalised(next) && !NOT_NAMES.contains(&next.to_lowercase().as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn finds_people_places_and_organisations() {
        let text =
            "The council met on Tuesday. Council leader Ruth Adeyemi said the Harbour Board \
                    would meet in Port Alder. \"We heard you,\" Adeyemi said. Residents of Gull \
                    Island spoke, as did the Bank of England.";
        let found = names(text);
        for want in [
            "ruth adeyemi",
            "harbour board",
            "port alder",
            "adeyemi",
            "gull island",
            "bank of england",
        ] {
            assert!(found.contains(&want.to_string()), "{want} in {found:?}");
        }
        for not in ["the", "tuesday", "council", "we", "residents"] {
            assert!(!found.contains(&not.to_string()), "{not} in {found:?}");
        }
    }

    #[test]
    fn a_sentence_opening_word_is_a_name_only_when_seen_as_one() {
        let found =
            names("Ferries stopped. The ferry to Gull Island runs again. Gull Island rejoiced.");
        assert_eq!(found, vec!["gull island"]);
        assert!(names("Budget talks resumed. The budget passed.").is_empty());
    }

    #[test]
    fn an_organisation_also_names_the_place_it_opens_with() {
        assert_eq!(
            names("Nurses at the Port Alder General Hospital won. The Bank of England agreed."),
            vec![
                "port alder",
                "port alder general",
                "port alder general hospital",
                "bank of england"
            ]
        );
    }

    #[test]
    fn each_name_once_in_order() {
        assert_eq!(
            names("We met Maya Okafor. Then Maya Okafor left for Eastside."),
            vec!["maya okafor", "eastside"]
        );
    }
}
