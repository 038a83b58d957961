//! The words of the site's own emails, which the outlet edits under Settings → Emails: a subject
//! and a plain-text body per email, with `{{ variable }}` placeholders from a fixed list per email.
//! The HTML version is made from the text (paragraphs, line breaks, links, one button), so an
//! editor never writes HTML and every email keeps a readable text part. What the law or the
//! reader needs (the organisation's address, receipt details, unsubscribe headers) is added by the
//! code around the text and cannot be edited away.

use std::collections::BTreeMap;

use minijinja::{Environment, UndefinedBehavior};
use tidings_store::Settings;

/// A placeholder an email may use.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Variable {
    /// Its name, as written between `{{ }}`.
    pub name: &'static str,
    /// What it holds.
    pub meaning: &'static str,
    /// What previews and test sends put in its place.
    pub sample: &'static str,
}

/// One editable email.
#[derive(Debug, serde::Serialize)]
pub struct TextSpec {
    /// Its address under `/admin/settings/emails/`.
    pub slug: &'static str,
    /// Its name in the admin.
    pub title: &'static str,
    /// When it is sent.
    pub when: &'static str,
    /// The default subject; `None` for a text that is part of another email (the digest intro).
    pub subject: Option<&'static str>,
    /// The default body.
    pub body: &'static str,
    /// The placeholders it may use.
    pub variables: &'static [Variable],
    /// Placeholders the body must contain (the link that is the email's reason to exist).
    pub required: &'static [&'static str],
    /// A paragraph holding only this variable becomes a button with this label in the HTML part.
    pub button: Option<(&'static str, &'static str)>,
}

const fn var(name: &'static str, meaning: &'static str, sample: &'static str) -> Variable {
    Variable {
        name,
        meaning,
        sample,
    }
}

const SITE: Variable = var("site_name", "the site's name", "The Ledger");
const NEWSLETTER: Variable = var(
    "newsletter_name",
    "the newsletter's name",
    "The Daily Briefing",
);
const EMAIL: Variable = var("email", "the recipient's address", "reader@example.org");
const FIRST: Variable = var(
    "first_name",
    "the donor's first name (\"reader\" when none was given)",
    "Ana",
);
const PORTAL: Variable = var(
    "portal_url",
    "the donor's own link into the portal",
    "https://news.example/donate/portal/sample",
);

/// Every editable email, in the order the admin lists them.
pub static SPECS: [TextSpec; 6] = [
    TextSpec {
        slug: "confirmation",
        title: "Subscription confirmation",
        when: "When someone signs up: the double opt-in link.",
        subject: Some("Confirm your subscription to {{ newsletter_name }}"),
        body: "Please confirm that you want {{ newsletter_name }} from {{ site_name }}.\n\nConfirm your subscription (the link works for 48 hours):\n\n{{ confirm_url }}\n\nIf you didn't ask for this, ignore this email and you won't hear from us again.",
        variables: &[
            SITE,
            NEWSLETTER,
            EMAIL,
            var("confirm_url", "the link that confirms the subscription", "https://news.example/subscribe/confirm/sample"),
        ],
        required: &["confirm_url"],
        button: Some(("confirm_url", "Confirm my subscription")),
    },
    TextSpec {
        slug: "welcome",
        title: "Welcome",
        when: "Once an address is confirmed.",
        subject: Some("Welcome to {{ newsletter_name }}"),
        body: "You're subscribed to {{ newsletter_name }}. The day's most important stories from {{ site_name }} will arrive every morning.\n\nChoose what you receive: {{ preferences_url }}\nTo stop at any time: {{ unsubscribe_url }}",
        variables: &[
            SITE,
            NEWSLETTER,
            EMAIL,
            var("preferences_url", "the subscriber's preferences link", "https://news.example/subscribe/preferences/sample"),
            var("unsubscribe_url", "the subscriber's one-click unsubscribe link", "https://news.example/unsubscribe/sample"),
        ],
        required: &[],
        button: None,
    },
    TextSpec {
        slug: "receipt",
        title: "Donation receipt",
        when: "After every gift and every monthly charge. The receipt's details (number, date, amounts, fee, dedication, tax wording, organisation) follow these words.",
        subject: Some("Your receipt from {{ site_name }}"),
        body: "Dear {{ first_name }},\n\nThank you for supporting {{ site_name }}. This is your receipt.",
        variables: &[
            SITE,
            FIRST,
            var("amount", "the gift, with its currency", "$25.00"),
            var("frequency", "\"one-time\" or \"monthly\"", "monthly"),
            var("date", "the day the gift was made", "30 November 2026"),
            var("receipt_number", "the receipt's number", "2026-1042"),
        ],
        required: &[],
        button: None,
    },
    TextSpec {
        slug: "failed-payment",
        title: "Failed monthly payment",
        when: "When a monthly gift's charge does not go through.",
        subject: Some("Your monthly gift to {{ site_name }} did not go through"),
        body: "Hello {{ first_name }},\n\nYour monthly gift of {{ amount }} to {{ site_name }} could not be charged ({{ reason }}).\n\nWe'll try again in a few days. To update or stop your gift:\n\n{{ portal_url }}",
        variables: &[
            SITE,
            FIRST,
            var("amount", "the monthly amount, with its currency", "$10.00"),
            var("reason", "the card network's reason", "card declined"),
            var("portal_url", "the page where the donor updates or stops the gift", "https://news.example/donate/portal"),
        ],
        required: &["portal_url"],
        button: Some(("portal_url", "Update my gift")),
    },
    TextSpec {
        slug: "portal-link",
        title: "Donor portal link",
        when: "When a donor asks for a link to their gifts and receipts.",
        subject: Some("Your gifts to {{ site_name }}"),
        body: "Here is your link to see your gifts and receipts, and to change or stop a monthly gift (it works for one hour):\n\n{{ portal_url }}\n\nIf you didn't ask for it, ignore this email.",
        variables: &[SITE, PORTAL],
        required: &["portal_url"],
        button: Some(("portal_url", "See my gifts")),
    },
    TextSpec {
        slug: "digest-intro",
        title: "Daily digest intro",
        when: "Opens each day's digest unless the editor writes that edition's own intro on the newsletter desk. Empty: no intro.",
        subject: None,
        body: "",
        variables: &[
            SITE,
            NEWSLETTER,
            var("date", "the edition's date", "Monday, 30 November 2026"),
            var("story_count", "how many stories the edition carries", "5"),
            var("lead_title", "the first story's headline", "Council approves a leaner budget"),
        ],
        required: &[],
        button: None,
    },
];

/// The email with this slug.
pub fn spec(slug: &str) -> Option<&'static TextSpec> {
    SPECS.iter().find(|s| s.slug == slug)
}

/// The settings key holding a part (`subject` or `body`) of an email.
pub fn key(slug: &str, part: &str) -> String {
    format!("email_{}_{part}", slug.replace('-', "_"))
}

/// One email's words as they stand.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Text {
    /// The subject template (empty for the digest intro).
    pub subject: String,
    /// The body template.
    pub body: String,
    /// Whether the outlet changed it from the default.
    pub edited: bool,
}

impl TextSpec {
    /// The words in force: the outlet's, or the default.
    pub fn current(&self, settings: &Settings) -> Text {
        let subject = settings.get(&key(self.slug, "subject"));
        let body = settings.get(&key(self.slug, "body"));
        let edited = !subject.is_empty() || !body.is_empty();
        Text {
            subject: match subject {
                "" => self.subject.unwrap_or_default().to_string(),
                own => own.to_string(),
            },
            body: match (body, edited) {
                ("", false) => self.body.to_string(),
                (own, _) => own.to_string(),
            },
            edited,
        }
    }

    /// Every problem with a draft, by field (`subject` or `body`), in words an editor can act on.
    pub fn check(&self, subject: &str, body: &str) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.subject.is_some() {
            if subject.trim().is_empty() {
                problems.push(("subject", "Write a subject.".to_string()));
            } else if subject.contains('\n') {
                problems.push(("subject", "A subject is one line.".to_string()));
            }
            problems.extend(self.check_template(subject).map(|m| ("subject", m)));
        }
        if self.subject.is_some() && body.trim().is_empty() {
            problems.push(("body", "Write the email's text.".to_string()));
        }
        let body_problem = self.check_template(body);
        let syntax_ok = body_problem.is_none();
        problems.extend(body_problem.map(|m| ("body", m)));
        if syntax_ok {
            let used = used_variables(body).unwrap_or_default();
            for need in self.required {
                if !used.iter().any(|u| u == need) {
                    problems.push((
                        "body",
                        format!("The text must contain {{{{ {need} }}}}: without it the email cannot do its job."),
                    ));
                }
            }
        }
        problems
    }

    fn check_template(&self, source: &str) -> Option<String> {
        let used = match used_variables(source) {
            Ok(used) => used,
            Err(e) => return Some(e),
        };
        let unknown: Vec<String> = used
            .into_iter()
            .filter(|u| !self.variables.iter().any(|v| v.name == u))
            .collect();
        match unknown.as_slice() {
            [] => None,
            [one] => Some(format!(
                "Unknown variable {{{{ {one} }}}}: this email can use {}.",
                self.names()
            )),
            many => Some(format!(
                "Unknown variables {}: this email can use {}.",
                many.iter()
                    .map(|u| format!("{{{{ {u} }}}}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                self.names()
            )),
        }
    }

    fn names(&self) -> String {
        self.variables
            .iter()
            .map(|v| v.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The default words.
    pub fn default_text(&self) -> Text {
        Text {
            subject: self.subject.unwrap_or_default().to_string(),
            body: self.body.to_string(),
            edited: false,
        }
    }

    /// The email as it goes out: the outlet's words filled in, or the default's should the
    /// outlet's no longer fill in (a saved text is checked, so this is a safety net).
    pub fn compose(&self, settings: &Settings, values: &BTreeMap<&str, String>) -> Rendered {
        self.render(&self.current(settings), values)
            .or_else(|_| self.render(&self.default_text(), values))
            .unwrap_or_else(|e| Rendered {
                subject: String::new(),
                text: e,
                html: String::new(),
            })
    }

    /// The sample values previews and test sends use.
    pub fn samples(&self) -> BTreeMap<&'static str, String> {
        self.variables
            .iter()
            .map(|v| (v.name, v.sample.to_string()))
            .collect()
    }

    /// The email's words with `values` in place: subject, text body and the HTML body's inner part.
    pub fn render(&self, text: &Text, values: &BTreeMap<&str, String>) -> Result<Rendered, String> {
        let subject = fill(&text.subject, values)?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let body = fill(&text.body, values)?.trim().replace("\r\n", "\n");
        let button = self
            .button
            .and_then(|(name, label)| values.get(name).map(|url| (url.as_str(), label)));
        Ok(Rendered {
            html: text_to_html(&body, button),
            subject,
            text: body,
        })
    }
}

/// An email's words, filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject.
    pub subject: String,
    /// The plain text.
    pub text: String,
    /// The same words as HTML paragraphs (escaped, links made clickable).
    pub html: String,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::empty();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // An editor's loop must not be able to stall the server.
    env.set_fuel(Some(50_000));
    env
}

/// The variables a template reads, or why it does not parse.
fn used_variables(source: &str) -> Result<Vec<String>, String> {
    let env = environment();
    let template = env.template_from_str(source).map_err(|e| {
        format!(
            "This text does not read as a template: {}.",
            e.detail().unwrap_or("syntax error")
        )
    })?;
    let mut used: Vec<String> = template.undeclared_variables(false).into_iter().collect();
    used.sort();
    Ok(used)
}

fn fill(source: &str, values: &BTreeMap<&str, String>) -> Result<String, String> {
    let env = environment();
    env.render_str(source, values).map_err(|e| {
        e.detail()
            .unwrap_or("the text could not be filled in")
            .to_string()
    })
}

/// Escapes a line and makes its http(s) addresses links.
fn linkify(line: &str) -> String {
    line.split(' ')
        .map(|word| {
            let trimmed = word.trim_end_matches(['.', ',', ')', ';']);
            if trimmed.starts_with("https://") || trimmed.starts_with("http://") {
                let url = crate::escape_html(trimmed);
                format!(
                    "<a href=\"{url}\" style=\"color:#a4161a\">{url}</a>{}",
                    crate::escape_html(&word[trimmed.len()..])
                )
            } else {
                crate::escape_html(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Paragraphs at blank lines, line breaks within them; a paragraph that is only the button's
/// address becomes the button.
fn text_to_html(text: &str, button: Option<(&str, &str)>) -> String {
    let mut out = String::new();
    for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        match button {
            Some((url, label)) if para == url => out.push_str(&format!(
                "<p><a href=\"{}\" style=\"display:inline-block;padding:10px 18px;background:#a4161a;color:#ffffff;text-decoration:none;border-radius:3px\">{}</a></p>",
                crate::escape_html(url),
                crate::escape_html(label)
            )),
            _ => {
                let lines: Vec<String> = para.lines().map(linkify).collect();
                out.push_str(&format!("<p>{}</p>", lines.join("<br>")));
            }
        }
    }
    out
}

/// Plain text as HTML paragraphs (escaped, links made clickable), for parts around the
/// outlet's words.
pub fn paragraphs(text: &str) -> String {
    text_to_html(text, None)
}

/// A whole HTML email around `inner`, with a small footer line.
pub fn html_email(inner: &str, footer: &str) -> String {
    let footer = match footer.trim() {
        "" => String::new(),
        f => format!(
            "<p style=\"font-size:12px;color:#545454\">{}</p>",
            crate::escape_html(f).replace('\n', "<br>")
        ),
    };
    format!(
        "<div style=\"font-family:Georgia,serif;max-width:560px;margin:0 auto;padding:16px;color:#1a1a1a;line-height:1.5\">{inner}{footer}</div>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_passes_its_own_check() {
        for spec in &SPECS {
            assert!(
                spec.check(spec.subject.unwrap_or_default(), spec.body)
                    .is_empty(),
                "{}: {:?}",
                spec.slug,
                spec.check(spec.subject.unwrap_or_default(), spec.body)
            );
            let text = Text {
                subject: spec.subject.unwrap_or_default().into(),
                body: spec.body.into(),
                edited: false,
            };
            spec.render(&text, &spec.samples().into_iter().collect())
                .unwrap();
        }
    }

    #[test]
    fn unknown_variables_are_named_and_required_ones_demanded() {
        let s = spec("confirmation").unwrap();
        let p = s.check(
            "Hi {{ first_name }}",
            "Click {{ confirm_url }} {{ coupon }}",
        );
        assert_eq!(p[0].0, "subject");
        assert!(
            p[0].1.starts_with("Unknown variable {{ first_name }}"),
            "{p:?}"
        );
        assert!(p[1].1.starts_with("Unknown variable {{ coupon }}"), "{p:?}");
        let p = s.check("Confirm", "Please confirm.");
        assert!(p[0].1.contains("must contain {{ confirm_url }}"), "{p:?}");
        let p = s.check("Confirm", "{{ confirm_url ");
        assert!(
            p[0].1.starts_with("This text does not read as a template"),
            "{p:?}"
        );
    }

    #[test]
    fn html_is_escaped_linked_and_the_action_link_is_a_button() {
        let s = spec("portal-link").unwrap();
        let text = Text {
            subject: "Gifts <& {{ site_name }}".into(),
            body: "Tom & <Jerry>, see https://a.example/x.\n\n{{ portal_url }}".into(),
            edited: true,
        };
        let r = s.render(&text, &s.samples().into_iter().collect()).unwrap();
        assert_eq!(r.subject, "Gifts <& The Ledger");
        assert!(
            r.html
                .contains("Tom &amp; &lt;Jerry&gt;, see <a href=\"https://a.example/x\""),
            "{}",
            r.html
        );
        assert!(r.html.contains(">See my gifts</a>"), "{}", r.html);
        assert!(r
            .text
            .ends_with("https://news.example/donate/portal/sample"));
    }
}
