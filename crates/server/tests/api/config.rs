//! The configuration layer, through the real binary: flags over environment over the
//! `--config` file over defaults, every bad value refused with a message that names it,
//! and `spendlens config check`.

use std::process::{Command, Output};

fn spendlens(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spendlens"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("SPENDLENS_CONFIG")
        .env_remove("SPENDLENS_LEASE_SECONDS")
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("spendlens runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn config_check_shows_each_setting_with_its_source_flags_over_env_over_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("spendlens.toml"),
        "lease_seconds = 30\nworker_concurrency = 16\nstale_after_days = 7\n\
         database_url = \"sqlite://from-file.db?mode=rwc\"\n\
         smtp_url = \"smtp://mailer:hunter2@mail.example:587\"\n",
    )
    .unwrap();
    let output = spendlens(
        dir.path(),
        &["--config", "spendlens.toml", "config", "check"],
        &[
            ("SPENDLENS_WORKER_CONCURRENCY", "4"),
            ("SPENDLENS_STALE_AFTER_DAYS", "9"),
            ("SPENDLENS_DATABASE_MAX_CONNECTIONS", "4"),
            ("SPENDLENS_DOWNLOAD_CONCURRENCY", "3"),
        ],
    );
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("lease_seconds = 30  (file)"), "{out}");
    assert!(
        out.contains("worker_concurrency = 4  (environment)"),
        "{out}"
    );
    assert!(out.contains("stale_after_days = 9  (environment)"), "{out}");
    assert!(
        out.contains("database_max_connections = 4  (environment)"),
        "{out}"
    );
    assert!(out.contains("report_snapshots = 12  (default)"), "{out}");
    assert!(
        out.contains("download_concurrency = 3  (environment)"),
        "{out}"
    );
    assert!(
        out.contains("database_url = sqlite://from-file.db?mode=rwc  (file)"),
        "{out}"
    );
    assert!(out.contains("smtp_url = ********  (file)"), "{out}");
    assert!(!out.contains("hunter2"), "a secret was printed: {out}");
    assert!(out.contains("Database: answers"), "{out}");
    assert!(out.contains("The configuration is valid."), "{out}");
    // The file's database is the one `migrate` (and every other command) uses too.
    let migrate = spendlens(dir.path(), &["--config", "spendlens.toml", "migrate"], &[]);
    assert!(migrate.status.success(), "{}", text(&migrate));
    assert!(dir.path().join("from-file.db").exists());
}

#[test]
fn config_check_shows_the_platforms_settings_with_their_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let output = spendlens(
        dir.path(),
        &["config", "check"],
        &[
            ("DATABASE_URL", "sqlite://check.db?mode=rwc"),
            ("SPENDLENS_XERO_CLIENT_ID", "xero-app-id"),
            ("SPENDLENS_XERO_CLIENT_SECRET", "xero-app-secret"),
            ("SPENDLENS_QUICKBOOKS_CLIENT_ID", "intuit-app-id"),
            ("SPENDLENS_QUICKBOOKS_CLIENT_SECRET", "intuit-app-secret"),
            ("SPENDLENS_QUICKBOOKS_API_URL", "http://127.0.0.1:9999"),
            ("SPENDLENS_ENCRYPTION_KEY", key),
        ],
    );
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    for line in [
        "xero_client_id = xero-app-id  (environment)",
        "xero_client_secret = ********  (environment)",
        "xero_authorize_url = https://login.xero.com/identity/connect/authorize  (default)",
        "xero_token_url = https://identity.xero.com/connect/token  (default)",
        "xero_api_url = https://api.xero.com  (default)",
        "quickbooks_client_secret = ********  (environment)",
        "quickbooks_api_url = http://127.0.0.1:9999  (environment)",
        "encryption_key = ********  (environment)",
        "Accounting platforms: the sandbox, Xero, QuickBooks Online (tokens encrypted, key ",
    ] {
        assert!(out.contains(line), "{line:?} not in {out}");
    }
    for secret in ["xero-app-secret", "intuit-app-secret", key] {
        assert!(!out.contains(secret), "a secret was printed: {out}");
    }

    // A key that is not 32 bytes is refused, without being echoed.
    let output = spendlens(
        dir.path(),
        &["config", "check"],
        &[
            ("DATABASE_URL", "sqlite://check.db?mode=rwc"),
            ("SPENDLENS_XERO_CLIENT_ID", "xero-app-id"),
            ("SPENDLENS_XERO_CLIENT_SECRET", "xero-app-secret"),
            ("SPENDLENS_ENCRYPTION_KEY", "c2hvcnQta2V5"),
        ],
    );
    let out = text(&output);
    assert!(!output.status.success(), "{out}");
    assert!(
        out.contains("SPENDLENS_ENCRYPTION_KEY: an encryption key must be 32 bytes"),
        "{out}"
    );
    assert!(!out.contains("c2hvcnQta2V5"), "{out}");

    // Outside the embedded default (PostgreSQL), a platform without a key is refused.
    let output = spendlens(
        dir.path(),
        &["config", "check"],
        &[
            ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"),
            ("SPENDLENS_XERO_CLIENT_ID", "xero-app-id"),
            ("SPENDLENS_XERO_CLIENT_SECRET", "xero-app-secret"),
        ],
    );
    let out = text(&output);
    assert!(!output.status.success(), "{out}");
    assert!(
        out.contains("encryption_key (SPENDLENS_ENCRYPTION_KEY) is required to connect Xero"),
        "{out}"
    );
}

/// A configuration file, environment variables, and what the refusal must name.
type BadCase<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

#[test]
fn bad_values_are_refused_at_start_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [BadCase<'_>; 7] = [
        ("lease_seconds = 2\n", &[], "--lease-seconds"),
        (
            "",
            &[("SPENDLENS_PUBLIC_URL", "portal.example.com")],
            "must start with http:// or https://",
        ),
        (
            "database_url = \"mysql://db\"\n",
            &[],
            "must start with sqlite: or postgres://",
        ),
        (
            "database_max_connections = 0\n",
            &[],
            "--database-max-connections",
        ),
        ("download_concurrency = 0\n", &[], "--download-concurrency"),
        (
            "sandbox_failure_rate = 2.5\n",
            &[],
            "must be between 0 and 1",
        ),
        (
            "worker_concurency = 4\n",
            &[],
            "unknown setting `worker_concurency`",
        ),
    ];
    for (file, env, expected) in cases {
        std::fs::write(dir.path().join("bad.toml"), file).unwrap();
        for args in [
            &["--config", "bad.toml", "config", "check"][..],
            &["--config", "bad.toml", "serve"][..],
        ] {
            let output = spendlens(dir.path(), args, env);
            let out = text(&output);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{args:?} with {file:?} {env:?}: {out}"
            );
            assert!(
                out.contains(expected),
                "{args:?}: expected {expected:?} in: {out}"
            );
        }
    }
    std::fs::write(dir.path().join("table.toml"), "[serve]\nbind = \"x\"\n").unwrap();
    let output = spendlens(
        dir.path(),
        &["--config", "table.toml", "config", "check"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("`serve` must be a string, a number or true/false"));
    let output = spendlens(
        dir.path(),
        &["--config", "missing.toml", "config", "check"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("cannot read the configuration file missing.toml"));
}

#[test]
fn config_check_fails_when_the_database_does_not_answer() {
    let dir = tempfile::tempdir().unwrap();
    let output = spendlens(
        dir.path(),
        &["config", "check"],
        &[("DATABASE_URL", "postgres://postgres@127.0.0.1:1/spendlens")],
    );
    let out = text(&output);
    assert!(!output.status.success(), "{out}");
    assert!(out.contains("the database does not answer"), "{out}");
    assert!(
        out.contains("postgres://postgres@127.0.0.1:1/spendlens"),
        "{out}"
    );
}
