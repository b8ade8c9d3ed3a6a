//! The files a relationship manager downloads, opened with a real reader (calamine):
//! the figures equal the source data, and the totals reconcile.

use std::{collections::BTreeMap, io::Cursor};

use calamine::{Data, DataType, Reader, Xlsx};
use chrono::{NaiveDate, TimeZone, Utc};
use domain::{CompanyId, ReportKind};
use providers::SandboxBooks;
use reports::{Sources, TableFormat};
use serde_json::Value;

const AS_OF: (i32, u32, u32) = (2026, 11, 20);

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(AS_OF.0, AS_OF.1, AS_OF.2).unwrap()
}

fn books() -> SandboxBooks {
    SandboxBooks::new(
        CompanyId::from_uuid(uuid::Uuid::from_u128(42)),
        "Reconciled Ltd",
        Utc.with_ymd_and_hms(AS_OF.0, AS_OF.1, AS_OF.2, 12, 0, 0)
            .unwrap(),
    )
}

/// The sandbox's stored payloads, as the database holds them (JSON text).
fn stored(books: &SandboxBooks) -> BTreeMap<ReportKind, String> {
    ReportKind::ALL
        .into_iter()
        .filter(|k| !k.is_derived())
        .map(|k| (k, books.report(k).to_string()))
        .collect()
}

fn sources(texts: &BTreeMap<ReportKind, String>) -> Sources<'_> {
    texts
        .iter()
        .fold(Sources::new("Reconciled Ltd", as_of()), |s, (k, t)| {
            s.with(*k, t)
        })
}

type Rows = Vec<Vec<Data>>;

/// Every sheet of the report's workbook, by name, in order.
fn workbook(kind: ReportKind, sources: &Sources<'_>) -> Vec<(String, Rows)> {
    read_workbook(reports::write(kind, sources, TableFormat::Xlsx, None).unwrap())
}

fn read_workbook(bytes: Vec<u8>) -> Vec<(String, Rows)> {
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let names = workbook.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = workbook.worksheet_range(&name).unwrap();
            let rows = range.rows().map(<[Data]>::to_vec).collect();
            (name, rows)
        })
        .collect()
}

fn sheet<'w>(book: &'w [(String, Rows)], title: &str) -> &'w Rows {
    &book.iter().find(|(name, _)| name == title).unwrap().1
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
        Data::Empty => String::new(),
        other => panic!("not a text cell: {other:?}"),
    }
}

fn header(rows: &Rows) -> Vec<String> {
    rows[0].iter().map(text).collect()
}

fn column(rows: &Rows, title: &str) -> usize {
    header(rows)
        .iter()
        .position(|h| h == title)
        .unwrap_or_else(|| panic!("no column {title}"))
}

/// The data rows (between the header and the totals row).
fn data(rows: &Rows) -> &[Vec<Data>] {
    &rows[1..rows.len() - 1]
}

fn totals(rows: &Rows) -> &[Data] {
    let last = rows.last().unwrap();
    assert_eq!(text(&last[0]), "Total");
    last
}

fn sum(rows: &Rows, title: &str) -> f64 {
    let c = column(rows, title);
    data(rows).iter().map(|r| number(&r[c])).sum()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.005
}

fn results(text: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(text).unwrap()["results"]
        .as_array()
        .unwrap()
        .clone()
}

/// Each column's totals cell equals the sum of the column.
fn assert_totals_add_up(rows: &Rows, titles: &[&str]) {
    for title in titles {
        let total = number(&totals(rows)[column(rows, title)]);
        let added = sum(rows, title);
        assert!(
            close(total, added),
            "{title}: total {total} vs rows {added}"
        );
    }
}

#[test]
fn the_bills_workbook_holds_every_bill_with_numbers_and_dates_and_sums_to_payables() {
    let books = books();
    let texts = stored(&books);
    let book = workbook(ReportKind::Bills, &sources(&texts));
    assert_eq!(book.len(), 1);
    let (name, rows) = &book[0];
    assert_eq!(name, "Bills");
    assert_eq!(
        header(rows),
        reports::sheets(ReportKind::Bills)[0]
            .columns
            .iter()
            .map(|c| c.title)
            .collect::<Vec<_>>()
    );
    let source = results(&texts[&ReportKind::Bills]);
    assert_eq!(data(rows).len(), source.len(), "one row per bill");
    for (row, bill) in data(rows).iter().zip(&source) {
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
    assert_totals_add_up(rows, &["Total", "Amount due"]);
    // Open bills add up to the balance sheet's accounts payable.
    let due = sum(rows, "Amount due");
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
    let texts = stored(&books());
    let book = workbook(ReportKind::BalanceSheet, &sources(&texts));
    let rows = &book[0].1;
    let mut by_date: BTreeMap<String, (f64, f64, f64, f64)> = Default::default();
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
    assert_eq!(by_date.len(), 12);
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
    let texts = stored(&books());
    let csv = reports::write(
        ReportKind::ProfitAndLoss,
        &sources(&texts),
        TableFormat::Csv,
        None,
    )
    .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let mut months: BTreeMap<String, (f64, f64)> = Default::default();
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
    assert_eq!(months.len(), 12);
    for (month, (computed, stated)) in months {
        assert!(
            (computed - stated).abs() < 0.05,
            "{month}: {computed} vs {stated}"
        );
    }
}

/// The ageing on the refresh's day, recomputed here from the bills' own due dates.
fn expected_ageing(bills: &[Value]) -> BTreeMap<String, [f64; 5]> {
    let mut by_supplier: BTreeMap<String, [f64; 5]> = BTreeMap::new();
    for bill in bills {
        let due = bill["amountDue"].as_f64().unwrap();
        if due == 0.0 {
            continue;
        }
        let due_date: NaiveDate = bill["dueDate"].as_str().unwrap().parse().unwrap();
        let days = (as_of() - due_date).num_days();
        let bucket = match days {
            ..=0 => 0,
            1..=30 => 1,
            31..=60 => 2,
            61..=90 => 3,
            _ => 4,
        };
        let name = bill["supplierRef"]["supplierName"].as_str().unwrap();
        by_supplier.entry(name.to_owned()).or_default()[bucket] += due;
    }
    by_supplier
}

#[test]
fn the_ageing_report_buckets_each_supplier_s_open_bills_and_adds_up_to_payables() {
    let texts = stored(&books());
    let book = workbook(ReportKind::AgedPayables, &sources(&texts));
    assert_eq!(book.len(), 1);
    let (name, rows) = &book[0];
    assert_eq!(name, "Accounts payable ageing");
    let buckets = reports::AGEING_BUCKETS;
    assert_eq!(header(rows)[3..8], buckets.map(String::from));
    let bills = results(&texts[&ReportKind::Bills]);
    let expected = expected_ageing(&bills);
    assert!(expected.len() > 1, "the sandbox has several suppliers owed");
    assert_eq!(
        data(rows).len(),
        expected.len(),
        "one row per supplier owed"
    );
    let mut overdue_somewhere = false;
    for row in data(rows) {
        let supplier = text(&row[1]);
        let want = expected[&supplier];
        for (i, amount) in want.iter().enumerate() {
            assert!(
                close(number(&row[3 + i]), *amount),
                "{supplier} {}: {:?} vs {amount}",
                buckets[i],
                row[3 + i]
            );
        }
        overdue_somewhere |= want[1..].iter().any(|a| *a > 0.0);
        let outstanding = number(&row[8]);
        let across: f64 = (3..8).map(|c| number(&row[c])).sum();
        assert!(close(outstanding, across), "{supplier}: row adds up");
    }
    assert!(overdue_somewhere, "the fixture exercises overdue buckets");
    // Bills by supplier sum to the accounts payable total, and the totals row says so.
    let payable: f64 = bills.iter().map(|b| b["amountDue"].as_f64().unwrap()).sum();
    assert!(close(number(&totals(rows)[8]), payable));
    assert_totals_add_up(
        rows,
        &[
            "Open bills",
            buckets[0],
            buckets[1],
            buckets[2],
            buckets[3],
            buckets[4],
            "Total outstanding",
        ],
    );
    let open = bills
        .iter()
        .filter(|b| b["amountDue"].as_f64().unwrap() != 0.0)
        .count();
    assert_eq!(number(&totals(rows)[2]) as usize, open);
}

#[test]
fn the_supplier_list_has_contacts_bills_spend_and_what_is_outstanding() {
    let texts = stored(&books());
    let book = workbook(ReportKind::Suppliers, &sources(&texts));
    let (name, rows) = &book[0];
    assert_eq!(name, "Supplier list");
    let suppliers = results(&texts[&ReportKind::Suppliers]);
    let bills = results(&texts[&ReportKind::Bills]);
    assert_eq!(data(rows).len(), suppliers.len());
    let (c_name, c_contact, c_email) = (
        column(rows, "Supplier"),
        column(rows, "Contact"),
        column(rows, "Email"),
    );
    let names: Vec<String> = data(rows).iter().map(|r| text(&r[c_name])).collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "by name");
    for supplier in &suppliers {
        let id = supplier["id"].as_str().unwrap();
        let row = data(rows).iter().find(|r| text(&r[0]) == id).unwrap();
        assert_eq!(
            text(&row[c_name]),
            supplier["supplierName"].as_str().unwrap()
        );
        assert_eq!(
            text(&row[c_contact]),
            supplier["contactName"].as_str().unwrap()
        );
        assert_eq!(
            text(&row[c_email]),
            supplier["emailAddress"].as_str().unwrap()
        );
        let theirs: Vec<&Value> = bills
            .iter()
            .filter(|b| b["supplierRef"]["id"] == id)
            .collect();
        assert_eq!(number(&row[column(rows, "Bills")]) as usize, theirs.len());
        let spend: f64 = theirs
            .iter()
            .map(|b| b["totalAmount"].as_f64().unwrap())
            .sum();
        assert!(close(number(&row[column(rows, "Total spend")]), spend));
        let owed: f64 = theirs
            .iter()
            .map(|b| b["amountDue"].as_f64().unwrap())
            .sum();
        assert!(
            close(number(&row[column(rows, "Outstanding")]), owed),
            "{id}"
        );
    }
    assert_totals_add_up(rows, &["Bills", "Total spend", "Outstanding", "Overdue"]);
    assert_eq!(
        number(&totals(rows)[column(rows, "Bills")]) as usize,
        bills.len()
    );
}

#[test]
fn the_spend_analysis_sheets_reconcile_with_the_bills_and_payments() {
    let texts = stored(&books());
    let book = workbook(ReportKind::SpendAnalysis, &sources(&texts));
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
    let bills = results(&texts[&ReportKind::Bills]);
    let payments = results(&texts[&ReportKind::BillPayments]);
    let billed: f64 = bills
        .iter()
        .map(|b| b["totalAmount"].as_f64().unwrap())
        .sum();
    let payable: f64 = bills.iter().map(|b| b["amountDue"].as_f64().unwrap()).sum();
    let paid: f64 = payments
        .iter()
        .map(|p| p["totalAmount"].as_f64().unwrap())
        .sum();

    let bills_sheet = sheet(&book, "Bills");
    assert_eq!(data(bills_sheet).len(), bills.len());
    assert!(close(number(&totals(bills_sheet)[6]), billed));
    let payments_sheet = sheet(&book, "Bill payments");
    assert_eq!(data(payments_sheet).len(), payments.len());
    assert!(close(number(&totals(payments_sheet)[4]), paid));

    // The customer summary states the same headline figures.
    let customer = sheet(&book, "Customer");
    let item = |name: &str| {
        customer[1..]
            .iter()
            .find(|r| text(&r[0]) == name)
            .unwrap_or_else(|| panic!("no {name}"))[1]
            .clone()
    };
    assert_eq!(text(&item("Company")), "Reconciled Ltd");
    assert_eq!(item("Data as of").as_date(), Some(as_of()));
    assert_eq!(number(&item("Bills")) as usize, bills.len());
    assert!(close(number(&item("Bills amount")), billed));
    assert_eq!(number(&item("Bill payments")) as usize, payments.len());
    assert!(close(number(&item("Payments amount")), paid));
    assert!(close(number(&item("Accounts payable")), payable));
    assert_eq!(number(&item("Months reviewed")), 12.0);
    let overdue: f64 = expected_ageing(&bills)
        .values()
        .map(|b| b[1..].iter().sum::<f64>())
        .sum();
    assert!(close(number(&item("Overdue")), overdue));

    let months = sheet(&book, "Entity spend breakdown");
    assert_eq!(data(months).len(), 12, "a row per month");
    assert!(matches!(data(months)[0][0], Data::DateTime(_)));
    assert_totals_add_up(months, &["Bills", "Billed", "Payments", "Paid"]);
    assert!(close(sum(months, "Billed"), billed));
    assert!(close(sum(months, "Paid"), paid));

    let methods = sheet(&book, "Spend by payment method");
    assert_totals_add_up(methods, &["Payments", "Amount paid"]);
    assert!(close(sum(methods, "Amount paid"), paid));
    assert!((sum(methods, "Share of payments") - 1.0).abs() < 0.001);

    let analysis = sheet(&book, "Supplier analysis");
    assert_totals_add_up(
        analysis,
        &["Bills", "Total billed", "Paid", "Outstanding", "Overdue"],
    );
    assert!(close(sum(analysis, "Total billed"), billed));
    assert!(
        close(sum(analysis, "Outstanding"), payable),
        "bills by supplier sum to payables"
    );
    assert!(close(sum(analysis, "Paid"), paid));
    let spend: Vec<f64> = data(analysis).iter().map(|r| number(&r[5])).collect();
    assert!(
        spend.windows(2).all(|w| w[0] >= w[1]),
        "largest spend first"
    );

    let expenses = sheet(&book, "Expenses");
    assert_totals_add_up(expenses, &["Bill lines", "Amount"]);
    assert!(
        close(sum(expenses, "Amount"), billed),
        "expense accounts add up to the bills"
    );
    let accounts: Vec<String> = data(expenses).iter().map(|r| text(&r[0])).collect();
    assert!(
        accounts.len() > 1 && !accounts.contains(&"Uncategorised".to_owned()),
        "{accounts:?}"
    );
    let lines: usize = bills
        .iter()
        .map(|b| b["lineItems"].as_array().unwrap().len())
        .sum();
    assert_eq!(sum(expenses, "Bill lines") as usize, lines);
}

#[test]
fn a_workbook_is_one_csv_sheet_at_a_time_and_json_holds_every_sheet() {
    let texts = stored(&books());
    let sources = sources(&texts);
    let csv = reports::write(ReportKind::SpendAnalysis, &sources, TableFormat::Csv, None);
    assert!(matches!(csv, Err(reports::ExportError::OneSheetPerCsv(7))));
    let unknown = reports::write(ReportKind::Bills, &sources, TableFormat::Xlsx, Some("nope"));
    assert!(matches!(
        unknown,
        Err(reports::ExportError::UnknownSheet(_))
    ));

    let csv = reports::write(
        ReportKind::SpendAnalysis,
        &sources,
        TableFormat::Csv,
        Some("supplier_analysis"),
    )
    .unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert!(
        text.starts_with("Supplier id,Supplier,Payment terms,"),
        "{text}"
    );
    assert!(!text.contains("Total,"), "CSV holds the data rows only");

    let json =
        reports::write(ReportKind::SpendAnalysis, &sources, TableFormat::Json, None).unwrap();
    let json: Value = serde_json::from_slice(&json).unwrap();
    let sheets = json["sheets"].as_array().unwrap();
    assert_eq!(sheets.len(), 7);
    assert_eq!(sheets[0]["id"], "customer");
    assert_eq!(sheets[4]["title"], "Bills");
    assert_eq!(
        sheets[4]["columns"][6],
        serde_json::json!({"title": "Total", "type": "money"})
    );
    let bills = results(&texts[&ReportKind::Bills]);
    assert_eq!(sheets[4]["rows"].as_array().unwrap().len(), bills.len());
    assert_eq!(sheets[4]["rows"][0][0], bills[0]["id"]);
    assert_eq!(sheets[4]["rows"][0][3], bills[0]["issueDate"]);
    assert_eq!(sheets[4]["totals"][0], "Total");
    assert_eq!(sheets[0]["totals"], Value::Null);

    let one = reports::write(
        ReportKind::SpendAnalysis,
        &sources,
        TableFormat::Xlsx,
        Some("expenses"),
    )
    .unwrap();
    let workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(one)).unwrap();
    assert_eq!(workbook.sheet_names(), ["Expenses"]);
}

#[test]
fn every_kind_exports_and_malformed_payloads_give_empty_tables() {
    let texts = stored(&books());
    let full = sources(&texts);
    let odd = [
        r#"{"results": "nope"}"#,
        "null",
        "",
        r#"{"results": [1, "two", {"totalAmount": "x"}]}"#,
    ];
    for kind in ReportKind::ALL {
        let book = workbook(kind, &full);
        assert_eq!(book.len(), reports::sheets(kind).len());
        assert!(
            book.iter().all(|(_, rows)| rows.len() > 1),
            "{kind} has rows"
        );
        for payload in odd {
            let empty = ReportKind::ALL
                .into_iter()
                .fold(Sources::new("Odd Ltd", as_of()), |s, k| s.with(k, payload));
            for (name, rows) in workbook(kind, &empty) {
                // A header, at most one row per odd element, and a totals row.
                assert!(rows.len() <= 17, "{kind}/{name}: {}", rows.len());
            }
            let csv = reports::write(
                kind,
                &empty,
                TableFormat::Csv,
                Some(reports::sheets(kind)[0].id),
            );
            assert!(csv.is_ok(), "{kind}");
        }
    }
    let broken = Sources::new("Broken Ltd", as_of()).with(ReportKind::Bills, "{\"results\": [");
    assert!(matches!(
        reports::write(ReportKind::Bills, &broken, TableFormat::Csv, None),
        Err(reports::ExportError::Payload(_))
    ));
}

/// Text a customer's books hold that a spreadsheet would run as a formula (OWASP's CSV
/// injection): CSV text cells get a leading `'`, numbers stay numbers, and the workbook
/// holds each as a plain string cell.
#[test]
fn formula_like_text_is_inert_in_csv_and_a_string_in_the_workbook() {
    let company = r#"=HYPERLINK("http://x","y")"#;
    let hostile = ["@SUM(1)", "+1", "-1", "\tTab", "\rReturn", company];
    let mut texts = stored(&books());
    let mut bills: Value = serde_json::from_str(&texts[&ReportKind::Bills]).unwrap();
    for (i, name) in hostile.iter().enumerate() {
        let bill = &mut bills["results"][i];
        bill["reference"] = Value::from(*name);
        bill["supplierRef"]["supplierName"] = Value::from(*name);
    }
    bills["results"][0]["totalAmount"] = Value::from(-12.5);
    texts.insert(ReportKind::Bills, bills.to_string());
    let sources = texts
        .iter()
        .fold(Sources::new(company, as_of()), |s, (k, t)| s.with(*k, t));

    let csv = reports::write(ReportKind::Bills, &sources, TableFormat::Csv, None).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    for (i, name) in hostile.iter().enumerate() {
        let neutral = format!("'{name}");
        assert_eq!(
            (&rows[i][1], &rows[i][2]),
            (&*neutral, &*neutral),
            "row {i}"
        );
    }
    assert_eq!(&rows[0][6], "-12.5", "a negative amount is still a number");

    let customer = reports::write(
        ReportKind::SpendAnalysis,
        &sources,
        TableFormat::Csv,
        Some("customer"),
    )
    .unwrap();
    let mut reader = csv::Reader::from_reader(customer.as_slice());
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[1], format!("'{company}"));

    let book = workbook(ReportKind::Bills, &sources);
    let rows = &book[0].1;
    for (i, name) in hostile.iter().enumerate() {
        assert_eq!(rows[i + 1][1], Data::String((*name).to_owned()), "row {i}");
        assert_eq!(rows[i + 1][2], Data::String((*name).to_owned()), "row {i}");
    }
    assert_eq!(rows[1][6], Data::Float(-12.5));
    let book = workbook(ReportKind::SpendAnalysis, &sources);
    assert_eq!(
        sheet(&book, "Customer")[1][1],
        Data::String(company.to_owned())
    );
}

/// The stored payloads of a sandbox company whose books are in `currency` (the `skip`th
/// such company, counting from 0), as of `day`.
fn sandbox_in(
    currency: &str,
    skip: usize,
    name: &str,
    day: NaiveDate,
) -> BTreeMap<ReportKind, String> {
    let at = Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap());
    let books = (1u128..)
        .map(|n| SandboxBooks::new(CompanyId::from_uuid(uuid::Uuid::from_u128(n)), name, at))
        .filter(|b| b.report(ReportKind::Bills)["currency"] == currency)
        .nth(skip)
        .unwrap();
    stored(&books)
}

/// Moves every third bill, and its payments, to `to`; the other bills and payments lose
/// their own currency, so they are in their payload's.
fn split_currencies(texts: &mut BTreeMap<ReportKind, String>, to: &str) {
    let mut bills: Value = serde_json::from_str(&texts[&ReportKind::Bills]).unwrap();
    let mut moved = Vec::new();
    for (i, bill) in bills["results"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        let bill = bill.as_object_mut().unwrap();
        if i % 3 == 0 {
            bill.insert("currency".into(), to.into());
            moved.push(bill["id"].clone());
        } else {
            bill.remove("currency");
        }
    }
    let mut payments: Value = serde_json::from_str(&texts[&ReportKind::BillPayments]).unwrap();
    for payment in payments["results"].as_array_mut().unwrap() {
        let payment = payment.as_object_mut().unwrap();
        if moved.contains(&payment["lines"][0]["billId"]) {
            payment.insert("currency".into(), to.into());
        } else {
            payment.remove("currency");
        }
    }
    texts.insert(ReportKind::Bills, bills.to_string());
    texts.insert(ReportKind::BillPayments, payments.to_string());
}

/// A record's currency, as the consolidated report reads it: its own, else its
/// payload's (`payload`).
fn currency_of<'r>(record: &'r Value, payload: &'r Value) -> &'r str {
    record
        .get("currency")
        .or(payload.get("currency"))
        .and_then(Value::as_str)
        .unwrap()
}

/// A number, or zero for an empty cell (a currency an entity has no business in).
fn amount(cell: &Data) -> f64 {
    if cell.is_empty() { 0.0 } else { number(cell) }
}

#[test]
fn the_consolidated_workbook_has_a_column_set_per_currency_and_totals_per_currency() {
    let days = [
        as_of(),
        as_of().pred_opt().unwrap(),
        as_of() - chrono::Days::new(7),
    ];
    let names = ["Group Holdings SE", "Group UK Ltd", "Group Trading Ltd"];
    let mut texts = [
        sandbox_in("EUR", 0, names[0], days[0]),
        sandbox_in("GBP", 0, names[1], days[1]),
        sandbox_in("GBP", 1, names[2], days[2]),
    ];
    split_currencies(&mut texts[2], "EUR");
    let entities: Vec<Sources<'_>> = texts
        .iter()
        .zip(names.iter().zip(days))
        .map(|(texts, (name, day))| {
            texts
                .iter()
                .fold(Sources::new(name, day), |s, (k, t)| s.with(*k, t))
        })
        .collect();
    let book =
        read_workbook(reports::write_consolidated(&entities, TableFormat::Xlsx, None).unwrap());
    let sheet_names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        sheet_names,
        ["Spend analysis", "Accounts payable ageing", "By supplier"]
    );

    let spend = sheet(&book, "Spend analysis");
    let figures = ["bills", "total billed", "paid", "outstanding", "overdue"];
    let mut expected_header = vec!["Entity".to_owned(), "Data as of".to_owned()];
    for currency in ["EUR", "GBP"] {
        expected_header.extend(figures.iter().map(|f| format!("{currency} {f}")));
    }
    assert_eq!(header(spend), expected_header);
    let ageing = sheet(&book, "Accounts payable ageing");
    let mut expected_header = vec!["Entity".to_owned(), "Data as of".to_owned()];
    for currency in ["EUR", "GBP"] {
        expected_header.extend(
            reports::AGEING_BUCKETS
                .iter()
                .chain(&["Total outstanding"])
                .map(|b| format!("{currency} {}", b.to_lowercase())),
        );
    }
    assert_eq!(header(ageing), expected_header);
    assert_eq!(data(spend).len(), 3);
    assert_eq!(data(ageing).len(), 3);

    // No column mixes currencies: each holds what the entity's records in its currency
    // add up to, recomputed here from the stored text.
    for (row, texts) in texts.iter().enumerate() {
        let cells = &data(spend)[row];
        assert_eq!(text(&cells[0]), names[row]);
        assert_eq!(cells[1].as_date(), Some(days[row]));
        let bills: Value = serde_json::from_str(&texts[&ReportKind::Bills]).unwrap();
        let payments: Value = serde_json::from_str(&texts[&ReportKind::BillPayments]).unwrap();
        let in_currency = |payload: &Value, currency: &str| -> Vec<Value> {
            payload["results"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| currency_of(r, payload) == currency)
                .cloned()
                .collect()
        };
        for currency in ["EUR", "GBP"] {
            let bills = in_currency(&bills, currency);
            let payments = in_currency(&payments, currency);
            let at = |figure: &str| &cells[column(spend, &format!("{currency} {figure}"))];
            if bills.is_empty() && payments.is_empty() {
                for figure in figures {
                    assert!(at(figure).is_empty(), "{} {currency} {figure}", names[row]);
                }
                continue;
            }
            let sum = |records: &[Value], key: &str| -> f64 {
                records.iter().map(|r| r[key].as_f64().unwrap()).sum()
            };
            assert_eq!(number(at("bills")) as usize, bills.len());
            assert!(close(
                number(at("total billed")),
                sum(&bills, "totalAmount")
            ));
            assert!(close(number(at("paid")), sum(&payments, "totalAmount")));
            assert!(close(number(at("outstanding")), sum(&bills, "amountDue")));
            let total_outstanding = column(ageing, &format!("{currency} total outstanding"));
            assert!(close(
                number(&data(ageing)[row][total_outstanding]),
                sum(&bills, "amountDue")
            ));
        }
    }
    let mixed = &data(spend)[2];
    for currency in ["EUR", "GBP"] {
        let outstanding = number(&mixed[column(spend, &format!("{currency} outstanding"))]);
        assert!(outstanding > 0.0, "the mixed entity owes in {currency}");
    }

    // A one-currency entity's ageing is its own accounts payable ageing report's.
    for row in [0, 1] {
        let single = workbook(ReportKind::AgedPayables, &entities[row]);
        let single = totals(&single[0].1);
        let currency = if row == 0 { "EUR" } else { "GBP" };
        let first = column(ageing, &format!("{currency} current"));
        for i in 0..6 {
            assert!(
                close(
                    number(&data(ageing)[row][first + i]),
                    number(&single[3 + i])
                ),
                "{} {}",
                names[row],
                header(ageing)[first + i]
            );
        }
    }

    // Totals per currency: the sum of the entity rows, and the same on every sheet.
    let by_supplier = sheet(&book, "By supplier");
    for rows in [spend, ageing, by_supplier] {
        let lead = if rows == by_supplier { 3 } else { 2 };
        assert_eq!(text(&totals(rows)[0]), "Total");
        for c in lead..header(rows).len() {
            let added: f64 = data(rows).iter().map(|r| amount(&r[c])).sum();
            assert!(
                close(number(&totals(rows)[c]), added),
                "{}",
                header(rows)[c]
            );
        }
    }
    for currency in ["EUR", "GBP"] {
        for figure in figures {
            let title = format!("{currency} {figure}");
            assert!(close(
                number(&totals(spend)[column(spend, &title)]),
                number(&totals(by_supplier)[column(by_supplier, &title)]),
            ));
        }
    }
}

#[test]
fn a_consolidated_workbook_of_no_entities_has_its_headers_and_a_total_row() {
    let book = read_workbook(reports::write_consolidated(&[], TableFormat::Xlsx, None).unwrap());
    assert_eq!(book.len(), 3);
    for (name, rows) in &book {
        assert_eq!(rows.len(), 2, "{name}: the header and the totals");
        let leading = if name == "By supplier" {
            &["Entity", "Supplier id", "Supplier"][..]
        } else {
            &["Entity", "Data as of"][..]
        };
        assert_eq!(header(rows), leading, "{name}: no currency columns");
        assert_eq!(text(&totals(rows)[0]), "Total");
    }
}
