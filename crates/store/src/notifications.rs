//! A person's notifications (the portal's bell) and whether they also want them by
//! email. Notifications are written by the event dispatcher (`events.rs`); here they
//! are read and marked read, always scoped to the one user they belong to.

use chrono::{DateTime, Utc};
use domain::{OrganizationId, UserId};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    Store,
    entities::{notification_preferences, notifications},
};

impl Store {
    /// The user's notifications, newest first (only unread ones with `unread_only`), and
    /// the cursor of the next page.
    pub async fn notifications(
        &self,
        organization: OrganizationId,
        user: UserId,
        unread_only: bool,
        cursor: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<notifications::Model>, Option<Uuid>), sea_orm::DbErr> {
        use notifications::Column;
        let mut query = notifications::Entity::find()
            .filter(Column::OrganizationId.eq(organization.as_uuid()))
            .filter(Column::UserId.eq(user.as_uuid()));
        if unread_only {
            query = query.filter(Column::ReadAt.is_null());
        }
        if let Some(cursor) = cursor {
            // Ids are UUIDv7: their order is the order they were written in.
            query = query.filter(Column::Id.lt(cursor));
        }
        let mut rows = query
            .order_by_desc(Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let next = if rows.len() as u64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|n| n.id)
        } else {
            None
        };
        Ok((rows, next))
    }

    /// How many of the user's notifications are unread.
    pub async fn unread_notifications(
        &self,
        organization: OrganizationId,
        user: UserId,
    ) -> Result<u64, sea_orm::DbErr> {
        notifications::Entity::find()
            .filter(notifications::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(notifications::Column::UserId.eq(user.as_uuid()))
            .filter(notifications::Column::ReadAt.is_null())
            .count(&self.db)
            .await
    }

    /// Marks one of the user's notifications read (it stays read if it was). `None`
    /// when the user has no such notification.
    pub async fn mark_notification_read(
        &self,
        organization: OrganizationId,
        user: UserId,
        id: Uuid,
    ) -> Result<Option<notifications::Model>, sea_orm::DbErr> {
        use notifications::Column;
        notifications::Entity::update_many()
            .col_expr(Column::ReadAt, Expr::val(self.now()))
            .filter(Column::Id.eq(id))
            .filter(Column::OrganizationId.eq(organization.as_uuid()))
            .filter(Column::UserId.eq(user.as_uuid()))
            .filter(Column::ReadAt.is_null())
            .exec(&self.db)
            .await?;
        notifications::Entity::find_by_id(id)
            .filter(Column::OrganizationId.eq(organization.as_uuid()))
            .filter(Column::UserId.eq(user.as_uuid()))
            .one(&self.db)
            .await
    }

    /// Marks every unread notification of the user read, up to `until` (the newest the
    /// person has seen, so one arriving meanwhile stays unread). Returns how many.
    pub async fn mark_all_notifications_read(
        &self,
        organization: OrganizationId,
        user: UserId,
        until: Option<DateTime<Utc>>,
    ) -> Result<u64, sea_orm::DbErr> {
        use notifications::Column;
        let mut update = notifications::Entity::update_many()
            .col_expr(Column::ReadAt, Expr::val(self.now()))
            .filter(Column::OrganizationId.eq(organization.as_uuid()))
            .filter(Column::UserId.eq(user.as_uuid()))
            .filter(Column::ReadAt.is_null());
        if let Some(until) = until {
            update = update.filter(Column::CreatedAt.lte(until));
        }
        Ok(update.exec(&self.db).await?.rows_affected)
    }

    /// Whether the user also wants notifications by email (off until they say so).
    pub async fn notification_email(&self, user: UserId) -> Result<bool, sea_orm::DbErr> {
        Ok(notification_preferences::Entity::find_by_id(user.as_uuid())
            .one(&self.db)
            .await?
            .is_some_and(|p| p.email))
    }

    pub async fn set_notification_email(
        &self,
        user: UserId,
        email: bool,
    ) -> Result<(), sea_orm::DbErr> {
        use sea_orm::sea_query::OnConflict;
        notification_preferences::Entity::insert(notification_preferences::ActiveModel {
            user_id: Set(user.as_uuid()),
            email: Set(email),
            updated_at: Set(self.now()),
        })
        .on_conflict(
            OnConflict::column(notification_preferences::Column::UserId)
                .update_columns([
                    notification_preferences::Column::Email,
                    notification_preferences::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(&self.db)
        .await?;
        Ok(())
    }
}
