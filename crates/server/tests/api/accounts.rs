//! Sign-in, sessions, invitations, password resets, deactivation, API keys, the audit
//! log and rate limits, through the API as a browser and an integrator use it.

use std::{process::Command, time::Duration};

use reqwest::Method;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};
use store::entities::outgoing_emails;

use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_with};

/// The link in the newest queued email whose path starts with `prefix`.
async fn emailed_link(app: &TestApp, prefix: &str) -> (String, String) {
    let email = outgoing_emails::Entity::find()
        .order_by_desc(outgoing_emails::Column::CreatedAt)
        .one(app.store.connection())
        .await
        .unwrap()
        .expect("an email was queued");
    let start = email.text.find(prefix).expect("the email holds the link");
    let token: String = email.text[start + prefix.len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (email.to_address, token)
}

async fn email_count(app: &TestApp) -> usize {
    outgoing_emails::Entity::find()
        .all(app.store.connection())
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_person_signs_in_gets_a_safe_cookie_and_signs_out() {
    let app = spawn_app().await;
    let (email, password) = app
        .user_with_password("Rita Manager", "relationship_manager")
        .await;
    let response = app
        .anonymous()
        .post(app.url("/api/v1/session"))
        .json(&json!({"email": email.to_uppercase(), "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(flag), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "plain http in tests: {set_cookie}"
    );
    let session: Value = response.json().await.unwrap();
    assert_eq!(session["user"]["email"], email);
    assert_eq!(session["user"]["role"], "relationship_manager");
    assert_eq!(session["organization"]["slug"], "test-bank");
    let signed_in = app.sign_in(&email, &password).await;

    let me = app
        .as_user(&signed_in, Method::GET, "/api/v1/session")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert!(me.headers().contains_key("ratelimit-remaining"));
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["csrf_token"], signed_in.csrf);
    assert!(me["user"]["last_sign_in_at"].is_string());

    let out = app
        .as_user(&signed_in, Method::DELETE, "/api/v1/session")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = app
        .as_user(&signed_in, Method::GET, "/api/v1/companies")
        .send()
        .await
        .unwrap();
    assert_problem(after, 401).await;
}

#[tokio::test]
async fn wrong_passwords_and_unknown_addresses_get_the_same_401_then_429() {
    let app = spawn_app().await;
    let (email, password) = app
        .user_with_password("Rita Manager", "relationship_manager")
        .await;
    let attempt = |email: String, password: String| {
        let client = app.anonymous();
        let url = app.url("/api/v1/session");
        async move {
            client
                .post(url)
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap()
        }
    };
    let unknown = assert_problem(
        attempt("nobody@bank.example".into(), password.clone()).await,
        401,
    )
    .await;
    let wrong = assert_problem(
        attempt(email.clone(), "not the password at all".into()).await,
        401,
    )
    .await;
    assert_eq!(
        unknown["detail"], wrong["detail"],
        "nothing tells which was wrong"
    );
    assert_eq!(
        wrong["type"],
        "https://spendlens.dev/problems/invalid-credentials"
    );
    // Five attempts a minute per address: the 6th is refused, even with the right password.
    for _ in 0..4 {
        assert_problem(
            attempt(email.clone(), "still wrong, still wrong".into()).await,
            401,
        )
        .await;
    }
    let limited = attempt(email.clone(), password.clone()).await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    // Another address is not affected.
    let (other, other_password) = app
        .user_with_password("Ola Other", "relationship_manager")
        .await;
    assert_eq!(attempt(other, other_password).await.status(), 200);
}

#[tokio::test]
async fn sessions_end_after_inactivity_and_at_their_absolute_end() {
    let app = spawn_app_with(|s| {
        s.auth.idle = chrono::Duration::seconds(1);
    })
    .await;
    let (_, _, idle) = app
        .signed_in_user("Rita Manager", "relationship_manager")
        .await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let response = app
        .as_user(&idle, Method::GET, "/api/v1/companies")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 401).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("session has ended")
    );

    let app = spawn_app_with(|s| {
        s.auth.absolute = chrono::Duration::seconds(4);
    })
    .await;
    let (email, password) = app
        .user_with_password("Rita Manager", "relationship_manager")
        .await;
    let signed_in_by = std::time::Instant::now();
    let busy = app.sign_in(&email, &password).await;
    // Busy all along (never idle)...
    while signed_in_by.elapsed() < Duration::from_millis(2500) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let response = app
            .as_user(&busy, Method::GET, "/api/v1/companies")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    // ...and still signed out at the absolute end.
    tokio::time::sleep(Duration::from_millis(4300).saturating_sub(signed_in_by.elapsed())).await;
    let response = app
        .as_user(&busy, Method::GET, "/api/v1/companies")
        .send()
        .await
        .unwrap();
    assert_problem(response, 401).await;
}

#[tokio::test]
async fn an_admin_invites_a_user_who_sets_a_password_through_the_emailed_link() {
    let app = spawn_app().await;
    let (_, _, admin) = app.signed_in_user("Ada Admin", "admin").await;
    let invited = app
        .as_user(&admin, Method::POST, "/api/v1/users")
        .json(&json!({"email": "nina.new@bank.example", "name": "Nina New", "role": "relationship_manager"}))
        .send()
        .await
        .unwrap();
    assert_eq!(invited.status(), 201);
    let invited: Value = invited.json().await.unwrap();
    assert_eq!(invited["invitation_pending"], true);
    let (to, token) = emailed_link(&app, "http://portal.test/invitations/").await;
    assert!(to.contains("nina.new@bank.example"), "{to}");
    assert_eq!(token.len(), 43);

    // The same address again is a conflict; nothing more is sent.
    let emails = email_count(&app).await;
    let again = app
        .as_user(&admin, Method::POST, "/api/v1/users")
        .json(&json!({"email": "Nina.New@bank.example", "name": "Nina", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_problem(again, 409).await;
    assert_eq!(email_count(&app).await, emails);

    let info: Value = app
        .anonymous()
        .get(app.url(&format!("/api/v1/invitations/{token}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["email"], "nina.new@bank.example");
    assert_eq!(info["organization"]["slug"], "test-bank");
    let short = app
        .anonymous()
        .post(app.url(&format!("/api/v1/invitations/{token}")))
        .json(&json!({"password": "short"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(short, 422).await;
    assert_eq!(problem["errors"][0]["field"], "password");
    let accepted = app
        .anonymous()
        .post(app.url(&format!("/api/v1/invitations/{token}")))
        .json(&json!({"password": "a password Nina chose", "name": "Nina Newton"}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    assert!(
        accepted.headers().contains_key("set-cookie"),
        "signed in at once"
    );
    let session: Value = accepted.json().await.unwrap();
    assert_eq!(session["user"]["name"], "Nina Newton");
    assert_eq!(session["user"]["invitation_pending"], false);
    let reused = app
        .anonymous()
        .post(app.url(&format!("/api/v1/invitations/{token}")))
        .json(&json!({"password": "another password entirely"}))
        .send()
        .await
        .unwrap();
    assert_problem(reused, 410).await;
    app.sign_in("nina.new@bank.example", "a password Nina chose")
        .await;
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_the_emailed_link() {
    let app = spawn_app().await;
    let (email, password, old_session) = app
        .signed_in_user("Rita Manager", "relationship_manager")
        .await;
    let before = email_count(&app).await;
    let unknown = app
        .anonymous()
        .post(app.url("/api/v1/password-resets"))
        .json(&json!({"email": "nobody@bank.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 202, "no hint whether the address exists");
    assert_eq!(email_count(&app).await, before, "and no email");
    let asked = app
        .anonymous()
        .post(app.url("/api/v1/password-resets"))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 202);
    let (_, token) = emailed_link(&app, "http://portal.test/reset-password/").await;
    let info: Value = app
        .anonymous()
        .get(app.url(&format!("/api/v1/password-resets/{token}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["email"], email);
    let reset = app
        .anonymous()
        .post(app.url(&format!("/api/v1/password-resets/{token}")))
        .json(&json!({"password": "a brand new password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    // The old password and the old session are gone; the new password works.
    app.public_api()
        .sign_in(&email, &password)
        .problem(401)
        .await;
    let response = app
        .as_user(&old_session, Method::GET, "/api/v1/companies")
        .send()
        .await
        .unwrap();
    assert_problem(response, 401).await;
    app.sign_in(&email, "a brand new password").await;
    let tampered = app
        .anonymous()
        .get(app.url(&format!("/api/v1/password-resets/{}x", &token[..42])))
        .send()
        .await
        .unwrap();
    assert_problem(tampered, 404).await;
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_and_the_last_admin_stays() {
    let app = spawn_app().await;
    let (_, _, admin) = app.signed_in_user("Ada Admin", "admin").await;
    let (email, password, rm) = app
        .signed_in_user("Rita Manager", "relationship_manager")
        .await;
    let rm_id = rm.session.user.id;
    let changed = app
        .as_user(&admin, Method::PATCH, &format!("/api/v1/users/{rm_id}"))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert_eq!(changed.json::<Value>().await.unwrap()["active"], false);
    let response = app
        .as_user(&rm, Method::GET, "/api/v1/companies")
        .send()
        .await
        .unwrap();
    assert_problem(response, 401).await;
    app.public_api()
        .sign_in(&email, &password)
        .problem(401)
        .await;

    let admin_id = admin.session.user.id;
    for change in [
        json!({"active": false}),
        json!({"role": "relationship_manager"}),
    ] {
        let refused = app
            .as_user(&admin, Method::PATCH, &format!("/api/v1/users/{admin_id}"))
            .json(&change)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(refused, 409).await;
        assert_eq!(problem["type"], "https://spendlens.dev/problems/last-admin");
    }
}

#[tokio::test]
async fn api_keys_are_shown_once_stored_as_hashes_and_revocable() {
    let app = spawn_app().await;
    let (_, _, admin) = app.signed_in_user("Ada Admin", "admin").await;
    let created = app
        .as_user(&admin, Method::POST, "/api/v1/api-keys")
        .json(&json!({"name": "Loan origination system"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("slk_") && key.len() > 40, "{key}");
    let prefix = created["api_key"]["prefix"].as_str().unwrap();
    assert!(key.starts_with(prefix));

    let used = app
        .anonymous()
        .get(app.url("/api/v1/companies"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), 200);
    let listed: Value = app
        .as_user(&admin, Method::GET, "/api/v1/api-keys")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !listed.to_string().contains(&key),
        "the secret is never listed"
    );
    let ours = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == created["api_key"]["id"])
        .unwrap();
    assert!(ours["last_used_at"].is_string());
    // Only the hash is stored.
    let stored = app.store.api_keys(app.organization).await.unwrap();
    assert!(
        stored
            .iter()
            .all(|k| k.key_hash != key && k.key_hash.len() == 64)
    );

    let id = created["api_key"]["id"].as_str().unwrap();
    let revoked = app
        .as_user(&admin, Method::DELETE, &format!("/api/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let refused = app
        .anonymous()
        .get(app.url("/api/v1/companies"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_problem(refused, 401).await;
}

#[tokio::test]
async fn every_change_and_download_is_in_the_audit_log_with_who_and_where() {
    let app = spawn_app().await;
    let (admin_email, _, admin) = app.signed_in_user("Ada Admin", "admin").await;
    // An RM (by session) adds a company; the integrator (API key) refreshes it.
    let (email, _, rm) = app
        .signed_in_user("Rita Manager", "relationship_manager")
        .await;
    let company: Value = app
        .as_user(&rm, Method::POST, "/api/v1/companies")
        .json(&json!({"name": "Audited Ltd", "contact_name": "Al", "contact_email": "al@audited.example", "data_types": ["financials"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id: domain::CompanyId = company["id"].as_str().unwrap().parse().unwrap();
    app.store
        .set_company_status(
            app.organization,
            id,
            Some(domain::DataStatus::Requested),
            Some(store::now()),
            None,
            Some("sandbox"),
        )
        .await
        .unwrap();
    app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
        .await;
    app.instant_worker().run_once().await.unwrap().expect("ran");
    app.get(&format!("/api/v1/companies/{id}/reports/profit_and_loss"))
        .await;

    let page: Value = app
        .as_user(
            &admin,
            Method::GET,
            &format!("/api/v1/audit-events?company_id={id}"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<(&str, &str, &str)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["actor_kind"].as_str().unwrap(),
                e["actor"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("report.downloaded", "api_key", "Test suite"),
            ("refresh.succeeded", "system", "Spendlens"),
            ("refresh.requested", "api_key", "Test suite"),
            ("company.created", "user", email.as_str()),
        ],
        "newest first"
    );
    assert_eq!(page["items"][3]["ip"], "127.0.0.1");
    assert_eq!(page["items"][0]["target"], "profit_and_loss");

    let csv = app
        .as_user(&admin, Method::GET, "/api/v1/audit-events?format=csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("audit-events-")
    );
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(
        rows.iter()
            .any(|r| &r[5] == "user.signed_in" && &r[4] == admin_email.as_str())
    );
    assert!(rows.iter().any(|r| &r[5] == "company.created"));
}

#[tokio::test]
async fn a_caller_over_the_rate_limit_gets_429_with_retry_after() {
    let app = spawn_app_with(|s| s.auth.requests_per_minute = 5).await;
    for remaining in (0..5).rev() {
        let response = app.get("/api/v1/companies").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["ratelimit-limit"], "5");
        assert_eq!(
            response.headers()["ratelimit-remaining"],
            remaining.to_string().as_str()
        );
    }
    let limited = app.get("/api/v1/companies").await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, 429).await;
    // Another key is another bucket.
    let other = crate::helpers::api_key_for(&app.store, app.organization, "Other").await;
    let response = app
        .anonymous()
        .get(app.url("/api/v1/companies"))
        .bearer_auth(other)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// The admin commands: `org create` makes an organization whose admin can sign in with
/// the printed password, and `api-key create` prints a key that works, once.
#[tokio::test]
async fn the_cli_creates_an_organization_and_an_api_key() {
    let app = spawn_app().await;
    let output = Command::new(env!("CARGO_BIN_EXE_spendlens"))
        .args([
            "org",
            "create",
            "--name",
            "Northern Bank",
            "--admin-email",
            "boss@northern.example",
        ])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).unwrap();
    assert!(printed.contains("northern-bank"), "{printed}");
    let password = printed
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 43)
        .expect("the one-time password")
        .to_owned();
    let session = app.sign_in("boss@northern.example", &password).await;
    assert_eq!(session.session.organization.slug, "northern-bank");
    assert_eq!(session.session.user.role, domain::Role::Admin);

    let output = Command::new(env!("CARGO_BIN_EXE_spendlens"))
        .args([
            "api-key",
            "create",
            "--org",
            "northern-bank",
            "--name",
            "Core banking",
        ])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let key = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(key.starts_with("slk_"));
    let companies: Value = app
        .anonymous()
        .get(app.url("/api/v1/companies"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        companies["items"],
        json!([]),
        "a new organization sees none of test-bank's"
    );

    let unknown = Command::new(env!("CARGO_BIN_EXE_spendlens"))
        .args(["api-key", "create", "--org", "no-such-bank", "--name", "X"])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no-such-bank"));
}
