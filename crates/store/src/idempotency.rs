//! `Idempotency-Key` with Stripe's semantics: the first response to a key is stored and
//! replayed for 24 hours; the same key with another request is refused; a request
//! still in flight under the key makes a second one wait its turn (409).

use chrono::Duration;
use domain::OrganizationId;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::{Store, entities::idempotency_keys, sql::is_unique_violation};

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
    pub async fn begin_idempotent(
        &self,
        organization: OrganizationId,
        key: &str,
        endpoint: &str,
        request_hash: &str,
    ) -> Result<IdempotencyBegin, sea_orm::DbErr> {
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
