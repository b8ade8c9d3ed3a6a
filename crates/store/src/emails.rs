//! The outgoing email queue: every email Spendlens sends (information requests,
//! invitations, password resets, notifications) is a row written in the transaction of
//! the change that causes it, then sent by a mail worker, which claims rows with a lease
//! exactly as refresh workers claim jobs.

use chrono::{DateTime, Duration, Utc};
use domain::{CompanyId, ErrorCode, OrganizationId, StatusError, StatusEvent};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait, UpdateMany,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    Store,
    company_status::apply_event,
    entities::{
        information_requests::{self, RequestStatus},
        outgoing_emails::{self, EmailState},
    },
    queue::Queue,
};

/// The outgoing email queue: mail workers claim emails to send.
const EMAILS: Queue = Queue {
    table: "outgoing_emails",
    queued_state: EmailState::Queued.as_str(),
    active_state: EmailState::Sending.as_str(),
    stamps_start: false,
    max_attempts: None,
    fair_by: None,
};

/// An email to queue with a request.
#[derive(Debug, Clone)]
pub struct NewEmail {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// An email a mail worker holds the lease of.
pub type ClaimedEmail = outgoing_emails::Model;

impl Store {
    /// The emails queued for a company, oldest first.
    pub async fn emails_for_company(
        &self,
        organization: OrganizationId,
        company: CompanyId,
    ) -> Result<Vec<outgoing_emails::Model>, sea_orm::DbErr> {
        outgoing_emails::Entity::find()
            .filter(outgoing_emails::Column::OrganizationId.eq(organization.as_uuid()))
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
        let claimed = self
            .claim::<outgoing_emails::Entity>(&EMAILS, owner, self.now(), lease, 1)
            .await?;
        Ok(claimed.into_iter().next())
    }

    /// The email was accepted by the mail server.
    pub async fn email_sent(&self, email: Uuid, owner: &str) -> Result<bool, sea_orm::DbErr> {
        let at = self.now();
        let result = held_email_update(email, owner, EmailState::Sent)
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
        let result = held_email_update(email, owner, EmailState::Queued)
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
        let at = self.now();
        let txn = self.db.begin().await?;
        let result = held_email_update(email.id, owner, EmailState::Failed)
            .col_expr(outgoing_emails::Column::LastError, Expr::val(error))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(false);
        }
        if let (Some(request), Some(company)) = (email.information_request_id, email.company_id) {
            let still_pending = information_requests::Entity::find_by_id(request)
                .filter(information_requests::Column::Status.eq(RequestStatus::Pending))
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
fn held_email_update(
    email: Uuid,
    owner: &str,
    state: EmailState,
) -> UpdateMany<outgoing_emails::Entity> {
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
        state: Set(EmailState::Queued),
        attempts: Set(0),
        run_at: Set(at),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        last_error: Set(None),
        created_at: Set(at),
        sent_at: Set(None),
    }
}
