//! Sign-in, sessions, invitations, password resets, deactivation, API keys, the audit
//! log and rate limits, through the API as a browser and an integrator use it.

use std::process::{Command, Output};

use api_types::{
    AuditFormat, AuditQuery, CompanyListQuery, InvitationAcceptance, NewCompany, NewUser,
    ReportQuery, UserUpdate,
};
use domain::{DataType::Financials, ReportKind, Role};
use sea_orm::{EntityTrait, QueryOrder};
use store::entities::outgoing_emails;

use crate::client::Says;
use crate::helpers::{TestApp, new_company, spawn_app, spawn_app_with};

/// The link in the newest queued email whose path starts with `prefix`.
pub(crate) async fn emailed_link(app: &TestApp, prefix: &str) -> (String, String) {
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

pub(crate) async fn email_count(app: &TestApp) -> usize {
    outgoing_emails::Entity::find()
        .all(app.store.connection())
        .await
        .unwrap()
        .len()
}

/// Waits for the email a password reset request queues after its answer, and answers
/// its link (as [`emailed_link`]).
pub(crate) async fn reset_link(app: &TestApp, before: usize, prefix: &str) -> (String, String) {
    crate::helpers::wait_for(
        "the reset email",
        std::time::Duration::from_secs(10),
        std::time::Duration::from_millis(20),
        || email_count(app),
        |count| *count > before,
    )
    .await;
    emailed_link(app, prefix).await
}

#[tokio::test]
async fn a_person_signs_in_gets_a_safe_cookie_and_signs_out() {
    let app = spawn_app().await;
    let (email, password) = app
        .user_with_password("Rita Manager", "relationship_manager")
        .await;
    let answer = app
        .public_api()
        .sign_in(&email.to_uppercase(), &password)
        .send()
        .await;
    assert_eq!(answer.status(), 200);
    let cookies = answer.set_cookies();
    let named = |name: &str| {
        cookies
            .iter()
            .find(|cookie| cookie.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {cookies:?}"))
            .clone()
    };
    let set_cookie = named("spendlens_session");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(flag), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "plain http in tests: {set_cookie}"
    );
    // The hint the web app reads: no secret in it, readable by scripts, the same lifetime.
    let hint = named("spendlens_signed_in");
    assert!(hint.starts_with("spendlens_signed_in=1;"), "{hint}");
    assert!(!hint.contains("HttpOnly"), "{hint}");
    let max_age = |cookie: &str| {
        cookie
            .split("; ")
            .find(|part| part.starts_with("Max-Age="))
            .map(str::to_owned)
    };
    assert_eq!(max_age(&hint), max_age(&set_cookie));
    let session = answer.expect(200).await;
    assert_eq!(session.user.email, email);
    assert_eq!(session.user.role, Role::RelationshipManager);
    assert_eq!(session.organization.slug, "test-bank");
    let signed_in = app.sign_in(&email, &password).await;
    let api = app.api_as(&signed_in);

    let me = api.session().send().await;
    assert!(me.has_header("ratelimit-remaining"));
    let me = me.expect(200).await;
    assert_eq!(me.csrf_token, signed_in.csrf);
    assert!(me.user.last_sign_in_at.is_some());

    let out = api.sign_out().send().await;
    assert_eq!(out.status(), 204);
    let cleared = out.set_cookies();
    for name in ["spendlens_session=", "spendlens_signed_in="] {
        assert!(
            cleared
                .iter()
                .any(|cookie| cookie.starts_with(name) && cookie.contains("Max-Age=0")),
            "{name} {cleared:?}"
        );
    }
    api.companies(&CompanyListQuery::default())
        .problem(401)
        .await;
}

#[tokio::test]
async fn wrong_passwords_and_unknown_addresses_get_the_same_401_then_429() {
    let app = spawn_app().await;
    let (email, password) = app
        .user_with_password("Rita Manager", "relationship_manager")
        .await;
    let public = app.public_api();
    let unknown = public
        .sign_in("nobody@bank.example", &password)
        .problem(401)
        .await;
    let wrong = public
        .sign_in(&email, "not the password at all")
        .problem(401)
        .await;
    assert_eq!(
        unknown.detail, wrong.detail,
        "nothing tells which was wrong"
    );
    assert_eq!(
        wrong.problem_type,
        "https://spendlens.dev/problems/invalid-credentials"
    );
    // Five attempts a minute per address: the 6th is refused, even with the right password.
    for _ in 0..4 {
        public
            .sign_in(&email, "still wrong, still wrong")
            .problem(401)
            .await;
    }
    let limited = public.sign_in(&email, &password).send().await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry));
    // Another address is not affected.
    let (other, other_password) = app
        .user_with_password("Ola Other", "relationship_manager")
        .await;
    public.sign_in(&other, &other_password).expect(200).await;
}

#[tokio::test]
async fn sessions_end_after_inactivity_and_at_their_absolute_end() {
    // The default idle limit (30 minutes); time moves by the app's clock, in steps far
    // above the real time the requests take.
    let app = spawn_app().await;
    let idle = app.signed_in_manager().await;
    app.advance_clock(chrono::Duration::minutes(31));
    let everything = CompanyListQuery::default();
    let problem = app.api_as(&idle).companies(&everything).problem(401).await;
    assert!(problem.detail_text().contains("session has ended"));

    let app = spawn_app_with(|s| {
        s.auth.absolute = chrono::Duration::hours(2);
    })
    .await;
    let (email, password) = app
        .user_with_password("Rita Manager", "relationship_manager")
        .await;
    let busy = app.sign_in(&email, &password).await;
    let api = app.api_as(&busy);
    // Busy all along (never idle: a request every 25 minutes)...
    for _ in 0..4 {
        app.advance_clock(chrono::Duration::minutes(25));
        api.companies(&everything).expect(200).await;
    }
    // ...and still signed out at the absolute end (2 hours).
    app.advance_clock(chrono::Duration::minutes(25));
    api.companies(&everything).problem(401).await;
}

#[tokio::test]
async fn an_admin_invites_a_user_who_sets_a_password_through_the_emailed_link() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let (api, public) = (app.api_as(&admin), app.public_api());
    let nina = NewUser {
        email: "nina.new@bank.example".to_owned(),
        name: "Nina New".to_owned(),
        role: Role::RelationshipManager,
    };
    let invited = api.invite_user(&nina).expect(201).await;
    assert!(invited.invitation_pending);
    let (to, token) = emailed_link(&app, "http://portal.test/invitations/").await;
    assert!(to.contains("nina.new@bank.example"), "{to}");
    assert_eq!(token.len(), 43);

    // The same address again is a conflict; nothing more is sent.
    let emails = email_count(&app).await;
    let again = NewUser {
        email: "Nina.New@bank.example".to_owned(),
        name: "Nina".to_owned(),
        role: Role::Admin,
    };
    api.invite_user(&again).problem(409).await;
    assert_eq!(email_count(&app).await, emails);

    let info = public.invitation(&token).ok().await;
    assert_eq!(info.email, "nina.new@bank.example");
    assert_eq!(info.organization.slug, "test-bank");
    let accept = |password: &str, name: Option<&str>| {
        let acceptance = InvitationAcceptance {
            password: password.to_owned(),
            name: name.map(str::to_owned),
        };
        public.accept_invitation(&token, &acceptance)
    };
    let problem = accept("short", None).problem(422).await;
    assert_eq!(problem.errors[0].field, "password");
    let accepted = accept("a password Nina chose", Some("Nina Newton"))
        .send()
        .await;
    assert!(accepted.has_header("set-cookie"), "signed in at once");
    let session = accepted.expect(200).await;
    assert_eq!(session.user.name, "Nina Newton");
    assert!(!session.user.invitation_pending);
    accept("another password entirely", None).problem(410).await;
    app.sign_in("nina.new@bank.example", "a password Nina chose")
        .await;
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_the_emailed_link() {
    let app = spawn_app().await;
    let (email, password, old_session) = app
        .signed_in_user("Rita Manager", "relationship_manager")
        .await;
    let public = app.public_api();
    let before = email_count(&app).await;
    let unknown = public
        .request_password_reset("nobody@bank.example")
        .send()
        .await;
    assert_eq!(unknown.status(), 202, "no hint whether the address exists");
    public.request_password_reset(&email).expect(202).await;
    let (_, token) = reset_link(&app, before, "http://portal.test/reset-password/").await;
    assert_eq!(
        email_count(&app).await,
        before + 1,
        "and no email for the unknown"
    );
    let info = public.password_reset(&token).ok().await;
    assert_eq!(info.email, email);
    public
        .reset_password(&token, "a brand new password")
        .expect(200)
        .await;
    // The old password and the old session are gone; the new password works.
    public.sign_in(&email, &password).problem(401).await;
    app.api_as(&old_session)
        .companies(&CompanyListQuery::default())
        .problem(401)
        .await;
    app.sign_in(&email, "a brand new password").await;
    public
        .password_reset(&format!("{}x", &token[..42]))
        .problem(404)
        .await;
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_and_the_last_admin_stays() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let (email, password, rm) = app
        .signed_in_user("Rita Manager", "relationship_manager")
        .await;
    let api = app.api_as(&admin);
    let deactivate = UserUpdate {
        active: Some(false),
        ..UserUpdate::default()
    };
    let changed = api
        .update_user(rm.session.user.id, &deactivate)
        .expect(200)
        .await;
    assert!(!changed.active);
    app.api_as(&rm)
        .companies(&CompanyListQuery::default())
        .problem(401)
        .await;
    app.public_api()
        .sign_in(&email, &password)
        .problem(401)
        .await;

    let demote = UserUpdate {
        role: Some(Role::RelationshipManager),
        ..UserUpdate::default()
    };
    for change in [deactivate, demote] {
        let problem = api
            .update_user(admin.session.user.id, &change)
            .problem(409)
            .await;
        assert_eq!(
            problem.problem_type,
            "https://spendlens.dev/problems/last-admin"
        );
    }
}

/// Two admins demoting (or deactivating) each other at the same moment, many times: the
/// last-admin check and the change are serialized, so at most one of the two changes
/// happens and the organization always keeps an active admin. On PostgreSQL the two
/// requests run in concurrent transactions (READ COMMITTED), where an unserialized
/// check lets both pass; on SQLite the second writer must wait, not fail.
#[tokio::test]
async fn admins_demoting_each_other_at_once_always_leave_an_admin() {
    // A deactivated admin signs in again after each round.
    let app = spawn_app_with(|settings| settings.auth.sign_ins_per_minute = 1000).await;
    let (ada_email, ada_password, mut ada) = app.signed_in_user("Ada Admin", "admin").await;
    let (bea_email, bea_password, mut bea) = app.signed_in_user("Bea Admin", "admin").await;
    let active_admins = || async {
        app.store
            .users(app.organization)
            .await
            .unwrap()
            .into_iter()
            .filter(|u| u.active && u.role == Role::Admin.as_str())
            .map(|u| u.id)
            .collect::<Vec<_>>()
    };
    for round in 0..20 {
        let change = if round % 2 == 0 {
            UserUpdate {
                role: Some(Role::RelationshipManager),
                ..UserUpdate::default()
            }
        } else {
            UserUpdate {
                active: Some(false),
                ..UserUpdate::default()
            }
        };
        let (ada_api, bea_api) = (app.api_as(&ada), app.api_as(&bea));
        let (by_ada, by_bea) = tokio::join!(
            ada_api.update_user(bea.session.user.id, &change).send(),
            bea_api.update_user(ada.session.user.id, &change).send(),
        );
        let statuses = [by_ada.status(), by_bea.status()];
        let left = active_admins().await;
        assert!(
            !left.is_empty(),
            "round {round}: no active admin is left (answers {statuses:?})"
        );
        // One change went through; the other was refused as the last admin's (409), or
        // its caller was no longer an admin (403) or signed in (401) when it arrived.
        assert_eq!(
            statuses.iter().filter(|&&s| s == 200).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| [200, 401, 403, 409].contains(s)),
            "round {round}: {statuses:?}"
        );
        // The admin left makes the other one an active admin again.
        let (winner, loser, loser_sign_in) = if left == [ada.session.user.id.as_uuid()] {
            (&ada, bea.session.user.id, (&bea_email, &bea_password))
        } else {
            (&bea, ada.session.user.id, (&ada_email, &ada_password))
        };
        app.api_as(winner)
            .update_user(
                loser,
                &UserUpdate {
                    role: Some(Role::Admin),
                    active: Some(true),
                },
            )
            .expect(200)
            .await;
        if change.active == Some(false) {
            let session = app.sign_in(loser_sign_in.0, loser_sign_in.1).await;
            if loser == ada.session.user.id {
                ada = session;
            } else {
                bea = session;
            }
        }
        assert_eq!(active_admins().await.len(), 2);
    }
}

/// A key made by a user works while they are active, is refused (saying why) while
/// they are deactivated — at once, though it was just used and cached — and works again
/// once they are reactivated; the admin page's list says which keys are stopped.
#[tokio::test]
async fn a_deactivated_users_api_keys_stop_until_they_are_reactivated() {
    let app = spawn_app().await;
    let ada = app.signed_in_admin().await;
    let (_, _, bea) = app.signed_in_user("Bea Admin", "admin").await;
    let created = app
        .api_as(&bea)
        .create_api_key("Loan origination system")
        .expect(201)
        .await;
    assert!(!created.api_key.owner_deactivated);
    let (key, id) = (created.key, created.api_key.id);
    let everything = CompanyListQuery::default();
    app.api_with_key(&key)
        .companies(&everything)
        .expect(200)
        .await;

    let api = app.api_as(&ada);
    let set_active = |active| UserUpdate {
        active: Some(active),
        ..UserUpdate::default()
    };
    api.update_user(bea.session.user.id, &set_active(false))
        .expect(200)
        .await;
    let problem = app
        .api_with_key(&key)
        .companies(&everything)
        .problem(401)
        .await;
    let detail = problem.detail.unwrap_or_default();
    assert!(detail.contains("owner was deactivated"), "{detail}");
    let listed = |keys: api_types::ApiKeyList| keys.items.into_iter().find(|k| k.id == id).unwrap();
    assert!(listed(api.api_keys().ok().await).owner_deactivated);
    // Keys of no user (made on the command line) go on working.
    app.api().companies(&everything).expect(200).await;

    api.update_user(bea.session.user.id, &set_active(true))
        .expect(200)
        .await;
    app.api_with_key(&key)
        .companies(&everything)
        .expect(200)
        .await;
    assert!(!listed(api.api_keys().ok().await).owner_deactivated);

    // A key revoked while its creator was deactivated stays revoked.
    api.update_user(bea.session.user.id, &set_active(false))
        .expect(200)
        .await;
    api.revoke_api_key(&id).expect(204).await;
    api.update_user(bea.session.user.id, &set_active(true))
        .expect(200)
        .await;
    let problem = app
        .api_with_key(&key)
        .companies(&everything)
        .problem(401)
        .await;
    assert!(problem.detail.unwrap_or_default().contains("revoked"));
}

#[tokio::test]
async fn api_keys_are_shown_once_stored_as_hashes_and_revocable() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let api = app.api_as(&admin);
    let created = api
        .create_api_key("Loan origination system")
        .expect(201)
        .await;
    let key = created.key;
    assert!(key.starts_with("slk_") && key.len() > 40, "{key}");
    assert!(key.starts_with(&created.api_key.prefix));

    let everything = CompanyListQuery::default();
    app.api_with_key(&key)
        .companies(&everything)
        .expect(200)
        .await;
    let listed = api.api_keys().send().await.text().await;
    assert!(!listed.contains(&key), "the secret is never listed");
    let listed = api.api_keys().ok().await;
    let ours = listed
        .items
        .iter()
        .find(|k| k.id == created.api_key.id)
        .unwrap();
    assert!(ours.last_used_at.is_some());
    // Only the hash is stored.
    let stored = app.store.api_keys(app.organization).await.unwrap();
    assert!(
        stored
            .iter()
            .all(|k| k.key.key_hash != key && k.key.key_hash.len() == 64)
    );

    api.revoke_api_key(&created.api_key.id).expect(204).await;
    app.api_with_key(&key)
        .companies(&everything)
        .problem(401)
        .await;
}

#[tokio::test]
async fn every_change_and_download_is_in_the_audit_log_with_who_and_where() {
    let app = spawn_app().await;
    let (admin_email, _, admin) = app.signed_in_user("Ada Admin", "admin").await;
    // An RM (by session) adds a company; the integrator (API key) refreshes it.
    let (email, _, rm) = app
        .signed_in_user("Rita Manager", "relationship_manager")
        .await;
    let audited = NewCompany {
        contact_name: "Al".to_owned(),
        contact_email: "al@audited.example".to_owned(),
        ..new_company("Audited Ltd", &[Financials])
    };
    let id = app
        .api_as(&rm)
        .create_company(&audited)
        .expect(201)
        .await
        .id;
    app.grant_access(app.organization, id, "sandbox").await;
    app.api().refresh(id).expect(202).await;
    app.run_job().await;
    app.api()
        .report(id, ReportKind::ProfitAndLoss, &ReportQuery::default())
        .ok()
        .await;

    let api = app.api_as(&admin);
    let of_company = AuditQuery {
        company_id: Some(id),
        ..AuditQuery::default()
    };
    let page = api.audit_events(&of_company).ok().await;
    let actions: Vec<(&str, &str, &str)> = page
        .items
        .iter()
        .map(|e| (e.action.as_str(), e.actor_kind.as_str(), e.actor.as_str()))
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
    assert_eq!(page.items[3].ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(page.items[0].target.as_deref(), Some("profit_and_loss"));

    let as_csv = AuditQuery {
        format: Some(AuditFormat::Csv),
        ..AuditQuery::default()
    };
    let csv = api.audit_events(&as_csv).send().await;
    assert_eq!(csv.status(), 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.header("content-disposition").contains("audit-events-"));
    let text = csv.text().await;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(
        rows.iter()
            .any(|r| &r[5] == "user.signed_in" && &r[4] == admin_email.as_str())
    );
    assert!(rows.iter().any(|r| &r[5] == "company.created"));
}

/// Company names are the customer's text: in the CSV a spreadsheet opens, none of them
/// may become a formula (OWASP's CSV injection).
#[tokio::test]
async fn the_audit_csv_writes_formula_like_names_as_text() {
    let app = spawn_app().await;
    let (_, _, admin) = app.signed_in_user("Ada Admin", "admin").await;
    let names = [r#"=HYPERLINK("http://x","y")"#, "@SUM(1)", "+1", "-1"];
    for name in names {
        app.api()
            .create_company(&new_company(name, &[Financials]))
            .expect(201)
            .await;
    }
    let as_csv = AuditQuery {
        format: Some(AuditFormat::Csv),
        ..AuditQuery::default()
    };
    let text = app
        .api_as(&admin)
        .audit_events(&as_csv)
        .send()
        .await
        .text()
        .await;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let targets: Vec<String> = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[5] == "company.created")
        .map(|r| r[7].to_owned())
        .collect();
    let mut expected: Vec<String> = names.iter().map(|n| format!("'{n}")).collect();
    expected.reverse();
    assert_eq!(targets, expected, "newest first, each behind a quote");
}

#[tokio::test]
async fn a_caller_over_the_rate_limit_gets_429_with_retry_after() {
    let app = spawn_app_with(|s| s.auth.requests_per_minute = 5).await;
    let everything = CompanyListQuery::default();
    for remaining in (0..5).rev() {
        let response = app.api().companies(&everything).send().await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.header("ratelimit-limit"), "5");
        assert_eq!(
            response.header("ratelimit-remaining"),
            remaining.to_string()
        );
    }
    let limited = app.api().companies(&everything).send().await;
    assert!(limited.has_header("retry-after"));
    limited.problem(429).await;
    // Another key is another bucket.
    let other = crate::helpers::api_key_for(&app.store, app.organization, "Other").await;
    app.api_with_key(&other)
        .companies(&everything)
        .expect(200)
        .await;
}

/// Runs an admin command of the `spendlens` binary on the app's database.
fn admin_command(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spendlens"))
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn assert_succeeded(output: &Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The admin commands: `org create` makes an organization whose admin can sign in with
/// the printed password, and `api-key create` prints a key that works, once.
#[tokio::test]
async fn the_cli_creates_an_organization_and_an_api_key() {
    let app = spawn_app().await;
    let output = admin_command(
        &app,
        &[
            "org",
            "create",
            "--name",
            "Northern Bank",
            "--admin-email",
            "boss@northern.example",
        ],
    );
    assert_succeeded(&output);
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
    assert_eq!(session.session.user.role, Role::Admin);

    let output = admin_command(
        &app,
        &[
            "api-key",
            "create",
            "--org",
            "northern-bank",
            "--name",
            "Core banking",
        ],
    );
    assert_succeeded(&output);
    let key = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(key.starts_with("slk_"));
    let companies = app
        .api_with_key(&key)
        .companies(&CompanyListQuery::default())
        .ok()
        .await;
    assert!(
        companies.items.is_empty(),
        "a new organization sees none of test-bank's"
    );

    let unknown = admin_command(
        &app,
        &["api-key", "create", "--org", "no-such-bank", "--name", "X"],
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no-such-bank"));
}
