//! Adding, listing, editing and deleting companies, and every way to get it wrong.

use api_types::{
    Company, CompanyCounts, CompanyCountsQuery, CompanyListQuery, CompanyPage, CompanySort,
    CompanyUpdate, Contact, Delivery, NewCompany, NewInformationRequest, StatusFilter,
};
use domain::{
    CompanyId,
    DataType::{Financials, SpendDetail},
    RefreshJobId, StatusEvent, UserId,
};

use crate::{
    client::assert_problem,
    helpers::{TestApp, new_company, spawn_app},
};

#[tokio::test]
async fn a_new_company_has_no_status_until_information_is_requested() {
    let app = spawn_app().await;
    let acme = NewCompany {
        description: "Wholesale stationery".to_owned(),
        contact_email: "jane@acme.example".to_owned(),
        ..new_company("  Acme Ltd ", &[SpendDetail, Financials, Financials])
    };
    let answer = app.api().create_company(&acme).send().await;
    let location = answer.header("location").to_owned();
    let company = answer.expect(201).await;
    assert_eq!(location, format!("/api/v1/companies/{}", company.id));
    assert_eq!(company.name, "Acme Ltd");
    assert_eq!(
        company.contact,
        Contact {
            name: "Jane Doe".to_owned(),
            email: "jane@acme.example".to_owned()
        }
    );
    assert_eq!(company.data_types, [Financials, SpendDetail]);
    assert_eq!(company.status, None);
    assert_eq!(company.status_updated_at, None);
    assert_eq!(company.error, None);
    assert_eq!(company.refresh, None);

    let fetched: Company = app.api().get(&location).ok().await;
    assert_eq!(fetched, company);
    let row = app
        .store
        .company(app.organization, company.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.company.contact_email, "jane@acme.example");
    assert!(row.company.requests_financials && row.company.requests_spend_detail);
}

#[tokio::test]
async fn invalid_fields_are_listed_one_by_one_and_nothing_is_saved() {
    let app = spawn_app().await;
    let invalid = NewCompany {
        contact_name: "Jane".to_owned(),
        contact_email: "not-an-email".to_owned(),
        ..new_company("   ", &[])
    };
    let problem = app.api().create_company(&invalid).problem(422).await;
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["name", "contact_email", "data_types"]);
    assert!(list(&app, &CompanyListQuery::default()).await.is_empty());
}

#[tokio::test]
async fn unreadable_bodies_are_problems() {
    let app = spawn_app().await;
    let send = |body: &'static str, content_type: &'static str| {
        app.client
            .post(app.url("/api/v1/companies"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    assert_problem(send("{\"name\": ", "application/json").await.unwrap(), 400).await;
    let wrong_type = assert_problem(
        send(
            r#"{"name": 5, "contact_name": "a", "contact_email": "a@b.co", "data_types": []}"#,
            "application/json",
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    assert_eq!(wrong_type.errors[0].field, "name");
    let unknown = assert_problem(
        send(r#"{"name": "A", "nmae": "B", "contact_name": "a", "contact_email": "a@b.co", "data_types": []}"#, "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert!(unknown.errors[0].message.contains("unknown field `nmae`"));
    let bad_enum = assert_problem(
        send(r#"{"name": "A", "contact_name": "a", "contact_email": "a@b.co", "data_types": ["everything"]}"#, "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(bad_enum.errors[0].field, "data_types[0]");
    assert_problem(
        send("name=A", "application/x-www-form-urlencoded")
            .await
            .unwrap(),
        415,
    )
    .await;

    let huge = format!(r#"{{"name": "{}"}}"#, "x".repeat(200_000));
    let response = app
        .client
        .post(app.url("/api/v1/companies"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_problem(response, 413).await;
    assert!(
        list(&app, &CompanyListQuery::default()).await.is_empty(),
        "nothing was saved"
    );
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404_problems() {
    let app = spawn_app().await;
    let unknown = CompanyId::from_uuid(uuid::Uuid::now_v7());
    let api = app.api();
    api.company(unknown).problem(404).await;
    api.get::<Company>("/api/v1/companies/not-an-id")
        .problem(404)
        .await;
    api.refresh_job(RefreshJobId::from_uuid(unknown.as_uuid()))
        .problem(404)
        .await;
    api.reports(unknown).problem(404).await;
    api.delete_company(unknown).problem(404).await;
    api.refresh(unknown).problem(404).await;
}

#[tokio::test]
async fn another_organizations_companies_do_not_exist_for_us() {
    let app = spawn_app().await;
    let other = app.other_organization().await;
    let theirs = app.company_of(other, "Secret Client Ltd").await;
    let api = app.api();
    api.company(theirs).problem(404).await;
    let rename = CompanyUpdate {
        name: Some("Mine now".to_owned()),
        ..CompanyUpdate::default()
    };
    api.update_company(theirs, &rename).problem(404).await;
    api.delete_company(theirs).problem(404).await;
    api.refresh(theirs).problem(404).await;
    let statuses = api.company_statuses(&[theirs]).ok().await;
    assert!(statuses.items.is_empty());
    assert!(list(&app, &CompanyListQuery::default()).await.is_empty());
    assert!(
        app.store.company(other, theirs).await.unwrap().is_some(),
        "still there"
    );
}

/// The names of the companies on the page `query` asks for.
async fn names(app: &TestApp, query: &CompanyListQuery) -> Vec<String> {
    list(app, query).await.into_iter().map(|c| c.name).collect()
}

async fn list(app: &TestApp, query: &CompanyListQuery) -> Vec<Company> {
    app.api().companies(query).ok().await.items
}

#[tokio::test]
async fn the_list_searches_filters_sorts_and_pages_without_gaps() {
    let app = spawn_app().await;
    let names_added = [
        "Zenith Ltd",
        "alpha Foods",
        "Bravo Builders",
        "Charlie Cafe",
        "Delta Dental",
        "Echo Events",
        "Foxtrot Freight",
        "Golf Garden 100%",
    ];
    let mut ids = Vec::new();
    for name in names_added {
        ids.push(app.create_company(name, &[Financials]).await.id);
    }
    // Two connected, one of them with an older status time.
    for (index, hours) in [(2usize, 5i64), (3, 1)] {
        app.store
            .seed_company_status(
                app.organization,
                ids[index],
                &[
                    StatusEvent::InformationRequested,
                    StatusEvent::RefreshSucceeded,
                ],
                app.store.now() - chrono::Duration::hours(hours),
                Some("sandbox"),
            )
            .await
            .unwrap();
    }

    // Every page of 3, following next_cursor, covers all 8 once, in name order.
    for sort in [
        CompanySort::NameAsc,
        CompanySort::NameDesc,
        CompanySort::StatusAsc,
        CompanySort::StatusDesc,
        CompanySort::StatusUpdatedAtAsc,
        CompanySort::StatusUpdatedAtDesc,
    ] {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let query = CompanyListQuery {
                limit: Some(3),
                sort: Some(sort),
                cursor,
                ..CompanyListQuery::default()
            };
            let page = app.api().companies(&query).ok().await;
            assert!(page.items.len() <= 3);
            seen.extend(page.items.into_iter().map(|c| c.name));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names_added.len(), "sort {sort:?}: {seen:?}");
        if sort == CompanySort::NameAsc {
            let mut expected = seen.clone();
            expected.sort();
            assert_eq!(seen, expected);
        }
        if sort == CompanySort::StatusUpdatedAtDesc {
            assert_eq!(
                &seen[..2],
                ["Charlie Cafe", "Bravo Builders"],
                "newest update first"
            );
        }
    }

    let search = |q: &str| CompanyListQuery {
        q: Some(q.to_owned()),
        ..CompanyListQuery::default()
    };
    assert_eq!(names(&app, &search("ALPHA")).await, ["alpha Foods"]);
    assert_eq!(
        names(&app, &search("100%")).await,
        ["Golf Garden 100%"],
        "% is matched literally"
    );
    let with_status = |status| CompanyListQuery {
        status: Some(status),
        limit: Some(200),
        ..CompanyListQuery::default()
    };
    assert_eq!(
        names(&app, &with_status(StatusFilter::Available)).await,
        ["Bravo Builders", "Charlie Cafe"]
    );
    assert_eq!(
        names(&app, &with_status(StatusFilter::NotRequested))
            .await
            .len(),
        6
    );

    for query in [
        "limit=0",
        "limit=201",
        "status=sleeping",
        "sort=size",
        "cursor=nonsense",
    ] {
        app.api()
            .get::<CompanyPage>(&format!("/api/v1/companies?{query}"))
            .problem(400)
            .await;
    }
    // A cursor is the last company of a page; once that company is deleted it is stale.
    let first = CompanyListQuery {
        limit: Some(1),
        ..CompanyListQuery::default()
    };
    let cursor = app.api().companies(&first).ok().await.next_cursor;
    let continued = CompanyListQuery {
        sort: Some(CompanySort::StatusAsc),
        cursor,
        ..CompanyListQuery::default()
    };
    let continued = app.api().companies(&continued).send().await;
    assert_eq!(continued.status(), 200, "a cursor works with any sort");
    app.api().delete_company(cursor.unwrap()).expect(204).await;
    let stale = CompanyListQuery {
        cursor,
        ..CompanyListQuery::default()
    };
    app.api().companies(&stale).problem(404).await;
}

#[tokio::test]
async fn assignees_filter_the_list_and_must_belong_to_the_organization() {
    let app = spawn_app().await;
    let email = domain::EmailAddress::parse("rm@bank.example").unwrap();
    let rm = app
        .store
        .create_user(
            app.organization,
            &email,
            "Robin Manager",
            "relationship_manager",
        )
        .await
        .unwrap();
    let rm = UserId::from_uuid(rm.id);
    let assigned = NewCompany {
        assignee_ids: vec![rm],
        ..new_company("Assigned Ltd", &[Financials])
    };
    let company = app.api().create_company(&assigned).expect(201).await;
    assert_eq!(company.assignees[0].name, "Robin Manager");
    app.create_company("Unassigned Ltd", &[Financials]).await;
    let mine = CompanyListQuery {
        assignee: Some(rm),
        ..CompanyListQuery::default()
    };
    assert_eq!(names(&app, &mine).await, ["Assigned Ltd"]);

    let stranger = NewCompany {
        assignee_ids: vec![UserId::from_uuid(uuid::Uuid::now_v7())],
        ..new_company("X", &[Financials])
    };
    let problem = app.api().create_company(&stranger).problem(404).await;
    assert_eq!(problem.errors[0].field, "assignee_ids");
}

#[tokio::test]
async fn editing_changes_only_the_fields_sent() {
    let app = spawn_app().await;
    let company = app.create_company("Before Ltd", &[Financials]).await;
    let change = CompanyUpdate {
        name: Some("After Ltd".to_owned()),
        data_types: Some(vec![SpendDetail]),
        ..CompanyUpdate::default()
    };
    let updated = app
        .api()
        .update_company(company.id, &change)
        .expect(200)
        .await;
    assert_eq!(updated.name, "After Ltd");
    assert_eq!(updated.data_types, [SpendDetail]);
    assert_eq!(updated.contact, company.contact);
    let invalid = CompanyUpdate {
        contact_email: Some("nope".to_owned()),
        ..CompanyUpdate::default()
    };
    let problem = app
        .api()
        .update_company(company.id, &invalid)
        .problem(422)
        .await;
    assert_eq!(problem.errors[0].field, "contact_email");
    let unchanged = app.api().company(company.id).ok().await;
    assert_eq!(unchanged.contact, company.contact);
}

#[tokio::test]
async fn deleting_a_company_removes_all_its_data() {
    let app = spawn_app().await;
    let id = app
        .connected_company("Doomed Ltd", &[Financials, SpendDetail])
        .await;
    app.api().refresh(id).expect(202).await;
    app.run_job().await;
    let reports = app.api().reports(id).ok().await;
    // Five fetched, and the spend analysis and ageing made from the spend detail.
    assert_eq!(reports.items.len(), 7);

    app.api().delete_company(id).expect(204).await;
    app.api().company(id).problem(404).await;
    assert!(
        app.store
            .reports(app.organization, id)
            .await
            .unwrap()
            .is_empty(),
        "reports are gone"
    );
    assert!(
        app.store
            .refresh_history(app.organization, id, 10)
            .await
            .unwrap()
            .is_empty(),
        "jobs are gone"
    );
}

/// Writes racing a delete answer 404 (or succeed before it), never 500.
#[tokio::test]
async fn writes_racing_a_delete_never_fail_with_500() {
    let app = spawn_app().await;
    let api = app.api();
    let change = CompanyUpdate {
        contact_name: Some("Someone Else".to_owned()),
        assignee_ids: Some(vec![]),
        ..CompanyUpdate::default()
    };
    let link = NewInformationRequest {
        delivery: Delivery::Link,
        ..NewInformationRequest::default()
    };
    for round in 0..15 {
        let id = app
            .connected_company(&format!("Racing {round} Ltd"), &[Financials])
            .await;
        let (patched, refreshed, requested, deleted) = tokio::join!(
            api.update_company(id, &change).send(),
            api.refresh(id).send(),
            api.request_information(id, &link).send(),
            api.delete_company(id).send(),
        );
        assert_eq!(deleted.status(), 204);
        for status in [patched.status(), refreshed.status(), requested.status()] {
            assert!(
                [200, 201, 202, 404].contains(&status),
                "round {round}: {status}"
            );
        }
    }
}

#[tokio::test]
async fn users_and_counts_per_status_feed_the_filters() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.organization = Some("demo".to_owned());
        s.sample_data = true;
        s.demo = true;
    })
    .await;
    let users = app.api().users().ok().await.items;
    let user_names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(user_names, ["Alex Morgan", "Dana Admin", "Sam Patel"]);

    let api = app.api();
    assert_eq!(
        api.company_counts(&CompanyCountsQuery::default())
            .ok()
            .await,
        CompanyCounts {
            total: 20,
            not_requested: 4,
            requested: 5,
            available: 8,
            error: 3
        }
    );
    let alex = users[0].id;
    let assigned = CompanyCountsQuery {
        assignee: Some(alex),
        ..CompanyCountsQuery::default()
    };
    let mine = api.company_counts(&assigned).ok().await;
    let listed = CompanyListQuery {
        assignee: Some(alex),
        limit: Some(200),
        ..CompanyListQuery::default()
    };
    assert_eq!(mine.total, list(&app, &listed).await.len() as u64);
    let bakery = CompanyCountsQuery {
        q: Some("bakery".to_owned()),
        ..CompanyCountsQuery::default()
    };
    let searched = api.company_counts(&bakery).ok().await;
    assert_eq!((searched.total, searched.available), (1, 1));
    app.api()
        .get::<CompanyCounts>("/api/v1/company-counts?assignee=nope")
        .problem(400)
        .await;
}

#[tokio::test]
async fn status_sorts_in_the_order_of_the_journey() {
    let app = spawn_app().await;
    let failed = StatusEvent::RefreshFailed(domain::StatusError::new(
        domain::ErrorCode::ProviderUnavailable,
    ));
    let histories: [(&str, &[StatusEvent]); 4] = [
        ("A Errored", &[StatusEvent::InformationRequested, failed]),
        (
            "B Available",
            &[
                StatusEvent::InformationRequested,
                StatusEvent::RefreshSucceeded,
            ],
        ),
        ("C Requested", &[StatusEvent::InformationRequested]),
        ("D Never asked", &[]),
    ];
    for (name, history) in histories {
        let id = app.create_company(name, &[Financials]).await.id;
        assert!(
            app.store
                .seed_company_status(app.organization, id, history, app.store.now(), None)
                .await
                .unwrap()
        );
    }
    let ascending = CompanyListQuery {
        sort: Some(CompanySort::StatusAsc),
        ..CompanyListQuery::default()
    };
    assert_eq!(
        names(&app, &ascending).await,
        ["D Never asked", "C Requested", "B Available", "A Errored"]
    );
    let descending = CompanyListQuery {
        sort: Some(CompanySort::StatusDesc),
        limit: Some(2),
        ..CompanyListQuery::default()
    };
    let page = app.api().companies(&descending).ok().await;
    let next = CompanyListQuery {
        cursor: page.next_cursor,
        ..descending
    };
    let mut seen: Vec<String> = page.items.into_iter().map(|c| c.name).collect();
    seen.extend(names(&app, &next).await);
    assert_eq!(
        seen,
        ["A Errored", "B Available", "C Requested", "D Never asked"]
    );
}
