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

fn parse_line(raw: &str, max: usize) -> Result<String, ParseError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(ParseError::Empty);
    }
    if trimmed.chars().count() > max {
        return Err(ParseError::TooLong { max });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(ParseError::ControlCharacters);
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
        let trimmed = raw.trim();
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(ParseError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        if trimmed
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(ParseError::ControlCharacters);
        }
        Ok(Self(trimmed.to_owned()))
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

/// An email address that a mail server will accept: `local@domain.tld`, at most 254
/// characters, no display name, no IP-literal domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ParseError::Empty);
        }
        if trimmed.len() > Self::MAX_CHARS {
            return Err(ParseError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            trimmed,
            email_address::Options::default()
                .without_display_text()
                .without_domain_literal(),
        )
        .map_err(|_| ParseError::InvalidEmail)?;
        // The RFC allows single-label domains ("user@localhost"); a client's mailbox
        // never lives on one, and accepting it hides typos such as "name@examplecom".
        if !parsed.domain().contains('.') || parsed.domain().ends_with('.') {
            return Err(ParseError::InvalidEmail);
        }
        Ok(Self(trimmed.to_owned()))
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
            CompanyName::parse("Acme\nLtd"),
            Err(ParseError::ControlCharacters)
        );
        assert!(CompanyName::parse(&"é".repeat(200)).is_ok());
    }

    #[test]
    fn emails_need_a_real_looking_domain() {
        assert!(EmailAddress::parse("jane.doe@acme.co.uk").is_ok());
        assert!(EmailAddress::parse(" jane@acme.com ").is_ok());
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

    proptest! {
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
