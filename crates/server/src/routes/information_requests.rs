//! Request information: email the customer a consent link, or hand the link over.

use actix_web::{HttpResponse, post, web};
use api_types::{
    Delivery, EmailPreview, InformationRequest, InformationRequestStatus, NewInformationRequest,
    Problem,
};
use domain::{AuditAction, CompanyId, OrganizationId};
use mail::InformationRequestEmail;
use store::{NewEmail, Store};

use crate::{
    error::ApiError,
    extract::{Json, Tenant},
    secrets::{new_token, token_hash},
    state::AppState,
};

/// Ask the company's contact for access to its accounting data.
///
/// Sends the information request email (`delivery: email`, the default) or only
/// creates the link (`delivery: link`, "Copy link"); either way the company's status
/// becomes `requested` and any earlier link stops working. With `preview: true` it
/// answers the email as it would be sent, and changes nothing.
#[utoipa::path(
    operation_id = "request_information",
    tag = "information requests",
    params(("id" = CompanyId, Path, description = "The company's id")),
    request_body = NewInformationRequest,
    responses(
        (status = 200, description = "The email as it would be sent (`preview: true`)", body = EmailPreview),
        (status = 201, description = "The request was created (and its email queued)", body = InformationRequest),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company in this organization", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Some fields are not valid; `errors` lists them", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/companies/{id}/information-requests")]
pub async fn create(
    state: web::Data<AppState>,
    tenant: Tenant,
    id: web::Path<CompanyId>,
    body: Json<NewInformationRequest>,
) -> Result<HttpResponse, ApiError> {
    let company_id = id.into_inner();
    let request = body.0;
    let record = tenant.company(company_id).await?;
    let organization = organization_name(tenant.store(), tenant.0).await?;
    // The person sending it; through an API key, the company's first assignee.
    let requester = tenant
        .1
        .user()
        .or(record.assignees.first())
        .map_or("Your relationship manager", |u| u.name.as_str())
        .to_owned();
    let data_types = record.data_types();
    let expires_at = state.store.now() + state.link_ttl;
    let render = |link: &str| {
        InformationRequestEmail {
            organization: &organization,
            requester: &requester,
            company: &record.company.name,
            contact_name: &record.company.contact_name,
            data_types: &data_types,
            link,
            expires_at,
        }
        .render()
        .map_err(|e| ApiError::Internal(anyhow::Error::from(e).context("rendering the email")))
    };

    if request.preview {
        let email = render(&format!("{}/connect/…", state.public_url))?;
        return Ok(HttpResponse::Ok().json(EmailPreview {
            from: state.mail_from.clone(),
            to: record.company.contact_email.clone(),
            subject: email.subject,
            html: email.html,
            text: email.text,
        }));
    }

    let token = new_token();
    let link = format!("{}/connect/{token}", state.public_url);
    let email = match request.delivery {
        Delivery::Email => {
            let rendered = render(&link)?;
            Some(NewEmail {
                from: state.mail_from.clone(),
                // Quoted, so names such as "Shah, Priya" stay one mailbox.
                to: format!(
                    "\"{}\" <{}>",
                    record.company.contact_name.replace(['"', '\\'], ""),
                    record.company.contact_email
                ),
                subject: rendered.subject,
                html: rendered.html,
                text: rendered.text,
            })
        }
        Delivery::Link => None,
    };
    let delivery = match request.delivery {
        Delivery::Email => "email",
        Delivery::Link => "link",
    };
    let created = tenant
        .store()
        .create_information_request(
            tenant.0,
            company_id,
            delivery,
            &token_hash(&token),
            expires_at,
            email,
            tenant.1.user_id(),
        )
        .await?
        .ok_or(ApiError::NotFound("company"))?;
    state
        .audit(
            tenant.store(),
            store::AuditRecord {
                target: Some(record.company.contact_email.clone()),
                detail: Some(serde_json::json!({ "delivery": delivery, "request_id": created.id })),
                ..tenant.1.audit_company(
                    match request.delivery {
                        Delivery::Email => AuditAction::InformationRequestSent,
                        Delivery::Link => AuditAction::InformationRequestLinkCreated,
                    },
                    company_id,
                )
            },
        )
        .await;
    if request.delivery == Delivery::Email {
        state.wake_mail();
        if state.log_outbox_links {
            // The embedded default has no mail server: the log is how its one person finds it.
            tracing::info!(company = %record.company.name, %link, "information request email written to the outbox (logged: the embedded default on loopback)");
        }
    }
    Ok(HttpResponse::Created().json(InformationRequest {
        id: domain::InformationRequestId::from_uuid(created.id),
        company_id,
        delivery: request.delivery,
        status: InformationRequestStatus::Pending,
        data_types,
        created_at: created.created_at,
        expires_at: created.expires_at,
        link: (request.delivery == Delivery::Link).then_some(link),
    }))
}

pub async fn organization_name(store: &Store, id: OrganizationId) -> Result<String, ApiError> {
    store
        .organization(id)
        .await?
        .map(|o| o.name)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("organization {id} missing")))
}
