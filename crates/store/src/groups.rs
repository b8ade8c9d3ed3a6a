//! Client groups (issue #21): a company with several legal entities, each a company row
//! of its own (its own connection, status, refresh history and reports) whose
//! `group_id` names the group. The group's own row is its first entity.
//!
//! Entities come two ways: a user adds one (it starts "not requested", like a new
//! company), or the customer adds one through the group's information request link,
//! which makes the entity and a link of its own (same data, same expiry) for the
//! consent page to continue with: one request covers the group, entity after entity.
//! Removing an entity is deleting its company row (`Store::delete_company`).

use domain::{CompanyId, CompanyName, OrganizationId, StatusEvent};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use crate::{
    CompanyRecord, ConsentRefused, ConsentView, Store,
    companies::{MAX_ENTITIES, entity_count, new_entity},
    company_status::apply_event,
    entities::{
        companies,
        information_requests::{self, RequestStatus},
    },
};

/// Why an entity could not be added.
#[derive(Debug, thiserror::Error)]
pub enum EntityRefused {
    #[error("no such company")]
    NotFound,
    /// The company is itself an entity of a group: entities have no entities.
    #[error("an entity of a group cannot have entities of its own")]
    Nested,
    #[error("a group has at most {MAX_ENTITIES} entities")]
    TooMany,
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// Why the customer could not add an entity through their link.
#[derive(Debug, thiserror::Error)]
pub enum EntityLinkRefused {
    #[error(transparent)]
    Link(#[from] ConsentRefused),
    #[error("a group has at most {MAX_ENTITIES} entities")]
    TooMany,
}

impl From<sea_orm::DbErr> for EntityLinkRefused {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Link(err.into())
    }
}

impl Store {
    /// A user adds an entity to `group`: a company named `name` with the group's contact,
    /// data types and schedule, not yet requested.
    pub async fn add_entity(
        &self,
        organization: OrganizationId,
        group: CompanyId,
        name: CompanyName,
    ) -> Result<CompanyRecord, EntityRefused> {
        let row = self
            .company_row(organization, group)
            .await?
            .ok_or(EntityRefused::NotFound)?;
        if row.group_id.is_some() {
            return Err(EntityRefused::Nested);
        }
        // Counted before the transaction, whose first statement is its write: on SQLite a
        // transaction that reads first cannot always become a writer (SQLITE_BUSY).
        if entity_count(&self.db, row.id).await? >= MAX_ENTITIES {
            return Err(EntityRefused::TooMany);
        }
        let at = self.now();
        let txn = self.db.begin().await?;
        let entity = new_entity(&row, name.into(), at).insert(&txn).await?;
        txn.commit().await?;
        self.company(organization, CompanyId::from_uuid(entity.id))
            .await?
            .ok_or(EntityRefused::NotFound)
    }

    /// The customer adds an entity through their link (`token_hash`): the group's
    /// request, or one of its entities', still within its validity — pending, or
    /// granted (used up for its own entity) but not expired. Makes the entity, moved to
    /// `requested`, and its own pending link (`entity_token_hash`) with the same data
    /// and expiry, in one transaction. Answers the new link's view.
    pub async fn add_entity_through_link(
        &self,
        token_hash: &str,
        name: CompanyName,
        entity_token_hash: &str,
    ) -> Result<ConsentView, EntityLinkRefused> {
        let view = self
            .consent_view(token_hash)
            .await?
            .ok_or(ConsentRefused::NotFound)?;
        let organization = view.organization.name.clone();
        let at = self.now();
        let request = &view.request;
        let expired = || ConsentRefused::Expired {
            organization: organization.clone(),
            expired_at: request.expires_at,
        };
        match request.status {
            RequestStatus::Pending | RequestStatus::Granted if request.expires_at > at => {}
            // Expired on the spot, as when the link is opened.
            RequestStatus::Pending => {
                return Err(self
                    .usable_consent(token_hash)
                    .await
                    .err()
                    .unwrap_or_else(expired))?;
            }
            RequestStatus::Granted | RequestStatus::Expired => return Err(expired())?,
            RequestStatus::Superseded => {
                return Err(ConsentRefused::Superseded { organization })?;
            }
            RequestStatus::Declined => return Err(ConsentRefused::Used { organization })?,
        }
        let group = match view.company.group_id {
            Some(group) => companies::Entity::find_by_id(group)
                .one(&self.db)
                .await?
                .ok_or(ConsentRefused::NotFound)?,
            None => view.company.clone(),
        };
        // Counted before the transaction, as in `add_entity`.
        if entity_count(&self.db, group.id).await? >= MAX_ENTITIES {
            return Err(EntityLinkRefused::TooMany);
        }
        let txn = self.db.begin().await?;
        let mut entity = new_entity(&group, name.into(), at);
        entity.requests_financials = Set(request.requests_financials);
        entity.requests_spend_detail = Set(request.requests_spend_detail);
        let entity = entity.insert(&txn).await?;
        information_requests::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(view.organization.id),
            company_id: Set(entity.id),
            token_hash: Set(entity_token_hash.to_owned()),
            delivery: Set("link".to_owned()),
            status: Set(RequestStatus::Pending),
            requests_financials: Set(request.requests_financials),
            requests_spend_detail: Set(request.requests_spend_detail),
            platform: Set(None),
            created_at: Set(at),
            expires_at: Set(request.expires_at),
            resolved_at: Set(None),
            requested_by: Set(request.requested_by),
        }
        .insert(&txn)
        .await?;
        apply_event(&txn, entity.id, StatusEvent::InformationRequested, at).await?;
        txn.commit().await?;
        Ok(self
            .consent_view(entity_token_hash)
            .await?
            .ok_or(ConsentRefused::NotFound)?)
    }

    /// The entities of the group that `company` belongs to (or is), with the group
    /// first: for the consent page's "connected so far". Each with its platform.
    pub async fn group_members(
        &self,
        company: &companies::Model,
    ) -> Result<Vec<companies::Model>, sea_orm::DbErr> {
        let group = company.group_id.unwrap_or(company.id);
        let mut members = companies::Entity::find()
            .filter(companies::Column::OrganizationId.eq(company.organization_id))
            .filter(
                sea_orm::Condition::any()
                    .add(companies::Column::Id.eq(group))
                    .add(companies::Column::GroupId.eq(group)),
            )
            .all(&self.db)
            .await?;
        members.sort_by(|a, b| {
            (a.group_id.is_some(), a.created_at, a.id).cmp(&(
                b.group_id.is_some(),
                b.created_at,
                b.id,
            ))
        });
        Ok(members)
    }
}
