//! The signed-in person's notifications (the portal's bell): a refresh they triggered
//! finished or failed, a customer granted or declined their information request. Only
//! people have them: API keys get 403.

use actix_web::{get, post, put, web};
use api_types::{
    MarkNotificationsRead, Notification, NotificationPage, NotificationPreferences,
    NotificationQuery, NotificationsMarked, Problem, ProblemKind, UnreadCount,
};
use domain::{AuditAction, UserId};
use uuid::Uuid;

use crate::{auth::Caller, error::ApiError, extract::Json, views};

fn person(caller: &Caller) -> Result<UserId, ApiError> {
    caller.user_id().ok_or_else(|| ApiError::Forbidden {
        kind: ProblemKind::Forbidden,
        detail: "Notifications belong to people: sign in with email and password.".to_owned(),
    })
}

/// The signed-in person's notifications, newest first, and how many are unread.
#[utoipa::path(
    operation_id = "list_notifications",
    tag = "notifications",
    params(NotificationQuery),
    responses(
        (status = 200, description = "A page of notifications", body = NotificationPage),
        (status = 400, description = "A query parameter is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API key has no notifications", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/notifications")]
pub async fn list(
    caller: Caller,
    query: web::Query<NotificationQuery>,
) -> Result<web::Json<NotificationPage>, ApiError> {
    let user = person(&caller)?;
    let query = query.into_inner();
    let (limit, cursor) =
        crate::extract::page_params(query.limit, query.cursor.as_deref(), 20, 100)?;
    let (rows, next) = caller
        .store
        .notifications(
            caller.organization,
            user,
            query.unread.unwrap_or(false),
            cursor,
            limit,
        )
        .await?;
    let unread_count = caller
        .store
        .unread_notifications(caller.organization, user)
        .await?;
    Ok(web::Json(NotificationPage {
        items: rows.into_iter().map(views::notification).collect(),
        unread_count,
        next_cursor: next.map(|id| id.to_string()),
    }))
}

/// How many of the signed-in person's notifications are unread (the bell's number; a
/// cheap call to poll).
#[utoipa::path(
    operation_id = "count_unread_notifications",
    tag = "notifications",
    responses(
        (status = 200, description = "The count", body = UnreadCount),
        (status = 403, description = "An API key has no notifications", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/notifications/unread-count")]
pub async fn count_unread(caller: Caller) -> Result<web::Json<UnreadCount>, ApiError> {
    let user = person(&caller)?;
    Ok(web::Json(UnreadCount {
        unread_count: caller
            .store
            .unread_notifications(caller.organization, user)
            .await?,
    }))
}

/// Mark one notification read.
#[utoipa::path(
    operation_id = "mark_notification_read",
    tag = "notifications",
    params(("id" = String, Path, description = "The notification's id", format = Uuid)),
    responses(
        (status = 200, description = "The notification, read", body = Notification),
        (status = 403, description = "An API key has no notifications", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The signed-in person has no such notification", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/notifications/{id}/read")]
pub async fn mark_read(
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<Notification>, ApiError> {
    let user = person(&caller)?;
    let notification = caller
        .store
        .mark_notification_read(caller.organization, user, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound("notification"))?;
    Ok(web::Json(views::notification(notification)))
}

/// Mark all the signed-in person's notifications read (up to `until`, when given).
#[utoipa::path(
    operation_id = "mark_notifications_read",
    tag = "notifications",
    request_body = MarkNotificationsRead,
    responses(
        (status = 200, description = "How many were marked, and how many stay unread", body = NotificationsMarked),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API key has no notifications", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/notifications/read")]
pub async fn mark_all_read(
    caller: Caller,
    body: Json<MarkNotificationsRead>,
) -> Result<web::Json<NotificationsMarked>, ApiError> {
    let user = person(&caller)?;
    let marked = caller
        .store
        .mark_all_notifications_read(caller.organization, user, body.0.until)
        .await?;
    let unread_count = caller
        .store
        .unread_notifications(caller.organization, user)
        .await?;
    Ok(web::Json(NotificationsMarked {
        marked,
        unread_count,
    }))
}

/// Whether the signed-in person also gets their notifications by email.
#[utoipa::path(
    operation_id = "get_notification_preferences",
    tag = "notifications",
    responses(
        (status = 200, description = "The preferences", body = NotificationPreferences),
        (status = 403, description = "An API key has no notifications", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/notification-preferences")]
pub async fn preferences(caller: Caller) -> Result<web::Json<NotificationPreferences>, ApiError> {
    let user = person(&caller)?;
    Ok(web::Json(NotificationPreferences {
        email: caller.store.notification_email(user).await?,
    }))
}

/// Turn emailed notifications on or off for the signed-in person.
#[utoipa::path(
    operation_id = "set_notification_preferences",
    tag = "notifications",
    request_body = NotificationPreferences,
    responses(
        (status = 200, description = "The preferences as saved", body = NotificationPreferences),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API key has no notifications", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/notification-preferences")]
pub async fn set_preferences(
    caller: Caller,
    body: Json<NotificationPreferences>,
) -> Result<web::Json<NotificationPreferences>, ApiError> {
    let user = person(&caller)?;
    caller
        .store
        .set_notification_email(user, body.0.email)
        .await?;
    caller
        .store
        .record_audit(store::AuditRecord {
            detail: Some(serde_json::json!({ "email": body.0.email })),
            ..caller.audit(AuditAction::NotificationPreferencesUpdated)
        })
        .await?;
    Ok(web::Json(body.0))
}
