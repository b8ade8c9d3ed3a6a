//! A person's notifications (the bell) and how they want them.

use chrono::{DateTime, Utc};
use domain::{CompanyId, EventType, NotificationId};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

/// Something the signed-in person asked for has happened: a refresh they triggered
/// finished or failed, or a customer answered their information request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Notification {
    pub id: NotificationId,
    /// `refresh.succeeded`, `refresh.failed`, `consent.granted` or `consent.declined`.
    pub event_type: EventType,
    /// The company it is about (it may have been deleted since; `company_name` stays).
    pub company_id: Option<CompanyId>,
    pub company_name: String,
    /// One line, e.g. "Refresh of Aldgate Bakery Ltd failed".
    pub title: String,
    /// What it means and what to do.
    pub message: String,
    #[serde(with = "crate::timestamp")]
    pub created_at: DateTime<Utc>,
    /// `null` while unread.
    #[serde(default, with = "crate::timestamp::option")]
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NotificationPage {
    /// Newest first.
    pub items: Vec<Notification>,
    /// All the person's unread notifications (not only this page's).
    pub unread_count: u64,
    /// Pass as `cursor` for the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Which notifications to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct NotificationQuery {
    /// Only unread ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(format = Uuid))]
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))]
    pub limit: Option<u64>,
}

/// The bell's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UnreadCount {
    pub unread_count: u64,
}

/// Mark every notification read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MarkNotificationsRead {
    /// Only those created up to this time (the newest the person has seen), so one
    /// arriving meanwhile stays unread. Left out: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::timestamp::option")]
    pub until: Option<DateTime<Utc>>,
}

/// What marking notifications read did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NotificationsMarked {
    pub marked: u64,
    pub unread_count: u64,
}

/// How the person wants to hear of their notifications besides the bell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferences {
    /// Also send each notification by email (off by default).
    pub email: bool,
}
