//! Defaults a deployment can't get wrong, through the real binary: outside the embedded
//! default there is no demo organization, and `serve` refuses to start while a demo user
//! signs in with the published password, until `user reset-password` fixes it.

use std::{
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

use crate::helpers::{serve_binary, spawn_app, spawn_app_with};

const DEMO_USERS: [&str; 3] = [
    "admin@demobank.example",
    "alex.morgan@demobank.example",
    "sam.patel@demobank.example",
];

fn spendlens(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_spendlens"));
    command
        .current_dir(dir.path())
        .args(args)
        .env_remove("SPENDLENS_CONFIG")
        .env("DATABASE_URL", database_url)
        .env("SPENDLENS_STATIC_DIR", dir.path())
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1");
    for (key, value) in env {
        command.env(key, value);
    }
    // A server that starts instead of refusing would never exit: stop it after a while.
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spendlens runs");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn a_deployment_refuses_the_published_demo_password_until_it_is_reset() {
    let app = spawn_app_with(|s| {
        s.organization = Some("demo".to_owned());
        s.sample_data = true;
        s.demo = true;
    })
    .await;
    // A public bind address, an https URL, or (on PostgreSQL) the database alone: each is
    // a deployment. The refusal comes before the server binds, so port 0 is fine.
    let mut deployments: Vec<&[(&str, &str)]> = vec![
        &[("SPENDLENS_BIND", "0.0.0.0:0")],
        &[
            ("SPENDLENS_BIND", "127.0.0.1:0"),
            ("SPENDLENS_PUBLIC_URL", "https://portal.example"),
        ],
    ];
    if crate::helpers::backend() == "postgres" {
        deployments.push(&[("SPENDLENS_BIND", "127.0.0.1:0")]);
    }
    for env in deployments {
        let refused = spendlens(&app.database_url, &["serve"], env);
        assert!(!refused.status.success(), "{env:?}: {}", text(&refused));
        let message = text(&refused);
        for user in DEMO_USERS {
            assert!(message.contains(user), "{message}");
        }
        assert!(
            message.contains("spendlens user reset-password --email"),
            "{message}"
        );
    }
    // `--demo` is for loopback only.
    let refused = spendlens(
        &app.database_url,
        &["serve", "--demo", "--bind", "0.0.0.0:0"],
        &[],
    );
    assert!(!refused.status.success());
    assert!(text(&refused).contains("loopback"), "{}", text(&refused));

    let mut passwords = Vec::new();
    for user in DEMO_USERS {
        let reset = spendlens(
            &app.database_url,
            &["user", "reset-password", "--email", user],
            &[],
        );
        assert!(reset.status.success(), "{}", text(&reset));
        let stdout = String::from_utf8_lossy(&reset.stdout).into_owned();
        let password = stdout
            .lines()
            .map(str::trim)
            .find(|line| line.len() >= 32 && !line.contains(' '))
            .expect("the one-time password is printed")
            .to_owned();
        passwords.push((user, password));
    }

    let dir = tempfile::tempdir().unwrap();
    let mut served = app;
    let server = serve_binary(
        dir.path(),
        &served.database_url,
        &[
            ("SPENDLENS_PUBLIC_URL", "https://portal.example"),
            ("SPENDLENS_COOKIE_SECURE", "false"),
        ],
    );
    server.ready().await;
    served.address = server.address.clone();
    // Startup set no one's password: the new ones work, the published one does not.
    for (user, password) in &passwords {
        served
            .public_api()
            .sign_in(user, password)
            .expect(200)
            .await;
        served
            .public_api()
            .sign_in(user, "spendlens-demo")
            .problem(401)
            .await;
    }
}

#[tokio::test]
async fn a_deployment_makes_no_demo_organization() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let server = serve_binary(
        dir.path(),
        &app.database_url,
        &[("SPENDLENS_PUBLIC_URL", "https://portal.example")],
    );
    server.ready().await;
    assert!(
        app.store
            .organization_by_slug("demo")
            .await
            .unwrap()
            .is_none(),
        "{}",
        std::fs::read_to_string(dir.path().join("server.log")).unwrap()
    );
    assert!(
        app.store
            .users_signing_in("admin@demobank.example")
            .await
            .unwrap()
            .is_empty()
    );
}
