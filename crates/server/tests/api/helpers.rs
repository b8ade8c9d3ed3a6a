use std::{net::TcpListener, path::PathBuf, time::Duration};

use api_types::{Company, Delivery, NewCompany, NewInformationRequest, Session};
use domain::{CompanyId, DataStatus, DataType, OrganizationId, RefreshJobId, StatusEvent};
use providers::SandboxConfig;
use refresh::{Outcome, Worker, WorkerConfig};
use server::startup::{self, Application, Settings};

use crate::client::token_of;
use store::Store;

pub struct TestApp {
    pub address: String,
    /// The app's database, for other processes to share.
    pub database_url: String,
    /// The upstream the app's `http` provider talks to, if any.
    pub http: Option<server::startup::Upstream>,
    /// The OAuth platforms the app's connector talks to, if any.
    pub connections: server::startup::ConnectionSettings,
    pub store: Store,
    pub organization: OrganizationId,
    /// Sends the test organization's API key (a relationship manager's rights).
    pub client: reqwest::Client,
    _database: TestDatabase,
}

/// A signed-in person: the session cookie and its CSRF token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub cookie: String,
    pub csrf: String,
    pub session: Session,
}

enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs outside async; a short-lived runtime on its own thread does it.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async {
                    let admin = Store::connect(&admin_url).await?;
                    use sea_orm::ConnectionTrait;
                    admin
                        .connection()
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await?;
                    admin.close().await?;
                    Ok::<_, anyhow::Error>(())
                })
            })
            .join();
        }
    }
}

/// The ordinary (not superuser) role the portal connects to PostgreSQL as in tests.
pub const APP_ROLE: &str = "spendlens_app";

pub fn backend() -> String {
    std::env::var("SPENDLENS_TEST_DATABASE").unwrap_or_else(|_| "sqlite".to_owned())
}

async fn fresh_database() -> (String, TestDatabase) {
    if backend() == "postgres" {
        let admin_url = std::env::var("SPENDLENS_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("spendlens_test_{}", uuid::Uuid::now_v7().simple());
        let admin = Store::connect(&admin_url)
            .await
            .expect("PostgreSQL is reachable");
        use sea_orm::ConnectionTrait;
        // The portal connects as an ordinary role that owns its database, as in
        // production: a superuser would skip row-level security.
        admin
            .connection()
            .execute_unprepared(&format!(
                "DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN; \
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            ))
            .await
            .expect("can create the portal's role");
        admin
            .connection()
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\" OWNER {APP_ROLE}"))
            .await
            .expect("can create a test database");
        admin.close().await.ok();
        let server = admin_url
            .split_once("://")
            .and_then(|(_, rest)| rest.split('/').next())
            .and_then(|authority| authority.rsplit('@').next())
            .expect("SPENDLENS_TEST_POSTGRES_URL names a server");
        (
            format!("postgres://{APP_ROLE}@{server}/{name}"),
            TestDatabase::Postgres { admin_url, name },
        )
    } else {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("spendlens.db").display()
        );
        (url, TestDatabase::Sqlite(dir))
    }
}

pub fn test_settings(database_url: String) -> Settings {
    Settings {
        database_url,
        database_max_connections: None,
        bind: "127.0.0.1:0".to_owned(),
        static_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/api/static"),
        run_worker: false,
        organization: Some("test-bank".to_owned()),
        sample_data: false,
        demo: false,
        log_outbox_links: false,
        sandbox: SandboxConfig {
            latency: Duration::ZERO,
            failure_rate: 0.0,
        },
        http: None,
        connections: server::startup::ConnectionSettings::default(),
        worker: WorkerConfig::default(),
        public_url: "http://portal.test".to_owned(),
        smtp_url: None,
        outbox_dir: std::env::temp_dir().join(format!(
            "spendlens-outbox-{}",
            uuid::Uuid::now_v7().simple()
        )),
        mail_from: "Demo Bank <no-reply@bank.example>".to_owned(),
        link_ttl: chrono::Duration::days(14),
        mail: mail::MailConfig::default(),
        stale_after: chrono::Duration::days(30),
        max_queued_refreshes: 100_000,
        auth: server::auth::AuthSettings::default(),
        demo_password: "spendlens-demo".to_owned(),
        metrics_token: None,
        download_concurrency: 4,
        download_gate: None,
        report_snapshots: store::DEFAULT_RETENTION,
        outbox: outbox::OutboxConfig::default(),
    }
}

/// A server on a free port with its own empty database, and no worker: tests run
/// jobs with [`TestApp::worker`] so they finish deterministically.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = tracing_subscriber::fmt().with_env_filter("info").try_init();
    }
    let (url, database) = fresh_database().await;
    let mut settings = test_settings(url.clone());
    customize(&mut settings);
    let http = settings.http.clone();
    let connections = settings.connections.clone();
    let (store, organization) = startup::prepare(&settings).await.expect("database ready");
    let organization = organization.expect("the test organization");
    // Tests move time forward (`TestApp::advance_clock`) instead of sleeping.
    let store = store.with_clock(store::Clock::adjustable());
    let listener = TcpListener::bind("127.0.0.1:0").expect("free port");
    let app = Application::build_with(settings, store.clone(), listener).expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let api_key = api_key_for(&store, organization, "Test suite").await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {api_key}").parse().unwrap(),
    );
    TestApp {
        address,
        database_url: url,
        http,
        connections,
        store,
        organization,
        client: http_client()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .expect("client"),
        _database: database,
    }
}

/// Makes an API key for `organization` as `spendlens api-key create` does.
pub async fn api_key_for(store: &Store, organization: OrganizationId, name: &str) -> String {
    let (key, prefix) = server::secrets::new_api_key();
    store
        .create_api_key(
            organization,
            name,
            &prefix,
            &server::secrets::token_hash(&key),
            None,
        )
        .await
        .expect("API key stored");
    key
}

impl TestApp {
    /// Moves the app's clock (the store's, which its workers share) forward by `by`,
    /// as if that much time had passed.
    pub fn advance_clock(&self, by: chrono::Duration) {
        self.store.clock().advance(by);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A client that sends no credentials.
    pub fn anonymous(&self) -> reqwest::Client {
        http_client()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// A user of this organization with a password (`role`: `admin` or
    /// `relationship_manager`); answers their email and password.
    pub async fn user_with_password(&self, name: &str, role: &str) -> (String, String) {
        let email = format!("{}@bank.example", name.to_lowercase().replace(' ', "."));
        let user = self
            .store
            .create_user(
                self.organization,
                &domain::EmailAddress::parse(&email).unwrap(),
                name,
                role,
            )
            .await
            .expect("user created");
        let password = format!("{name} has a long password");
        self.store
            .set_password(
                domain::UserId::from_uuid(user.id),
                &server::secrets::hash_password(password.clone())
                    .await
                    .unwrap(),
            )
            .await
            .unwrap();
        (email, password)
    }

    /// A new user of this organization (`role`), signed in: their email, password and
    /// session.
    pub async fn signed_in_user(&self, name: &str, role: &str) -> (String, String, SignedIn) {
        let (email, password) = self.user_with_password(name, role).await;
        let session = self.sign_in(&email, &password).await;
        (email, password, session)
    }

    /// "Ada Admin", an admin of this organization, signed in.
    pub async fn signed_in_admin(&self) -> SignedIn {
        self.signed_in_user("Ada Admin", "admin").await.2
    }

    /// "Rita Manager", a relationship manager of this organization, signed in.
    pub async fn signed_in_manager(&self) -> SignedIn {
        self.signed_in_user("Rita Manager", "relationship_manager")
            .await
            .2
    }

    /// Signs in through the API; panics unless it works.
    pub async fn sign_in(&self, email: &str, password: &str) -> SignedIn {
        let answer = self.public_api().sign_in(email, password).send().await;
        let cookie = answer
            .cookie("spendlens_session")
            .expect("a session cookie");
        let session = answer.expect(200).await;
        SignedIn {
            cookie,
            csrf: session.csrf_token.clone(),
            session,
        }
    }

    /// A request as a signed-in person: the cookie, and the CSRF token on changes.
    pub fn as_user(
        &self,
        user: &SignedIn,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let unsafe_method = !matches!(method, reqwest::Method::GET | reqwest::Method::HEAD);
        let mut request = self.anonymous().request(method, self.url(path)).header(
            reqwest::header::COOKIE,
            format!("spendlens_session={}", user.cookie),
        );
        if unsafe_method {
            request = request.header("x-csrf-token", &user.csrf);
        }
        request
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        let response = self
            .anonymous()
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        response.text().await.unwrap()
    }

    /// A worker over this app's database whose sandbox behaves as `sandbox` says.
    pub fn worker(&self, sandbox: SandboxConfig, config: WorkerConfig) -> Worker {
        let partner = self.partner();
        let providers = startup::providers(
            &self.store,
            sandbox,
            self.http.as_ref().zip(partner.as_ref()),
            self.connector().as_ref(),
        )
        .expect("providers");
        Worker::new(self.store.clone(), providers, config)
    }

    /// The OAuth platforms' connector, as a worker process builds it.
    pub fn connector(&self) -> Option<connections::Connector> {
        self.connections.connector(&self.store).expect("connector")
    }

    /// The data partner, as a worker process builds it.
    pub fn partner(&self) -> Option<connections::Partner> {
        self.http
            .as_ref()
            .map(|http| http.partner(&self.store).expect("partner"))
    }

    pub fn instant_worker(&self) -> Worker {
        self.worker(
            SandboxConfig {
                latency: Duration::ZERO,
                failure_rate: 0.0,
            },
            WorkerConfig::default(),
        )
    }

    /// Runs the next due refresh job on [`TestApp::instant_worker`]; panics if none is due.
    pub async fn run_job(&self) -> (RefreshJobId, Outcome) {
        self.instant_worker()
            .run_once()
            .await
            .unwrap()
            .expect("a refresh job was due")
    }

    /// Runs refresh jobs on [`TestApp::instant_worker`] until none is due.
    pub async fn run_due_jobs(&self) {
        let worker = self.instant_worker();
        while worker.run_once().await.unwrap().is_some() {}
    }

    /// A raw GET with the suite's API key, for checks of the wire itself (pages,
    /// documents, headers); the API's answers are read through [`TestApp::api`].
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Adds a company through the API.
    pub async fn create_company(&self, name: &str, data_types: &[DataType]) -> Company {
        self.api()
            .create_company(&new_company(name, data_types))
            .expect(201)
            .await
    }

    /// Creates a "Copy link" information request and answers the link's token.
    pub async fn link_token(&self, company: CompanyId) -> String {
        let link = NewInformationRequest {
            delivery: Delivery::Link,
            ..NewInformationRequest::default()
        };
        let request = self
            .api()
            .request_information(company, &link)
            .expect(201)
            .await;
        token_of(&request.link.expect("a Copy link request answers its link"))
    }

    /// Another organization, "other-bank".
    pub async fn other_organization(&self) -> OrganizationId {
        let other = self
            .store
            .create_organization("other-bank", "Other Bank")
            .await
            .unwrap();
        OrganizationId::from_uuid(other.id)
    }

    /// A company of `organization` written straight to the store, as that
    /// organization's own people would have added it.
    pub async fn company_of(&self, organization: OrganizationId, name: &str) -> CompanyId {
        let company = store::CompanyWrite {
            name: domain::CompanyName::parse(name).unwrap(),
            description: domain::Description::default(),
            contact_name: domain::ContactName::parse("Eve").unwrap(),
            contact_email: domain::EmailAddress::parse("eve@other.example").unwrap(),
            assignees: vec![],
            data_types: vec![DataType::Financials],
            schedule: None,
        };
        let company = self.store.create_company(organization, company).await;
        company.unwrap().id()
    }

    /// Marks `company` as connected to `platform`, as the customer's grant does.
    pub async fn grant_access(
        &self,
        organization: OrganizationId,
        company: CompanyId,
        platform: &str,
    ) {
        let connected = self
            .store
            .seed_company_status(
                organization,
                company,
                &[StatusEvent::InformationRequested],
                self.store.now(),
                Some(platform),
            )
            .await
            .unwrap();
        assert!(connected, "{company} was not found");
    }

    /// A company whose customer granted access (the consent journey is its own issue).
    pub async fn connected_company(&self, name: &str, data_types: &[DataType]) -> CompanyId {
        let id = self.create_company(name, data_types).await.id;
        self.grant_access(self.organization, id, "sandbox").await;
        id
    }
}

/// A company to add, with Jane Doe as its contact.
pub fn new_company(name: &str, data_types: &[DataType]) -> NewCompany {
    NewCompany {
        name: name.to_owned(),
        description: String::new(),
        contact_name: "Jane Doe".to_owned(),
        contact_email: "jane@example.com".to_owned(),
        assignee_ids: Vec::new(),
        data_types: data_types.to_vec(),
        refresh_schedule: None,
    }
}

/// The reason a company is in `error`, if it is.
pub fn error_code(company: &Company) -> Option<domain::ErrorCode> {
    company.error.as_ref().map(|e| e.code)
}

/// Fetches with `fetch` every `every` until `done` holds for the answer, and answers it;
/// fails once `within` has passed, saying what it waited for and the last answer. For
/// waiting on other processes and background work.
pub async fn wait_for<T: std::fmt::Debug, F: std::future::Future<Output = T>>(
    what: &str,
    within: Duration,
    every: Duration,
    mut fetch: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = std::time::Instant::now() + within;
    loop {
        let answer = fetch().await;
        if done(&answer) {
            return answer;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "waited {within:?} for {what}: {answer:?}"
        );
        tokio::time::sleep(every).await;
    }
}

/// Waits until a worker somewhere (`by`) has made `company` Available, and answers it.
pub async fn available(app: &TestApp, company: CompanyId, by: &str, within: Duration) -> Company {
    let api = app.api();
    wait_for(
        by,
        within,
        Duration::from_millis(50),
        || api.company(company).ok(),
        |company| company.status == Some(DataStatus::Available),
    )
    .await
}

/// A `spendlens serve` process on a free loopback port, killed when dropped.
pub struct Served {
    pub address: String,
    process: std::process::Child,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Served {
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Waits until `/readyz` answers 200.
    pub async fn ready(&self) {
        let client = http_client().build().expect("client");
        let url = format!("{}/readyz", self.address);
        wait_for(
            "the server to answer",
            Duration::from_secs(60),
            Duration::from_millis(100),
            || async {
                let ready = client.get(&url).send().await;
                ready.map(|answer| answer.status().as_u16()).ok()
            },
            |status| *status == Some(200),
        )
        .await;
    }
}

/// Starts the real binary's `serve` in `dir` on `database_url`, with `env` over a quiet
/// test environment; its output (the log) goes to `dir/server.log`.
pub fn serve_binary(dir: &std::path::Path, database_url: &str, env: &[(&str, &str)]) -> Served {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_spendlens"));
    command
        .arg("serve")
        .current_dir(dir)
        .env_remove("SPENDLENS_CONFIG")
        .env_remove("SPENDLENS_LOG_FORMAT")
        .env("DATABASE_URL", database_url)
        .env("SPENDLENS_BIND", format!("127.0.0.1:{port}"))
        .env("SPENDLENS_OUTBOX_DIR", dir.join("outbox"))
        .env("SPENDLENS_SANDBOX_LATENCY_MS", "0")
        .env("SPENDLENS_STATIC_DIR", dir.join("no-web-app"))
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    for (key, value) in env {
        command.env(key, value);
    }
    Served {
        address: format!("http://127.0.0.1:{port}"),
        process: command.spawn().expect("the spendlens binary starts"),
    }
}

/// A reqwest client builder, with the TLS provider reqwest is built without installed
/// (the root Cargo.toml).
pub fn http_client() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}
