//! Time and peak memory to write a large company's reports (docs/benchmarks.md,
//! "Reports"). Run with
//!
//! ```sh
//! cargo run --release -p reports --example export_bench -- --bills 100000
//! ```
//!
//! Each measurement runs in a fresh child process (this binary again, with `--kind` and
//! `--format`), which reports its own peak resident set size (`VmHWM`, Linux). Every
//! child first builds the stored payloads as the database hands them over (JSON text);
//! the `baseline` rows measure just that, and `json tree` what parsing the bills into a
//! `serde_json::Value` (the way the reports were read before) costs on top. `json` of a
//! fetched report (bills, suppliers) is what the API does for it: the stored text copied
//! into the response body; of a derived report, its tables.

use std::{fmt::Write as _, process::Command, time::Instant};

use chrono::{Days, NaiveDate};
use domain::ReportKind;
use reports::{Sources, TableFormat};

/// A deterministic pseudo-random sequence (xorshift), so every run writes the same data.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const METHODS: [&str; 4] = ["BankTransfer", "DirectDebit", "Card", "Cheque"];
const ACCOUNTS: [&str; 6] = [
    "Purchases",
    "Freight and delivery",
    "Software subscriptions",
    "Utilities",
    "Professional fees",
    "Office expenses",
];

/// Suppliers, bills and bill payments in the shape both providers store, as text.
fn payloads(bills: usize, as_of: NaiveDate) -> (String, String, String) {
    let suppliers = (bills / 50).max(1);
    let mut dice = Dice(0x5EED_CAFE);
    let mut s = String::from(r#"{"currency":"GBP","results":["#);
    for i in 0..suppliers {
        if i > 0 {
            s.push(',');
        }
        write!(
            s,
            r#"{{"id":"sup-{i:05}","supplierName":"Supplier {i} Ltd","contactName":"Contact {i}","emailAddress":"accounts@supplier{i}.example","phone":"+44 20 7946 {i:04}","status":"Active","defaultCurrency":"GBP","paymentTerms":"Net 30","paymentMethod":"{}"}}"#,
            METHODS[i % METHODS.len()]
        )
        .unwrap();
    }
    s.push_str("]}");
    let mut b = String::from(r#"{"currency":"GBP","results":["#);
    let mut p = String::from(r#"{"currency":"GBP","results":["#);
    let mut payments = 0;
    for n in 0..bills {
        let supplier = dice.below(suppliers as u64);
        let issued = as_of - Days::new(dice.below(365));
        let due = issued + Days::new(30);
        let lines = 1 + dice.below(3);
        let amounts: Vec<f64> = (0..lines)
            .map(|_| (10_000 + dice.below(500_000)) as f64 / 100.0)
            .collect();
        let total = (amounts.iter().sum::<f64>() * 100.0).round() / 100.0;
        let paid = due < as_of && dice.below(10) < 9;
        let amount_due = if paid { 0.0 } else { total };
        if n > 0 {
            b.push(',');
        }
        write!(
            b,
            r#"{{"id":"bill-{n:06}","reference":"INV-{n:06}","supplierRef":{{"id":"sup-{supplier:05}","supplierName":"Supplier {supplier} Ltd"}},"issueDate":"{issued}","dueDate":"{due}","currency":"GBP","totalAmount":{total},"amountDue":{amount_due},"status":"{}","paymentTerms":"Net 30","lineItems":["#,
            if paid { "Paid" } else { "Open" }
        )
        .unwrap();
        for (l, amount) in amounts.iter().enumerate() {
            if l > 0 {
                b.push(',');
            }
            write!(
                b,
                r#"{{"description":"Item {l}","accountName":"{}","totalAmount":{amount}}}"#,
                ACCOUNTS[(supplier as usize + l) % ACCOUNTS.len()]
            )
            .unwrap();
        }
        b.push_str("]}");
        if paid {
            if payments > 0 {
                p.push(',');
            }
            payments += 1;
            write!(
                p,
                r#"{{"id":"pay-{n:06}","supplierRef":{{"id":"sup-{supplier:05}","supplierName":"Supplier {supplier} Ltd"}},"date":"{}","currency":"GBP","totalAmount":{total},"paymentMethod":"{}","lines":[{{"billId":"bill-{n:06}","amount":{total}}}]}}"#,
                due.min(as_of),
                METHODS[supplier as usize % METHODS.len()]
            )
            .unwrap();
        }
    }
    b.push_str("]}");
    p.push_str("]}");
    (s, b, p)
}

/// This process's peak resident set size, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn table_format(format: &str) -> TableFormat {
    match format {
        "csv" => TableFormat::Csv,
        "xlsx" => TableFormat::Xlsx,
        _ => TableFormat::Json,
    }
}

/// One measurement: `kind` and `format`, or `baseline` / `tree`. Prints
/// `millis peak_kib output_bytes source_bytes`.
fn child(bills: usize, kind: &str, format: &str) {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let (suppliers, bill_text, payment_text) = payloads(bills, as_of);
    let source_bytes = suppliers.len() + bill_text.len() + payment_text.len();
    let started = Instant::now();
    let output = match (kind, format) {
        ("baseline", _) => 0,
        ("tree", _) => {
            let tree: serde_json::Value = serde_json::from_str(&bill_text).unwrap();
            usize::from(tree.is_object())
        }
        ("consolidated", format) => {
            // One entity: what reading it by currency costs next to the other reports.
            let sources = Sources::new("Large Company Ltd", as_of)
                .with(ReportKind::Bills, &bill_text)
                .with(ReportKind::BillPayments, &payment_text);
            let format = table_format(format);
            let sheet = (format == TableFormat::Csv).then_some("spend_analysis");
            reports::write_consolidated(&[sources], format, sheet)
                .unwrap()
                .len()
        }
        (kind, "json") if !kind.parse::<ReportKind>().unwrap().is_derived() => {
            // The API answers a fetched report's JSON with the stored text as `data`,
            // copied into the body without parsing it.
            let text = match kind {
                "suppliers" => &suppliers,
                "bill_payments" => &payment_text,
                _ => &bill_text,
            };
            let mut body = Vec::with_capacity(text.len() + 256);
            body.extend_from_slice(br#"{"kind":"bills","data":"#);
            body.extend_from_slice(text.as_bytes());
            body.push(b'}');
            body.len()
        }
        (kind, format) => {
            let kind: ReportKind = kind.parse().unwrap();
            let format = table_format(format);
            let sources = Sources::new("Large Company Ltd", as_of)
                .with(ReportKind::Suppliers, &suppliers)
                .with(ReportKind::Bills, &bill_text)
                .with(ReportKind::BillPayments, &payment_text);
            let sheet = (format == TableFormat::Csv && kind == ReportKind::SpendAnalysis)
                .then_some("bills");
            reports::write(kind, &sources, format, sheet).unwrap().len()
        }
    };
    let millis = started.elapsed().as_millis();
    println!("{millis} {} {output} {source_bytes}", peak_rss_kib());
}

fn main() {
    let bills: usize = arg("--bills").map_or(100_000, |n| n.parse().unwrap());
    if let (Some(kind), Some(format)) = (arg("--kind"), arg("--format")) {
        return child(bills, &kind, &format);
    }
    let mut runs = vec![
        ("baseline".to_owned(), "-".to_owned()),
        ("tree".to_owned(), "-".to_owned()),
    ];
    for kind in [
        "bills",
        "suppliers",
        "aged_payables",
        "spend_analysis",
        "consolidated",
    ] {
        for format in ["csv", "xlsx", "json"] {
            runs.push((kind.to_owned(), format.to_owned()));
        }
    }
    let me = std::env::current_exe().unwrap();
    println!("{bills} bills\n");
    println!("| report | format | time | peak RSS | file |");
    println!("|---|---|---:|---:|---:|");
    for (kind, format) in runs {
        let out = Command::new(&me)
            .args([
                "--bills",
                &bills.to_string(),
                "--kind",
                &kind,
                "--format",
                &format,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8(out.stdout).unwrap();
        let f: Vec<u64> = line
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        let (label, format) = match kind.as_str() {
            "baseline" => (
                format!(
                    "baseline: the stored text only ({:.1} MB)",
                    f[3] as f64 / 1e6
                ),
                "-".to_owned(),
            ),
            "tree" => (
                "bills parsed into a serde_json::Value".to_owned(),
                "-".to_owned(),
            ),
            _ => (kind, format),
        };
        let file = if f[2] > 1 {
            format!("{:.1} MB", f[2] as f64 / 1e6)
        } else {
            "-".to_owned()
        };
        println!(
            "| {label} | {format} | {:.2} s | {:.0} MB | {file} |",
            f[0] as f64 / 1000.0,
            f[1] as f64 / 1024.0,
        );
    }
}
