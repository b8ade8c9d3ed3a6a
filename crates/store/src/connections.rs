//! Connections to the OAuth platforms and the authorizations that lead to them.
//!
//! The store never sees a token in clear: callers (crate `connections`) seal them with
//! crate `vault` and hand over the sealed text. The token refresh's lease is a
//! conditional update, so across every `serve` and `worker` process exactly one holds
//! a connection's refresh at a time, and the rotated refresh token is committed before
//! the lease is given back.

use chrono::{DateTime, Utc};
use domain::CompanyId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::{
    Store,
    entities::{
        connections::{self, ConnectionState},
        information_requests, oauth_authorizations,
    },
};

/// A connection about to be stored, its tokens sealed.
#[derive(Clone)]
pub struct NewConnection {
    /// Chosen by the caller: the sealed tokens are bound to it.
    pub id: Uuid,
    pub platform: String,
    pub tenant_id: String,
    pub tenant_name: String,
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_at: DateTime<Utc>,
    /// The authorization it shares with other entities' connections (their tokens
    /// sealed for this id); `None` when it is alone.
    pub grant_id: Option<Uuid>,
}

impl std::fmt::Debug for NewConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewConnection")
            .field("id", &self.id)
            .field("platform", &self.platform)
            .field("tenant_id", &self.tenant_id)
            .finish_non_exhaustive()
    }
}

impl NewConnection {
    pub(crate) fn into_model(
        self,
        organization: Uuid,
        company: Uuid,
        at: DateTime<Utc>,
    ) -> connections::ActiveModel {
        connections::ActiveModel {
            id: Set(self.id),
            organization_id: Set(organization),
            company_id: Set(company),
            platform: Set(self.platform),
            tenant_id: Set(self.tenant_id),
            tenant_name: Set(self.tenant_name),
            access_token: Set(self.access_token),
            refresh_token: Set(self.refresh_token),
            access_expires_at: Set(self.access_expires_at),
            refreshed_at: Set(at),
            state: Set(ConnectionState::Connected),
            refresh_failures: Set(0),
            refresh_retry_at: Set(None),
            refresh_lease_owner: Set(None),
            refresh_lease_expires_at: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            grant_id: Set(self.grant_id),
        }
    }
}

/// Tokens a refresh answered, sealed.
pub struct RefreshedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_at: DateTime<Utc>,
}

impl Store {
    /// Starts an authorization for the request behind a usable consent link.
    pub async fn begin_authorization(
        &self,
        authorization: oauth_authorizations::Model,
    ) -> Result<(), sea_orm::DbErr> {
        oauth_authorizations::ActiveModel::from(authorization)
            .insert(&self.db)
            .await?;
        Ok(())
    }

    /// The authorization whose `state` hashes to `state_hash`, with the token hash of
    /// its consent link.
    pub async fn authorization(
        &self,
        state_hash: &str,
    ) -> Result<Option<(oauth_authorizations::Model, String)>, sea_orm::DbErr> {
        let Some(authorization) = oauth_authorizations::Entity::find()
            .filter(oauth_authorizations::Column::StateHash.eq(state_hash))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let request =
            information_requests::Entity::find_by_id(authorization.information_request_id)
                .one(&self.db)
                .await?;
        Ok(request.map(|r| (authorization, r.token_hash)))
    }

    /// Uses an authorization up: true for the one caller that removed it.
    pub async fn take_authorization(&self, id: Uuid) -> Result<bool, sea_orm::DbErr> {
        let deleted = oauth_authorizations::Entity::delete_by_id(id)
            .exec(&self.db)
            .await?;
        Ok(deleted.rows_affected == 1)
    }

    /// Keeps an exchanged authorization's tokens and organisations while the customer
    /// chooses; `state_hash` becomes the choice's own key.
    pub async fn hold_authorization(
        &self,
        id: Uuid,
        state_hash: &str,
        sealed_tokens: String,
        tenants: String,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, sea_orm::DbErr> {
        let updated = oauth_authorizations::Entity::update_many()
            .col_expr(
                oauth_authorizations::Column::StateHash,
                Expr::val(state_hash),
            )
            .col_expr(
                oauth_authorizations::Column::Tokens,
                Expr::val(sealed_tokens),
            )
            .col_expr(oauth_authorizations::Column::Tenants, Expr::val(tenants))
            .col_expr(
                oauth_authorizations::Column::ExpiresAt,
                Expr::val(expires_at),
            )
            .filter(oauth_authorizations::Column::Id.eq(id))
            .filter(oauth_authorizations::Column::Tokens.is_null())
            .exec(&self.db)
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// Removes authorizations nobody finished (the customer closed the platform's page).
    pub async fn prune_authorizations(&self) -> Result<u64, sea_orm::DbErr> {
        let deleted = oauth_authorizations::Entity::delete_many()
            .filter(oauth_authorizations::Column::ExpiresAt.lte(self.now()))
            .exec(&self.db)
            .await?;
        Ok(deleted.rows_affected)
    }

    /// The company's connection to an OAuth platform, if it has one.
    pub async fn platform_connection(
        &self,
        company: CompanyId,
    ) -> Result<Option<connections::Model>, sea_orm::DbErr> {
        connections::Entity::find()
            .filter(connections::Column::CompanyId.eq(company.as_uuid()))
            .one(&self.db)
            .await
    }

    /// The company's connection, scoped to its organization (for the API).
    pub async fn company_connection(
        &self,
        organization: domain::OrganizationId,
        company: CompanyId,
    ) -> Result<Option<connections::Model>, sea_orm::DbErr> {
        connections::Entity::find()
            .filter(connections::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(connections::Column::CompanyId.eq(company.as_uuid()))
            .one(&self.db)
            .await
    }

    /// The row whose lease guards the token refresh of `connection`'s authorization: its
    /// own, or, for an authorization shared by several entities, the first of their rows.
    pub async fn refresh_leader(
        &self,
        connection: &connections::Model,
    ) -> Result<Option<connections::Model>, sea_orm::DbErr> {
        let Some(grant) = connection.grant_id else {
            return self.connection_by_id(connection.id).await;
        };
        connections::Entity::find()
            .filter(connections::Column::GrantId.eq(grant))
            .order_by_asc(connections::Column::Id)
            .one(&self.db)
            .await
    }

    pub async fn connection_by_id(
        &self,
        id: Uuid,
    ) -> Result<Option<connections::Model>, sea_orm::DbErr> {
        connections::Entity::find_by_id(id).one(&self.db).await
    }

    /// Takes the right to refresh the connection's tokens until `until`, unless another
    /// process holds it. False: someone else is refreshing; read the connection again
    /// after a moment.
    pub async fn lease_connection_refresh(
        &self,
        id: Uuid,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, sea_orm::DbErr> {
        let now = self.now();
        let updated = connections::Entity::update_many()
            .col_expr(connections::Column::RefreshLeaseOwner, Expr::val(owner))
            .col_expr(connections::Column::RefreshLeaseExpiresAt, Expr::val(until))
            .filter(connections::Column::Id.eq(id))
            .filter(connections::Column::State.eq(ConnectionState::Connected))
            .filter(
                Condition::any()
                    .add(connections::Column::RefreshLeaseExpiresAt.is_null())
                    .add(connections::Column::RefreshLeaseExpiresAt.lte(now))
                    .add(connections::Column::RefreshLeaseOwner.eq(owner)),
            )
            .exec(&self.db)
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// Stores what a token refresh answered and gives the lease back; the other rows of
    /// a shared authorization get the same tokens in the same transaction. False when
    /// the lease was lost (then the tokens are not stored: the lease's new holder
    /// refreshes).
    pub async fn store_refreshed_tokens(
        &self,
        id: Uuid,
        owner: &str,
        tokens: RefreshedTokens,
    ) -> Result<bool, sea_orm::DbErr> {
        let now = self.now();
        let txn = self.db.begin().await?;
        let tokens_set = |update: sea_orm::UpdateMany<connections::Entity>| {
            update
                .col_expr(
                    connections::Column::AccessToken,
                    Expr::val(tokens.access_token.clone()),
                )
                .col_expr(
                    connections::Column::RefreshToken,
                    Expr::val(tokens.refresh_token.clone()),
                )
                .col_expr(
                    connections::Column::AccessExpiresAt,
                    Expr::val(tokens.access_expires_at),
                )
                .col_expr(connections::Column::RefreshedAt, Expr::val(now))
                .col_expr(connections::Column::RefreshFailures, Expr::val(0))
                .col_expr(
                    connections::Column::RefreshRetryAt,
                    Expr::val(None::<DateTime<Utc>>),
                )
                .col_expr(connections::Column::UpdatedAt, Expr::val(now))
        };
        let updated = tokens_set(connections::Entity::update_many())
            .col_expr(
                connections::Column::RefreshLeaseOwner,
                Expr::val(None::<String>),
            )
            .col_expr(
                connections::Column::RefreshLeaseExpiresAt,
                Expr::val(None::<DateTime<Utc>>),
            )
            .filter(connections::Column::Id.eq(id))
            .filter(connections::Column::RefreshLeaseOwner.eq(owner))
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(false);
        }
        if let Some(grant) = grant_of(&txn, id).await? {
            tokens_set(connections::Entity::update_many())
                .filter(connections::Column::GrantId.eq(grant))
                .filter(connections::Column::Id.ne(id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(true)
    }

    /// Gives a refresh lease back unused (another process refreshed first).
    pub async fn record_refresh_released(
        &self,
        id: Uuid,
        owner: &str,
    ) -> Result<(), sea_orm::DbErr> {
        connections::Entity::update_many()
            .col_expr(
                connections::Column::RefreshLeaseOwner,
                Expr::val(None::<String>),
            )
            .col_expr(
                connections::Column::RefreshLeaseExpiresAt,
                Expr::val(None::<DateTime<Utc>>),
            )
            .filter(connections::Column::Id.eq(id))
            .filter(connections::Column::RefreshLeaseOwner.eq(owner))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// A token refresh failed: counts it, sets when the next may be tried (or the
    /// connection's new state when no retry can help), and gives the lease back.
    pub async fn record_refresh_failure(
        &self,
        id: Uuid,
        owner: &str,
        retry_at: Option<DateTime<Utc>>,
        state: ConnectionState,
    ) -> Result<(), sea_orm::DbErr> {
        let now = self.now();
        let txn = self.db.begin().await?;
        let updated = connections::Entity::update_many()
            .col_expr(
                connections::Column::RefreshFailures,
                Expr::col(connections::Column::RefreshFailures).add(1),
            )
            .col_expr(connections::Column::RefreshRetryAt, Expr::val(retry_at))
            .col_expr(connections::Column::State, Expr::val(state))
            .col_expr(
                connections::Column::RefreshLeaseOwner,
                Expr::val(None::<String>),
            )
            .col_expr(
                connections::Column::RefreshLeaseExpiresAt,
                Expr::val(None::<DateTime<Utc>>),
            )
            .col_expr(connections::Column::UpdatedAt, Expr::val(now))
            .filter(connections::Column::Id.eq(id))
            .filter(connections::Column::RefreshLeaseOwner.eq(owner))
            .exec(&txn)
            .await?;
        // A shared authorization fails for every entity that uses it.
        let grant = grant_of(&txn, id).await?;
        if updated.rows_affected == 1
            && let Some(grant) = grant
        {
            connections::Entity::update_many()
                .col_expr(
                    connections::Column::RefreshFailures,
                    Expr::col(connections::Column::RefreshFailures).add(1),
                )
                .col_expr(connections::Column::RefreshRetryAt, Expr::val(retry_at))
                .col_expr(connections::Column::State, Expr::val(state))
                .col_expr(connections::Column::UpdatedAt, Expr::val(now))
                .filter(connections::Column::GrantId.eq(grant))
                .filter(connections::Column::Id.ne(id))
                .exec(&txn)
                .await?;
        }
        if updated.rows_affected == 1 && state != ConnectionState::Connected {
            // The connection stopped working: said once per entity, by the lease holder.
            let stopped = match grant {
                Some(grant) => {
                    connections::Entity::find()
                        .filter(connections::Column::GrantId.eq(grant))
                        .all(&txn)
                        .await?
                }
                None => connections::Entity::find_by_id(id).all(&txn).await?,
            };
            for connection in stopped {
                if let Some(company) =
                    crate::entities::companies::Entity::find_by_id(connection.company_id)
                        .one(&txn)
                        .await?
                {
                    crate::events::connection_changed(
                        &txn,
                        domain::EventType::ConnectionDisconnected,
                        connection.organization_id,
                        (company.id, &company.name),
                        &connection,
                        now,
                    )
                    .await?;
                }
            }
        }
        txn.commit().await
    }

    /// Connected connections whose refresh token was last renewed before `before`,
    /// oldest first: the keep-alive sweep renews them before the platform lets them die.
    pub async fn connections_to_keep_alive(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<connections::Model>, sea_orm::DbErr> {
        let now = self.now();
        connections::Entity::find()
            .filter(connections::Column::State.eq(ConnectionState::Connected))
            .filter(connections::Column::RefreshedAt.lt(before))
            .filter(
                Condition::any()
                    .add(connections::Column::RefreshRetryAt.is_null())
                    .add(connections::Column::RefreshRetryAt.lte(now)),
            )
            .order_by_asc(connections::Column::RefreshedAt)
            .limit(limit)
            .all(&self.db)
            .await
    }

    /// Every connection and authorization's sealed values, for `keys rotate`: a page of
    /// connections after `after` (by id).
    pub async fn connections_page(
        &self,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<connections::Model>, sea_orm::DbErr> {
        let mut query = connections::Entity::find().order_by_asc(connections::Column::Id);
        if let Some(after) = after {
            query = query.filter(connections::Column::Id.gt(after));
        }
        query.limit(limit).all(&self.db).await
    }

    /// Replaces a connection's sealed tokens with the same tokens sealed under another
    /// key, unless they changed since they were read.
    pub async fn reseal_connection(
        &self,
        read: &connections::Model,
        access_token: String,
        refresh_token: String,
    ) -> Result<bool, sea_orm::DbErr> {
        let updated = connections::Entity::update_many()
            .col_expr(connections::Column::AccessToken, Expr::val(access_token))
            .col_expr(connections::Column::RefreshToken, Expr::val(refresh_token))
            .filter(connections::Column::Id.eq(read.id))
            .filter(connections::Column::AccessToken.eq(read.access_token.as_str()))
            .filter(connections::Column::RefreshToken.eq(read.refresh_token.as_str()))
            .exec(&self.db)
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// Authorizations in progress (their verifier and held tokens are sealed), for
    /// `keys rotate`.
    pub async fn authorizations(&self) -> Result<Vec<oauth_authorizations::Model>, sea_orm::DbErr> {
        oauth_authorizations::Entity::find().all(&self.db).await
    }

    pub async fn reseal_authorization(
        &self,
        read: &oauth_authorizations::Model,
        pkce_verifier: String,
        tokens: Option<String>,
    ) -> Result<bool, sea_orm::DbErr> {
        let updated = oauth_authorizations::Entity::update_many()
            .col_expr(
                oauth_authorizations::Column::PkceVerifier,
                Expr::val(pkce_verifier),
            )
            .col_expr(oauth_authorizations::Column::Tokens, Expr::val(tokens))
            .filter(oauth_authorizations::Column::Id.eq(read.id))
            .filter(oauth_authorizations::Column::PkceVerifier.eq(read.pkce_verifier.as_str()))
            .exec(&self.db)
            .await?;
        Ok(updated.rows_affected == 1)
    }
}

/// The shared authorization of the connection `id`, if it shares one.
async fn grant_of(
    db: &impl sea_orm::ConnectionTrait,
    id: Uuid,
) -> Result<Option<Uuid>, sea_orm::DbErr> {
    let grant: Option<Option<Uuid>> = connections::Entity::find_by_id(id)
        .select_only()
        .column(connections::Column::GrantId)
        .into_tuple()
        .one(db)
        .await?;
    Ok(grant.flatten())
}
