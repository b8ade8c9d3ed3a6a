//! Report versions: every successful refresh keeps a snapshot of each report, up to the
//! retention, and any kept snapshot downloads with its own figures.

use chrono::{Duration, Utc};
use domain::{DataType, ReportKind};
use serde_json::{Value, json};
use store::StoredReport;

use crate::helpers::{assert_problem, spawn_app_with};

#[tokio::test]
async fn each_refresh_keeps_a_snapshot_and_an_older_one_downloads_its_own_figures() {
    let app = spawn_app_with(|s| s.report_snapshots = 2).await;
    let id = app
        .connected_company("Versioned Ltd", &[DataType::Financials])
        .await;
    let now = Utc::now();
    for (days_ago, revenue) in [(3, 100.0), (2, 200.0), (1, 300.0)] {
        app.store
            .put_reports(
                id,
                vec![StoredReport {
                    kind: ReportKind::ProfitAndLoss,
                    payload: json!({ "revenue": revenue }),
                }],
                store::now() - Duration::days(days_ago),
            )
            .await
            .unwrap();
    }
    let listed: Value = app
        .get(&format!("/api/v1/companies/{id}/reports"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["snapshots"], 2, "retention 2: {listed}");
    let snapshots: Value = app
        .get(&format!(
            "/api/v1/companies/{id}/reports/profit_and_loss/snapshots"
        ))
        .await
        .json()
        .await
        .unwrap();
    let items = snapshots["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the oldest was dropped: {snapshots}");
    let older = &items[1];
    let older_doc: Value = app
        .get(older["href"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        older_doc["data"]["revenue"], 200.0,
        "the older snapshot's own figures"
    );
    assert_eq!(older_doc["snapshot_id"], older["id"]);
    assert_eq!(older_doc["updated_at"], older["updated_at"]);
    let newest: Value = app
        .get(&format!("/api/v1/companies/{id}/reports/profit_and_loss"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(newest["data"]["revenue"], 300.0);
    assert!(newest["updated_at"].as_str().unwrap() > older["updated_at"].as_str().unwrap());
    assert!(
        chrono::DateTime::parse_from_rfc3339(newest["updated_at"].as_str().unwrap()).unwrap() < now
    );

    // A snapshot of another report, an unknown one, or not an id at all.
    let other = app
        .connected_company("Other Ltd", &[DataType::Financials])
        .await;
    let path = format!(
        "/api/v1/companies/{other}/reports/profit_and_loss?snapshot={}",
        older["id"].as_str().unwrap()
    );
    assert_problem(app.get(&path).await, 404).await;
    let path = format!(
        "/api/v1/companies/{id}/reports/balance_sheet?snapshot={}",
        older["id"].as_str().unwrap()
    );
    assert_problem(app.get(&path).await, 404).await;
    let path = format!("/api/v1/companies/{id}/reports/profit_and_loss?snapshot=yesterday");
    assert_problem(app.get(&path).await, 400).await;

    // A real refresh adds one more version (still within the retention of 2).
    app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
        .await;
    app.instant_worker().run_once().await.unwrap().expect("ran");
    let snapshots: Value = app
        .get(&format!(
            "/api/v1/companies/{id}/reports/profit_and_loss/snapshots"
        ))
        .await
        .json()
        .await
        .unwrap();
    let items = snapshots["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let newest: Value = app
        .get(items[0]["href"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert!(
        newest["data"].get("revenue").is_none(),
        "the sandbox's books now"
    );
    let kept: Value = app
        .get(items[1]["href"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kept["data"]["revenue"], 300.0);
}

/// What changed since the last refresh, through the API, from two kept versions.
#[tokio::test]
async fn changes_compare_the_two_newest_refreshes_of_the_spend_detail() {
    let app = crate::helpers::spawn_app().await;
    let id = app
        .connected_company("Changing Ltd", &[DataType::SpendDetail])
        .await;
    let none: Value = app
        .get(&format!("/api/v1/companies/{id}/changes"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["since"], Value::Null);
    assert_eq!(none["biggest_movers"], json!([]));
    let version = |suppliers: Value, bills: Value| {
        vec![
            StoredReport {
                kind: ReportKind::Suppliers,
                payload: json!({ "currency": "GBP", "results": suppliers }),
            },
            StoredReport {
                kind: ReportKind::Bills,
                payload: json!({ "currency": "GBP", "results": bills }),
            },
        ]
    };
    let bill = |supplier: &str, due: f64, due_date: &str| json!({"supplierRef": {"id": supplier, "supplierName": format!("{supplier} plc")}, "amountDue": due, "dueDate": due_date});
    let earlier = store::now() - Duration::days(7);
    app.store
        .put_reports(
            id,
            version(
                json!([{"id": "s1", "supplierName": "s1 plc"}, {"id": "s2", "supplierName": "s2 plc"}]),
                json!([bill("s1", 1000.0, "2000-01-01"), bill("s2", 250.0, "2999-01-01")]),
            ),
            earlier,
        )
        .await
        .unwrap();
    app.store
        .put_reports(
            id,
            version(
                json!([{"id": "s2", "supplierName": "s2 plc"}, {"id": "s3", "supplierName": "s3 plc"}]),
                json!([bill("s2", 400.0, "2999-01-01"), bill("s3", 75.5, "2000-01-01")]),
            ),
            store::now(),
        )
        .await
        .unwrap();
    let changes: Value = app
        .get(&format!("/api/v1/companies/{id}/changes"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changes["currency"], "GBP");
    assert_eq!(
        changes["new_suppliers"],
        json!([{"id": "s3", "name": "s3 plc"}])
    );
    assert_eq!(
        changes["gone_suppliers"],
        json!([{"id": "s1", "name": "s1 plc"}])
    );
    assert_eq!(
        changes["accounts_payable"],
        json!({"before": 1250.0, "after": 475.5, "change": -774.5})
    );
    assert_eq!(
        changes["overdue"],
        json!({"before": 1000.0, "after": 75.5, "change": -924.5})
    );
    assert_eq!(changes["biggest_movers"][0]["id"], "s1");
    assert_eq!(
        changes["biggest_movers"][0]["outstanding"]["change"],
        -1000.0
    );
    assert_eq!(changes["biggest_movers"][1]["id"], "s2");
    assert_eq!(changes["biggest_movers"][2]["id"], "s3");
    let since = chrono::DateTime::parse_from_rfc3339(changes["since"].as_str().unwrap()).unwrap();
    assert!((since.with_timezone(&Utc) - earlier).num_seconds().abs() < 1);
}

/// `?format=csv` and `?format=xlsx` download files named after the company, report and
/// date, with the right content type; an unknown format is a 400.
#[tokio::test]
async fn reports_download_as_csv_and_xlsx_files() {
    let app = crate::helpers::spawn_app().await;
    let id = app
        .connected_company("Files & Co Ltd", &[DataType::SpendDetail])
        .await;
    app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
        .await;
    app.instant_worker().run_once().await.unwrap().expect("ran");
    let today = Utc::now().format("%Y-%m-%d").to_string();

    let csv = app
        .get(&format!("/api/v1/companies/{id}/reports/bills?format=csv"))
        .await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        csv.headers()["content-disposition"],
        format!("attachment; filename=\"files-co-ltd-bills-{today}.csv\"").as_str()
    );
    let text = csv.text().await.unwrap();
    assert!(
        text.starts_with("Bill id,Reference,Supplier,Issue date,Due date,"),
        "{text}"
    );
    assert!(text.lines().count() > 10);

    let xlsx = app
        .get(&format!(
            "/api/v1/companies/{id}/reports/suppliers?format=xlsx"
        ))
        .await;
    assert_eq!(xlsx.status(), 200);
    assert_eq!(
        xlsx.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        xlsx.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with(".xlsx\"")
    );
    let bytes = xlsx.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK", "a zip container");

    let json: Value = app
        .get(&format!("/api/v1/companies/{id}/reports/bills?format=json"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["kind"], "bills");
    assert_problem(
        app.get(&format!("/api/v1/companies/{id}/reports/bills?format=pdf"))
            .await,
        400,
    )
    .await;
}

type Rows = Vec<Vec<calamine::Data>>;

/// The sheets of an xlsx download, by name, in order, read with calamine.
async fn workbook(response: reqwest::Response) -> Vec<(String, Rows)> {
    use calamine::Reader;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = response.bytes().await.unwrap().to_vec();
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

fn sheet<'b>(book: &'b [(String, Rows)], name: &str) -> &'b Rows {
    &book
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no sheet {name}"))
        .1
}

fn cell_number(cell: &calamine::Data) -> f64 {
    match cell {
        calamine::Data::Float(f) => *f,
        calamine::Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

fn cell_text(cell: &calamine::Data) -> String {
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
    let app = crate::helpers::spawn_app().await;
    let (_, _, admin) = app.signed_in_user("Ada Admin", "admin").await;
    let id = app
        .connected_company("Ledger & Sons", &[DataType::SpendDetail])
        .await;
    app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
        .await;
    app.instant_worker().run_once().await.unwrap().expect("ran");

    let listed: Value = app
        .get(&format!("/api/v1/companies/{id}/reports"))
        .await
        .json()
        .await
        .unwrap();
    let items = listed["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "suppliers",
            "bills",
            "bill_payments",
            "spend_analysis",
            "aged_payables"
        ]
    );
    let item = |kind: &str| items.iter().find(|i| i["kind"] == kind).unwrap().clone();
    for derived in ["spend_analysis", "aged_payables"] {
        assert_eq!(item(derived)["updated_at"], item("bills")["updated_at"]);
        assert_eq!(item(derived)["snapshots"], 1);
        assert_eq!(item(derived)["data_type"], "spend_detail");
    }
    assert_eq!(item("spend_analysis")["title"], "Spend analysis");
    assert_eq!(item("aged_payables")["title"], "Accounts payable ageing");
    assert_eq!(item("suppliers")["title"], "Supplier list");

    // The figures to reconcile with, as the API serves the stored data.
    let bills: Value = app
        .get(&format!("/api/v1/companies/{id}/reports/bills"))
        .await
        .json()
        .await
        .unwrap();
    let bills = bills["data"]["results"].as_array().unwrap().clone();
    let payments: Value = app
        .get(&format!("/api/v1/companies/{id}/reports/bill_payments"))
        .await
        .json()
        .await
        .unwrap();
    let payments = payments["data"]["results"].as_array().unwrap().clone();
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

    let response = app
        .get(&format!(
            "/api/v1/companies/{id}/reports/spend_analysis?format=xlsx"
        ))
        .await;
    let date = item("bills")["updated_at"].as_str().unwrap()[..10].to_owned();
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"ledger-sons-spend-analysis-{date}.xlsx\"").as_str()
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
    let response = app
        .get(&format!(
            "/api/v1/companies/{id}/reports/aged_payables?format=xlsx"
        ))
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
    let problem = crate::helpers::assert_problem(
        app.get(&format!(
            "/api/v1/companies/{id}/reports/spend_analysis?format=csv"
        ))
        .await,
        400,
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("supplier_analysis"),
        "{problem}"
    );
    crate::helpers::assert_problem(
        app.get(&format!(
            "/api/v1/companies/{id}/reports/aged_payables?format=xlsx&sheet=bills"
        ))
        .await,
        404,
    )
    .await;
    let csv = app
        .get(&format!(
            "/api/v1/companies/{id}/reports/spend_analysis?format=csv&sheet=bills"
        ))
        .await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        csv.headers()["content-disposition"],
        format!("attachment; filename=\"ledger-sons-spend-analysis-bills-{date}.csv\"").as_str()
    );
    let text = csv.text().await.unwrap();
    assert_eq!(
        text.lines().count(),
        bills.len() + 1,
        "header and one line per bill"
    );
    let csv = app
        .get(&format!(
            "/api/v1/companies/{id}/reports/aged_payables?format=csv"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("Supplier id,Supplier,Open bills,Current,1–30 days,"),
        "{csv}"
    );
    let json: Value = app
        .get(&format!("/api/v1/companies/{id}/reports/spend_analysis"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["kind"], "spend_analysis");
    assert_eq!(json["updated_at"], item("bills")["updated_at"]);
    let sheets = json["data"]["sheets"].as_array().unwrap();
    assert_eq!(sheets.len(), 7);
    assert_eq!(sheets[4]["rows"].as_array().unwrap().len(), bills.len());
    assert!(close(sheets[3]["totals"][5].as_f64().unwrap(), billed));

    // The supplier list: contacts and each supplier's bills, spend and balance.
    let book = workbook(
        app.get(&format!(
            "/api/v1/companies/{id}/reports/suppliers?format=xlsx"
        ))
        .await,
    )
    .await;
    let list = sheet(&book, "Supplier list");
    assert!(close(total(list, "Total spend"), billed));
    assert!(close(total(list, "Outstanding"), payable));
    assert_eq!(total(list, "Bills") as usize, bills.len());
    assert!(cell_text(&list[1][2]).contains(' '), "a contact name");

    let page: Value = app
        .as_user(
            &admin,
            reqwest::Method::GET,
            &format!("/api/v1/audit-events?company_id={id}&action=report.downloaded"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let downloads: Vec<(String, String, Value)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["target"].as_str().unwrap().to_owned(),
                e["detail"]["format"].as_str().unwrap().to_owned(),
                e["detail"]["sheet"].clone(),
            )
        })
        .collect();
    assert!(downloads.contains(&("spend_analysis".into(), "csv".into(), json!("bills"))));
    assert!(downloads.contains(&("aged_payables".into(), "xlsx".into(), Value::Null)));
    let bills_snapshot: Value = app
        .get(&format!("/api/v1/companies/{id}/reports/bills/snapshots"))
        .await
        .json()
        .await
        .unwrap();
    let spend_download = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["target"] == "spend_analysis")
        .unwrap();
    assert_eq!(
        spend_download["detail"]["snapshot_id"], bills_snapshot["items"][0]["id"],
        "the version downloaded is the bills' of that refresh"
    );
}

/// Two refreshes with different spend detail: the derived reports of the older
/// snapshot carry the older figures, and the newest carry the newest.
#[tokio::test]
async fn an_older_snapshot_of_the_derived_reports_has_that_refresh_s_figures() {
    let app = crate::helpers::spawn_app().await;
    let id = app
        .connected_company("History Ltd", &[DataType::SpendDetail])
        .await;
    let version = |bills: Value, payments: Value| {
        vec![
            StoredReport {
                kind: ReportKind::Suppliers,
                payload: json!({"currency": "GBP", "results": [
                    {"id": "s1", "supplierName": "Alpha Ltd", "contactName": "Ann", "emailAddress": "ann@alpha.example"},
                    {"id": "s2", "supplierName": "Beta plc"}
                ]}),
            },
            StoredReport {
                kind: ReportKind::Bills,
                payload: json!({"currency": "GBP", "results": bills}),
            },
            StoredReport {
                kind: ReportKind::BillPayments,
                payload: json!({"currency": "GBP", "results": payments}),
            },
        ]
    };
    let today = store::now();
    let bill = |id: &str, supplier: &str, total: f64, due: f64, days_late: i64| {
        let due_date = (today - Duration::days(days_late)).date_naive().to_string();
        json!({"id": id, "supplierRef": {"id": supplier, "supplierName": if supplier == "s1" {"Alpha Ltd"} else {"Beta plc"}},
               "issueDate": "2026-01-05", "dueDate": due_date, "currency": "GBP",
               "totalAmount": total, "amountDue": due, "status": "Open",
               "lineItems": [{"accountName": "Rent", "totalAmount": total}]})
    };
    let week_ago = today - Duration::days(7);
    app.store
        .put_reports(
            id,
            version(json!([bill("b1", "s1", 100.0, 100.0, 45)]), json!([])),
            week_ago,
        )
        .await
        .unwrap();
    app.store
        .put_reports(
            id,
            version(
                json!([bill("b1", "s1", 100.0, 40.0, 45), bill("b2", "s2", 500.0, 500.0, -10)]),
                json!([{"id": "p1", "supplierRef": {"id": "s1", "supplierName": "Alpha Ltd"}, "date": "2026-02-01", "totalAmount": 60.0, "paymentMethod": "Card"}]),
            ),
            today,
        )
        .await
        .unwrap();

    let snapshots: Value = app
        .get(&format!(
            "/api/v1/companies/{id}/reports/aged_payables/snapshots"
        ))
        .await
        .json()
        .await
        .unwrap();
    let items = snapshots["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let older = items[1]["href"].as_str().unwrap().to_owned();
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
    let old = ageing(workbook(app.get(&format!("{older}&format=xlsx")).await).await);
    assert_eq!(old, (0.0, 100.0, 100.0));
    let new = ageing(
        workbook(
            app.get(&format!(
                "/api/v1/companies/{id}/reports/aged_payables?format=xlsx"
            ))
            .await,
        )
        .await,
    );
    assert_eq!(new, (500.0, 40.0, 540.0));

    // The spend analysis of the older snapshot: that refresh's bills and payments.
    let older_spend = older.replace("aged_payables", "spend_analysis");
    let old: Value = app.get(&older_spend).await.json().await.unwrap();
    assert_eq!(old["updated_at"], items[1]["updated_at"]);
    let customer = &old["data"]["sheets"][0]["rows"];
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
    let new: Value = app
        .get(&format!("/api/v1/companies/{id}/reports/spend_analysis"))
        .await
        .json()
        .await
        .unwrap();
    let customer = &new["data"]["sheets"][0]["rows"];
    assert_eq!(figure(customer, "Bills amount"), 600.0);
    assert_eq!(figure(customer, "Payments amount"), 60.0);
    assert_eq!(figure(customer, "Accounts payable"), 540.0);
    assert_eq!(figure(customer, "Overdue"), 40.0);

    // The supplier list's older snapshot reads the bills of its own refresh.
    let suppliers: Value = app
        .get(&format!(
            "/api/v1/companies/{id}/reports/suppliers/snapshots"
        ))
        .await
        .json()
        .await
        .unwrap();
    let csv = app
        .get(&format!(
            "{}&format=csv",
            suppliers["items"][1]["href"].as_str().unwrap()
        ))
        .await
        .text()
        .await
        .unwrap();
    let alpha = csv.lines().find(|l| l.starts_with("s1,")).unwrap();
    assert!(alpha.contains("Ann,ann@alpha.example"), "{alpha}");
    assert!(alpha.ends_with(",1,100,100,100,2026-01-05"), "{alpha}");

    // A snapshot id of another report is not a version of this one.
    let supplier_snapshot = suppliers["items"][0]["id"].as_str().unwrap();
    assert_problem(
        app.get(&format!(
            "/api/v1/companies/{id}/reports/aged_payables?snapshot={supplier_snapshot}"
        ))
        .await,
        404,
    )
    .await;
}
