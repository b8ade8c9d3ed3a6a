//! Row-level security on PostgreSQL: every tenant table has a policy, and a query that
//! forgets its organization filter still sees only the scoped organization's rows.
//! (SQLite has no row-level security; there these tests only say so.)

use api_types::CompanyListQuery;
use domain::DataType;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, Database, EntityTrait, PaginatorTrait, Set, Statement,
};
use store::entities::{companies, company_assignees, reports, users};

use crate::helpers::{backend, spawn_app};

/// Tables that belong to no organization, and why.
const SHARED_TABLES: &[(&str, &str)] = &[
    ("seaql_migrations", "sea-orm's record of applied migrations"),
    (
        "rate_limits",
        "token buckets keyed by provider or sign-in address",
    ),
];

fn postgres_only() -> bool {
    if backend() != "postgres" {
        eprintln!("row-level security is PostgreSQL's; SQLite relies on the store's filters");
        return false;
    }
    true
}

#[tokio::test]
async fn every_tenant_table_forces_row_level_security_with_a_policy() {
    if !postgres_only() {
        return;
    }
    let app = spawn_app().await;
    let rows = app
        .store
        .connection()
        .query_all_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT c.relname::text AS name, c.relrowsecurity AS enabled, \
                    c.relforcerowsecurity AS forced, \
                    (SELECT count(*) FROM pg_policies p \
                      WHERE p.schemaname = n.nspname AND p.tablename = c.relname) AS policies \
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') \
              ORDER BY 1",
        ))
        .await
        .unwrap();
    assert!(rows.len() > 15, "the schema has its tables: {}", rows.len());
    let mut unprotected = Vec::new();
    for row in &rows {
        let name: String = row.try_get("", "name").unwrap();
        if SHARED_TABLES.iter().any(|(shared, _)| *shared == name) {
            continue;
        }
        let enabled: bool = row.try_get("", "enabled").unwrap();
        let forced: bool = row.try_get("", "forced").unwrap();
        let policies: i64 = row.try_get("", "policies").unwrap();
        if !(enabled && forced && policies > 0) {
            unprotected.push(format!(
                "{name} (enabled {enabled}, forced {forced}, {policies} policies)"
            ));
        }
    }
    assert!(
        unprotected.is_empty(),
        "tenant tables without row-level security (add them to migration \
         m20261129_000011's lists, or to SHARED_TABLES with the reason): {unprotected:?}"
    );
}

#[tokio::test]
async fn a_query_without_its_organization_filter_sees_only_the_scoped_organization() {
    if !postgres_only() {
        return;
    }
    let app = spawn_app().await;
    let ours = app
        .connected_company("Our Client Ltd", &[DataType::Financials])
        .await;
    // A refresh gives the company reports (a table that follows its company).
    app.api().refresh(ours).expect(202).await;
    app.run_job().await;
    let other_id = app.other_organization().await;
    let theirs = app.company_of(other_id, "Their Client Ltd").await;

    // The pool acts for every organization (workers, sign-in).
    assert_eq!(
        companies::Entity::find()
            .count(app.store.connection())
            .await
            .unwrap(),
        2
    );

    // A scope sees its own organization only, whatever the query says.
    let scoped = app.store.scoped(other_id).await.unwrap();
    let seen = companies::Entity::find()
        .all(scoped.connection())
        .await
        .unwrap();
    assert_eq!(
        seen.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["Their Client Ltd"]
    );
    assert_eq!(
        reports::Entity::find()
            .count(scoped.connection())
            .await
            .unwrap(),
        0,
        "our reports are invisible to the other organization"
    );
    assert_eq!(
        users::Entity::find()
            .count(scoped.connection())
            .await
            .unwrap(),
        0,
        "our users are invisible to the other organization"
    );
    // Nor can it write into our organization: the policy checks new rows too. (The
    // failed statement ends the scope's usefulness; it is rolled back.)
    let planted = company_assignees::ActiveModel {
        company_id: Set(ours.as_uuid()),
        user_id: Set(uuid::Uuid::now_v7()),
    }
    .insert(scoped.connection())
    .await;
    let err = planted.expect_err("a row for another organization's company is refused");
    assert!(
        err.to_string().contains("row-level security"),
        "refused by the policy: {err}"
    );
    scoped.end_scope(false).await.unwrap();

    // Our scope, through the API, still sees our company and its reports, and not theirs.
    let api = app.api();
    let list = api.companies(&CompanyListQuery::default()).ok().await;
    let names: Vec<&str> = list.items.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Our Client Ltd"]);
    assert!(!api.reports(ours).ok().await.items.is_empty());
    api.company(theirs).problem(404).await;
}

#[tokio::test]
async fn a_connection_that_never_chose_an_organization_sees_no_tenant_rows() {
    if !postgres_only() {
        return;
    }
    let app = spawn_app().await;
    app.create_company("Hidden Ltd", &[DataType::Financials])
        .await;
    // Anything connecting as the portal's role without the store (a reporting tool, a
    // psql session) sees nothing until it says which organization it acts for.
    let raw = Database::connect(&app.database_url).await.unwrap();
    assert_eq!(companies::Entity::find().count(&raw).await.unwrap(), 0);
    assert_eq!(users::Entity::find().count(&raw).await.unwrap(), 0);
    raw.close().await.unwrap();
}
