//! Reports as files: each report kind is a table (typed columns, one row per account,
//! supplier, bill or payment), written as CSV or as an xlsx workbook with real number
//! and date cells, a bold frozen header row, an autofilter and sized columns.
//!
//! Rows are streamed from the stored payload straight into the writer (the xlsx sheet
//! in constant-memory mode), so a company with 100,000 bills is not held twice.

use std::borrow::Cow;

use chrono::NaiveDate;
use domain::ReportKind;
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};
use serde_json::Value;

/// How a column's cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Money,
    Date,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub title: &'static str,
    pub kind: ColumnKind,
    /// Width in characters, for the xlsx sheet.
    pub width: f64,
}

const fn col(title: &'static str, kind: ColumnKind, width: f64) -> Column {
    Column { title, kind, width }
}

use ColumnKind::{Date, Money, Text};

/// One cell of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Text(Cow<'a, str>),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing the CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing the workbook: {0}")]
    Xlsx(#[from] XlsxError),
}

const PROFIT_AND_LOSS: &[Column] = &[
    col("Period start", Date, 12.0),
    col("Period end", Date, 12.0),
    col("Section", Text, 18.0),
    col("Account", Text, 28.0),
    col("Amount", Money, 14.0),
];

const BALANCE_SHEET: &[Column] = &[
    col("Date", Date, 12.0),
    col("Section", Text, 14.0),
    col("Account", Text, 30.0),
    col("Amount", Money, 14.0),
];

const SUPPLIERS: &[Column] = &[
    col("Supplier id", Text, 14.0),
    col("Supplier", Text, 30.0),
    col("Status", Text, 10.0),
    col("Currency", Text, 9.0),
    col("Payment terms", Text, 14.0),
    col("Payment method", Text, 16.0),
    col("Email", Text, 30.0),
];

const BILLS: &[Column] = &[
    col("Bill id", Text, 14.0),
    col("Reference", Text, 14.0),
    col("Supplier", Text, 30.0),
    col("Issue date", Date, 12.0),
    col("Due date", Date, 12.0),
    col("Currency", Text, 9.0),
    col("Total", Money, 14.0),
    col("Amount due", Money, 14.0),
    col("Status", Text, 14.0),
];

const BILL_PAYMENTS: &[Column] = &[
    col("Payment id", Text, 14.0),
    col("Supplier", Text, 30.0),
    col("Date", Date, 12.0),
    col("Currency", Text, 9.0),
    col("Amount", Money, 14.0),
    col("Payment method", Text, 16.0),
    col("Bills", Text, 30.0),
];

/// The columns of a report kind's table.
pub fn columns(kind: ReportKind) -> &'static [Column] {
    match kind {
        ReportKind::ProfitAndLoss => PROFIT_AND_LOSS,
        ReportKind::BalanceSheet => BALANCE_SHEET,
        ReportKind::Suppliers => SUPPLIERS,
        ReportKind::Bills => BILLS,
        ReportKind::BillPayments => BILL_PAYMENTS,
    }
}

fn text<'a>(value: &'a Value, key: &str) -> Cell<'a> {
    match value.get(key) {
        Some(Value::String(s)) => Cell::Text(Cow::Borrowed(s)),
        Some(Value::Number(n)) => Cell::Text(Cow::Owned(n.to_string())),
        _ => Cell::Empty,
    }
}

fn number<'a>(value: &Value, key: &str) -> Cell<'a> {
    value
        .get(key)
        .and_then(Value::as_f64)
        .map_or(Cell::Empty, Cell::Number)
}

fn date<'a>(value: &'a Value, key: &str) -> Cell<'a> {
    let Some(raw) = value.get(key).and_then(Value::as_str) else {
        return Cell::Empty;
    };
    match raw.get(..10).and_then(|d| d.parse().ok()) {
        Some(day) => Cell::Date(day),
        None => Cell::Text(Cow::Borrowed(raw)),
    }
}

fn list<'a>(payload: &'a Value, key: &str) -> &'a [Value] {
    payload
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Calls `row` with each row of the report's table, in order.
pub fn for_each_row<E>(
    kind: ReportKind,
    payload: &Value,
    mut row: impl FnMut(&[Cell<'_>]) -> Result<(), E>,
) -> Result<(), E> {
    match kind {
        ReportKind::ProfitAndLoss => {
            for period in list(payload, "periods") {
                let (from, to) = (date(period, "fromDate"), date(period, "toDate"));
                for (key, section) in [
                    ("income", "Income"),
                    ("costOfSales", "Cost of sales"),
                    ("expenses", "Expenses"),
                    ("otherExpenses", "Other expenses"),
                ] {
                    let Some(part) = period.get(key) else {
                        continue;
                    };
                    for account in list(part, "accounts") {
                        row(&[
                            from.clone(),
                            to.clone(),
                            Cell::Text(section.into()),
                            text(account, "name"),
                            number(account, "value"),
                        ])?;
                    }
                }
                for (key, label) in [
                    ("grossProfit", "Gross profit"),
                    ("netOperatingProfit", "Net operating profit"),
                    ("netProfit", "Net profit"),
                ] {
                    row(&[
                        from.clone(),
                        to.clone(),
                        Cell::Text("Result".into()),
                        Cell::Text(label.into()),
                        number(period, key),
                    ])?;
                }
            }
        }
        ReportKind::BalanceSheet => {
            for report in list(payload, "reports") {
                let day = date(report, "date");
                for (key, section) in [
                    ("assets", "Assets"),
                    ("liabilities", "Liabilities"),
                    ("equity", "Equity"),
                ] {
                    let Some(part) = report.get(key) else {
                        continue;
                    };
                    for account in list(part, "accounts") {
                        row(&[
                            day.clone(),
                            Cell::Text(section.into()),
                            text(account, "name"),
                            number(account, "value"),
                        ])?;
                    }
                }
                row(&[
                    day.clone(),
                    Cell::Text("Result".into()),
                    Cell::Text("Net assets".into()),
                    number(report, "netAssets"),
                ])?;
            }
        }
        ReportKind::Suppliers => {
            for s in list(payload, "results") {
                row(&[
                    text(s, "id"),
                    text(s, "supplierName"),
                    text(s, "status"),
                    text(s, "defaultCurrency"),
                    text(s, "paymentTerms"),
                    text(s, "paymentMethod"),
                    text(s, "emailAddress"),
                ])?;
            }
        }
        ReportKind::Bills => {
            for b in list(payload, "results") {
                let supplier = b.get("supplierRef").unwrap_or(&Value::Null);
                row(&[
                    text(b, "id"),
                    text(b, "reference"),
                    text(supplier, "supplierName"),
                    date(b, "issueDate"),
                    date(b, "dueDate"),
                    text(b, "currency"),
                    number(b, "totalAmount"),
                    number(b, "amountDue"),
                    text(b, "status"),
                ])?;
            }
        }
        ReportKind::BillPayments => {
            for p in list(payload, "results") {
                let supplier = p.get("supplierRef").unwrap_or(&Value::Null);
                let bills: Vec<&str> = list(p, "lines")
                    .iter()
                    .filter_map(|l| l.get("billId").and_then(Value::as_str))
                    .collect();
                row(&[
                    text(p, "id"),
                    text(supplier, "supplierName"),
                    date(p, "date"),
                    text(p, "currency"),
                    number(p, "totalAmount"),
                    text(p, "paymentMethod"),
                    Cell::Text(bills.join(" ").into()),
                ])?;
            }
        }
    }
    Ok(())
}

/// The report as CSV: a header row, then the rows; dates as `YYYY-MM-DD`, amounts as
/// plain numbers.
pub fn to_csv(kind: ReportKind, payload: &Value) -> Result<Vec<u8>, ExportError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(columns(kind).iter().map(|c| c.title))?;
    let mut record: Vec<String> = Vec::new();
    for_each_row(kind, payload, |cells| {
        record.clear();
        record.extend(cells.iter().map(|cell| match cell {
            Cell::Text(t) => t.to_string(),
            Cell::Number(n) => n.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Empty => String::new(),
        }));
        out.write_record(&record)
    })?;
    out.into_inner()
        .map_err(|e| ExportError::Csv(csv::Error::from(e.into_error())))
}

/// The report as an xlsx workbook of one sheet named after it.
pub fn to_xlsx(kind: ReportKind, payload: &Value) -> Result<Vec<u8>, ExportError> {
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xE8EEF7))
        .set_border_bottom(FormatBorder::Thin);
    let money = Format::new().set_num_format("#,##0.00");
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory();
    sheet.set_name(kind.title())?;
    let columns = columns(kind);
    for (i, column) in columns.iter().enumerate() {
        let c = u16::try_from(i).unwrap_or(u16::MAX);
        sheet.set_column_width(c, column.width)?;
        sheet.write_string_with_format(0, c, column.title, &header)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let mut r: u32 = 0;
    for_each_row(kind, payload, |cells| -> Result<(), XlsxError> {
        r += 1;
        for (i, cell) in cells.iter().enumerate() {
            let c = u16::try_from(i).unwrap_or(u16::MAX);
            match cell {
                Cell::Text(t) => {
                    sheet.write_string(r, c, t.as_ref())?;
                }
                Cell::Number(n) => {
                    sheet.write_number_with_format(r, c, *n, &money)?;
                }
                Cell::Date(d) => {
                    sheet.write_datetime_with_format(r, c, d, &day)?;
                }
                Cell::Empty => {}
            }
        }
        Ok(())
    })?;
    let last = u16::try_from(columns.len().saturating_sub(1)).unwrap_or(0);
    sheet.autofilter(0, 0, r.max(1), last)?;
    Ok(workbook.save_to_buffer()?)
}
