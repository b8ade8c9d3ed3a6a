//! A company's reports, each with its own update time.

use actix_web::{HttpResponse, get, http::header, web};
use api_types::{Problem, Report, ReportDocument, ReportList};
use domain::{CompanyId, ReportKind};

use crate::{error::ApiError, extract::Tenant, startup::AppState};

/// List a company's reports, each with the time its data was last fetched.
#[utoipa::path(
    operation_id = "list_reports",
    tag = "reports",
    params(("id" = CompanyId, Path, description = "The company's id")),
    responses(
        (status = 200, description = "The company's reports", body = ReportList),
        (status = 404, description = "No such company in this organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/companies/{id}/reports")]
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    id: web::Path<CompanyId>,
) -> Result<web::Json<ReportList>, ApiError> {
    let company = id.into_inner();
    if state.store.company(tenant.0, company).await?.is_none() {
        return Err(ApiError::NotFound("company"));
    }
    let items = state
        .store
        .reports(company)
        .await?
        .into_iter()
        .map(|(kind, updated_at)| Report {
            kind,
            title: kind.title().to_owned(),
            data_type: kind.data_type(),
            updated_at,
            href: format!("/api/v1/companies/{company}/reports/{kind}"),
        })
        .collect();
    Ok(web::Json(ReportList { items }))
}

/// Download one report of a company, as JSON.
#[utoipa::path(
    operation_id = "get_report",
    tag = "reports",
    params(
        ("id" = CompanyId, Path, description = "The company's id"),
        ("kind" = ReportKind, Path, description = "Which report"),
    ),
    responses(
        (status = 200, description = "The report with its data", body = ReportDocument,
            headers(("Content-Disposition" = String, description = "A file name with the company, report and date"))),
        (status = 404, description = "No such company, or no such report yet", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/companies/{id}/reports/{kind}")]
pub async fn get(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<(CompanyId, ReportKind)>,
) -> Result<HttpResponse, ApiError> {
    let (company, kind) = path.into_inner();
    let record = state
        .store
        .company(tenant.0, company)
        .await?
        .ok_or(ApiError::NotFound("company"))?;
    let (data, updated_at) = state
        .store
        .report(company, kind)
        .await?
        .ok_or(ApiError::NotFound("report"))?;
    state
        .audit(store::AuditRecord {
            target: Some(kind.as_str().to_owned()),
            detail: Some(serde_json::json!({ "updated_at": updated_at, "format": "json" })),
            ..tenant.1.audit_company("report.downloaded", company)
        })
        .await;
    let file_name = format!(
        "{}-{}-{}.json",
        slug(&record.company.name),
        kind.as_str().replace('_', "-"),
        updated_at.format("%Y-%m-%d")
    );
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .json(ReportDocument {
            company_id: company,
            kind,
            title: kind.title().to_owned(),
            data_type: kind.data_type(),
            updated_at,
            data,
        }))
}

/// A file-name-safe version of a company name.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "company".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_safe() {
        assert_eq!(super::slug("Acme & Sons Ltd."), "acme-sons-ltd");
        assert_eq!(super::slug("\"/..\""), "company");
    }
}
