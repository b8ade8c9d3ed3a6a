//! The consolidated report of a client group: the spend detail of its legal entities
//! (each entity's stored Bills and Bill payments, from its own latest refresh) side by
//! side, a row per entity and a Total row ([`write_consolidated`]).
//!
//! Amounts in different currencies are never added together. Every amount column is of
//! one currency: each sheet has one set of columns per currency found in any entity's
//! data (`EUR bills`, `EUR total billed`, … then `GBP bills`, …), in code order, and the
//! Total row adds up each column on its own. A bill or payment is in its own `currency`,
//! else in its payload's top-level `currency`, else in [`NO_CURRENCY`]; an entity with
//! bills in two currencies has figures in both sets.
//!
//! Each entity's bills are aged on that entity's own day (its [`Sources::as_of`], the
//! day of the refresh its data comes from, shown in the `Data as of` column): the data
//! says what was due on that day and nothing about a later one.
//!
//! An entity with no bill or payment in a currency has that currency's cells empty (it
//! does no business in it); one that has shows its figures, zeros included. The Total
//! row always has numbers, zero where nothing adds up. No entity, or none with spend
//! detail, gives each sheet its header, its entity rows and a Total row, with no
//! currency columns: an empty report, not an error.
//!
//! An entity's figures in a currency are those its own reports give for its bills and
//! payments in that currency: the totals of the spend analysis' Supplier analysis
//! sheet (bills, total billed, paid, outstanding, overdue) and of the accounts payable
//! ageing, made by the same `Ledger`.

use std::{
    borrow::Cow,
    collections::{BTreeMap, BTreeSet},
};

use domain::ReportKind;
use serde::de::IgnoredAny;

use crate::{
    export::{Sources, choose_among, read},
    source::{Bill, Payment, Text},
    spend::{AGEING_COLUMNS, Ledger, SupplierFigures},
    table::{Cell, Column, ColumnKind, ExportError, Sheet, Sink, TableFormat, cents, col, sink},
};

use ColumnKind::{Count, Date, Money, Text as TextCol};

/// The currency of amounts whose data names none: ISO 4217's code for "no currency".
pub const NO_CURRENCY: &str = "XXX";

/// What an entity, or one of its suppliers, adds up to in one currency.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    bills: u64,
    billed: f64,
    paid: f64,
    /// Amounts due by ageing bucket; their sum is the outstanding balance.
    ageing: [f64; 5],
}

impl Figures {
    fn of_ledger(ledger: &Ledger) -> Self {
        Self {
            bills: ledger.bills,
            billed: ledger.billed,
            paid: ledger.paid,
            ageing: ledger.ageing,
        }
    }

    fn of_supplier(supplier: &SupplierFigures) -> Self {
        Self {
            bills: supplier.bills,
            billed: supplier.billed,
            paid: supplier.paid,
            ageing: supplier.ageing,
        }
    }

    fn outstanding(&self) -> f64 {
        self.ageing.iter().sum()
    }

    fn overdue(&self) -> f64 {
        self.ageing[1..].iter().sum()
    }
}

/// A sheet of the consolidated report: its leading columns, then the `per_currency`
/// columns once for each currency, titled with its code (`EUR total billed`).
struct GroupSheet {
    id: &'static str,
    title: &'static str,
    leading: &'static [Column<'static>],
    per_currency: &'static [Column<'static>],
    /// One currency's cells of a row, in the order of `per_currency`.
    cells: fn(&Figures) -> Vec<Cell<'static>>,
}

const ENTITY_COLUMNS: &[Column<'static>] =
    &[col("Entity", TextCol, 30.0), col("Data as of", Date, 12.0)];

const SUPPLIER_COLUMNS: &[Column<'static>] = &[
    col("Entity", TextCol, 30.0),
    col("Supplier id", TextCol, 14.0),
    col("Supplier", TextCol, 30.0),
];

const SPEND_COLUMNS: &[Column<'static>] = &[
    col("Bills", Count, 8.0),
    col("Total billed", Money, 15.0),
    col("Paid", Money, 15.0),
    col("Outstanding", Money, 14.0),
    col("Overdue", Money, 14.0),
];

fn spend_cells(f: &Figures) -> Vec<Cell<'static>> {
    vec![
        Cell::Count(f.bills),
        Cell::Money(cents(f.billed)),
        Cell::Money(cents(f.paid)),
        Cell::Money(cents(f.outstanding())),
        Cell::Money(cents(f.overdue())),
    ]
}

/// The ageing buckets, then the total outstanding (`AGEING_COLUMNS`).
fn ageing_cells(f: &Figures) -> Vec<Cell<'static>> {
    f.ageing
        .iter()
        .chain([&f.outstanding()])
        .map(|amount| Cell::Money(cents(*amount)))
        .collect()
}

static SHEETS: [GroupSheet; 3] = [
    GroupSheet {
        id: "spend_analysis",
        title: "Spend analysis",
        leading: ENTITY_COLUMNS,
        per_currency: SPEND_COLUMNS,
        cells: spend_cells,
    },
    GroupSheet {
        id: "aged_payables",
        title: "Accounts payable ageing",
        leading: ENTITY_COLUMNS,
        per_currency: AGEING_COLUMNS,
        cells: ageing_cells,
    },
    GroupSheet {
        id: "by_supplier",
        title: "By supplier",
        leading: SUPPLIER_COLUMNS,
        per_currency: SPEND_COLUMNS,
        cells: spend_cells,
    },
];

/// The consolidated report's sheets, by id, in order: `spend_analysis` (a row per
/// entity), `aged_payables` (a row per entity) and `by_supplier` (a row per entity and
/// supplier). Their columns depend on the currencies of the data.
pub fn consolidated_sheet_ids() -> [&'static str; 3] {
    SHEETS.each_ref().map(|s| s.id)
}

/// [`choose_sheet`](crate::choose_sheet) for the consolidated report: checks `sheet`
/// against its sheets and the format (a CSV file holds one sheet). Answers the sheet's
/// id, or `None` for all of them.
pub fn choose_consolidated_sheet(
    format: TableFormat,
    sheet: Option<&str>,
) -> Result<Option<&'static str>, ExportError> {
    choose_among(SHEETS.iter().map(|s| s.id), format, sheet)
}

/// Writes the consolidated report of a group's entities as a file of `format`: every
/// sheet, or only `sheet` (a CSV file needs one; see [`choose_consolidated_sheet`]).
///
/// Each entity is one [`Sources`]: its name (`company_name`, which names its rows), the
/// day its data describes (`as_of`, the day its bills are aged on), and its stored
/// Bills and Bill payments payloads; other payloads are not read. Rows are in the order
/// of `entities`, suppliers by name within their entity. A payload that is not JSON is
/// an error ([`ExportError::Payload`]); an empty one reads as no records.
pub fn write_consolidated(
    entities: &[Sources<'_>],
    format: TableFormat,
    sheet: Option<&str>,
) -> Result<Vec<u8>, ExportError> {
    let only = choose_consolidated_sheet(format, sheet)?;
    let entities = entities
        .iter()
        .map(|sources| {
            Ok(Entity {
                sources,
                ledgers: ledgers(sources)?,
            })
        })
        .collect::<Result<Vec<_>, ExportError>>()?;
    let currencies: Vec<&str> = entities
        .iter()
        .flat_map(|e| e.ledgers.keys().map(String::as_str))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut out = sink(format, only);
    let [spend, ageing, by_supplier] = &SHEETS;
    write_sheet(out.as_mut(), spend, &currencies, entity_rows(&entities))?;
    write_sheet(out.as_mut(), ageing, &currencies, entity_rows(&entities))?;
    write_sheet(
        out.as_mut(),
        by_supplier,
        &currencies,
        supplier_rows(&entities),
    )?;
    out.finish()
}

/// One entity's spend detail, added up in a ledger per currency.
struct Entity<'a> {
    sources: &'a Sources<'a>,
    ledgers: BTreeMap<String, Ledger>,
}

/// Adds up an entity's bills and payments, each in the ledger of its currency.
fn ledgers(sources: &Sources<'_>) -> Result<BTreeMap<String, Ledger>, ExportError> {
    let mut ledgers = BTreeMap::new();
    let bills = sources.text(ReportKind::Bills);
    let fallback = payload_currency(bills)?;
    read(bills, |b: Bill<'_>| {
        ledger(&mut ledgers, &b.currency, &fallback).add_bill(&b, sources.as_of, false);
        Ok(())
    })?;
    let payments = sources.text(ReportKind::BillPayments);
    let fallback = payload_currency(payments)?;
    read(payments, |p: Payment<'_>| {
        ledger(&mut ledgers, &p.currency, &fallback).add_payment(&p);
        Ok(())
    })?;
    Ok(ledgers)
}

/// The currency of a payload's records that name none: its top-level `currency`. That
/// may come after the records, so the payload is read through for it first.
fn payload_currency(text: &str) -> Result<String, ExportError> {
    let currency = read(text, |_: IgnoredAny| Ok(()))?;
    Ok(code(currency.as_str(), NO_CURRENCY).into_owned())
}

/// A currency as its code (trimmed, upper case), or `fallback` for none.
fn code<'c>(currency: &'c str, fallback: &'c str) -> Cow<'c, str> {
    let currency = currency.trim();
    if currency.is_empty() {
        Cow::Borrowed(fallback)
    } else if currency.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(currency.to_ascii_uppercase())
    } else {
        Cow::Borrowed(currency)
    }
}

/// The ledger of a record's currency: its own, else `fallback`.
fn ledger<'l>(
    ledgers: &'l mut BTreeMap<String, Ledger>,
    own: &Text<'_>,
    fallback: &str,
) -> &'l mut Ledger {
    let code = code(own.as_str(), fallback);
    if !ledgers.contains_key(code.as_ref()) {
        ledgers.insert(code.clone().into_owned(), Ledger::default());
    }
    ledgers.get_mut(code.as_ref()).expect("just inserted")
}

/// A row: what it is of (the leading cells), and its figures by currency.
struct Row<'a> {
    lead: Vec<Cell<'a>>,
    figures: BTreeMap<&'a str, Figures>,
}

fn entity_rows<'a>(entities: &'a [Entity<'a>]) -> impl Iterator<Item = Row<'a>> {
    entities.iter().map(|e| Row {
        lead: vec![
            Cell::text(e.sources.company_name),
            Cell::Date(e.sources.as_of),
        ],
        figures: e
            .ledgers
            .iter()
            .map(|(currency, ledger)| (currency.as_str(), Figures::of_ledger(ledger)))
            .collect(),
    })
}

/// Each entity's suppliers by name: one row for a supplier, whatever its currencies.
fn supplier_rows<'a>(entities: &'a [Entity<'a>]) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    for e in entities {
        let mut suppliers: BTreeMap<&str, (&SupplierFigures, BTreeMap<&str, Figures>)> =
            BTreeMap::new();
        for (currency, ledger) in &e.ledgers {
            for (key, s) in &ledger.suppliers {
                let (named, figures) = suppliers
                    .entry(key.as_str())
                    .or_insert_with(|| (s, BTreeMap::new()));
                if named.name.is_empty() {
                    *named = s;
                }
                figures.insert(currency.as_str(), Figures::of_supplier(s));
            }
        }
        let mut by_name: Vec<_> = suppliers.into_values().collect();
        by_name.sort_by(|(a, _), (b, _)| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then_with(|| a.id.cmp(&b.id))
        });
        rows.extend(by_name.into_iter().map(|(s, figures)| Row {
            lead: vec![
                Cell::text(e.sources.company_name),
                Cell::text(&s.id),
                Cell::text(&s.name),
            ],
            figures,
        }));
    }
    rows
}

/// Writes a sheet: its columns for `currencies`, the rows, and the totals (the sum of
/// the cells above, as written).
fn write_sheet<'a>(
    out: &mut dyn Sink,
    sheet: &GroupSheet,
    currencies: &[&str],
    rows: impl IntoIterator<Item = Row<'a>>,
) -> Result<(), ExportError> {
    let titles: Vec<String> = currencies
        .iter()
        .flat_map(|currency| {
            sheet
                .per_currency
                .iter()
                .map(move |c| format!("{currency} {}", c.title.to_lowercase()))
        })
        .collect();
    let columns: Vec<Column<'_>> = sheet
        .leading
        .iter()
        .copied()
        .chain(
            titles
                .iter()
                .zip(sheet.per_currency.iter().cycle())
                .map(|(title, c)| {
                    let width = c.width.max(title.chars().count() as f64 + 2.0);
                    col(title, c.kind, width)
                }),
        )
        .collect();
    out.start(&Sheet {
        id: sheet.id,
        title: sheet.title,
        columns: &columns,
    })?;
    let lead = sheet.leading.len();
    let mut totals = vec![Cell::Empty; lead];
    totals[0] = Cell::text("Total");
    for _ in currencies {
        totals.extend((sheet.cells)(&Figures::default()));
    }
    let none = vec![Cell::Empty; sheet.per_currency.len()];
    for row in rows {
        let mut cells = row.lead;
        for currency in currencies {
            match row.figures.get(currency) {
                Some(figures) => cells.extend((sheet.cells)(figures)),
                None => cells.extend_from_slice(&none),
            }
        }
        for (total, cell) in totals.iter_mut().zip(&cells).skip(lead) {
            add(total, cell);
        }
        out.row(&cells)?;
    }
    out.totals(&totals)
}

/// Adds `cell` to a total of its kind; an empty cell adds nothing.
fn add(total: &mut Cell<'_>, cell: &Cell<'_>) {
    match (total, cell) {
        (Cell::Money(sum), Cell::Money(n)) => *sum = cents(*sum + n),
        (Cell::Count(sum), Cell::Count(n)) => *sum += n,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use serde_json::{Value, json};

    use super::*;
    use crate::write;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// An entity's spend detail, each record with the currency the test expects it in
    /// (however its payload says so).
    struct Fixture {
        name: &'static str,
        as_of: &'static str,
        /// The payloads' top-level currency, and whether it comes before `results`.
        currency: Option<(&'static str, bool)>,
        bills: Vec<(&'static str, Value)>,
        payments: Vec<(&'static str, Value)>,
    }

    fn payload(records: &[&Value], currency: Option<(&str, bool)>) -> String {
        let results = serde_json::to_string(records).unwrap();
        match currency {
            Some((c, true)) => format!(r#"{{"currency":"{c}","results":{results}}}"#),
            Some((c, false)) => format!(r#"{{"results":{results},"currency":"{c}"}}"#),
            None => format!(r#"{{"results":{results}}}"#),
        }
    }

    /// The stored texts (bills, payments) of the fixture, or of its records in `only`.
    fn texts(f: &Fixture, only: Option<&str>) -> (String, String) {
        let currency = only.map_or(f.currency, |c| Some((c, true)));
        let pick = |records: &[(&str, Value)]| {
            let picked: Vec<&Value> = records
                .iter()
                .filter(|(c, _)| only.is_none_or(|only| only == *c))
                .map(|(_, v)| v)
                .collect();
            payload(&picked, currency)
        };
        (pick(&f.bills), pick(&f.payments))
    }

    fn sources<'a>(f: &'a Fixture, texts: &'a (String, String)) -> Sources<'a> {
        Sources::new(f.name, day(f.as_of))
            .with(ReportKind::Bills, &texts.0)
            .with(ReportKind::BillPayments, &texts.1)
    }

    fn bill(supplier: (&str, &str), due: &str, total: f64, amount_due: f64) -> Value {
        json!({"supplierRef": {"id": supplier.0, "supplierName": supplier.1},
               "issueDate": "2026-03-01", "dueDate": due,
               "totalAmount": total, "amountDue": amount_due})
    }

    fn with_currency(mut record: Value, currency: &str) -> Value {
        record["currency"] = json!(currency);
        record
    }

    fn payment(supplier: (&str, &str), amount: f64) -> Value {
        json!({"supplierRef": {"id": supplier.0, "supplierName": supplier.1},
               "date": "2026-05-01", "totalAmount": amount})
    }

    const STAHL: (&str, &str) = ("s1", "Stahl AG");
    const BAU: (&str, &str) = ("s2", "Bau KG");
    const TEA: (&str, &str) = ("t1", "Tea Co");
    const PARIS: (&str, &str) = ("t2", "Paris SARL");
    const BOTH: (&str, &str) = ("t3", "Both Ltd");

    /// Alpha in EUR (its payloads say so after their records), Beta in GBP and EUR, Gamma in GBP with
    /// nothing outstanding, Delta without spend detail.
    fn group() -> Vec<Fixture> {
        vec![
            Fixture {
                name: "Alpha GmbH",
                as_of: "2026-06-30",
                currency: Some(("EUR", false)),
                bills: vec![
                    ("EUR", bill(STAHL, "2026-07-15", 1000.10, 1000.10)),
                    ("EUR", bill(STAHL, "2026-06-10", 500.255, 200.0)),
                    ("EUR", bill(BAU, "2026-03-01", 300.0, 300.0)),
                    ("EUR", bill(BAU, "2026-06-01", 99.99, 0.0)),
                ],
                payments: vec![("EUR", payment(STAHL, 300.255))],
            },
            Fixture {
                name: "Beta Ltd",
                as_of: "2026-06-15",
                currency: Some(("GBP", true)),
                bills: vec![
                    // 26 days overdue on Beta's day (41 on Alpha's).
                    ("GBP", bill(TEA, "2026-05-20", 250.0, 250.0)),
                    (
                        "EUR",
                        with_currency(bill(PARIS, "2026-04-01", 400.0, 400.0), "eur"),
                    ),
                    (
                        "EUR",
                        with_currency(bill(PARIS, "2026-06-20", 80.5, 80.5), "EUR"),
                    ),
                    (
                        "GBP",
                        with_currency(bill(TEA, "2026-06-01", 120.0, 0.0), "GBP"),
                    ),
                    ("GBP", bill(BOTH, "2026-06-01", 10.0, 10.0)),
                    (
                        "EUR",
                        with_currency(bill(BOTH, "2026-06-01", 20.0, 20.0), " EUR "),
                    ),
                ],
                payments: vec![
                    ("GBP", payment(TEA, 120.0)),
                    ("EUR", with_currency(payment(PARIS, 50.0), "EUR")),
                ],
            },
            Fixture {
                name: "Gamma Ltd",
                as_of: "2026-06-30",
                currency: None,
                bills: vec![(
                    "GBP",
                    with_currency(bill(TEA, "2026-06-01", 75.0, 0.0), "GBP"),
                )],
                payments: vec![],
            },
            Fixture {
                name: "Delta Dormant",
                as_of: "2026-06-30",
                currency: None,
                bills: vec![],
                payments: vec![],
            },
        ]
    }

    struct Table {
        titles: Vec<String>,
        rows: Vec<Vec<Value>>,
        totals: Vec<Value>,
    }

    impl Table {
        fn column(&self, title: &str) -> usize {
            self.titles
                .iter()
                .position(|t| t == title)
                .unwrap_or_else(|| panic!("no column {title:?} in {:?}", self.titles))
        }

        fn cell(&self, row: usize, title: &str) -> &Value {
            &self.rows[row][self.column(title)]
        }
    }

    /// The sheets of a report written as JSON tables, by id.
    fn json_tables(json: &[u8]) -> BTreeMap<String, Table> {
        let doc: Value = serde_json::from_slice(json).unwrap();
        doc["sheets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let titles = s["columns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["title"].as_str().unwrap().to_owned())
                    .collect();
                let rows = s["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_array().unwrap().clone())
                    .collect();
                let totals = s["totals"].as_array().unwrap().clone();
                let id = s["id"].as_str().unwrap().to_owned();
                (
                    id,
                    Table {
                        titles,
                        rows,
                        totals,
                    },
                )
            })
            .collect()
    }

    fn consolidated(fixtures: &[Fixture]) -> BTreeMap<String, Table> {
        let texts: Vec<_> = fixtures.iter().map(|f| texts(f, None)).collect();
        let entities: Vec<_> = fixtures
            .iter()
            .zip(&texts)
            .map(|(f, t)| sources(f, t))
            .collect();
        json_tables(&write_consolidated(&entities, TableFormat::Json, None).unwrap())
    }

    fn number(value: &Value) -> f64 {
        value
            .as_f64()
            .unwrap_or_else(|| panic!("not a number: {value}"))
    }

    #[test]
    fn each_entity_s_figures_in_a_currency_are_its_own_reports_of_that_currency() {
        let fixtures = group();
        let tables = consolidated(&fixtures);
        let spend = &tables["spend_analysis"];
        let ageing = &tables["aged_payables"];
        assert_eq!(
            spend.titles,
            [
                "Entity",
                "Data as of",
                "EUR bills",
                "EUR total billed",
                "EUR paid",
                "EUR outstanding",
                "EUR overdue",
                "GBP bills",
                "GBP total billed",
                "GBP paid",
                "GBP outstanding",
                "GBP overdue",
            ]
        );
        let buckets = [
            "current",
            "1–30 days",
            "31–60 days",
            "61–90 days",
            "over 90 days",
            "total outstanding",
        ];
        let mut compared = 0;
        for (row, f) in fixtures.iter().enumerate() {
            assert_eq!(spend.rows[row][0], json!(f.name));
            assert_eq!(spend.rows[row][1], json!(f.as_of));
            assert_eq!(ageing.rows[row][0], json!(f.name));
            for currency in ["EUR", "GBP"] {
                let has = f
                    .bills
                    .iter()
                    .chain(&f.payments)
                    .any(|(c, _)| *c == currency);
                if !has {
                    for table in [spend, ageing] {
                        let theirs = table.titles.iter().enumerate();
                        for (c, t) in theirs.filter(|(_, t)| t.starts_with(currency)) {
                            assert_eq!(table.rows[row][c], Value::Null, "{} {t}", f.name);
                        }
                    }
                    continue;
                }
                let own = texts(f, Some(currency));
                let own = sources(f, &own);
                let single = json_tables(
                    &write(ReportKind::AgedPayables, &own, TableFormat::Json, None).unwrap(),
                );
                let single = &single["aged_payables"].totals;
                for (i, bucket) in buckets.iter().enumerate() {
                    let title = format!("{currency} {bucket}");
                    assert_eq!(
                        number(ageing.cell(row, &title)),
                        number(&single[3 + i]),
                        "{} {title}",
                        f.name
                    );
                }
                let single = json_tables(
                    &write(
                        ReportKind::SpendAnalysis,
                        &own,
                        TableFormat::Json,
                        Some("supplier_analysis"),
                    )
                    .unwrap(),
                );
                let single = &single["supplier_analysis"].totals;
                for (title, i) in [
                    ("bills", 4),
                    ("total billed", 5),
                    ("paid", 8),
                    ("outstanding", 9),
                    ("overdue", 10),
                ] {
                    let title = format!("{currency} {title}");
                    assert_eq!(
                        number(spend.cell(row, &title)),
                        number(&single[i]),
                        "{} {title}",
                        f.name
                    );
                }
                compared += 1;
            }
        }
        assert_eq!(compared, 4, "Alpha EUR, Beta EUR and GBP, Gamma GBP");

        // The figures themselves, so the comparison is not of two empty reports.
        assert_eq!(number(spend.cell(0, "EUR total billed")), 1900.35);
        assert_eq!(number(spend.cell(0, "EUR outstanding")), 1500.1);
        assert_eq!(number(spend.cell(0, "EUR overdue")), 500.0);
        assert_eq!(number(spend.cell(1, "GBP paid")), 120.0);
        assert_eq!(number(spend.cell(1, "EUR outstanding")), 500.5);
        // Tea Co's 250 is 26 days overdue on Beta's own day (41 on Alpha's), with Both
        // Ltd's 10 (14 days).
        assert_eq!(number(ageing.cell(1, "GBP 1–30 days")), 260.0);
        assert_eq!(number(ageing.cell(1, "GBP 31–60 days")), 0.0);
        assert_eq!(number(ageing.cell(1, "EUR 61–90 days")), 400.0);
        // Gamma does business in GBP with nothing outstanding: zeros, not empty cells.
        assert_eq!(spend.cell(2, "GBP outstanding"), &json!(0.0));
        assert_eq!(spend.cell(2, "EUR outstanding"), &Value::Null);
        assert!(
            spend.rows[3][2..].iter().all(Value::is_null),
            "Delta has no spend detail"
        );
    }

    #[test]
    fn every_total_is_the_sum_of_its_column_and_the_sheets_agree() {
        let tables = consolidated(&group());
        for (id, table) in &tables {
            assert_eq!(table.totals[0], json!("Total"), "{id}");
            let lead = if id == "by_supplier" { 3 } else { 2 };
            assert!(table.totals[1..lead].iter().all(Value::is_null), "{id}");
            for c in lead..table.titles.len() {
                let sum: f64 = table.rows.iter().filter_map(|r| r[c].as_f64()).sum();
                let total = number(&table.totals[c]);
                assert!(
                    (total - sum).abs() < 1e-6,
                    "{id} {}: {total} != {sum}",
                    table.titles[c]
                );
            }
        }
        let spend = &tables["spend_analysis"];
        let ageing = &tables["aged_payables"];
        let by_supplier = &tables["by_supplier"];
        for currency in ["EUR", "GBP"] {
            for title in ["bills", "total billed", "paid", "outstanding", "overdue"] {
                let title = format!("{currency} {title}");
                assert_eq!(
                    spend.totals[spend.column(&title)],
                    by_supplier.totals[by_supplier.column(&title)],
                    "{title}"
                );
            }
            assert_eq!(
                spend.totals[spend.column(&format!("{currency} outstanding"))],
                ageing.totals[ageing.column(&format!("{currency} total outstanding"))],
            );
        }
        assert_eq!(
            number(&spend.totals[spend.column("EUR total billed")]),
            2400.85
        );
        assert_eq!(
            number(&spend.totals[spend.column("GBP total billed")]),
            455.0
        );
    }

    #[test]
    fn a_supplier_billing_in_two_currencies_is_one_row_with_both() {
        let by_supplier = &consolidated(&group())["by_supplier"];
        let names: Vec<(&str, &str)> = by_supplier
            .rows
            .iter()
            .map(|r| (r[0].as_str().unwrap(), r[2].as_str().unwrap()))
            .collect();
        assert_eq!(
            names,
            [
                ("Alpha GmbH", "Bau KG"),
                ("Alpha GmbH", "Stahl AG"),
                ("Beta Ltd", "Both Ltd"),
                ("Beta Ltd", "Paris SARL"),
                ("Beta Ltd", "Tea Co"),
                ("Gamma Ltd", "Tea Co"),
            ]
        );
        assert_eq!(number(by_supplier.cell(2, "GBP outstanding")), 10.0);
        assert_eq!(number(by_supplier.cell(2, "EUR outstanding")), 20.0);
        assert_eq!(by_supplier.cell(3, "GBP bills"), &Value::Null);
    }

    #[test]
    fn no_entities_or_no_spend_detail_is_an_empty_report_with_its_headers() {
        for fixtures in [vec![], group().split_off(3)] {
            let tables = consolidated(&fixtures);
            assert_eq!(
                tables.keys().map(String::as_str).collect::<Vec<_>>(),
                ["aged_payables", "by_supplier", "spend_analysis"]
            );
            let spend = &tables["spend_analysis"];
            assert_eq!(spend.titles, ["Entity", "Data as of"]);
            assert_eq!(spend.rows.len(), fixtures.len());
            assert_eq!(spend.totals, [json!("Total"), Value::Null]);
            assert_eq!(
                tables["by_supplier"].titles,
                ["Entity", "Supplier id", "Supplier"]
            );
            assert!(tables["by_supplier"].rows.is_empty());
        }
        let workbook = write_consolidated(&[], TableFormat::Xlsx, None).unwrap();
        assert!(workbook.starts_with(b"PK"), "a zip: an xlsx workbook");
    }

    #[test]
    fn amounts_that_name_no_currency_are_in_xxx() {
        let fixtures = [Fixture {
            name: "Nowhere Ltd",
            as_of: "2026-06-30",
            currency: None,
            bills: vec![("XXX", bill(STAHL, "2026-06-01", 10.0, 10.0))],
            payments: vec![],
        }];
        let spend = &consolidated(&fixtures)["spend_analysis"];
        assert_eq!(spend.titles[2], format!("{NO_CURRENCY} bills"));
        assert_eq!(number(spend.cell(0, "XXX overdue")), 10.0);
    }

    #[test]
    fn a_csv_file_is_one_chosen_sheet() {
        let fixtures = group();
        let texts: Vec<_> = fixtures.iter().map(|f| texts(f, None)).collect();
        let entities: Vec<_> = fixtures
            .iter()
            .zip(&texts)
            .map(|(f, t)| sources(f, t))
            .collect();
        assert!(matches!(
            write_consolidated(&entities, TableFormat::Csv, None),
            Err(ExportError::OneSheetPerCsv(3))
        ));
        assert!(matches!(
            write_consolidated(&entities, TableFormat::Xlsx, Some("bills")),
            Err(ExportError::UnknownSheet(id)) if id == "bills"
        ));
        let csv = write_consolidated(&entities, TableFormat::Csv, Some("aged_payables")).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert!(
            lines[0].starts_with("Entity,Data as of,EUR current,EUR 1–30 days,"),
            "{}",
            lines[0]
        );
        assert!(lines[0].ends_with(",GBP total outstanding"), "{}", lines[0]);
        assert_eq!(
            lines.len(),
            1 + fixtures.len(),
            "header and entities, no totals"
        );
        assert!(lines[2].starts_with("Beta Ltd,2026-06-15,"), "{}", lines[2]);
        assert_eq!(
            consolidated_sheet_ids(),
            ["spend_analysis", "aged_payables", "by_supplier"]
        );
    }
}
