//! Adding, listing, editing and deleting companies, and every way to get it wrong.

use domain::{CompanyId, DataType};
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn a_new_company_has_no_status_until_information_is_requested() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/companies",
            &json!({
                "name": "  Acme Ltd ",
                "description": "Wholesale stationery",
                "contact_name": "Jane Doe",
                "contact_email": "jane@acme.example",
                "data_types": ["spend_detail", "financials", "financials"],
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let company: Value = response.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/companies/{}", company["id"].as_str().unwrap())
    );
    assert_eq!(company["name"], "Acme Ltd");
    assert_eq!(
        company["contact"],
        json!({"name": "Jane Doe", "email": "jane@acme.example"})
    );
    assert_eq!(company["data_types"], json!(["financials", "spend_detail"]));
    assert_eq!(company["status"], Value::Null);
    assert_eq!(company["status_updated_at"], Value::Null);
    assert_eq!(company["error"], Value::Null);
    assert_eq!(company["refresh"], Value::Null);

    let fetched: Value = app.get(&location).await.json().await.unwrap();
    assert_eq!(fetched, company);
    let id: CompanyId = company["id"].as_str().unwrap().parse().unwrap();
    let row = app
        .store
        .company(app.organization, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.company.contact_email, "jane@acme.example");
    assert!(row.company.requests_financials && row.company.requests_spend_detail);
}

#[tokio::test]
async fn invalid_fields_are_listed_one_by_one_and_nothing_is_saved() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/companies",
            &json!({
                "name": "   ",
                "contact_name": "Jane",
                "contact_email": "not-an-email",
                "data_types": [],
            }),
        )
        .await;
    let problem = assert_problem(response, 422).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "contact_email", "data_types"]);
    let page: Value = app.get("/api/v1/companies").await.json().await.unwrap();
    assert_eq!(page["items"], json!([]));
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
    assert_eq!(wrong_type["errors"][0]["field"], "name");
    let unknown = assert_problem(
        send(r#"{"name": "A", "nmae": "B", "contact_name": "a", "contact_email": "a@b.co", "data_types": []}"#, "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert!(
        unknown["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `nmae`")
    );
    let bad_enum = assert_problem(
        send(r#"{"name": "A", "contact_name": "a", "contact_email": "a@b.co", "data_types": ["everything"]}"#, "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(bad_enum["errors"][0]["field"], "data_types[0]");
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
    let page: Value = app.get("/api/v1/companies").await.json().await.unwrap();
    assert_eq!(page["items"], json!([]), "nothing was saved");
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404_problems() {
    let app = spawn_app().await;
    let unknown = uuid::Uuid::now_v7();
    for path in [
        format!("/api/v1/companies/{unknown}"),
        "/api/v1/companies/not-an-id".to_owned(),
        format!("/api/v1/refreshes/{unknown}"),
        format!("/api/v1/companies/{unknown}/reports"),
    ] {
        assert_problem(app.get(&path).await, 404).await;
    }
    let response = app
        .client
        .delete(app.url(&format!("/api/v1/companies/{unknown}")))
        .send()
        .await
        .unwrap();
    assert_problem(response, 404).await;
    let response = app
        .post_json(&format!("/api/v1/companies/{unknown}/refresh"), &json!({}))
        .await;
    assert_problem(response, 404).await;
}

#[tokio::test]
async fn another_organizations_companies_do_not_exist_for_us() {
    let app = spawn_app().await;
    let other = app
        .store
        .create_organization("other-bank", "Other Bank")
        .await
        .unwrap();
    let other = domain::OrganizationId::from_uuid(other.id);
    let theirs = app
        .store
        .create_company(
            other,
            store::CompanyWrite {
                name: domain::CompanyName::parse("Secret Client Ltd").unwrap(),
                description: domain::Description::default(),
                contact_name: domain::ContactName::parse("Eve").unwrap(),
                contact_email: domain::EmailAddress::parse("eve@secret.example").unwrap(),
                assignees: vec![],
                data_types: vec![domain::DataType::Financials],
                schedule: None,
            },
        )
        .await
        .unwrap();
    let path = format!("/api/v1/companies/{}", theirs.id());
    assert_problem(app.get(&path).await, 404).await;
    assert_problem(
        app.patch_json(&path, &json!({"name": "Mine now"})).await,
        404,
    )
    .await;
    assert_problem(app.client.delete(app.url(&path)).send().await.unwrap(), 404).await;
    assert_problem(
        app.post_json(&format!("{path}/refresh"), &json!({})).await,
        404,
    )
    .await;
    let statuses: Value = app
        .get(&format!("/api/v1/company-statuses?ids={}", theirs.id()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(statuses["items"], json!([]));
    let page: Value = app.get("/api/v1/companies").await.json().await.unwrap();
    assert_eq!(page["items"], json!([]));
    assert!(
        app.store
            .company(other, theirs.id())
            .await
            .unwrap()
            .is_some(),
        "still there"
    );
}

#[tokio::test]
async fn the_list_searches_filters_sorts_and_pages_without_gaps() {
    let app = spawn_app().await;
    let names = [
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
    for name in names {
        ids.push(
            app.create_company(name, &[DataType::Financials])
                .await
                .id
                .to_string(),
        );
    }
    // Two connected, one of them with an older status time.
    for (index, hours) in [(2usize, 5i64), (3, 1)] {
        let id: CompanyId = ids[index].parse().unwrap();
        app.store
            .set_company_status(
                app.organization,
                id,
                Some(domain::DataStatus::Available),
                Some(store::now() - chrono::Duration::hours(hours)),
                None,
                Some("sandbox"),
            )
            .await
            .unwrap();
    }

    // Every page of 3, following next_cursor, covers all 8 once, in name order.
    for sort in [
        "name",
        "-name",
        "status",
        "-status",
        "status_updated_at",
        "-status_updated_at",
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/companies?limit=3&sort={sort}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page: Value = app.get(&path).await.json().await.unwrap();
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= 3);
            seen.extend(items.iter().map(|c| c["name"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "sort {sort}: {seen:?}");
        if sort == "name" {
            let mut expected = seen.clone();
            expected.sort();
            assert_eq!(seen, expected);
        }
        if sort == "-status_updated_at" {
            assert_eq!(
                &seen[..2],
                ["Charlie Cafe", "Bravo Builders"],
                "newest update first"
            );
        }
    }

    let names_of = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let found: Value = app
        .get("/api/v1/companies?q=ALPHA")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names_of(&found), ["alpha Foods"]);
    let literal: Value = app
        .get("/api/v1/companies?q=100%25")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        names_of(&literal),
        ["Golf Garden 100%"],
        "% is matched literally"
    );
    let available: Value = app
        .get("/api/v1/companies?status=available")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names_of(&available), ["Bravo Builders", "Charlie Cafe"]);
    let never: Value = app
        .get("/api/v1/companies?status=not_requested&limit=200")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names_of(&never).len(), 6);

    assert_problem(app.get("/api/v1/companies?limit=0").await, 400).await;
    assert_problem(app.get("/api/v1/companies?limit=201").await, 400).await;
    assert_problem(app.get("/api/v1/companies?status=sleeping").await, 400).await;
    assert_problem(app.get("/api/v1/companies?sort=size").await, 400).await;
    assert_problem(app.get("/api/v1/companies?cursor=nonsense").await, 400).await;
    // A cursor is the last company of a page; once that company is deleted it is stale.
    let first: Value = app
        .get("/api/v1/companies?limit=1")
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let continued = app
        .get(&format!("/api/v1/companies?sort=status&cursor={cursor}"))
        .await;
    assert_eq!(continued.status(), 200, "a cursor works with any sort");
    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/companies/{cursor}")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_problem(
        app.get(&format!("/api/v1/companies?cursor={cursor}")).await,
        404,
    )
    .await;
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
    let response = app
        .post_json(
            "/api/v1/companies",
            &json!({"name": "Assigned Ltd", "contact_name": "A", "contact_email": "a@a.example",
                    "data_types": ["financials"], "assignee_ids": [rm.id]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let company: Value = response.json().await.unwrap();
    assert_eq!(company["assignees"][0]["name"], "Robin Manager");
    app.create_company("Unassigned Ltd", &[DataType::Financials])
        .await;
    let mine: Value = app
        .get(&format!("/api/v1/companies?assignee={}", rm.id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["name"], "Assigned Ltd");

    let stranger = uuid::Uuid::now_v7();
    let response = app
        .post_json(
            "/api/v1/companies",
            &json!({"name": "X", "contact_name": "A", "contact_email": "a@a.example",
                    "data_types": ["financials"], "assignee_ids": [stranger]}),
        )
        .await;
    let problem = assert_problem(response, 404).await;
    assert_eq!(problem["errors"][0]["field"], "assignee_ids");
}

#[tokio::test]
async fn editing_changes_only_the_fields_sent() {
    let app = spawn_app().await;
    let company = app
        .create_company("Before Ltd", &[DataType::Financials])
        .await;
    let path = format!("/api/v1/companies/{}", company.id);
    let response = app
        .patch_json(
            &path,
            &json!({"name": "After Ltd", "data_types": ["spend_detail"]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["name"], "After Ltd");
    assert_eq!(updated["data_types"], json!(["spend_detail"]));
    let contact = serde_json::to_value(&company.contact).unwrap();
    assert_eq!(updated["contact"], contact);
    let problem = assert_problem(
        app.patch_json(&path, &json!({"contact_email": "nope"}))
            .await,
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "contact_email");
    let unchanged: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(unchanged["contact"], contact);
}

#[tokio::test]
async fn deleting_a_company_removes_all_its_data() {
    let app = spawn_app().await;
    let id = app
        .connected_company("Doomed Ltd", &[DataType::Financials, DataType::SpendDetail])
        .await;
    let response = app
        .post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
        .await;
    assert_eq!(response.status(), 202);
    app.instant_worker()
        .run_once()
        .await
        .unwrap()
        .expect("a job ran");
    let reports: Value = app
        .get(&format!("/api/v1/companies/{id}/reports"))
        .await
        .json()
        .await
        .unwrap();
    // Five fetched, and the spend analysis and ageing made from the spend detail.
    assert_eq!(reports["items"].as_array().unwrap().len(), 7);

    let response = app
        .client
        .delete(app.url(&format!("/api/v1/companies/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_problem(app.get(&format!("/api/v1/companies/{id}")).await, 404).await;
    assert!(
        app.store.reports(id).await.unwrap().is_empty(),
        "reports are gone"
    );
    assert!(
        app.store.refresh_history(id, 10).await.unwrap().is_empty(),
        "jobs are gone"
    );
}

/// Writes racing a delete answer 404 (or succeed before it), never 500.
#[tokio::test]
async fn writes_racing_a_delete_never_fail_with_500() {
    let app = spawn_app().await;
    for round in 0..15 {
        let id = app
            .connected_company(&format!("Racing {round} Ltd"), &[DataType::Financials])
            .await;
        let path = format!("/api/v1/companies/{id}");
        let refresh_path = format!("{path}/refresh");
        let request_path = format!("{path}/information-requests");
        let patch_body = json!({"contact_name": "Someone Else", "assignee_ids": []});
        let link_body = json!({"delivery": "link"});
        let empty = json!({});
        let delete_url = app.url(&path);
        let (patched, refreshed, requested, deleted) = tokio::join!(
            app.patch_json(&path, &patch_body),
            app.post_json(&refresh_path, &empty),
            app.post_json(&request_path, &link_body),
            app.client.delete(&delete_url).send(),
        );
        assert_eq!(deleted.unwrap().status(), 204);
        for response in [patched, refreshed, requested] {
            let status = response.status().as_u16();
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
        s.organization = "demo".to_owned();
        s.sample_data = true;
    })
    .await;
    let users: Value = app.get("/api/v1/users").await.json().await.unwrap();
    let names: Vec<&str> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Alex Morgan", "Dana Admin", "Sam Patel"]);

    let counts: Value = app
        .get("/api/v1/company-counts")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        counts,
        json!({"total": 20, "not_requested": 4, "requested": 5, "available": 8, "error": 3})
    );
    let alex = users["items"][0]["id"].as_str().unwrap();
    let mine: Value = app
        .get(&format!("/api/v1/company-counts?assignee={alex}"))
        .await
        .json()
        .await
        .unwrap();
    let listed: Value = app
        .get(&format!("/api/v1/companies?assignee={alex}&limit=200"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["total"], listed["items"].as_array().unwrap().len());
    let searched: Value = app
        .get("/api/v1/company-counts?q=bakery")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(searched["total"], 1);
    assert_eq!(searched["available"], 1);
    assert_problem(app.get("/api/v1/company-counts?assignee=nope").await, 400).await;
}

#[tokio::test]
async fn status_sorts_in_the_order_of_the_journey() {
    let app = spawn_app().await;
    let statuses = [
        ("A Errored", Some(domain::DataStatus::Error)),
        ("B Available", Some(domain::DataStatus::Available)),
        ("C Requested", Some(domain::DataStatus::Requested)),
        ("D Never asked", None),
    ];
    for (name, status) in statuses {
        let id = app.create_company(name, &[DataType::Financials]).await.id;
        app.store
            .set_company_status(
                app.organization,
                id,
                status,
                status.map(|_| store::now()),
                None,
                None,
            )
            .await
            .unwrap();
    }
    let names = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let ascending = names(
        app.get("/api/v1/companies?sort=status")
            .await
            .json()
            .await
            .unwrap(),
    );
    assert_eq!(
        ascending,
        ["D Never asked", "C Requested", "B Available", "A Errored"]
    );
    let page: Value = app
        .get("/api/v1/companies?sort=-status&limit=2")
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let mut descending = names(page);
    descending.extend(names(
        app.get(&format!(
            "/api/v1/companies?sort=-status&limit=2&cursor={cursor}"
        ))
        .await
        .json()
        .await
        .unwrap(),
    ));
    assert_eq!(
        descending,
        ["A Errored", "B Available", "C Requested", "D Never asked"]
    );
}
