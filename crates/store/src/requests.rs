//! Information requests (consent links) and the outgoing email queue.
//!
//! A request and the email that carries its link are written in one transaction with
//! the company's move to `requested`; the email is then sent by a mail worker, which
//! claims rows with a lease exactly as refresh workers claim jobs. Only a SHA-256 hash
//! of a link's token is stored.

use chrono::{DateTime, Duration, Utc};
use domain::{
    CompanyId, DataStatus, DataType, ErrorCode, OrganizationId, RefreshTrigger, StatusError,
    StatusEvent, UserId, transition,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait, UpdateMany, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    Store,
    entities::{companies, information_requests, organizations, outgoing_emails, refresh_jobs},
    jobs::{ACTIVE_STATES, is_foreign_key_violation, new_job},
    now,
    queue::{Queue, claim_statement},
};

/// `information_requests.status` values.
pub mod status {
    pub const PENDING: &str = "pending";
    pub const GRANTED: &str = "granted";
    pub const DECLINED: &str = "declined";
    pub const EXPIRED: &str = "expired";
    pub const SUPERSEDED: &str = "superseded";
}

/// `outgoing_emails.state` values.
pub mod email_state {
    pub const QUEUED: &str = "queued";
    pub const SENDING: &str = "sending";
    pub const SENT: &str = "sent";
    pub const FAILED: &str = "failed";
}

/// An email to queue with a request.
#[derive(Debug, Clone)]
pub struct NewEmail {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
}

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

/// An email a mail worker holds the lease of.
pub type ClaimedEmail = outgoing_emails::Model;

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
        match self
            .insert_information_request(
                organization,
                company,
                delivery,
                token_hash,
                expires_at,
                email,
                requested_by,
            )
            .await
        {
            // The company was deleted since it was read.
            Err(err) if is_foreign_key_violation(&err) => Ok(None),
            other => other,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_information_request(
        &self,
        organization: OrganizationId,
        company: CompanyId,
        delivery: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        email: Option<NewEmail>,
        requested_by: Option<UserId>,
    ) -> Result<Option<information_requests::Model>, sea_orm::DbErr> {
        let Some(row) = self.company_row(organization, company).await? else {
            return Ok(None);
        };
        let at = now();
        let txn = self.db.begin().await?;
        information_requests::Entity::update_many()
            .col_expr(
                information_requests::Column::Status,
                Expr::val(status::SUPERSEDED),
            )
            .col_expr(information_requests::Column::ResolvedAt, Expr::val(at))
            .filter(information_requests::Column::CompanyId.eq(company.as_uuid()))
            .filter(information_requests::Column::Status.eq(status::PENDING))
            .exec(&txn)
            .await?;
        let request = information_requests::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(organization.as_uuid()),
            company_id: Set(company.as_uuid()),
            token_hash: Set(token_hash.to_owned()),
            delivery: Set(delivery.to_owned()),
            status: Set(status::PENDING.to_owned()),
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

    /// The consent link with this token hash, if it can still be used. A pending link
    /// found past its expiry is expired on the spot (and the company shows it).
    pub async fn usable_consent(&self, token_hash: &str) -> Result<ConsentView, ConsentRefused> {
        let view = self
            .consent_view(token_hash)
            .await?
            .ok_or(ConsentRefused::NotFound)?;
        let organization = view.organization.name.clone();
        match view.request.status.as_str() {
            status::PENDING if view.request.expires_at <= now() => {
                self.expire_request(&view.request).await?;
                Err(ConsentRefused::Expired {
                    organization,
                    expired_at: view.request.expires_at,
                })
            }
            status::PENDING => Ok(view),
            status::EXPIRED => Err(ConsentRefused::Expired {
                organization,
                expired_at: view.request.expires_at,
            }),
            status::SUPERSEDED => Err(ConsentRefused::Superseded { organization }),
            _ => Err(ConsentRefused::Used { organization }),
        }
    }

    async fn consent_view(&self, token_hash: &str) -> Result<Option<ConsentView>, sea_orm::DbErr> {
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
        let view = self.usable_consent(token_hash).await?;
        let at = now();
        let txn = self.db.begin().await?;
        if !resolve(&txn, view.request.id, status::GRANTED, Some(platform), at).await? {
            txn.rollback().await?;
            return Err(self.refusal(token_hash).await);
        }
        companies::Entity::update_many()
            .col_expr(companies::Column::Platform, Expr::val(platform))
            .col_expr(companies::Column::UpdatedAt, Expr::val(at))
            .filter(companies::Column::Id.eq(view.company.id))
            .exec(&txn)
            .await?;
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
                )
                .insert(&txn)
                .await?,
            ),
        };
        txn.commit().await?;
        if job.is_some() {
            self.notify_job_queued().await;
        }
        Ok((view, job))
    }

    /// The customer left without granting access: the link is used up and the company
    /// shows `customer_declined`.
    pub async fn decline_consent(&self, token_hash: &str) -> Result<ConsentView, ConsentRefused> {
        let view = self.usable_consent(token_hash).await?;
        let at = now();
        let txn = self.db.begin().await?;
        if !resolve(&txn, view.request.id, status::DECLINED, None, at).await? {
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
    async fn refusal(&self, token_hash: &str) -> ConsentRefused {
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
            .filter(information_requests::Column::Status.eq(status::PENDING))
            .filter(information_requests::Column::ExpiresAt.lte(now()))
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
        let at = now();
        let txn = self.db.begin().await?;
        if !resolve(&txn, request.id, status::EXPIRED, None, at).await? {
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
        company: CompanyId,
    ) -> Result<Vec<information_requests::Model>, sea_orm::DbErr> {
        information_requests::Entity::find()
            .filter(information_requests::Column::CompanyId.eq(company.as_uuid()))
            .order_by_desc(information_requests::Column::CreatedAt)
            .all(&self.db)
            .await
    }

    /// The emails queued for a company, oldest first.
    pub async fn emails_for_company(
        &self,
        company: CompanyId,
    ) -> Result<Vec<outgoing_emails::Model>, sea_orm::DbErr> {
        outgoing_emails::Entity::find()
            .filter(outgoing_emails::Column::CompanyId.eq(company.as_uuid()))
            .order_by_asc(outgoing_emails::Column::CreatedAt)
            .all(&self.db)
            .await
    }

    /// Claims the oldest email due for sending (or whose sender's lease expired).
    pub async fn claim_next_email(
        &self,
        owner: &str,
        lease: Duration,
    ) -> Result<Option<ClaimedEmail>, sea_orm::DbErr> {
        let at = now();
        let expires = at + lease;
        let statement = claim_statement(
            self.backend(),
            &Queue {
                table: "outgoing_emails",
                active_state: email_state::SENDING,
                stamps_start: false,
                max_attempts: None,
            },
            owner,
            at,
            expires,
            1,
        );
        outgoing_emails::Entity::find()
            .from_raw_sql(statement)
            .one(&self.db)
            .await
    }

    /// The email was accepted by the mail server.
    pub async fn email_sent(&self, email: Uuid, owner: &str) -> Result<bool, sea_orm::DbErr> {
        let at = now();
        let result = held_email_update(email, owner, email_state::SENT)
            .col_expr(outgoing_emails::Column::SentAt, Expr::val(at))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Sending failed for now: try again at `run_at`.
    pub async fn email_retry(
        &self,
        email: Uuid,
        owner: &str,
        run_at: DateTime<Utc>,
        error: &str,
    ) -> Result<bool, sea_orm::DbErr> {
        let result = held_email_update(email, owner, email_state::QUEUED)
            .col_expr(outgoing_emails::Column::RunAt, Expr::val(run_at))
            .col_expr(outgoing_emails::Column::LastError, Expr::val(error))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Sending failed for good: the email is given up and, if its request is still the
    /// company's pending one, the company shows `email_undeliverable`.
    pub async fn email_failed(
        &self,
        email: &ClaimedEmail,
        owner: &str,
        error: &str,
    ) -> Result<bool, sea_orm::DbErr> {
        let at = now();
        let txn = self.db.begin().await?;
        let result = held_email_update(email.id, owner, email_state::FAILED)
            .col_expr(outgoing_emails::Column::LastError, Expr::val(error))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(false);
        }
        if let (Some(request), Some(company)) = (email.information_request_id, email.company_id) {
            let still_pending = information_requests::Entity::find_by_id(request)
                .filter(information_requests::Column::Status.eq(status::PENDING))
                .one(&txn)
                .await?
                .is_some();
            if still_pending {
                let error = StatusError::new(ErrorCode::EmailUndeliverable);
                apply_event(
                    &txn,
                    company,
                    StatusEvent::AuthorizationAbandoned(error),
                    at,
                )
                .await?;
            }
        }
        txn.commit().await?;
        Ok(true)
    }
}

/// An update of an email this worker holds the lease of: moves it to `state` and
/// gives the lease up. It changes nothing once another worker holds the email.
fn held_email_update(email: Uuid, owner: &str, state: &str) -> UpdateMany<outgoing_emails::Entity> {
    outgoing_emails::Entity::update_many()
        .col_expr(outgoing_emails::Column::State, Expr::val(state))
        .col_expr(
            outgoing_emails::Column::LeaseOwner,
            Expr::val(None::<String>),
        )
        .col_expr(
            outgoing_emails::Column::LeaseExpiresAt,
            Expr::val(None::<DateTime<Utc>>),
        )
        .filter(outgoing_emails::Column::Id.eq(email))
        .filter(outgoing_emails::Column::LeaseOwner.eq(owner))
}

/// Moves a pending request to `to`. False when it was not pending any more.
async fn resolve(
    txn: &impl sea_orm::ConnectionTrait,
    request: Uuid,
    to: &str,
    platform: Option<&str>,
    at: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let result = information_requests::Entity::update_many()
        .col_expr(information_requests::Column::Status, Expr::val(to))
        .col_expr(information_requests::Column::ResolvedAt, Expr::val(at))
        .col_expr(information_requests::Column::Platform, Expr::val(platform))
        .filter(information_requests::Column::Id.eq(request))
        .filter(information_requests::Column::Status.eq(status::PENDING))
        .exec(txn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Applies `event` to the company's status through the domain's state machine, when it
/// allows it; an event that does not apply any more (the company moved on) changes
/// nothing. Every status change goes through here.
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
    let from: Option<DataStatus> = row.status.as_deref().and_then(|s| s.parse().ok());
    let Ok((status, error)) = transition(from, event) else {
        return Ok(false);
    };
    crate::events::status_changed(txn, &row, status, error.as_ref(), at).await?;
    let mut active: companies::ActiveModel = row.into();
    active.status = Set(Some(status.as_str().to_owned()));
    active.status_updated_at = Set(Some(at));
    active.error_code = Set(error.as_ref().map(|e| e.code.as_str().to_owned()));
    active.error_message = Set(error.map(|e| e.message));
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
    let from: Option<DataStatus> = known.status.as_deref().and_then(|s| s.parse().ok());
    if let Ok((status, error)) = transition(from, event.clone()) {
        let mut active = companies::ActiveModel {
            status: Set(Some(status.as_str().to_owned())),
            status_updated_at: Set(Some(at)),
            error_code: Set(error.as_ref().map(|e| e.code.as_str().to_owned())),
            error_message: Set(error.as_ref().map(|e| e.message.clone())),
            ..Default::default()
        };
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

/// An email row for the mail worker to send, queued at `at`.
pub(crate) fn queued_email(
    organization: OrganizationId,
    company: Option<Uuid>,
    information_request: Option<Uuid>,
    email: NewEmail,
    at: DateTime<Utc>,
) -> outgoing_emails::ActiveModel {
    outgoing_emails::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization.as_uuid()),
        company_id: Set(company),
        information_request_id: Set(information_request),
        from_address: Set(email.from),
        to_address: Set(email.to),
        subject: Set(email.subject),
        html: Set(email.html),
        text: Set(email.text),
        state: Set(email_state::QUEUED.to_owned()),
        attempts: Set(0),
        run_at: Set(at),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        last_error: Set(None),
        created_at: Set(at),
        sent_at: Set(None),
    }
}
