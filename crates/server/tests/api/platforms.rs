//! Xero (its fake, on loopback) end to end: the consent page's Grant access → the
//! platform's authorize page → the callback → the connection stored with its tokens
//! sealed → the first fetch → Available with the platform's figures. Also: a refusal at
//! the platform, a choice among several organisations, the token refresh by exactly one
//! of many concurrent callers, revocation, and key rotation.

use api_types::{Delivery, InformationRequestStatus, NewInformationRequest, ReportQuery};
use chrono::{Datelike, Months};
use domain::{CompanyId, DataStatus, DataType::Financials, ErrorCode, ReportKind};
use fakes::{FakeXero, XeroConfig};
use reqwest::{StatusCode, Url, header};
use server::startup::ConnectionSettings;

use crate::helpers::{TestApp, spawn_app_with};

pub const PUBLIC_URL: &str = "http://portal.test";
const CLIENT_ID: &str = "spendlens-test-app";
const CLIENT_SECRET: &str = "spendlens-test-secret";

pub fn xero() -> FakeXero {
    FakeXero::start(XeroConfig::new(
        CLIENT_ID,
        CLIENT_SECRET,
        &format!("{PUBLIC_URL}/api/v1/oauth/xero/callback"),
    ))
    .expect("the fake starts")
}

pub fn settings_for(xero: &FakeXero, key: &str) -> ConnectionSettings {
    ConnectionSettings {
        platforms: vec![connections::PlatformSettings {
            platform: connections::OAuthPlatform::Xero,
            client_id: CLIENT_ID.to_owned(),
            client_secret: CLIENT_SECRET.to_owned(),
            authorize_url: xero.authorize_url(),
            token_url: xero.token_url(),
            api_url: xero.base_url().to_owned(),
            redirect_url: format!("{PUBLIC_URL}/api/v1/oauth/xero/callback"),
        }],
        encryption_key: Some(key.to_owned()),
        key_file: None,
    }
}

async fn app_with(xero: &FakeXero) -> TestApp {
    let key = vault::KeyRing::generate_key().to_string();
    let connections = settings_for(xero, &key);
    spawn_app_with(|settings| settings.connections = connections).await
}

/// A company with a Copy-link request: its id and the link's token.
pub async fn requested(app: &TestApp, name: &str) -> (CompanyId, String) {
    let id = app.create_company(name, &[Financials]).await.id;
    (id, new_link(app, id).await)
}

/// A new Copy-link request for the company: the link's token.
async fn new_link(app: &TestApp, id: CompanyId) -> String {
    let request = app
        .api()
        .request_information(
            id,
            &NewInformationRequest {
                delivery: Delivery::Link,
                ..NewInformationRequest::default()
            },
        )
        .expect(201)
        .await;
    let link = request.link.expect("a link");
    link[format!("{PUBLIC_URL}/connect/").len()..].to_owned()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The customer's browser: Grant access with Xero, then the fake's consent page
/// answered with `answer`; returns where Spendlens's callback sends them.
pub async fn through_xero(app: &TestApp, token: &str, answer: &[(&str, &str)]) -> String {
    through_xero_seeing(app, token, answer).await.0
}

/// As [`through_xero`], also answering the callback URL the browser followed (its
/// code and state).
pub async fn through_xero_seeing(
    app: &TestApp,
    token: &str,
    answer: &[(&str, &str)],
) -> (String, String) {
    let outcome = app
        .public_api()
        .grant_consent(token, "xero")
        .expect(200)
        .await;
    assert_eq!(outcome.status, InformationRequestStatus::Pending);
    let authorize = outcome.redirect_url.expect("the platform's authorize page");
    assert_eq!(
        query_param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(query_param(&authorize, "code_challenge").is_some());
    let scope = query_param(&authorize, "scope").unwrap();
    assert!(
        scope.contains("offline_access") && !scope.contains("accounting.transactions "),
        "{scope}"
    );

    let browser = app.anonymous();
    let page = browser.get(&authorize).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let start = html
        .find("name=\"request\" value=\"")
        .expect("the consent form")
        + 22;
    let request = html[start..].split('"').next().unwrap().to_owned();
    let mut form = vec![("request", request.as_str())];
    form.extend_from_slice(answer);
    let back = browser
        .post(authorize.split('?').next().unwrap())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(back.status().is_redirection());
    let callback = back.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(callback.starts_with(&format!("{PUBLIC_URL}/api/v1/oauth/xero/callback?")));
    // The browser follows it to Spendlens.
    let landed = browser
        .get(app.url(&callback[PUBLIC_URL.len()..]))
        .send()
        .await
        .unwrap();
    assert_eq!(landed.status(), StatusCode::SEE_OTHER);
    assert_eq!(landed.headers()[header::CACHE_CONTROL], "no-store");
    (
        landed.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned(),
        callback,
    )
}

#[tokio::test]
async fn a_customer_connects_xero_and_the_company_shows_its_books() {
    let xero = xero();
    let app = app_with(&xero).await;
    let (id, token) = requested(&app, "Aldgate Bakery Ltd").await;
    let consent = app.public_api().consent(&token).ok().await;
    assert!(
        consent
            .platforms
            .iter()
            .any(|p| p.id == "xero" && p.name == "Xero")
    );

    let organisation = &xero.organisations()[0];
    let tenant = organisation.tenant_id.to_string();
    let landing = through_xero(&app, &token, &[("decision", "allow"), ("tenant", &tenant)]).await;
    assert_eq!(
        landing,
        "/connect/connected?organisation=Demo+Company+%28UK%29&by=test-bank"
    );
    // The link is used up; the first fetch is queued.
    app.public_api().consent(&token).problem(410).await;
    let company = app.api().company(id).ok().await;
    assert_eq!(company.platform.as_deref(), Some("xero"));
    app.run_job().await;
    let company = app.api().company(id).ok().await;
    assert_eq!(
        company.status,
        Some(DataStatus::Available),
        "{:?}",
        company.error
    );

    // The figures are the platform's.
    profit_and_loss_is_the_books(&app, id, xero.books(organisation.tenant_id).unwrap(), "GBP")
        .await;

    // No token is stored in clear: the database holds only sealed values.
    let connection = app
        .store
        .platform_connection(id)
        .await
        .unwrap()
        .expect("a connection");
    assert!(connection.access_token.starts_with("v1."));
    assert!(connection.refresh_token.starts_with("v1."));
    assert_eq!(connection.tenant_name, "Demo Company (UK)");
    assert_eq!(connection.tenant_id, tenant);
    let shown = connection_of(&app, id).await;
    assert_eq!(shown["organisation"]["name"], "Demo Company (UK)");
    assert_eq!(shown["state"], "connected");
    assert!(
        !shown.to_string().contains("v1."),
        "no sealed token in the answer"
    );
}

/// Issue #21: Xero authorizes several organisations at once; the customer picks which
/// of them belong to this group. Each becomes an entity with its own connection, all
/// sharing the authorization's tokens, which Xero rotates for all of them at once.
#[tokio::test]
async fn several_organisations_authorized_the_customer_picks_the_group_s_entities() {
    let xero = xero();
    let app = app_with(&xero).await;
    let (group, token) = requested(&app, "Antipodes Group").await;
    let tenants: Vec<String> = xero
        .organisations()
        .iter()
        .map(|o| o.tenant_id.to_string())
        .collect();
    let landing = through_xero(
        &app,
        &token,
        &[
            ("decision", "allow"),
            ("tenant", &tenants[0]),
            ("tenant", &tenants[1]),
            ("tenant", &tenants[2]),
        ],
    )
    .await;
    let choice = landing
        .strip_prefix("/connect/choose/")
        .unwrap_or_else(|| panic!("not a choice: {landing}"))
        .to_owned();
    let browser = app.anonymous();
    let choose = |body: serde_json::Value| {
        browser
            .post(app.url(&format!("/api/v1/oauth/choices/{choice}")))
            .json(&body)
            .send()
    };
    // An organisation not on offer among the others: refused, nothing changes.
    let wrong = choose(serde_json::json!({
        "organisation_id": tenants[1],
        "other_entities": [tenants[0], "someone-else"],
    }))
    .await
    .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.api().entities(group).ok().await.is_empty());

    let chosen: serde_json::Value = choose(serde_json::json!({
        "organisation_id": tenants[1],
        "other_entities": [tenants[2], tenants[0], tenants[1]],
    }))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(chosen["status"], "granted");
    assert_eq!(chosen["connected_organisation"], "Kiwi Coffee Roasters Ltd");

    let entities = app.api().entities(group).ok().await;
    let names: Vec<&str> = entities.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["Demo Company (UK)", "Harbour Bridge Traders Pty Ltd"]
    );
    let own = app.store.platform_connection(group).await.unwrap().unwrap();
    assert_eq!(own.tenant_id, tenants[1]);
    let grant = own.grant_id.expect("a shared authorization");
    for (entity, tenant) in entities.iter().zip([&tenants[0], &tenants[2]]) {
        assert_eq!(entity.platform.as_deref(), Some("xero"));
        assert_eq!(entity.status, Some(DataStatus::Requested));
        let connection = app
            .store
            .platform_connection(entity.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&connection.tenant_id, tenant);
        assert_eq!(connection.grant_id, Some(grant));
    }
    // Each entity's first fetch reads its own organisation.
    app.run_due_jobs().await;
    let rollup = app.api().company(group).ok().await.group.unwrap();
    assert_eq!((rollup.entities, rollup.available), (3, 3), "{rollup:?}");

    // The access token expires: the group's refresh renews it once, for all three.
    let later = chrono::Duration::minutes(31);
    xero.clock().advance(later.to_std().unwrap());
    app.advance_clock(later);
    app.api()
        .create_refresh_batch(&api_types::NewRefreshBatch::Companies(
            api_types::RefreshCompanies {
                company_ids: vec![group],
            },
        ))
        .expect(202)
        .await;
    app.run_due_jobs().await;
    let renewed = app.store.platform_connection(group).await.unwrap().unwrap();
    assert!(renewed.access_expires_at > own.access_expires_at);
    for entity in &entities {
        let connection = app
            .store
            .platform_connection(entity.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (&connection.access_token, &connection.refresh_token),
            (&renewed.access_token, &renewed.refresh_token),
            "the rotated tokens reach every entity"
        );
    }
    // Past Xero's grace period for the old refresh token, an entity refreshed on its
    // own still renews: it holds the rotated token, not the one used up.
    let much_later = chrono::Duration::minutes(61);
    xero.clock().advance(much_later.to_std().unwrap());
    app.advance_clock(much_later);
    app.api().refresh(entities[1].id).expect(202).await;
    app.run_due_jobs().await;
    let harbour = app.api().company(entities[1].id).ok().await;
    assert_eq!(harbour.status, Some(DataStatus::Available), "{harbour:?}");
    assert_eq!(harbour.error, None);
    let history = app.api().refreshes(entities[1].id).ok().await;
    assert_eq!(history[0].state, api_types::RefreshState::Succeeded);
}

#[tokio::test]
async fn refusing_at_xero_shows_customer_declined() {
    let xero = xero();
    let app = app_with(&xero).await;
    let (id, token) = requested(&app, "Northgate Recruitment").await;
    let landing = through_xero(&app, &token, &[("decision", "deny")]).await;
    assert_eq!(landing, "/connect/declined?by=test-bank");
    let company = app.api().company(id).ok().await;
    assert_eq!(company.status, Some(DataStatus::Error));
    assert_eq!(company.error.unwrap().code, ErrorCode::CustomerDeclined);
    assert_eq!(company.platform, None);
    // The state was single use: the same callback again changes nothing.
    app.public_api().consent(&token).problem(410).await;
}

#[tokio::test]
async fn several_organisations_authorized_the_customer_chooses_one() {
    let xero = xero();
    let app = app_with(&xero).await;
    let (id, token) = requested(&app, "Kiwi Coffee Roasters").await;
    let first = xero.organisations()[0].tenant_id.to_string();
    let second = xero.organisations()[1].tenant_id.to_string();
    let landing = through_xero(
        &app,
        &token,
        &[
            ("decision", "allow"),
            ("tenant", &first),
            ("tenant", &second),
        ],
    )
    .await;
    let choice = landing
        .strip_prefix("/connect/choose/")
        .unwrap_or_else(|| panic!("not a choice: {landing}"))
        .to_owned();
    // Nothing is connected until the customer says which.
    assert_eq!(app.api().company(id).ok().await.platform, None);

    let browser = app.anonymous();
    let offer: serde_json::Value = browser
        .get(app.url(&format!("/api/v1/oauth/choices/{choice}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(offer["company_name"], "Kiwi Coffee Roasters");
    assert_eq!(offer["platform_name"], "Xero");
    let names: Vec<&str> = offer["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Demo Company (UK)", "Kiwi Coffee Roasters Ltd"]);

    // Not one of those offered: refused, nothing changes.
    let wrong = browser
        .post(app.url(&format!("/api/v1/oauth/choices/{choice}")))
        .json(&serde_json::json!({"organisation_id": "someone-else"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let chosen: serde_json::Value = browser
        .post(app.url(&format!("/api/v1/oauth/choices/{choice}")))
        .json(&serde_json::json!({"organisation_id": second}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(chosen["status"], "granted");
    assert_eq!(chosen["connected_organisation"], "Kiwi Coffee Roasters Ltd");
    let connection = app.store.platform_connection(id).await.unwrap().unwrap();
    assert_eq!(connection.tenant_id, second);
    // The choice is used up.
    let again = browser
        .get(app.url(&format!("/api/v1/oauth/choices/{choice}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    app.run_job().await;
    let company = app.api().company(id).ok().await;
    assert_eq!(
        company.status,
        Some(DataStatus::Available),
        "{:?}",
        company.error
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_however_many_workers_ask() {
    let xero = xero();
    let app = app_with(&xero).await;
    let (id, token) = requested(&app, "Harbour Bridge Traders").await;
    let tenant = xero.organisations()[2].tenant_id.to_string();
    through_xero(&app, &token, &[("decision", "allow"), ("tenant", &tenant)]).await;
    let before = app.store.platform_connection(id).await.unwrap().unwrap();

    // 31 minutes later the access token has expired, at Xero and by our clock.
    let later = chrono::Duration::minutes(31);
    xero.clock().advance(later.to_std().unwrap());
    app.advance_clock(later);
    let refreshes_before = xero.counters().token_refreshes;
    // Eight workers' fetches ask for the token at once.
    let connectors: Vec<_> = (0..8).map(|_| app.connector().unwrap()).collect();
    let asks = connectors
        .iter()
        .map(|connector| providers::Credentials::grant(connector, id));
    let grants = futures::future::join_all(asks).await;
    let tokens: std::collections::HashSet<String> = grants
        .into_iter()
        .map(|grant| grant.expect("a token").access_token)
        .collect();
    assert_eq!(tokens.len(), 1, "every caller got the one new token");
    assert_eq!(xero.counters().token_refreshes - refreshes_before, 1);
    let after = app.store.platform_connection(id).await.unwrap().unwrap();
    assert_ne!(
        after.refresh_token, before.refresh_token,
        "the rotated refresh token is stored"
    );
    assert!(after.access_expires_at > before.access_expires_at);

    // And the refresh job itself runs with it.
    app.run_job().await;
    assert_eq!(
        app.api().company(id).ok().await.status,
        Some(DataStatus::Available)
    );
}

#[tokio::test]
async fn a_revoked_connection_shows_access_revoked_and_a_new_request_reconnects_the_same_company() {
    let xero = xero();
    let app = app_with(&xero).await;
    let (id, token) = requested(&app, "Camden Florists").await;
    let tenant = xero.organisations()[0].tenant_id.to_string();
    through_xero(&app, &token, &[("decision", "allow"), ("tenant", &tenant)]).await;
    app.run_job().await;

    // The customer disconnects the app at Xero; the access token then expires.
    xero.revoke_all_tokens();
    let later = chrono::Duration::minutes(31);
    xero.clock().advance(later.to_std().unwrap());
    app.advance_clock(later);
    app.api().refresh(id).expect(202).await;
    app.run_job().await;
    let company = app.api().company(id).ok().await;
    assert_eq!(company.status, Some(DataStatus::Error));
    assert_eq!(company.error.unwrap().code, ErrorCode::AccessRevoked);
    let connection = app.store.platform_connection(id).await.unwrap().unwrap();
    assert_eq!(connection.state, store::ConnectionState::Disconnected);
    let shown = connection_of(&app, id).await;
    assert_eq!(shown["state"], "disconnected");
    assert_eq!(shown["platform_name"], "Xero");
    let refreshes = xero.counters().token_refreshes;
    // No retry storm: a refresh is refused until the customer connects again, and
    // Xero is not asked again.
    app.api().refresh(id).problem(409).await;
    assert_eq!(xero.counters().token_refreshes, refreshes);
    assert_eq!(xero.counters().token_errors, 1);

    // The remedy: a new information request reconnects the same company.
    let token = new_link(&app, id).await;
    through_xero(&app, &token, &[("decision", "allow"), ("tenant", &tenant)]).await;
    app.run_job().await;
    let company = app.api().company(id).ok().await;
    assert_eq!(
        company.status,
        Some(DataStatus::Available),
        "{:?}",
        company.error
    );
    let connection = app.store.platform_connection(id).await.unwrap().unwrap();
    assert_eq!(connection.state, store::ConnectionState::Connected);
    assert_eq!(connection_of(&app, id).await["state"], "connected");
    // Webhooks and the audit of it: connected, disconnected, reconnected, in order.
    assert_eq!(
        event_types(&app, id).await,
        [
            "connection.connected",
            "connection.disconnected",
            "connection.reconnected"
        ]
    );
}

/// `GET /api/v1/companies/{id}/connection`, as JSON.
async fn connection_of(app: &TestApp, id: CompanyId) -> serde_json::Value {
    let answer = app
        .client
        .get(app.url(&format!("/api/v1/companies/{id}/connection")))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    answer.json().await.unwrap()
}

/// The company's `connection.*` events, oldest first.
async fn event_types(app: &TestApp, id: CompanyId) -> Vec<String> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    use store::entities::events;
    events::Entity::find()
        .filter(events::Column::CompanyId.eq(id.as_uuid()))
        .filter(events::Column::EventType.starts_with("connection."))
        .order_by_asc(events::Column::OccurredAt)
        .all(app.store.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.event_type)
        .collect()
}

#[tokio::test]
async fn keys_rotate_and_the_old_key_can_go() {
    let xero = xero();
    let old_key = vault::KeyRing::generate_key().to_string();
    let connections = settings_for(&xero, &old_key);
    let app = spawn_app_with(|settings| settings.connections = connections).await;
    let (id, token) = requested(&app, "Islington Print Co").await;
    let tenant = xero.organisations()[0].tenant_id.to_string();
    through_xero(&app, &token, &[("decision", "allow"), ("tenant", &tenant)]).await;
    let before = app.store.platform_connection(id).await.unwrap().unwrap();

    // The new key first, the old one after it, then `keys rotate`.
    let new_key = vault::KeyRing::generate_key().to_string();
    let both = settings_for(&xero, &format!("{new_key},{old_key}"));
    let rotated = both
        .connector(&app.store)
        .unwrap()
        .unwrap()
        .rotate_keys()
        .await
        .unwrap();
    assert_eq!(rotated, 1);
    let after = app.store.platform_connection(id).await.unwrap().unwrap();
    assert_ne!(after.access_token, before.access_token);

    // With the new key alone, the connection still works.
    let new_only = settings_for(&xero, &new_key);
    let grant =
        providers::Credentials::grant(&new_only.connector(&app.store).unwrap().unwrap(), id)
            .await
            .expect("the token opens with the new key");
    assert!(!grant.access_token.is_empty());
    // With the old key alone, it does not open, and says so without the token.
    let old_only = settings_for(&xero, &old_key);
    let err = providers::Credentials::grant(&old_only.connector(&app.store).unwrap().unwrap(), id)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::AccessRevoked);
    assert!(!err.message.contains(&grant.access_token));
}

/// Xero's daily limit reached: the company keeps its status and shows when the refresh
/// will run (Xero's `Retry-After`), instead of an error or a retry into the limit.
#[tokio::test]
async fn at_xeros_daily_limit_the_company_shows_when_its_refresh_runs() {
    let mut config = XeroConfig::new(
        CLIENT_ID,
        CLIENT_SECRET,
        &format!("{PUBLIC_URL}/api/v1/oauth/xero/callback"),
    );
    config.limits.per_day = 1;
    let xero = FakeXero::start(config).expect("the fake starts");
    let app = app_with(&xero).await;
    let (id, token) = requested(&app, "Busy Bakery Ltd").await;
    let tenant = xero.organisations()[0].tenant_id.to_string();
    through_xero(&app, &token, &[("decision", "allow"), ("tenant", &tenant)]).await;

    let before = app.store.now();
    let (_, outcome) = app.run_job().await;
    assert!(
        matches!(outcome, refresh::Outcome::Retrying(_)),
        "{outcome:?}"
    );
    let company = app.api().company(id).ok().await;
    assert_ne!(company.status, Some(DataStatus::Error), "{company:?}");
    let job = company.refresh.expect("the refresh is still queued");
    assert_eq!(job.state, api_types::RefreshState::Queued);
    let error = job.error.expect("why it waits");
    assert!(error.message.contains("daily limit"), "{}", error.message);
    // It runs when Xero's rolling day lets a call out of its window (the first call's
    // time plus 24 hours), not after a short backoff.
    let wait = job.run_at.expect("when it runs") - before;
    assert!(
        wait > chrono::Duration::hours(23)
            && wait <= chrono::Duration::hours(24) + chrono::Duration::seconds(5),
        "runs in {wait:?}"
    );
    // Nothing more is tried before then.
    app.advance_clock(chrono::Duration::minutes(30));
    assert!(app.instant_worker().run_once().await.unwrap().is_none());
}

/// QuickBooks Online: Grant access → Intuit's consent page (the company chosen there) →
/// the callback with `realmId` → Available with the company's figures.
#[tokio::test]
async fn a_customer_connects_quickbooks_and_the_company_shows_its_books() {
    let redirect = format!("{PUBLIC_URL}/api/v1/oauth/quickbooks/callback");
    let quickbooks = fakes::FakeQuickBooks::start(fakes::QuickBooksConfig::new(
        CLIENT_ID,
        CLIENT_SECRET,
        &redirect,
    ))
    .expect("the fake starts");
    let connections = ConnectionSettings {
        platforms: vec![connections::PlatformSettings {
            platform: connections::OAuthPlatform::QuickBooks,
            client_id: CLIENT_ID.to_owned(),
            client_secret: CLIENT_SECRET.to_owned(),
            authorize_url: quickbooks.authorize_url(),
            token_url: quickbooks.token_url(),
            api_url: quickbooks.base_url().to_owned(),
            redirect_url: redirect.clone(),
        }],
        encryption_key: Some(vault::KeyRing::generate_key().to_string()),
        key_file: None,
    };
    let app = spawn_app_with(|settings| settings.connections = connections).await;
    let (id, token) = requested(&app, "Camden Florists Ltd").await;
    let outcome = app
        .public_api()
        .grant_consent(&token, "quickbooks")
        .expect(200)
        .await;
    let authorize = outcome.redirect_url.expect("Intuit's authorize page");
    assert_eq!(
        query_param(&authorize, "scope").as_deref(),
        Some("com.intuit.quickbooks.accounting")
    );
    assert_eq!(
        query_param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );

    let company = &quickbooks.companies()[1];
    let browser = app.anonymous();
    let html = browser
        .get(&authorize)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = html.find("name=\"request\" value=\"").expect("the form") + 22;
    let request = html[start..].split('"').next().unwrap().to_owned();
    let back = browser
        .post(authorize.split('?').next().unwrap())
        .form(&[
            ("request", request.as_str()),
            ("realm", company.realm_id.as_str()),
            ("decision", "connect"),
        ])
        .send()
        .await
        .unwrap();
    let callback = back.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        query_param(&callback, "realmId").as_deref(),
        Some(company.realm_id.as_str())
    );
    let landed = browser
        .get(app.url(&callback[PUBLIC_URL.len()..]))
        .send()
        .await
        .unwrap();
    assert_eq!(landed.status(), StatusCode::SEE_OTHER);
    let landing = landed.headers()[header::LOCATION].to_str().unwrap();
    assert!(
        landing.starts_with("/connect/connected?organisation="),
        "{landing}"
    );

    app.run_job().await;
    let shown = app.api().company(id).ok().await;
    assert_eq!(
        shown.status,
        Some(DataStatus::Available),
        "{:?}",
        shown.error
    );
    assert_eq!(shown.platform.as_deref(), Some("quickbooks"));
    let connection = connection_of(&app, id).await;
    assert_eq!(connection["organisation"]["id"], company.realm_id.as_str());
    assert_eq!(connection["organisation"]["name"], company.name.as_str());
    assert_eq!(connection["state"], "connected");

    // The figures are the platform's.
    let books = quickbooks.books(&company.realm_id).unwrap();
    profit_and_loss_is_the_books(&app, id, books, &company.currency).await;
}

/// The company's profit and loss: twelve months ending with this one, each month's net
/// profit the platform's `books`', in `currency`.
async fn profit_and_loss_is_the_books(
    app: &TestApp,
    id: CompanyId,
    books: &fakes::books::Books,
    currency: &str,
) {
    let pnl = app
        .api()
        .report(id, ReportKind::ProfitAndLoss, &ReportQuery::default())
        .ok()
        .await;
    let periods = pnl.data["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 12);
    let last = books.today.with_day(1).unwrap();
    let newest = periods.last().unwrap();
    assert_eq!(newest["fromDate"], last.to_string());
    assert_eq!(
        newest["netProfit"].as_f64().unwrap(),
        books.profit_and_loss_month(last).net_profit(books) as f64 / 100.0
    );
    let first = &periods[0];
    assert_eq!(first["fromDate"], (last - Months::new(11)).to_string());
    assert_eq!(pnl.data["currency"], currency);
}

/// Xero's `/connections` lists every organisation the user ever connected to the app;
/// the access token's `authentication_event_id` picks this authorization's. A second
/// company connected by the same Xero user is connected at once, never asked to choose
/// among the first company's organisations.
#[tokio::test]
async fn a_second_authorization_by_the_same_user_lists_only_its_own_organisation() {
    let xero = xero();
    let app = app_with(&xero).await;
    for (i, name) in ["First Ltd", "Second Ltd"].into_iter().enumerate() {
        let (_, token) = requested(&app, name).await;
        let tenant = xero.organisations()[i].tenant_id.to_string();
        let landing =
            through_xero(&app, &token, &[("decision", "allow"), ("tenant", &tenant)]).await;
        assert!(
            landing.starts_with("/connect/connected?"),
            "{name}: {landing}"
        );
    }
}
