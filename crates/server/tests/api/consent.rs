//! Request information → the email arrives on a real SMTP server → the customer's link
//! → grant (data fetched, Available) or exit (Error, customer_declined).

use std::{
    net::TcpListener,
    sync::{Arc, Mutex},
    time::Duration,
};

use domain::{CompanyId, DataType};
use mail::{EmailOutcome, MailConfig, MailWorker, Transport};
use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_with};

/// An SMTP server on loopback that keeps what it receives (or refuses recipients).
#[derive(Clone)]
struct Sink {
    current: Vec<u8>,
    received: Arc<Mutex<Vec<String>>>,
    refuse_recipients: bool,
}

impl Handler for Sink {
    fn rcpt(&mut self, _to: &str) -> Response {
        if self.refuse_recipients {
            response::NO_MAILBOX
        } else {
            response::OK
        }
    }

    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> Response {
        self.current.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let message = String::from_utf8_lossy(&self.current).into_owned();
        self.received.lock().unwrap().push(message);
        response::OK
    }
}

fn start_smtp(listener: TcpListener, refuse_recipients: bool) -> Arc<Mutex<Vec<String>>> {
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink {
        current: Vec::new(),
        received: received.clone(),
        refuse_recipients,
    };
    // mailin's server is blocking and its error is not Send: it gets its own thread.
    std::thread::spawn(move || {
        let mut server = Server::new(sink);
        server
            .with_name("smtp.test")
            .with_ssl(SslConfig::None)
            .expect("no TLS")
            .with_tcp_listener(listener);
        let _ = server.serve();
    });
    received
}

fn mail_worker(app: &TestApp, smtp_port: u16) -> MailWorker {
    let transport = Transport::from_config(
        Some(&format!("smtp://127.0.0.1:{smtp_port}")),
        std::env::temp_dir(),
    )
    .expect("valid SMTP URL");
    MailWorker::new(
        app.store.clone(),
        transport,
        MailConfig {
            retry_base: Duration::ZERO,
            max_attempts: 3,
            ..MailConfig::default()
        },
    )
}

/// The token in the link of a received message (quoted-printable soft breaks undone).
fn token_in(message: &str) -> String {
    let unfolded = message.replace("=\r\n", "");
    let start = unfolded.find("/connect/").expect("a link in the email") + "/connect/".len();
    unfolded[start..start + 43].to_owned()
}

async fn company_json(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/companies/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

async fn assigned_company(app: &TestApp, name: &str) -> Value {
    let email = domain::EmailAddress::parse("alex.morgan@bank.example").unwrap();
    let rm = app
        .store
        .create_user(
            app.organization,
            &email,
            "Alex Morgan",
            "relationship_manager",
        )
        .await
        .unwrap();
    let response = app
        .post_json(
            "/api/v1/companies",
            &json!({"name": name, "contact_name": "Priya Shah", "contact_email": "priya@client.example",
                    "data_types": ["financials", "spend_detail"], "assignee_ids": [rm.id]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_emailed_link_leads_through_consent_to_available_data() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = start_smtp(listener, false);
    let app = spawn_app().await;
    let company = assigned_company(&app, "Aldgate Bakery Ltd").await;
    let id = company["id"].as_str().unwrap();

    let response = app
        .post_json(
            &format!("/api/v1/companies/{id}/information-requests"),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let request: Value = response.json().await.unwrap();
    assert_eq!(request["status"], "pending");
    assert_eq!(
        request["link"],
        Value::Null,
        "an emailed link is only in the email"
    );
    assert_eq!(company_json(&app, id).await["status"], "requested");

    let (_, outcome) = mail_worker(&app, port)
        .run_once()
        .await
        .unwrap()
        .expect("an email was queued");
    assert_eq!(outcome, EmailOutcome::Sent);
    let messages = received.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    for needle in [
        "To: \"Priya Shah\" <priya@client.example>",
        "From: \"Demo Bank\" <no-reply@bank.example>",
        "Subject: test-bank asks Aldgate Bakery Ltd to share its accounting data",
        "multipart/alternative",
        "text/html",
        "Alex Morgan",
        "http://portal.test/connect/",
    ] {
        assert!(message.contains(needle), "{needle:?} not in:\n{message}");
    }
    let token = token_in(message);

    let consent: Value = app
        .get(&format!("/api/v1/consent/{token}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(consent["organization_name"], "test-bank");
    assert_eq!(consent["company_name"], "Aldgate Bakery Ltd");
    assert_eq!(consent["requested_data"][0]["label"], "Financials");
    assert_eq!(consent["requested_data"][1]["contents"][0], "Suppliers");
    assert_eq!(consent["platforms"][0]["id"], "sandbox");

    let granted = app
        .post_json(
            &format!("/api/v1/consent/{token}/grant"),
            &json!({"platform": "sandbox"}),
        )
        .await;
    assert_eq!(granted.status(), 200);
    let granted: Value = granted.json().await.unwrap();
    assert_eq!(granted["status"], "granted");

    // The first fetch was queued by the grant itself.
    let during = company_json(&app, id).await;
    assert_eq!(during["refresh"]["trigger"], "consent");
    assert_eq!(during["platform"], "sandbox");
    app.instant_worker()
        .run_once()
        .await
        .unwrap()
        .expect("the first fetch ran");
    let after = company_json(&app, id).await;
    assert_eq!(after["status"], "available");
    let reports: Value = app
        .get(&format!("/api/v1/companies/{id}/reports"))
        .await
        .json()
        .await
        .unwrap();
    // Five fetched, and the spend analysis and ageing made from the spend detail.
    assert_eq!(reports["items"].as_array().unwrap().len(), 7);

    // The link is spent: every use is refused and nothing changes.
    let again = assert_problem(app.get(&format!("/api/v1/consent/{token}")).await, 410).await;
    assert!(again["type"].as_str().unwrap().ends_with("/link-used"));
    assert_problem(
        app.post_json(
            &format!("/api/v1/consent/{token}/grant"),
            &json!({"platform": "sandbox"}),
        )
        .await,
        410,
    )
    .await;
    assert_problem(
        app.client
            .post(app.url(&format!("/api/v1/consent/{token}/decline")))
            .send()
            .await
            .unwrap(),
        410,
    )
    .await;
    assert_eq!(company_json(&app, id).await["status"], "available");
}

#[tokio::test]
async fn exiting_without_granting_shows_customer_declined() {
    let app = spawn_app().await;
    let company = app
        .create_company("Northgate Recruitment", &[DataType::Financials])
        .await;
    let id = &company.id.to_string();
    let response = app
        .post_json(
            &format!("/api/v1/companies/{id}/information-requests"),
            &json!({"delivery": "link"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let request: Value = response.json().await.unwrap();
    let link = request["link"].as_str().unwrap();
    assert!(link.starts_with("http://portal.test/connect/"));
    let token = &link["http://portal.test/connect/".len()..];
    assert_eq!(company_json(&app, id).await["status"], "requested");
    let company_id: CompanyId = id.parse().unwrap();
    assert!(
        app.store
            .emails_for_company(company_id)
            .await
            .unwrap()
            .is_empty(),
        "Copy link sends nothing"
    );

    let declined = app
        .client
        .post(app.url(&format!("/api/v1/consent/{token}/decline")))
        .send()
        .await
        .unwrap();
    assert_eq!(declined.status(), 200);
    let after = company_json(&app, id).await;
    assert_eq!(after["status"], "error");
    assert_eq!(after["error"]["code"], "customer_declined");
    assert_eq!(
        after["error"]["message"],
        "The customer exited the authorization without granting access. Send a new request."
    );
    assert_eq!(after["refresh"], Value::Null);
    assert_problem(
        app.post_json(
            &format!("/api/v1/consent/{token}/grant"),
            &json!({"platform": "sandbox"}),
        )
        .await,
        410,
    )
    .await;
    assert_eq!(
        company_json(&app, id).await["platform"],
        Value::Null,
        "nothing was connected"
    );
    // Refresh has nothing to fetch: the remedy is a new request.
    assert_problem(
        app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
            .await,
        409,
    )
    .await;
}

#[tokio::test]
async fn a_new_request_replaces_the_previous_link() {
    let app = spawn_app().await;
    let company = app
        .create_company("Kingsway Motors", &[DataType::SpendDetail])
        .await;
    let first = app.link_token(company.id).await;
    let second = app.link_token(company.id).await;
    let old = assert_problem(app.get(&format!("/api/v1/consent/{first}")).await, 410).await;
    assert!(old["type"].as_str().unwrap().ends_with("/link-superseded"));
    assert_eq!(
        app.get(&format!("/api/v1/consent/{second}")).await.status(),
        200
    );
}

#[tokio::test]
async fn unknown_malformed_and_tampered_tokens_change_nothing() {
    let app = spawn_app().await;
    let company = app
        .create_company("Juniper Health Clinics", &[DataType::Financials])
        .await;
    let id = &company.id.to_string();
    let token = app.link_token(company.id).await;
    let mut tampered = token.clone().into_bytes();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [
        tampered.as_str(),
        "short",
        &"x".repeat(43),
        &format!("{token}x"),
    ] {
        let problem = assert_problem(app.get(&format!("/api/v1/consent/{bad}")).await, 404).await;
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .ends_with("/link-not-found"),
            "{problem}"
        );
        assert_problem(
            app.post_json(
                &format!("/api/v1/consent/{bad}/grant"),
                &json!({"platform": "sandbox"}),
            )
            .await,
            404,
        )
        .await;
        assert_problem(
            app.client
                .post(app.url(&format!("/api/v1/consent/{bad}/decline")))
                .send()
                .await
                .unwrap(),
            404,
        )
        .await;
    }
    let problem = assert_problem(
        app.post_json(
            &format!("/api/v1/consent/{token}/grant"),
            &json!({"platform": "excel"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "platform");
    assert_eq!(
        company_json(&app, id).await["status"],
        "requested",
        "nothing changed"
    );
    assert_eq!(
        app.get(&format!("/api/v1/consent/{token}")).await.status(),
        200,
        "the real link still works"
    );
}

#[tokio::test]
async fn an_expired_link_is_refused_and_the_company_shows_link_expired() {
    let app = spawn_app_with(|s| s.link_ttl = chrono::Duration::milliseconds(300)).await;
    let opened = app
        .create_company("Larkspur Software Ltd", &[DataType::SpendDetail])
        .await;
    let swept = app
        .create_company("Millbrook Dairy Farms", &[DataType::Financials])
        .await;
    let mut tokens = Vec::new();
    for company in [&opened, &swept] {
        tokens.push(app.link_token(company.id).await);
    }
    tokio::time::sleep(Duration::from_millis(400)).await;

    // Opened after expiry: refused, and the company shows why.
    let problem = assert_problem(
        app.get(&format!("/api/v1/consent/{}", tokens[0])).await,
        410,
    )
    .await;
    assert!(problem["type"].as_str().unwrap().ends_with("/link-expired"));
    let company = company_json(&app, &opened.id.to_string()).await;
    assert_eq!(company["status"], "error");
    assert_eq!(company["error"]["code"], "link_expired");
    assert_problem(
        app.post_json(
            &format!("/api/v1/consent/{}/grant", tokens[0]),
            &json!({"platform": "sandbox"}),
        )
        .await,
        410,
    )
    .await;

    // Never opened: the mail worker's sweep expires it.
    assert_eq!(app.store.expire_information_requests(100).await.unwrap(), 1);
    let company = company_json(&app, &swept.id.to_string()).await;
    assert_eq!(company["error"]["code"], "link_expired");
}

#[tokio::test]
async fn the_preview_shows_the_email_and_changes_nothing() {
    let app = spawn_app().await;
    let company = assigned_company(&app, "Foxglove <Garden> Centres").await;
    let id = company["id"].as_str().unwrap();
    let response = app
        .post_json(
            &format!("/api/v1/companies/{id}/information-requests"),
            &json!({"preview": true}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let preview: Value = response.json().await.unwrap();
    assert_eq!(preview["to"], "priya@client.example");
    assert_eq!(preview["from"], "Demo Bank <no-reply@bank.example>");
    assert!(
        preview["subject"]
            .as_str()
            .unwrap()
            .contains("Foxglove <Garden> Centres")
    );
    assert!(
        preview["html"]
            .as_str()
            .unwrap()
            .contains("Foxglove &lt;Garden&gt; Centres")
    );
    assert!(
        preview["text"]
            .as_str()
            .unwrap()
            .contains("Alex Morgan at test-bank")
    );
    assert_eq!(company_json(&app, id).await["status"], Value::Null);
    let company_id: CompanyId = id.parse().unwrap();
    assert!(
        app.store
            .emails_for_company(company_id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        app.store
            .information_requests(company_id)
            .await
            .unwrap()
            .is_empty()
    );
    let problem = assert_problem(
        app.post_json(
            &format!("/api/v1/companies/{id}/information-requests"),
            &json!({"delivery": "fax"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "delivery");
}

#[tokio::test]
async fn smtp_down_at_send_time_is_retried_and_delivers_exactly_once() {
    // A port with nothing listening yet.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app().await;
    let company = app
        .create_company("Harbourside Hotels Ltd", &[DataType::Financials])
        .await;
    let id = &company.id.to_string();
    app.post_json(
        &format!("/api/v1/companies/{id}/information-requests"),
        &json!({}),
    )
    .await;
    let worker = mail_worker(&app, port);
    let (_, outcome) = worker.run_once().await.unwrap().expect("queued");
    assert!(matches!(outcome, EmailOutcome::Retrying(_)), "{outcome:?}");
    let company_id: CompanyId = id.parse().unwrap();
    let email = &app.store.emails_for_company(company_id).await.unwrap()[0];
    assert_eq!(email.state, "queued");
    assert!(email.last_error.is_some());

    let received = start_smtp(TcpListener::bind(("127.0.0.1", port)).unwrap(), false);
    let (_, outcome) = worker.run_once().await.unwrap().expect("due again");
    assert_eq!(outcome, EmailOutcome::Sent);
    assert!(
        worker.run_once().await.unwrap().is_none(),
        "nothing left to send"
    );
    assert_eq!(
        received.lock().unwrap().len(),
        1,
        "one email for one request"
    );
    assert_eq!(
        app.store.emails_for_company(company_id).await.unwrap()[0].state,
        "sent"
    );
    assert_eq!(company_json(&app, id).await["status"], "requested");
}

#[tokio::test]
async fn an_email_the_server_refuses_marks_the_company_undeliverable() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    start_smtp(listener, true);
    let app = spawn_app().await;
    let company = app
        .create_company("Oakridge Builders Merchants", &[DataType::SpendDetail])
        .await;
    let id = &company.id.to_string();
    app.post_json(
        &format!("/api/v1/companies/{id}/information-requests"),
        &json!({}),
    )
    .await;
    let (_, outcome) = mail_worker(&app, port)
        .run_once()
        .await
        .unwrap()
        .expect("queued");
    assert!(matches!(outcome, EmailOutcome::Failed(_)), "{outcome:?}");
    let after = company_json(&app, id).await;
    assert_eq!(after["status"], "error");
    assert_eq!(after["error"]["code"], "email_undeliverable");
}

#[tokio::test]
async fn without_smtp_emails_land_in_the_outbox() {
    let outbox = tempfile::tempdir().unwrap();
    let app = spawn_app().await;
    let company = app
        .create_company("Quayside Seafoods", &[DataType::Financials])
        .await;
    let id = &company.id.to_string();
    app.post_json(
        &format!("/api/v1/companies/{id}/information-requests"),
        &json!({}),
    )
    .await;
    let worker = MailWorker::new(
        app.store.clone(),
        Transport::from_config(None, outbox.path().to_owned()).unwrap(),
        MailConfig::default(),
    );
    let (email, outcome) = worker.run_once().await.unwrap().expect("queued");
    assert_eq!(outcome, EmailOutcome::Sent);
    let written = std::fs::read_to_string(outbox.path().join(format!("{email}.eml"))).unwrap();
    assert!(
        written.contains("To: \"Jane Doe\" <jane@example.com>"),
        "{written}"
    );
    assert!(token_in(&written).len() == 43);
}

#[tokio::test]
async fn an_email_whose_sender_died_mid_send_is_sent_by_another_worker() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = start_smtp(listener, false);
    let app = spawn_app().await;
    let company = app
        .create_company("Greyfriars Printing Co", &[DataType::Financials])
        .await;
    let id = &company.id.to_string();
    app.post_json(
        &format!("/api/v1/companies/{id}/information-requests"),
        &json!({}),
    )
    .await;
    // A worker claims the email and dies before sending it (process killed).
    let claimed = app
        .store
        .claim_next_email("dead-worker", chrono::Duration::milliseconds(300))
        .await
        .unwrap()
        .expect("queued");
    let worker = mail_worker(&app, port);
    assert!(
        worker.run_once().await.unwrap().is_none(),
        "still leased to the dead worker"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (email, outcome) = worker.run_once().await.unwrap().expect("the lease expired");
    assert_eq!(email, claimed.id);
    assert_eq!(outcome, EmailOutcome::Sent);
    assert_eq!(received.lock().unwrap().len(), 1);
    // The dead worker cannot record anything any more.
    assert!(
        !app.store
            .email_sent(claimed.id, "dead-worker")
            .await
            .unwrap()
    );
}
