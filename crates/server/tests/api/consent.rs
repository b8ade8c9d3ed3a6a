//! Request information → the email arrives on a real SMTP server → the customer's link
//! → grant (data fetched, Available) or exit (Error, customer_declined).

use std::{
    net::TcpListener,
    sync::{Arc, Mutex},
    time::Duration,
};

use api_types::{
    Company, Delivery, InformationRequest, InformationRequestStatus, NewCompany,
    NewInformationRequest,
};
use domain::{
    CompanyId, DataStatus,
    DataType::{Financials, SpendDetail},
    ErrorCode, RefreshTrigger, UserId,
};
use mail::{EmailOutcome, MailConfig, MailWorker, Transport};
use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use serde_json::json;

use crate::helpers::{TestApp, error_code, new_company, spawn_app, spawn_app_with};

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

/// [`start_smtp`] on a port of its own: answers the port and what it receives.
fn smtp_on_a_free_port(refuse_recipients: bool) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (port, start_smtp(listener, refuse_recipients))
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

async fn assigned_company(app: &TestApp, name: &str) -> Company {
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
    let company = NewCompany {
        contact_name: "Priya Shah".to_owned(),
        contact_email: "priya@client.example".to_owned(),
        assignee_ids: vec![UserId::from_uuid(rm.id)],
        ..new_company(name, &[Financials, SpendDetail])
    };
    app.api().create_company(&company).expect(201).await
}

/// Emails the company's contact a link, as "Request information" does.
async fn email_request(app: &TestApp, id: CompanyId) -> InformationRequest {
    app.api()
        .request_information(id, &NewInformationRequest::default())
        .expect(201)
        .await
}

#[tokio::test]
async fn the_emailed_link_leads_through_consent_to_available_data() {
    let (port, received) = smtp_on_a_free_port(false);
    let app = spawn_app().await;
    let (api, customer) = (app.api(), app.public_api());
    let id = assigned_company(&app, "Aldgate Bakery Ltd").await.id;

    let request = email_request(&app, id).await;
    assert_eq!(request.status, InformationRequestStatus::Pending);
    assert_eq!(request.link, None, "an emailed link is only in the email");
    assert_eq!(
        api.company(id).ok().await.status,
        Some(DataStatus::Requested)
    );

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

    let consent = customer.consent(&token).ok().await;
    assert_eq!(consent.organization_name, "test-bank");
    assert_eq!(consent.company_name, "Aldgate Bakery Ltd");
    assert_eq!(consent.requested_data[0].label, "Financials");
    assert_eq!(consent.requested_data[1].contents[0], "Suppliers");
    assert_eq!(consent.platforms[0].id, "sandbox");

    let granted = customer.grant_consent(&token, "sandbox").expect(200).await;
    assert_eq!(granted.status, InformationRequestStatus::Granted);

    // The first fetch was queued by the grant itself.
    let during = api.company(id).ok().await;
    assert_eq!(
        during.refresh.map(|r| r.trigger),
        Some(RefreshTrigger::Consent)
    );
    assert_eq!(during.platform.as_deref(), Some("sandbox"));
    app.run_job().await;
    let after = api.company(id).ok().await;
    assert_eq!(after.status, Some(DataStatus::Available));
    // Five fetched, and the spend analysis and ageing made from the spend detail.
    assert_eq!(api.reports(id).ok().await.items.len(), 7);

    // The link is spent: every use is refused and nothing changes.
    let again = customer.consent(&token).problem(410).await;
    assert!(again.problem_type.ends_with("/link-used"));
    customer.grant_consent(&token, "sandbox").problem(410).await;
    customer.decline_consent(&token).problem(410).await;
    assert_eq!(
        api.company(id).ok().await.status,
        Some(DataStatus::Available)
    );
}

#[tokio::test]
async fn exiting_without_granting_shows_customer_declined() {
    let app = spawn_app().await;
    let (api, customer) = (app.api(), app.public_api());
    let id = app
        .create_company("Northgate Recruitment", &[Financials])
        .await
        .id;
    let link = NewInformationRequest {
        delivery: Delivery::Link,
        ..NewInformationRequest::default()
    };
    let request = api.request_information(id, &link).expect(201).await;
    let link = request.link.expect("a Copy link request answers its link");
    assert!(link.starts_with("http://portal.test/connect/"));
    let token = &link["http://portal.test/connect/".len()..];
    assert_eq!(
        api.company(id).ok().await.status,
        Some(DataStatus::Requested)
    );
    assert!(
        app.store
            .emails_for_company(app.organization, id)
            .await
            .unwrap()
            .is_empty(),
        "Copy link sends nothing"
    );

    customer.decline_consent(token).expect(200).await;
    let after = api.company(id).ok().await;
    assert_eq!(after.status, Some(DataStatus::Error));
    let error = after.error.expect("an error");
    assert_eq!(error.code, ErrorCode::CustomerDeclined);
    assert_eq!(
        error.message,
        "The customer exited the authorization without granting access. Send a new request."
    );
    assert_eq!(after.refresh, None);
    customer.grant_consent(token, "sandbox").problem(410).await;
    assert_eq!(
        api.company(id).ok().await.platform,
        None,
        "nothing was connected"
    );
    // Refresh has nothing to fetch: the remedy is a new request.
    api.refresh(id).problem(409).await;
}

#[tokio::test]
async fn a_new_request_replaces_the_previous_link() {
    let app = spawn_app().await;
    let id = app
        .create_company("Kingsway Motors", &[SpendDetail])
        .await
        .id;
    let first = app.link_token(id).await;
    let second = app.link_token(id).await;
    let customer = app.public_api();
    let old = customer.consent(&first).problem(410).await;
    assert!(old.problem_type.ends_with("/link-superseded"));
    customer.consent(&second).expect(200).await;
}

#[tokio::test]
async fn unknown_malformed_and_tampered_tokens_change_nothing() {
    let app = spawn_app().await;
    let customer = app.public_api();
    let id = app
        .create_company("Juniper Health Clinics", &[Financials])
        .await
        .id;
    let token = app.link_token(id).await;
    let mut tampered = token.clone().into_bytes();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [
        tampered.as_str(),
        "short",
        &"x".repeat(43),
        &format!("{token}x"),
    ] {
        let problem = customer.consent(bad).problem(404).await;
        assert!(
            problem.problem_type.ends_with("/link-not-found"),
            "{problem:?}"
        );
        customer.grant_consent(bad, "sandbox").problem(404).await;
        customer.decline_consent(bad).problem(404).await;
    }
    let problem = customer.grant_consent(&token, "excel").problem(422).await;
    assert_eq!(problem.errors[0].field, "platform");
    assert_eq!(
        app.api().company(id).ok().await.status,
        Some(DataStatus::Requested),
        "nothing changed"
    );
    let still = customer.consent(&token).send().await;
    assert_eq!(still.status(), 200, "the real link still works");
}

#[tokio::test]
async fn an_expired_link_is_refused_and_the_company_shows_link_expired() {
    let app = spawn_app_with(|s| s.link_ttl = chrono::Duration::milliseconds(300)).await;
    let (api, customer) = (app.api(), app.public_api());
    let opened = app
        .create_company("Larkspur Software Ltd", &[SpendDetail])
        .await
        .id;
    let swept = app
        .create_company("Millbrook Dairy Farms", &[Financials])
        .await
        .id;
    let mut tokens = Vec::new();
    for company in [opened, swept] {
        tokens.push(app.link_token(company).await);
    }
    app.advance_clock(chrono::Duration::minutes(61));

    // Opened after expiry: refused, and the company shows why.
    let problem = customer.consent(&tokens[0]).problem(410).await;
    assert!(problem.problem_type.ends_with("/link-expired"));
    let company = api.company(opened).ok().await;
    assert_eq!(company.status, Some(DataStatus::Error));
    assert_eq!(error_code(&company), Some(ErrorCode::LinkExpired));
    customer
        .grant_consent(&tokens[0], "sandbox")
        .problem(410)
        .await;

    // Never opened: the refresh worker's sweep expires it.
    assert_eq!(app.instant_worker().expire_links().await.unwrap(), 1);
    let company = api.company(swept).ok().await;
    assert_eq!(error_code(&company), Some(ErrorCode::LinkExpired));
}

#[tokio::test]
async fn the_preview_shows_the_email_and_changes_nothing() {
    let app = spawn_app().await;
    let api = app.api();
    let id = assigned_company(&app, "Foxglove <Garden> Centres").await.id;
    let preview = api.preview_information_request(id).expect(200).await;
    assert_eq!(preview.to, "priya@client.example");
    assert_eq!(preview.from, "Demo Bank <no-reply@bank.example>");
    assert!(preview.subject.contains("Foxglove <Garden> Centres"));
    assert!(preview.html.contains("Foxglove &lt;Garden&gt; Centres"));
    assert!(preview.text.contains("Alex Morgan at test-bank"));
    assert_eq!(api.company(id).ok().await.status, None);
    assert!(
        app.store
            .emails_for_company(app.organization, id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        app.store
            .information_requests(app.organization, id)
            .await
            .unwrap()
            .is_empty()
    );
    let problem = api
        .post::<InformationRequest>(
            &format!("/api/v1/companies/{id}/information-requests"),
            &json!({"delivery": "fax"}),
        )
        .problem(422)
        .await;
    assert_eq!(problem.errors[0].field, "delivery");
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
    let id = app
        .create_company("Harbourside Hotels Ltd", &[Financials])
        .await
        .id;
    email_request(&app, id).await;
    let worker = mail_worker(&app, port);
    let (_, outcome) = worker.run_once().await.unwrap().expect("queued");
    assert!(matches!(outcome, EmailOutcome::Retrying(_)), "{outcome:?}");
    let email = &app
        .store
        .emails_for_company(app.organization, id)
        .await
        .unwrap()[0];
    assert_eq!(email.state, store::EmailState::Queued);
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
        app.store
            .emails_for_company(app.organization, id)
            .await
            .unwrap()[0]
            .state,
        store::EmailState::Sent
    );
    assert_eq!(
        app.api().company(id).ok().await.status,
        Some(DataStatus::Requested)
    );
}

#[tokio::test]
async fn an_email_the_server_refuses_marks_the_company_undeliverable() {
    let (port, _) = smtp_on_a_free_port(true);
    let app = spawn_app().await;
    let id = app
        .create_company("Oakridge Builders Merchants", &[SpendDetail])
        .await
        .id;
    email_request(&app, id).await;
    let (_, outcome) = mail_worker(&app, port)
        .run_once()
        .await
        .unwrap()
        .expect("queued");
    assert!(matches!(outcome, EmailOutcome::Failed(_)), "{outcome:?}");
    let after = app.api().company(id).ok().await;
    assert_eq!(after.status, Some(DataStatus::Error));
    assert_eq!(error_code(&after), Some(ErrorCode::EmailUndeliverable));
}

#[tokio::test]
async fn without_smtp_emails_land_in_the_outbox() {
    let outbox = tempfile::tempdir().unwrap();
    let app = spawn_app().await;
    let id = app
        .create_company("Quayside Seafoods", &[Financials])
        .await
        .id;
    email_request(&app, id).await;
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
    let (port, received) = smtp_on_a_free_port(false);
    let app = spawn_app().await;
    let id = app
        .create_company("Greyfriars Printing Co", &[Financials])
        .await
        .id;
    email_request(&app, id).await;
    // A worker claims the email and dies before sending it (process killed).
    let claimed = app
        .store
        .claim_next_email("dead-worker", chrono::Duration::seconds(60))
        .await
        .unwrap()
        .expect("queued");
    let worker = mail_worker(&app, port);
    assert!(
        worker.run_once().await.unwrap().is_none(),
        "still leased to the dead worker"
    );
    app.advance_clock(chrono::Duration::seconds(61));
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
