//! From rows of cells to the stored reports: each sheet's header row is matched to the
//! template's columns, each row's cells are checked, the sheets are checked against
//! each other, and only an upload without a single problem becomes an [`Upload`].
//!
//! The sheets are read in the order Suppliers, Bills, Bill payments, so a bill's
//! supplier and a payment's bill are checked as their row is read.

use std::collections::{HashMap, hash_map::Entry};

use chrono::NaiveDate;
use domain::{EmailAddress, ReportKind};
use serde::Serialize;
use serde_json::Value;

use crate::{
    DateLocale,
    problems::{Collector, Problem, ProblemKind, Problems},
    schema::{Kind, MAX_COLUMNS, SheetKind, bills, payments, suppliers},
    values::{self, AmountError, MAX_AMOUNT, RawCell, TextError},
};

/// Amounts are compared to the cent.
const CENT: f64 = 0.005;

/// What the whole upload holds: the three stored spend-detail reports, in the shape
/// every provider stores them (`{currency, results: [...]}`, as the sandbox's), so the
/// `reports` crate reads them unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    currency: Option<String>,
    suppliers: Vec<SupplierRecord>,
    bills: Vec<BillRecord>,
    payments: Vec<PaymentRecord>,
}

/// How many rows of each sheet an upload holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub suppliers: usize,
    pub bills: usize,
    pub bill_payments: usize,
}

impl Upload {
    pub fn counts(&self) -> Counts {
        Counts {
            suppliers: self.suppliers.len(),
            bills: self.bills.len(),
            bill_payments: self.payments.len(),
        }
    }

    /// The reports' currency: the one most bills are in (then most suppliers); `None`
    /// when nothing names one.
    pub fn currency(&self) -> Option<&str> {
        self.currency.as_deref()
    }

    /// The stored reports: Suppliers, Bills and BillPayments, in that order.
    pub fn reports(&self) -> [(ReportKind, Value); 3] {
        fn value(payload: impl Serialize) -> Value {
            serde_json::to_value(payload).expect("the report structs serialize to JSON")
        }
        [
            (ReportKind::Suppliers, value(self.supplier_list())),
            (ReportKind::Bills, value(self.bill_list())),
            (ReportKind::BillPayments, value(self.bill_payment_list())),
        ]
    }

    /// The same reports as JSON text, without building a `serde_json::Value` tree
    /// (about three times the size of the text): for storing a large upload.
    pub fn report_texts(&self) -> [(ReportKind, String); 3] {
        fn text(payload: impl Serialize) -> String {
            serde_json::to_string(&payload).expect("the report structs serialize to JSON")
        }
        [
            (ReportKind::Suppliers, text(self.supplier_list())),
            (ReportKind::Bills, text(self.bill_list())),
            (ReportKind::BillPayments, text(self.bill_payment_list())),
        ]
    }

    fn supplier_list(&self) -> Envelope<'_, impl Serialize> {
        self.envelope(seq(&self.suppliers, |s| SupplierJson {
            id: &s.id,
            supplier_name: &s.name,
            contact_name: s.contact.as_deref(),
            phone: s.phone.as_deref(),
            status: "Active",
            default_currency: s.currency.as_deref(),
            payment_terms: s.terms.as_deref(),
            payment_method: s.method.as_deref(),
            email_address: s.email.as_deref(),
        }))
    }

    fn bill_list(&self) -> Envelope<'_, impl Serialize> {
        self.envelope(seq(&self.bills, |b| {
            let supplier = &self.suppliers[b.supplier];
            BillJson {
                id: &b.id,
                reference: b.reference.as_deref(),
                supplier_ref: SupplierRefJson {
                    id: &supplier.id,
                    supplier_name: &supplier.name,
                },
                issue_date: b.issue_date,
                due_date: b.due_date,
                currency: &b.currency,
                total_amount: b.total,
                amount_due: b.amount_due,
                status: b.status(),
                payment_terms: supplier.terms.as_deref(),
                line_items: [LineItemJson {
                    description: b.description.as_deref(),
                    account_name: b.account.as_deref(),
                    total_amount: b.total,
                }],
            }
        }))
    }

    fn bill_payment_list(&self) -> Envelope<'_, impl Serialize> {
        self.envelope(seq(&self.payments, |p| {
            let bill = &self.bills[p.bill];
            let supplier = &self.suppliers[bill.supplier];
            PaymentJson {
                id: &p.id,
                supplier_ref: SupplierRefJson {
                    id: &supplier.id,
                    supplier_name: &supplier.name,
                },
                date: p.date,
                // A payment is in its bill's currency, paid as the supplier is unless
                // it says otherwise.
                currency: p.currency.as_deref().unwrap_or(&bill.currency),
                total_amount: p.amount,
                payment_method: p.method.as_deref().or(supplier.method.as_deref()),
                lines: [PaymentLineJson {
                    bill_id: &bill.id,
                    amount: p.amount,
                }],
            }
        }))
    }

    fn envelope<T: Serialize>(&self, results: T) -> Envelope<'_, T> {
        Envelope {
            currency: self.currency.as_deref(),
            results,
        }
    }
}

// The stored shape, as the sandbox provider writes it (`providers::sandbox`), field for
// field; dates as `YYYY-MM-DD`.

#[derive(Serialize)]
struct Envelope<'a, T> {
    currency: Option<&'a str>,
    results: T,
}

/// A slice serialized as the list of its records' views, made as they are written.
struct Seq<'a, T, F>(&'a [T], F);

fn seq<'a, T, V: Serialize, F: Fn(&'a T) -> V>(items: &'a [T], view: F) -> Seq<'a, T, F> {
    Seq(items, view)
}

impl<'a, T, V: Serialize, F: Fn(&'a T) -> V> Serialize for Seq<'a, T, F> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(&self.1))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SupplierJson<'a> {
    id: &'a str,
    supplier_name: &'a str,
    contact_name: Option<&'a str>,
    phone: Option<&'a str>,
    status: &'static str,
    default_currency: Option<&'a str>,
    payment_terms: Option<&'a str>,
    payment_method: Option<&'a str>,
    email_address: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SupplierRefJson<'a> {
    id: &'a str,
    supplier_name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BillJson<'a> {
    id: &'a str,
    reference: Option<&'a str>,
    supplier_ref: SupplierRefJson<'a>,
    issue_date: NaiveDate,
    due_date: Option<NaiveDate>,
    currency: &'a str,
    total_amount: f64,
    amount_due: f64,
    status: &'static str,
    payment_terms: Option<&'a str>,
    line_items: [LineItemJson<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LineItemJson<'a> {
    description: Option<&'a str>,
    account_name: Option<&'a str>,
    total_amount: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PaymentJson<'a> {
    id: &'a str,
    supplier_ref: SupplierRefJson<'a>,
    date: NaiveDate,
    currency: &'a str,
    total_amount: f64,
    payment_method: Option<&'a str>,
    lines: [PaymentLineJson<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PaymentLineJson<'a> {
    bill_id: &'a str,
    amount: f64,
}

#[derive(Debug, Clone, PartialEq)]
struct SupplierRecord {
    id: String,
    name: String,
    contact: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    terms: Option<String>,
    method: Option<String>,
    currency: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct BillRecord {
    id: String,
    /// Its supplier's record.
    supplier: usize,
    reference: Option<String>,
    issue_date: NaiveDate,
    due_date: Option<NaiveDate>,
    currency: String,
    total: f64,
    amount_due: f64,
    description: Option<String>,
    account: Option<String>,
}

impl BillRecord {
    fn status(&self) -> &'static str {
        if self.amount_due < CENT {
            "Paid"
        } else if self.amount_due < self.total - CENT {
            "PartiallyPaid"
        } else {
            "Open"
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct PaymentRecord {
    id: String,
    /// Its bill's record.
    bill: usize,
    date: NaiveDate,
    /// When it names one (its bill's, checked).
    currency: Option<String>,
    amount: f64,
    method: Option<String>,
}

/// A supplier ID's first row, and its record if the row is valid.
#[derive(Debug)]
struct SupplierFacts {
    row: u32,
    record: Option<usize>,
}

/// What payments need to know of a bill, kept (like a supplier's row) for every row
/// whose ID could be read, even when another of its cells has a problem, so that its
/// payments are not also reported as naming an unknown bill.
#[derive(Debug)]
struct BillFacts {
    row: u32,
    /// Its record, if the row is valid.
    record: Option<usize>,
    supplier: Option<String>,
    currency: Option<String>,
    total: Option<f64>,
    /// The payments read so far.
    paid: f64,
}

/// Reads sheets into records, collecting every problem.
#[derive(Debug)]
pub(crate) struct Builder {
    locale: DateLocale,
    problems: Collector,
    data: Data,
}

/// The rows read so far.
#[derive(Debug, Default)]
struct Data {
    /// Whether each sheet was found with its ID column (or empty): references into a
    /// sheet that is missing are not checked, its absence being the problem.
    checkable: [bool; 3],
    rows: usize,
    suppliers: Vec<SupplierRecord>,
    supplier_facts: HashMap<String, SupplierFacts>,
    bills: Vec<BillRecord>,
    bill_facts: HashMap<String, BillFacts>,
    payments: Vec<PaymentRecord>,
    payment_rows: HashMap<String, u32>,
}

impl Builder {
    pub fn new(locale: DateLocale) -> Self {
        Builder {
            locale,
            problems: Collector::default(),
            data: Data::default(),
        }
    }

    pub fn problem(&mut self, problem: Problem) {
        self.problems.add(|| problem);
    }

    /// Starts reading one of the template's sheets, named `label` in the file; its
    /// rows are then handed to [`SheetReader::row`], the header row first. `decimal_comma`:
    /// amounts written as text use a decimal comma (a `;`-separated CSV file).
    pub fn sheet(&mut self, kind: SheetKind, label: &str, decimal_comma: bool) -> SheetReader<'_> {
        // An empty sheet has no rows for others to refer to; a sheet with a header
        // row is checkable once its ID column is found.
        self.data.checkable[kind.index()] = true;
        SheetReader {
            builder: self,
            kind,
            label: label.to_owned(),
            decimal_comma,
            header: None,
        }
    }

    pub fn finish(mut self) -> Result<Upload, Problems> {
        if self.data.rows == 0 && self.problems.is_empty() {
            self.problem(Problem::new(
                ProblemKind::NoData,
                "at least one supplier, bill or payment below the header rows",
            ));
        }
        if !self.problems.is_empty() {
            return Err(self.problems.into_problems());
        }
        let data = self.data;
        let currency = most_common(data.bills.iter().map(|b| b.currency.as_str()))
            .or_else(|| most_common(data.suppliers.iter().filter_map(|s| s.currency.as_deref())));
        Ok(Upload {
            currency,
            suppliers: data.suppliers,
            bills: data.bills,
            payments: data.payments,
        })
    }
}

/// The most frequent value; of equally frequent ones, the first seen.
fn most_common<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for (i, value) in values.enumerate() {
        counts.entry(value).or_insert((0, i)).0 += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.cmp(&a.1.1)))
        .map(|(value, _)| value.to_owned())
}

/// One sheet being read.
#[derive(Debug)]
pub(crate) struct SheetReader<'b> {
    builder: &'b mut Builder,
    kind: SheetKind,
    label: String,
    decimal_comma: bool,
    header: Option<Header>,
}

#[derive(Debug)]
struct Header {
    /// For each of the template's columns, where it is in the file (0-based).
    positions: Vec<Option<u32>>,
    /// For each column of the file, which of the template's it is.
    columns: Vec<Option<usize>>,
}

impl SheetReader<'_> {
    /// One row of the sheet: its number as the person sees it and its cells by
    /// 0-based column. The first row that is not blank is the header row.
    pub fn row<'a>(&mut self, number: u32, cells: impl IntoIterator<Item = (u32, RawCell<'a>)>) {
        match &self.header {
            None => self.header_row(number, cells),
            Some(header) => {
                let mut values = vec![RawCell::Empty; header.positions.len()];
                let mut blank = true;
                for (column, cell) in cells {
                    if let Some(Some(i)) = header.columns.get(column as usize) {
                        blank &= cell.is_blank();
                        values[*i] = cell;
                    }
                }
                if blank {
                    return;
                }
                self.builder.data.rows += 1;
                let row = Row {
                    problems: &mut self.builder.problems,
                    kind: self.kind,
                    sheet: &self.label,
                    number,
                    positions: &header.positions,
                    values: &values,
                    locale: self.builder.locale,
                    decimal_comma: self.decimal_comma,
                    ok: true,
                };
                let data = &mut self.builder.data;
                match self.kind {
                    SheetKind::Suppliers => supplier_row(row, data),
                    SheetKind::Bills => bill_row(row, data),
                    SheetKind::BillPayments => payment_row(row, data),
                }
            }
        }
    }

    fn header_row<'a>(&mut self, number: u32, cells: impl IntoIterator<Item = (u32, RawCell<'a>)>) {
        // Columns past the first MAX_COLUMNS are not looked at: a header row of a
        // million columns costs nothing.
        let cells: Vec<(u32, RawCell<'a>)> = cells
            .into_iter()
            .filter(|(column, cell)| *column < MAX_COLUMNS && !cell.is_blank())
            .collect();
        if cells.is_empty() {
            return;
        }
        let columns_of_sheet = self.kind.columns();
        let mut positions: Vec<Option<u32>> = vec![None; columns_of_sheet.len()];
        let width = cells
            .iter()
            .map(|(c, _)| *c as usize + 1)
            .max()
            .unwrap_or(0);
        let mut columns = vec![None; width];
        let expected = || {
            let headers: Vec<&str> = self.kind.headers().collect();
            format!("one of this sheet's columns: {}", headers.join(", "))
        };
        for (column, cell) in &cells {
            let text = cell.display();
            let at = |p: Problem, header: &str| {
                p.in_sheet(&self.label)
                    .at(number, Some((header, Some(*column))))
            };
            match self.kind.column_of(&text) {
                Some(i) if positions[i].is_some() => {
                    let header = columns_of_sheet[i].header;
                    self.builder.problems.add(|| {
                        at(
                            Problem::new(ProblemKind::DuplicateColumn, "each column once"),
                            header,
                        )
                        .found(&text)
                    });
                }
                Some(i) => {
                    positions[i] = Some(*column);
                    columns[*column as usize] = Some(i);
                }
                None => {
                    let header = text.trim().to_owned();
                    self.builder.problems.add(|| {
                        at(
                            Problem::new(
                                ProblemKind::UnknownColumn,
                                format!("{}; delete or rename this column", expected()),
                            ),
                            &header,
                        )
                        .found(&text)
                    });
                }
            }
        }
        for (i, column) in columns_of_sheet.iter().enumerate() {
            if column.required && positions[i].is_none() {
                self.builder.problems.add(|| {
                    Problem::new(
                        ProblemKind::MissingColumn,
                        format!("a column headed “{}” in the header row", column.header),
                    )
                    .in_sheet(&self.label)
                    .at(number, Some((column.header, None)))
                });
            }
        }
        // References into this sheet are checked only if its IDs could be read.
        self.builder.data.checkable[self.kind.index()] = positions[0].is_some();
        self.header = Some(Header { positions, columns });
    }
}

/// One data row being checked.
struct Row<'x, 'a> {
    problems: &'x mut Collector,
    kind: SheetKind,
    sheet: &'x str,
    number: u32,
    positions: &'x [Option<u32>],
    values: &'x [RawCell<'a>],
    locale: DateLocale,
    decimal_comma: bool,
    /// No problem so far.
    ok: bool,
}

impl Row<'_, '_> {
    fn report(&mut self, column: usize, kind: ProblemKind, expected: String, found: Option<&str>) {
        self.ok = false;
        let header = self.kind.columns()[column].header;
        let (sheet, number, position) = (self.sheet, self.number, self.positions[column]);
        self.problems.add(|| {
            let problem = Problem::new(kind, expected)
                .in_sheet(sheet)
                .at(number, Some((header, position)));
            match found {
                Some(value) => problem.found(value),
                None => problem,
            }
        });
    }

    /// The cell if it holds something to parse; reports empty required cells, errors
    /// and formulas without a value.
    fn cell(&mut self, column: usize) -> Option<&RawCell<'_>> {
        if self.positions[column].is_none() {
            // A column missing from the header row is reported there, once.
            self.ok = false;
            return None;
        }
        let values = self.values;
        let cell = &values[column];
        match cell {
            RawCell::Error(error) => {
                let error = error.clone();
                self.report(
                    column,
                    ProblemKind::CellError,
                    "a value, not an error".to_owned(),
                    Some(&error),
                );
                None
            }
            RawCell::NoValue => {
                self.report(
                    column,
                    ProblemKind::FormulaWithoutValue,
                    "a value: formulas are not evaluated, and this one's result was not saved; copy the cells and paste them as values".to_owned(),
                    None,
                );
                None
            }
            _ if cell.is_blank() => {
                if self.kind.columns()[column].required {
                    self.report(
                        column,
                        ProblemKind::Required,
                        "a value: this column is required".to_owned(),
                        None,
                    );
                }
                None
            }
            _ => Some(cell),
        }
    }

    fn text(&mut self, column: usize) -> Option<String> {
        let raw = self.cell(column)?.display().into_owned();
        let (max, lines) = match self.kind.columns()[column].kind {
            Kind::Line(max) => (max, false),
            Kind::Text(max) => (max, true),
            Kind::Email => (EmailAddress::MAX_CHARS, false),
            Kind::Currency | Kind::Date | Kind::Amount => (usize::MAX, false),
        };
        match values::text(&raw, max, lines) {
            Ok(text) => {
                if self.kind.columns()[column].kind == Kind::Email
                    && EmailAddress::parse(&text).is_err()
                {
                    self.report(
                        column,
                        ProblemKind::InvalidEmail,
                        "an email address like name@example.com".to_owned(),
                        Some(&raw),
                    );
                    return None;
                }
                Some(text)
            }
            Err(TextError::ControlCharacters) => {
                let expected = if lines {
                    "text without control characters"
                } else {
                    "one line of text, without line breaks, tabs or other control characters"
                };
                self.report(
                    column,
                    ProblemKind::ControlCharacters,
                    expected.to_owned(),
                    Some(&raw),
                );
                None
            }
            Err(TextError::TooLong) => {
                self.report(
                    column,
                    ProblemKind::TooLong,
                    format!("at most {max} characters"),
                    Some(&raw),
                );
                None
            }
        }
    }

    fn date(&mut self, column: usize) -> Option<NaiveDate> {
        let locale = self.locale;
        let cell = self.cell(column)?;
        match values::date(cell, locale) {
            Some(date) => Some(date),
            None => {
                let found = cell.display().into_owned();
                self.report(
                    column,
                    ProblemKind::InvalidDate,
                    locale.expected(),
                    Some(&found),
                );
                None
            }
        }
    }

    fn amount(&mut self, column: usize) -> Option<f64> {
        let decimal_comma = self.decimal_comma;
        let cell = self.cell(column)?;
        match values::amount(cell, decimal_comma) {
            Ok(amount) => Some(amount),
            Err(error) => {
                let found = cell.display().into_owned();
                let expected = match error {
                    AmountError::Invalid | AmountError::Negative if decimal_comma => {
                        "an amount like 1234,56, not negative"
                    }
                    AmountError::Invalid | AmountError::Negative => {
                        "an amount like 1234.56, not negative"
                    }
                    AmountError::TooLarge => "an amount of at most 1,000,000,000,000",
                };
                debug_assert_eq!(MAX_AMOUNT, 1e12);
                self.report(
                    column,
                    ProblemKind::InvalidAmount,
                    expected.to_owned(),
                    Some(&found),
                );
                None
            }
        }
    }

    fn currency(&mut self, column: usize) -> Option<String> {
        let cell = self.cell(column)?;
        let raw = cell.display().into_owned();
        match values::currency(&raw) {
            Some(code) => Some(code),
            None => {
                self.report(
                    column,
                    ProblemKind::InvalidCurrency,
                    "a 3-letter currency code like GBP".to_owned(),
                    Some(&raw),
                );
                None
            }
        }
    }

    /// The row's ID, once per sheet: a repeat is reported with the row that has it first.
    fn id<F>(&mut self, column: usize, first_row: F) -> Option<String>
    where
        F: FnOnce(&str) -> Option<u32>,
    {
        let id = self.text(column)?;
        if let Some(first) = first_row(&id) {
            self.report(
                column,
                ProblemKind::DuplicateId,
                format!("an ID used once on this sheet; row {first} has it already"),
                Some(&id),
            );
        }
        Some(id)
    }
}

fn supplier_row(mut row: Row<'_, '_>, b: &mut Data) {
    let id = row.id(suppliers::ID, |id| b.supplier_facts.get(id).map(|f| f.row));
    let name = row.text(suppliers::NAME);
    let contact = row.text(suppliers::CONTACT);
    let email = row.text(suppliers::EMAIL);
    let phone = row.text(suppliers::PHONE);
    let terms = row.text(suppliers::TERMS);
    let method = row.text(suppliers::METHOD);
    let currency = row.currency(suppliers::CURRENCY);
    let Some(id) = id else { return };
    let Entry::Vacant(entry) = b.supplier_facts.entry(id.clone()) else {
        return;
    };
    let facts = entry.insert(SupplierFacts {
        row: row.number,
        record: None,
    });
    if let (true, Some(name)) = (row.ok, name) {
        facts.record = Some(b.suppliers.len());
        b.suppliers.push(SupplierRecord {
            id,
            name,
            contact,
            email,
            phone,
            terms,
            method,
            currency,
        });
    }
}

fn bill_row(mut row: Row<'_, '_>, b: &mut Data) {
    let id = row.id(bills::ID, |id| b.bill_facts.get(id).map(|f| f.row));
    let supplier = row.text(bills::SUPPLIER);
    if let Some(supplier) = &supplier
        && b.checkable[SheetKind::Suppliers.index()]
        && !b.supplier_facts.contains_key(supplier)
    {
        row.report(
            bills::SUPPLIER,
            ProblemKind::UnknownSupplier,
            "a Supplier ID from the Suppliers sheet".to_owned(),
            Some(supplier),
        );
    }
    let reference = row.text(bills::REFERENCE);
    let issue_date = row.date(bills::ISSUE_DATE);
    let due_date = row.date(bills::DUE_DATE);
    if let (Some(issued), Some(due)) = (issue_date, due_date)
        && due < issued
    {
        let expected = format!(
            "a date on or after the issue date ({})",
            row.locale.format(issued)
        );
        let found = row.locale.format(due);
        row.report(
            bills::DUE_DATE,
            ProblemKind::DueBeforeIssue,
            expected,
            Some(&found),
        );
    }
    let currency = row.currency(bills::CURRENCY);
    let total = row.amount(bills::TOTAL);
    let amount_due = row.amount(bills::AMOUNT_DUE);
    if let (Some(total), Some(due)) = (total, amount_due)
        && due > total + CENT
    {
        row.report(
            bills::AMOUNT_DUE,
            ProblemKind::AmountDueOverTotal,
            format!("at most the total amount ({})", money(total)),
            Some(&money(due)),
        );
    }
    let description = row.text(bills::DESCRIPTION);
    let account = row.text(bills::ACCOUNT);
    let Some(id) = id else { return };
    let supplier_record = supplier
        .as_ref()
        .and_then(|s| b.supplier_facts.get(s))
        .and_then(|f| f.record);
    let Entry::Vacant(entry) = b.bill_facts.entry(id.clone()) else {
        return;
    };
    let facts = entry.insert(BillFacts {
        row: row.number,
        record: None,
        supplier,
        currency: currency.clone(),
        total,
        paid: 0.0,
    });
    if let (true, Some(supplier), Some(issue_date), Some(currency), Some(total), Some(amount_due)) = (
        row.ok,
        supplier_record,
        issue_date,
        currency,
        total,
        amount_due,
    ) {
        facts.record = Some(b.bills.len());
        b.bills.push(BillRecord {
            id,
            supplier,
            reference,
            issue_date,
            due_date,
            currency,
            total,
            amount_due,
            description,
            account,
        });
    }
}

fn payment_row(mut row: Row<'_, '_>, b: &mut Data) {
    let id = row.id(payments::ID, |id| b.payment_rows.get(id).copied());
    let bill_id = row.text(payments::BILL);
    let bills_checkable = b.checkable[SheetKind::Bills.index()];
    if let Some(bill_id) = &bill_id
        && bills_checkable
        && !b.bill_facts.contains_key(bill_id)
    {
        row.report(
            payments::BILL,
            ProblemKind::UnknownBill,
            "a Bill ID from the Bills sheet".to_owned(),
            Some(bill_id),
        );
    }
    let supplier = row.text(payments::SUPPLIER);
    let bill = bill_id.as_ref().and_then(|id| b.bill_facts.get(id));
    if let Some(supplier) = &supplier {
        match bill.and_then(|bill| bill.supplier.as_ref()) {
            Some(expected) if expected != supplier => {
                let bill_id = bill_id.as_deref().unwrap_or_default();
                row.report(
                    payments::SUPPLIER,
                    ProblemKind::SupplierMismatch,
                    format!("the supplier of bill {bill_id} ({expected}), or nothing"),
                    Some(supplier),
                );
            }
            Some(_) => {}
            None if b.checkable[SheetKind::Suppliers.index()]
                && !b.supplier_facts.contains_key(supplier) =>
            {
                row.report(
                    payments::SUPPLIER,
                    ProblemKind::UnknownSupplier,
                    "a Supplier ID from the Suppliers sheet".to_owned(),
                    Some(supplier),
                );
            }
            None => {}
        }
    }
    let date = row.date(payments::DATE);
    let currency = row.currency(payments::CURRENCY);
    if let Some(currency) = &currency
        && let Some(expected) = bill.and_then(|bill| bill.currency.as_ref())
        && expected != currency
    {
        let bill_id = bill_id.as_deref().unwrap_or_default();
        row.report(
            payments::CURRENCY,
            ProblemKind::CurrencyMismatch,
            format!("the currency of bill {bill_id} ({expected}), or nothing"),
            Some(currency),
        );
    }
    let amount = row.amount(payments::AMOUNT);
    if let (Some(amount), Some(bill_id)) = (amount, &bill_id)
        && let Some(bill) = b.bill_facts.get_mut(bill_id)
    {
        let before = bill.paid;
        bill.paid += amount;
        if let Some(total) = bill.total
            && bill.paid > total + CENT
        {
            let left = (total - before).max(0.0);
            row.report(
                payments::AMOUNT,
                ProblemKind::Overpaid,
                format!(
                    "at most {}: with this payment, the payments of bill {bill_id} add up to more than its total amount ({})",
                    money(left),
                    money(total)
                ),
                Some(&money(amount)),
            );
        }
    }
    let method = row.text(payments::METHOD);
    let Some(id) = id else { return };
    let bill_record = bill_id
        .as_ref()
        .and_then(|id| b.bill_facts.get(id))
        .and_then(|f| f.record);
    let Entry::Vacant(entry) = b.payment_rows.entry(id.clone()) else {
        return;
    };
    entry.insert(row.number);
    if let (true, Some(bill), Some(date), Some(amount)) = (row.ok, bill_record, date, amount) {
        b.payments.push(PaymentRecord {
            id,
            bill,
            date,
            currency,
            amount,
            method,
        });
    }
}

/// An amount in problems: `1250.00`.
fn money(amount: f64) -> String {
    format!("{amount:.2}")
}
