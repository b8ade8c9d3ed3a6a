//! The built-in sandbox platform: deterministic synthetic books per company.
//!
//! The same company and month always give the same figures, so a refresh changes only
//! what time changes (bills get paid, a new month appears). Latency and a failure rate
//! can be injected to exercise the refresh path.

use std::time::Duration;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use domain::{CompanyId, DataType, ErrorCode, ReportKind};
use rand::{Rng, SeedableRng, seq::IndexedRandom};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use crate::{FetchError, FetchFuture, FetchRequest, FetchedReport, Provider};

/// How the sandbox behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SandboxConfig {
    /// Time each fetch of one data type takes, from the call to the answer.
    pub latency: Duration,
    /// Probability (0 to 1) that a fetch fails with a transient error.
    pub failure_rate: f64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(1500),
            failure_rate: 0.0,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct SandboxProvider {
    config: SandboxConfig,
}

impl SandboxProvider {
    pub const PLATFORM: &'static str = "sandbox";

    pub fn new(config: SandboxConfig) -> Self {
        Self { config }
    }
}

impl Provider for SandboxProvider {
    fn platform(&self) -> &'static str {
        Self::PLATFORM
    }

    fn fetch(&self, request: FetchRequest) -> FetchFuture<'_> {
        Box::pin(async move {
            // The latency is the whole answer's time, as an upstream's would be: the books
            // are made while it runs, not after it.
            let answer_at = tokio::time::Instant::now() + self.config.latency;
            let failed = self.config.failure_rate > 0.0
                && rand::rng().random_bool(self.config.failure_rate.min(1.0));
            let reports = (!failed).then(|| {
                SandboxBooks::new(request.company, &request.company_name, request.as_of)
                    .reports(request.data_type)
            });
            tokio::time::sleep_until(answer_at).await;
            reports.ok_or_else(|| {
                FetchError::transient(
                    ErrorCode::ProviderUnavailable,
                    "The sandbox accounting platform did not respond (injected failure). Try Refresh data again later.",
                )
            })
        })
    }
}

const CURRENCIES: [&str; 3] = ["GBP", "EUR", "USD"];
const SUPPLIER_FIRST: [&str; 16] = [
    "Northwind",
    "Bluebell",
    "Harbour",
    "Summit",
    "Ironbridge",
    "Crescent",
    "Meridian",
    "Oakfield",
    "Silverline",
    "Redwood",
    "Kestrel",
    "Lakeside",
    "Granite",
    "Evergreen",
    "Pioneer",
    "Beacon",
];
const SUPPLIER_SECOND: [&str; 12] = [
    "Logistics",
    "Packaging",
    "Office Supplies",
    "Software",
    "Energy",
    "Freight",
    "Consulting",
    "Print",
    "Cleaning Services",
    "Telecom",
    "Components",
    "Catering",
];
const SUPPLIER_SUFFIX: [&str; 4] = ["Ltd", "plc", "LLP", "& Co"];
/// The expense account a supplier's bill lines are coded to, by what the supplier sells
/// (the second word of its name, from `SUPPLIER_SECOND`).
const EXPENSE_ACCOUNTS: [(&str, &str); 12] = [
    ("Logistics", "Freight and delivery"),
    ("Packaging", "Purchases"),
    ("Office", "Office expenses"),
    ("Software", "Software subscriptions"),
    ("Energy", "Utilities"),
    ("Freight", "Freight and delivery"),
    ("Consulting", "Professional fees"),
    ("Print", "Printing and stationery"),
    ("Cleaning", "Repairs and maintenance"),
    ("Telecom", "Telephone and internet"),
    ("Components", "Purchases"),
    ("Catering", "Staff welfare"),
];
const CONTACTS: [&str; 8] = [
    "Sam Patel",
    "Alex Morgan",
    "Jo Williams",
    "Chris Evans",
    "Priya Shah",
    "Tom Baker",
    "Nina Kowalski",
    "Lee Chen",
];
const TERMS: [(&str, u64); 4] = [
    ("Net 14", 14),
    ("Net 30", 30),
    ("Net 45", 45),
    ("Net 60", 60),
];
const PAYMENT_METHODS: [&str; 4] = ["BankTransfer", "DirectDebit", "Card", "Cheque"];
const EXPENSES: [(&str, f64); 7] = [
    ("Salaries", 0.18),
    ("Rent", 0.05),
    ("Utilities", 0.015),
    ("Software subscriptions", 0.02),
    ("Marketing", 0.03),
    ("Travel", 0.01),
    ("Professional fees", 0.012),
];

/// Rounds to cents.
fn money(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("day 1 exists")
}

fn month_end(start: NaiveDate) -> NaiveDate {
    start + Months::new(1) - Days::new(1)
}

struct Supplier {
    id: String,
    name: String,
    /// The expense account its bills are coded to.
    account: &'static str,
    terms: (&'static str, u64),
    method: &'static str,
    /// Typical bill size.
    scale: f64,
}

struct Bill {
    id: String,
    reference: String,
    supplier: usize,
    issue_date: NaiveDate,
    due_date: NaiveDate,
    total: f64,
    paid: f64,
    paid_on: Option<NaiveDate>,
    lines: Vec<(String, f64)>,
}

/// Accounts as (name, amount) pairs.
type Accounts = Vec<(&'static str, f64)>;

/// One month of the profit and loss: income, cost of sales, expenses, interest.
type MonthFigures = (Accounts, Accounts, Accounts, f64);

/// A company's synthetic books as of one day.
pub struct SandboxBooks {
    seed: u64,
    currency: &'static str,
    company_name: String,
    monthly_revenue: f64,
    gross_margin: f64,
    as_of: NaiveDate,
    suppliers: Vec<Supplier>,
    bills: Vec<Bill>,
}

impl SandboxBooks {
    pub fn new(company: CompanyId, company_name: &str, as_of: DateTime<Utc>) -> Self {
        let bits = company.as_uuid().as_u128();
        let seed = (bits as u64) ^ ((bits >> 64) as u64);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let currency = *CURRENCIES.choose(&mut rng).expect("not empty");
        let monthly_revenue = rng.random_range(40_000.0..1_500_000.0_f64).round();
        let gross_margin = rng.random_range(0.28..0.62);
        let supplier_count = rng.random_range(8..=24);
        let suppliers = (0..supplier_count)
            .map(|i| {
                let name = format!(
                    "{} {} {}",
                    SUPPLIER_FIRST.choose(&mut rng).expect("not empty"),
                    SUPPLIER_SECOND.choose(&mut rng).expect("not empty"),
                    SUPPLIER_SUFFIX.choose(&mut rng).expect("not empty"),
                );
                let account = EXPENSE_ACCOUNTS
                    .iter()
                    .find(|(word, _)| name.split(' ').nth(1) == Some(*word))
                    .map_or("Purchases", |(_, account)| account);
                Supplier {
                    id: format!("sup-{:03}", i + 1),
                    name,
                    account,
                    terms: *TERMS.choose(&mut rng).expect("not empty"),
                    method: PAYMENT_METHODS.choose(&mut rng).expect("not empty"),
                    scale: monthly_revenue * rng.random_range(0.004..0.04),
                }
            })
            .collect::<Vec<_>>();
        let as_of = as_of.date_naive();
        let mut books = Self {
            seed,
            currency,
            company_name: company_name.to_owned(),
            monthly_revenue,
            gross_margin,
            as_of,
            suppliers,
            bills: Vec::new(),
        };
        books.bills = books.make_bills();
        books
    }

    /// The twelve months ending with the one `as_of` falls in, oldest first.
    fn months(&self) -> Vec<NaiveDate> {
        let current = month_start(self.as_of);
        (0..12)
            .rev()
            .map(|back| current - Months::new(back))
            .collect()
    }

    /// A generator for one month's figures: the same month always draws the same numbers.
    fn month_rng(&self, month: NaiveDate, salt: u64) -> ChaCha8Rng {
        let index = (month.year() as u64) * 12 + u64::from(month.month());
        ChaCha8Rng::seed_from_u64(self.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt)
    }

    fn make_bills(&self) -> Vec<Bill> {
        let mut bills = Vec::new();
        for month in self.months() {
            let mut rng = self.month_rng(month, 1);
            let last_day = month_end(month).day();
            for (index, supplier) in self.suppliers.iter().enumerate() {
                let count = rng.random_range(0..=2);
                for n in 0..count {
                    let issue_date = month
                        .with_day(rng.random_range(1..=last_day))
                        .expect("valid day");
                    if issue_date > self.as_of {
                        continue;
                    }
                    let due_date = issue_date + Days::new(supplier.terms.1);
                    let line_count = rng.random_range(1..=3);
                    let lines: Vec<(String, f64)> = (0..line_count)
                        .map(|l| {
                            (
                                format!(
                                    "{} item {}",
                                    supplier.name.split(' ').nth(1).unwrap_or("Goods"),
                                    l + 1
                                ),
                                money(supplier.scale * rng.random_range(0.2..0.8)),
                            )
                        })
                        .collect();
                    let total = money(lines.iter().map(|(_, amount)| amount).sum());
                    // Most bills are paid around their due date; some late, some early.
                    let pay_after = rng.random_range(0..(supplier.terms.1 + 25));
                    let paid_on = issue_date + Days::new(pay_after);
                    let partial = rng.random_bool(0.1);
                    let (paid, paid_on) = if paid_on <= self.as_of {
                        if partial {
                            (money(total * 0.5), Some(paid_on))
                        } else {
                            (total, Some(paid_on))
                        }
                    } else {
                        (0.0, None)
                    };
                    bills.push(Bill {
                        id: format!(
                            "bill-{}{:02}-{}-{}",
                            month.year(),
                            month.month(),
                            supplier.id,
                            n + 1
                        ),
                        reference: format!(
                            "INV-{}{:02}{:03}{}",
                            month.year() % 100,
                            month.month(),
                            index + 1,
                            n + 1
                        ),
                        supplier: index,
                        issue_date,
                        due_date,
                        total,
                        paid,
                        paid_on,
                        lines,
                    });
                }
            }
        }
        bills.sort_by(|a, b| a.issue_date.cmp(&b.issue_date).then(a.id.cmp(&b.id)));
        bills
    }

    /// Money owed to suppliers on `date` (bills issued by then, less what was paid by then).
    fn payables_on(&self, date: NaiveDate) -> f64 {
        money(
            self.bills
                .iter()
                .filter(|b| b.issue_date <= date)
                .map(|b| match b.paid_on {
                    Some(paid_on) if paid_on <= date => b.total - b.paid,
                    _ => b.total,
                })
                .sum(),
        )
    }

    /// Every report of one data type.
    pub fn reports(&self, data_type: DataType) -> Vec<FetchedReport> {
        data_type
            .reports()
            .iter()
            .map(|&kind| FetchedReport {
                kind,
                payload: self.report(kind),
            })
            .collect()
    }

    pub fn report(&self, kind: ReportKind) -> Value {
        match kind {
            ReportKind::ProfitAndLoss => self.profit_and_loss(),
            ReportKind::BalanceSheet => self.balance_sheet(),
            ReportKind::Suppliers => self.supplier_list(),
            ReportKind::Bills => self.bill_list(),
            ReportKind::BillPayments => self.bill_payment_list(),
            // No platform provides these: crate `reports` derives them from the others.
            ReportKind::SpendAnalysis | ReportKind::AgedPayables => Value::Null,
        }
    }

    fn section(accounts: &[(&str, f64)]) -> Value {
        let total = money(accounts.iter().map(|(_, v)| v).sum());
        json!({
            "total": total,
            "accounts": accounts.iter().map(|(name, value)| json!({"name": name, "value": money(*value)})).collect::<Vec<_>>(),
        })
    }

    fn month_figures(&self, month: NaiveDate) -> MonthFigures {
        let mut rng = self.month_rng(month, 2);
        // A gentle seasonal swing around the company's typical month.
        let season = 1.0 + 0.12 * ((month.month() as f64) / 12.0 * std::f64::consts::TAU).sin();
        let revenue = self.monthly_revenue * season * rng.random_range(0.9..1.1);
        let income = vec![("Sales", revenue * 0.85), ("Services", revenue * 0.15)];
        let cost = revenue * (1.0 - self.gross_margin);
        let cost_of_sales = vec![("Purchases", cost * 0.7), ("Direct labour", cost * 0.3)];
        let expenses = EXPENSES
            .iter()
            .map(|&(name, share)| (name, revenue * share * rng.random_range(0.85..1.15)))
            .collect();
        let interest = revenue * 0.004;
        (income, cost_of_sales, expenses, interest)
    }

    fn profit_and_loss(&self) -> Value {
        let periods: Vec<Value> = self
            .months()
            .into_iter()
            .map(|month| {
                let (income, cost_of_sales, expenses, interest) = self.month_figures(month);
                let income = Self::section(&income);
                let cost_of_sales = Self::section(&cost_of_sales);
                let expenses = Self::section(&expenses);
                let gross_profit = money(
                    income["total"].as_f64().unwrap_or(0.0)
                        - cost_of_sales["total"].as_f64().unwrap_or(0.0),
                );
                let operating = money(gross_profit - expenses["total"].as_f64().unwrap_or(0.0));
                json!({
                    "fromDate": month.to_string(),
                    "toDate": month_end(month).to_string(),
                    "income": income,
                    "costOfSales": cost_of_sales,
                    "grossProfit": gross_profit,
                    "expenses": expenses,
                    "netOperatingProfit": operating,
                    "otherExpenses": Self::section(&[("Interest expense", interest)]),
                    "netProfit": money(operating - money(interest)),
                })
            })
            .collect();
        json!({
            "companyName": self.company_name,
            "currency": self.currency,
            "reportBasis": "Accrual",
            "periods": periods,
        })
    }

    fn balance_sheet(&self) -> Value {
        let mut retained = self.monthly_revenue * 2.0;
        let reports: Vec<Value> = self
            .months()
            .into_iter()
            .map(|month| {
                let (income, cost_of_sales, expenses, interest) = self.month_figures(month);
                let sum = |v: &[(&str, f64)]| v.iter().map(|(_, x)| x).sum::<f64>();
                retained += sum(&income) - sum(&cost_of_sales) - sum(&expenses) - interest;
                let date = month_end(month).min(self.as_of);
                let mut rng = self.month_rng(month, 3);
                let payables = self.payables_on(date);
                let receivables = sum(&income) * rng.random_range(0.9..1.4);
                let inventory = sum(&cost_of_sales) * rng.random_range(0.4..0.8);
                let fixed = self.monthly_revenue * 1.5;
                let loans = self.monthly_revenue * 0.8;
                let taxes = sum(&income) * 0.08;
                let share_capital = self.monthly_revenue * 0.5;
                let liabilities = payables + taxes + loans;
                let equity = share_capital + retained;
                // Cash is what makes the books balance, as it does in real life.
                let cash = liabilities + equity - receivables - inventory - fixed;
                let assets = [
                    ("Cash at bank", cash),
                    ("Accounts receivable", receivables),
                    ("Inventory", inventory),
                    ("Property, plant and equipment", fixed),
                ];
                let liability_accounts = [
                    ("Accounts payable", payables),
                    ("VAT and taxes payable", taxes),
                    ("Bank loans", loans),
                ];
                let assets_section = Self::section(&assets);
                let liabilities_section = Self::section(&liability_accounts);
                let net_assets = money(
                    assets_section["total"].as_f64().unwrap_or(0.0)
                        - liabilities_section["total"].as_f64().unwrap_or(0.0),
                );
                // Equity is stated as net assets so the statement balances to the cent.
                let equity_section = json!({
                    "total": net_assets,
                    "accounts": [
                        {"name": "Share capital", "value": money(share_capital)},
                        {"name": "Retained earnings", "value": money(net_assets - money(share_capital))},
                    ],
                });
                json!({
                    "date": date.to_string(),
                    "assets": assets_section,
                    "liabilities": liabilities_section,
                    "equity": equity_section,
                    "netAssets": net_assets,
                })
            })
            .collect();
        json!({
            "companyName": self.company_name,
            "currency": self.currency,
            "reports": reports,
        })
    }

    fn supplier_list(&self) -> Value {
        json!({
            "currency": self.currency,
            "results": self.suppliers.iter().enumerate().map(|(i, s)| json!({
                "id": s.id,
                "supplierName": s.name,
                "contactName": CONTACTS[i % CONTACTS.len()],
                "phone": format!("+44 20 7946 {:04}", 100 + i),
                "status": "Active",
                "defaultCurrency": self.currency,
                "paymentTerms": s.terms.0,
                "paymentMethod": s.method,
                "emailAddress": format!("accounts@{}.example", s.name.split(' ').next().unwrap_or("supplier").to_lowercase()),
            })).collect::<Vec<_>>(),
        })
    }

    fn bill_list(&self) -> Value {
        json!({
            "currency": self.currency,
            "results": self.bills.iter().map(|b| {
                let supplier = &self.suppliers[b.supplier];
                let (due, status) = match b.paid_on {
                    Some(_) if b.paid >= b.total => (0.0, "Paid"),
                    Some(_) => (money(b.total - b.paid), "PartiallyPaid"),
                    None => (b.total, "Open"),
                };
                json!({
                    "id": b.id,
                    "reference": b.reference,
                    "supplierRef": {"id": supplier.id, "supplierName": supplier.name},
                    "issueDate": b.issue_date.to_string(),
                    "dueDate": b.due_date.to_string(),
                    "currency": self.currency,
                    "totalAmount": b.total,
                    "amountDue": due,
                    "status": status,
                    "paymentTerms": supplier.terms.0,
                    "lineItems": b.lines.iter().map(|(description, amount)| json!({
                        "description": description,
                        "accountName": supplier.account,
                        "totalAmount": amount,
                    })).collect::<Vec<_>>(),
                })
            }).collect::<Vec<_>>(),
        })
    }

    fn bill_payment_list(&self) -> Value {
        json!({
            "currency": self.currency,
            "results": self.bills.iter().filter_map(|b| {
                let paid_on = b.paid_on?;
                let supplier = &self.suppliers[b.supplier];
                Some(json!({
                    "id": format!("pay-{}", b.id.trim_start_matches("bill-")),
                    "supplierRef": {"id": supplier.id, "supplierName": supplier.name},
                    "date": paid_on.to_string(),
                    "currency": self.currency,
                    "totalAmount": b.paid,
                    "paymentMethod": supplier.method,
                    "lines": [{"billId": b.id, "amount": b.paid}],
                }))
            }).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;

    fn books(at: DateTime<Utc>) -> SandboxBooks {
        SandboxBooks::new(CompanyId::from_uuid(Uuid::from_u128(42)), "Acme Ltd", at)
    }

    fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn the_same_company_and_day_give_the_same_books() {
        let at = day(2026, 11, 26);
        for kind in ReportKind::ALL.into_iter().filter(|k| !k.is_derived()) {
            assert_eq!(books(at).report(kind), books(at).report(kind));
        }
        let other = SandboxBooks::new(CompanyId::from_uuid(Uuid::from_u128(43)), "Other", at);
        assert_ne!(
            other.report(ReportKind::Bills),
            books(at).report(ReportKind::Bills)
        );
    }

    #[test]
    fn balance_sheets_balance_and_payables_match_the_open_bills() {
        let b = books(day(2026, 11, 26));
        let sheet = b.report(ReportKind::BalanceSheet);
        let reports = sheet["reports"].as_array().unwrap();
        assert_eq!(reports.len(), 12);
        for report in reports {
            let assets = report["assets"]["total"].as_f64().unwrap();
            let liabilities = report["liabilities"]["total"].as_f64().unwrap();
            let equity = report["equity"]["total"].as_f64().unwrap();
            assert!((assets - liabilities - equity).abs() < 0.011, "{report}");
        }
        let latest = reports.last().unwrap();
        let payables = latest["liabilities"]["accounts"][0]["value"]
            .as_f64()
            .unwrap();
        let open: f64 = b.report(ReportKind::Bills)["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|bill| bill["amountDue"].as_f64().unwrap())
            .sum();
        assert!((payables - open).abs() < 0.05, "{payables} vs {open}");
    }

    #[test]
    fn profit_and_loss_adds_up() {
        let pl = books(day(2026, 11, 26)).report(ReportKind::ProfitAndLoss);
        for period in pl["periods"].as_array().unwrap() {
            let gross = period["income"]["total"].as_f64().unwrap()
                - period["costOfSales"]["total"].as_f64().unwrap();
            assert!((gross - period["grossProfit"].as_f64().unwrap()).abs() < 0.011);
        }
    }

    #[test]
    fn time_moves_bills_towards_paid() {
        let early = books(day(2026, 10, 1)).report(ReportKind::BillPayments);
        let later = books(day(2026, 11, 26)).report(ReportKind::BillPayments);
        assert!(
            later["results"].as_array().unwrap().len()
                > early["results"].as_array().unwrap().len() / 2
        );
        let payments = later["results"].as_array().unwrap();
        assert!(
            payments
                .iter()
                .all(|p| p["date"].as_str().unwrap() <= "2026-11-26")
        );
    }

    #[test]
    fn each_data_type_yields_exactly_its_reports() {
        let b = books(day(2026, 11, 26));
        for data_type in DataType::ALL {
            let kinds: Vec<_> = b.reports(data_type).into_iter().map(|r| r.kind).collect();
            assert_eq!(kinds, data_type.reports());
        }
    }
}
