//! Reports made from the spend detail of one refresh (suppliers, bills, bill payments):
//! the supplier list, the accounts payable ageing and the spend analysis workbook.
//!
//! One pass over each stored payload adds everything up into a [`Ledger`] (a few
//! entries per supplier, month, payment method and expense account: small whatever the
//! number of bills); the Bills and Bill payments sheets are a second pass, streamed.
//! Every total is the sum of the rows above it, and the sheets agree with each other:
//! the supplier analysis, the monthly breakdown and the expense accounts each add up to
//! the Bills sheet's total, the payment methods to the Bill payments sheet's, and the
//! ageing to the Bills sheet's amount due.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};

use crate::{
    export::{BILL_PAYMENTS_SHEET, BILLS_SHEET, Sources, bill_rows, payment_rows, read},
    source::{Bill, Payment, Supplier},
    table::{Cell, Column, ColumnKind, ExportError, Sheet, Sink, cents, col, sheet},
};

use ColumnKind::{Count, Date, Mixed, Money, Month, Percent, Text};

/// Ageing buckets by days past the due date on the refresh's day.
pub const AGEING_BUCKETS: [&str; 5] = [
    "Current",
    "1–30 days",
    "31–60 days",
    "61–90 days",
    "Over 90 days",
];

/// The bucket of an amount due on `due`, counted on `as_of`: not yet due (or no due
/// date) is current; then 1–30, 31–60, 61–90 and over 90 days overdue.
pub fn ageing_bucket(as_of: NaiveDate, due: Option<NaiveDate>) -> usize {
    match due.map_or(0, |due| (as_of - due).num_days()) {
        ..=0 => 0,
        1..=30 => 1,
        31..=60 => 2,
        61..=90 => 3,
        _ => 4,
    }
}

/// Where spend that no expense account names goes.
const UNCATEGORISED: &str = "Uncategorised";
const UNSPECIFIED: &str = "Unspecified";

const SUPPLIER_LIST_COLUMNS: &[Column<'static>] = &[
    col("Supplier id", Text, 14.0),
    col("Supplier", Text, 30.0),
    col("Contact", Text, 20.0),
    col("Email", Text, 30.0),
    col("Phone", Text, 18.0),
    col("Status", Text, 10.0),
    col("Currency", Text, 9.0),
    col("Payment terms", Text, 14.0),
    col("Payment method", Text, 16.0),
    col("Bills", Count, 8.0),
    col("Total spend", Money, 15.0),
    col("Outstanding", Money, 14.0),
    col("Overdue", Money, 14.0),
    col("Last bill", Date, 12.0),
];

const AGED_PAYABLES_COLUMNS: &[Column<'static>] = &[
    col("Supplier id", Text, 14.0),
    col("Supplier", Text, 30.0),
    col("Open bills", Count, 10.0),
    col(AGEING_BUCKETS[0], Money, 14.0),
    col(AGEING_BUCKETS[1], Money, 14.0),
    col(AGEING_BUCKETS[2], Money, 14.0),
    col(AGEING_BUCKETS[3], Money, 14.0),
    col(AGEING_BUCKETS[4], Money, 14.0),
    col("Total outstanding", Money, 17.0),
];

const CUSTOMER_COLUMNS: &[Column<'static>] = &[col("Item", Text, 26.0), col("Value", Mixed, 30.0)];

const ENTITY_COLUMNS: &[Column<'static>] = &[
    col("Month", Month, 12.0),
    col("Bills", Count, 8.0),
    col("Billed", Money, 15.0),
    col("Payments", Count, 10.0),
    col("Paid", Money, 15.0),
];

const METHOD_COLUMNS: &[Column<'static>] = &[
    col("Payment method", Text, 18.0),
    col("Payments", Count, 10.0),
    col("Suppliers", Count, 10.0),
    col("Amount paid", Money, 15.0),
    col("Share of payments", Percent, 10.0),
];

const SUPPLIER_ANALYSIS_COLUMNS: &[Column<'static>] = &[
    col("Supplier id", Text, 14.0),
    col("Supplier", Text, 30.0),
    col("Payment terms", Text, 14.0),
    col("Payment method", Text, 16.0),
    col("Bills", Count, 8.0),
    col("Total billed", Money, 15.0),
    col("Share of spend", Percent, 10.0),
    col("Average bill", Money, 13.0),
    col("Paid", Money, 15.0),
    col("Outstanding", Money, 14.0),
    col("Overdue", Money, 14.0),
    col("First bill", Date, 12.0),
    col("Last bill", Date, 12.0),
];

const EXPENSE_COLUMNS: &[Column<'static>] = &[
    col("Expense account", Text, 28.0),
    col("Bill lines", Count, 10.0),
    col("Amount", Money, 15.0),
    col("Share of spend", Percent, 10.0),
];

/// The ageing buckets' columns and the total outstanding.
pub(crate) const AGEING_COLUMNS: &[Column<'static>] = AGED_PAYABLES_COLUMNS.split_at(3).1;

pub(crate) const SUPPLIER_LIST: &[Sheet<'static>] =
    &[sheet("suppliers", "Supplier list", SUPPLIER_LIST_COLUMNS)];

pub(crate) const AGED_PAYABLES: &[Sheet<'static>] = &[sheet(
    "aged_payables",
    "Accounts payable ageing",
    AGED_PAYABLES_COLUMNS,
)];

const CUSTOMER: Sheet<'static> = sheet("customer", "Customer", CUSTOMER_COLUMNS);
const ENTITY: Sheet<'static> = sheet(
    "entity_spend_breakdown",
    "Entity spend breakdown",
    ENTITY_COLUMNS,
);
const METHODS: Sheet<'static> = sheet(
    "spend_by_payment_method",
    "Spend by payment method",
    METHOD_COLUMNS,
);
const SUPPLIER_ANALYSIS: Sheet<'static> = sheet(
    "supplier_analysis",
    "Supplier analysis",
    SUPPLIER_ANALYSIS_COLUMNS,
);
const EXPENSES: Sheet<'static> = sheet("expenses", "Expenses", EXPENSE_COLUMNS);

pub(crate) const SPEND_ANALYSIS: &[Sheet<'static>] = &[
    CUSTOMER,
    ENTITY,
    METHODS,
    SUPPLIER_ANALYSIS,
    BILLS_SHEET,
    BILL_PAYMENTS_SHEET,
    EXPENSES,
];

/// A supplier's master data, from the supplier list.
#[derive(Debug, Default)]
struct Listed {
    contact: String,
    email: String,
    phone: String,
    status: String,
    currency: String,
    terms: String,
    method: String,
}

#[derive(Debug, Default)]
pub(crate) struct SupplierFigures {
    pub(crate) id: String,
    pub(crate) name: String,
    /// `None` for a supplier that bills or payments name but the supplier list lacks.
    listed: Option<Listed>,
    pub(crate) bills: u64,
    pub(crate) billed: f64,
    open_bills: u64,
    /// Amounts due by ageing bucket; their sum is the outstanding balance.
    pub(crate) ageing: [f64; 5],
    payments: u64,
    pub(crate) paid: f64,
    first_bill: Option<NaiveDate>,
    last_bill: Option<NaiveDate>,
}

impl SupplierFigures {
    fn outstanding(&self) -> f64 {
        self.ageing.iter().sum()
    }

    fn overdue(&self) -> f64 {
        self.ageing[1..].iter().sum()
    }
}

#[derive(Debug, Default)]
struct MonthFigures {
    bills: u64,
    billed: f64,
    payments: u64,
    paid: f64,
}

#[derive(Debug, Default)]
struct MethodFigures {
    payments: u64,
    paid: f64,
    suppliers: BTreeSet<String>,
}

#[derive(Debug, Default)]
struct AccountFigures {
    lines: u64,
    amount: f64,
}

/// What the spend detail of one refresh adds up to.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    currency: String,
    listed_suppliers: u64,
    /// By the upstream's supplier id (or `name:` and the name, when a bill has no id).
    pub(crate) suppliers: BTreeMap<String, SupplierFigures>,
    /// By the first day of the month (bills by issue date, payments by payment date);
    /// `None` for those without a date.
    months: BTreeMap<Option<NaiveDate>, MonthFigures>,
    methods: BTreeMap<String, MethodFigures>,
    accounts: BTreeMap<String, AccountFigures>,
    pub(crate) bills: u64,
    pub(crate) billed: f64,
    pub(crate) ageing: [f64; 5],
    first_bill: Option<NaiveDate>,
    last_bill: Option<NaiveDate>,
    payments: u64,
    pub(crate) paid: f64,
}

fn supplier_key(id: &str, name: &str) -> String {
    if id.is_empty() {
        format!("name:{name}")
    } else {
        id.to_owned()
    }
}

fn month_of(day: Option<NaiveDate>) -> Option<NaiveDate> {
    day.and_then(|d| d.with_day(1))
}

fn widen(range: &mut (Option<NaiveDate>, Option<NaiveDate>), day: Option<NaiveDate>) {
    if let Some(day) = day {
        range.0 = Some(range.0.map_or(day, |d| d.min(day)));
        range.1 = Some(range.1.map_or(day, |d| d.max(day)));
    }
}

fn share(part: f64, whole: f64) -> f64 {
    if whole == 0.0 {
        0.0
    } else {
        (part / whole * 10_000.0).round() / 10_000.0
    }
}

impl Ledger {
    fn supplier(&mut self, id: &str, name: &str) -> &mut SupplierFigures {
        let key = if id.is_empty() {
            supplier_key(id, name)
        } else if self.suppliers.contains_key(id) {
            return self.suppliers.get_mut(id).expect("just checked");
        } else {
            id.to_owned()
        };
        self.suppliers
            .entry(key)
            .or_insert_with(|| SupplierFigures {
                id: id.to_owned(),
                name: name.to_owned(),
                ..Default::default()
            })
    }

    fn add_account(&mut self, account: &str, lines: u64, amount: f64) {
        let account = if account.is_empty() {
            UNCATEGORISED
        } else {
            account
        };
        if !self.accounts.contains_key(account) {
            self.accounts
                .insert(account.to_owned(), AccountFigures::default());
        }
        let figures = self.accounts.get_mut(account).expect("just inserted");
        figures.lines += lines;
        figures.amount += amount;
    }

    fn read_suppliers(&mut self, text: &str) -> Result<(), ExportError> {
        read(text, |s: Supplier<'_>| {
            self.listed_suppliers += 1;
            let figures = self.supplier(s.id.as_str(), s.name.as_str());
            if figures.name.is_empty() {
                figures.name = s.name.as_str().to_owned();
            }
            figures.listed = Some(Listed {
                contact: s.contact.as_str().to_owned(),
                email: s.email.as_str().to_owned(),
                phone: s.phone.as_str().to_owned(),
                status: s.status.as_str().to_owned(),
                currency: s.currency.as_str().to_owned(),
                terms: s.terms.as_str().to_owned(),
                method: s.method.as_str().to_owned(),
            });
            Ok(())
        })?;
        Ok(())
    }

    /// Bills: counts and amounts by supplier and month, the ageing of what is due on
    /// `as_of`, and (with `accounts`) spend by expense account from the bill lines.
    fn read_bills(
        &mut self,
        text: &str,
        as_of: NaiveDate,
        accounts: bool,
    ) -> Result<(), ExportError> {
        let currency = read(text, |b: Bill<'_>| {
            self.add_bill(&b, as_of, accounts);
            Ok(())
        })?;
        if self.currency.is_empty() {
            self.currency = currency.as_str().to_owned();
        }
        Ok(())
    }

    /// One bill of `read_bills`.
    pub(crate) fn add_bill(&mut self, b: &Bill<'_>, as_of: NaiveDate, accounts: bool) {
        let total = b.total.or_zero();
        let due = b.amount_due.or_zero();
        let issued = b.issue_date.day();
        let bucket = ageing_bucket(as_of, b.due_date.day());
        let mut range = (self.first_bill, self.last_bill);
        widen(&mut range, issued);
        (self.first_bill, self.last_bill) = range;
        self.bills += 1;
        self.billed += total;
        if due != 0.0 {
            self.ageing[bucket] += due;
        }
        let month = self.months.entry(month_of(issued)).or_default();
        month.bills += 1;
        month.billed += total;
        let (id, name) = b
            .supplier
            .0
            .as_ref()
            .map_or(("", ""), |s| (s.id.as_str(), s.name.as_str()));
        let supplier = self.supplier(id, name);
        supplier.bills += 1;
        supplier.billed += total;
        if due != 0.0 {
            supplier.open_bills += 1;
            supplier.ageing[bucket] += due;
        }
        let mut dates = (supplier.first_bill, supplier.last_bill);
        widen(&mut dates, issued);
        (supplier.first_bill, supplier.last_bill) = dates;
        if accounts {
            let mut allocated = 0.0;
            for line in &b.lines.0 {
                let amount = line.total.or_zero();
                allocated += amount;
                self.add_account(line.account(), 1, amount);
            }
            // Whatever the lines leave out (or a bill without lines) still counts,
            // so the expense accounts add up to the bills.
            let rest = total - allocated;
            if rest.abs() >= 0.005 {
                self.add_account(UNCATEGORISED, 0, rest);
            }
        }
    }

    /// Payments: counts and amounts by supplier, month and payment method.
    fn read_payments(&mut self, text: &str) -> Result<(), ExportError> {
        let currency = read(text, |p: Payment<'_>| {
            self.add_payment(&p);
            Ok(())
        })?;
        if self.currency.is_empty() {
            self.currency = currency.as_str().to_owned();
        }
        Ok(())
    }

    /// One payment of `read_payments`.
    pub(crate) fn add_payment(&mut self, p: &Payment<'_>) {
        let amount = p.total.or_zero();
        self.payments += 1;
        self.paid += amount;
        let month = self.months.entry(month_of(p.date.day())).or_default();
        month.payments += 1;
        month.paid += amount;
        let (id, name) = p
            .supplier
            .0
            .as_ref()
            .map_or(("", ""), |s| (s.id.as_str(), s.name.as_str()));
        let supplier = self.supplier(id, name);
        supplier.payments += 1;
        supplier.paid += amount;
        let key = supplier_key(id, name);
        let method = match p.method() {
            "" => UNSPECIFIED,
            method => method,
        };
        if !self.methods.contains_key(method) {
            self.methods
                .insert(method.to_owned(), MethodFigures::default());
        }
        let figures = self.methods.get_mut(method).expect("just inserted");
        figures.payments += 1;
        figures.paid += amount;
        figures.suppliers.insert(key);
    }

    fn outstanding(&self) -> f64 {
        self.ageing.iter().sum()
    }

    /// Suppliers by name (then id), for lists a person reads down.
    fn suppliers_by_name(&self) -> Vec<&SupplierFigures> {
        let mut all: Vec<&SupplierFigures> = self.suppliers.values().collect();
        all.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then_with(|| a.id.cmp(&b.id))
        });
        all
    }
}

fn listed<'a>(s: &'a SupplierFigures, field: impl Fn(&'a Listed) -> &'a str) -> Cell<'a> {
    s.listed
        .as_ref()
        .map_or(Cell::Empty, |l| Cell::text(field(l)))
}

fn total_row(width: usize, values: &[(usize, Cell<'static>)]) -> Vec<Cell<'static>> {
    let mut row = vec![Cell::Empty; width];
    row[0] = Cell::text("Total");
    for (i, value) in values {
        row[*i] = value.clone();
    }
    row
}

/// The supplier list: each supplier's master data (contact, terms, method) with its
/// bills, total spend, outstanding balance and overdue part, by name. Suppliers that
/// bills name but the list lacks are included, so the totals are the bills'.
pub(crate) fn supplier_list(sources: &Sources<'_>, out: &mut dyn Sink) -> Result<(), ExportError> {
    let mut ledger = Ledger::default();
    ledger.read_suppliers(sources.text(domain::ReportKind::Suppliers))?;
    ledger.read_bills(
        sources.text(domain::ReportKind::Bills),
        sources.as_of,
        false,
    )?;
    out.start(&SUPPLIER_LIST[0])?;
    let (mut bills, mut spend, mut outstanding, mut overdue) = (0, 0.0, 0.0, 0.0);
    for s in ledger.suppliers_by_name() {
        bills += s.bills;
        spend += s.billed;
        outstanding += s.outstanding();
        overdue += s.overdue();
        out.row(&[
            Cell::text(&s.id),
            Cell::text(&s.name),
            listed(s, |l| &l.contact),
            listed(s, |l| &l.email),
            listed(s, |l| &l.phone),
            listed(s, |l| &l.status),
            listed(s, |l| &l.currency),
            listed(s, |l| &l.terms),
            listed(s, |l| &l.method),
            Cell::Count(s.bills),
            Cell::Money(cents(s.billed)),
            Cell::Money(cents(s.outstanding())),
            Cell::Money(cents(s.overdue())),
            Cell::maybe_day(s.last_bill),
        ])?;
    }
    out.totals(&total_row(
        SUPPLIER_LIST_COLUMNS.len(),
        &[
            (9, Cell::Count(bills)),
            (10, Cell::Money(cents(spend))),
            (11, Cell::Money(cents(outstanding))),
            (12, Cell::Money(cents(overdue))),
        ],
    ))
}

/// Accounts payable ageing on the refresh's day: each supplier with something due, by
/// name, its amounts due by days overdue, and the totals (the accounts payable).
pub(crate) fn aged_payables(sources: &Sources<'_>, out: &mut dyn Sink) -> Result<(), ExportError> {
    let mut ledger = Ledger::default();
    ledger.read_bills(
        sources.text(domain::ReportKind::Bills),
        sources.as_of,
        false,
    )?;
    out.start(&AGED_PAYABLES[0])?;
    let mut open_bills = 0;
    for s in ledger.suppliers_by_name() {
        if s.open_bills == 0 {
            continue;
        }
        open_bills += s.open_bills;
        let mut row = vec![
            Cell::text(&s.id),
            Cell::text(&s.name),
            Cell::Count(s.open_bills),
        ];
        row.extend(s.ageing.iter().map(|amount| Cell::Money(cents(*amount))));
        row.push(Cell::Money(cents(s.outstanding())));
        out.row(&row)?;
    }
    let mut totals = vec![Cell::text("Total"), Cell::Empty, Cell::Count(open_bills)];
    totals.extend(
        ledger
            .ageing
            .iter()
            .map(|amount| Cell::Money(cents(*amount))),
    );
    totals.push(Cell::Money(cents(ledger.outstanding())));
    out.totals(&totals)
}

/// The spend analysis workbook, sheet by sheet (see `SPEND_ANALYSIS`).
pub(crate) fn spend_analysis(sources: &Sources<'_>, out: &mut dyn Sink) -> Result<(), ExportError> {
    use domain::ReportKind::{BillPayments, Bills, Suppliers};
    let summaries = [CUSTOMER, ENTITY, METHODS, SUPPLIER_ANALYSIS, EXPENSES];
    let mut ledger = Ledger::default();
    if summaries.iter().any(|s| out.wants(s)) {
        ledger.read_suppliers(sources.text(Suppliers))?;
        ledger.read_bills(sources.text(Bills), sources.as_of, true)?;
        ledger.read_payments(sources.text(BillPayments))?;
    }

    out.start(&CUSTOMER)?;
    customer_rows(&ledger, sources, out)?;

    out.start(&ENTITY)?;
    for (month, m) in &ledger.months {
        let label = month.map_or(Cell::text("Undated"), Cell::Month);
        out.row(&[
            label,
            Cell::Count(m.bills),
            Cell::Money(cents(m.billed)),
            Cell::Count(m.payments),
            Cell::Money(cents(m.paid)),
        ])?;
    }
    out.totals(&total_row(
        ENTITY_COLUMNS.len(),
        &[
            (1, Cell::Count(ledger.bills)),
            (2, Cell::Money(cents(ledger.billed))),
            (3, Cell::Count(ledger.payments)),
            (4, Cell::Money(cents(ledger.paid))),
        ],
    ))?;

    out.start(&METHODS)?;
    let mut methods: Vec<(&String, &MethodFigures)> = ledger.methods.iter().collect();
    methods.sort_by(|a, b| b.1.paid.total_cmp(&a.1.paid).then_with(|| a.0.cmp(b.0)));
    let mut paying_suppliers = BTreeSet::new();
    for (method, m) in methods {
        paying_suppliers.extend(m.suppliers.iter());
        out.row(&[
            Cell::text(method),
            Cell::Count(m.payments),
            Cell::Count(m.suppliers.len() as u64),
            Cell::Money(cents(m.paid)),
            Cell::Percent(share(m.paid, ledger.paid)),
        ])?;
    }
    out.totals(&total_row(
        METHOD_COLUMNS.len(),
        &[
            (1, Cell::Count(ledger.payments)),
            (2, Cell::Count(paying_suppliers.len() as u64)),
            (3, Cell::Money(cents(ledger.paid))),
            (
                4,
                Cell::Percent(if ledger.payments > 0 { 1.0 } else { 0.0 }),
            ),
        ],
    ))?;

    out.start(&SUPPLIER_ANALYSIS)?;
    let mut ranked: Vec<&SupplierFigures> = ledger.suppliers.values().collect();
    ranked.sort_by(|a, b| {
        b.billed
            .total_cmp(&a.billed)
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut overdue = 0.0;
    for s in ranked {
        overdue += s.overdue();
        let average = (s.bills > 0).then(|| s.billed / s.bills as f64);
        out.row(&[
            Cell::text(&s.id),
            Cell::text(&s.name),
            listed(s, |l| &l.terms),
            listed(s, |l| &l.method),
            Cell::Count(s.bills),
            Cell::Money(cents(s.billed)),
            Cell::Percent(share(s.billed, ledger.billed)),
            Cell::money(average),
            Cell::Money(cents(s.paid)),
            Cell::Money(cents(s.outstanding())),
            Cell::Money(cents(s.overdue())),
            Cell::maybe_day(s.first_bill),
            Cell::maybe_day(s.last_bill),
        ])?;
    }
    let average = (ledger.bills > 0).then(|| ledger.billed / ledger.bills as f64);
    out.totals(&total_row(
        SUPPLIER_ANALYSIS_COLUMNS.len(),
        &[
            (4, Cell::Count(ledger.bills)),
            (5, Cell::Money(cents(ledger.billed))),
            (6, Cell::Percent(if ledger.bills > 0 { 1.0 } else { 0.0 })),
            (7, Cell::money(average)),
            (8, Cell::Money(cents(ledger.paid))),
            (9, Cell::Money(cents(ledger.outstanding()))),
            (10, Cell::Money(cents(overdue))),
        ],
    ))?;

    out.start(&BILLS_SHEET)?;
    if out.wants(&BILLS_SHEET) {
        bill_rows(sources.text(Bills), out)?;
    }
    out.start(&BILL_PAYMENTS_SHEET)?;
    if out.wants(&BILL_PAYMENTS_SHEET) {
        payment_rows(sources.text(BillPayments), out)?;
    }

    out.start(&EXPENSES)?;
    let mut accounts: Vec<(&String, &AccountFigures)> = ledger.accounts.iter().collect();
    accounts.sort_by(|a, b| b.1.amount.total_cmp(&a.1.amount).then_with(|| a.0.cmp(b.0)));
    let (mut lines, mut amount) = (0, 0.0);
    for (account, a) in accounts {
        lines += a.lines;
        amount += a.amount;
        out.row(&[
            Cell::text(account),
            Cell::Count(a.lines),
            Cell::Money(cents(a.amount)),
            Cell::Percent(share(a.amount, ledger.billed)),
        ])?;
    }
    out.totals(&total_row(
        EXPENSE_COLUMNS.len(),
        &[
            (1, Cell::Count(lines)),
            (2, Cell::Money(cents(amount))),
            (3, Cell::Percent(if ledger.bills > 0 { 1.0 } else { 0.0 })),
        ],
    ))
}

/// The Customer sheet: who the company is, what period the data covers, and the
/// headline figures the other sheets break down.
fn customer_rows(
    ledger: &Ledger,
    sources: &Sources<'_>,
    out: &mut dyn Sink,
) -> Result<(), ExportError> {
    let months = match (ledger.first_bill, ledger.last_bill) {
        (Some(first), Some(last)) => {
            let span =
                (last.year() - first.year()) * 12 + last.month() as i32 - first.month() as i32;
            Cell::Count(u64::try_from(span + 1).unwrap_or(0))
        }
        _ => Cell::Empty,
    };
    let with_bills = ledger.suppliers.values().filter(|s| s.bills > 0).count() as u64;
    let overdue: f64 = ledger.ageing[1..].iter().sum();
    let rows: [(&str, Cell<'_>); 15] = [
        ("Company", Cell::text(sources.company_name)),
        ("Data as of", Cell::Date(sources.as_of)),
        ("Currency", Cell::text(&ledger.currency)),
        ("First bill", Cell::maybe_day(ledger.first_bill)),
        ("Last bill", Cell::maybe_day(ledger.last_bill)),
        ("Months reviewed", months),
        ("Suppliers listed", Cell::Count(ledger.listed_suppliers)),
        ("Suppliers with bills", Cell::Count(with_bills)),
        ("Bills", Cell::Count(ledger.bills)),
        ("Bills amount", Cell::Money(cents(ledger.billed))),
        ("Bill payments", Cell::Count(ledger.payments)),
        ("Payments amount", Cell::Money(cents(ledger.paid))),
        ("Accounts payable", Cell::Money(cents(ledger.outstanding()))),
        ("Overdue", Cell::Money(cents(overdue))),
        (
            "Expense accounts",
            Cell::Count(ledger.accounts.len() as u64),
        ),
    ];
    for (item, value) in rows {
        out.row(&[Cell::text(item), value])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn amounts_age_by_days_past_their_due_date() {
        let as_of = day("2026-06-30");
        let cases = [
            (None, 0),
            (Some("2026-07-15"), 0),
            (Some("2026-06-30"), 0),
            (Some("2026-06-29"), 1),
            (Some("2026-05-31"), 1),
            (Some("2026-05-30"), 2),
            (Some("2026-05-01"), 2),
            (Some("2026-04-30"), 3),
            (Some("2026-04-01"), 3),
            (Some("2026-03-31"), 4),
            (Some("2020-01-01"), 4),
        ];
        for (due, bucket) in cases {
            assert_eq!(ageing_bucket(as_of, due.map(day)), bucket, "{due:?}");
        }
    }

    #[test]
    fn a_ledger_adds_bills_and_payments_by_supplier_month_method_and_account() {
        let bills = r#"{"currency":"EUR","results":[
            {"id":"b1","supplierRef":{"id":"s1","supplierName":"One"},"issueDate":"2026-05-02","dueDate":"2026-06-01","totalAmount":100.0,"amountDue":100.0,
             "lineItems":[{"accountRef":{"name":"Rent"},"totalAmount":60.0},{"accountName":"Travel","totalAmount":30.0}]},
            {"id":"b2","supplierRef":{"id":"s1","supplierName":"One"},"issueDate":"2026-06-10","dueDate":"2026-07-10","totalAmount":50.0,"amountDue":0.0},
            {"id":"b3","supplierRef":{"supplierName":"No id"},"issueDate":"2026-06-11","totalAmount":-20.0,"amountDue":-20.0}
        ]}"#;
        let payments = r#"{"results":[
            {"supplierRef":{"id":"s1","supplierName":"One"},"date":"2026-06-12","totalAmount":50.0,"paymentMethod":"Card"},
            {"supplierRef":{"id":"s2","supplierName":"Two"},"date":"2026-06-13","totalAmount":5.0}
        ]}"#;
        let mut ledger = Ledger::default();
        ledger
            .read_suppliers(r#"{"results":[{"id":"s1","supplierName":"One","contactName":"Ann"},{"id":"s3","supplierName":"Three"}]}"#)
            .unwrap();
        ledger.read_bills(bills, day("2026-06-15"), true).unwrap();
        ledger.read_payments(payments).unwrap();
        assert_eq!(ledger.currency, "EUR");
        assert_eq!((ledger.bills, ledger.billed), (3, 130.0));
        assert_eq!(
            ledger.ageing,
            [-20.0, 100.0, 0.0, 0.0, 0.0],
            "b1 is 14 days late, b3 a credit"
        );
        assert_eq!(
            (ledger.first_bill, ledger.last_bill),
            (Some(day("2026-05-02")), Some(day("2026-06-11")))
        );
        let one = &ledger.suppliers["s1"];
        assert_eq!(
            (one.bills, one.billed, one.open_bills, one.paid),
            (2, 150.0, 1, 50.0)
        );
        assert_eq!(one.listed.as_ref().unwrap().contact, "Ann");
        assert!(ledger.suppliers["name:No id"].listed.is_none());
        assert_eq!(ledger.suppliers["s3"].bills, 0, "listed without bills");
        assert_eq!(ledger.suppliers.len(), 4);
        let june = &ledger.months[&Some(day("2026-06-01"))];
        assert_eq!(
            (june.bills, june.billed, june.payments, june.paid),
            (2, 30.0, 2, 55.0)
        );
        assert_eq!(ledger.methods["Card"].paid, 50.0);
        assert_eq!(ledger.methods[UNSPECIFIED].suppliers.len(), 1);
        let accounts: Vec<(&str, u64, f64)> = ledger
            .accounts
            .iter()
            .map(|(name, a)| (name.as_str(), a.lines, a.amount))
            .collect();
        // b1's unallocated 10, b2 without lines (50) and b3 (-20) are uncategorised.
        assert_eq!(
            accounts,
            [
                ("Rent", 1, 60.0),
                ("Travel", 1, 30.0),
                (UNCATEGORISED, 0, 40.0)
            ]
        );
    }
}
