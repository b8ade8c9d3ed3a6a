//! The browser-hardening headers on every kind of answer, and the operations surface:
//! bounded metric labels, a readiness answer without the driver's text, and the
//! metrics token.

use base64::Engine;
use sea_orm::ConnectionTrait;
use sha2::{Digest, Sha256};

use crate::{
    client::assert_problem,
    helpers::{spawn_app, spawn_app_with},
};

const POLICY_START: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
const POLICY_END: &str = "style-src 'self'; img-src 'self' data:; connect-src 'self'; \
    frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

fn assert_hardened(response: &reqwest::Response, what: &str) {
    let headers = response.headers();
    let header = |name: &str| {
        headers
            .get(name)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let policy = header("content-security-policy");
    assert!(policy.starts_with(POLICY_START), "{what}: {policy}");
    assert!(policy.ends_with(POLICY_END), "{what}: {policy}");
    assert!(!policy.contains("unsafe-inline"), "{what}: {policy}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
    assert!(header("permissions-policy").contains("camera=()"), "{what}");
    assert_eq!(
        header("cross-origin-opener-policy"),
        "same-origin",
        "{what}"
    );
}

#[tokio::test]
async fn every_kind_of_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    let json = app.get("/api/v1/companies").await;
    assert_eq!(json.status(), 200);
    assert_hardened(&json, "a JSON answer");
    assert!(json.headers().get("strict-transport-security").is_none());

    let problem = app
        .anonymous()
        .get(app.url("/api/v1/companies"))
        .send()
        .await
        .unwrap();
    assert_hardened(&problem, "a problem");
    assert_problem(problem, 401).await;

    let unknown = app.get("/api/v1/no-such-thing").await;
    assert_hardened(&unknown, "an unknown API route");
    assert_problem(unknown, 404).await;

    let wrong_method = app.client.put(app.url("/healthz")).send().await.unwrap();
    assert_hardened(&wrong_method, "a wrong method");
    assert_problem(wrong_method, 405).await;

    for path in [
        "/style.css",
        "/",
        "/companies/1",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_hardened(&response, path);
    }
}

/// trunk inlines the wasm loader into `index.html`: the policy allows exactly that
/// script, by its hash.
#[tokio::test]
async fn the_policy_allows_the_inline_loader_by_its_hash() {
    let app = spawn_app().await;
    let policy = app.get("/").await.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let digest = Sha256::digest(b"import init from \"/app.js\";");
    let hash = base64::engine::general_purpose::STANDARD.encode(digest);
    assert!(policy.contains(&format!("'sha256-{hash}'")), "{policy}");
}

/// A build with the customer's page (`connect.html`, web-build) and the admin pages'
/// (`admin.html`): their loaders are allowed too, and `/connect/…` and `/admin…` get
/// those pages; the shell's script, in every page, once.
#[tokio::test]
async fn the_other_apps_pages_are_sent_for_their_addresses_and_their_loaders_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let shell = "<script>document.body.dataset.shell = 1;</script>";
    let page = |loader: &str| {
        format!(
            "<!doctype html><title>Spendlens</title>{shell}<script type=\"module\">{loader}</script>"
        )
    };
    std::fs::write(
        dir.path().join("index.html"),
        page("import '/frontend.js';"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("connect.html"),
        page("import '/customer.js';"),
    )
    .unwrap();
    std::fs::write(dir.path().join("admin.html"), page("import '/admin.js';")).unwrap();
    let path = dir.path().to_owned();
    let app = spawn_app_with(move |settings| settings.static_dir = path).await;

    let hash = |script: &str| {
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()))
        )
    };
    for (path, loader) in [
        ("/", "import '/frontend.js';"),
        ("/companies/1", "import '/frontend.js';"),
        ("/connect/abc", "import '/customer.js';"),
        ("/connect/abc/done", "import '/customer.js';"),
        ("/connect/problem?message=x", "import '/customer.js';"),
        ("/admin", "import '/admin.js';"),
        ("/admin/users", "import '/admin.js';"),
        ("/admin/audit?action=sign_in", "import '/admin.js';"),
        // Only `/admin` and what is under it.
        ("/administration", "import '/frontend.js';"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_hardened(&response, path);
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        for script in [
            "document.body.dataset.shell = 1;",
            "import '/frontend.js';",
            "import '/customer.js';",
            "import '/admin.js';",
        ] {
            assert_eq!(policy.matches(&hash(script)).count(), 1, "{policy}");
        }
        let body = response.text().await.unwrap();
        assert!(body.contains(loader), "{path}: {body}");
    }
}

/// Without the customer's page (a `trunk serve` build), `/connect/…` gets `index.html`,
/// whose app has every page.
#[tokio::test]
async fn without_the_customers_page_connect_addresses_get_the_shell() {
    let app = spawn_app().await;
    let body = app.get("/connect/abc").await.text().await.unwrap();
    assert!(body.contains("test shell"), "{body}");
}

/// Swagger UI sets inline styles: the docs page has its own policy, still without
/// inline scripts.
#[tokio::test]
async fn the_api_docs_have_their_own_policy() {
    let app = spawn_app().await;
    let page = app.get("/api/docs/").await;
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        policy.contains("style-src 'self' 'unsafe-inline'"),
        "{policy}"
    );
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
}

#[tokio::test]
async fn hsts_only_when_the_portal_is_served_over_https() {
    let app = spawn_app_with(|settings| {
        settings.public_url = "https://portal.bank.example".to_owned();
    })
    .await;
    for path in ["/", "/api/v1/companies", "/api/v1/nothing"] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=63072000; includeSubDomains",
            "{path}"
        );
        assert_hardened(&response, path);
    }
}

/// Anyone can send a made-up method; it must not become a new series.
#[tokio::test]
async fn unknown_methods_and_paths_add_no_metric_series() {
    let app = spawn_app().await;
    let method = |name: &str| reqwest::Method::from_bytes(name.as_bytes()).unwrap();
    let send = |name: &'static str, path: &'static str| {
        app.anonymous().request(method(name), app.url(path)).send()
    };
    send("FOO", "/").await.unwrap();
    send("FOO", "/api/v1/anything").await.unwrap();
    send("GET", "/api/v1/made-up-1").await.unwrap();
    let series = |text: &str| {
        text.lines()
            .filter(|line| line.starts_with("spendlens_http_request_duration_seconds_count"))
            .count()
    };
    let before = app.metrics().await;
    assert!(!before.contains("method=\"FOO\""), "{before}");
    assert!(before.contains("method=\"other\""), "{before}");
    send("BAR", "/").await.unwrap();
    send("BAZ", "/api/v1/whatever").await.unwrap();
    send("GET", "/api/v1/made-up-2").await.unwrap();
    let after = app.metrics().await;
    assert!(!after.contains("made-up"), "{after}");
    assert!(!after.contains("BAR") && !after.contains("BAZ"), "{after}");
    // One more series: `/metrics` itself, scraped once before.
    assert_eq!(series(&after), series(&before) + 1, "{after}");
}

#[tokio::test]
async fn readiness_says_database_unavailable_without_the_drivers_text() {
    let app = spawn_app().await;
    app.store
        .connection()
        .execute_unprepared("ALTER TABLE refresh_jobs RENAME TO refresh_jobs_gone")
        .await
        .unwrap();
    let response = app.get("/readyz").await;
    let text = response.text().await.unwrap();
    assert!(text.contains("\"status\":503"), "{text}");
    assert!(text.contains("database unavailable"), "{text}");
    assert!(!text.contains("refresh_jobs"), "{text}");
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    let app = spawn_app_with(|settings| {
        settings.metrics_token = Some("scrape-secret".to_owned());
    })
    .await;
    let scrape = |token: Option<&'static str>| {
        let request = app.anonymous().get(app.url("/metrics"));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
        .send()
    };
    assert_problem(scrape(None).await.unwrap(), 401).await;
    assert_problem(scrape(Some("scrape-secreT")).await.unwrap(), 401).await;
    assert_problem(scrape(Some("scrape-secret-and-more")).await.unwrap(), 401).await;
    let response = scrape(Some("scrape-secret")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("spendlens_http_request_duration_seconds")
    );
}
