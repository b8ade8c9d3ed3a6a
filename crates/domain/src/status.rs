//! The status of a company's data, and the one function that moves it.
//!
//! A company starts with no status ("Not requested"). Every change of status goes
//! through [`transition`], so the rules live in one place and are tested here.

use serde::{Deserialize, Serialize};

/// The state of a company's information, as the Status column shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DataStatus {
    /// The information request email has been sent; waiting on the customer.
    Requested,
    /// The data was updated successfully and the reports are ready.
    Available,
    /// The last request or refresh failed; see the company's `error`.
    Error,
}

impl DataStatus {
    pub const ALL: [DataStatus; 3] = [
        DataStatus::Requested,
        DataStatus::Available,
        DataStatus::Error,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            DataStatus::Requested => "requested",
            DataStatus::Available => "available",
            DataStatus::Error => "error",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            DataStatus::Requested => "Requested",
            DataStatus::Available => "Available",
            DataStatus::Error => "Error",
        }
    }
}

named!(DataStatus);

/// Why a company is in `Error`: a stable machine code for integrators, with a default
/// message a person can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The customer left the authorization without granting access.
    CustomerDeclined,
    /// The information request link expired before the customer used it.
    LinkExpired,
    /// The customer revoked access in their accounting platform.
    AccessRevoked,
    /// The accounting platform refused our credentials.
    AccessDenied,
    /// The accounting platform does not offer a requested data type.
    NotSupported,
    /// The accounting platform failed or could not be reached, even after retries.
    ProviderUnavailable,
    /// The platform answered with data we could not read.
    InvalidData,
    /// The information request email could not be delivered.
    EmailUndeliverable,
    /// The refresh did not finish in time.
    TimedOut,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 9] = [
        ErrorCode::CustomerDeclined,
        ErrorCode::LinkExpired,
        ErrorCode::AccessRevoked,
        ErrorCode::AccessDenied,
        ErrorCode::NotSupported,
        ErrorCode::ProviderUnavailable,
        ErrorCode::InvalidData,
        ErrorCode::EmailUndeliverable,
        ErrorCode::TimedOut,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::CustomerDeclined => "customer_declined",
            ErrorCode::LinkExpired => "link_expired",
            ErrorCode::AccessRevoked => "access_revoked",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::NotSupported => "not_supported",
            ErrorCode::ProviderUnavailable => "provider_unavailable",
            ErrorCode::InvalidData => "invalid_data",
            ErrorCode::EmailUndeliverable => "email_undeliverable",
            ErrorCode::TimedOut => "timed_out",
        }
    }

    /// The message shown when nothing more specific is known.
    pub const fn default_message(self) -> &'static str {
        match self {
            ErrorCode::CustomerDeclined => {
                "The customer exited the authorization without granting access. Send a new request."
            }
            ErrorCode::LinkExpired => {
                "The information request link expired before the customer used it. Send a new request."
            }
            ErrorCode::AccessRevoked => {
                "The customer revoked access. Send a new information request."
            }
            ErrorCode::AccessDenied => {
                "The accounting platform refused access. Send a new information request."
            }
            ErrorCode::NotSupported => {
                "The customer's accounting platform does not provide the requested data."
            }
            ErrorCode::ProviderUnavailable => {
                "The accounting platform did not respond. Try Refresh data again later."
            }
            ErrorCode::InvalidData => {
                "The accounting platform returned data that could not be read. Try Refresh data again later."
            }
            ErrorCode::EmailUndeliverable => {
                "The information request email could not be delivered. Check the contact's email address and send a new request."
            }
            ErrorCode::TimedOut => "The refresh took too long. Try Refresh data again.",
        }
    }

    /// The one action that fixes it, as the portal labels it.
    pub const fn remedy(self) -> Remedy {
        match self {
            ErrorCode::CustomerDeclined
            | ErrorCode::LinkExpired
            | ErrorCode::AccessRevoked
            | ErrorCode::AccessDenied
            | ErrorCode::EmailUndeliverable => Remedy::SendNewRequest,
            ErrorCode::NotSupported => Remedy::EditDataRequested,
            ErrorCode::ProviderUnavailable | ErrorCode::InvalidData | ErrorCode::TimedOut => {
                Remedy::RefreshData
            }
        }
    }
}

/// The action that gets a company out of `Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    SendNewRequest,
    RefreshData,
    EditDataRequested,
}

impl Remedy {
    pub const fn label(self) -> &'static str {
        match self {
            Remedy::SendNewRequest => "Send a new request",
            Remedy::RefreshData => "Refresh data",
            Remedy::EditDataRequested => "Edit data requested",
        }
    }
}

named!(ErrorCode);

/// The error a company carries while its status is `Error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusError {
    pub code: ErrorCode,
    /// What happened and what to do about it, for a person.
    pub message: String,
}

impl StatusError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            message: code.default_message().to_owned(),
        }
    }
}

/// Something that happened to a company's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusEvent {
    /// An information request email was sent (first request or follow-up).
    InformationRequested,
    /// The customer left the authorization without granting access, or the link expired.
    AuthorizationAbandoned(StatusError),
    /// A fetch of every requested data type finished.
    RefreshSucceeded,
    /// A fetch failed for good (after its retries).
    RefreshFailed(StatusError),
    /// The customer (or a relationship manager on their behalf) uploaded the data from
    /// the template: available from any status, even before a request.
    DataUploaded,
}

/// An event that cannot happen in the company's current status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{event} is not possible while the status is {from}")]
pub struct InvalidTransition {
    pub from: &'static str,
    pub event: &'static str,
}

/// The status (and error) a company moves to when `event` happens in status `from`.
///
/// - A request can be (re)sent in any status: it is also the remedy for every error.
/// - Data can only arrive, or fail to, after information was requested once.
/// - Abandoning the authorization only means something while a request is pending.
pub fn transition(
    from: Option<DataStatus>,
    event: StatusEvent,
) -> Result<(DataStatus, Option<StatusError>), InvalidTransition> {
    let invalid = |event: &'static str| InvalidTransition {
        from: from.map_or("not_requested", DataStatus::as_str),
        event,
    };
    match (from, event) {
        (_, StatusEvent::InformationRequested) => Ok((DataStatus::Requested, None)),
        (Some(DataStatus::Requested), StatusEvent::AuthorizationAbandoned(error)) => {
            Ok((DataStatus::Error, Some(error)))
        }
        (_, StatusEvent::AuthorizationAbandoned(_)) => Err(invalid("authorization_abandoned")),
        (None, StatusEvent::RefreshSucceeded) => Err(invalid("refresh_succeeded")),
        (None, StatusEvent::RefreshFailed(_)) => Err(invalid("refresh_failed")),
        (Some(_), StatusEvent::RefreshSucceeded) => Ok((DataStatus::Available, None)),
        (Some(_), StatusEvent::RefreshFailed(error)) => Ok((DataStatus::Error, Some(error))),
        (_, StatusEvent::DataUploaded) => Ok((DataStatus::Available, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATES: [Option<DataStatus>; 4] = [
        None,
        Some(DataStatus::Requested),
        Some(DataStatus::Available),
        Some(DataStatus::Error),
    ];

    fn failure() -> StatusError {
        StatusError::new(ErrorCode::ProviderUnavailable)
    }

    #[test]
    fn a_request_can_always_be_sent_and_clears_the_error() {
        for from in STATES {
            assert_eq!(
                transition(from, StatusEvent::InformationRequested),
                Ok((DataStatus::Requested, None))
            );
        }
    }

    #[test]
    fn data_arrives_only_after_a_request() {
        assert!(transition(None, StatusEvent::RefreshSucceeded).is_err());
        assert!(transition(None, StatusEvent::RefreshFailed(failure())).is_err());
        for from in &STATES[1..] {
            assert_eq!(
                transition(*from, StatusEvent::RefreshSucceeded),
                Ok((DataStatus::Available, None))
            );
            assert_eq!(
                transition(*from, StatusEvent::RefreshFailed(failure())),
                Ok((DataStatus::Error, Some(failure())))
            );
        }
    }

    #[test]
    fn an_upload_makes_the_data_available_from_any_status() {
        for from in STATES {
            assert_eq!(
                transition(from, StatusEvent::DataUploaded),
                Ok((DataStatus::Available, None))
            );
        }
    }

    #[test]
    fn abandoning_the_authorization_only_fails_a_pending_request() {
        let declined = StatusError::new(ErrorCode::CustomerDeclined);
        assert_eq!(
            transition(
                Some(DataStatus::Requested),
                StatusEvent::AuthorizationAbandoned(declined.clone())
            ),
            Ok((DataStatus::Error, Some(declined.clone())))
        );
        for from in [None, Some(DataStatus::Available), Some(DataStatus::Error)] {
            let err = transition(from, StatusEvent::AuthorizationAbandoned(declined.clone()))
                .unwrap_err();
            assert_eq!(err.event, "authorization_abandoned");
        }
    }

    #[test]
    fn every_error_code_has_a_message_and_a_remedy() {
        for code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse::<ErrorCode>().unwrap(), code);
            assert!(code.default_message().ends_with('.'));
            assert!(!code.remedy().label().is_empty());
        }
    }
}
