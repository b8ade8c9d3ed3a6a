//! The typed client of the Spendlens JSON API (`/api/v1`, same origin).
//!
//! Owns every HTTP call the portal makes and the translation of answers into
//! [`api_types`] values or an [`ApiError`]. Components never see a status code or a
//! header, except the `ETag` handshake of [`company_statuses`], which the poller owns.

use api_types::{
    Company, CompanyCounts, CompanyCountsQuery, CompanyListQuery, CompanyPage, CompanyStatusList,
    CompanyUpdate, ConsentGrant, ConsentOutcome, ConsentRequest, Delivery, EmailPreview,
    FieldError, InformationRequest, NewCompany, NewInformationRequest, Problem, RefreshJob,
    ReportDocument, ReportList, UserList,
};
use domain::{CompanyId, ReportKind};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::{Serialize, de::DeserializeOwned};
use web_sys::RequestCache;

const API_BASE: &str = "/api/v1";
/// The prefix of every problem `type` the API answers; the rest is the slug.
const PROBLEM_TYPE_BASE: &str = "https://spendlens.dev/problems/";

/// Why a call failed, in a form the portal can show to a person.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer at all: the server is down, the network is gone, the request was cut.
    Network(String),
    /// The API answered with an RFC 9457 problem (`application/problem+json`).
    Problem(Problem),
    /// The API answered something this client cannot read.
    Unexpected { status: u16, detail: String },
}

impl ApiError {
    /// The sentence to show: the problem's `detail`, else its `title`.
    pub fn message(&self) -> String {
        match self {
            ApiError::Network(_) => {
                "Can't reach Spendlens. Check your connection and try again.".to_owned()
            }
            ApiError::Problem(problem) => problem
                .detail
                .clone()
                .filter(|detail| !detail.trim().is_empty())
                .unwrap_or_else(|| problem.title.clone()),
            ApiError::Unexpected { status, detail } => {
                format!("Spendlens answered unexpectedly (HTTP {status}): {detail}")
            }
        }
    }

    /// The problem's slug (`link-expired` for `https://spendlens.dev/problems/link-expired`),
    /// when the API answered a problem of its own.
    pub fn problem_slug(&self) -> Option<&str> {
        match self {
            ApiError::Problem(problem) => problem.problem_type.strip_prefix(PROBLEM_TYPE_BASE),
            _ => None,
        }
    }

    /// The refused fields of a request body (`errors[]` of the problem), if any.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            ApiError::Problem(problem) => &problem.errors,
            _ => &[],
        }
    }

    /// The problem's `detail`, if it has one worth showing.
    pub fn problem_detail(&self) -> Option<&str> {
        match self {
            ApiError::Problem(problem) => problem
                .detail
                .as_deref()
                .filter(|detail| !detail.trim().is_empty()),
            _ => None,
        }
    }

    /// True when the server could not be reached, or a gateway in front of it said so:
    /// worth retrying later rather than reporting as a refusal.
    pub fn is_unreachable(&self) -> bool {
        match self {
            ApiError::Network(_) => true,
            ApiError::Problem(problem) => matches!(problem.status, 502..=504),
            ApiError::Unexpected { status, .. } => matches!(status, 502..=504),
        }
    }
}

/// The answer to a conditional `GET` (`If-None-Match`).
#[derive(Debug, Clone, PartialEq)]
pub enum Conditional<T> {
    /// `304 Not Modified`: what the caller holds is current.
    NotModified,
    /// A new representation, with the `ETag` to send next time.
    Modified { value: T, etag: Option<String> },
}

/// `GET /companies`: one page of the organization's companies.
pub async fn list_companies(query: &CompanyListQuery) -> Result<CompanyPage, ApiError> {
    let mut params: Vec<(&str, String)> = Vec::new();
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        params.push(("q", q.to_owned()));
    }
    if let Some(status) = &query.status {
        params.push(("status", wire_name(status)));
    }
    if let Some(assignee) = &query.assignee {
        params.push(("assignee", assignee.to_string()));
    }
    if let Some(sort) = &query.sort {
        params.push(("sort", wire_name(sort)));
    }
    if let Some(cursor) = &query.cursor {
        params.push(("cursor", cursor.to_string()));
    }
    if let Some(limit) = query.limit {
        params.push(("limit", limit.to_string()));
    }
    let request = Request::get(&format!("{API_BASE}/companies")).query(params);
    read_json(send(request).await?).await
}

/// `GET /users`: the organization's users, by name.
pub async fn list_users() -> Result<UserList, ApiError> {
    let request = Request::get(&format!("{API_BASE}/users"));
    read_json(send(request).await?).await
}

/// `GET /company-counts`: how many companies are in each status, for the same search
/// and assignee as the list.
pub async fn company_counts(query: &CompanyCountsQuery) -> Result<CompanyCounts, ApiError> {
    let mut params: Vec<(&str, String)> = Vec::new();
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        params.push(("q", q.to_owned()));
    }
    if let Some(assignee) = &query.assignee {
        params.push(("assignee", assignee.to_string()));
    }
    let request = Request::get(&format!("{API_BASE}/company-counts")).query(params);
    read_json(send(request).await?).await
}

/// `GET /companies/{id}`: one company, as it is now.
pub async fn get_company(id: CompanyId) -> Result<Company, ApiError> {
    let request = Request::get(&format!("{API_BASE}/companies/{id}"));
    read_json(send(request).await?).await
}

/// `POST /companies/{id}/information-requests` with `preview`: the email as it would be
/// sent. Nothing is sent and nothing changes.
pub async fn preview_information_request(id: CompanyId) -> Result<EmailPreview, ApiError> {
    let body = NewInformationRequest {
        preview: true,
        delivery: Delivery::Email,
    };
    let request = Request::post(&format!("{API_BASE}/companies/{id}/information-requests"));
    read_json(send_json(request, &body).await?).await
}

/// `POST /companies/{id}/information-requests`: email the contact (`Delivery::Email`) or
/// only create the link (`Delivery::Link`, answered in `link`). Either way the company
/// becomes Requested and any earlier link stops working.
pub async fn request_information(
    id: CompanyId,
    delivery: Delivery,
) -> Result<InformationRequest, ApiError> {
    let body = NewInformationRequest {
        preview: false,
        delivery,
    };
    let request = Request::post(&format!("{API_BASE}/companies/{id}/information-requests"));
    read_json(send_json(request, &body).await?).await
}

/// `POST /companies`: adds a company (Not requested).
pub async fn create_company(company: &NewCompany) -> Result<Company, ApiError> {
    let request = Request::post(&format!("{API_BASE}/companies"));
    read_json(send_json(request, company).await?).await
}

/// `PATCH /companies/{id}`: changes the fields set in `update`.
pub async fn update_company(id: CompanyId, update: &CompanyUpdate) -> Result<Company, ApiError> {
    let request = Request::patch(&format!("{API_BASE}/companies/{id}"));
    read_json(send_json(request, update).await?).await
}

/// `DELETE /companies/{id}`: removes the company and all its data.
pub async fn delete_company(id: CompanyId) -> Result<(), ApiError> {
    let request = Request::delete(&format!("{API_BASE}/companies/{id}"));
    let response = send(request).await?;
    if response.ok() {
        Ok(())
    } else {
        Err(read_problem(response).await)
    }
}

/// `GET /companies/{id}/refreshes`: the company's refreshes, newest first.
pub async fn list_refreshes(id: CompanyId) -> Result<Vec<RefreshJob>, ApiError> {
    let request = Request::get(&format!("{API_BASE}/companies/{id}/refreshes"));
    read_json(send(request).await?).await
}

/// `GET /companies/{id}/reports/{kind}`: one report with its data.
pub async fn get_report(id: CompanyId, kind: ReportKind) -> Result<ReportDocument, ApiError> {
    let request = Request::get(&format!(
        "{API_BASE}/companies/{id}/reports/{}",
        kind.as_str()
    ));
    read_json(send(request).await?).await
}

/// `GET /consent/{token}`: what the customer is asked to share, and with whom.
pub async fn consent_request(token: &str) -> Result<ConsentRequest, ApiError> {
    let request = Request::get(&consent_url(token, ""));
    read_json(send(request).await?).await
}

/// `POST /consent/{token}/grant`: the customer grants access through `platform`.
pub async fn grant_consent(token: &str, platform: String) -> Result<ConsentOutcome, ApiError> {
    let request = Request::post(&consent_url(token, "/grant"));
    read_json(send_json(request, &ConsentGrant { platform }).await?).await
}

/// `POST /consent/{token}/decline`: the customer leaves without granting access.
pub async fn decline_consent(token: &str) -> Result<ConsentOutcome, ApiError> {
    let request = Request::post(&consent_url(token, "/decline"));
    read_json(send(request).await?).await
}

/// The token comes from the address bar: encoded, it stays one path segment.
fn consent_url(token: &str, action: &str) -> String {
    let token = String::from(js_sys::encode_uri_component(token));
    format!("{API_BASE}/consent/{token}{action}")
}

/// `POST /companies/{id}/refresh`: queue a background refresh of the requested data.
pub async fn refresh_company(id: CompanyId) -> Result<RefreshJob, ApiError> {
    let request = Request::post(&format!("{API_BASE}/companies/{id}/refresh"));
    read_json(send(request).await?).await
}

/// `GET /companies/{id}/reports`: the company's reports, each with its own update time.
pub async fn list_reports(id: CompanyId) -> Result<ReportList, ApiError> {
    let request = Request::get(&format!("{API_BASE}/companies/{id}/reports"));
    read_json(send(request).await?).await
}

/// `GET /company-statuses?ids=…`: the live part of some companies, for polling.
///
/// With `etag`, asks `If-None-Match` and returns [`Conditional::NotModified`] on `304`.
pub async fn company_statuses(
    ids: &[CompanyId],
    etag: Option<&str>,
) -> Result<Conditional<CompanyStatusList>, ApiError> {
    let ids = ids
        .iter()
        .map(CompanyId::to_string)
        .collect::<Vec<_>>()
        .join(",");
    // An explicit validator makes the browser pass the 304 through instead of
    // answering from its own cache; without one, `no-cache` still revalidates.
    let mut request = Request::get(&format!("{API_BASE}/company-statuses"))
        .query([("ids", ids)])
        .cache(RequestCache::NoCache);
    if let Some(etag) = etag {
        request = request.header("If-None-Match", etag);
    }
    let response = send(request).await?;
    if response.status() == 304 {
        return Ok(Conditional::NotModified);
    }
    let etag = response.headers().get("etag");
    let value = read_json(response).await?;
    Ok(Conditional::Modified { value, etag })
}

async fn send(request: RequestBuilder) -> Result<Response, ApiError> {
    request
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|err| ApiError::Network(err.to_string()))
}

async fn send_json<T: Serialize>(request: RequestBuilder, body: &T) -> Result<Response, ApiError> {
    request
        .header("Accept", "application/json")
        .json(body)
        .map_err(|err| ApiError::Unexpected {
            status: 0,
            detail: err.to_string(),
        })?
        .send()
        .await
        .map_err(|err| ApiError::Network(err.to_string()))
}

async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    if !response.ok() {
        return Err(read_problem(response).await);
    }
    response
        .json::<T>()
        .await
        .map_err(|err| ApiError::Unexpected {
            status,
            detail: err.to_string(),
        })
}

async fn read_problem(response: Response) -> ApiError {
    let status = response.status();
    let status_text = response.status_text();
    let body = response.text().await.unwrap_or_default();
    match serde_json::from_str::<Problem>(&body) {
        Ok(problem) => ApiError::Problem(problem),
        Err(_) => ApiError::Unexpected {
            status,
            detail: if status_text.is_empty() {
                "no details".to_owned()
            } else {
                status_text
            },
        },
    }
}

/// The name a wire enum (`StatusFilter`, `CompanySort`) has in JSON and in query strings.
fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}
