//! Report versions: every successful refresh keeps a snapshot of each report, up to the
//! retention, and any kept snapshot downloads with its own figures.

use api_types::{
    AmountChange, AuditAction, AuditQuery, ReportDocument, ReportFormat, ReportQuery,
    SupplierChange,
};
use chrono::{DateTime, Duration, Utc};
use domain::{
    CompanyId,
    DataType::{Financials, SpendDetail},
    ReportKind::{self, *},
};
use serde_json::{Value, json};
use store::StoredReport;

use crate::{
    client::{Answer, Says},
    helpers::{TestApp, spawn_app, spawn_app_with},
};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A report as a file in `format` (of one `sheet`, or all).
fn file(format: ReportFormat, sheet: Option<&str>) -> ReportQuery {
    ReportQuery {
        format: Some(format),
        sheet: sheet.map(str::to_owned),
        ..ReportQuery::default()
    }
}

/// As if a refresh of `company` had fetched `reports` at `at`.
async fn refreshed(
    app: &TestApp,
    company: CompanyId,
    reports: Vec<StoredReport>,
    at: DateTime<Utc>,
) {
    app.store
        .put_reports(app.organization, company, reports, at)
        .await
        .unwrap();
}

/// A stored list report in GBP: `results` is its rows.
fn listed(kind: ReportKind, results: Value) -> StoredReport {
    StoredReport {
        kind,
        payload: json!({ "currency": "GBP", "results": results }),
    }
}

fn snapshot(id: &domain::ReportId) -> ReportQuery {
    ReportQuery {
        snapshot: Some(id.to_string()),
        ..ReportQuery::default()
    }
}

#[tokio::test]
async fn each_refresh_keeps_a_snapshot_and_an_older_one_downloads_its_own_figures() {
    let app = spawn_app_with(|s| s.report_snapshots = 2).await;
    let api = app.api();
    let id = app.connected_company("Versioned Ltd", &[Financials]).await;
    let now = Utc::now();
    for (days_ago, revenue) in [(3, 100.0), (2, 200.0), (1, 300.0)] {
        refreshed(
            &app,
            id,
            vec![StoredReport {
                kind: ReportKind::ProfitAndLoss,
                payload: json!({ "revenue": revenue }),
            }],
            app.store.now() - Duration::days(days_ago),
        )
        .await;
    }
    let listed = api.reports(id).ok().await;
    assert_eq!(listed.items[0].snapshots, 2, "retention 2: {listed:?}");
    let snapshots = api.report_snapshots(id, ProfitAndLoss).ok().await;
    let items = &snapshots.items;
    assert_eq!(items.len(), 2, "the oldest was dropped: {snapshots:?}");
    let older = &items[1];
    let older_doc = api.download(&older.href).ok().await;
    assert_eq!(
        older_doc.data["revenue"], 200.0,
        "the older snapshot's own figures"
    );
    assert_eq!(older_doc.snapshot_id, older.id.to_string());
    assert_eq!(older_doc.updated_at, older.updated_at);
    let newest = api
        .report(id, ProfitAndLoss, &ReportQuery::default())
        .ok()
        .await;
    assert_eq!(newest.data["revenue"], 300.0);
    assert!(newest.updated_at > older.updated_at);
    assert!(newest.updated_at < now);

    // A snapshot of another report, an unknown one, or not an id at all.
    let other = app.connected_company("Other Ltd", &[Financials]).await;
    api.report(other, ProfitAndLoss, &snapshot(&older.id))
        .problem(404)
        .await;
    api.report(id, BalanceSheet, &snapshot(&older.id))
        .problem(404)
        .await;
    let yesterday = ReportQuery {
        snapshot: Some("yesterday".to_owned()),
        ..ReportQuery::default()
    };
    api.report(id, ProfitAndLoss, &yesterday).problem(400).await;

    // A real refresh adds one more version (still within the retention of 2).
    api.refresh(id).expect(202).await;
    app.run_job().await;
    let items = api.report_snapshots(id, ProfitAndLoss).ok().await.items;
    assert_eq!(items.len(), 2);
    let newest = api.download(&items[0].href).ok().await;
    assert!(
        newest.data.get("revenue").is_none(),
        "the sandbox's books now"
    );
    let kept = api.download(&items[1].href).ok().await;
    assert_eq!(kept.data["revenue"], 300.0);
}

/// What changed since the last refresh, through the API, from two kept versions.
#[tokio::test]
async fn changes_compare_the_two_newest_refreshes_of_the_spend_detail() {
    let app = spawn_app().await;
    let id = app.connected_company("Changing Ltd", &[SpendDetail]).await;
    let none = app.api().changes(id).ok().await;
    assert_eq!(none.since, None);
    assert!(none.biggest_movers.is_empty());
    let version = |suppliers: Value, bills: Value| {
        vec![
            listed(ReportKind::Suppliers, suppliers),
            listed(ReportKind::Bills, bills),
        ]
    };
    let bill = |supplier: &str, due: f64, due_date: &str| json!({"supplierRef": {"id": supplier, "supplierName": format!("{supplier} plc")}, "amountDue": due, "dueDate": due_date});
    let earlier = app.store.now() - Duration::days(7);
    refreshed(
        &app,
        id,
        version(
            json!([{"id": "s1", "supplierName": "s1 plc"}, {"id": "s2", "supplierName": "s2 plc"}]),
            json!([
                bill("s1", 1000.0, "2000-01-01"),
                bill("s2", 250.0, "2999-01-01")
            ]),
        ),
        earlier,
    )
    .await;
    refreshed(
        &app,
        id,
        version(
            json!([{"id": "s2", "supplierName": "s2 plc"}, {"id": "s3", "supplierName": "s3 plc"}]),
            json!([
                bill("s2", 400.0, "2999-01-01"),
                bill("s3", 75.5, "2000-01-01")
            ]),
        ),
        app.store.now(),
    )
    .await;
    let changes = app.api().changes(id).ok().await;
    let supplier = |id: &str| SupplierChange {
        id: id.to_owned(),
        name: format!("{id} plc"),
    };
    assert_eq!(changes.currency.as_deref(), Some("GBP"));
    assert_eq!(changes.new_suppliers, [supplier("s3")]);
    assert_eq!(changes.gone_suppliers, [supplier("s1")]);
    assert_eq!(
        changes.accounts_payable,
        Some(AmountChange {
            before: 1250.0,
            after: 475.5,
            change: -774.5
        })
    );
    assert_eq!(
        changes.overdue,
        Some(AmountChange {
            before: 1000.0,
            after: 75.5,
            change: -924.5
        })
    );
    let movers: Vec<&str> = changes
        .biggest_movers
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(movers[..3], ["s1", "s2", "s3"]);
    assert_eq!(changes.biggest_movers[0].outstanding.change, -1000.0);
    let since = changes.since.expect("two versions compared");
    assert!((since - earlier).num_seconds().abs() < 1);
}

/// `?format=csv` and `?format=xlsx` download files named after the company, report and
/// date, with the right content type; an unknown format is a 400.
#[tokio::test]
async fn reports_download_as_csv_and_xlsx_files() {
    let app = spawn_app().await;
    let api = app.api();
    let id = app
        .connected_company("Files & Co Ltd", &[SpendDetail])
        .await;
    api.refresh(id).expect(202).await;
    app.run_job().await;
    let today = Utc::now().format("%Y-%m-%d").to_string();

    let csv = api
        .report(id, Bills, &file(ReportFormat::Csv, None))
        .send()
        .await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        csv.header("content-disposition"),
        format!("attachment; filename=\"files-co-ltd-bills-{today}.csv\"")
    );
    let text = csv.text().await;
    assert!(
        text.starts_with("Bill id,Reference,Supplier,Issue date,Due date,"),
        "{text}"
    );
    assert!(text.lines().count() > 10);

    let xlsx = api
        .report(id, Suppliers, &file(ReportFormat::Xlsx, None))
        .send()
        .await;
    assert_eq!(xlsx.status(), 200);
    assert_eq!(xlsx.header("content-type"), XLSX);
    assert!(xlsx.header("content-disposition").ends_with(".xlsx\""));
    let bytes = xlsx.bytes().await;
    assert_eq!(&bytes[..2], b"PK", "a zip container");

    let json = api
        .report(id, Bills, &file(ReportFormat::Json, None))
        .ok()
        .await;
    assert_eq!(json.kind, Bills);
    api.get::<ReportDocument>(&format!("/api/v1/companies/{id}/reports/bills?format=pdf"))
        .problem(400)
        .await;
}

pub(crate) type Rows = Vec<Vec<calamine::Data>>;

/// The sheets of an xlsx download, by name, in order, read with calamine.
pub(crate) async fn workbook<T: serde::de::DeserializeOwned>(
    download: Answer<T>,
) -> Vec<(String, Rows)> {
    use calamine::Reader;
    assert_eq!(download.status(), 200);
    assert_eq!(download.header("content-type"), XLSX);
    let bytes = download.bytes().await;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let rows = book
                .worksheet_range(&name)
                .unwrap()
                .rows()
                .map(<[calamine::Data]>::to_vec)
                .collect();
            (name, rows)
        })
        .collect()
}

pub(crate) fn sheet<'b>(book: &'b [(String, Rows)], name: &str) -> &'b Rows {
    &book
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no sheet {name}"))
        .1
}

pub(crate) fn cell_number(cell: &calamine::Data) -> f64 {
    match cell {
        calamine::Data::Float(f) => *f,
        calamine::Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

pub(crate) fn cell_text(cell: &calamine::Data) -> String {
    match cell {
        calamine::Data::String(s) => s.clone(),
        other => panic!("not text: {other:?}"),
    }
}

/// The value of a column in a sheet's totals row (its last).
fn total(rows: &Rows, column: &str) -> f64 {
    let c = rows[0]
        .iter()
        .position(|h| cell_text(h) == column)
        .unwrap_or_else(|| panic!("no column {column}"));
    let last = rows.last().unwrap();
    assert_eq!(cell_text(&last[0]), "Total");
    cell_number(&last[c])
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.005
}

/// After a real refresh, the spend analysis and the ageing are listed with the bills'
/// own update time, download in every format with the company and date in the file
/// name, reconcile with the bills and payments the API serves, and each download is in
/// the audit log.
#[tokio::test]
async fn spend_analysis_and_ageing_are_listed_and_reconcile_with_the_bills() {
    let app = spawn_app().await;
    let api = app.api();
    let admin = app.signed_in_admin().await;
    let id = app.connected_company("Ledger & Sons", &[SpendDetail]).await;
    api.refresh(id).expect(202).await;
    app.run_job().await;

    let items = api.reports(id).ok().await.items;
    let kinds: Vec<ReportKind> = items.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        [Suppliers, Bills, BillPayments, SpendAnalysis, AgedPayables]
    );
    let item = |kind: ReportKind| items.iter().find(|i| i.kind == kind).unwrap().clone();
    for derived in [SpendAnalysis, AgedPayables] {
        assert_eq!(item(derived).updated_at, item(Bills).updated_at);
        assert_eq!(item(derived).snapshots, 1);
        assert_eq!(item(derived).data_type, SpendDetail);
    }
    assert_eq!(item(SpendAnalysis).title, "Spend analysis");
    assert_eq!(item(AgedPayables).title, "Accounts payable ageing");
    assert_eq!(item(Suppliers).title, "Supplier list");

    // The figures to reconcile with, as the API serves the stored data.
    let results = |kind| {
        let call = api.report(id, kind, &ReportQuery::default());
        async move { call.ok().await.data["results"].as_array().unwrap().clone() }
    };
    let bills = results(Bills).await;
    let payments = results(BillPayments).await;
    let billed: f64 = bills
        .iter()
        .map(|b| b["totalAmount"].as_f64().unwrap())
        .sum();
    let payable: f64 = bills.iter().map(|b| b["amountDue"].as_f64().unwrap()).sum();
    let paid: f64 = payments
        .iter()
        .map(|p| p["totalAmount"].as_f64().unwrap())
        .sum();
    assert!(bills.len() > 20 && payable > 0.0);

    let response = api
        .report(id, SpendAnalysis, &file(ReportFormat::Xlsx, None))
        .send()
        .await;
    let date = item(Bills).updated_at.date_naive().to_string();
    assert_eq!(
        response.header("content-disposition"),
        format!("attachment; filename=\"ledger-sons-spend-analysis-{date}.xlsx\"")
    );
    let book = workbook(response).await;
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Customer",
            "Entity spend breakdown",
            "Spend by payment method",
            "Supplier analysis",
            "Bills",
            "Bill payments",
            "Expenses"
        ]
    );
    assert_eq!(
        sheet(&book, "Bills").len(),
        bills.len() + 2,
        "header, bills, totals"
    );
    assert_eq!(sheet(&book, "Bill payments").len(), payments.len() + 2);
    assert!(close(total(sheet(&book, "Bills"), "Total"), billed));
    assert!(close(total(sheet(&book, "Bills"), "Amount due"), payable));
    assert!(close(total(sheet(&book, "Bill payments"), "Amount"), paid));
    let analysis = sheet(&book, "Supplier analysis");
    assert!(close(total(analysis, "Total billed"), billed));
    assert!(close(total(analysis, "Outstanding"), payable));
    assert!(close(
        total(sheet(&book, "Entity spend breakdown"), "Billed"),
        billed
    ));
    assert!(close(
        total(sheet(&book, "Spend by payment method"), "Amount paid"),
        paid
    ));
    assert!(close(total(sheet(&book, "Expenses"), "Amount"), billed));
    let customer = sheet(&book, "Customer");
    assert_eq!(cell_text(&customer[1][1]), "Ledger & Sons");

    // The ageing: bills by supplier add up to accounts payable, as /changes says too.
    let response = api
        .report(id, AgedPayables, &file(ReportFormat::Xlsx, None))
        .send()
        .await;
    let book = workbook(response).await;
    let ageing = sheet(&book, "Accounts payable ageing");
    assert!(close(total(ageing, "Total outstanding"), payable));
    let by_supplier: f64 = ageing[1..ageing.len() - 1]
        .iter()
        .map(|r| cell_number(&r[8]))
        .sum();
    assert!(close(by_supplier, payable));

    // CSV: one sheet at a time; JSON: every sheet as tables.
    let problem = api
        .report(id, SpendAnalysis, &file(ReportFormat::Csv, None))
        .problem(400)
        .await;
    assert!(
        problem.detail_text().contains("supplier_analysis"),
        "{problem:?}"
    );
    api.report(id, AgedPayables, &file(ReportFormat::Xlsx, Some("bills")))
        .problem(404)
        .await;
    let csv = api
        .report(id, SpendAnalysis, &file(ReportFormat::Csv, Some("bills")))
        .send()
        .await;
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        csv.header("content-disposition"),
        format!("attachment; filename=\"ledger-sons-spend-analysis-bills-{date}.csv\"")
    );
    let text = csv.text().await;
    assert_eq!(
        text.lines().count(),
        bills.len() + 1,
        "header and one line per bill"
    );
    let csv = api
        .report(id, AgedPayables, &file(ReportFormat::Csv, None))
        .send()
        .await
        .text()
        .await;
    assert!(
        csv.starts_with("Supplier id,Supplier,Open bills,Current,1–30 days,"),
        "{csv}"
    );
    let json = api
        .report(id, SpendAnalysis, &ReportQuery::default())
        .ok()
        .await;
    assert_eq!(json.kind, SpendAnalysis);
    assert_eq!(json.updated_at, item(Bills).updated_at);
    let sheets = json.data["sheets"].as_array().unwrap();
    assert_eq!(sheets.len(), 7);
    assert_eq!(sheets[4]["rows"].as_array().unwrap().len(), bills.len());
    assert!(close(sheets[3]["totals"][5].as_f64().unwrap(), billed));

    // The supplier list: contacts and each supplier's bills, spend and balance.
    let book = workbook(
        api.report(id, Suppliers, &file(ReportFormat::Xlsx, None))
            .send()
            .await,
    )
    .await;
    let list = sheet(&book, "Supplier list");
    assert!(close(total(list, "Total spend"), billed));
    assert!(close(total(list, "Outstanding"), payable));
    assert_eq!(total(list, "Bills") as usize, bills.len());
    assert!(cell_text(&list[1][2]).contains(' '), "a contact name");

    let downloaded = AuditQuery {
        company_id: Some(id),
        action: Some(AuditAction::ReportDownloaded),
        ..AuditQuery::default()
    };
    let page = app.api_as(&admin).audit_events(&downloaded).ok().await;
    let downloads: Vec<(String, String, Value)> = page
        .items
        .iter()
        .map(|e| {
            let detail = e.detail.as_ref().unwrap();
            (
                e.target.clone().unwrap(),
                detail["format"].as_str().unwrap().to_owned(),
                detail["sheet"].clone(),
            )
        })
        .collect();
    assert!(downloads.contains(&("spend_analysis".into(), "csv".into(), json!("bills"))));
    assert!(downloads.contains(&("aged_payables".into(), "xlsx".into(), Value::Null)));
    let bills_snapshot = api.report_snapshots(id, Bills).ok().await;
    let spend_download = page
        .items
        .iter()
        .find(|e| e.target.as_deref() == Some("spend_analysis"))
        .unwrap();
    assert_eq!(
        spend_download.detail.as_ref().unwrap()["snapshot_id"],
        bills_snapshot.items[0].id.to_string(),
        "the version downloaded is the bills' of that refresh"
    );
}

/// Two refreshes with different spend detail: the derived reports of the older
/// snapshot carry the older figures, and the newest carry the newest.
#[tokio::test]
async fn an_older_snapshot_of_the_derived_reports_has_that_refresh_s_figures() {
    let app = spawn_app().await;
    let api = app.api();
    let id = app.connected_company("History Ltd", &[SpendDetail]).await;
    let version = |bills: Value, payments: Value| {
        vec![
            listed(
                ReportKind::Suppliers,
                json!([
                    {"id": "s1", "supplierName": "Alpha Ltd", "contactName": "Ann", "emailAddress": "ann@alpha.example"},
                    {"id": "s2", "supplierName": "Beta plc"}
                ]),
            ),
            listed(ReportKind::Bills, bills),
            listed(ReportKind::BillPayments, payments),
        ]
    };
    let today = app.store.now();
    let bill = |id: &str, supplier: &str, total: f64, due: f64, days_late: i64| {
        let due_date = (today - Duration::days(days_late)).date_naive().to_string();
        json!({"id": id, "supplierRef": {"id": supplier, "supplierName": if supplier == "s1" {"Alpha Ltd"} else {"Beta plc"}},
               "issueDate": "2026-01-05", "dueDate": due_date, "currency": "GBP",
               "totalAmount": total, "amountDue": due, "status": "Open",
               "lineItems": [{"accountName": "Rent", "totalAmount": total}]})
    };
    let week_ago = today - Duration::days(7);
    refreshed(
        &app,
        id,
        version(json!([bill("b1", "s1", 100.0, 100.0, 45)]), json!([])),
        week_ago,
    )
    .await;
    refreshed(&app, id, version(
                json!([bill("b1", "s1", 100.0, 40.0, 45), bill("b2", "s2", 500.0, 500.0, -10)]),
                json!([{"id": "p1", "supplierRef": {"id": "s1", "supplierName": "Alpha Ltd"}, "date": "2026-02-01", "totalAmount": 60.0, "paymentMethod": "Card"}]),
            ), today).await;

    let items = api.report_snapshots(id, AgedPayables).ok().await.items;
    assert_eq!(items.len(), 2);
    let older = items[1].href.clone();
    assert!(
        older.contains("/reports/aged_payables?snapshot="),
        "{older}"
    );

    let ageing = |book: Vec<(String, Rows)>| {
        let rows = sheet(&book, "Accounts payable ageing").clone();
        (
            total(&rows, "Current"),
            total(&rows, "31–60 days"),
            total(&rows, "Total outstanding"),
        )
    };
    // A week ago b1 was 38 days late; today it is 45, still 31–60.
    let older_xlsx = api
        .get::<ReportDocument>(&format!("{older}&format=xlsx"))
        .send()
        .await;
    assert_eq!(ageing(workbook(older_xlsx).await), (0.0, 100.0, 100.0));
    let newest_xlsx = api
        .report(id, AgedPayables, &file(ReportFormat::Xlsx, None))
        .send()
        .await;
    assert_eq!(ageing(workbook(newest_xlsx).await), (500.0, 40.0, 540.0));

    // The spend analysis of the older snapshot: that refresh's bills and payments.
    let older_spend = older.replace("aged_payables", "spend_analysis");
    let old = api.download(&older_spend).ok().await;
    assert_eq!(old.updated_at, items[1].updated_at);
    let customer = &old.data["sheets"][0]["rows"];
    let figure = |rows: &Value, name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r[0] == name)
            .unwrap()[1]
            .clone()
    };
    assert_eq!(figure(customer, "Bills"), 1);
    assert_eq!(figure(customer, "Bills amount"), 100.0);
    assert_eq!(figure(customer, "Payments amount"), 0.0);
    assert_eq!(figure(customer, "Accounts payable"), 100.0);
    let new = api
        .report(id, SpendAnalysis, &ReportQuery::default())
        .ok()
        .await;
    let customer = &new.data["sheets"][0]["rows"];
    assert_eq!(figure(customer, "Bills amount"), 600.0);
    assert_eq!(figure(customer, "Payments amount"), 60.0);
    assert_eq!(figure(customer, "Accounts payable"), 540.0);
    assert_eq!(figure(customer, "Overdue"), 40.0);

    // The supplier list's older snapshot reads the bills of its own refresh.
    let suppliers = api.report_snapshots(id, Suppliers).ok().await.items;
    let csv = api
        .get::<ReportDocument>(&format!("{}&format=csv", suppliers[1].href))
        .send()
        .await
        .text()
        .await;
    let alpha = csv.lines().find(|l| l.starts_with("s1,")).unwrap();
    assert!(alpha.contains("Ann,ann@alpha.example"), "{alpha}");
    assert!(alpha.ends_with(",1,100,100,100,2026-01-05"), "{alpha}");

    // A snapshot id of another report is not a version of this one.
    api.report(id, AgedPayables, &snapshot(&suppliers[0].id))
        .problem(404)
        .await;
}
