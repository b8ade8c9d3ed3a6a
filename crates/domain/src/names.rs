//! Names, descriptions and email addresses, parsed once at the edge.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a value was refused. The message is written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain control characters such as line breaks or tabs")]
    ControlCharacters,
    #[error("must be an email address such as name@example.com")]
    InvalidEmail,
}

/// The JSON Schema pattern equivalent to [`CompanyName::parse`] and
/// [`ContactName::parse`]: no control characters, at least one non-space.
pub const LINE_PATTERN: &str =
    r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$";

/// The JSON Schema pattern equivalent to [`Description::parse`]: no control characters
/// other than tab and line breaks.
pub const TEXT_PATTERN: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";

/// Any text without a NUL (U+0000), which PostgreSQL cannot store: the server refuses
/// it in every body string and query parameter (`server::extract`).
pub const NO_NUL_PATTERN: &str = r"^[^\x00]*$";

/// The JSON Schema pattern equivalent to [`EmailAddress::parse`] (with `maxLength` 254).
pub const EMAIL_PATTERN: &str = concat!(
    r"^ *[A-Za-z0-9_%+'-]+(\.[A-Za-z0-9_%+'-]+)*",
    r"@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+ *$"
);

// Lengths are checked before trimming, so that they mean what the API's JSON Schema
// (`maxLength`) says they mean.
fn parse_line(raw: &str, max: usize) -> Result<String, ParseError> {
    if raw.chars().count() > max {
        return Err(ParseError::TooLong { max });
    }
    if raw.chars().any(char::is_control) {
        return Err(ParseError::ControlCharacters);
    }
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(trimmed.to_owned())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, ParseError> {
                parse_line(raw, Self::MAX_CHARS).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseError;

            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_type!(
    /// A client company's name: one line, trimmed, 1 to 200 characters.
    CompanyName,
    200
);
text_type!(
    /// The name of the person at the client company who receives requests.
    ContactName,
    200
);

/// A free-text description of a company: may be empty, may span lines, at most 2,000
/// characters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Description(String);

impl Description {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(ParseError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        if raw
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(ParseError::ControlCharacters);
        }
        Ok(Self(raw.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Description {
    type Error = ParseError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<Description> for String {
    fn from(value: Description) -> String {
        value.0
    }
}

/// An email address of the common form `local@domain.tld`: ASCII letters, digits and
/// `_%+'-` in dot-separated local parts, a domain of at least
/// two labels, at most 254 characters in all; surrounding spaces are dropped. Stricter
/// than RFC 5322 on purpose: it is exactly [`EMAIL_PATTERN`], so the API's schema and
/// this parser never disagree, and every address it accepts is deliverable by any
/// mail server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(ParseError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        let address = raw.trim_matches(' ');
        if address.is_empty() {
            return Err(ParseError::Empty);
        }
        let (local, domain) = address.split_once('@').ok_or(ParseError::InvalidEmail)?;
        let local_char = |c: char| c.is_ascii_alphanumeric() || "_%+'-".contains(c);
        let local_ok = local
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(local_char));
        let label_ok = |label: &str| {
            (1..=63).contains(&label.len())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        let labels: Vec<&str> = domain.split('.').collect();
        if !local_ok || labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) {
            return Err(ParseError::InvalidEmail);
        }
        Ok(Self(address.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = ParseError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> String {
        value.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn company_names_are_trimmed_and_bounded() {
        assert_eq!(
            CompanyName::parse("  Acme Ltd ").unwrap().as_str(),
            "Acme Ltd"
        );
        assert_eq!(CompanyName::parse("   "), Err(ParseError::Empty));
        assert_eq!(
            CompanyName::parse(&"x".repeat(201)),
            Err(ParseError::TooLong { max: 200 })
        );
        assert_eq!(
            CompanyName::parse(&format!(" {}", "x".repeat(200))),
            Err(ParseError::TooLong { max: 200 }),
            "lengths count what was sent, as the schema's maxLength does"
        );
        assert_eq!(
            CompanyName::parse("Acme\nLtd"),
            Err(ParseError::ControlCharacters)
        );
        assert!(CompanyName::parse(&"é".repeat(200)).is_ok());
    }

    #[test]
    fn emails_need_a_real_looking_domain() {
        assert!(EmailAddress::parse("jane.doe@acme.co.uk").is_ok());
        assert_eq!(
            EmailAddress::parse(" jane@acme.com ").unwrap().as_str(),
            "jane@acme.com"
        );
        assert!(EmailAddress::parse("o'neill+rm@mail-1.acme.example").is_ok());
        for bad in [
            "",
            "jane",
            "jane@",
            "@acme.com",
            "jane@acme",
            "jane@acme.",
            "jane doe@acme.com",
            "Jane <jane@acme.com>",
            "jane@[127.0.0.1]",
            "jane..doe@acme.com",
            ".jane@acme.com",
            "jane@-acme.com",
            "jäne@acme.com",
            "jane@acme..com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn descriptions_may_be_empty_and_multiline() {
        assert_eq!(Description::parse("").unwrap().as_str(), "");
        assert!(Description::parse("line one\nline two").is_ok());
        assert!(Description::parse("bell\u{7}").is_err());
    }

    #[test]
    fn serde_refuses_what_parse_refuses() {
        assert!(serde_json::from_str::<CompanyName>("\"  \"").is_err());
        assert!(serde_json::from_str::<EmailAddress>("\"nope\"").is_err());
        let name: CompanyName = serde_json::from_str("\" Acme \"").unwrap();
        assert_eq!(name.as_str(), "Acme");
    }

    /// Whether `pattern` (as Rust's regex reads it) and `parse` agree on `raw`, within
    /// the length the schema's `maxLength` checks apart.
    fn agree(pattern: &str, parse: impl Fn(&str) -> bool, raw: &str, max: usize) -> bool {
        raw.chars().count() > max || regex::Regex::new(pattern).unwrap().is_match(raw) == parse(raw)
    }

    // Spaces (ASCII and not), the line breaks and tab, C0 and C1 controls, letters.
    const LINE_CHARS: &str =
        "[ a\\té\\n\\r\\x00\\x1F\\x7F\\x{85}\\x{9F}\\x{A0}\\x{2003}\\x{3000}]{0,8}";

    proptest! {
        // ARCHITECTURE.md: the patterns accept exactly what the parsers accept.
        #[test]
        fn line_pattern_accepts_what_names_parse(raw in LINE_CHARS) {
            prop_assert!(agree(LINE_PATTERN, |r| CompanyName::parse(r).is_ok(), &raw, CompanyName::MAX_CHARS));
            prop_assert!(agree(LINE_PATTERN, |r| ContactName::parse(r).is_ok(), &raw, ContactName::MAX_CHARS));
        }

        #[test]
        fn text_pattern_accepts_what_descriptions_parse(raw in LINE_CHARS) {
            prop_assert!(agree(TEXT_PATTERN, |r| Description::parse(r).is_ok(), &raw, Description::MAX_CHARS));
        }

        #[test]
        fn email_pattern_accepts_what_emails_parse(
            raw in prop_oneof![
                "[ a-zA-Z0-9._%+'@é-]{0,16}",
                " ?[a-z'+-]{0,3}(\\.[a-z_%-]{0,3}){0,2}@[a-z0-9-]{0,4}(\\.[a-z0-9-]{0,4}){0,3} ?",
                // Domain labels around their 63-character limit.
                "a@[a-z]{1,2}[a-z0-9-]{59,63}[a-z]\\.[a-z]{1,3}",
            ]
        ) {
            prop_assert!(agree(EMAIL_PATTERN, |r| EmailAddress::parse(r).is_ok(), &raw, EmailAddress::MAX_CHARS));
        }

        #[test]
        fn a_parsed_company_name_always_parses_again_to_itself(raw in "\\PC{0,250}") {
            if let Ok(name) = CompanyName::parse(&raw) {
                prop_assert_eq!(CompanyName::parse(name.as_str()), Ok(name.clone()));
                prop_assert!(!name.as_str().is_empty());
                prop_assert!(name.as_str().chars().count() <= CompanyName::MAX_CHARS);
            }
        }

        #[test]
        fn a_parsed_email_has_one_at_and_a_dotted_domain(raw in "[a-z.@]{0,30}") {
            if let Ok(email) = EmailAddress::parse(&raw) {
                let (_, domain) = email.as_str().rsplit_once('@').unwrap();
                prop_assert!(domain.contains('.'));
            }
        }
    }
}
