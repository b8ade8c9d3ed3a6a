//! How a notification reads: one sentence of what happened and one of what it means,
//! from the event's data; and the email, for people who want one.

use domain::EventType;
use mail::NotificationEmail;
use serde_json::Value;
use store::{NewEmail, NotificationContent, PendingNotification};

fn text<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Words the notification of `pending`, and renders its email when the person wants one.
pub fn compose(
    pending: &PendingNotification<'_>,
    mail_from: &str,
    public_url: Option<&str>,
) -> NotificationContent {
    let data = pending.data;
    // An entity of a group is named with its group: "Acme Trading (Acme Group)".
    let company = match text(data, &["company", "group", "name"]) {
        "" => text(data, &["company", "name"]).to_owned(),
        group => format!("{} ({group})", text(data, &["company", "name"])),
    };
    let contact = match text(data, &["contact", "name"]) {
        "" => "The contact",
        name => name,
    };
    let (title, message) = match pending.event_type {
        EventType::RefreshSucceeded => (
            format!("Refresh of {company} completed"),
            format!(
                "The data was updated at {} UTC; the reports are ready to download.",
                pending.occurred_at.format("%-d %B %Y %H:%M")
            ),
        ),
        EventType::RefreshFailed => (
            format!("Refresh of {company} failed"),
            format!(
                "{} The last good reports stay available.",
                match text(data, &["error", "message"]) {
                    "" => "The refresh could not finish.",
                    message => message,
                }
            ),
        ),
        // Through the link's upload template (platform `upload`): available at once.
        EventType::ConsentGranted if text(data, &["platform"]) == store::UPLOAD_PLATFORM => (
            format!("{company} uploaded its data"),
            format!(
                "{contact} uploaded the template instead of connecting their accounting \
                 software. The reports are ready; the data is not refreshed: choose Request \
                 a new upload for newer figures."
            ),
        ),
        EventType::ConsentGranted => (
            format!("{company} granted access to its data"),
            format!(
                "{contact} connected {}. The first fetch has started; you will see the \
                 reports when it finishes.",
                match text(data, &["platform"]) {
                    "" => "their accounting platform",
                    platform => platform,
                }
            ),
        ),
        EventType::ConsentDeclined => (
            format!("{company} declined the information request"),
            format!(
                "{contact} left without granting access. Talk to them, then choose \
                 Request information to send a new link."
            ),
        ),
        // Not notified (see `EventType::notifies_requester`); worded anyway.
        other => (format!("{company}: {other}"), String::new()),
    };
    let link = public_url.and_then(|base| {
        let id = text(data, &["company", "id"]);
        (!id.is_empty()).then(|| format!("{}/companies/{id}", base.trim_end_matches('/')))
    });
    let email = pending.email.then(|| {
        NotificationEmail {
            organization: pending.organization_name,
            name: &pending.user.name,
            title: &title,
            message: &message,
            link: link.as_deref(),
        }
        .render()
        .map(|rendered| NewEmail {
            from: mail_from.to_owned(),
            // Quoted, so names such as "Morgan, Alex" stay one mailbox.
            to: format!(
                "\"{}\" <{}>",
                pending.user.name.replace(['"', '\\'], ""),
                pending.user.email
            ),
            subject: rendered.subject,
            html: rendered.html,
            text: rendered.text,
        })
        .inspect_err(|err| tracing::error!(error = %err, "cannot render a notification email"))
        .ok()
    });
    NotificationContent {
        company_name: company,
        title,
        message,
        email: email.flatten(),
    }
}
