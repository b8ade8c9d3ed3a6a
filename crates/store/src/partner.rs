//! Companies at the data partner (the `http` provider's upstream) and the connections
//! their customers link there.
//!
//! A company gets its partner id once and keeps it: a reconnection reuses it. While the
//! customer is at the partner's link page the link is `pending` and names the
//! information request; when the partner says `Linked`, [`Store::grant_partner_consent`]
//! uses the link up, marks it `linked` and queues the first fetch in one transaction.

use chrono::{DateTime, Utc};
use domain::CompanyId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    Store,
    entities::{
        information_requests::{self, RequestStatus},
        partner_links::{self, PartnerLinkState},
    },
};

/// The platform name a company connected through the data partner carries.
pub const PARTNER_PLATFORM: &str = "http";

/// The connection a customer is about to link at the partner.
#[derive(Debug, Clone)]
pub struct PendingPartnerLink {
    pub upstream_company_id: String,
    pub upstream_connection_id: String,
    pub integration_key: String,
    pub platform_name: String,
}

impl Store {
    /// The company's partner link, if it was ever sent to the partner.
    pub async fn partner_link(
        &self,
        company: CompanyId,
    ) -> Result<Option<partner_links::Model>, sea_orm::DbErr> {
        partner_links::Entity::find()
            .filter(partner_links::Column::CompanyId.eq(company.as_uuid()))
            .one(&self.db)
            .await
    }

    /// Records that the customer who holds `request`'s link is sent to link `link` at
    /// the partner: the company's partner link (made, or reused with its partner id)
    /// becomes `pending` for this request.
    pub async fn begin_partner_link(
        &self,
        request: &information_requests::Model,
        link: PendingPartnerLink,
    ) -> Result<(), sea_orm::DbErr> {
        let at = self.now();
        let existing = partner_links::Entity::find()
            .filter(partner_links::Column::CompanyId.eq(request.company_id))
            .one(&self.db)
            .await?;
        let is_new = existing.is_none();
        let mut model = match existing {
            Some(existing) => partner_links::ActiveModel::from(existing),
            None => partner_links::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(request.organization_id),
                company_id: Set(request.company_id),
                created_at: Set(at),
                ..Default::default()
            },
        };
        model.upstream_company_id = Set(link.upstream_company_id);
        model.upstream_connection_id = Set(Some(link.upstream_connection_id));
        model.integration_key = Set(Some(link.integration_key));
        model.platform_name = Set(Some(link.platform_name));
        model.information_request_id = Set(Some(request.id));
        model.state = Set(PartnerLinkState::Pending);
        model.checked_at = Set(None);
        model.updated_at = Set(at);
        if is_new {
            model.insert(&self.db).await?;
        } else {
            model.update(&self.db).await?;
        }
        Ok(())
    }

    /// The partner was asked about the link: when, and its state if it changed (a
    /// `failed` link no longer names its request).
    pub async fn partner_link_checked(
        &self,
        id: Uuid,
        state: PartnerLinkState,
    ) -> Result<(), sea_orm::DbErr> {
        let at = self.now();
        let mut update = partner_links::Entity::update_many()
            .col_expr(partner_links::Column::State, Expr::val(state))
            .col_expr(partner_links::Column::CheckedAt, Expr::val(at))
            .col_expr(partner_links::Column::UpdatedAt, Expr::val(at));
        if state != PartnerLinkState::Pending {
            update = update.col_expr(
                partner_links::Column::InformationRequestId,
                Expr::val(None::<Uuid>),
            );
        }
        update
            .filter(partner_links::Column::Id.eq(id))
            .filter(partner_links::Column::State.eq(PartnerLinkState::Pending))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Pending links whose request can still be granted, least recently checked first,
    /// each with its link's token hash: the follow-up sweep asks the partner about them.
    pub async fn partner_links_to_follow(
        &self,
        checked_before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(partner_links::Model, String)>, sea_orm::DbErr> {
        let links = partner_links::Entity::find()
            .filter(partner_links::Column::State.eq(PartnerLinkState::Pending))
            .filter(
                sea_orm::Condition::any()
                    .add(partner_links::Column::CheckedAt.is_null())
                    .add(partner_links::Column::CheckedAt.lt(checked_before)),
            )
            .order_by_asc(partner_links::Column::CheckedAt)
            .limit(limit)
            .all(&self.db)
            .await?;
        let now = self.now();
        let mut due = Vec::with_capacity(links.len());
        for link in links {
            let Some(request_id) = link.information_request_id else {
                continue;
            };
            let request = information_requests::Entity::find_by_id(request_id)
                .one(&self.db)
                .await?;
            match request {
                Some(request)
                    if request.status == RequestStatus::Pending && request.expires_at > now =>
                {
                    due.push((link, request.token_hash));
                }
                // Expired, replaced or answered otherwise: nothing left to follow.
                _ => {
                    self.partner_link_checked(link.id, PartnerLinkState::Failed)
                        .await?;
                }
            }
        }
        Ok(due)
    }
}

/// Within a grant's transaction: the company's link pending for `request` is linked.
pub(crate) async fn mark_linked(
    txn: &impl ConnectionTrait,
    company: Uuid,
    request: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    partner_links::Entity::update_many()
        .col_expr(
            partner_links::Column::State,
            Expr::val(PartnerLinkState::Linked),
        )
        .col_expr(
            partner_links::Column::InformationRequestId,
            Expr::val(None::<Uuid>),
        )
        .col_expr(partner_links::Column::CheckedAt, Expr::val(at))
        .col_expr(partner_links::Column::UpdatedAt, Expr::val(at))
        .filter(partner_links::Column::CompanyId.eq(company))
        .filter(partner_links::Column::InformationRequestId.eq(request))
        .exec(txn)
        .await?;
    Ok(())
}

/// Within a failed job's transaction: the partner refused access, so the company's
/// linked connection there is `failed` (a new information request links it again).
pub(crate) async fn mark_lost(
    txn: &impl ConnectionTrait,
    company: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    partner_links::Entity::update_many()
        .col_expr(
            partner_links::Column::State,
            Expr::val(PartnerLinkState::Failed),
        )
        .col_expr(partner_links::Column::UpdatedAt, Expr::val(at))
        .filter(partner_links::Column::CompanyId.eq(company))
        .filter(partner_links::Column::State.eq(PartnerLinkState::Linked))
        .exec(txn)
        .await?;
    Ok(())
}
