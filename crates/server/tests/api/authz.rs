//! Authorization, generated from the OpenAPI document's operation list: every protected
//! operation refuses a request without credentials (401), answers another
//! organization's ids as if they did not exist (404), and refuses roles that may not
//! (403). An operation missing from `CASES` fails the suite, so a new endpoint cannot
//! land untested.

use std::collections::BTreeSet;

use api_types::{CompanyListQuery, NewCompany, NewRefreshBatch, RefreshCompanies};
use domain::{CompanyId, DataType};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    client::{Says, assert_problem},
    helpers::{TestApp, api_key_for, new_company, spawn_app},
};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// No credentials needed (sign-in, links, health, the customer's consent).
    Public,
    /// Any signed-in user or API key of the organization.
    Member,
    /// Admins only.
    Admin,
    /// A signed-in person (their session): API keys get 403.
    Person,
}

/// Every operation, with who may call it and a valid body for it.
const CASES: &[(&str, Access, Option<&str>)] = &[
    ("healthz", Access::Public, None),
    ("readyz", Access::Public, None),
    ("metrics", Access::Public, None),
    ("get_consent", Access::Public, None),
    ("grant_consent", Access::Public, None),
    ("decline_consent", Access::Public, None),
    ("return_from_partner", Access::Public, None),
    ("get_upload_template", Access::Public, None),
    ("upload_through_link", Access::Public, None),
    ("add_consent_entity", Access::Public, None),
    ("oauth_callback", Access::Public, None),
    ("get_organisation_choice", Access::Public, None),
    (
        "choose_organisation",
        Access::Public,
        Some(r#"{"organisation_id":"x"}"#),
    ),
    ("sign_in", Access::Public, None),
    ("request_password_reset", Access::Public, None),
    ("get_password_reset", Access::Public, None),
    ("reset_password", Access::Public, None),
    ("get_invitation", Access::Public, None),
    ("accept_invitation", Access::Public, None),
    ("list_companies", Access::Member, None),
    (
        "create_company",
        Access::Member,
        Some(
            r#"{"name":"Authz Ltd","contact_name":"Ann","contact_email":"ann@authz.example","data_types":["financials"]}"#,
        ),
    ),
    ("get_company", Access::Member, None),
    ("get_company_connection", Access::Member, None),
    (
        "update_company",
        Access::Member,
        Some(r#"{"name":"Renamed Ltd"}"#),
    ),
    ("delete_company", Access::Member, None),
    ("list_entities", Access::Member, None),
    (
        "add_entity",
        Access::Member,
        Some(r#"{"name":"Entity Ltd"}"#),
    ),
    (
        "request_information",
        Access::Member,
        Some(r#"{"delivery":"link"}"#),
    ),
    ("refresh_company", Access::Member, None),
    ("upload_for_company", Access::Member, None),
    ("list_company_refreshes", Access::Member, None),
    ("list_reports", Access::Member, None),
    ("get_report", Access::Member, None),
    ("get_consolidated_report", Access::Member, None),
    ("list_report_snapshots", Access::Member, None),
    ("get_company_changes", Access::Member, None),
    ("count_companies", Access::Member, None),
    ("get_company_statuses", Access::Member, None),
    (
        "create_refresh_batch",
        Access::Member,
        Some(r#"{"filter":{}}"#),
    ),
    ("get_refresh_batch", Access::Member, None),
    ("get_refresh", Access::Member, None),
    ("list_users", Access::Member, None),
    ("get_session", Access::Person, None),
    ("sign_out", Access::Person, None),
    (
        "invite_user",
        Access::Admin,
        Some(r#"{"email":"new.rm@bank.example","name":"New RM","role":"relationship_manager"}"#),
    ),
    (
        "update_user",
        Access::Admin,
        Some(r#"{"role":"relationship_manager"}"#),
    ),
    ("list_api_keys", Access::Admin, None),
    (
        "create_api_key",
        Access::Admin,
        Some(r#"{"name":"Loan system"}"#),
    ),
    ("revoke_api_key", Access::Admin, None),
    ("list_audit_events", Access::Admin, None),
    ("list_webhook_endpoints", Access::Admin, None),
    (
        "create_webhook_endpoint",
        Access::Admin,
        // A public address literal: checked without DNS, never contacted by the test.
        Some(r#"{"url":"https://1.1.1.1/spendlens-hooks","event_types":["refresh.failed"]}"#),
    ),
    ("get_webhook_endpoint", Access::Admin, None),
    (
        "update_webhook_endpoint",
        Access::Admin,
        Some(r#"{"description":"Loan system"}"#),
    ),
    ("delete_webhook_endpoint", Access::Admin, None),
    ("rotate_webhook_secret", Access::Admin, None),
    ("list_webhook_deliveries", Access::Admin, None),
    ("replay_webhook_delivery", Access::Admin, None),
    ("list_notifications", Access::Person, None),
    ("count_unread_notifications", Access::Person, None),
    ("mark_notification_read", Access::Person, None),
    ("mark_notifications_read", Access::Person, Some("{}")),
    ("get_notification_preferences", Access::Person, None),
    (
        "set_notification_preferences",
        Access::Person,
        Some(r#"{"email":false}"#),
    ),
];

struct Operation {
    id: String,
    method: Method,
    path: String,
    access: Access,
    body: Option<Value>,
}

fn operations() -> Vec<Operation> {
    let document = serde_json::to_value(server::openapi::document()).unwrap();
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let id = operation["operationId"].as_str().unwrap().to_owned();
            let Some((_, access, body)) = CASES.iter().find(|(op, _, _)| *op == id) else {
                panic!("operation {id} has no authorization case in tests/api/authz.rs");
            };
            let public = operation["security"].as_array().is_some_and(|reqs| {
                reqs.iter()
                    .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
            });
            assert_eq!(
                public,
                *access == Access::Public,
                "{id}: the document's security and the case disagree"
            );
            found.push(Operation {
                id,
                method,
                path: path.clone(),
                access: *access,
                body: body.map(|b| serde_json::from_str(b).unwrap()),
            });
        }
    }
    found
}

/// The ids a path's parameters are filled with.
#[derive(Debug, Clone)]
struct Ids {
    company: String,
    refresh: String,
    batch: String,
    user: String,
    api_key: String,
    webhook_endpoint: String,
    webhook_delivery: String,
    notification: String,
}

impl Ids {
    /// The path filled in once per report kind when it takes one (derived reports take
    /// another route through the handler, so each kind is checked), else once.
    fn fill_each(&self, path: &str) -> Vec<String> {
        if path.contains("{kind}") {
            domain::ReportKind::ALL
                .into_iter()
                .map(|kind| self.fill(&path.replace("{kind}", kind.as_str())))
                .collect()
        } else {
            vec![self.fill(path)]
        }
    }

    fn fill(&self, path: &str) -> String {
        let id = if path.starts_with("/api/v1/companies/") {
            &self.company
        } else if path.starts_with("/api/v1/refreshes/") {
            &self.refresh
        } else if path.starts_with("/api/v1/refresh-batches/") {
            &self.batch
        } else if path.starts_with("/api/v1/users/") {
            &self.user
        } else if path.starts_with("/api/v1/api-keys/") {
            &self.api_key
        } else if path.starts_with("/api/v1/webhook-endpoints/") {
            &self.webhook_endpoint
        } else if path.starts_with("/api/v1/notifications/") {
            &self.notification
        } else {
            "0"
        };
        let filled = path
            .replace("{id}", id)
            .replace("{delivery_id}", &self.webhook_delivery)
            .replace("{kind}", "profit_and_loss")
            .replace("{token}", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        if filled == "/api/v1/company-statuses" {
            format!("{filled}?ids={}", self.company)
        } else {
            filled
        }
    }
}

/// An organization's worth of things to point at: a connected company with a refresh,
/// a batch, a user and an API key, a webhook endpoint with a delivery, and a
/// notification of the user's (the customer granted the request they sent).
async fn things_of(app: &TestApp, organization: domain::OrganizationId) -> Ids {
    let company = app
        .company_of(organization, "Someone Else's Client Ltd")
        .await;
    app.grant_access(organization, company, "sandbox").await;
    let (job, _) = app
        .store
        .request_refresh(organization, company, domain::RefreshTrigger::Manual, None)
        .await
        .unwrap();
    let (batch, _) = app
        .store
        .create_refresh_batch(organization, &[company])
        .await
        .unwrap();
    let user = app
        .store
        .create_user(
            organization,
            &domain::EmailAddress::parse(&format!(
                "rm-{}@else.example",
                uuid::Uuid::now_v7().simple()
            ))
            .unwrap(),
            "Other RM",
            "relationship_manager",
        )
        .await
        .unwrap();
    let key = app
        .store
        .create_api_key(
            organization,
            "Their key",
            "slk_xxxxxx",
            &"0".repeat(64),
            None,
        )
        .await
        .unwrap();
    let endpoint = app
        .store
        .create_webhook_endpoint(
            organization,
            store::NewWebhookEndpoint {
                url: "https://1.1.1.1/their-hooks".to_owned(),
                description: "Someone Else's integration".to_owned(),
                event_types: vec![],
                secret: webhooks::Secret::generate(),
            },
        )
        .await
        .unwrap();
    let link = server::secrets::new_token();
    app.store
        .create_information_request(
            organization,
            company,
            "link",
            &server::secrets::token_hash(&link),
            app.store.now() + chrono::Duration::days(1),
            None,
            Some(domain::UserId::from_uuid(user.id)),
        )
        .await
        .unwrap()
        .expect("the company is there");
    app.store
        .grant_consent(&server::secrets::token_hash(&link), "sandbox")
        .await
        .unwrap();
    app.store
        .dispatch_events("authz", chrono::Duration::seconds(60), 100, |pending| {
            outbox::compose(pending, "Bank <no-reply@bank.example>", None)
        })
        .await
        .unwrap();
    let (deliveries, _) = app
        .store
        .webhook_deliveries(organization, endpoint.id, None, 1)
        .await
        .unwrap();
    let (notifications, _) = app
        .store
        .notifications(
            organization,
            domain::UserId::from_uuid(user.id),
            false,
            None,
            1,
        )
        .await
        .unwrap();
    Ids {
        company: company.to_string(),
        refresh: job.id.to_string(),
        batch: batch.id.to_string(),
        user: user.id.to_string(),
        api_key: key.id.to_string(),
        webhook_endpoint: endpoint.id.to_string(),
        webhook_delivery: deliveries[0].delivery.id.to_string(),
        notification: notifications[0].id.to_string(),
    }
}

async fn send(
    app: &TestApp,
    request: reqwest::RequestBuilder,
    operation: &Operation,
) -> reqwest::Response {
    let request = match &operation.body {
        Some(body) => request.json(body),
        None if operation.method == Method::POST => request.json(&json!({})),
        None => request,
    };
    let _ = app;
    request.send().await.unwrap()
}

#[tokio::test]
async fn every_operation_has_a_case_and_no_case_is_stale() {
    let listed: BTreeSet<String> = operations().into_iter().map(|o| o.id).collect();
    let cases: BTreeSet<String> = CASES.iter().map(|(id, _, _)| (*id).to_owned()).collect();
    assert_eq!(listed, cases);
}

#[tokio::test]
async fn without_valid_credentials_every_protected_operation_answers_401() {
    let app = spawn_app().await;
    let ids = things_of(&app, app.organization).await;
    let revoked_key = api_key_for(&app.store, app.organization, "Revoked").await;
    let revoked_id = app.store.api_keys(app.organization).await.unwrap()[0]
        .key
        .id;
    app.store
        .revoke_api_key(app.organization, revoked_id)
        .await
        .unwrap();
    for operation in operations() {
        if operation.access == Access::Public {
            continue;
        }
        for url in ids.fill_each(&operation.path).iter().map(|p| app.url(p)) {
            for credentials in [
                None,
                Some("Bearer slk_not-a-real-key".to_owned()),
                Some(format!("Bearer {revoked_key}")),
                Some("Basic dXNlcjpwYXNz".to_owned()),
            ] {
                let mut request = app.anonymous().request(operation.method.clone(), &url);
                if let Some(credentials) = &credentials {
                    request = request.header("authorization", credentials);
                }
                let response = send(&app, request, &operation).await;
                assert_eq!(
                    response.status(),
                    401,
                    "{} {url} with {credentials:?}",
                    operation.method,
                );
                assert!(response.headers().contains_key("www-authenticate"));
                assert_problem(response, 401).await;
            }
            // A session cookie that names no session.
            let response = send(
                &app,
                app.anonymous()
                    .request(operation.method.clone(), &url)
                    .header("cookie", "spendlens_session=forged")
                    .header("x-csrf-token", "forged"),
                &operation,
            )
            .await;
            assert_eq!(
                response.status(),
                401,
                "{} {url} with a forged cookie",
                operation.method,
            );
        }
    }
}

#[tokio::test]
async fn another_organizations_ids_answer_404_and_nothing_changes() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let other = app.other_organization().await;
    let theirs = things_of(&app, other).await;
    let mut checked = 0;
    for operation in operations() {
        if operation.access == Access::Public || !operation.path.contains("{id}") {
            continue;
        }
        for path in theirs.fill_each(&operation.path) {
            // Both ways in: an admin's session (so the role never decides) and an API key.
            let by_session = send(
                &app,
                app.as_user(&admin, operation.method.clone(), &path),
                &operation,
            )
            .await;
            let problem = assert_problem(by_session, 404).await;
            assert!(
                !format!("{problem:?}").contains("Someone Else"),
                "{}: the answer leaks the other organization's data: {problem:?}",
                operation.id
            );
            if operation.access == Access::Member {
                let by_key = send(
                    &app,
                    app.client.request(operation.method.clone(), app.url(&path)),
                    &operation,
                )
                .await;
                assert_problem(by_key, 404).await;
            }
        }
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} operations take an id");

    // Lists never show the other organization's rows, and statuses leave its ids out.
    let api = app.api();
    let their_company: CompanyId = theirs.company.parse().unwrap();
    let listed = api
        .companies(&CompanyListQuery::default())
        .send()
        .await
        .text()
        .await;
    assert!(!listed.contains(&theirs.company));
    let statuses = api.company_statuses(&[their_company]).ok().await;
    assert!(statuses.items.is_empty());
    let users = api.users().send().await.text().await;
    assert!(!users.contains(&theirs.user));
    let theirs_only = NewRefreshBatch::Companies(RefreshCompanies {
        company_ids: vec![their_company],
    });
    let batch = api.create_refresh_batch(&theirs_only).ok().await;
    assert_eq!(batch.total, 0);
    assert_eq!(batch.skipped[0].reason, api_types::SkipReason::NotFound);

    // Nothing of theirs changed: the company is still there with its name, the key works.
    let company = app
        .store
        .company(other, theirs.company.parse().unwrap())
        .await
        .unwrap()
        .expect("still there");
    assert_eq!(company.company.name, "Someone Else's Client Ltd");
    let keys = app.store.api_keys(other).await.unwrap();
    assert!(keys[0].key.revoked_at.is_none());
}

#[tokio::test]
async fn roles_that_may_not_get_403_and_admins_get_through() {
    let app = spawn_app().await;
    let ids = things_of(&app, app.organization).await;
    let rm = app.signed_in_manager().await;
    let admin = app.signed_in_admin().await;
    let mut operations = operations();
    // Deletions last, so the others still find what they point at.
    operations.sort_by_key(|o| o.method == Method::DELETE);
    for operation in operations {
        for path in ids.fill_each(&operation.path) {
            match operation.access {
                Access::Admin => {
                    let as_rm = send(
                        &app,
                        app.as_user(&rm, operation.method.clone(), &path),
                        &operation,
                    )
                    .await;
                    assert_problem(as_rm, 403).await;
                    let as_key = send(
                        &app,
                        app.client.request(operation.method.clone(), app.url(&path)),
                        &operation,
                    )
                    .await;
                    assert_problem(as_key, 403).await;
                    let as_admin = send(
                        &app,
                        app.as_user(&admin, operation.method.clone(), &path),
                        &operation,
                    )
                    .await;
                    assert!(
                        as_admin.status().is_success(),
                        "{} as admin: {}",
                        operation.id,
                        as_admin.status()
                    );
                }
                Access::Person => {
                    let as_key = send(
                        &app,
                        app.client.request(operation.method.clone(), app.url(&path)),
                        &operation,
                    )
                    .await;
                    assert_problem(as_key, 403).await;
                }
                Access::Member | Access::Public => {}
            }
        }
    }
}

/// A change made with the session cookie needs the session's CSRF token; reads do not.
#[tokio::test]
async fn cookie_changes_without_the_csrf_token_are_refused() {
    let app = spawn_app().await;
    let rm = app.signed_in_manager().await;
    let body = NewCompany {
        contact_name: "Cy".to_owned(),
        contact_email: "cy@csrf.example".to_owned(),
        ..new_company("CSRF Ltd", &[DataType::Financials])
    };
    for token in [None, Some("wrong")] {
        let mut request = app
            .anonymous()
            .post(app.url("/api/v1/companies"))
            .header("cookie", format!("spendlens_session={}", rm.cookie))
            .json(&body);
        if let Some(token) = token {
            request = request.header("x-csrf-token", token);
        }
        let problem = assert_problem(request.send().await.unwrap(), 403).await;
        assert!(problem.detail_text().contains("X-CSRF-Token"));
    }
    let as_rm = app.api_as(&rm);
    let listed = as_rm.companies(&CompanyListQuery::default()).ok().await;
    assert!(listed.items.is_empty(), "nothing was created");
    as_rm.create_company(&body).expect(201).await;
}
