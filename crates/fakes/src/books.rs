//! Deterministic books of accounts for one organisation: contacts (suppliers and
//! customers), bills and sales invoices in several currencies, their payments, a profit
//! and loss for every month and a balance sheet for every date that balances. The same
//! seed always gives the same books, and each fake renders them in its platform's shape;
//! tests read the figures here to compare with what a client made of the platform's
//! answers.

use chrono::{DateTime, Datelike as _, Days, Months, NaiveDate, NaiveTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

/// Amounts are whole cents (hundredths of the currency unit).
pub type Cents = i64;

/// "1234.56", "-0.05": how both platforms write amounts in their reports.
pub fn format_cents(cents: Cents) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// As a JSON number (both platforms send amounts on entities as numbers).
pub(crate) fn cents_json(cents: Cents) -> serde_json::Value {
    serde_json::Number::from_f64(cents as f64 / 100.0)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

/// What kind of account, for where it sits in the reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountClass {
    Revenue,
    CostOfSales,
    Expense,
}

#[derive(Clone, Debug)]
pub struct Account {
    pub id: Uuid,
    pub code: &'static str,
    pub name: &'static str,
    pub class: AccountClass,
}

const ACCOUNTS: [(&str, &str, AccountClass); 12] = [
    ("200", "Sales", AccountClass::Revenue),
    ("260", "Other Revenue", AccountClass::Revenue),
    ("300", "Purchases", AccountClass::CostOfSales),
    ("310", "Cost of Goods Sold", AccountClass::CostOfSales),
    ("400", "Advertising", AccountClass::Expense),
    ("404", "Bank Fees", AccountClass::Expense),
    ("412", "Consulting & Accounting", AccountClass::Expense),
    ("445", "Light, Power, Heating", AccountClass::Expense),
    ("453", "Office Expenses", AccountClass::Expense),
    ("469", "Rent", AccountClass::Expense),
    ("477", "Wages and Salaries", AccountClass::Expense),
    ("489", "Telephone & Internet", AccountClass::Expense),
];

/// A supplier, a customer, or both.
#[derive(Clone, Debug)]
pub struct Contact {
    pub id: Uuid,
    /// Small sequential number, for platforms whose ids are numbers (QuickBooks).
    pub number: u32,
    pub name: String,
    pub email: String,
    pub currency: String,
    pub is_supplier: bool,
    pub is_customer: bool,
    /// Bills from this supplier fall due this many days after their date.
    pub payment_terms_days: u32,
    pub updated: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvoiceKind {
    /// A bill from a supplier (Xero `ACCPAY`, QuickBooks `Bill`).
    Payable,
    /// A sales invoice to a customer (Xero `ACCREC`).
    Receivable,
}

#[derive(Clone, Debug)]
pub struct Line {
    pub description: String,
    /// Index into [`Books::accounts`].
    pub account: usize,
    pub amount: Cents,
}

#[derive(Clone, Debug)]
pub struct Invoice {
    pub id: Uuid,
    pub number: u32,
    pub doc_number: String,
    pub kind: InvoiceKind,
    /// Index into [`Books::contacts`].
    pub contact: usize,
    pub date: NaiveDate,
    pub due_date: NaiveDate,
    pub currency: String,
    /// Base currency per unit of `currency` (1 for the base currency).
    pub rate: f64,
    pub lines: Vec<Line>,
    pub subtotal: Cents,
    pub tax: Cents,
    pub total: Cents,
    /// `total` in the base currency.
    pub base_total: Cents,
    /// Indexes into [`Books::payments`], oldest first.
    pub payments: Vec<usize>,
    pub amount_paid: Cents,
    pub updated: DateTime<Utc>,
}

impl Invoice {
    pub fn amount_due(&self) -> Cents {
        self.total - self.amount_paid
    }

    pub fn is_paid(&self) -> bool {
        self.amount_due() == 0
    }
}

#[derive(Clone, Debug)]
pub struct Payment {
    pub id: Uuid,
    pub number: u32,
    /// Index into [`Books::invoices`].
    pub invoice: usize,
    pub date: NaiveDate,
    /// In the invoice's currency.
    pub amount: Cents,
    pub base_amount: Cents,
    pub reference: String,
    pub updated: DateTime<Utc>,
}

/// One month's (or several months') profit and loss, by account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfitAndLoss {
    /// `(index into Books::accounts, amount)`, in [`ACCOUNTS`] order.
    pub lines: Vec<(usize, Cents)>,
}

impl ProfitAndLoss {
    fn total(&self, books: &Books, class: AccountClass) -> Cents {
        self.lines
            .iter()
            .filter(|(account, _)| books.accounts[*account].class == class)
            .map(|(_, amount)| amount)
            .sum()
    }
    pub fn income(&self, books: &Books) -> Cents {
        self.total(books, AccountClass::Revenue)
    }
    pub fn cost_of_sales(&self, books: &Books) -> Cents {
        self.total(books, AccountClass::CostOfSales)
    }
    pub fn gross_profit(&self, books: &Books) -> Cents {
        self.income(books) - self.cost_of_sales(books)
    }
    pub fn operating_expenses(&self, books: &Books) -> Cents {
        self.total(books, AccountClass::Expense)
    }
    pub fn net_profit(&self, books: &Books) -> Cents {
        self.gross_profit(books) - self.operating_expenses(books)
    }

    fn add(&mut self, other: &ProfitAndLoss) {
        if self.lines.is_empty() {
            self.lines = other.lines.clone();
            return;
        }
        for ((_, mine), (_, theirs)) in self.lines.iter_mut().zip(&other.lines) {
            *mine += theirs;
        }
    }
}

/// A balance sheet as at one date; assets always equal liabilities plus equity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BalanceSheet {
    pub date: NaiveDate,
    pub bank: Cents,
    pub accounts_receivable: Cents,
    pub fixed_assets: Cents,
    pub total_assets: Cents,
    pub accounts_payable: Cents,
    pub sales_tax: Cents,
    pub total_liabilities: Cents,
    pub retained_earnings: Cents,
    pub current_year_earnings: Cents,
    pub total_equity: Cents,
}

impl BalanceSheet {
    pub fn net_assets(&self) -> Cents {
        self.total_assets - self.total_liabilities
    }
}

/// The whole books of one organisation.
#[derive(Clone, Debug)]
pub struct Books {
    pub name: String,
    pub base_currency: String,
    /// First day of the first month with bills and invoices.
    pub first_month: NaiveDate,
    /// The day the books were made: nothing is dated after it.
    pub today: NaiveDate,
    pub accounts: Vec<Account>,
    pub contacts: Vec<Contact>,
    /// Oldest first.
    pub invoices: Vec<Invoice>,
    /// Oldest first.
    pub payments: Vec<Payment>,
    seed: [u8; 32],
    monthly_level: Cents,
    rent: Cents,
    opening_equity: Cents,
    fixed_assets: Cents,
    tax_rate_percent: i64,
}

const SUPPLIERS: [&str; 24] = [
    "Acme Office Supplies",
    "Brightline Energy",
    "Cobalt Logistics",
    "Dunmore Print & Design",
    "Eastside Stationers",
    "Fernhill Consulting",
    "Granite Facilities Management",
    "Harbour Freight Services",
    "Ironbridge Legal",
    "Juniper Cloud Hosting",
    "Kestrel Telecom",
    "Lakeside Catering",
    "Meridian Insurance Brokers",
    "Northwind Traders",
    "Orchard Packaging",
    "Pinnacle Recruitment",
    "Quayside Property Lettings",
    "Redwood Marketing",
    "Sterling Security",
    "Thornbury Cleaning Co",
    "Upland Water",
    "Vantage IT Support",
    "Westgate Couriers",
    "Yardley Accountants",
];

const CUSTOMERS: [&str; 12] = [
    "Abbott & Sons",
    "Bluebell Cafe",
    "Castle Hotels Group",
    "Delta Engineering",
    "Elmwood School",
    "Foxglove Florists",
    "Greenfield Garden Centre",
    "Hilltop Veterinary",
    "Ivy Lane Dental",
    "Jasper Motors",
    "Kingfisher Marine",
    "Larkspur Interiors",
];

/// USD value of one unit, to derive fixed exchange rates between the currencies used.
const CURRENCIES: [(&str, f64); 6] = [
    ("USD", 1.0),
    ("GBP", 1.27),
    ("EUR", 1.08),
    ("AUD", 0.66),
    ("NZD", 0.60),
    ("CAD", 0.74),
];

fn usd_value(currency: &str) -> f64 {
    CURRENCIES
        .iter()
        .find(|(code, _)| *code == currency)
        .map(|(_, value)| *value)
        .unwrap_or(1.0)
}

/// Base currency per unit of `currency`, to six decimal places.
fn rate(currency: &str, base: &str) -> f64 {
    (usd_value(currency) / usd_value(base) * 1e6).round() / 1e6
}

pub(crate) fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("day 1 exists")
}

pub(crate) fn month_end(date: NaiveDate) -> NaiveDate {
    month_start(date) + Months::new(1) - Days::new(1)
}

/// A deterministic UUID from `parts` (v4-shaped, so clients that check the version
/// accept it).
pub(crate) fn derived_uuid(parts: &[&[u8]]) -> Uuid {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

pub(crate) fn at_noon(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("noon"))
        .and_utc()
}

impl Books {
    /// The books of the organisation `seed` names (a tenant or realm id), in
    /// `base_currency`, with two years of bills and invoices up to `today`.
    pub fn generate(seed: &str, name: &str, base_currency: &str, today: NaiveDate) -> Self {
        let seed_bytes: [u8; 32] = Sha256::digest(seed.as_bytes()).into();
        let mut rng = StdRng::from_seed(seed_bytes);
        let accounts = ACCOUNTS
            .iter()
            .map(|(code, name, class)| Account {
                id: derived_uuid(&[&seed_bytes, b"account", code.as_bytes()]),
                code,
                name,
                class: *class,
            })
            .collect::<Vec<_>>();
        let tax_rate_percent = match base_currency {
            "GBP" => 20,
            "NZD" => 15,
            "AUD" => 10,
            _ => 0,
        };
        let foreign: Vec<&str> = CURRENCIES
            .iter()
            .map(|(code, _)| *code)
            .filter(|code| *code != base_currency)
            .collect();
        let first_month = month_start(today) - Months::new(23);

        let mut contacts = Vec::new();
        let mut number = 0u32;
        fn pick(pool: &[&'static str], count: usize, rng: &mut StdRng) -> Vec<&'static str> {
            let mut names: Vec<&str> = pool.to_vec();
            let mut chosen = Vec::new();
            for _ in 0..count {
                chosen.push(names.remove(rng.random_range(0..names.len())));
            }
            chosen.sort_unstable();
            chosen
        }
        let supplier_count = rng.random_range(12..=20);
        let customer_count = rng.random_range(6..=10);
        for (names, is_supplier) in [
            (pick(&SUPPLIERS, supplier_count, &mut rng), true),
            (pick(&CUSTOMERS, customer_count, &mut rng), false),
        ] {
            for contact_name in names {
                number += 1;
                let currency = if rng.random_bool(0.2) {
                    foreign[rng.random_range(0..foreign.len())].to_owned()
                } else {
                    base_currency.to_owned()
                };
                let slug: String = contact_name
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_lowercase();
                contacts.push(Contact {
                    id: derived_uuid(&[&seed_bytes, b"contact", contact_name.as_bytes()]),
                    number,
                    name: contact_name.to_owned(),
                    email: format!("accounts@{slug}.example"),
                    currency,
                    is_supplier,
                    is_customer: !is_supplier,
                    payment_terms_days: [14, 30, 30, 45][rng.random_range(0..4)],
                    updated: at_noon(first_month),
                });
            }
        }

        let suppliers: Vec<usize> = (0..contacts.len())
            .filter(|i| contacts[*i].is_supplier)
            .collect();
        let customers: Vec<usize> = (0..contacts.len())
            .filter(|i| contacts[*i].is_customer)
            .collect();
        let expense_accounts: Vec<usize> = (0..accounts.len())
            .filter(|i| accounts[*i].class != AccountClass::Revenue)
            .filter(|i| accounts[*i].code != "477")
            .collect();
        let mut invoices = Vec::new();
        let mut month = first_month;
        let (mut bill_number, mut sale_number) = (0u32, 0u32);
        while month <= today {
            let last_day = month_end(month).min(today).day();
            for kind in [InvoiceKind::Payable, InvoiceKind::Receivable] {
                let count = match kind {
                    InvoiceKind::Payable => rng.random_range(4..=9),
                    InvoiceKind::Receivable => rng.random_range(3..=6),
                };
                for _ in 0..count {
                    let date = month.with_day(rng.random_range(1..=last_day)).expect("day");
                    let (contact, doc_number) = match kind {
                        InvoiceKind::Payable => {
                            bill_number += 1;
                            let supplier = suppliers[rng.random_range(0..suppliers.len())];
                            (
                                supplier,
                                format!("SUP-{:05}", rng.random_range(1000..99999)),
                            )
                        }
                        InvoiceKind::Receivable => {
                            sale_number += 1;
                            let customer = customers[rng.random_range(0..customers.len())];
                            (customer, format!("INV-{sale_number:04}"))
                        }
                    };
                    let currency = contacts[contact].currency.clone();
                    let line_count = rng.random_range(1..=2);
                    let lines: Vec<Line> = (0..line_count)
                        .map(|_| {
                            let account = match kind {
                                InvoiceKind::Payable => {
                                    expense_accounts[rng.random_range(0..expense_accounts.len())]
                                }
                                InvoiceKind::Receivable => 0,
                            };
                            Line {
                                description: format!("{} services", accounts[account].name),
                                account,
                                amount: rng.random_range(5_000..=800_000),
                            }
                        })
                        .collect();
                    let subtotal: Cents = lines.iter().map(|line| line.amount).sum();
                    let tax = if currency == base_currency {
                        (subtotal * tax_rate_percent + 50) / 100
                    } else {
                        0
                    };
                    let total = subtotal + tax;
                    let rate = rate(&currency, base_currency);
                    let terms = contacts[contact].payment_terms_days;
                    invoices.push(Invoice {
                        id: derived_uuid(&[
                            &seed_bytes,
                            b"invoice",
                            &bill_number.to_le_bytes(),
                            &sale_number.to_le_bytes(),
                        ]),
                        number: 0,
                        doc_number,
                        kind,
                        contact,
                        date,
                        due_date: date + Days::new(terms.into()),
                        base_total: (total as f64 * rate).round() as Cents,
                        currency,
                        rate,
                        lines,
                        subtotal,
                        tax,
                        total,
                        payments: Vec::new(),
                        amount_paid: 0,
                        updated: at_noon(date),
                    });
                }
            }
            month = month + Months::new(1);
        }
        invoices.sort_by_key(|invoice| (invoice.date, invoice.doc_number.clone()));
        for (index, invoice) in invoices.iter_mut().enumerate() {
            invoice.number = index as u32 + 1;
        }

        let mut payments = Vec::new();
        // By index: payments are pushed onto the same invoice below.
        #[allow(clippy::needless_range_loop)]
        for index in 0..invoices.len() {
            let invoice = invoices[index].clone();
            let overdue_by = (today - invoice.due_date).num_days();
            let age = (today - invoice.date).num_days();
            let roll: f64 = rng.random();
            // Old bills are mostly paid, recent ones mostly open; some in two parts.
            let (paid_share, parts) = if overdue_by > 7 && roll < 0.85 || roll < 0.25 {
                (100, if rng.random_bool(0.15) { 2 } else { 1 })
            } else if age > 10 && roll < 0.95 {
                (rng.random_range(20..=80), 1)
            } else {
                (0, 0)
            };
            let to_pay = invoice.total * paid_share / 100;
            let mut paid = 0;
            for part in 0..parts {
                let amount = if part + 1 == parts {
                    to_pay - paid
                } else {
                    to_pay / 2
                };
                if amount <= 0 {
                    continue;
                }
                let latest = invoice.due_date.min(today);
                let span = (latest - invoice.date).num_days().max(0) as u64;
                let date = (invoice.date + Days::new(rng.random_range(0..=span))).min(today);
                let date = if part == 1 {
                    (date + Days::new(7)).min(today)
                } else {
                    date
                };
                paid += amount;
                let payment_index = payments.len();
                payments.push(Payment {
                    id: derived_uuid(&[&seed_bytes, b"payment", &payment_index.to_le_bytes()]),
                    number: 0,
                    invoice: index,
                    date,
                    amount,
                    base_amount: (amount as f64 * invoice.rate).round() as Cents,
                    reference: format!("Payment {}", invoice.doc_number),
                    updated: at_noon(date),
                });
                invoices[index].payments.push(payment_index);
            }
            invoices[index].amount_paid = paid;
            if let Some(last) = invoices[index].payments.last() {
                invoices[index].updated = payments[*last].updated;
            }
        }
        let mut order: Vec<usize> = (0..payments.len()).collect();
        order.sort_by_key(|i| (payments[*i].date, *i));
        let mut position = vec![0; payments.len()];
        for (rank, i) in order.iter().enumerate() {
            position[*i] = rank;
        }
        let mut sorted: Vec<Payment> = order.iter().map(|i| payments[*i].clone()).collect();
        for (rank, payment) in sorted.iter_mut().enumerate() {
            payment.number = rank as u32 + 1;
        }
        for invoice in &mut invoices {
            for payment in &mut invoice.payments {
                *payment = position[*payment];
            }
        }

        let monthly_level = rng.random_range(2_000_000..=12_000_000);
        Self {
            name: name.to_owned(),
            base_currency: base_currency.to_owned(),
            first_month,
            today,
            accounts,
            contacts,
            invoices,
            payments: sorted,
            seed: seed_bytes,
            monthly_level,
            rent: monthly_level / rng.random_range(8..=14),
            opening_equity: monthly_level * rng.random_range(2..=5),
            fixed_assets: monthly_level * rng.random_range(1..=3) / 2,
            tax_rate_percent,
        }
    }

    pub fn suppliers(&self) -> impl Iterator<Item = &Contact> {
        self.contacts.iter().filter(|contact| contact.is_supplier)
    }

    pub fn bills(&self) -> impl Iterator<Item = &Invoice> {
        self.invoices
            .iter()
            .filter(|invoice| invoice.kind == InvoiceKind::Payable)
    }

    /// Payments on bills (not on sales invoices).
    pub fn bill_payments(&self) -> impl Iterator<Item = &Payment> {
        self.payments
            .iter()
            .filter(|payment| self.invoices[payment.invoice].kind == InvoiceKind::Payable)
    }

    /// The profit and loss of the month `month` falls in.
    pub fn profit_and_loss_month(&self, month: NaiveDate) -> ProfitAndLoss {
        let month = month_start(month);
        let mut seed = [0u8; 32];
        let digest = Sha256::new()
            .chain_update(self.seed)
            .chain_update(month.year().to_le_bytes())
            .chain_update(month.month().to_le_bytes())
            .finalize();
        seed.copy_from_slice(&digest);
        let mut rng = StdRng::from_seed(seed);
        // December and the spring are busier; a little noise on everything.
        let season =
            [94, 92, 101, 104, 106, 100, 97, 95, 102, 104, 108, 117][month.month0() as usize];
        let sales = self.monthly_level * season / 100 * rng.random_range(88..=112) / 100;
        let share =
            |rng: &mut StdRng, low: i64, high: i64| sales * rng.random_range(low..=high) / 1000;
        let lines = self
            .accounts
            .iter()
            .enumerate()
            .map(|(index, account)| {
                let amount = match account.code {
                    "200" => sales,
                    "260" => share(&mut rng, 5, 30),
                    "300" => share(&mut rng, 250, 330),
                    "310" => share(&mut rng, 40, 90),
                    "400" => share(&mut rng, 10, 40),
                    "404" => share(&mut rng, 1, 4),
                    "412" => share(&mut rng, 5, 25),
                    "445" => share(&mut rng, 6, 12),
                    "453" => share(&mut rng, 5, 15),
                    "469" => self.rent,
                    "477" => share(&mut rng, 200, 260),
                    "489" => share(&mut rng, 3, 6),
                    _ => 0,
                };
                (index, amount)
            })
            .collect();
        ProfitAndLoss { lines }
    }

    /// The profit and loss of every month from `from`'s to `to`'s, both included.
    pub fn profit_and_loss(&self, from: NaiveDate, to: NaiveDate) -> ProfitAndLoss {
        let mut total = ProfitAndLoss::default();
        let mut month = month_start(from);
        while month <= to {
            total.add(&self.profit_and_loss_month(month));
            month = month + Months::new(1);
        }
        total
    }

    fn net_profit_between(&self, from: NaiveDate, to_exclusive: NaiveDate) -> Cents {
        if from >= to_exclusive {
            return 0;
        }
        let last = to_exclusive - Days::new(1);
        self.profit_and_loss(from, last).net_profit(self)
    }

    /// What is owed on invoices of `kind` at the end of `date`, in the base currency.
    pub fn outstanding(&self, kind: InvoiceKind, date: NaiveDate) -> Cents {
        self.invoices
            .iter()
            .filter(|invoice| invoice.kind == kind && invoice.date <= date)
            .map(|invoice| {
                let paid: Cents = invoice
                    .payments
                    .iter()
                    .map(|p| &self.payments[*p])
                    .filter(|payment| payment.date <= date)
                    .map(|payment| payment.base_amount)
                    .sum();
                invoice.base_total - paid
            })
            .sum()
    }

    /// The balance sheet at the end of `date` (calendar financial years).
    pub fn balance_sheet(&self, date: NaiveDate) -> BalanceSheet {
        let year_start = NaiveDate::from_ymd_opt(date.year(), 1, 1).expect("1 January");
        let month_after = month_start(date) + Months::new(1);
        let retained_earnings =
            self.opening_equity + self.net_profit_between(self.first_month, year_start);
        let current_year_earnings =
            self.net_profit_between(year_start.max(self.first_month), month_after);
        let accounts_receivable = self.outstanding(InvoiceKind::Receivable, date);
        let accounts_payable = self.outstanding(InvoiceKind::Payable, date);
        let month = self.profit_and_loss_month(date);
        let sales_tax = month.income(self) * self.tax_rate_percent.max(5) / 400;
        let total_liabilities = accounts_payable + sales_tax;
        let total_equity = retained_earnings + current_year_earnings;
        let bank = total_liabilities + total_equity - accounts_receivable - self.fixed_assets;
        BalanceSheet {
            date,
            bank,
            accounts_receivable,
            fixed_assets: self.fixed_assets,
            total_assets: bank + accounts_receivable + self.fixed_assets,
            accounts_payable,
            sales_tax,
            total_liabilities,
            retained_earnings,
            current_year_earnings,
            total_equity,
        }
    }
}

/// The figures an end-to-end test compares a client's reports with, as JSON: the last
/// twelve months' profit and loss and month-end balance sheets, and the counts and open
/// amounts of suppliers, bills and payments.
pub fn summary(books: &Books) -> serde_json::Value {
    let mut months = Vec::new();
    let mut month = month_start(books.today) - Months::new(11);
    while month <= books.today {
        let pnl = books.profit_and_loss_month(month);
        let balance = books.balance_sheet(month_end(month).min(books.today));
        months.push(serde_json::json!({
            "month": month.format("%Y-%m").to_string(),
            "income": format_cents(pnl.income(books)),
            "cost_of_sales": format_cents(pnl.cost_of_sales(books)),
            "gross_profit": format_cents(pnl.gross_profit(books)),
            "operating_expenses": format_cents(pnl.operating_expenses(books)),
            "net_profit": format_cents(pnl.net_profit(books)),
            "balance_sheet_date": balance.date.to_string(),
            "total_assets": format_cents(balance.total_assets),
            "total_liabilities": format_cents(balance.total_liabilities),
            "accounts_payable": format_cents(balance.accounts_payable),
            "total_equity": format_cents(balance.total_equity),
        }));
        month = month + Months::new(1);
    }
    serde_json::json!({
        "name": books.name,
        "base_currency": books.base_currency,
        "today": books.today.to_string(),
        "suppliers": books.suppliers().count(),
        "bills": books.bills().count(),
        "open_bills": books.bills().filter(|bill| !bill.is_paid()).count(),
        "bill_payments": books.bill_payments().count(),
        "months": months,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn books() -> Books {
        Books::generate(
            "tenant-1",
            "Demo",
            "GBP",
            NaiveDate::from_ymd_opt(2025, 6, 15).unwrap(),
        )
    }

    #[test]
    fn the_same_seed_gives_the_same_books() {
        let (a, b) = (books(), books());
        assert_eq!(a.invoices.len(), b.invoices.len());
        assert_eq!(
            a.profit_and_loss_month(a.today),
            b.profit_and_loss_month(b.today)
        );
        assert_eq!(a.balance_sheet(a.today), b.balance_sheet(b.today));
    }

    #[test]
    fn balance_sheets_balance_and_payables_are_the_open_bills() {
        let books = books();
        let today = books.balance_sheet(books.today);
        assert_eq!(
            today.total_assets,
            today.total_liabilities + today.total_equity
        );
        let open: Cents = books
            .bills()
            .map(|bill| {
                bill.base_total
                    - bill
                        .payments
                        .iter()
                        .map(|p| books.payments[*p].base_amount)
                        .sum::<Cents>()
            })
            .sum();
        assert_eq!(today.accounts_payable, open);
        assert!(books.bills().count() > 100, "more than one page of bills");
        assert!(books.bills().any(|bill| bill.currency != "GBP"));
        assert!(books.bills().any(|bill| !bill.is_paid()));
    }

    #[test]
    fn payments_follow_their_invoices() {
        let books = books();
        for payment in &books.payments {
            let invoice = &books.invoices[payment.invoice];
            assert!(payment.date >= invoice.date && payment.date <= books.today);
            assert!(
                invoice
                    .payments
                    .iter()
                    .any(|p| books.payments[*p].id == payment.id)
            );
        }
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(format_cents(123_456), "1234.56");
    }
}
