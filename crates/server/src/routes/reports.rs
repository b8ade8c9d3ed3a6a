//! A company's reports, each with its own update time.

use actix_web::{HttpResponse, get, http::header, web};
use api_types::{
    Problem, Report, ReportDocument, ReportFormat, ReportList, ReportQuery, ReportSnapshot,
    ReportSnapshotList,
};
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
        .map(|(kind, updated_at, versions)| Report {
            kind,
            title: kind.title().to_owned(),
            data_type: kind.data_type(),
            updated_at,
            href: format!("/api/v1/companies/{company}/reports/{kind}"),
            snapshots: versions,
        })
        .collect();
    Ok(web::Json(ReportList { items }))
}

/// Download one report of a company — the newest version, or a kept snapshot — as JSON,
/// CSV, or an xlsx workbook (`format`).
#[utoipa::path(
    operation_id = "get_report",
    tag = "reports",
    params(
        ("id" = CompanyId, Path, description = "The company's id"),
        ("kind" = ReportKind, Path, description = "Which report"),
        ReportQuery,
    ),
    responses(
        (status = 200, description = "The report: JSON with its data, or a CSV or xlsx file", body = ReportDocument,
            content(
                (ReportDocument = "application/json"),
                (String = "text/csv"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
            headers(("Content-Disposition" = String, description = "A file name with the company, report and date"))),
        (status = 400, description = "`snapshot` is not an id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company, no such report yet, or no such snapshot", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/companies/{id}/reports/{kind}")]
pub async fn get(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<(CompanyId, ReportKind)>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let (company, kind) = path.into_inner();
    let query = query.into_inner();
    let format = query.format.unwrap_or_default();
    let snapshot = query
        .snapshot
        .map(|s| {
            s.parse::<uuid::Uuid>().map_err(|_| ApiError::BadRequest {
                title: "Invalid query string",
                detail: "`snapshot` must be a snapshot id (a UUID).".to_owned(),
            })
        })
        .transpose()?;
    let record = state
        .store
        .company(tenant.0, company)
        .await?
        .ok_or(ApiError::NotFound("company"))?;
    let version = state
        .store
        .report(company, kind, snapshot)
        .await?
        .ok_or(ApiError::NotFound(if snapshot.is_some() {
            "report snapshot"
        } else {
            "report"
        }))?;
    let (data, updated_at) = (version.payload, version.updated_at);
    state
        .audit(store::AuditRecord {
            target: Some(kind.as_str().to_owned()),
            detail: Some(serde_json::json!({
                "updated_at": updated_at,
                "snapshot_id": version.id,
                "format": format,
            })),
            ..tenant.1.audit_company("report.downloaded", company)
        })
        .await;
    let base_name = format!(
        "{}-{}-{}",
        slug(&record.company.name),
        kind.as_str().replace('_', "-"),
        updated_at.format("%Y-%m-%d")
    );
    let (content_type, extension, body) = match format {
        ReportFormat::Json => {
            let document = ReportDocument {
                snapshot_id: version.id.to_string(),
                company_id: company,
                kind,
                title: kind.title().to_owned(),
                data_type: kind.data_type(),
                updated_at,
                data,
            };
            (
                "application/json",
                "json",
                serde_json::to_vec(&document).map_err(anyhow::Error::from)?,
            )
        }
        ReportFormat::Csv => (
            "text/csv; charset=utf-8",
            "csv",
            web::block(move || reports::to_csv(kind, &data))
                .await
                .map_err(anyhow::Error::from)?
                .map_err(anyhow::Error::from)?,
        ),
        ReportFormat::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            web::block(move || reports::to_xlsx(kind, &data))
                .await
                .map_err(anyhow::Error::from)?
                .map_err(anyhow::Error::from)?,
        ),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{base_name}.{extension}\""),
        ))
        .body(body))
}

/// The kept versions (snapshots) of one report, newest first: one per successful
/// refresh, up to the configured retention.
#[utoipa::path(
    operation_id = "list_report_snapshots",
    tag = "reports",
    params(
        ("id" = CompanyId, Path, description = "The company's id"),
        ("kind" = ReportKind, Path, description = "Which report"),
    ),
    responses(
        (status = 200, description = "The kept versions", body = ReportSnapshotList),
        (status = 404, description = "No such company in this organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/companies/{id}/reports/{kind}/snapshots")]
pub async fn snapshots(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<(CompanyId, ReportKind)>,
) -> Result<web::Json<ReportSnapshotList>, ApiError> {
    let (company, kind) = path.into_inner();
    if state.store.company(tenant.0, company).await?.is_none() {
        return Err(ApiError::NotFound("company"));
    }
    let items = state
        .store
        .report_snapshots(company, kind)
        .await?
        .into_iter()
        .map(|(id, updated_at)| ReportSnapshot {
            id: id.to_string(),
            updated_at,
            href: format!("/api/v1/companies/{company}/reports/{kind}?snapshot={id}"),
        })
        .collect();
    Ok(web::Json(ReportSnapshotList { items }))
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
