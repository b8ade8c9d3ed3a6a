//! Where emails go: an SMTP server (lettre), or `.eml` files in a local outbox.

use std::{path::PathBuf, time::Duration};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};
use store::ClaimedEmail;

/// How queued emails leave.
#[derive(Clone)]
pub enum Transport {
    /// lettre's SMTP transport, from a URL such as
    /// `smtp://user:pass@mail.example:587?tls=required` or `smtps://mail.example`.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Writes each email to `DIR/{id}.eml` (the embedded default: no mail server).
    Outbox(PathBuf),
}

/// Why an email was not delivered.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct DeliveryError {
    /// The server refused it for good (5xx, bad address): do not retry.
    pub permanent: bool,
    pub message: String,
}

impl Transport {
    /// SMTP when `smtp_url` is set, else the outbox directory.
    pub fn from_config(smtp_url: Option<&str>, outbox: PathBuf) -> anyhow::Result<Self> {
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| {
                        anyhow::anyhow!("SPENDLENS_SMTP_URL is not a valid SMTP URL: {e}")
                    })?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                Ok(Transport::Smtp(transport))
            }
            None => Ok(Transport::Outbox(outbox)),
        }
    }

    pub fn is_outbox(&self) -> bool {
        matches!(self, Transport::Outbox(_))
    }

    pub async fn send(&self, email: &ClaimedEmail) -> Result<(), DeliveryError> {
        let message = build(email).map_err(|message| DeliveryError {
            permanent: true,
            message,
        })?;
        match self {
            Transport::Smtp(smtp) => {
                smtp.send(message)
                    .await
                    .map(drop)
                    .map_err(|e| DeliveryError {
                        permanent: e.is_permanent(),
                        message: format!("SMTP: {e}"),
                    })
            }
            Transport::Outbox(dir) => {
                let bytes = message.formatted();
                let dir = dir.clone();
                let id = email.id;
                // Named by the email's id and renamed into place: a retry rewrites the
                // same file instead of adding a second email.
                tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                    std::fs::create_dir_all(&dir)?;
                    let temporary = dir.join(format!(".{id}.eml.tmp"));
                    std::fs::write(&temporary, bytes)?;
                    std::fs::rename(&temporary, dir.join(format!("{id}.eml")))
                })
                .await
                .map_err(|e| DeliveryError {
                    permanent: false,
                    message: format!("outbox: {e}"),
                })?
                .map_err(|e| DeliveryError {
                    permanent: false,
                    message: format!("outbox: {e}"),
                })
            }
        }
    }
}

fn build(email: &ClaimedEmail) -> Result<Message, String> {
    let from: Mailbox = email
        .from_address
        .parse()
        .map_err(|e| format!("invalid sender {:?}: {e}", email.from_address))?;
    let to: Mailbox = email
        .to_address
        .parse()
        .map_err(|e| format!("invalid recipient {:?}: {e}", email.to_address))?;
    let domain = from.email.domain().to_owned();
    Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        // The same id on every attempt, so a receiver can tell a resend.
        .message_id(Some(format!("<{}@{}>", email.id, domain)))
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| format!("cannot build the message: {e}"))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;

    fn email(to: &str) -> ClaimedEmail {
        ClaimedEmail {
            id: Uuid::now_v7(),
            organization_id: Uuid::now_v7(),
            company_id: None,
            information_request_id: None,
            from_address: "Demo Bank <no-reply@bank.example>".to_owned(),
            to_address: to.to_owned(),
            subject: "Über uns: a subject with non-ASCII".to_owned(),
            html: "<p>Hello</p>".to_owned(),
            text: "Hello".to_owned(),
            state: store::EmailState::Sending,
            attempts: 1,
            run_at: Utc::now(),
            lease_owner: None,
            lease_expires_at: None,
            last_error: None,
            created_at: Utc::now(),
            sent_at: None,
        }
    }

    #[test]
    fn messages_are_multipart_with_a_stable_message_id() {
        let claimed = email("\"Shah, Priya\" <priya@client.example>");
        let message = String::from_utf8(build(&claimed).unwrap().formatted()).unwrap();
        assert!(message.contains("priya@client.example"), "{message}");
        assert!(message.contains("multipart/alternative"));
        assert!(message.contains(&format!("Message-ID: <{}@bank.example>", claimed.id)));
        assert!(build(&email("not an address")).is_err());
    }
}
