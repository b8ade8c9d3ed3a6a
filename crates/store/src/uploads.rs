//! Data uploaded from the template (issue #21): for customers whose accounting software
//! no platform reaches. The customer uploads through their information request link
//! (which it uses up, as a grant does), or a user uploads on the customer's behalf.
//!
//! An accepted upload is, in one transaction: an `uploads` row (who, which file, how
//! many rows), the company's stored reports (as a fetch's, so every report works on
//! them), the company `available` with the upload's time and its platform `upload` —
//! which no refresh can fetch from (`RefreshRefused::Uploaded`) — and its queued or
//! running refreshes cancelled.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::{AuditAction, CompanyId, OrganizationId, ReportKind, StatusEvent, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    AuditActor, AuditRecord, ConsentRefused, ConsentView, Store,
    company_status::apply_event_with,
    entities::{
        companies,
        information_requests::RequestStatus,
        refresh_jobs::{self, ACTIVE_STATES, JobState},
        uploads::{self, UPLOAD_PLATFORM, UploadFormat},
    },
};

/// An upload that passed every check, to store.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub file_name: String,
    pub format: UploadFormat,
    pub suppliers: u32,
    pub bills: u32,
    pub bill_payments: u32,
    /// The spend detail's reports (suppliers, bills, bill payments), as JSON text.
    pub reports: Vec<(ReportKind, String)>,
}

/// A user (or an integrator's API key) uploading on the customer's behalf.
#[derive(Debug, Clone)]
pub struct UploadingUser {
    /// `None` for an API key.
    pub id: Option<UserId>,
    /// The user's name, or the API key's.
    pub name: String,
}

impl Store {
    /// The customer uploads through their link: the link is used up (as a grant with the
    /// platform `upload`) and the upload stored, in one transaction.
    pub async fn upload_through_link(
        &self,
        token_hash: &str,
        upload: NewUpload,
        ip: Option<String>,
    ) -> Result<(ConsentView, uploads::Model), ConsentRefused> {
        let view = self.usable_consent(token_hash).await?;
        let at = self.now();
        let txn = self.db.begin().await?;
        let used = crate::entities::information_requests::Entity::update_many()
            .col_expr(
                crate::entities::information_requests::Column::Status,
                Expr::val(RequestStatus::Granted),
            )
            .col_expr(
                crate::entities::information_requests::Column::ResolvedAt,
                Expr::val(at),
            )
            .col_expr(
                crate::entities::information_requests::Column::Platform,
                Expr::val(UPLOAD_PLATFORM),
            )
            .filter(crate::entities::information_requests::Column::Id.eq(view.request.id))
            .filter(
                crate::entities::information_requests::Column::Status.eq(RequestStatus::Pending),
            )
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            txn.rollback().await?;
            return Err(self.refusal(token_hash).await);
        }
        crate::events::consent_answered(
            &txn,
            &view.request,
            &view.company,
            Some(UPLOAD_PLATFORM),
            at,
        )
        .await?;
        let actor = AuditActor::Customer {
            email: view.company.contact_email.clone(),
        };
        let stored = record(
            &txn,
            &view.company,
            upload,
            Some(view.request.id),
            None,
            (actor, ip),
            (self.report_retention, at),
        )
        .await?;
        txn.commit().await?;
        Ok((view, stored))
    }

    /// A user uploads on the customer's behalf. `None` when the company is not the
    /// organization's.
    pub async fn upload_for_company(
        &self,
        organization: OrganizationId,
        company: CompanyId,
        upload: NewUpload,
        user: UploadingUser,
        actor: AuditActor,
        ip: Option<String>,
    ) -> Result<Option<uploads::Model>, sea_orm::DbErr> {
        let Some(row) = self.company_row(organization, company).await? else {
            return Ok(None);
        };
        let at = self.now();
        let txn = self.db.begin().await?;
        let stored = record(
            &txn,
            &row,
            upload,
            None,
            Some(user),
            (actor, ip),
            (self.report_retention, at),
        )
        .await;
        match stored {
            Ok(stored) => {
                txn.commit().await?;
                Ok(Some(stored))
            }
            // The company was deleted since it was read.
            Err(err) if crate::sql::is_foreign_key_violation(&err) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// The latest upload of each of these companies that has one.
    pub async fn latest_uploads(
        &self,
        companies: &[Uuid],
    ) -> Result<HashMap<Uuid, uploads::Model>, sea_orm::DbErr> {
        if companies.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = uploads::Entity::find()
            .filter(uploads::Column::CompanyId.is_in(companies.iter().copied()))
            .order_by_asc(uploads::Column::UploadedAt)
            .all(&self.db)
            .await?;
        // Oldest first: each company's last row wins.
        Ok(rows.into_iter().map(|row| (row.company_id, row)).collect())
    }
}

/// Stores `upload` for `company` on `txn`: the row, the reports, the status and platform,
/// the queued refreshes cancelled, and the audit entry.
async fn record(
    txn: &impl ConnectionTrait,
    company: &companies::Model,
    upload: NewUpload,
    request: Option<Uuid>,
    user: Option<UploadingUser>,
    (actor, ip): (AuditActor, Option<String>),
    (retention, at): (u32, DateTime<Utc>),
) -> Result<uploads::Model, sea_orm::DbErr> {
    let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let stored = uploads::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(company.organization_id),
        company_id: Set(company.id),
        information_request_id: Set(request),
        uploaded_by: Set(user.as_ref().and_then(|u| u.id).map(|id| id.as_uuid())),
        uploader_name: Set(user.map(|u| u.name)),
        file_name: Set(upload.file_name),
        format: Set(upload.format),
        suppliers: Set(count(upload.suppliers)),
        bills: Set(count(upload.bills)),
        bill_payments: Set(count(upload.bill_payments)),
        uploaded_at: Set(at),
    }
    .insert(txn)
    .await?;
    crate::reports::add_snapshot_texts(txn, company.id, upload.reports, at, retention).await?;
    apply_event_with(txn, company.id, StatusEvent::DataUploaded, at, |active| {
        active.data_updated_at = Set(Some(at));
        active.platform = Set(Some(UPLOAD_PLATFORM.to_owned()));
        active.updated_at = Set(at);
    })
    .await?;
    // A refresh queued before the upload would ask a platform the company no longer
    // uses, and fail the data the customer just gave; one running would store the
    // platform's data over it. Both are cancelled: the running one's worker finds its
    // lease gone when it finishes, and stores nothing.
    refresh_jobs::Entity::update_many()
        .col_expr(refresh_jobs::Column::State, Expr::val(JobState::Cancelled))
        .col_expr(refresh_jobs::Column::FinishedAt, Expr::val(at))
        .col_expr(refresh_jobs::Column::LeaseOwner, Expr::val(None::<String>))
        .col_expr(
            refresh_jobs::Column::LeaseExpiresAt,
            Expr::val(None::<DateTime<Utc>>),
        )
        .filter(refresh_jobs::Column::CompanyId.eq(company.id))
        .filter(refresh_jobs::Column::State.is_in(ACTIVE_STATES))
        .exec(txn)
        .await?;
    crate::audit::append(
        txn,
        AuditRecord {
            organization: OrganizationId::from_uuid(company.organization_id),
            actor,
            action: AuditAction::DataUploaded,
            company: Some(CompanyId::from_uuid(company.id)),
            target: Some(stored.file_name.clone()),
            ip,
            detail: Some(serde_json::json!({
                "upload_id": stored.id,
                "format": stored.format.as_str(),
                "suppliers": stored.suppliers,
                "bills": stored.bills,
                "bill_payments": stored.bill_payments,
            })),
        },
        at,
    )
    .await?;
    Ok(stored)
}
