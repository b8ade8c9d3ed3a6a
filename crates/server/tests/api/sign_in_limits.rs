//! Sign-in and password-reset abuse: limits per client address and account together and
//! per client address (nobody can lock a user out from elsewhere, nobody can spray one
//! password over every account), a bound on password hashes at once, pruned buckets,
//! and a load test. Client addresses are loopback ones (`127.0.0.0/8`): each test
//! client binds its own.

use std::{
    net::{IpAddr, Ipv4Addr},
    time::{Duration, Instant},
};

use api_types::CompanyListQuery;
use serde_json::json;

use crate::helpers::{http_client, serve_binary, spawn_app};

/// A client whose requests come from `127.0.x.y`.
fn from(x: u8, y: u8) -> reqwest::Client {
    http_client()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, x, y)))
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn try_sign_in(app_url: &str, client: &reqwest::Client, email: &str, password: &str) -> u16 {
    let started = Instant::now();
    match client
        .post(format!("{app_url}/api/v1/session"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
    {
        Ok(answer) => answer.status().as_u16(),
        Err(err) => panic!("sign-in as {email} after {:?}: {err:?}", started.elapsed()),
    }
}

#[tokio::test]
async fn failing_on_purpose_elsewhere_does_not_lock_a_user_out() {
    let app = spawn_app().await;
    let (email, password) = app.user_with_password("Rita", "relationship_manager").await;
    let base = app.url("");
    let attacker = from(0, 2);
    let mut answers = Vec::new();
    for _ in 0..7 {
        answers.push(try_sign_in(&base, &attacker, &email, "not her password").await);
    }
    assert_eq!(answers, [401, 401, 401, 401, 401, 429, 429]);
    // Rita, from her own address, signs in at once.
    assert_eq!(
        try_sign_in(&base, &from(0, 3), &email, &password).await,
        200
    );
}

#[tokio::test]
async fn one_address_cannot_try_a_password_on_every_account() {
    let app = spawn_app().await;
    let base = app.url("");
    let sprayer = from(0, 4);
    // 30 a minute: the bucket refills while the attempts run (each checks a password),
    // so the refusal comes a few attempts after the 30th.
    let mut refused = None;
    for i in 0..45 {
        let answer = sprayer
            .post(format!("{base}/api/v1/session"))
            .json(&json!({ "email": format!("person{i}@bank.example"), "password": "Winter2026!" }))
            .send()
            .await
            .unwrap();
        if answer.status() == 429 {
            refused = Some((i, answer));
            break;
        }
        assert_eq!(answer.status(), 401);
    }
    let (attempts, refused) = refused.expect("a refusal within 45 attempts");
    assert!(attempts >= 30, "refused after {attempts}");
    assert!(refused.headers().contains_key("retry-after"));
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("from your network address"),
        "{problem}"
    );
    // Another address is not held up.
    assert_eq!(
        try_sign_in(&base, &from(0, 5), "person99@bank.example", "Winter2026!").await,
        401
    );
}

#[tokio::test]
async fn idle_shared_buckets_are_pruned() {
    let app = spawn_app().await;
    try_sign_in(&app.url(""), &from(0, 6), "someone@bank.example", "x").await;
    let count = || async {
        use sea_orm::ConnectionTrait;
        app.store
            .connection()
            .query_one_raw(sea_orm::Statement::from_string(
                app.store.backend(),
                "SELECT count(*) AS n FROM rate_limits",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
    };
    assert_eq!(count().await, 2, "the pair's and the address's buckets");
    assert_eq!(
        app.store
            .prune_rate_limits(Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    // A day later (moved back, by the database's clock), both are idle and full.
    {
        use sea_orm::ConnectionTrait;
        app.store
            .connection()
            .execute_unprepared("UPDATE rate_limits SET refilled_at = refilled_at - 90000")
            .await
            .unwrap();
    }
    assert_eq!(
        app.store
            .prune_rate_limits(Duration::from_secs(24 * 3600))
            .await
            .unwrap(),
        2
    );
    assert_eq!(count().await, 0);
}

/// Whether an address belongs to a user shows neither in the answer nor in its time:
/// the link is made after the answer. Medians of alternating requests, each address
/// from its own client address so that no limit is reached.
#[tokio::test]
async fn a_reset_request_takes_as_long_for_an_unknown_address() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..12u8 {
        let (email, _) = app
            .user_with_password(&format!("Person {i}"), "relationship_manager")
            .await;
        for (email, times, y) in [
            (email, &mut known, 10 + 2 * i),
            (format!("nobody{i}@bank.example"), &mut unknown, 11 + 2 * i),
        ] {
            let client = from(1, y);
            let started = Instant::now();
            let answer = client
                .post(format!("{base}/api/v1/password-resets"))
                .json(&json!({ "email": email }))
                .send()
                .await
                .unwrap();
            times.push(started.elapsed());
            assert_eq!(answer.status(), 202);
        }
    }
    known.sort();
    unknown.sort();
    let (known, unknown) = (known[6], unknown[6]);
    assert!(
        known < unknown * 2 + Duration::from_millis(2),
        "known {known:?}, unknown {unknown:?}"
    );
}

/// One sign-in over a plain TCP connection from `from`, written in one go (a load
/// generator's way: no client library between the test and the server); answers the
/// status code.
async fn raw_sign_in(from: Ipv4Addr, port: u16, email: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(std::net::SocketAddr::new(IpAddr::V4(from), 0))
        .unwrap();
    let mut stream = socket
        .connect(std::net::SocketAddr::new(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
        ))
        .await
        .unwrap();
    let body = json!({ "email": email, "password": "a guess" }).to_string();
    let request = format!(
        "POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

/// 200 sign-ins at once, each from its own address with a made-up email: the server
/// checks one password per two cores at a time (19 MiB each), so its memory stays flat, and
/// a signed-in user's requests keep answering meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_sign_ins_at_once_keep_memory_flat_and_others_answered() {
    let mut app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let server = serve_binary(dir.path(), &app.database_url, &[]);
    app.address = server.address.clone();
    server.ready().await;
    let user = app.signed_in_manager().await;
    let base = app.url("");

    let started = Instant::now();
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let flood = (0..200u16).map(|i| async move {
        let from = Ipv4Addr::new(127, 0, 2 + (i / 250) as u8, (i % 250) as u8 + 1);
        let email = format!("{}@bank.example", uuid::Uuid::now_v7());
        raw_sign_in(from, port, &email).await
    });
    let flood = futures::future::join_all(flood);
    let others = async {
        let mut slowest = Duration::ZERO;
        for _ in 0..20 {
            let asked = Instant::now();
            app.api_as(&user)
                .companies(&CompanyListQuery::default())
                .ok()
                .await;
            slowest = slowest.max(asked.elapsed());
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        slowest
    };
    let (answers, slowest) = tokio::join!(flood, others);
    let took = started.elapsed();
    // Each is checked (401), or waited 10 s for a free hashing slot and was told to come
    // back (429).
    let checked = answers.iter().filter(|s| **s == 401).count();
    let busy = answers.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + busy, 200, "{answers:?}");
    assert!(checked >= 20, "only {checked} checked: {answers:?}");
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    println!(
        "200 concurrent sign-ins: {took:?} in all, {checked} checked (401), {busy} told to come back (429); peak RSS {} MiB; slowest other request {slowest:?}",
        peak_kib / 1024
    );
    assert!(peak_kib < 200 * 1024, "peak RSS {} MiB", peak_kib / 1024);
    assert!(
        slowest < Duration::from_secs(5),
        "other requests took {slowest:?}"
    );
}
