//! Information requests (consent links): sending one, the customer's answer, expiry.
//!
//! A request and the email that carries its link (`emails.rs`) are written in one
//! transaction with the company's move to `requested`. Only a SHA-256 hash of a link's
//! token is stored.

use chrono::{DateTime, Utc};
use domain::{
    CompanyId, DataType, ErrorCode, OrganizationId, RefreshTrigger, StatusError, StatusEvent,
    UserId,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    NewEmail, Store,
    companies::{MAX_ENTITIES, entity_count, new_entity},
    company_status::apply_event,
    emails::queued_email,
    entities::{
        companies,
        information_requests::{self, RequestStatus},
        organizations,
        refresh_jobs::{self, ACTIVE_STATES},
    },
    jobs::new_job,
    sql::is_foreign_key_violation,
};

/// A consent link as found by its token, with what the consent screen shows.
#[derive(Debug, Clone)]
pub struct ConsentView {
    pub request: information_requests::Model,
    pub company: companies::Model,
    pub organization: organizations::Model,
}

impl ConsentView {
    pub fn data_types(&self) -> Vec<DataType> {
        let mut types = Vec::new();
        if self.request.requests_financials {
            types.push(DataType::Financials);
        }
        if self.request.requests_spend_detail {
            types.push(DataType::SpendDetail);
        }
        types
    }
}

/// What a grant stores beside the used link and the first job.
enum Attach {
    Nothing,
    /// An OAuth platform's connection, its tokens sealed; and the other organisations
    /// of the same authorization the customer connected as entities of the group, each
    /// named, with its connection (sharing the tokens).
    OAuth(crate::NewConnection, Vec<(String, crate::NewConnection)>),
    /// The company's pending partner link becomes `linked`.
    Partner,
}

/// Why a consent link cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConsentRefused {
    #[error("no such link")]
    NotFound,
    #[error("the link expired")]
    Expired {
        organization: String,
        expired_at: DateTime<Utc>,
    },
    #[error("the link was already used")]
    Used { organization: String },
    #[error("a newer link replaced this one")]
    Superseded { organization: String },
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl Store {
    /// Creates an information request for the company: supersedes its earlier pending
    /// links, queues `email` (if any) and moves the company to `requested`, in one
    /// transaction. `None` when the company is not the organization's.
    // Each argument is a field of the new request; a struct for one call site adds nothing.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_information_request(
        &self,
        organization: OrganizationId,
        company: CompanyId,
        delivery: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        email: Option<NewEmail>,
        requested_by: Option<UserId>,
    ) -> Result<Option<information_requests::Model>, sea_orm::DbErr> {
        let inserted = async {
            let Some(row) = self.company_row(organization, company).await? else {
                return Ok(None);
            };
            let at = self.now();
            let txn = self.db.begin().await?;
            information_requests::Entity::update_many()
                .col_expr(
                    information_requests::Column::Status,
                    Expr::val(RequestStatus::Superseded),
                )
                .col_expr(information_requests::Column::ResolvedAt, Expr::val(at))
                .filter(information_requests::Column::CompanyId.eq(company.as_uuid()))
                .filter(information_requests::Column::Status.eq(RequestStatus::Pending))
                .exec(&txn)
                .await?;
            let request = information_requests::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(organization.as_uuid()),
                company_id: Set(company.as_uuid()),
                token_hash: Set(token_hash.to_owned()),
                delivery: Set(delivery.to_owned()),
                status: Set(RequestStatus::Pending),
                requests_financials: Set(row.requests_financials),
                requests_spend_detail: Set(row.requests_spend_detail),
                platform: Set(None),
                created_at: Set(at),
                expires_at: Set(expires_at),
                resolved_at: Set(None),
                requested_by: Set(requested_by.map(|u| u.as_uuid())),
            }
            .insert(&txn)
            .await?;
            crate::events::information_request_sent(&txn, &request, &row).await?;
            if let Some(email) = email {
                queued_email(
                    organization,
                    Some(company.as_uuid()),
                    Some(request.id),
                    email,
                    at,
                )
                .insert(&txn)
                .await?;
            }
            apply_event(
                &txn,
                company.as_uuid(),
                StatusEvent::InformationRequested,
                at,
            )
            .await?;
            txn.commit().await?;
            Ok(Some(request))
        }
        .await;
        match inserted {
            // The company was deleted since it was read.
            Err(err) if is_foreign_key_violation(&err) => Ok(None),
            other => other,
        }
    }

    /// The consent link with this token hash, if it can still be used. A pending link
    /// found past its expiry is expired on the spot (and the company shows it).
    pub async fn usable_consent(&self, token_hash: &str) -> Result<ConsentView, ConsentRefused> {
        let view = self
            .consent_view(token_hash)
            .await?
            .ok_or(ConsentRefused::NotFound)?;
        let organization = view.organization.name.clone();
        match view.request.status {
            RequestStatus::Pending if view.request.expires_at <= self.now() => {
                self.expire_request(&view.request).await?;
                Err(ConsentRefused::Expired {
                    organization,
                    expired_at: view.request.expires_at,
                })
            }
            RequestStatus::Pending => Ok(view),
            RequestStatus::Expired => Err(ConsentRefused::Expired {
                organization,
                expired_at: view.request.expires_at,
            }),
            RequestStatus::Superseded => Err(ConsentRefused::Superseded { organization }),
            RequestStatus::Granted | RequestStatus::Declined => {
                Err(ConsentRefused::Used { organization })
            }
        }
    }

    /// The link's request, whatever its state (used, expired…); `None` when unknown.
    pub async fn consent_view(
        &self,
        token_hash: &str,
    ) -> Result<Option<ConsentView>, sea_orm::DbErr> {
        let Some(request) = information_requests::Entity::find()
            .filter(information_requests::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let company = companies::Entity::find_by_id(request.company_id)
            .one(&self.db)
            .await?;
        let organization = organizations::Entity::find_by_id(request.organization_id)
            .one(&self.db)
            .await?;
        Ok(company
            .zip(organization)
            .map(|(company, organization)| ConsentView {
                request,
                company,
                organization,
            }))
    }

    /// The customer granted access through `platform`: the link is used up, the
    /// connection is stored and the first fetch is queued, in one transaction.
    pub async fn grant_consent(
        &self,
        token_hash: &str,
        platform: &str,
    ) -> Result<(ConsentView, Option<refresh_jobs::Model>), ConsentRefused> {
        self.grant_consent_with(token_hash, platform, None).await
    }

    /// As [`Store::grant_consent`], storing `connection` (an OAuth platform's tokens,
    /// sealed) in the same transaction. A company connected before keeps its history:
    /// its previous connection is replaced.
    pub async fn grant_consent_with(
        &self,
        token_hash: &str,
        platform: &str,
        connection: Option<crate::NewConnection>,
    ) -> Result<(ConsentView, Option<refresh_jobs::Model>), ConsentRefused> {
        let attach = match connection {
            Some(connection) => Attach::OAuth(connection, Vec::new()),
            None => Attach::Nothing,
        };
        self.grant(token_hash, platform, attach).await
    }

    /// As [`Store::grant_consent_with`], connecting in the same transaction the other
    /// organisations the customer picked from the same authorization as new entities of
    /// the link's group (the company's own, or the group it is an entity of), each with
    /// its connection and its first fetch queued. A group with little room left gets the
    /// entities it has room for (a group has at most [`crate::MAX_ENTITIES`]).
    pub async fn grant_consent_with_entities(
        &self,
        token_hash: &str,
        platform: &str,
        connection: crate::NewConnection,
        entities: Vec<(String, crate::NewConnection)>,
    ) -> Result<(ConsentView, Option<refresh_jobs::Model>), ConsentRefused> {
        self.grant(token_hash, platform, Attach::OAuth(connection, entities))
            .await
    }

    /// The customer's connection at the data partner is linked: as
    /// [`Store::grant_consent`] with platform `http`, the company's partner link becoming
    /// `linked` in the same transaction.
    pub async fn grant_partner_consent(
        &self,
        token_hash: &str,
    ) -> Result<(ConsentView, Option<refresh_jobs::Model>), ConsentRefused> {
        self.grant(token_hash, crate::PARTNER_PLATFORM, Attach::Partner)
            .await
    }

    async fn grant(
        &self,
        token_hash: &str,
        platform: &str,
        attach: Attach,
    ) -> Result<(ConsentView, Option<refresh_jobs::Model>), ConsentRefused> {
        let view = self.usable_consent(token_hash).await?;
        let at = self.now();
        let txn = self.db.begin().await?;
        if !resolve(
            &txn,
            view.request.id,
            RequestStatus::Granted,
            Some(platform),
            at,
        )
        .await?
        {
            txn.rollback().await?;
            return Err(self.refusal(token_hash).await);
        }
        companies::Entity::update_many()
            .col_expr(companies::Column::Platform, Expr::val(platform))
            .col_expr(companies::Column::UpdatedAt, Expr::val(at))
            .filter(companies::Column::Id.eq(view.company.id))
            .exec(&txn)
            .await?;
        if let Attach::Partner = attach {
            crate::partner::mark_linked(&txn, view.company.id, view.request.id, at).await?;
        }
        let mut entities_queued = false;
        if let Attach::OAuth(connection, entities) = attach {
            let group = match view.company.group_id {
                Some(group) => companies::Entity::find_by_id(group).one(&txn).await?,
                None => Some(view.company.clone()),
            };
            if let Some(group) = group.filter(|_| !entities.is_empty()) {
                let room = MAX_ENTITIES.saturating_sub(entity_count(&txn, group.id).await?);
                for (name, connection) in entities.into_iter().take(room as usize) {
                    self.connect_entity(&txn, &view, &group, name, platform, connection, at)
                        .await?;
                    entities_queued = true;
                }
            }
            let replaced = crate::entities::connections::Entity::delete_many()
                .filter(crate::entities::connections::Column::CompanyId.eq(view.company.id))
                .exec(&txn)
                .await?;
            let stored = connection
                .into_model(view.organization.id, view.company.id, at)
                .insert(&txn)
                .await?;
            let kind = if replaced.rows_affected > 0 {
                domain::EventType::ConnectionReconnected
            } else {
                domain::EventType::ConnectionConnected
            };
            crate::events::connection_changed(
                &txn,
                kind,
                view.organization.id,
                (view.company.id, &view.company.name),
                &stored,
                at,
            )
            .await?;
        }
        crate::events::consent_answered(&txn, &view.request, &view.company, Some(platform), at)
            .await?;
        let active = refresh_jobs::Entity::find()
            .filter(refresh_jobs::Column::CompanyId.eq(view.company.id))
            .filter(refresh_jobs::Column::State.is_in(ACTIVE_STATES))
            .one(&txn)
            .await?;
        let job = match active {
            Some(_) => None,
            None => Some(
                new_job(
                    OrganizationId::from_uuid(view.organization.id),
                    CompanyId::from_uuid(view.company.id),
                    RefreshTrigger::Consent,
                    None,
                    at,
                )
                .insert(&txn)
                .await?,
            ),
        };
        txn.commit().await?;
        if job.is_some() || entities_queued {
            self.notify_job_queued().await;
        }
        Ok((view, job))
    }

    /// A new entity of `group` connected through the same authorization as the link's
    /// company: its row, a granted request of its own (no link: nothing to open), its
    /// connection, its events and its first fetch.
    // Each argument is one part of the entity; a struct for one call site adds nothing.
    #[allow(clippy::too_many_arguments)]
    async fn connect_entity(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        view: &ConsentView,
        group: &companies::Model,
        name: String,
        platform: &str,
        connection: crate::NewConnection,
        at: DateTime<Utc>,
    ) -> Result<(), sea_orm::DbErr> {
        let mut entity = new_entity(group, name, at);
        entity.requests_financials = Set(view.request.requests_financials);
        entity.requests_spend_detail = Set(view.request.requests_spend_detail);
        entity.platform = Set(Some(platform.to_owned()));
        let entity = entity.insert(txn).await?;
        let request = information_requests::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(view.organization.id),
            company_id: Set(entity.id),
            // Not a token's hash (those are 64 hex digits): no link opens it.
            token_hash: Set(format!("entity:{}", entity.id.simple())),
            delivery: Set("link".to_owned()),
            status: Set(RequestStatus::Granted),
            requests_financials: Set(view.request.requests_financials),
            requests_spend_detail: Set(view.request.requests_spend_detail),
            platform: Set(Some(platform.to_owned())),
            created_at: Set(at),
            expires_at: Set(view.request.expires_at),
            resolved_at: Set(Some(at)),
            requested_by: Set(view.request.requested_by),
        }
        .insert(txn)
        .await?;
        apply_event(txn, entity.id, StatusEvent::InformationRequested, at).await?;
        let stored = connection
            .into_model(view.organization.id, entity.id, at)
            .insert(txn)
            .await?;
        crate::events::connection_changed(
            txn,
            domain::EventType::ConnectionConnected,
            view.organization.id,
            (entity.id, &entity.name),
            &stored,
            at,
        )
        .await?;
        crate::events::consent_answered(txn, &request, &entity, Some(platform), at).await?;
        new_job(
            OrganizationId::from_uuid(view.organization.id),
            CompanyId::from_uuid(entity.id),
            RefreshTrigger::Consent,
            None,
            at,
        )
        .insert(txn)
        .await?;
        Ok(())
    }

    /// The customer left without granting access: the link is used up and the company
    /// shows `customer_declined`.
    pub async fn decline_consent(&self, token_hash: &str) -> Result<ConsentView, ConsentRefused> {
        let view = self.usable_consent(token_hash).await?;
        let at = self.now();
        let txn = self.db.begin().await?;
        if !resolve(&txn, view.request.id, RequestStatus::Declined, None, at).await? {
            txn.rollback().await?;
            return Err(self.refusal(token_hash).await);
        }
        crate::events::consent_answered(&txn, &view.request, &view.company, None, at).await?;
        apply_event(
            &txn,
            view.company.id,
            StatusEvent::AuthorizationAbandoned(StatusError::new(ErrorCode::CustomerDeclined)),
            at,
        )
        .await?;
        txn.commit().await?;
        Ok(view)
    }

    /// Why a link that was usable a moment ago is not any more (a concurrent use).
    pub(crate) async fn refusal(&self, token_hash: &str) -> ConsentRefused {
        match self.usable_consent(token_hash).await {
            Ok(view) => ConsentRefused::Used {
                organization: view.organization.name,
            },
            Err(refused) => refused,
        }
    }

    /// Expires pending links past their expiry (at most `limit`), each company showing
    /// `link_expired`. Returns how many expired.
    pub async fn expire_information_requests(&self, limit: u64) -> Result<usize, sea_orm::DbErr> {
        let due = information_requests::Entity::find()
            .filter(information_requests::Column::Status.eq(RequestStatus::Pending))
            .filter(information_requests::Column::ExpiresAt.lte(self.now()))
            .order_by_asc(information_requests::Column::ExpiresAt)
            .limit(limit)
            .all(&self.db)
            .await?;
        let mut expired = 0;
        for request in &due {
            if self.expire_request(request).await? {
                expired += 1;
            }
        }
        Ok(expired)
    }

    async fn expire_request(
        &self,
        request: &information_requests::Model,
    ) -> Result<bool, sea_orm::DbErr> {
        let at = self.now();
        let txn = self.db.begin().await?;
        if !resolve(&txn, request.id, RequestStatus::Expired, None, at).await? {
            txn.rollback().await?;
            return Ok(false);
        }
        apply_event(
            &txn,
            request.company_id,
            StatusEvent::AuthorizationAbandoned(StatusError::new(ErrorCode::LinkExpired)),
            at,
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// The company's information requests, newest first.
    pub async fn information_requests(
        &self,
        organization: OrganizationId,
        company: CompanyId,
    ) -> Result<Vec<information_requests::Model>, sea_orm::DbErr> {
        information_requests::Entity::find()
            .filter(information_requests::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(information_requests::Column::CompanyId.eq(company.as_uuid()))
            .order_by_desc(information_requests::Column::CreatedAt)
            .all(&self.db)
            .await
    }
}

/// Moves a pending request to `to`. False when it was not pending any more.
async fn resolve(
    txn: &impl sea_orm::ConnectionTrait,
    request: Uuid,
    to: RequestStatus,
    platform: Option<&str>,
    at: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let result = information_requests::Entity::update_many()
        .col_expr(information_requests::Column::Status, Expr::val(to))
        .col_expr(information_requests::Column::ResolvedAt, Expr::val(at))
        .col_expr(information_requests::Column::Platform, Expr::val(platform))
        .filter(information_requests::Column::Id.eq(request))
        .filter(information_requests::Column::Status.eq(RequestStatus::Pending))
        .exec(txn)
        .await?;
    Ok(result.rows_affected == 1)
}
