//! Notifications: the relationship manager who triggered a refresh, or sent an
//! information request, hears how it ended — in the portal's bell, and by email when
//! they asked for it.

use std::time::Duration;

use api_types::{
    Delivery, MarkNotificationsRead, NewInformationRequest, NotificationPreferences,
    NotificationQuery, NotificationsMarked, UnreadCount,
};
use domain::{
    DataType::{Financials, SpendDetail},
    EventType,
};
use mail::{MailConfig, MailWorker, Transport};
use providers::SandboxConfig;
use refresh::WorkerConfig;

use crate::{client::token_of, helpers::spawn_app, webhooks::outbox_worker};

#[tokio::test]
async fn a_refresh_the_rm_triggered_fails_and_their_bell_says_so_until_read() {
    let app = spawn_app().await;
    let rm = app.signed_in_manager().await;
    let admin = app.signed_in_admin().await;
    let company = app
        .connected_company("Hackney Hardware", &[Financials])
        .await;
    app.api_as(&rm).refresh(company).expect(202).await;
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

    let (as_rm, as_admin) = (app.api_as(&rm), app.api_as(&admin));
    let all = NotificationQuery::default();
    let page = as_rm.notifications(&all).ok().await;
    assert_eq!(page.unread_count, 1);
    assert_eq!(page.items.len(), 1);
    let note = &page.items[0];
    assert_eq!(note.event_type, EventType::RefreshFailed);
    assert_eq!(note.company_id, Some(company));
    assert_eq!(note.company_name, "Hackney Hardware");
    assert_eq!(note.title, "Refresh of Hackney Hardware failed");
    let error = app.api().company(company).ok().await.error.unwrap();
    assert!(note.message.starts_with(&error.message), "{note:?}");
    assert_eq!(note.read_at, None);
    assert_eq!(
        as_rm.unread_count().ok().await,
        UnreadCount { unread_count: 1 }
    );
    // Nobody else is notified: not the admin, and an API key has no bell.
    assert!(as_admin.notifications(&all).ok().await.items.is_empty());
    app.api().notifications(&all).problem(403).await;
    // Another person cannot mark it read.
    as_admin.mark_notification_read(&note.id).problem(404).await;

    let read = as_rm.mark_notification_read(&note.id).expect(200).await;
    assert!(read.read_at.is_some());
    assert_eq!(as_rm.unread_count().ok().await.unread_count, 0);
    let unread = NotificationQuery {
        unread: Some(true),
        ..NotificationQuery::default()
    };
    assert!(as_rm.notifications(&unread).ok().await.items.is_empty());
    assert_eq!(as_rm.notifications(&all).ok().await.items[0].id, note.id);
}

#[tokio::test]
async fn refreshes_that_complete_notify_by_email_when_the_rm_asked_and_mark_all_read() {
    let app = spawn_app().await;
    let (email, _, rm) = app
        .signed_in_user("Rita Manager", "relationship_manager")
        .await;
    let as_rm = app.api_as(&rm);
    assert_eq!(
        as_rm.notification_preferences().ok().await,
        NotificationPreferences { email: false }
    );
    let by_email = NotificationPreferences { email: true };
    as_rm
        .set_notification_preferences(&by_email)
        .expect(200)
        .await;
    assert_eq!(as_rm.notification_preferences().ok().await, by_email);

    let first = app.connected_company("Islington Ink", &[Financials]).await;
    let second = app.connected_company("Kew Kitchens", &[Financials]).await;
    as_rm.refresh(first).expect(202).await;
    as_rm.refresh(second).expect(202).await;
    // A refresh through an API key has nobody to notify.
    let third = app.connected_company("Lambeth Lamps", &[Financials]).await;
    app.api().refresh(third).expect(202).await;
    app.run_due_jobs().await;
    outbox_worker(&app, |_| {}).drain().await.unwrap();

    let page = as_rm
        .notifications(&NotificationQuery::default())
        .ok()
        .await;
    assert_eq!(page.unread_count, 2);
    let titles: Vec<&str> = page.items.iter().map(|n| n.title.as_str()).collect();
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
    let until_seen = MarkNotificationsRead {
        until: Some(page.items[0].created_at),
    };
    assert_eq!(
        as_rm.mark_notifications_read(&until_seen).expect(200).await,
        NotificationsMarked {
            marked: 2,
            unread_count: 0
        }
    );
}

#[tokio::test]
async fn the_rm_who_sent_an_information_request_hears_the_customers_answer() {
    let app = spawn_app().await;
    let rm = app.signed_in_manager().await;
    let link = NewInformationRequest {
        delivery: Delivery::Link,
        ..NewInformationRequest::default()
    };
    let mut tokens = Vec::new();
    for name in [
        "Mayfair Mills",
        "Notting Hill Nurseries",
        "Kensal Rise Kilns",
    ] {
        let company = app.create_company(name, &[Financials, SpendDetail]).await;
        let request = app
            .api_as(&rm)
            .request_information(company.id, &link)
            .expect(201)
            .await;
        tokens.push(token_of(&request.link.unwrap()));
    }
    let customer = app.public_api();
    customer.grant_consent(&tokens[0], "sandbox").ok().await;
    customer.decline_consent(&tokens[1]).ok().await;
    let template = app
        .public_api()
        .request::<()>(
            reqwest::Method::GET,
            "/api/v1/upload-template/spendlens-template.xlsx",
        )
        .send()
        .await
        .bytes()
        .await;
    customer
        .upload_through_link(&tokens[2], &[("kilns.xlsx", template)])
        .expect(201)
        .await;
    outbox_worker(&app, |_| {}).dispatch_once().await.unwrap();

    let page = app
        .api_as(&rm)
        .notifications(&NotificationQuery::default())
        .ok()
        .await;
    let items = &page.items;
    assert_eq!(items.len(), 3, "{page:?}");
    assert_eq!(items[0].event_type, EventType::ConsentGranted);
    assert_eq!(items[0].title, "Kensal Rise Kilns uploaded its data");
    assert!(
        items[0]
            .message
            .contains("Jane Doe uploaded the template instead of connecting"),
        "{:?}",
        items[0]
    );
    assert_eq!(items[1].event_type, EventType::ConsentDeclined);
    assert_eq!(
        items[1].title,
        "Notting Hill Nurseries declined the information request"
    );
    assert!(
        items[1]
            .message
            .contains("Jane Doe left without granting access")
    );
    assert_eq!(items[2].event_type, EventType::ConsentGranted);
    assert_eq!(items[2].title, "Mayfair Mills granted access to its data");
    assert!(items[2].message.contains("connected sandbox"));
}
