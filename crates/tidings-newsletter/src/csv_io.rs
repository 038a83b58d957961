//! Subscriber CSV files: reading Mailchimp and Substack exports (and a plain `email` column), and
//! writing cells that spreadsheets will not run as formulas.

use tidings_accounts::normalise_address;

/// Which export a file came from, recognised by its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// Mailchimp audience export (`Email Address`, `OPTIN_TIME`, ...).
    Mailchimp,
    /// Substack subscriber export (`email`, `email_disabled`, ...).
    Substack,
    /// Ghost members export (`email`, `subscribed_to_emails`, `labels`, ...).
    Ghost,
    /// Any file with an `email` column and nothing that proves consent.
    Plain,
}

/// Where an imported person starts: confirmed, pending or suppressed (the subscriber states).
pub use tidings_store::SubscriberStatus as ImportStatus;

/// One person to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// Line in the file (1 is the header).
    pub line: usize,
    /// Normalised address.
    pub email: String,
    /// Name, when the export has one.
    pub name: String,
    /// Resulting status.
    pub status: ImportStatus,
    /// When they opted in, as written in the export (RFC 3339 or `YYYY-MM-DD HH:MM:SS`, UTC).
    pub consent_at: Option<String>,
    /// Address they opted in from, when recorded.
    pub consent_ip: String,
    /// Labels the old platform gave them (Ghost), which subscribers here do not carry.
    pub labels: Vec<String>,
    /// What the old platform knew that does not come across (a paid tier, a comped plan).
    pub note: String,
}

/// A line that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// Line in the file (1 is the header).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads a subscriber export. Any bad line makes the whole file fail, with every bad line listed,
/// so that an import is all or nothing.
pub fn parse_subscribers(bytes: &[u8]) -> Result<(SourceFormat, Vec<ImportRow>), Vec<LineError>> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| {
            vec![LineError {
                line: 1,
                message: format!("cannot read the header: {e}"),
            }]
        })?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (format, email_col) = if let Some(i) = col("Email Address") {
        (SourceFormat::Mailchimp, i)
    } else if let Some(i) = col("email") {
        let format = if col("email_disabled").is_some() {
            SourceFormat::Substack
        } else if col("subscribed_to_emails").is_some() {
            SourceFormat::Ghost
        } else {
            SourceFormat::Plain
        };
        (format, i)
    } else {
        return Err(vec![LineError {
            line: 1,
            message: "no `Email Address` or `email` column".into(),
        }]);
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(LineError {
                    line,
                    message: format!("malformed CSV: {e}"),
                });
                continue;
            }
        };
        let get = |name: &str| {
            col(name)
                .and_then(|c| record.get(c))
                .map(str::trim)
                .unwrap_or("")
        };
        let raw = record.get(email_col).unwrap_or("").trim();
        let email = match normalise_address(raw) {
            Ok(e) => e,
            Err(e) => {
                errors.push(LineError {
                    line,
                    message: format!("`{raw}`: {e}"),
                });
                continue;
            }
        };
        if !seen.insert(email.clone()) {
            continue;
        }
        // A member Ghost deleted is not a subscriber.
        if format == SourceFormat::Ghost && !get("deleted_at").is_empty() {
            continue;
        }
        let row = match format {
            SourceFormat::Mailchimp => {
                let left = !get("UNSUB_TIME").is_empty() || col("UNSUB_TIME").is_some();
                let cleaned = !get("CLEAN_TIME").is_empty() || col("CLEAN_TIME").is_some();
                let confirm = [get("CONFIRM_TIME"), get("OPTIN_TIME")]
                    .into_iter()
                    .find(|t| !t.is_empty());
                let status = if left || cleaned {
                    ImportStatus::Suppressed
                } else if confirm.is_some() {
                    ImportStatus::Confirmed
                } else {
                    ImportStatus::Pending
                };
                let name = format!("{} {}", get("First Name"), get("Last Name"))
                    .trim()
                    .to_string();
                let ip = [get("CONFIRM_IP"), get("OPTIN_IP")]
                    .into_iter()
                    .find(|t| !t.is_empty())
                    .unwrap_or("");
                ImportRow {
                    line,
                    email,
                    name,
                    status,
                    consent_at: confirm.map(str::to_string),
                    consent_ip: ip.to_string(),
                    labels: Vec::new(),
                    note: String::new(),
                }
            }
            SourceFormat::Substack => {
                let disabled = get("email_disabled").eq_ignore_ascii_case("true");
                let inactive = get("active_subscription").eq_ignore_ascii_case("false");
                let status = if disabled || inactive {
                    ImportStatus::Suppressed
                } else {
                    ImportStatus::Confirmed
                };
                let created = get("created_at");
                ImportRow {
                    line,
                    email,
                    name: String::new(),
                    status,
                    consent_at: (!created.is_empty()).then(|| created.to_string()),
                    consent_ip: String::new(),
                    labels: Vec::new(),
                    note: String::new(),
                }
            }
            SourceFormat::Ghost => {
                // Only members subscribed to emails are mailed; the others are kept, never mailed.
                let subscribed = match get("subscribed_to_emails").to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" | "" => false,
                    other => {
                        errors.push(LineError {
                            line,
                            message: format!(
                                "subscribed_to_emails `{other}` is neither true nor false"
                            ),
                        });
                        continue;
                    }
                };
                let created = get("created_at");
                let split = |cell: &str| -> Vec<String> {
                    cell.split(',')
                        .map(|l| strip_formula_escape(l.trim()).to_string())
                        .filter(|l| !l.is_empty())
                        .collect()
                };
                let tiers = split(get("tiers"));
                let comped = get("complimentary_plan").eq_ignore_ascii_case("true");
                let paid = !get("stripe_customer_id").is_empty();
                let note = match (tiers.is_empty(), comped, paid) {
                    (true, false, false) => String::new(),
                    _ => format!(
                        "{}{}{}",
                        if tiers.is_empty() {
                            String::new()
                        } else {
                            format!("tier {}", tiers.join(", "))
                        },
                        if comped { "; complimentary" } else { "" },
                        if paid {
                            "; paying through Ghost's Stripe account (the subscription stays there)"
                        } else {
                            ""
                        },
                    )
                    .trim_start_matches("; ")
                    .to_string(),
                };
                ImportRow {
                    line,
                    email,
                    name: strip_formula_escape(get("name")).to_string(),
                    status: if subscribed {
                        ImportStatus::Confirmed
                    } else {
                        ImportStatus::Unsubscribed
                    },
                    consent_at: (!created.is_empty()).then(|| created.to_string()),
                    consent_ip: String::new(),
                    labels: split(get("labels")),
                    note,
                }
            }
            SourceFormat::Plain => ImportRow {
                line,
                email,
                name: get("name").to_string(),
                status: ImportStatus::Pending,
                consent_at: None,
                consent_ip: String::new(),
                labels: Vec::new(),
                note: String::new(),
            },
        };
        // Names end up in emails: refuse line breaks (header injection) and absurd lengths.
        if row.name.chars().any(char::is_control) || row.name.chars().count() > 200 {
            errors.push(LineError {
                line,
                message: "the name must be one line of at most 200 characters".into(),
            });
            continue;
        }
        rows.push(row);
    }
    if errors.is_empty() {
        Ok((format, rows))
    } else {
        Err(errors)
    }
}

pub use tidings_content::escape_cell;

/// A cell without the `'` that exporters put before `=`, `+`, `-` or `@` so spreadsheets show it
/// as text (Ghost does, through papaparse's `escapeFormulae`).
fn strip_formula_escape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/subscribers/"
    );

    fn read(name: &str) -> Option<Vec<u8>> {
        Some(std::fs::read(format!("{DATA}{name}")).expect("tests/fixtures/subscribers"))
    }

    #[test]
    fn mailchimp_exports_map_to_statuses() {
        let Some(bytes) = read("mailchimp-subscribed.csv") else {
            return;
        };
        let (format, rows) = parse_subscribers(&bytes).unwrap();
        assert_eq!(format, SourceFormat::Mailchimp);
        assert_eq!(rows.len(), 5);
        assert!(rows
            .iter()
            .all(|r| r.status == ImportStatus::Confirmed && r.consent_at.is_some()));
        for (file, expected) in [
            ("mailchimp-unsubscribed.csv", ImportStatus::Suppressed),
            ("mailchimp-cleaned.csv", ImportStatus::Suppressed),
        ] {
            let (_, rows) = parse_subscribers(&read(file).unwrap()).unwrap();
            assert!(
                !rows.is_empty() && rows.iter().all(|r| r.status == expected),
                "{file}"
            );
        }
        let (_, rows) = parse_subscribers(&read("mailchimp-cleaned.csv").unwrap()).unwrap();
        assert_eq!(rows[1].name, "Simet Lut", "names are trimmed and joined");
    }

    #[test]
    fn substack_exports_are_read() {
        for file in [
            "substack-signup_emails.csv",
            "substack-subscriber_emails.csv",
        ] {
            let Some(bytes) = read(file) else { return };
            let (format, rows) = parse_subscribers(&bytes).unwrap();
            assert_eq!(format, SourceFormat::Substack, "{file}");
            assert!(!rows.is_empty());
        }
    }

    #[test]
    fn bad_lines_fail_the_whole_file_with_their_numbers() {
        let injected = "email,name\nok@example.org,\"Eve\r\nBcc: x@example.net\"\n";
        let errors = parse_subscribers(injected.as_bytes()).unwrap_err();
        assert!(errors[0].message.contains("one line"), "{errors:?}");
        let csv = "email,name\nok@example.org,A\nnot-an-address,B\nalso@bad,C\n";
        let errors = parse_subscribers(csv.as_bytes()).unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![3, 4]
        );
        let (format, rows) = parse_subscribers(b"email\nA@Example.org\na@example.org\n").unwrap();
        assert_eq!(
            (format, rows.len(), rows[0].status),
            (SourceFormat::Plain, 1, ImportStatus::Pending)
        );
        assert!(parse_subscribers(b"address\nx@example.org\n").is_err());
        assert!(
            parse_subscribers(b"email,name\n\"a@example.org,B\n").is_err(),
            "unterminated quote"
        );
    }

    #[test]
    fn formula_cells_are_escaped() {
        assert_eq!(escape_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(escape_cell("+1"), "'+1");
        assert_eq!(escape_cell("-2"), "'-2");
        assert_eq!(escape_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(escape_cell("ana@example.org"), "ana@example.org");
    }

    #[test]
    fn ghost_members_keep_their_consent_and_only_the_subscribed_are_mailed() {
        let bytes = read("ghost-members.csv").unwrap();
        let (format, rows) = parse_subscribers(&bytes).unwrap();
        assert_eq!(format, SourceFormat::Ghost);
        assert_eq!(rows.len(), 15);
        let count = |s| rows.iter().filter(|r| r.status == s).count();
        assert_eq!(
            (
                count(ImportStatus::Confirmed),
                count(ImportStatus::Unsubscribed)
            ),
            (11, 4)
        );
        let ada = &rows[0];
        assert_eq!(ada.consent_at.as_deref(), Some("2023-02-11T14:03:27.000Z"));
        assert!(ada.note.contains("Stripe"), "{}", ada.note);
        let esther = rows
            .iter()
            .find(|r| r.email == "esther.k@example.com")
            .unwrap();
        assert_eq!(esther.labels, ["Press", "Founding readers"]);
        assert!(esther.note.contains("complimentary"));
        assert!(rows.iter().any(|r| r.name == "Şebnem Yıldız"));
        assert!(rows.iter().any(|r| r.email == "ivo+ledger@example.org"));
        let leo = rows
            .iter()
            .find(|r| r.email == "leo.brandt@example.org")
            .unwrap();
        assert_eq!(leo.status, ImportStatus::Unsubscribed);
        // A value Ghost never writes is refused with its line.
        let bad = String::from_utf8(bytes).unwrap().replacen(
            ",true,,cus_mdD3nHQrroDnob",
            ",yes,,cus_mdD3nHQrroDnob",
            1,
        );
        let errors = parse_subscribers(bad.as_bytes()).unwrap_err();
        assert_eq!(errors[0].line, 2);
        assert!(errors[0].message.contains("subscribed_to_emails `yes`"));
    }
}
