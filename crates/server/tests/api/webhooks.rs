//! Webhooks end to end: an admin adds an endpoint, a refresh finishes, the outbox worker
//! sends the events to a receiver on loopback, and the Standard Webhooks reference
//! library (PyPI `standardwebhooks`, run by Python) verifies what arrived. Retries,
//! 410 Gone, repeated failure, replay, secret rotation and the SSRF guard.

use std::{io::Write, path::PathBuf, process::Command, time::Duration};

use api_types::{
    AuditAction, AuditEvent, AuditQuery, NewWebhookEndpoint, WebhookDeliveryState,
    WebhookEndpointUpdate,
};
use domain::{CompanyId, DataType::Financials, EventType};
use outbox::{OutboxConfig, OutboxWorker};
use serde_json::{Value, json};
use webhooks::RetrySchedule;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::helpers::{SignedIn, TestApp, spawn_app, spawn_app_with};

/// The project's venv (`scripts/setup.sh test`), or `SPENDLENS_TEST_PYTHON`.
fn python() -> PathBuf {
    if let Ok(python) = std::env::var("SPENDLENS_TEST_PYTHON") {
        return python.into();
    }
    let cache = std::env::var("SPENDLENS_CACHE").map_or_else(
        |_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/spendlens"),
        PathBuf::from,
    );
    cache.join("venv/bin/python")
}

/// Verifies a received webhook with the reference library: the payload, or why not.
pub fn verify_independently(
    secret: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Result<Value, String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/api/verify_webhook.py");
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), json!(value)))
        .collect();
    let input = json!({ "secret": secret, "headers": headers, "body": body }).to_string();
    let mut child = Command::new(python())
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("Python from the project's venv (scripts/setup.sh test)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    match output.status.code() {
        Some(0) => Ok(serde_json::from_str(&stdout).expect("the verifier prints JSON")),
        Some(1) => Err(stdout),
        _ => panic!(
            "the verifier did not run (is standardwebhooks installed? scripts/setup.sh test): {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// The Standard Webhooks headers of a received request.
fn signed_headers(request: &wiremock::Request) -> Vec<(&'static str, String)> {
    ["webhook-id", "webhook-timestamp", "webhook-signature"]
        .into_iter()
        .map(|name| {
            let value = request
                .headers
                .get(name)
                .unwrap_or_else(|| panic!("{name} missing"))
                .to_str()
                .unwrap()
                .to_owned();
            (name, value)
        })
        .collect()
}

fn header(request: &wiremock::Request, name: &str) -> String {
    request
        .headers
        .get(name)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

pub(crate) fn body(request: &wiremock::Request) -> String {
    String::from_utf8(request.body.clone()).unwrap()
}

/// An outbox worker over the app's database, as `serve` and `worker` run it.
pub fn outbox_worker(app: &TestApp, customize: impl FnOnce(&mut OutboxConfig)) -> OutboxWorker {
    let mut config = OutboxConfig {
        mail_from: "Demo Bank <no-reply@bank.example>".to_owned(),
        public_url: Some("http://portal.test".to_owned()),
        ..OutboxConfig::default()
    };
    config.sender.allow_private = true;
    customize(&mut config);
    OutboxWorker::new(app.store.clone(), config).expect("outbox worker")
}

fn seconds(delays: &[u64]) -> RetrySchedule {
    RetrySchedule::new(delays.iter().copied().map(Duration::from_secs).collect()).unwrap()
}

/// An app whose endpoints may be on loopback (the receiver is).
pub(crate) async fn app_allowing_loopback() -> (TestApp, SignedIn) {
    let app = spawn_app_with(|settings| settings.outbox.sender.allow_private = true).await;
    let admin = app.signed_in_admin().await;
    (app, admin)
}

/// An endpoint at `url` for `event_types` (every type when empty).
pub(crate) fn endpoint_at(url: &str, event_types: &[EventType]) -> NewWebhookEndpoint {
    NewWebhookEndpoint {
        url: url.to_owned(),
        description: String::new(),
        event_types: event_types.to_vec(),
    }
}

/// An admin adds an endpoint for `event_types` on `receiver`: its id and secret.
pub(crate) async fn subscribe(
    app: &TestApp,
    admin: &SignedIn,
    receiver: &MockServer,
    event_types: &[EventType],
) -> (domain::WebhookEndpointId, String) {
    let endpoint = endpoint_at(&format!("{}/hooks", receiver.uri()), event_types);
    let created = app
        .api_as(admin)
        .create_webhook_endpoint(&endpoint)
        .expect(201)
        .await;
    (created.webhook_endpoint.id, created.secret)
}

/// A connected company refreshed through the API and the worker: its status changes
/// to Available and the refresh succeeds (two events).
async fn refreshed_company(app: &TestApp, name: &str) -> CompanyId {
    let id = app.connected_company(name, &[Financials]).await;
    refresh_again(app, id).await;
    id
}

async fn refresh_again(app: &TestApp, id: CompanyId) {
    app.api().refresh(id).expect(202).await;
    app.run_job().await;
}

/// The audit entries of `action`, newest first, as the admin reads them.
async fn audited(app: &TestApp, admin: &SignedIn, action: AuditAction) -> Vec<AuditEvent> {
    let query = AuditQuery {
        action: Some(action),
        ..AuditQuery::default()
    };
    app.api_as(admin).audit_events(&query).ok().await.items
}

pub(crate) async fn receiver(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(status).set_body_string("thanks"))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn events_arrive_signed_as_the_standard_says_and_the_reference_library_verifies_them() {
    let (app, admin) = app_allowing_loopback().await;
    let api = app.api_as(&admin);
    let receiver = receiver(200).await;
    let loan_system = NewWebhookEndpoint {
        description: "Loan system".to_owned(),
        ..endpoint_at(&format!("{}/hooks", receiver.uri()), &[])
    };
    let created = api.create_webhook_endpoint(&loan_system).expect(201).await;
    let secret = created.secret;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let endpoint = created.webhook_endpoint.id;
    assert!(created.webhook_endpoint.event_types.is_empty());
    assert!(created.webhook_endpoint.enabled);
    // The secret is shown once: never again.
    for shown in [
        api.webhook_endpoints().send().await.text().await,
        api.webhook_endpoint(&endpoint).send().await.text().await,
    ] {
        assert!(
            !shown.contains(&secret[6..]),
            "the secret is shown: {shown}"
        );
        assert!(shown.contains("Loan system"));
    }

    let company = refreshed_company(&app, "Aldgate Bakery Ltd").await;
    let outcomes = outbox_worker(&app, |_| {}).drain().await.unwrap();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");

    let received = receiver.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    let mut types = Vec::new();
    for request in &received {
        assert_eq!(header(request, "content-type"), "application/json");
        let headers = signed_headers(request);
        assert!(headers[0].1.starts_with("msg_"));
        let sent_at: i64 = headers[1].1.parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 60);
        assert!(headers[2].1.starts_with("v1,"));
        assert!(!headers[2].1.contains(' '), "one secret, one signature");
        let payload = verify_independently(&secret, &headers, &body(request)).unwrap();
        assert_eq!(payload["data"]["company"]["id"], company.to_string());
        assert_eq!(payload["data"]["company"]["name"], "Aldgate Bakery Ltd");
        assert!(payload["timestamp"].as_str().unwrap().ends_with('Z'));
        types.push(payload["type"].as_str().unwrap().to_owned());
        if payload["type"] == "company.status_changed" {
            assert_eq!(payload["data"]["status"], "available");
            assert_eq!(payload["data"]["previous_status"], "requested");
        } else {
            assert!(payload["data"]["refresh"]["id"].is_string());
            assert!(payload["data"]["data_updated_at"].is_string());
        }
        // The verifier is not a rubber stamp: another secret, or a changed body, fails.
        let other = webhooks::Secret::generate();
        assert!(verify_independently(&other, &headers, &body(request)).is_err());
        let tampered = body(request).replace("Aldgate", "Algate");
        assert!(verify_independently(&secret, &headers, &tampered).is_err());
    }
    types.sort();
    assert_eq!(types, ["company.status_changed", "refresh.succeeded"]);

    let log = api.webhook_deliveries(&endpoint).ok().await;
    assert_eq!(log.items.len(), 2);
    for delivery in &log.items {
        assert_eq!(delivery.state, WebhookDeliveryState::Succeeded);
        assert_eq!(delivery.last_status, Some(200));
        assert!(delivery.message_id.starts_with("msg_"));
        let attempts = &delivery.attempts;
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].attempt, 1);
        assert_eq!(attempts[0].response_status, Some(200));
        assert_eq!(attempts[0].response_body.as_deref(), Some("thanks"));
    }

    assert_eq!(
        audited(&app, &admin, AuditAction::WebhookEndpointCreated)
            .await
            .len(),
        1
    );
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("spendlens_webhook_deliveries{state=\"succeeded\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_failed_delivery_is_retried_on_the_schedule_with_the_same_id_until_it_arrives() {
    let (app, admin) = app_allowing_loopback().await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("database down"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .with_priority(2)
        .mount(&receiver)
        .await;
    let api = app.api_as(&admin);
    let (endpoint, secret) =
        subscribe(&app, &admin, &receiver, &[EventType::RefreshSucceeded]).await;
    refreshed_company(&app, "Borough Market Traders").await;
    let worker = outbox_worker(&app, |config| config.schedule = seconds(&[0, 2, 2]));

    // The first attempt fails: queued again, 2 s later (the schedule's second delay).
    worker.dispatch_once().await.unwrap();
    let first = worker.deliver_once().await.unwrap();
    assert!(
        matches!(first[..], [(_, outbox::DeliveryOutcome::Retrying(_))]),
        "{first:?}"
    );
    let log = api.webhook_deliveries(&endpoint).ok().await;
    let delivery = &log.items[0];
    assert_eq!(delivery.state, WebhookDeliveryState::Queued);
    assert_eq!(delivery.last_status, Some(500));
    let failed_at = delivery.attempts[0].at;
    let next = delivery.next_attempt_at.expect("a next attempt");
    let wait = (next - failed_at).num_milliseconds();
    assert!((1500..=2500).contains(&wait), "{wait} ms");
    assert_eq!(
        delivery.attempts[0].response_body.as_deref(),
        Some("database down")
    );
    // Not due yet.
    assert!(worker.deliver_once().await.unwrap().is_empty());

    app.advance_clock(chrono::Duration::milliseconds(2100));
    let second = worker.deliver_once().await.unwrap();
    assert_eq!(second[0].1, outbox::DeliveryOutcome::Delivered);

    let received = receiver.received_requests().await.unwrap();
    assert_eq!(
        received.len(),
        2,
        "one event (the filter leaves status changes out), twice"
    );
    assert_eq!(
        header(&received[0], "webhook-id"),
        header(&received[1], "webhook-id")
    );
    assert_eq!(body(&received[0]), body(&received[1]));
    for request in &received {
        let payload =
            verify_independently(&secret, &signed_headers(request), &body(request)).unwrap();
        assert_eq!(payload["type"], "refresh.succeeded");
    }
    let log = api.webhook_deliveries(&endpoint).ok().await;
    assert_eq!(log.items.len(), 1);
    let delivery = &log.items[0];
    assert_eq!(delivery.state, WebhookDeliveryState::Succeeded);
    assert_eq!(delivery.next_attempt_at, None);
    let statuses: Vec<Option<u16>> = delivery
        .attempts
        .iter()
        .map(|a| a.response_status)
        .collect();
    assert_eq!(statuses, [Some(500), Some(204)]);
    let endpoint = api.webhook_endpoint(&endpoint).ok().await;
    assert_eq!(
        endpoint.failing_since, None,
        "a success ends the failing streak"
    );
}

#[tokio::test]
async fn gone_disables_the_endpoint_with_its_reason_until_an_admin_enables_it() {
    let (app, admin) = app_allowing_loopback().await;
    let api = app.api_as(&admin);
    let receiver = receiver(410).await;
    let (endpoint, _) = subscribe(&app, &admin, &receiver, &[EventType::RefreshSucceeded]).await;
    let company = refreshed_company(&app, "Camden Lock Supplies").await;
    let worker = outbox_worker(&app, |_| {});
    let outcomes = worker.drain().await.unwrap();
    assert!(
        matches!(outcomes[..], [(_, outbox::DeliveryOutcome::Failed(_))]),
        "{outcomes:?}"
    );
    assert_eq!(
        receiver.received_requests().await.unwrap().len(),
        1,
        "410 is not retried"
    );

    let disabled = api.webhook_endpoint(&endpoint).ok().await;
    assert!(!disabled.enabled);
    assert!(
        disabled
            .disabled_reason
            .as_deref()
            .unwrap()
            .contains("410 Gone"),
        "{disabled:?}"
    );
    assert!(disabled.disabled_at.is_some());
    let audit = audited(&app, &admin, AuditAction::WebhookEndpointDisabled).await;
    assert_eq!(audit[0].actor_kind, "system");

    // Nothing more is sent to it, and replaying is refused while it is disabled.
    refresh_again(&app, company).await;
    worker.drain().await.unwrap();
    assert_eq!(receiver.received_requests().await.unwrap().len(), 1);
    let log = api.webhook_deliveries(&endpoint).ok().await;
    api.replay_webhook_delivery(&endpoint, &log.items[0].id)
        .problem(409)
        .await;

    let enable = WebhookEndpointUpdate {
        enabled: Some(true),
        ..WebhookEndpointUpdate::default()
    };
    let enabled = api.update_webhook_endpoint(&endpoint, &enable).ok().await;
    assert!(enabled.enabled);
    assert_eq!(enabled.disabled_reason, None);
}

#[tokio::test]
async fn an_endpoint_whose_messages_keep_failing_is_disabled() {
    let (app, admin) = app_allowing_loopback().await;
    let api = app.api_as(&admin);
    let receiver = receiver(503).await;
    let (endpoint, _) = subscribe(&app, &admin, &receiver, &[EventType::RefreshSucceeded]).await;
    let worker = outbox_worker(&app, |config| {
        config.schedule = seconds(&[0, 0]);
        config.disable.failed_deliveries = 2;
    });
    let company = refreshed_company(&app, "Deptford Tiles").await;
    worker.drain().await.unwrap();
    let after_one = api.webhook_endpoint(&endpoint).ok().await;
    assert!(after_one.enabled, "one failed message is not enough");
    assert!(after_one.failing_since.is_some());

    refresh_again(&app, company).await;
    worker.drain().await.unwrap();
    assert_eq!(
        receiver.received_requests().await.unwrap().len(),
        4,
        "2 messages × 2 attempts"
    );
    let disabled = api.webhook_endpoint(&endpoint).ok().await;
    assert!(!disabled.enabled);
    let reason = disabled.disabled_reason.unwrap();
    assert!(reason.contains("2 messages in a row"), "{reason}");
    assert!(reason.contains("HTTP 503"), "{reason}");
    for delivery in api.webhook_deliveries(&endpoint).ok().await.items {
        assert_eq!(delivery.state, WebhookDeliveryState::Failed);
        assert_eq!(delivery.attempts.len(), 2);
    }
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("spendlens_webhook_deliveries{state=\"failed\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_replay_sends_the_same_message_again_as_a_new_delivery() {
    let (app, admin) = app_allowing_loopback().await;
    let api = app.api_as(&admin);
    let receiver = receiver(200).await;
    let (endpoint, secret) =
        subscribe(&app, &admin, &receiver, &[EventType::RefreshSucceeded]).await;
    refreshed_company(&app, "Erith Joinery").await;
    let worker = outbox_worker(&app, |_| {});
    worker.drain().await.unwrap();
    let original = api.webhook_deliveries(&endpoint).ok().await.items[0].clone();

    let replayed = api
        .replay_webhook_delivery(&endpoint, &original.id)
        .expect(202)
        .await;
    assert_eq!(replayed.state, WebhookDeliveryState::Queued);
    assert_eq!(replayed.replay_of.as_ref(), Some(&original.id));
    assert_eq!(replayed.message_id, original.message_id);
    worker.drain().await.unwrap();

    let received = receiver.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    assert_eq!(header(&received[1], "webhook-id"), original.message_id);
    assert_eq!(body(&received[0]), body(&received[1]));
    verify_independently(&secret, &signed_headers(&received[1]), &body(&received[1])).unwrap();
    let items = api.webhook_deliveries(&endpoint).ok().await.items;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].id, replayed.id);
    assert_eq!(items[0].state, WebhookDeliveryState::Succeeded);
    assert_eq!(
        audited(&app, &admin, AuditAction::WebhookDeliveryReplayed)
            .await
            .len(),
        1
    );

    // Another endpoint's delivery, or an unknown one, is not found.
    api.replay_webhook_delivery(
        &endpoint,
        &domain::WebhookDeliveryId::from_uuid(uuid::Uuid::now_v7()),
    )
    .problem(404)
    .await;
}

#[tokio::test]
async fn during_a_rotation_messages_carry_a_signature_for_each_secret() {
    let (app, admin) = app_allowing_loopback().await;
    let api = app.api_as(&admin);
    let receiver = receiver(200).await;
    let (endpoint, old) = subscribe(&app, &admin, &receiver, &[EventType::RefreshSucceeded]).await;
    let rotated = api.rotate_webhook_secret(&endpoint).expect(200).await;
    let new = rotated.secret;
    assert!(new.starts_with("whsec_"));
    assert_ne!(new, old);
    let until = rotated.previous_secret_expires_at;
    assert!(
        (until - chrono::Utc::now() - chrono::Duration::hours(24))
            .num_seconds()
            .abs()
            < 60
    );
    let shown = api.webhook_endpoint(&endpoint).ok().await;
    assert_eq!(shown.previous_secret_expires_at, Some(until));
    let shown = api.webhook_endpoint(&endpoint).send().await.text().await;
    assert!(!shown.contains(&new[6..]));

    refreshed_company(&app, "Fulham Fabrics").await;
    outbox_worker(&app, |_| {}).drain().await.unwrap();
    let received = receiver.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    let headers = signed_headers(request);
    let signatures: Vec<String> = headers[2].1.split(' ').map(str::to_owned).collect();
    assert_eq!(signatures.len(), 2, "{}", headers[2].1);
    // Each signature verifies alone, the first with the new secret, the second with the
    // old one; neither with the other's secret.
    let only = |signature: &str| {
        let mut headers = headers.clone();
        headers[2].1 = signature.to_owned();
        headers
    };
    let body = body(request);
    verify_independently(&new, &only(&signatures[0]), &body).unwrap();
    verify_independently(&old, &only(&signatures[1]), &body).unwrap();
    assert!(verify_independently(&old, &only(&signatures[0]), &body).is_err());
    assert!(verify_independently(&new, &only(&signatures[1]), &body).is_err());
    // A receiver holding either secret accepts the message as sent.
    verify_independently(&new, &headers, &body).unwrap();
    verify_independently(&old, &headers, &body).unwrap();
    assert_eq!(
        audited(&app, &admin, AuditAction::WebhookEndpointSecretRotated)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn endpoints_on_private_addresses_are_refused_unless_allowed() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let api = app.api_as(&admin);
    for (url, says) in [
        ("https://127.0.0.1/hooks", "127.0.0.1 is a loopback address"),
        ("https://10.1.2.3/hooks", "a private address"),
        ("https://172.20.0.5/hooks", "a private address"),
        ("https://192.168.0.10/hooks", "a private address"),
        (
            "https://169.254.169.254/latest/meta-data",
            "a link-local address",
        ),
        ("https://[::1]:8443/hooks", "a loopback address"),
        ("https://[fd00::1]/hooks", "a unique-local address"),
        ("https://0.0.0.0/hooks", "an unspecified address"),
        (
            "https://localhost/hooks",
            "localhost resolves to a non-public address",
        ),
        ("https://[::ffff:10.0.0.1]/hooks", "a private address"),
        ("https://[64:ff9b::7f00:1]/hooks", "a loopback address"),
        (
            "https://[64:ff9b:1::808:808]/hooks",
            "a local-use NAT64 address",
        ),
        ("http://1.1.1.1/hooks", "must start with https://"),
        ("not a url", "is not a valid URL"),
    ] {
        let problem = api
            .create_webhook_endpoint(&endpoint_at(url, &[]))
            .problem(422)
            .await;
        assert_eq!(problem.errors[0].field, "url", "{url}");
        let message = &problem.errors[0].message;
        assert!(message.contains(says), "{url}: {message}");
        if url.contains("localhost") {
            // What the name resolves to is not said.
            for address in ["127.0.0.1", "::1", "loopback"] {
                assert!(!message.contains(address), "{url}: {message}");
            }
        }
    }
    assert!(api.webhook_endpoints().ok().await.items.is_empty());

    // A change of URL is checked the same way.
    let endpoint = api
        .create_webhook_endpoint(&endpoint_at("https://1.1.1.1/hooks", &[]))
        .expect(201)
        .await
        .webhook_endpoint
        .id;
    let moved = WebhookEndpointUpdate {
        url: Some("https://localhost:9/hooks".to_owned()),
        ..WebhookEndpointUpdate::default()
    };
    let problem = api
        .update_webhook_endpoint(&endpoint, &moved)
        .problem(422)
        .await;
    let message = &problem.errors[0].message;
    assert!(
        message.contains("localhost resolves to a non-public address")
            && !message.contains("127.0.0.1"),
        "{message}"
    );
    let kept = api.webhook_endpoint(&endpoint).ok().await;
    assert_eq!(kept.url, "https://1.1.1.1/hooks");
}

/// A name that resolved to a public address when the endpoint was saved may resolve to
/// a private one later (DNS rebinding): every delivery checks again, after resolving,
/// and nothing is sent.
#[tokio::test]
async fn deliveries_check_the_address_again_and_send_nothing_to_a_private_one() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let receiver = receiver(200).await;
    // Stored directly, as if the name had resolved elsewhere when it was saved.
    let url = format!("https://localhost:{}/hooks", receiver.address().port());
    let endpoint = app
        .store
        .create_webhook_endpoint(
            app.organization,
            store::NewWebhookEndpoint {
                url,
                description: String::new(),
                event_types: vec![domain::EventType::RefreshSucceeded],
                secret: webhooks::Secret::generate(),
            },
        )
        .await
        .unwrap();
    refreshed_company(&app, "Greenwich Glass").await;
    let outcomes = outbox_worker(&app, |config| {
        config.sender.allow_private = false;
        config.schedule = seconds(&[0]);
    })
    .drain()
    .await
    .unwrap();
    assert!(
        matches!(outcomes[..], [(_, outbox::DeliveryOutcome::Failed(_))]),
        "{outcomes:?}"
    );
    assert!(receiver.received_requests().await.unwrap().is_empty());
    let log = app
        .api_as(&admin)
        .webhook_deliveries(&domain::WebhookEndpointId::from_uuid(endpoint.id))
        .ok()
        .await;
    let attempt = &log.items[0].attempts[0];
    assert_eq!(attempt.response_status, None);
    let error = attempt.error.as_deref().unwrap();
    assert!(
        error.contains("Refused") && error.contains("localhost resolves to a non-public address"),
        "{error}"
    );
    // The delivery log does not say where the name points.
    for address in ["127.0.0.1", "::1", "loopback"] {
        assert!(!error.contains(address), "{error}");
    }
}

#[tokio::test]
async fn relationship_managers_and_api_keys_cannot_manage_webhooks() {
    let app = spawn_app().await;
    let rm = app.signed_in_manager().await;
    let endpoint = endpoint_at("https://1.1.1.1/hooks", &[]);
    let as_rm = app.api_as(&rm);
    as_rm.create_webhook_endpoint(&endpoint).problem(403).await;
    app.api()
        .create_webhook_endpoint(&endpoint)
        .problem(403)
        .await;
    as_rm.webhook_endpoints().problem(403).await;
    assert!(
        app.store
            .webhook_endpoints(app.organization)
            .await
            .unwrap()
            .is_empty()
    );
}
