//! Connecting through the data partner, end to end against its fake on loopback
//! (`crates/fakes`, written from the partner's public documentation): the consent page
//! offers the partner's software, Grant access creates the company and its connection
//! there and sends the customer to the partner's link page, the partner's redirect
//! brings them back, and the first fetch reads the partner's books.

use api_types::{InformationRequestStatus, ReportQuery};
use domain::{CompanyId, DataStatus, DataType, ErrorCode, ReportKind};
use fakes::{FakePartner, PartnerConfig};

use crate::client::Says;
use crate::helpers::{TestApp, error_code, spawn_app_with};

const API_KEY: &str = "partner-test-key";
const SOFTWARE: &str = "Sage Accounting";

async fn partner_and_app() -> (FakePartner, TestApp) {
    let partner = FakePartner::start(PartnerConfig::new(
        API_KEY,
        "http://portal.test/connect/{spendlens_link}/done?statuscode={statusCode}&connectionId={connectionId}",
    ))
    .expect("the fake partner starts");
    let uri = partner.base_url().to_owned();
    let key = partner.encoded_api_key();
    let app = spawn_app_with(move |s| {
        s.http = Some(server::startup::Upstream {
            config: providers::HttpConfig {
                request_retries: 0,
                ..providers::HttpConfig::new(uri, key)
            },
            rate_limit: None,
        });
    })
    .await;
    (partner, app)
}

/// What the partner's link page does when the customer presses `decision`
/// (`authorize` or `cancel`): where it sends the browser.
async fn at_the_link_page(link: &str, decision: &str) -> reqwest::Url {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser.get(link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let answer = browser
        .post(link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("decision={decision}"))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_redirection(), "{}", answer.status());
    reqwest::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap()
}

/// The `statuscode` the partner's redirect carries, after checking it leads back to
/// `/connect/{token}/done`.
fn back_at_done(back: &reqwest::Url, token: &str) -> u16 {
    assert_eq!(back.path(), format!("/connect/{token}/done"));
    back.query_pairs()
        .find(|(k, _)| k == "statuscode")
        .map(|(_, v)| v.parse().unwrap())
        .expect("a statuscode")
}

/// Grant access with the partner's `SOFTWARE`: answers the link page's URL.
async fn grant(app: &TestApp, token: &str) -> String {
    let consent = app.public_api().consent(token).ok().await;
    let offered = consent
        .platforms
        .iter()
        .find(|p| p.name == format!("{SOFTWARE} (through our data partner)"))
        .expect("the partner's software is offered");
    let pending = app
        .public_api()
        .grant_consent(token, &offered.id)
        .ok()
        .await;
    assert_eq!(pending.status, InformationRequestStatus::Pending);
    pending.redirect_url.expect("the partner's link page")
}

async fn connect(app: &TestApp, id: CompanyId) {
    let token = app.link_token(id).await;
    let link = grant(app, &token).await;
    let back = at_the_link_page(&link, "authorize").await;
    let status_code = back_at_done(&back, &token);
    let outcome = app
        .public_api()
        .return_from_partner(&token, status_code)
        .ok()
        .await;
    assert_eq!(outcome.status, InformationRequestStatus::Granted);
    assert_eq!(outcome.connected_organisation.as_deref(), Some(SOFTWARE));
}

#[tokio::test]
async fn a_customer_connects_through_the_partner_and_the_reports_are_its_books() {
    let (partner, app) = partner_and_app().await;
    let id = app
        .create_company(
            "Shoreditch Printers",
            &[DataType::Financials, DataType::SpendDetail],
        )
        .await
        .id;
    let token = app.link_token(id).await;
    let consent = app.public_api().consent(&token).ok().await;
    let names: Vec<&str> = consent.platforms.iter().map(|p| p.name.as_str()).collect();
    // Enabled accounting software only: no banking source, nothing disabled.
    assert!(
        names.contains(&"Sage Accounting (through our data partner)"),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.contains("Plaid")), "{names:?}");
    assert!(
        consent.platforms.iter().all(|p| p.id != "http"),
        "{names:?}"
    );

    let link = grant(&app, &token).await;
    // Before the customer authorizes, the partner still waits: so does the link.
    let waiting = app.public_api().return_from_partner(&token, 200).ok().await;
    assert_eq!(waiting.status, InformationRequestStatus::Pending);
    app.public_api().consent(&token).ok().await;

    let back = at_the_link_page(&link, "authorize").await;
    let status_code = back_at_done(&back, &token);
    let granted = app
        .public_api()
        .return_from_partner(&token, status_code)
        .ok()
        .await;
    assert_eq!(granted.status, InformationRequestStatus::Granted);
    // The link is used up; coming back again says the same and queues nothing more.
    app.public_api().consent(&token).problem(410).await;
    let again = app
        .public_api()
        .return_from_partner(&token, status_code)
        .ok()
        .await;
    assert_eq!(again.status, InformationRequestStatus::Granted);

    app.run_job().await;
    let company = app.api().company(id).ok().await;
    assert_eq!(company.status, Some(DataStatus::Available), "{company:?}");
    assert_eq!(company.platform.as_deref(), Some("http"));

    // The partner's own company, named as in Spendlens, whose books the reports are.
    let companies = partner.companies();
    assert_eq!(companies.len(), 1);
    let upstream = &companies[0];
    assert_eq!(upstream.name, "Shoreditch Printers");
    assert_ne!(upstream.id, id.as_uuid());
    let books = partner.books(upstream.id).expect("its books");
    let bills = app
        .api()
        .report(id, ReportKind::Bills, &ReportQuery::default())
        .ok()
        .await;
    assert_eq!(
        bills.data["results"].as_array().map(Vec::len),
        Some(books.bills().count()),
    );
    let counters = partner.counters();
    assert_eq!(counters.companies_created, 1);
    assert_eq!(counters.connections_created, 1);
    assert_eq!(counters.rate_limited, 0);
}

#[tokio::test]
async fn a_reconnection_reuses_the_company_at_the_partner_and_keeps_its_history() {
    let (partner, app) = partner_and_app().await;
    let id = app
        .create_company("Revoked Printers", &[DataType::SpendDetail])
        .await
        .id;
    connect(&app, id).await;
    app.run_job().await;
    let upstream = partner.companies()[0].id;
    let connection = connection_of(&app, id).await;
    assert_eq!(connection["platform"], "http");
    assert_eq!(
        connection["platform_name"],
        "Sage Accounting (through our data partner)"
    );
    assert_eq!(connection["organisation"]["id"], upstream.to_string());
    assert_eq!(connection["state"], "connected");

    // The customer withdraws access at the partner.
    assert!(partner.set_connection_status(upstream, fakes::ConnectionStatus::Deauthorized));
    app.api().refresh(id).expect(202).await;
    app.run_job().await;
    let company = app.api().company(id).ok().await;
    assert_eq!(error_code(&company), Some(ErrorCode::AccessRevoked));
    assert_eq!(connection_of(&app, id).await["state"], "disconnected");

    // The one-click remedy: a new information request, the same company at the partner.
    connect(&app, id).await;
    app.run_job().await;
    let company = app.api().company(id).ok().await;
    assert_eq!(company.status, Some(DataStatus::Available), "{company:?}");
    let counters = partner.counters();
    assert_eq!(counters.companies_created, 1, "{counters:?}");
    assert_eq!(counters.connections_created, 2, "{counters:?}");
    let history = app.api().refreshes(id).ok().await;
    assert!(history.len() >= 3, "{history:?}");
    assert_eq!(connection_of(&app, id).await["state"], "connected");
}

/// `GET /api/v1/companies/{id}/connection`, as JSON.
async fn connection_of(app: &TestApp, id: CompanyId) -> serde_json::Value {
    let answer = app
        .client
        .get(app.url(&format!("/api/v1/companies/{id}/connection")))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    answer.json().await.unwrap()
}

#[tokio::test]
async fn cancelling_at_the_partner_shows_the_customer_declined() {
    let (_partner, app) = partner_and_app().await;
    let id = app
        .create_company("Cautious Ltd", &[DataType::SpendDetail])
        .await
        .id;
    let token = app.link_token(id).await;
    let link = grant(&app, &token).await;
    let back = at_the_link_page(&link, "cancel").await;
    let status_code = back_at_done(&back, &token);
    assert_ne!(status_code / 100, 2);
    let outcome = app
        .public_api()
        .return_from_partner(&token, status_code)
        .ok()
        .await;
    assert_eq!(outcome.status, InformationRequestStatus::Declined);
    let company = app.api().company(id).ok().await;
    assert_eq!(error_code(&company), Some(ErrorCode::CustomerDeclined));
    // A link never completed is no connection.
    let none = app
        .client
        .get(app.url(&format!("/api/v1/companies/{id}/connection")))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 404);
}

#[tokio::test]
async fn a_customer_who_never_comes_back_is_connected_by_the_sweep() {
    let (partner, app) = partner_and_app().await;
    let id = app
        .create_company("Tab Closer Ltd", &[DataType::SpendDetail])
        .await
        .id;
    let token = app.link_token(id).await;
    grant(&app, &token).await;
    let sweeper = app.partner().expect("the partner is configured");
    // Still waiting at the partner: nothing to do yet.
    assert_eq!(sweeper.follow_pending(10).await.unwrap(), 0);

    // The customer authorizes and closes the tab before the redirect.
    let upstream = &partner.companies()[0];
    assert!(partner.link_connection(upstream.id, upstream.connections[0].id));
    // Each link is asked about at most once a minute.
    app.advance_clock(chrono::Duration::minutes(2));
    assert_eq!(sweeper.follow_pending(10).await.unwrap(), 1);
    app.public_api().consent(&token).problem(410).await;
    app.run_job().await;
    let company = app.api().company(id).ok().await;
    assert_eq!(company.status, Some(DataStatus::Available), "{company:?}");
}

#[tokio::test]
async fn a_partner_failure_says_so_and_leaves_the_link_usable() {
    let (partner, app) = partner_and_app().await;
    let id = app
        .create_company("Patient Ltd", &[DataType::SpendDetail])
        .await
        .id;
    let token = app.link_token(id).await;
    let consent = app.public_api().consent(&token).ok().await;
    let sage = consent
        .platforms
        .iter()
        .find(|p| p.name.starts_with(SOFTWARE))
        .unwrap()
        .id
        .clone();
    partner.inject(
        fakes::FaultTarget::Api,
        fakes::Fault::Status { status: 503 },
        1,
    );
    let problem = app
        .public_api()
        .grant_consent(&token, &sage)
        .problem(502)
        .await;
    assert!(
        problem
            .detail_text()
            .contains("did not complete the connection"),
        "{problem:?}"
    );
    assert!(!problem.detail_text().contains(API_KEY));
    // Nothing was used up: the customer tries again.
    connect(&app, id).await;
}
