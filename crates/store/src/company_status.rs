//! The one writer of a company's status. Every change goes through the domain's state
//! machine (`domain::transition`) — the product's own transitions, and the histories
//! that demo data and test fixtures start companies with. A change the product makes
//! records `company.status_changed` in the same transaction; an event that does not
//! apply any more (the company moved on) changes nothing.

use chrono::{DateTime, Utc};
use domain::{CompanyId, DataStatus, OrganizationId, StatusError, StatusEvent, transition};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::{Store, entities::companies};

/// The status a company row shows.
fn current(row: &companies::Model) -> Option<DataStatus> {
    row.status.as_deref().and_then(|s| s.parse().ok())
}

/// Sets the status columns of `active` to `status` (and `error`) as of `at`.
fn set_status(
    active: &mut companies::ActiveModel,
    status: DataStatus,
    error: Option<&StatusError>,
    at: DateTime<Utc>,
) {
    active.status = Set(Some(status.as_str().to_owned()));
    active.status_updated_at = Set(Some(at));
    active.error_code = Set(error.map(|e| e.code.as_str().to_owned()));
    active.error_message = Set(error.map(|e| e.message.clone()));
}

/// Applies `event` to the company's status through the domain's state machine, when it
/// allows it. Every status change the product makes goes through here (or
/// [`apply_event_with`], [`apply_event_from`]).
pub(crate) async fn apply_event(
    txn: &impl sea_orm::ConnectionTrait,
    company: Uuid,
    event: StatusEvent,
    at: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    apply_event_with(txn, company, event, at, |_| {}).await
}

/// [`apply_event`], also setting what `also` sets on the company in the same `UPDATE`.
/// `also` is applied only when the transition is allowed.
pub(crate) async fn apply_event_with(
    txn: &impl sea_orm::ConnectionTrait,
    company: Uuid,
    event: StatusEvent,
    at: DateTime<Utc>,
    also: impl FnOnce(&mut companies::ActiveModel),
) -> Result<bool, sea_orm::DbErr> {
    let Some(row) = companies::Entity::find_by_id(company).one(txn).await? else {
        return Ok(false);
    };
    let Ok((status, error)) = transition(current(&row), event) else {
        return Ok(false);
    };
    crate::events::status_changed(txn, &row, status, error.as_ref(), at).await?;
    let mut active: companies::ActiveModel = row.into();
    set_status(&mut active, status, error.as_ref(), at);
    also(&mut active);
    active.update(txn).await?;
    Ok(true)
}

/// [`apply_event_with`] for a company the caller read earlier (a claimed job's company):
/// while its status is still the one read, one conditional `UPDATE … RETURNING` instead
/// of a read and then an update — a round trip less on every finished refresh. When the
/// status moved on in between, the read-then-update path decides on the current one.
pub(crate) async fn apply_event_from(
    txn: &impl sea_orm::ConnectionTrait,
    known: &companies::Model,
    event: StatusEvent,
    at: DateTime<Utc>,
    also: impl Fn(&mut companies::ActiveModel),
) -> Result<bool, sea_orm::DbErr> {
    if let Ok((status, error)) = transition(current(known), event.clone()) {
        let mut active = <companies::ActiveModel as Default>::default();
        set_status(&mut active, status, error.as_ref(), at);
        also(&mut active);
        let unchanged = |column: companies::Column, value: &Option<String>| match value {
            Some(value) => column.eq(value.as_str()),
            None => column.is_null(),
        };
        let updated = companies::Entity::update_many()
            .set(active)
            .filter(companies::Column::Id.eq(known.id))
            .filter(unchanged(companies::Column::Status, &known.status))
            .filter(unchanged(companies::Column::ErrorCode, &known.error_code))
            .exec_with_returning(txn)
            .await?;
        if let Some(row) = updated.into_iter().next() {
            // The event describes the change from the status the update matched.
            let before = companies::Model {
                status: known.status.clone(),
                error_code: known.error_code.clone(),
                ..row
            };
            crate::events::status_changed(txn, &before, status, error.as_ref(), at).await?;
            return Ok(true);
        }
    }
    apply_event_with(txn, known.id, event, at, also).await
}

impl Store {
    /// Starts a company with a past: `history` (oldest first) is applied through the
    /// state machine as if it had happened, the last step at `at`, and `platform` is
    /// recorded as the connected platform (`None`: none). For demo data and test
    /// fixtures. It records no events: nobody is told of a history being written.
    /// False when the company is not the organization's or a step is not allowed.
    pub async fn seed_company_status(
        &self,
        organization: OrganizationId,
        id: CompanyId,
        history: &[StatusEvent],
        at: DateTime<Utc>,
        platform: Option<&str>,
    ) -> Result<bool, sea_orm::DbErr> {
        let Some(row) = companies::Entity::find_by_id(id.as_uuid())
            .filter(companies::Column::OrganizationId.eq(organization.as_uuid()))
            .one(&self.db)
            .await?
        else {
            return Ok(false);
        };
        let mut reached = None;
        let mut status = current(&row);
        for event in history {
            let Ok((next, error)) = transition(status, event.clone()) else {
                return Ok(false);
            };
            status = Some(next);
            reached = Some((next, error));
        }
        let mut active: companies::ActiveModel = row.into();
        if let Some((status, error)) = reached {
            set_status(&mut active, status, error.as_ref(), at);
        }
        active.platform = Set(platform.map(str::to_owned));
        active.update(&self.db).await?;
        Ok(true)
    }
}
