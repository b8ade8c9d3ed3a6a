//! What happens to a company that others want to hear about: the events sent to
//! webhook endpoints, and the ones that notify the relationship manager who caused them.

use serde::{Deserialize, Serialize};

/// A kind of event, as named in a webhook's `type` and an endpoint's filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventType {
    /// A company's status (or its error) changed.
    #[serde(rename = "company.status_changed")]
    CompanyStatusChanged,
    /// A refresh finished and the company's reports were updated.
    #[serde(rename = "refresh.succeeded")]
    RefreshSucceeded,
    /// A refresh failed for good; the last good reports stay.
    #[serde(rename = "refresh.failed")]
    RefreshFailed,
    /// An information request was created (emailed, or its link handed over).
    #[serde(rename = "information_request.sent")]
    InformationRequestSent,
    /// The customer granted access to their accounting data.
    #[serde(rename = "consent.granted")]
    ConsentGranted,
    /// The customer left without granting access.
    #[serde(rename = "consent.declined")]
    ConsentDeclined,
    /// A company was connected to Xero or QuickBooks Online for the first time.
    #[serde(rename = "connection.connected")]
    ConnectionConnected,
    /// The platform refused the connection's tokens (the customer disconnected the app,
    /// or they died unused), or renewing them kept failing: a new information request
    /// reconnects the company.
    #[serde(rename = "connection.disconnected")]
    ConnectionDisconnected,
    /// A company connected before was connected again (a new information request).
    #[serde(rename = "connection.reconnected")]
    ConnectionReconnected,
}

impl EventType {
    pub const ALL: [EventType; 9] = [
        EventType::CompanyStatusChanged,
        EventType::RefreshSucceeded,
        EventType::RefreshFailed,
        EventType::InformationRequestSent,
        EventType::ConsentGranted,
        EventType::ConsentDeclined,
        EventType::ConnectionConnected,
        EventType::ConnectionDisconnected,
        EventType::ConnectionReconnected,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::CompanyStatusChanged => "company.status_changed",
            EventType::RefreshSucceeded => "refresh.succeeded",
            EventType::RefreshFailed => "refresh.failed",
            EventType::InformationRequestSent => "information_request.sent",
            EventType::ConsentGranted => "consent.granted",
            EventType::ConsentDeclined => "consent.declined",
            EventType::ConnectionConnected => "connection.connected",
            EventType::ConnectionDisconnected => "connection.disconnected",
            EventType::ConnectionReconnected => "connection.reconnected",
        }
    }

    /// Whether the person who caused the event (who triggered the refresh, who sent
    /// the information request) is notified of it in the portal.
    pub const fn notifies_requester(self) -> bool {
        matches!(
            self,
            EventType::RefreshSucceeded
                | EventType::RefreshFailed
                | EventType::ConsentGranted
                | EventType::ConsentDeclined
        )
    }
}

named!(EventType);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_strings_and_json() {
        for event in EventType::ALL {
            assert_eq!(event.as_str().parse::<EventType>().unwrap(), event);
            assert_eq!(
                serde_json::to_value(event).unwrap(),
                serde_json::json!(event.as_str())
            );
        }
        assert!("refresh.started".parse::<EventType>().is_err());
    }
}
