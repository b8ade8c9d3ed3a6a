//! Email templates, kept as files beside the crate and compiled in.

use chrono::{DateTime, Utc};
use domain::DataType;
use minijinja::{Environment, context};
use serde::Serialize;

/// An email ready to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub html: String,
    pub text: String,
}

impl RenderedEmail {
    /// The `{name}.html` and `{name}.txt` templates, rendered with `ctx`.
    fn from_templates(
        env: &Environment<'_>,
        name: &str,
        subject: String,
        ctx: &minijinja::Value,
    ) -> Result<Self, minijinja::Error> {
        Ok(RenderedEmail {
            html: env.get_template(&format!("{name}.html"))?.render(ctx)?,
            text: env.get_template(&format!("{name}.txt"))?.render(ctx)?,
            subject,
        })
    }
}

/// A moment as the emails write it: "10 December 2026 at 09:30 UTC".
fn long_date(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y at %H:%M UTC").to_string()
}

/// What the information request email says.
#[derive(Debug, Clone)]
pub struct InformationRequestEmail<'a> {
    pub organization: &'a str,
    /// Who asks: the relationship manager's name.
    pub requester: &'a str,
    pub company: &'a str,
    pub contact_name: &'a str,
    pub data_types: &'a [DataType],
    pub link: &'a str,
    pub expires_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct Requested {
    label: &'static str,
    contents: &'static [&'static str],
}

/// `(name, source)` of templates in `templates/`, compiled in.
macro_rules! bundled {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // `.html` templates are auto-escaped (minijinja's default by file name).
    for (name, source) in bundled![
        "information_request.subject.txt",
        "information_request.txt",
        "information_request.html",
        "account_link.txt",
        "account_link.html",
        "notification.txt",
        "notification.html",
    ] {
        env.add_template(name, source)
            .expect("the bundled templates parse");
    }
    env
}

impl InformationRequestEmail<'_> {
    pub fn render(&self) -> Result<RenderedEmail, minijinja::Error> {
        let env = environment();
        let requested: Vec<Requested> = self
            .data_types
            .iter()
            .map(|t| Requested {
                label: t.label(),
                contents: t.contents(),
            })
            .collect();
        let expires_at = long_date(self.expires_at);
        let subject = env
            .get_template("information_request.subject.txt")?
            .render(context! {
                organization => self.organization,
                company => self.company,
            })?
            .trim()
            .to_owned();
        let ctx = context! {
            subject => &subject,
            organization => self.organization,
            requester => self.requester,
            company => self.company,
            contact_name => self.contact_name,
            requested => requested,
            link => self.link,
            expires_at => expires_at,
        };
        RenderedEmail::from_templates(&env, "information_request", subject, &ctx)
    }
}

/// An invitation to an organization, or a password reset: a one-time link to choose a
/// password.
#[derive(Debug, Clone)]
pub struct AccountLinkEmail<'a> {
    pub organization: &'a str,
    pub name: &'a str,
    /// `Some(who invited)` for an invitation, `None` for a password reset.
    pub inviter: Option<&'a str>,
    pub link: &'a str,
    pub expires_at: DateTime<Utc>,
}

impl AccountLinkEmail<'_> {
    pub fn render(&self) -> Result<RenderedEmail, minijinja::Error> {
        let env = environment();
        let subject = match self.inviter {
            Some(_) => format!(
                "You are invited to {}'s Spendlens portal",
                self.organization
            ),
            None => format!("Reset your Spendlens password ({})", self.organization),
        };
        let ctx = context! {
            subject => &subject,
            organization => self.organization,
            name => self.name,
            invitation => self.inviter.is_some(),
            inviter => self.inviter.unwrap_or_default(),
            link => self.link,
            expires_at => long_date(self.expires_at),
        };
        RenderedEmail::from_templates(&env, "account_link", subject, &ctx)
    }
}

/// A notification of a relationship manager's (a refresh they asked for finished, a
/// customer answered their information request), for those who want them by email.
#[derive(Debug, Clone)]
pub struct NotificationEmail<'a> {
    pub organization: &'a str,
    pub name: &'a str,
    pub title: &'a str,
    pub message: &'a str,
    /// Where to see it in the portal, when the portal's address is known.
    pub link: Option<&'a str>,
}

impl NotificationEmail<'_> {
    pub fn render(&self) -> Result<RenderedEmail, minijinja::Error> {
        let env = environment();
        let ctx = context! {
            organization => self.organization,
            name => self.name,
            title => self.title,
            message => self.message,
            link => self.link,
        };
        RenderedEmail::from_templates(&env, "notification", self.title.to_owned(), &ctx)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn email(company: &str) -> RenderedEmail {
        InformationRequestEmail {
            organization: "Demo Bank",
            requester: "Alex Morgan",
            company,
            contact_name: "Priya Shah",
            data_types: &[DataType::Financials, DataType::SpendDetail],
            link: "https://portal.example/connect/abc",
            expires_at: Utc.with_ymd_and_hms(2026, 12, 10, 9, 30, 0).unwrap(),
        }
        .render()
        .unwrap()
    }

    #[test]
    fn the_email_names_who_asks_what_is_shared_the_link_and_its_expiry() {
        let rendered = email("Aldgate Bakery Ltd");
        assert_eq!(
            rendered.subject,
            "Demo Bank asks Aldgate Bakery Ltd to share its accounting data"
        );
        // minijinja escapes `/` in HTML as `&#x2f;`, which browsers read back as `/`.
        let html = rendered.html.replace("&#x2f;", "/");
        for body in [&rendered.text, &html] {
            for needle in [
                "Alex Morgan",
                "Demo Bank",
                "Priya Shah",
                "Profit and loss, Balance sheet",
                "Suppliers, Bills, Bill payments, Payment methods and terms",
                "https://portal.example/connect/abc",
                "10 December 2026 at 09:30 UTC",
            ] {
                assert!(body.contains(needle), "{needle:?} missing from {body}");
            }
        }
    }

    #[test]
    fn html_escapes_what_people_typed() {
        let rendered = email("<script>alert(1)</script> & Co");
        assert!(!rendered.html.contains("<script>"));
        assert!(rendered.html.contains("&lt;script&gt;"));
        assert!(
            rendered.text.contains("<script>alert(1)</script> & Co"),
            "plain text stays as typed"
        );
    }

    #[test]
    fn a_notification_email_says_what_happened_and_links_to_it() {
        let rendered = NotificationEmail {
            organization: "Demo Bank",
            name: "Alex <Morgan>",
            title: "Refresh of Aldgate Bakery Ltd failed",
            message: "The accounting platform did not answer. Try again later.",
            link: Some("https://portal.example/companies/1"),
        }
        .render()
        .unwrap();
        assert_eq!(rendered.subject, "Refresh of Aldgate Bakery Ltd failed");
        assert!(
            rendered
                .text
                .contains("The accounting platform did not answer.")
        );
        assert!(rendered.text.contains("https://portal.example/companies/1"));
        assert!(rendered.html.contains("Alex &lt;Morgan&gt;"));
    }
}
