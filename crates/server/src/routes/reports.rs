//! A company's reports, each with its own update time.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use api_types::{
    ConsolidatedQuery, Problem, Report, ReportDocument, ReportFormat, ReportList, ReportQuery,
    ReportSnapshot, ReportSnapshotList,
};
use chrono::{DateTime, Utc};
use domain::{AuditAction, CompanyId, ReportKind};

use crate::{error::ApiError, extract::Tenant, request_scope, state::AppState};

/// List a company's reports, each with the time its data was last fetched. The spend
/// analysis and the accounts payable ageing are made from the stored spend detail and
/// carry the time of the refresh that fetched it.
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
    tenant: Tenant,
    id: web::Path<CompanyId>,
) -> Result<web::Json<ReportList>, ApiError> {
    let company = id.into_inner();
    tenant.company(company).await?;
    let stored: BTreeMap<ReportKind, (DateTime<Utc>, u64)> = tenant
        .store()
        .reports(tenant.0, company)
        .await?
        .into_iter()
        .map(|(kind, updated_at, versions)| (kind, (updated_at, versions)))
        .collect();
    // A derived report is there once its first source is, with that source's time
    // and versions: it is made from the same refresh's data when downloaded.
    let items = ReportKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let (updated_at, versions) = *stored.get(&kind.sources()[0])?;
            Some(Report {
                kind,
                title: kind.title().to_owned(),
                data_type: kind.data_type(),
                updated_at,
                href: format!("/api/v1/companies/{company}/reports/{kind}"),
                snapshots: versions,
            })
        })
        .collect();
    Ok(web::Json(ReportList { items }))
}

/// Download one report of a company — the newest version, or a kept snapshot — as JSON,
/// CSV, or an xlsx workbook (`format`). Reports made from several stored reports (the
/// supplier list's figures, the spend analysis, the accounts payable ageing) read them
/// from the same refresh as the version downloaded.
///
/// Each server makes a bounded number of files (CSV, xlsx) and computed reports (the
/// supplier list's figures, the spend analysis, the ageing, in any format) at once
/// (`SPENDLENS_DOWNLOAD_CONCURRENCY`); past it the answer is 429 with `Retry-After`. A
/// stored report as JSON is not counted.
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
            headers(("Content-Disposition" = String, description = "A file name with the company, report (and sheet) and the date of the data"))),
        (status = 400, description = "`snapshot` is not an id, `format` is unknown, `sheet` is not one of the report's sheets, or `format=csv` without `sheet` for the spend analysis workbook", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company, no such report yet, or no such snapshot", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this user or API key, or this server is making as many downloads at once as it is set to (`SPENDLENS_DOWNLOAD_CONCURRENCY`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[get("/companies/{id}/reports/{kind}")]
pub async fn get(
    req: HttpRequest,
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
    let table_format = table_format(format);
    let sheet = reports::choose_sheet(kind, table_format, query.sheet.as_deref())
        .map_err(|e| sheet_problem(kind, &e))?;
    // A stored report sent as JSON is copied as it is: only files and the reports made
    // from others (parsed, computed, written) count against the bound.
    let heavy = format != ReportFormat::Json || kind.is_derived();
    let permit = heavy.then(|| state.downloads.start()).transpose()?;
    let record = tenant.company(company).await?;
    // The version downloaded is one of the first source's; the other sources are read
    // as they were at its time, so an older snapshot gives that refresh's figures.
    let sources = kind.sources();
    let version = tenant
        .store()
        .report_text(tenant.0, company, sources[0], snapshot)
        .await?
        .ok_or(ApiError::NotFound(if snapshot.is_some() {
            "report snapshot"
        } else {
            "report"
        }))?;
    let mut others = Vec::new();
    for &source in &sources[1..] {
        if let Some(other) = tenant
            .store()
            .report_text_at(tenant.0, company, source, version.updated_at)
            .await?
        {
            others.push((source, other.text));
        }
    }
    let updated_at = version.updated_at;
    state
        .audit(
            tenant.store(),
            store::AuditRecord {
                target: Some(kind.as_str().to_owned()),
                detail: Some(serde_json::json!({
                    "updated_at": updated_at,
                    "snapshot_id": version.id,
                    "format": format,
                    "sheet": sheet,
                })),
                ..tenant
                    .1
                    .audit_company(AuditAction::ReportDownloaded, company)
            },
        )
        .await;
    let base_name = format!(
        "{}-{}{}-{}",
        slug(&record.company.name),
        kind.as_str().replace('_', "-"),
        // A workbook's one sheet is named too; a one-sheet report is its sheet.
        sheet
            .filter(|_| reports::sheets(kind).len() > 1)
            .map_or(String::new(), |s| format!("-{}", s.replace('_', "-"))),
        updated_at.format("%Y-%m-%d")
    );
    let head = ReportDocument {
        snapshot_id: version.id.to_string(),
        company_id: company,
        kind,
        title: kind.title().to_owned(),
        data_type: kind.data_type(),
        updated_at,
        data: serde_json::Value::Null,
    };
    let company_name = record.company.name;
    // All that is needed has been read (and the download recorded): the connection
    // goes back to the pool before the file is written.
    request_scope::release(&req, tenant.1).await?;
    if heavy {
        state.downloads.before_writing().await;
    }
    let (content_type, extension) = content_type(format);
    // Files are written from the stored text on a blocking thread: 100,000 bills take
    // a second or two, and the text is held once (docs/benchmarks.md, "Reports").
    let body = web::block(move || -> anyhow::Result<Vec<u8>> {
        if format == ReportFormat::Json && !kind.is_derived() {
            // As stored, without parsing it: the text is the platform's data.
            return document(&head, version.text.as_bytes());
        }
        let mut input = reports::Sources::new(&company_name, updated_at.date_naive())
            .with(sources[0], &version.text);
        for (source, text) in &others {
            input = input.with(*source, text);
        }
        let file = reports::write(kind, &input, table_format, sheet)?;
        if format == ReportFormat::Json {
            document(&head, &file)
        } else {
            Ok(file)
        }
    })
    .await
    .map_err(anyhow::Error::from)??;
    let mut answer = HttpResponse::Ok();
    answer
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{base_name}.{extension}\""),
        ));
    Ok(match permit {
        Some(permit) => answer.body(permit.body(body)),
        None => answer.body(body),
    })
}

/// A `ReportDocument` whose `data` is `data` (JSON text), written without parsing it.
fn document(head: &ReportDocument, data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut body = serde_json::to_vec(head)?;
    // `data` is the document's last member, serialized as `null` above.
    let tail = b"null}";
    anyhow::ensure!(body.ends_with(tail), "ReportDocument must end with `data`");
    body.truncate(body.len() - tail.len());
    body.reserve(data.len() + 1);
    body.extend_from_slice(if data.is_empty() { b"null" } else { data });
    body.push(b'}');
    Ok(body)
}

/// A 404 for a `sheet` the report does not have (the sheet is the thing asked for),
/// or a 400 for a CSV of a workbook without a `sheet` (a CSV file holds one sheet).
fn sheet_problem(kind: ReportKind, error: &reports::ExportError) -> ApiError {
    let ids: Vec<&str> = reports::sheets(kind).iter().map(|s| s.id).collect();
    match error {
        reports::ExportError::OneSheetPerCsv(count) => ApiError::BadRequest {
            title: "Invalid query string",
            detail: format!(
                "The {kind} report is a workbook of {count} sheets and a CSV file holds one: add `sheet` with one of {}, or download it as `format=xlsx`.",
                ids.join(", ")
            ),
        },
        _ => ApiError::UnknownReference {
            field: "sheet",
            detail: format!(
                "The {kind} report has no such sheet; its sheets are: {}.",
                ids.join(", ")
            ),
        },
    }
}

/// The kept versions (snapshots) of one report, newest first: one per successful
/// refresh, up to the configured retention. A derived report (spend analysis, ageing)
/// has the versions of the stored report it is made from first (the bills).
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
    tenant: Tenant,
    path: web::Path<(CompanyId, ReportKind)>,
) -> Result<web::Json<ReportSnapshotList>, ApiError> {
    let (company, kind) = path.into_inner();
    tenant.company(company).await?;
    let items = tenant
        .store()
        .report_snapshots(tenant.0, company, kind.sources()[0])
        .await?
        .into_iter()
        .map(|(id, updated_at)| ReportSnapshot {
            id: domain::ReportId::from_uuid(id),
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

/// Download a group's consolidated spend analysis and accounts payable ageing across
/// its entities (its own books included): one row per entity with spend detail, a
/// total row, and one column set per currency — amounts in different currencies are
/// never added together. Each entity's figures are from its latest refresh (or
/// upload), its bills aged on that day. `format` as for a report; `sheet` is one of
/// `spend_analysis`, `aged_payables`, `by_supplier` (required for CSV).
#[utoipa::path(
    operation_id = "get_consolidated_report",
    tag = "reports",
    params(
        ("id" = CompanyId, Path, description = "The group's id"),
        ConsolidatedQuery,
    ),
    responses(
        (status = 200, description = "The consolidated report: JSON tables, or a CSV or xlsx file",
            content(
                (serde_json::Value = "application/json"),
                (String = "text/csv"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
            headers(("Content-Disposition" = String, description = "A file name with the group and the date"))),
        (status = 400, description = "`format` is unknown, or `format=csv` without `sheet`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company, or no such sheet", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests, or too many downloads being made at once", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[get("/companies/{id}/consolidated-report")]
pub async fn consolidated(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    id: web::Path<CompanyId>,
    query: web::Query<ConsolidatedQuery>,
) -> Result<HttpResponse, ApiError> {
    let group = id.into_inner();
    let query = query.into_inner();
    let format = query.format.unwrap_or_default();
    let table_format = table_format(format);
    let sheet = reports::choose_consolidated_sheet(table_format, query.sheet.as_deref()).map_err(
        |error| {
            let ids = reports::consolidated_sheet_ids().join(", ");
            match error {
                reports::ExportError::OneSheetPerCsv(count) => ApiError::BadRequest {
                    title: "Invalid query string",
                    detail: format!(
                        "The consolidated report is a workbook of {count} sheets and a CSV file holds one: add `sheet` with one of {ids}, or download it as `format=xlsx`."
                    ),
                },
                _ => ApiError::UnknownReference {
                    field: "sheet",
                    detail: format!("The consolidated report's sheets are: {ids}."),
                },
            }
        },
    )?;
    let permit = state.downloads.start()?;
    let record = tenant.company(group).await?;
    let group_name = record.company.name.clone();
    let mut members = vec![record.company];
    members.extend(
        tenant
            .store()
            .entities(tenant.0, group)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|entity| entity.company),
    );
    // Each entity's latest spend detail: its bills, and the payments of that refresh.
    let mut entities = Vec::new();
    for member in members {
        let id = CompanyId::from_uuid(member.id);
        let Some(bills) = tenant
            .store()
            .report_text(tenant.0, id, ReportKind::Bills, None)
            .await?
        else {
            continue;
        };
        let payments = tenant
            .store()
            .report_text_at(tenant.0, id, ReportKind::BillPayments, bills.updated_at)
            .await?
            .map(|p| p.text)
            .unwrap_or_default();
        entities.push((member.name, bills.updated_at, bills.text, payments));
    }
    let newest = entities.iter().map(|(_, at, ..)| *at).max();
    state
        .audit(
            tenant.store(),
            store::AuditRecord {
                target: Some("consolidated".to_owned()),
                detail: Some(serde_json::json!({
                    "entities": entities.len(),
                    "format": format,
                    "sheet": sheet,
                })),
                ..tenant.1.audit_company(AuditAction::ReportDownloaded, group)
            },
        )
        .await;
    request_scope::release(&req, tenant.1).await?;
    state.downloads.before_writing().await;
    let body = web::block(move || -> anyhow::Result<Vec<u8>> {
        let sources: Vec<reports::Sources<'_>> = entities
            .iter()
            .map(|(name, at, bills, payments)| {
                reports::Sources::new(name, at.date_naive())
                    .with(ReportKind::Bills, bills)
                    .with(ReportKind::BillPayments, payments)
            })
            .collect();
        Ok(reports::write_consolidated(&sources, table_format, sheet)?)
    })
    .await
    .map_err(anyhow::Error::from)??;
    let (content_type, extension) = content_type(format);
    let file_name = format!(
        "{}-consolidated{}-{}.{extension}",
        slug(&group_name),
        sheet.map_or(String::new(), |s| format!("-{}", s.replace('_', "-"))),
        newest.map_or_else(
            || "empty".to_owned(),
            |at| at.format("%Y-%m-%d").to_string()
        ),
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .body(permit.body(body)))
}

fn table_format(format: ReportFormat) -> reports::TableFormat {
    match format {
        ReportFormat::Json => reports::TableFormat::Json,
        ReportFormat::Csv => reports::TableFormat::Csv,
        ReportFormat::Xlsx => reports::TableFormat::Xlsx,
    }
}

fn content_type(format: ReportFormat) -> (&'static str, &'static str) {
    match format {
        ReportFormat::Json => ("application/json", "json"),
        ReportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ReportFormat::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    }
}
