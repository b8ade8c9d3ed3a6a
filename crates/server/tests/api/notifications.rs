//! Notifications: the relationship manager who triggered a refresh, or sent an
//! information request, hears how it ended — in the portal's bell, and by email when
//! they asked for it.

use domain::DataType;
use std::time::Duration;

use mail::{MailConfig, MailWorker, Transport};
use providers::SandboxConfig;
use refresh::WorkerConfig;
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{SignedIn, TestApp, assert_problem, spawn_app},
    webhooks::outbox_worker,
};

async fn get_as(app: &TestApp, user: &SignedIn, path: &str) -> Value {
    let response = app.as_user(user, Method::GET, path).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

async fn refresh_as(app: &TestApp, user: &SignedIn, company: domain::CompanyId) {
    let response = app
        .as_user(
            user,
            Method::POST,
            &format!("/api/v1/companies/{company}/refresh"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
}

#[tokio::test]
async fn a_refresh_the_rm_triggered_fails_and_their_bell_says_so_until_read() {
    let app = spawn_app().await;
    let (_, _, rm) = app
        .signed_in_user("Rita Manager", "relationship_manager")
        .await;
    let (_, _, admin) = app.signed_in_user("Ada Admin", "admin").await;
    let company = app
        .connected_company("Hackney Hardware", &[DataType::Financials])
        .await;
    refresh_as(&app, &rm, company).await;
    let failing = app.worker(
        SandboxConfig {
            latency: Duration::ZERO,
            failure_rate: 1.0,
        },
        WorkerConfig {
            max_attempts: 1,
            ..WorkerConfig::default()
        },
    );
    let (_, outcome) = failing.run_once().await.unwrap().expect("a job");
    assert!(
        matches!(outcome, refresh::Outcome::Failed(_)),
        "{outcome:?}"
    );
    let dispatched = outbox_worker(&app, |_| {}).dispatch_once().await.unwrap();
    assert_eq!(dispatched.notifications, 1);

    let page = get_as(&app, &rm, "/api/v1/notifications").await;
    assert_eq!(page["unread_count"], 1);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let note = &items[0];
    assert_eq!(note["event_type"], "refresh.failed");
    assert_eq!(note["company_id"], company.to_string());
    assert_eq!(note["company_name"], "Hackney Hardware");
    assert_eq!(note["title"], "Refresh of Hackney Hardware failed");
    let company_json: Value = app
        .get(&format!("/api/v1/companies/{company}"))
        .await
        .json()
        .await
        .unwrap();
    let error = company_json["error"]["message"].as_str().unwrap();
    assert!(
        note["message"].as_str().unwrap().starts_with(error),
        "{note}"
    );
    assert_eq!(note["read_at"], Value::Null);
    assert_eq!(
        get_as(&app, &rm, "/api/v1/notifications/unread-count").await,
        json!({"unread_count": 1})
    );
    // Nobody else is notified: not the admin, and an API key has no bell.
    assert_eq!(
        get_as(&app, &admin, "/api/v1/notifications").await["items"],
        json!([])
    );
    assert_problem(app.get("/api/v1/notifications").await, 403).await;
    // Another person cannot mark it read.
    let id = note["id"].as_str().unwrap();
    let by_admin = app
        .as_user(
            &admin,
            Method::POST,
            &format!("/api/v1/notifications/{id}/read"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(by_admin, 404).await;

    let read = app
        .as_user(
            &rm,
            Method::POST,
            &format!("/api/v1/notifications/{id}/read"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.unwrap();
    assert!(read["read_at"].is_string());
    assert_eq!(
        get_as(&app, &rm, "/api/v1/notifications/unread-count").await["unread_count"],
        0
    );
    assert_eq!(
        get_as(&app, &rm, "/api/v1/notifications?unread=true").await["items"],
        json!([])
    );
    assert_eq!(
        get_as(&app, &rm, "/api/v1/notifications").await["items"][0]["id"],
        id
    );
}

#[tokio::test]
async fn refreshes_that_complete_notify_by_email_when_the_rm_asked_and_mark_all_read() {
    let app = spawn_app().await;
    let (email, _, rm) = app
        .signed_in_user("Rita Manager", "relationship_manager")
        .await;
    assert_eq!(
        get_as(&app, &rm, "/api/v1/notification-preferences").await,
        json!({"email": false})
    );
    let set = app
        .as_user(&rm, Method::PUT, "/api/v1/notification-preferences")
        .json(&json!({"email": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    assert_eq!(
        get_as(&app, &rm, "/api/v1/notification-preferences").await,
        json!({"email": true})
    );

    let first = app
        .connected_company("Islington Ink", &[DataType::Financials])
        .await;
    let second = app
        .connected_company("Kew Kitchens", &[DataType::Financials])
        .await;
    refresh_as(&app, &rm, first).await;
    refresh_as(&app, &rm, second).await;
    // A refresh through an API key has nobody to notify.
    let third = app
        .connected_company("Lambeth Lamps", &[DataType::Financials])
        .await;
    app.post_json(&format!("/api/v1/companies/{third}/refresh"), &json!({}))
        .await;
    let worker = app.instant_worker();
    while worker.run_once().await.unwrap().is_some() {}
    outbox_worker(&app, |_| {}).drain().await.unwrap();

    let page = get_as(&app, &rm, "/api/v1/notifications").await;
    assert_eq!(page["unread_count"], 2);
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Refresh of Kew Kitchens completed",
            "Refresh of Islington Ink completed"
        ],
        "newest first"
    );

    // The emails, as the mail worker writes them to the outbox.
    let outbox = tempfile::tempdir().unwrap();
    let mail = MailWorker::new(
        app.store.clone(),
        Transport::from_config(None, outbox.path().to_path_buf()).unwrap(),
        MailConfig::default(),
    );
    while mail.run_once().await.unwrap().is_some() {}
    let messages: Vec<String> = std::fs::read_dir(outbox.path())
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert_eq!(messages.len(), 2);
    for message in &messages {
        let unfolded = message.replace("=\r\n", "");
        assert!(unfolded.contains(&email), "{unfolded}");
        assert!(unfolded.contains("Subject: Refresh of "), "{unfolded}");
        assert!(
            unfolded.contains("http://portal.test/companies/"),
            "{unfolded}"
        );
    }

    // Mark all read: only those up to what the person saw.
    let newest_seen = page["items"][0]["created_at"].clone();
    let marked = app
        .as_user(&rm, Method::POST, "/api/v1/notifications/read")
        .json(&json!({"until": newest_seen}))
        .send()
        .await
        .unwrap();
    assert_eq!(marked.status(), 200);
    assert_eq!(
        marked.json::<Value>().await.unwrap(),
        json!({"marked": 2, "unread_count": 0})
    );
}

#[tokio::test]
async fn the_rm_who_sent_an_information_request_hears_the_customers_answer() {
    let app = spawn_app().await;
    let (_, _, rm) = app
        .signed_in_user("Rita Manager", "relationship_manager")
        .await;
    let mut tokens = Vec::new();
    for name in ["Mayfair Mills", "Notting Hill Nurseries"] {
        let company = app.create_company(name, &[DataType::Financials]).await;
        let response = app
            .as_user(
                &rm,
                Method::POST,
                &format!("/api/v1/companies/{}/information-requests", company.id),
            )
            .json(&json!({"delivery": "link"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let request: Value = response.json().await.unwrap();
        tokens.push(
            request["link"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned(),
        );
    }
    let granted = app
        .anonymous()
        .post(app.url(&format!("/api/v1/consent/{}/grant", tokens[0])))
        .json(&json!({"platform": "sandbox"}))
        .send()
        .await
        .unwrap();
    assert!(granted.status().is_success(), "{}", granted.status());
    let declined = app
        .anonymous()
        .post(app.url(&format!("/api/v1/consent/{}/decline", tokens[1])))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(declined.status().is_success(), "{}", declined.status());
    outbox_worker(&app, |_| {}).dispatch_once().await.unwrap();

    let page = get_as(&app, &rm, "/api/v1/notifications").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    assert_eq!(items[0]["event_type"], "consent.declined");
    assert_eq!(
        items[0]["title"],
        "Notting Hill Nurseries declined the information request"
    );
    assert!(
        items[0]["message"]
            .as_str()
            .unwrap()
            .contains("Jane Doe left without granting access")
    );
    assert_eq!(items[1]["event_type"], "consent.granted");
    assert_eq!(
        items[1]["title"],
        "Mayfair Mills granted access to its data"
    );
    assert!(
        items[1]["message"]
            .as_str()
            .unwrap()
            .contains("connected sandbox")
    );
}
