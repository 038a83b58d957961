//! What was wrong with a form a reader sent: listed at the top of the page, each linked to its
//! field, and repeated beside the field it is about.

use std::collections::BTreeMap;

use minijinja::{context, Value};
use serde::Serialize;

/// A library's lower-case error message as a sentence: capitalised, ending with a full stop.
pub fn sentence(message: &str) -> String {
    let m = message.trim().trim_end_matches('.');
    let mut chars = m.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// One thing to fix, and the field (its element id) it is about, if any.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// The id of the field to fix; `None` for what concerns the whole form.
    pub field: Option<String>,
    /// What to do, in a sentence.
    pub message: String,
}

/// Everything wrong with one submission, in the order the form asks.
#[derive(Debug, Clone, Default)]
pub struct Problems(Vec<Problem>);

impl Problems {
    /// A problem with the form as a whole (the security check, a rate limit).
    pub fn general(message: impl Into<String>) -> Self {
        let mut p = Problems::default();
        p.push(None, message);
        p
    }

    /// A problem with one field.
    pub fn at(field: &str, message: impl Into<String>) -> Self {
        let mut p = Problems::default();
        p.push(Some(field), message);
        p
    }

    /// Adds one; only the first message per field is kept, since one fix at a time reads best.
    pub fn push(&mut self, field: Option<&str>, message: impl Into<String>) {
        if field.is_some() && self.0.iter().any(|p| p.field.as_deref() == field) {
            return;
        }
        self.0.push(Problem {
            field: field.map(str::to_string),
            message: message.into(),
        });
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The messages, joined, for logs and plain answers.
    pub fn summary(&self) -> String {
        let all: Vec<&str> = self.0.iter().map(|p| p.message.as_str()).collect();
        all.join(" ")
    }

    /// The template's view: `problems` (the summary's list) and `field_errors` (id → message).
    pub fn view(&self) -> Value {
        let by_field: BTreeMap<&str, &str> = self
            .0
            .iter()
            .filter_map(|p| p.field.as_deref().map(|f| (f, p.message.as_str())))
            .collect();
        context! { list => self.0, fields => by_field }
    }
}

/// A message about the whole form; an empty one means nothing is wrong.
impl From<&str> for Problems {
    fn from(message: &str) -> Self {
        if message.is_empty() {
            Problems::default()
        } else {
            Problems::general(message)
        }
    }
}

impl From<String> for Problems {
    fn from(message: String) -> Self {
        Problems::from(message.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_message_per_field_in_the_order_found() {
        let mut p = Problems::general("Check failed.");
        p.push(Some("email"), "Enter your email.");
        p.push(Some("email"), "A second complaint about the email.");
        p.push(Some("first_name"), "Enter your first name.");
        assert_eq!(
            p.summary(),
            "Check failed. Enter your email. Enter your first name."
        );
        let v = p.view();
        assert_eq!(
            v.get_attr("fields")
                .unwrap()
                .get_attr("email")
                .unwrap()
                .to_string(),
            "Enter your email."
        );
    }
}
