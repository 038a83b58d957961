//! Email addresses as people type them, normalised so that one person is one account, subscriber
//! or donor, whichever form they used.

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not of the form `name@domain.tld`.
    #[error("enter an email address such as name@example.org")]
    Malformed,
    /// Longer than email allows.
    #[error("that email address is too long")]
    TooLong,
    /// The domain is not a valid (possibly internationalised) domain name.
    #[error("the part after @ is not a valid domain")]
    Domain,
}

/// Trims, lowercases, and turns an internationalised domain into its ASCII (punycode) form.
pub fn normalise_address(raw: &str) -> Result<String, AddressError> {
    let raw = raw.trim();
    let (local, domain) = raw.rsplit_once('@').ok_or(AddressError::Malformed)?;
    if local.is_empty() || domain.is_empty() {
        return Err(AddressError::Malformed);
    }
    if local.len() > 64 || raw.len() > 254 {
        return Err(AddressError::TooLong);
    }
    let bad_local = local.chars().any(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(
                c,
                '<' | '>' | '(' | ')' | ',' | ';' | ':' | '\\' | '"' | '[' | ']' | '@'
            )
    });
    if bad_local || local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(AddressError::Malformed);
    }
    let ascii = idna::domain_to_ascii(domain).map_err(|_| AddressError::Domain)?;
    let labels: Vec<&str> = ascii.split('.').collect();
    let valid_labels = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !valid_labels {
        return Err(AddressError::Domain);
    }
    Ok(format!("{}@{ascii}", local.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalised_and_idn_domains_accepted() {
        assert_eq!(
            normalise_address("  Ana.Silva@Example.ORG ").unwrap(),
            "ana.silva@example.org"
        );
        assert_eq!(
            normalise_address("jürgen@bücher.de").unwrap(),
            "jürgen@xn--bcher-kva.de"
        );
        assert_eq!(
            normalise_address("info@例え.jp").unwrap(),
            "info@xn--r8jz45g.jp"
        );
        for bad in [
            "",
            "plain",
            "@example.org",
            "a@",
            "a b@example.org",
            "a@localhost",
            "a@-x.org",
            "a..b@example.org",
            "<a@example.org>",
        ] {
            assert!(normalise_address(bad).is_err(), "{bad}");
        }
        assert_eq!(
            normalise_address(&format!("{}@example.org", "a".repeat(65))),
            Err(AddressError::TooLong)
        );
    }
}
