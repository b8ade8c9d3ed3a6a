//! The files a relationship manager downloads, opened with a real reader (calamine):
//! the figures equal the source data, and the totals reconcile.

use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx};
use chrono::{TimeZone, Utc};
use domain::{CompanyId, ReportKind};
use providers::SandboxBooks;
use serde_json::Value;

fn books() -> SandboxBooks {
    SandboxBooks::new(
        CompanyId::from_uuid(uuid::Uuid::from_u128(42)),
        "Reconciled Ltd",
        Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap(),
    )
}

fn sheet(kind: ReportKind, payload: &Value) -> Vec<Vec<Data>> {
    let bytes = reports::to_xlsx(kind, payload).unwrap();
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(workbook.sheet_names(), [kind.title()]);
    let range = workbook.worksheet_range(kind.title()).unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

fn number(cell: &Data) -> f64 {
    match cell {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number cell: {other:?}"),
    }
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        other => panic!("not a text cell: {other:?}"),
    }
}

#[test]
fn the_bills_workbook_holds_every_bill_with_numbers_and_dates_and_sums_to_payables() {
    let books = books();
    let bills = books.report(ReportKind::Bills);
    let rows = sheet(ReportKind::Bills, &bills);
    let header: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(
        header,
        reports::columns(ReportKind::Bills)
            .iter()
            .map(|c| c.title)
            .collect::<Vec<_>>()
    );
    let source = bills["results"].as_array().unwrap();
    assert_eq!(rows.len() - 1, source.len(), "one row per bill");
    for (row, bill) in rows[1..].iter().zip(source) {
        assert_eq!(text(&row[0]), bill["id"].as_str().unwrap());
        assert_eq!(number(&row[6]), bill["totalAmount"].as_f64().unwrap());
        assert_eq!(number(&row[7]), bill["amountDue"].as_f64().unwrap());
        assert!(
            matches!(row[3], Data::DateTime(_)),
            "issue date is a date cell: {:?}",
            row[3]
        );
        let due = row[4].as_date().expect("a date");
        assert_eq!(due.to_string(), bill["dueDate"].as_str().unwrap());
    }
    // Open bills by supplier add up to the balance sheet's accounts payable.
    let due: f64 = rows[1..].iter().map(|r| number(&r[7])).sum();
    let balance = books.report(ReportKind::BalanceSheet);
    let latest = balance["reports"].as_array().unwrap().last().unwrap();
    let payable = latest["liabilities"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Accounts payable")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    assert!(
        (due - payable).abs() < 0.01,
        "bills due {due} vs payables {payable}"
    );
}

#[test]
fn the_balance_sheet_workbook_balances_for_every_month() {
    let balance = books().report(ReportKind::BalanceSheet);
    let rows = sheet(ReportKind::BalanceSheet, &balance);
    let mut by_date: std::collections::BTreeMap<String, (f64, f64, f64, f64)> = Default::default();
    for row in &rows[1..] {
        let date = row[0].as_date().unwrap().to_string();
        let entry = by_date.entry(date).or_default();
        let amount = number(&row[3]);
        match text(&row[1]).as_str() {
            "Assets" => entry.0 += amount,
            "Liabilities" => entry.1 += amount,
            "Equity" => entry.2 += amount,
            "Result" => entry.3 = amount,
            other => panic!("unexpected section {other}"),
        }
    }
    assert_eq!(by_date.len(), balance["reports"].as_array().unwrap().len());
    for (date, (assets, liabilities, equity, net_assets)) in by_date {
        assert!(
            (assets - liabilities - equity).abs() < 0.02,
            "{date}: {assets} ≠ {liabilities} + {equity}"
        );
        assert!((assets - liabilities - net_assets).abs() < 0.02, "{date}");
    }
}

#[test]
fn profit_and_loss_rows_add_up_to_each_month_s_net_profit() {
    let pl = books().report(ReportKind::ProfitAndLoss);
    let csv = reports::to_csv(ReportKind::ProfitAndLoss, &pl).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let mut months: std::collections::BTreeMap<String, (f64, f64)> = Default::default();
    for record in reader.records() {
        let record = record.unwrap();
        let amount: f64 = record[4].parse().unwrap();
        let entry = months.entry(record[0].to_owned()).or_default();
        match &record[2] {
            "Income" => entry.0 += amount,
            "Cost of sales" | "Expenses" | "Other expenses" => entry.0 -= amount,
            "Result" if &record[3] == "Net profit" => entry.1 = amount,
            _ => {}
        }
    }
    assert_eq!(months.len(), pl["periods"].as_array().unwrap().len());
    for (month, (computed, stated)) in months {
        assert!(
            (computed - stated).abs() < 0.05,
            "{month}: {computed} vs {stated}"
        );
    }
}

#[test]
fn every_kind_exports_and_malformed_payloads_give_empty_tables() {
    let books = books();
    for kind in ReportKind::ALL {
        let payload = books.report(kind);
        assert!(sheet(kind, &payload).len() > 1, "{kind} has rows");
        let empty = sheet(kind, &serde_json::json!({"results": "nope"}));
        assert_eq!(empty.len(), 1, "{kind}: only the header");
        let csv = reports::to_csv(kind, &serde_json::json!(null)).unwrap();
        assert_eq!(String::from_utf8(csv).unwrap().lines().count(), 1);
    }
}
