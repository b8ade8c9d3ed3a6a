//! Reports as files: each report kind is one or more sheets (see [`sheets`]), written
//! from the stored payloads of one refresh ([`Sources`]) as CSV, an xlsx workbook or
//! JSON tables ([`write`]).
//!
//! Rows are streamed from the stored JSON text straight into the writer (the xlsx
//! sheets in constant-memory mode), so a company with 100,000 bills is held once, as
//! the text read from the database; see `docs/benchmarks.md` ("Reports").

use chrono::NaiveDate;
use domain::ReportKind;
use serde::Deserialize;
use serde_json::Value;

use crate::{
    source::{Bill, Payment, ReadError, Text, for_each_result},
    spend,
    table::{
        Cell, Column, ColumnKind, ExportError, Sheet, Sink, TableFormat, cents, col, sheet, sink,
    },
};

use ColumnKind::{Date, Money, Text as TextCol};

/// The stored payloads (JSON text, as stored) of one refresh that a report is made of,
/// and what they describe. A payload left out reads as empty.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sources<'a> {
    pub company_name: &'a str,
    /// The day the data describes (the refresh's): what is overdue is counted on it.
    pub as_of: NaiveDate,
    texts: [&'a str; 5],
}

impl<'a> Sources<'a> {
    pub fn new(company_name: &'a str, as_of: NaiveDate) -> Self {
        Self {
            company_name,
            as_of,
            texts: [""; 5],
        }
    }

    fn slot(kind: ReportKind) -> Option<usize> {
        match kind {
            ReportKind::ProfitAndLoss => Some(0),
            ReportKind::BalanceSheet => Some(1),
            ReportKind::Suppliers => Some(2),
            ReportKind::Bills => Some(3),
            ReportKind::BillPayments => Some(4),
            ReportKind::SpendAnalysis | ReportKind::AgedPayables => None,
        }
    }

    /// With the stored payload of `kind` (a derived kind has none and is ignored).
    pub fn with(mut self, kind: ReportKind, text: &'a str) -> Self {
        if let Some(slot) = Self::slot(kind) {
            self.texts[slot] = text;
        }
        self
    }

    pub fn text(&self, kind: ReportKind) -> &'a str {
        Self::slot(kind).map_or("", |slot| self.texts[slot])
    }
}

const PROFIT_AND_LOSS: &[Column<'static>] = &[
    col("Period start", Date, 12.0),
    col("Period end", Date, 12.0),
    col("Section", TextCol, 18.0),
    col("Account", TextCol, 28.0),
    col("Amount", Money, 14.0),
];

const BALANCE_SHEET: &[Column<'static>] = &[
    col("Date", Date, 12.0),
    col("Section", TextCol, 14.0),
    col("Account", TextCol, 30.0),
    col("Amount", Money, 14.0),
];

pub(crate) const BILLS: &[Column<'static>] = &[
    col("Bill id", TextCol, 14.0),
    col("Reference", TextCol, 14.0),
    col("Supplier", TextCol, 30.0),
    col("Issue date", Date, 12.0),
    col("Due date", Date, 12.0),
    col("Currency", TextCol, 9.0),
    col("Total", Money, 14.0),
    col("Amount due", Money, 14.0),
    col("Status", TextCol, 14.0),
];

pub(crate) const BILL_PAYMENTS: &[Column<'static>] = &[
    col("Payment id", TextCol, 14.0),
    col("Supplier", TextCol, 30.0),
    col("Date", Date, 12.0),
    col("Currency", TextCol, 9.0),
    col("Amount", Money, 14.0),
    col("Payment method", TextCol, 16.0),
    col("Bills", TextCol, 30.0),
];

pub(crate) const BILLS_SHEET: Sheet<'static> = sheet("bills", "Bills", BILLS);
pub(crate) const BILL_PAYMENTS_SHEET: Sheet<'static> =
    sheet("bill_payments", "Bill payments", BILL_PAYMENTS);

/// The sheets of a report kind, in order: one for most, seven for the spend analysis.
pub fn sheets(kind: ReportKind) -> &'static [Sheet<'static>] {
    const PL: &[Sheet<'static>] = &[sheet("profit_and_loss", "Profit and loss", PROFIT_AND_LOSS)];
    const BS: &[Sheet<'static>] = &[sheet("balance_sheet", "Balance sheet", BALANCE_SHEET)];
    const BILLS_ONLY: &[Sheet<'static>] = &[BILLS_SHEET];
    const PAYMENTS_ONLY: &[Sheet<'static>] = &[BILL_PAYMENTS_SHEET];
    match kind {
        ReportKind::ProfitAndLoss => PL,
        ReportKind::BalanceSheet => BS,
        ReportKind::Suppliers => spend::SUPPLIER_LIST,
        ReportKind::Bills => BILLS_ONLY,
        ReportKind::BillPayments => PAYMENTS_ONLY,
        ReportKind::SpendAnalysis => spend::SPEND_ANALYSIS,
        ReportKind::AgedPayables => spend::AGED_PAYABLES,
    }
}

/// Checks `sheet` (from `?sheet=`) against the report's sheets and the format: a CSV
/// file holds one sheet. Answers the sheet's id, or `None` for all of them.
pub fn choose_sheet(
    kind: ReportKind,
    format: TableFormat,
    sheet: Option<&str>,
) -> Result<Option<&'static str>, ExportError> {
    choose_among(sheets(kind).iter().map(|s| s.id), format, sheet)
}

/// `choose_sheet` over the ids of a report's sheets.
pub(crate) fn choose_among(
    mut ids: impl ExactSizeIterator<Item = &'static str>,
    format: TableFormat,
    sheet: Option<&str>,
) -> Result<Option<&'static str>, ExportError> {
    let count = ids.len();
    match sheet {
        Some(wanted) => ids
            .find(|id| *id == wanted)
            .map(Some)
            .ok_or_else(|| ExportError::UnknownSheet(wanted.to_owned())),
        None if format == TableFormat::Csv && count > 1 => Err(ExportError::OneSheetPerCsv(count)),
        None => Ok(None),
    }
}

/// Writes the report as a file of `format`: every sheet, or only `sheet`.
pub fn write(
    kind: ReportKind,
    sources: &Sources<'_>,
    format: TableFormat,
    sheet: Option<&str>,
) -> Result<Vec<u8>, ExportError> {
    let only = choose_sheet(kind, format, sheet)?;
    let mut out = sink(format, only);
    emit(kind, sources, out.as_mut())?;
    out.finish()
}

fn emit(kind: ReportKind, sources: &Sources<'_>, out: &mut dyn Sink) -> Result<(), ExportError> {
    let sheet = &sheets(kind)[0];
    match kind {
        ReportKind::ProfitAndLoss => {
            out.start(sheet)?;
            profit_and_loss_rows(&parse(sources.text(kind))?, out)
        }
        ReportKind::BalanceSheet => {
            out.start(sheet)?;
            balance_sheet_rows(&parse(sources.text(kind))?, out)
        }
        ReportKind::Bills => {
            out.start(sheet)?;
            bill_rows(sources.text(kind), out)
        }
        ReportKind::BillPayments => {
            out.start(sheet)?;
            payment_rows(sources.text(kind), out)
        }
        ReportKind::Suppliers => spend::supplier_list(sources, out),
        ReportKind::AgedPayables => spend::aged_payables(sources, out),
        ReportKind::SpendAnalysis => spend::spend_analysis(sources, out),
    }
}

/// A small payload (the financial statements: twelve months) as a JSON tree.
fn parse(text: &str) -> Result<Value, ExportError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(text).map_err(ExportError::Payload)
}

/// Streams the `results` of a stored payload into `each`.
pub(crate) fn read<'a, T: Deserialize<'a>>(
    text: &'a str,
    each: impl FnMut(T) -> Result<(), ExportError>,
) -> Result<Text<'a>, ExportError> {
    for_each_result(text, each).map_err(|e| match e {
        ReadError::Json(e) => ExportError::Payload(e),
        ReadError::Stopped(e) => e,
    })
}

fn text<'a>(value: &'a Value, key: &str) -> Cell<'a> {
    match value.get(key) {
        Some(Value::String(s)) => Cell::text(s),
        Some(Value::Number(n)) => Cell::Text(n.to_string().into()),
        _ => Cell::Empty,
    }
}

fn number<'a>(value: &Value, key: &str) -> Cell<'a> {
    Cell::money(value.get(key).and_then(Value::as_f64))
}

fn date<'a>(value: &'a Value, key: &str) -> Cell<'a> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map_or(Cell::Empty, Cell::day)
}

fn list<'a>(payload: &'a Value, key: &str) -> &'a [Value] {
    payload
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn profit_and_loss_rows(payload: &Value, out: &mut dyn Sink) -> Result<(), ExportError> {
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
                out.row(&[
                    from.clone(),
                    to.clone(),
                    Cell::text(section),
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
            out.row(&[
                from.clone(),
                to.clone(),
                Cell::text("Result"),
                Cell::text(label),
                number(period, key),
            ])?;
        }
    }
    Ok(())
}

fn balance_sheet_rows(payload: &Value, out: &mut dyn Sink) -> Result<(), ExportError> {
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
                out.row(&[
                    day.clone(),
                    Cell::text(section),
                    text(account, "name"),
                    number(account, "value"),
                ])?;
            }
        }
        out.row(&[
            day.clone(),
            Cell::text("Result"),
            Cell::text("Net assets"),
            number(report, "netAssets"),
        ])?;
    }
    Ok(())
}

/// One row per bill, then the totals of the amounts.
pub(crate) fn bill_rows(text: &str, out: &mut dyn Sink) -> Result<(), ExportError> {
    let (mut total, mut due) = (0.0, 0.0);
    read(text, |b: Bill<'_>| {
        total += b.total.or_zero();
        due += b.amount_due.or_zero();
        let supplier = b.supplier.0.as_ref().map_or("", |s| s.name.as_str());
        out.row(&[
            Cell::text(b.id.as_str()),
            Cell::text(b.reference.as_str()),
            Cell::text(supplier),
            Cell::day(b.issue_date.as_str()),
            Cell::day(b.due_date.as_str()),
            Cell::text(b.currency.as_str()),
            Cell::money(b.total.0),
            Cell::money(b.amount_due.0),
            Cell::text(b.status.as_str()),
        ])
    })?;
    let mut totals = vec![Cell::Empty; BILLS.len()];
    totals[0] = Cell::text("Total");
    totals[6] = Cell::Money(cents(total));
    totals[7] = Cell::Money(cents(due));
    out.totals(&totals)
}

/// One row per payment, then the total paid.
pub(crate) fn payment_rows(text: &str, out: &mut dyn Sink) -> Result<(), ExportError> {
    let mut paid = 0.0;
    let mut bills = String::new();
    read(text, |p: Payment<'_>| {
        paid += p.total.or_zero();
        bills.clear();
        for line in p.lines.0.iter().filter(|l| !l.bill_id.is_empty()) {
            if !bills.is_empty() {
                bills.push(' ');
            }
            bills.push_str(line.bill_id.as_str());
        }
        let supplier = p.supplier.0.as_ref().map_or("", |s| s.name.as_str());
        out.row(&[
            Cell::text(p.id.as_str()),
            Cell::text(supplier),
            Cell::day(p.date.as_str()),
            Cell::text(p.currency.as_str()),
            Cell::money(p.total.0),
            Cell::text(p.method()),
            Cell::text(&bills),
        ])
    })?;
    let mut totals = vec![Cell::Empty; BILL_PAYMENTS.len()];
    totals[0] = Cell::text("Total");
    totals[4] = Cell::Money(cents(paid));
    out.totals(&totals)
}
