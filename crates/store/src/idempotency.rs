//! `Idempotency-Key` with Stripe's semantics: the first response to a key is stored and
//! replayed for 24 hours; the same key with another request is refused; a request
//! still in flight under the key makes a second one wait its turn (409).
//!
//! A request runs these through its own scoped store, so it uses one connection, and
//! the key's row commits (or rolls back) with the request's changes. On PostgreSQL the
//! row of a request in flight is not visible to others until it commits: a
//! transaction-scoped advisory lock on the key, tried without waiting, is what tells a
//! second request at once that the first is still running. On SQLite (no scope) and
//! on the pool the `in_progress` row itself says so, as it commits at once.

use chrono::Duration;
use domain::OrganizationId;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set, Statement};

use crate::{Store, entities::idempotency_keys, scope::Db, sql::is_unique_violation};

const IN_PROGRESS: &str = "in_progress";
const DONE: &str = "done";

/// How long a stored response is replayed.
pub fn idempotency_window() -> Duration {
    Duration::hours(24)
}

/// A stored response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// First use: run it, then [`Store::finish_idempotent`] or [`Store::abandon_idempotent`].
    Proceed,
    /// Answer this again.
    Replay(StoredResponse),
    /// The first request with this key has not finished.
    InFlight,
    /// The key was used for a different request.
    Mismatch,
}

impl Store {
    /// Takes `key` for a request, or says what to answer instead. Call it on the
    /// request's scoped store (see the module's notes).
    pub async fn begin_idempotent(
        &self,
        organization: OrganizationId,
        key: &str,
        endpoint: &str,
        request_hash: &str,
    ) -> Result<IdempotencyBegin, sea_orm::DbErr> {
        if !self.lock_idempotency_key(organization, key).await? {
            return Ok(IdempotencyBegin::InFlight);
        }
        for _ in 0..3 {
            let inserted = self
                .insert_guarded(idempotency_keys::ActiveModel {
                    organization_id: Set(organization.as_uuid()),
                    key: Set(key.to_owned()),
                    endpoint: Set(endpoint.to_owned()),
                    request_hash: Set(request_hash.to_owned()),
                    state: Set(IN_PROGRESS.to_owned()),
                    response_status: Set(None),
                    response_body: Set(None),
                    response_location: Set(None),
                    created_at: Set(self.now()),
                })
                .await;
            match inserted {
                Ok(_) => return Ok(IdempotencyBegin::Proceed),
                Err(err) if is_unique_violation(&err) => {}
                Err(err) => return Err(err),
            }
            let Some(existing) = self.idempotency_row(organization, key).await? else {
                continue;
            };
            if existing.created_at < self.now() - idempotency_window() {
                // Expired: forget it and take the key afresh.
                self.forget_idempotent(organization, key).await?;
                continue;
            }
            if existing.endpoint != endpoint || existing.request_hash != request_hash {
                return Ok(IdempotencyBegin::Mismatch);
            }
            return Ok(
                match (
                    existing.state.as_str(),
                    existing.response_status,
                    existing.response_body,
                ) {
                    (DONE, Some(status), Some(body)) => IdempotencyBegin::Replay(StoredResponse {
                        status: u16::try_from(status).unwrap_or(200),
                        body,
                        location: existing.response_location,
                    }),
                    _ => IdempotencyBegin::InFlight,
                },
            );
        }
        Ok(IdempotencyBegin::InFlight)
    }

    /// Stores the response to replay.
    pub async fn finish_idempotent(
        &self,
        organization: OrganizationId,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), sea_orm::DbErr> {
        idempotency_keys::Entity::update_many()
            .col_expr(
                idempotency_keys::Column::State,
                sea_orm::sea_query::Expr::val(DONE),
            )
            .col_expr(
                idempotency_keys::Column::ResponseStatus,
                sea_orm::sea_query::Expr::val(i32::from(response.status)),
            )
            .col_expr(
                idempotency_keys::Column::ResponseBody,
                sea_orm::sea_query::Expr::val(response.body.clone()),
            )
            .col_expr(
                idempotency_keys::Column::ResponseLocation,
                sea_orm::sea_query::Expr::val(response.location.clone()),
            )
            .filter(idempotency_keys::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(idempotency_keys::Column::Key.eq(key))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The request failed before doing anything: the key can be used again.
    pub async fn abandon_idempotent(
        &self,
        organization: OrganizationId,
        key: &str,
    ) -> Result<(), sea_orm::DbErr> {
        self.forget_idempotent(organization, key).await
    }

    async fn forget_idempotent(
        &self,
        organization: OrganizationId,
        key: &str,
    ) -> Result<(), sea_orm::DbErr> {
        idempotency_keys::Entity::delete_many()
            .filter(idempotency_keys::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(idempotency_keys::Column::Key.eq(key))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// In an organization's transaction on PostgreSQL, takes the key's advisory lock
    /// until the transaction ends, without waiting: `false` when another transaction
    /// holds it (a request with the key is in flight). Elsewhere there is nothing to
    /// lock: `true`.
    async fn lock_idempotency_key(
        &self,
        organization: OrganizationId,
        key: &str,
    ) -> Result<bool, sea_orm::DbErr> {
        if !matches!(self.db, Db::Scoped(_)) || self.backend() != DbBackend::Postgres {
            return Ok(true);
        }
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked",
                [format!("spendlens.idempotency:{organization}:{key}").into()],
            ))
            .await?;
        row.map_or(Ok(false), |row| row.try_get::<bool>("", "locked"))
    }

    async fn idempotency_row(
        &self,
        organization: OrganizationId,
        key: &str,
    ) -> Result<Option<idempotency_keys::Model>, sea_orm::DbErr> {
        idempotency_keys::Entity::find()
            .filter(idempotency_keys::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(idempotency_keys::Column::Key.eq(key))
            .one(&self.db)
            .await
    }
}
