//! Organizations and their users.

use domain::{OrganizationId, UserId};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::{
    Store,
    entities::{organizations, users},
};

impl Store {
    pub async fn organization_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<organizations::Model>, sea_orm::DbErr> {
        organizations::Entity::find()
            .filter(organizations::Column::Slug.eq(slug))
            .one(&self.db)
            .await
    }

    pub async fn organization(
        &self,
        id: OrganizationId,
    ) -> Result<Option<organizations::Model>, sea_orm::DbErr> {
        organizations::Entity::find_by_id(id.as_uuid())
            .one(&self.db)
            .await
    }

    pub async fn create_organization(
        &self,
        slug: &str,
        name: &str,
    ) -> Result<organizations::Model, sea_orm::DbErr> {
        organizations::ActiveModel {
            id: Set(Uuid::now_v7()),
            slug: Set(slug.to_owned()),
            name: Set(name.to_owned()),
            created_at: Set(self.now()),
        }
        .insert(&self.db)
        .await
    }

    pub async fn create_user(
        &self,
        organization: OrganizationId,
        email: &domain::EmailAddress,
        name: &str,
        role: &str,
    ) -> Result<users::Model, sea_orm::DbErr> {
        users::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(organization.as_uuid()),
            email: Set(email.as_str().to_owned()),
            name: Set(name.to_owned()),
            role: Set(role.to_owned()),
            created_at: Set(self.now()),
            password_hash: Set(None),
            active: Set(true),
            last_sign_in_at: Set(None),
        }
        .insert(&self.db)
        .await
    }

    /// The organization's users, by name.
    pub async fn users(
        &self,
        organization: OrganizationId,
    ) -> Result<Vec<users::Model>, sea_orm::DbErr> {
        users::Entity::find()
            .filter(users::Column::OrganizationId.eq(organization.as_uuid()))
            .order_by_asc(users::Column::Name)
            .all(&self.db)
            .await
    }

    pub async fn user(
        &self,
        organization: OrganizationId,
        id: UserId,
    ) -> Result<Option<users::Model>, sea_orm::DbErr> {
        users::Entity::find_by_id(id.as_uuid())
            .filter(users::Column::OrganizationId.eq(organization.as_uuid()))
            .one(&self.db)
            .await
    }
}
