//! The upload fallback (issue #21): the template customers fill in when their
//! accounting software cannot connect, and uploads of it — by the customer through their
//! information request link (which it uses up, as a grant does), or by a user on the
//! customer's behalf.
//!
//! An upload is `multipart/form-data`: one workbook (`.xlsx`), or the template's three
//! CSV files. Each file is read up to [`uploads::MAX_UPLOAD_BYTES`]; the reading (the
//! `uploads` crate: bounded unpacking, no formula evaluated) runs off the server's event
//! loop. Nothing is stored unless the whole upload is valid; otherwise the answer is a
//! `422 invalid-upload` problem listing every problem by sheet, row and column.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, get, http::header, post, web};
use api_types::{
    Company, DateOrder, DateOrderQuery, Problem, ProblemKind, TEMPLATE_FILES, UploadOutcome,
    UploadProblem,
};
use domain::CompanyId;
use futures::StreamExt;
use store::{NewUpload, UploadFormat, UploadingUser};

use crate::{
    auth::{Tenant, client_ip},
    error::{ApiError, UploadProblems},
    routes::consent::{parse_token, refused},
    secrets::token_hash,
    state::AppState,
    views,
};

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// At most this many files in one upload: the template's three CSV files.
const MAX_FILES: usize = 3;

fn locale(order: Option<DateOrder>) -> uploads::DateLocale {
    match order.unwrap_or_default() {
        DateOrder::DayFirst => uploads::DateLocale::DayFirst,
        DateOrder::MonthFirst => uploads::DateLocale::MonthFirst,
    }
}

/// The template: the workbook (`spendlens-template.xlsx`, with an Instructions sheet and
/// data validation) or one of its three CSV files.
#[utoipa::path(
    operation_id = "get_upload_template",
    security(()),
    tag = "uploads",
    params(
        ("file" = String, Path, description = "`spendlens-template.xlsx`, `suppliers.csv`, `bills.csv` or `bill_payments.csv`"),
        DateOrderQuery,
    ),
    responses(
        (status = 200, description = "The file, as an attachment",
            content(
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (String = "text/csv"),
            ),
            headers(("Content-Disposition" = String, description = "The file's name"))),
        (status = 400, description = "The query string cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such file in the template", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/upload-template/{file}")]
pub async fn template(
    file: web::Path<String>,
    query: web::Query<DateOrderQuery>,
) -> Result<HttpResponse, ApiError> {
    let locale = locale(query.dates);
    let file = file.into_inner();
    let (content_type, bytes) = if file == TEMPLATE_FILES[0] {
        (XLSX_TYPE, uploads::template::xlsx(locale))
    } else {
        let Some((_, bytes)) = uploads::template::csv_files(locale)
            .into_iter()
            .find(|(name, _)| *name == file)
        else {
            return Err(ApiError::NotFound("template file"));
        };
        ("text/csv; charset=utf-8", bytes)
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .body(bytes))
}

/// The customer uploads their data from the template, through their link, instead of
/// connecting an accounting platform. The link is used up; the company becomes
/// `available` with the data, which cannot be refreshed (a new upload replaces it).
#[utoipa::path(
    operation_id = "upload_through_link",
    security(()),
    tag = "uploads",
    params(
        ("token" = String, Path, description = "The token from the link", pattern = "^[A-Za-z0-9_-]{43}$"),
        DateOrderQuery,
    ),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "One workbook (`.xlsx`) or the template's three CSV files, each at most 10 MB"),
    responses(
        (status = 201, description = "Stored: the company's spend detail is the upload's", body = UploadOutcome),
        (status = 400, description = "The body is not a multipart form with one workbook or the three CSV files", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link (`link-not-found`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The request does not ask for spend detail, all the template holds (`upload-not-requested`)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link expired, was used or was replaced", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A file is over 10 MB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file does not follow the template (`invalid-upload`): every problem in `upload_problems`; nothing was stored", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/consent/{token}/upload")]
pub async fn upload_through_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<DateOrderQuery>,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let hash = token_hash(parse_token(&token)?);
    // Refused before the file is read: an expired or used link costs nothing.
    let view = state.store.usable_consent(&hash).await.map_err(refused)?;
    if !view.request.requests_spend_detail {
        return Err(not_requested());
    }
    let upload = read(payload, locale(query.dates)).await?;
    let (view, stored) = state
        .store
        .upload_through_link(&hash, upload, client_ip(&req))
        .await
        .map_err(refused)?;
    Ok(HttpResponse::Created().json(UploadOutcome {
        organization_name: view.organization.name,
        upload: views::upload_summary(stored),
    }))
}

/// Upload a company's data from the template on the customer's behalf (a file they
/// sent). The company becomes `available` with the data, marked as uploaded by you; it
/// cannot be refreshed.
#[utoipa::path(
    operation_id = "upload_for_company",
    tag = "uploads",
    params(
        ("id" = CompanyId, Path, description = "The company"),
        DateOrderQuery,
    ),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "One workbook (`.xlsx`) or the template's three CSV files, each at most 10 MB"),
    responses(
        (status = 201, description = "Stored: the company, with its upload", body = Company),
        (status = 400, description = "The body is not a multipart form with one workbook or the three CSV files", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "No CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The company's data requested does not include spend detail, all the template holds (`upload-not-requested`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A file is over 10 MB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file does not follow the template (`invalid-upload`): every problem in `upload_problems`; nothing was stored", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/companies/{id}/upload")]
pub async fn upload_for_company(
    state: web::Data<AppState>,
    tenant: Tenant,
    id: web::Path<CompanyId>,
    query: web::Query<DateOrderQuery>,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let company = id.into_inner();
    if !tenant.company(company).await?.company.requests_spend_detail {
        return Err(not_requested());
    }
    let upload = read(payload, locale(query.dates)).await?;
    let caller = &tenant.1;
    let user = UploadingUser {
        id: caller.user_id(),
        name: match caller.user() {
            Some(user) => user.name.clone(),
            None => match caller.actor() {
                store::AuditActor::ApiKey { name, .. } => format!("API key {name}"),
                _ => "an integration".to_owned(),
            },
        },
    };
    tenant
        .store()
        .upload_for_company(
            tenant.0,
            company,
            upload,
            user,
            caller.actor(),
            caller.ip.clone(),
        )
        .await?
        .ok_or(ApiError::NotFound("company"))?;
    let record = tenant.company(company).await?;
    Ok(HttpResponse::Created().json(views::company(record, state.freshness())))
}

/// The multipart form of an upload, for the OpenAPI document.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(
    dead_code,
    reason = "documents the form; the handler reads it as a stream"
)]
pub struct UploadForm {
    /// The filled-in workbook, or one of the three CSV files (send all three, each as a
    /// part named `file`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Reads the form's files (each within the limit) and then the upload, off the event
/// loop; every problem of the upload is a `422`.
async fn read(mut payload: Multipart, locale: uploads::DateLocale) -> Result<NewUpload, ApiError> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(not_a_form)?;
        // Only files: a form's other fields (a browser sends them all) are not read.
        let Some(name) = field
            .content_disposition()
            .and_then(|disposition| disposition.get_filename())
            .map(file_name)
        else {
            continue;
        };
        if files.len() == MAX_FILES {
            return Err(ApiError::BadRequest {
                title: "Too many files",
                detail: "Upload one workbook, or the template's three CSV files.".to_owned(),
            });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(not_a_form)?;
            if bytes.len() + chunk.len() > uploads::MAX_UPLOAD_BYTES {
                return Err(ApiError::PayloadTooLarge {
                    limit: uploads::MAX_UPLOAD_BYTES,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        files.push((name, bytes));
    }
    if files.is_empty() {
        return Err(ApiError::BadRequest {
            title: "No file",
            detail: "Upload one workbook, or the template's three CSV files, as parts of a multipart form."
                .to_owned(),
        });
    }
    // A workbook is a zip archive: its first bytes say so, whatever its name.
    let workbook = files.len() == 1 && files[0].1.starts_with(b"PK\x03\x04");
    let file_name = if workbook || files.len() == 1 {
        files[0].0.clone()
    } else {
        files
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let read = web::block(move || {
        if workbook {
            uploads::read_xlsx(&files[0].1, locale)
        } else {
            uploads::read_csv(&files, locale)
        }
    })
    .await
    .map_err(|err| ApiError::Internal(anyhow::anyhow!("reading an upload: {err}")))?;
    let upload = read.map_err(|problems| ApiError::InvalidUpload {
        total: problems.total(),
        problems: UploadProblems(problems.iter().map(upload_problem).collect()),
    })?;
    let counts = upload.counts();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(NewUpload {
        file_name: if file_name.is_empty() {
            "upload".to_owned()
        } else {
            file_name
        },
        format: if workbook {
            UploadFormat::Xlsx
        } else {
            UploadFormat::Csv
        },
        suppliers: count(counts.suppliers),
        bills: count(counts.bills),
        bill_payments: count(counts.bill_payments),
        reports: upload.report_texts().into(),
    })
}

/// A file's name as the browser sent it, fit to store and show: its last path segment,
/// without control characters, at most 200 characters.
fn file_name(sent: &str) -> String {
    let last = sent.rsplit(['/', '\\']).next().unwrap_or(sent);
    last.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The template holds spend detail only: a request for financials alone has no use for it.
fn not_requested() -> ApiError {
    ApiError::Conflict {
        kind: ProblemKind::UploadNotRequested,
        title: "Spend detail is not requested",
        detail: "The upload template holds suppliers, bills and bill payments (spend detail), \
                 which this request does not ask for. Edit the data requested to include spend \
                 detail first."
            .to_owned(),
    }
}

fn not_a_form(err: actix_multipart::MultipartError) -> ApiError {
    ApiError::BadRequest {
        title: "Not a multipart form",
        detail: format!(
            "Send the file as multipart/form-data (one workbook, or the template's three CSV files): {err}."
        ),
    }
}

fn upload_problem(problem: &uploads::Problem) -> UploadProblem {
    UploadProblem {
        sheet: problem.sheet.clone(),
        row: problem.row,
        column: problem.column.clone(),
        cell: problem.cell.clone(),
        value: problem.value.clone(),
        expected: problem.expected.clone(),
        message: problem.message.clone(),
    }
}
