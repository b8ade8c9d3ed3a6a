//! Links are credentials: the real `spendlens serve`, logging at `debug`, goes through
//! the consent, invitation and password-reset journeys (error answers on live tokens
//! included) and its whole log must not hold one token.

use api_types::{InvitationAcceptance, NewUser};
use domain::{DataType::Financials, Role};

use crate::accounts::{email_count, emailed_link, reset_link};
use crate::helpers::{serve_binary, spawn_app};

#[tokio::test]
async fn no_link_token_reaches_the_log() {
    let mut app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    // An https public URL: a deployment, not the embedded default (which may log links).
    let server = serve_binary(
        dir.path(),
        &app.database_url,
        &[
            ("SPENDLENS_PUBLIC_URL", "https://portal.test"),
            ("SPENDLENS_COOKIE_SECURE", "false"),
            ("RUST_LOG", "debug"),
        ],
    );
    app.address = server.address.clone();
    server.ready().await;

    let mut secrets = Vec::new();
    let public = app.public_api();

    // Consent: open the link, a refused grant on the live link, then grant; another
    // link declined. The token also rides in a query string.
    let granted = app.create_company("Granting Ltd", &[Financials]).await;
    let token = app.link_token(granted.id).await;
    public.consent(&token).expect(200).await;
    public
        .get::<serde_json::Value>(&format!("/api/v1/consent/{token}?token={token}"))
        .send()
        .await;
    app.anonymous()
        .get(app.url(&format!("/connect/{token}")))
        .send()
        .await
        .unwrap();
    public.grant_consent(&token, "excel").problem(422).await;
    public.grant_consent(&token, "sandbox").expect(200).await;
    // A client group: the used link adds an entity, whose own link comes back in the
    // answer; an empty name is refused on it first.
    public.add_consent_entity(&token, "").problem(422).await;
    let entity = public
        .add_consent_entity(&token, "Granting Trading Ltd")
        .expect(201)
        .await;
    public.consent(&entity.token).expect(200).await;
    public
        .grant_consent(&entity.token, "sandbox")
        .expect(200)
        .await;
    secrets.push(entity.token);
    secrets.push(token);
    let declined = app.create_company("Declining Ltd", &[Financials]).await;
    let token = app.link_token(declined.id).await;
    public.consent(&token).expect(200).await;
    public.decline_consent(&token).expect(200).await;
    public.decline_consent(&token).send().await;
    secrets.push(token);

    // Invitation: an admin invites; the link is opened, refused a short password, accepted.
    let admin = app.signed_in_admin().await;
    app.api_as(&admin)
        .invite_user(&NewUser {
            email: "nina.new@bank.example".to_owned(),
            name: "Nina New".to_owned(),
            role: Role::RelationshipManager,
        })
        .expect(201)
        .await;
    let (_, token) = emailed_link(&app, "https://portal.test/invitations/").await;
    public.invitation(&token).expect(200).await;
    let accept = |password: &str| InvitationAcceptance {
        password: password.to_owned(),
        name: None,
    };
    public
        .accept_invitation(&token, &accept("short"))
        .problem(422)
        .await;
    let nina_password = "a password Nina chose";
    public
        .accept_invitation(&token, &accept(nina_password))
        .expect(200)
        .await;
    public.invitation(&token).send().await;
    secrets.push(token);

    // Password reset: asked for, opened, refused a short password, done.
    let before = email_count(&app).await;
    public
        .request_password_reset("nina.new@bank.example")
        .expect(202)
        .await;
    let (_, token) = reset_link(&app, before, "https://portal.test/reset-password/").await;
    public.password_reset(&token).expect(200).await;
    public.reset_password(&token, "short").problem(422).await;
    let new_password = "Nina's brand new password";
    public
        .reset_password(&token, new_password)
        .expect(200)
        .await;
    secrets.push(token);
    secrets.push(nina_password.to_owned());
    secrets.push(new_password.to_owned());

    drop(server);
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(
        log.contains("http.route=/api/v1/consent/{token}"),
        "the requests were logged, by route: {log}"
    );
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the log holds {secret:?}:\n{}",
            log.lines()
                .filter(|line| line.contains(secret.as_str()))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// Xero's tokens (the fake's are `xero_at_…` and `xero_rt_…`), the authorization code
/// and `state` never reach the log of the real `spendlens serve` at `debug`, and the
/// database holds the tokens only sealed: through a connection, its first fetch, a
/// token the platform refused (renewed at once), and a refresh.
#[tokio::test]
async fn no_platform_token_reaches_the_log_or_the_database() {
    use crate::platforms::{PUBLIC_URL, requested, through_xero_seeing, xero};

    let xero = xero();
    let mut app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let key = vault::KeyRing::generate_key().to_string();
    let (authorize, token_url) = (xero.authorize_url(), xero.token_url());
    let server = serve_binary(
        dir.path(),
        &app.database_url,
        &[
            ("SPENDLENS_PUBLIC_URL", PUBLIC_URL),
            ("SPENDLENS_XERO_CLIENT_ID", "spendlens-test-app"),
            ("SPENDLENS_XERO_CLIENT_SECRET", "spendlens-test-secret"),
            ("SPENDLENS_XERO_AUTHORIZE_URL", authorize.as_str()),
            ("SPENDLENS_XERO_TOKEN_URL", token_url.as_str()),
            ("SPENDLENS_XERO_API_URL", xero.base_url()),
            ("SPENDLENS_ENCRYPTION_KEY", key.as_str()),
            ("RUST_LOG", "debug"),
        ],
    );
    app.address = server.address.clone();
    server.ready().await;

    let (id, link) = requested(&app, "Sealed Tokens Ltd").await;
    let tenant = xero.organisations()[0].tenant_id.to_string();
    let (landing, callback) =
        through_xero_seeing(&app, &link, &[("decision", "allow"), ("tenant", &tenant)]).await;
    assert!(landing.starts_with("/connect/connected"), "{landing}");
    let url = reqwest::Url::parse(&callback).unwrap();
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let secret = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap()
    };
    let wait_available = || async {
        for _ in 0..200 {
            let company = app.api().company(id).ok().await;
            if company.status == Some(domain::DataStatus::Available) && company.refresh.is_none() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the company did not become Available");
    };
    wait_available().await;
    // Xero refuses the access token: renewed at once, and the refresh succeeds.
    xero.expire_access_tokens();
    app.api().refresh(id).expect(202).await;
    wait_available().await;
    assert!(xero.counters().token_refreshes >= 1);

    drop(server);
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(
        log.contains("http.route=/api/v1/oauth/{platform}/callback"),
        "the callback was logged, by route: {log}"
    );
    for needle in [
        "xero_at_",
        "xero_rt_",
        &secret("code"),
        &secret("state"),
        &key,
    ] {
        assert!(!log.contains(needle), "the log holds {needle:?}");
    }
    // The database: every stored value of the connection is sealed or plain metadata.
    let connection = app.store.platform_connection(id).await.unwrap().unwrap();
    for value in [&connection.access_token, &connection.refresh_token] {
        assert!(value.starts_with("v1."), "not sealed");
        assert!(!value.contains("xero_"), "in clear");
    }
    if let Some(path) = app.database_url.strip_prefix("sqlite://") {
        let file = path.split('?').next().unwrap();
        for file in [file.to_owned(), format!("{file}-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                let text = String::from_utf8_lossy(&bytes);
                assert!(
                    !text.contains("xero_at_") && !text.contains("xero_rt_"),
                    "{file} holds a token in clear"
                );
            }
        }
    }
}
