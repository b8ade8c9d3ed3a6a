//! Client groups (issue #21): one information request covers a group whose customer
//! connects one entity after another (or uploads an entity's template); the company
//! list shows the group once with its entities rolled up; a group refresh is one batch
//! with a job per refreshable entity; entities are added and removed by the RM.

use api_types::{
    CompanyListQuery, NewRefreshBatch, NotificationQuery, ProblemKind, RefreshCompanies,
    RefreshFilter, SkipReason,
};
use domain::{
    DataStatus,
    DataType::{Financials, SpendDetail},
    ErrorCode, EventType,
};
use reqwest::Method;

use crate::{
    helpers::{TestApp, error_code, spawn_app},
    webhooks::{self, outbox_worker},
};

async fn template(app: &TestApp) -> Vec<u8> {
    app.public_api()
        .request::<()>(
            Method::GET,
            "/api/v1/upload-template/spendlens-template.xlsx",
        )
        .send()
        .await
        .bytes()
        .await
}

/// Acme Group through one link: its own books and Acme Trading connected to the
/// sandbox, Acme Services uploaded from the template. Answers the group's id and the
/// group link's token.
async fn acme_group(app: &TestApp) -> (domain::CompanyId, String) {
    let group = app
        .create_company("Acme Group", &[Financials, SpendDetail])
        .await;
    let token = app.link_token(group.id).await;
    let customer = app.public_api();
    customer.grant_consent(&token, "sandbox").ok().await;
    // The link is used up for the group's own books, and still adds entities.
    let trading = customer
        .add_consent_entity(&token, "Acme Trading Ltd")
        .expect(201)
        .await;
    assert_eq!(trading.company_name, "Acme Trading Ltd");
    customer.grant_consent(&trading.token, "sandbox").ok().await;
    // An entity's link adds to the same group.
    let services = customer
        .add_consent_entity(&trading.token, "Acme Services Ltd")
        .expect(201)
        .await;
    let page = customer.consent(&services.token).ok().await;
    assert_eq!(page.company_name, "Acme Services Ltd");
    assert_eq!(page.group_name.as_deref(), Some("Acme Group"));
    let listed: Vec<(&str, Option<&str>, bool)> = page
        .entities
        .iter()
        .map(|e| (e.name.as_str(), e.connected_with.as_deref(), e.current))
        .collect();
    assert_eq!(
        listed,
        [
            (
                "Acme Group",
                Some("Sandbox (demo accounting platform)"),
                false
            ),
            (
                "Acme Trading Ltd",
                Some("Sandbox (demo accounting platform)"),
                false
            ),
            ("Acme Services Ltd", None, true),
        ]
    );
    customer
        .upload_through_link(&services.token, &[("services.xlsx", template(app).await)])
        .expect(201)
        .await;
    (group.id, token)
}

#[tokio::test]
async fn a_customer_connects_a_group_entity_after_entity_through_one_link_and_the_list_rolls_it_up()
{
    let app = spawn_app().await;
    let (group, token) = acme_group(&app).await;
    app.run_due_jobs().await;

    // The list shows the group once, with its entities rolled up.
    let page = app.api().companies(&CompanyListQuery::default()).ok().await;
    assert_eq!(page.items.len(), 1, "entities are listed under their group");
    let row = &page.items[0];
    assert_eq!(row.name, "Acme Group");
    let rollup = row.group.as_ref().expect("a group");
    assert_eq!(rollup.entities, 3);
    assert_eq!(rollup.available, 3);
    assert_eq!(rollup.status, Some(DataStatus::Available));
    assert_eq!(rollup.refreshing, 0);
    assert!(rollup.updated_at >= row.status_updated_at);

    // Each entity is a company of its own, with its own platform and reports.
    let entities = app.api().entities(group).ok().await;
    let names: Vec<&str> = entities.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Acme Services Ltd", "Acme Trading Ltd"]);
    for entity in &entities {
        assert_eq!(entity.parent.as_ref().map(|p| p.id), Some(group));
        assert_eq!(entity.status, Some(DataStatus::Available));
        assert!(!app.api().reports(entity.id).ok().await.items.is_empty());
    }
    assert_eq!(entities[0].platform.as_deref(), Some("upload"));
    assert_eq!(entities[1].platform.as_deref(), Some("sandbox"));

    // A declined entity puts the group in error, with the count.
    let customer = app.public_api();
    let declined = customer
        .add_consent_entity(&token, "Acme Leasing Ltd")
        .expect(201)
        .await;
    customer.decline_consent(&declined.token).ok().await;
    let leasing = app.api().company(declined_id(&app, group).await).ok().await;
    assert_eq!(error_code(&leasing), Some(ErrorCode::CustomerDeclined));
    let row = app.api().company(group).ok().await;
    let rollup = row.group.expect("a group");
    assert_eq!(rollup.entities, 4);
    assert_eq!((rollup.available, rollup.error), (3, 1));
    assert_eq!(rollup.status, Some(DataStatus::Error));
    assert_eq!(
        row.status,
        Some(DataStatus::Available),
        "the group's own books keep their status"
    );
}

async fn declined_id(app: &TestApp, group: domain::CompanyId) -> domain::CompanyId {
    let entities = app.api().entities(group).ok().await;
    entities
        .iter()
        .find(|e| e.name == "Acme Leasing Ltd")
        .expect("the declined entity is listed")
        .id
}

#[tokio::test]
async fn refreshing_a_group_is_one_batch_with_a_job_per_entity_and_the_uploaded_one_skipped() {
    let app = spawn_app().await;
    let (group, _) = acme_group(&app).await;
    app.run_due_jobs().await;
    let entities = app.api().entities(group).ok().await;
    let services = entities
        .iter()
        .find(|e| e.name == "Acme Services Ltd")
        .unwrap();

    let batch = app
        .api()
        .create_refresh_batch(&NewRefreshBatch::Companies(RefreshCompanies {
            company_ids: vec![group],
        }))
        .expect(202)
        .await;
    assert_eq!(batch.total, 2, "the group's own books and Acme Trading");
    assert_eq!(batch.skipped.len(), 1);
    assert_eq!(batch.skipped[0].company_id, services.id);
    assert_eq!(batch.skipped[0].reason, SkipReason::Uploaded);
    let row = app.api().company(group).ok().await;
    assert_eq!(
        row.group.unwrap().refreshing,
        2,
        "progress shows on the row"
    );

    app.run_due_jobs().await;
    let done = app.api().refresh_batch(&batch.id).ok().await;
    assert!(done.done);
    assert_eq!(done.succeeded, 2);

    // A bulk refresh by filter takes the groups' entities too.
    let by_filter = app
        .api()
        .create_refresh_batch(&NewRefreshBatch::Filter(RefreshFilter {
            filter: Default::default(),
        }))
        .expect(202)
        .await;
    assert_eq!(by_filter.total, 2);
    assert_eq!(by_filter.skipped_count, 1);
}

#[tokio::test]
async fn the_rm_adds_and_removes_entities_and_removing_one_deletes_its_data() {
    let app = spawn_app().await;
    let group = app.create_company("Brent Holdings", &[Financials]).await;
    let added = app
        .api()
        .add_entity(group.id, "Brent Logistics Ltd")
        .expect(201)
        .await;
    assert_eq!(added.status, None, "not requested yet");
    assert_eq!(added.contact, group.contact, "the group's contact");
    assert_eq!(added.data_types, group.data_types);
    assert_eq!(
        added.parent.as_ref().map(|p| p.name.as_str()),
        Some("Brent Holdings")
    );
    let shown = app.api().company(group.id).ok().await;
    let rollup = shown.group.expect("a group now");
    assert_eq!((rollup.entities, rollup.not_requested), (2, 2));
    assert_eq!(rollup.status, None);

    // Entities have no entities; names are checked.
    let nested = app.api().add_entity(added.id, "Deeper").problem(409).await;
    assert_eq!(nested.kind(), Some(ProblemKind::EntityOfGroup));
    let blank = app.api().add_entity(group.id, "  ").problem(422).await;
    assert_eq!(blank.kind(), Some(ProblemKind::Validation));

    // The entity gets its own request, grant and data.
    let token = app.link_token(added.id).await;
    app.public_api().grant_consent(&token, "sandbox").ok().await;
    app.run_due_jobs().await;
    assert!(!app.api().reports(added.id).ok().await.items.is_empty());

    app.api().delete_company(added.id).expect(204).await;
    app.api().company(added.id).problem(404).await;
    app.api().reports(added.id).problem(404).await;
    assert!(app.api().entities(group.id).ok().await.is_empty());
    assert_eq!(app.api().company(group.id).ok().await.group, None);

    // Deleting a group deletes its entities.
    let other = app
        .api()
        .add_entity(group.id, "Brent Storage Ltd")
        .expect(201)
        .await;
    app.api().delete_company(group.id).expect(204).await;
    app.api().company(other.id).problem(404).await;
}

#[tokio::test]
async fn a_link_adds_entities_only_while_it_is_valid() {
    let app = spawn_app().await;
    let group = app.create_company("Cray Foods", &[SpendDetail]).await;
    let customer = app.public_api();

    let unknown = customer
        .add_consent_entity(&"a".repeat(43), "Cray Bakery")
        .problem(404)
        .await;
    assert_eq!(unknown.kind(), Some(ProblemKind::LinkNotFound));

    let token = app.link_token(group.id).await;
    let empty = customer.add_consent_entity(&token, "").problem(422).await;
    assert_eq!(empty.kind(), Some(ProblemKind::Validation));
    // Pending: the customer may start with another entity.
    customer
        .add_consent_entity(&token, "Cray Bakery")
        .expect(201)
        .await;

    // Declined, or replaced by a newer link: no more entities.
    customer.decline_consent(&token).ok().await;
    let declined = customer
        .add_consent_entity(&token, "Cray Dairy")
        .problem(410)
        .await;
    assert_eq!(declined.kind(), Some(ProblemKind::LinkUsed));
    let newer = app.link_token(group.id).await;
    let _newest = app.link_token(group.id).await;
    let superseded = customer
        .add_consent_entity(&newer, "Cray Dairy")
        .problem(410)
        .await;
    assert_eq!(superseded.kind(), Some(ProblemKind::LinkSuperseded));

    // Past its expiry, even a link used for its own entity adds none.
    let token = app.link_token(group.id).await;
    customer.grant_consent(&token, "sandbox").ok().await;
    app.advance_clock(chrono::Duration::days(30));
    let expired = customer
        .add_consent_entity(&token, "Cray Dairy")
        .problem(410)
        .await;
    assert_eq!(expired.kind(), Some(ProblemKind::LinkExpired));
    let names: Vec<String> = app
        .api()
        .entities(group.id)
        .ok()
        .await
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["Cray Bakery"]);
}

#[tokio::test]
async fn notifications_and_webhooks_name_the_entity_and_its_group() {
    let (app, admin) = webhooks::app_allowing_loopback().await;
    let receiver = webhooks::receiver(200).await;
    webhooks::subscribe(&app, &admin, &receiver, &[EventType::ConsentGranted]).await;
    let group = app.create_company("Dulwich Group", &[Financials]).await;
    let link = api_types::NewInformationRequest {
        delivery: api_types::Delivery::Link,
        ..Default::default()
    };
    let request = app
        .api_as(&admin)
        .request_information(group.id, &link)
        .expect(201)
        .await;
    let token = crate::client::token_of(&request.link.unwrap());
    let customer = app.public_api();
    let entity = customer
        .add_consent_entity(&token, "Dulwich Dairy Ltd")
        .expect(201)
        .await;
    customer.grant_consent(&entity.token, "sandbox").ok().await;
    outbox_worker(&app, |_| {}).drain().await.unwrap();

    let page = app
        .api_as(&admin)
        .notifications(&NotificationQuery::default())
        .ok()
        .await;
    let granted = page
        .items
        .iter()
        .find(|n| n.event_type == EventType::ConsentGranted)
        .expect("the RM hears of the entity's grant");
    assert_eq!(
        granted.title,
        "Dulwich Dairy Ltd (Dulwich Group) granted access to its data"
    );

    let received = receiver.received_requests().await.unwrap();
    assert_eq!(received.len(), 1, "one consent.granted");
    let payload: serde_json::Value = serde_json::from_str(&webhooks::body(&received[0])).unwrap();
    assert_eq!(payload["type"], "consent.granted");
    assert_eq!(payload["data"]["company"]["name"], "Dulwich Dairy Ltd");
    assert_eq!(payload["data"]["company"]["group"]["name"], "Dulwich Group");
    assert_eq!(
        payload["data"]["company"]["group"]["id"],
        group.id.to_string()
    );
}

#[tokio::test]
async fn the_consolidated_workbook_adds_up_the_entities_per_currency() {
    use crate::reports::{cell_number, cell_text, sheet, workbook};
    use api_types::{ConsolidatedQuery, ReportFormat, ReportQuery};

    let app = spawn_app().await;
    let (group, _) = acme_group(&app).await;
    app.run_due_jobs().await;
    let xlsx = ConsolidatedQuery {
        format: Some(ReportFormat::Xlsx),
        sheet: None,
    };
    let download = app.api().consolidated_report(group, &xlsx).send().await;
    assert!(
        download
            .header("content-disposition")
            .contains("acme-group-consolidated-"),
        "{}",
        download.header("content-disposition")
    );
    let book = workbook(download).await;
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["Spend analysis", "Accounts payable ageing", "By supplier"]
    );

    let number = |cell: &calamine::Data| match cell {
        calamine::Data::Empty => 0.0,
        cell => cell_number(cell),
    };
    let entities = app.api().entities(group).ok().await;
    let mut ids = vec![group];
    ids.extend(entities.iter().map(|e| e.id));
    for title in ["Spend analysis", "Accounts payable ageing"] {
        let rows = sheet(&book, title);
        let header: Vec<String> = rows[0].iter().map(cell_text).collect();
        let listed: Vec<String> = rows[1..rows.len() - 1]
            .iter()
            .map(|r| cell_text(&r[0]))
            .collect();
        assert_eq!(
            listed,
            ["Acme Group", "Acme Services Ltd", "Acme Trading Ltd"],
            "{title}: one row per entity, the group's own books first"
        );
        let total = rows.last().unwrap();
        assert_eq!(cell_text(&total[0]), "Total");
        let currencies: Vec<&String> = header.iter().skip(2).collect();
        assert!(!currencies.is_empty(), "{title}: {header:?}");
        // Every column belongs to one currency, and its total is the sum of the entities'.
        for (j, column) in header.iter().enumerate().skip(2) {
            assert!(
                column.len() > 4 && column.as_bytes()[3] == b' ',
                "{title}: {column} names its currency"
            );
            let sum: f64 = rows[1..rows.len() - 1].iter().map(|r| number(&r[j])).sum();
            assert!(
                (number(&total[j]) - sum).abs() < 0.005,
                "{title} {column}: total {} against {sum}",
                number(&total[j])
            );
        }
    }

    // Each entity's outstanding per currency is its own ageing report's, currency by
    // currency (each of these entities' books is in one currency).
    let ageing = sheet(&book, "Accounts payable ageing");
    let header: Vec<String> = ageing[0].iter().map(cell_text).collect();
    for (row, id) in ageing[1..ageing.len() - 1].iter().zip(&ids) {
        let own = workbook(
            app.api()
                .report(
                    *id,
                    domain::ReportKind::AgedPayables,
                    &ReportQuery {
                        format: Some(ReportFormat::Xlsx),
                        ..ReportQuery::default()
                    },
                )
                .send()
                .await,
        )
        .await;
        let own = &own[0].1;
        let own_total = number(own.last().unwrap().last().unwrap());
        let consolidated: f64 = header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.ends_with("total outstanding"))
            .map(|(j, _)| number(&row[j]))
            .sum();
        assert!(
            (own_total - consolidated).abs() < 0.005,
            "{}: own ageing {own_total}, consolidated {consolidated}",
            cell_text(&row[0])
        );
    }

    // A CSV file holds one sheet.
    let csv = ConsolidatedQuery {
        format: Some(ReportFormat::Csv),
        sheet: None,
    };
    app.api()
        .consolidated_report(group, &csv)
        .problem(400)
        .await;
    let unknown = ConsolidatedQuery {
        format: Some(ReportFormat::Csv),
        sheet: Some("nope".to_owned()),
    };
    app.api()
        .consolidated_report(group, &unknown)
        .problem(404)
        .await;
}

#[tokio::test]
async fn a_group_has_at_most_fifty_entities_however_they_are_added() {
    let app = spawn_app().await;
    let group = app.create_company("Fulham Holdings", &[SpendDetail]).await;
    for n in 0..50 {
        app.api()
            .add_entity(group.id, &format!("Fulham Entity {n:02}"))
            .expect(201)
            .await;
    }
    let full = app
        .api()
        .add_entity(group.id, "One Too Many")
        .problem(409)
        .await;
    assert_eq!(full.kind(), Some(ProblemKind::TooManyEntities));
    let token = app.link_token(group.id).await;
    let full = app
        .public_api()
        .add_consent_entity(&token, "One Too Many")
        .problem(409)
        .await;
    assert_eq!(full.kind(), Some(ProblemKind::TooManyEntities));
    let rollup = app.api().company(group.id).ok().await.group.unwrap();
    assert_eq!(rollup.entities, 51, "its own books and fifty entities");
    // The refusal used nothing up: the link still grants.
    app.public_api()
        .grant_consent(&token, "sandbox")
        .expect(200)
        .await;
}
