//! Reads an upload of 100,000 bills (and 2,000 suppliers, 50,000 payments) as CSV and
//! as an xlsx workbook, each in a process of its own, and reports the time each step
//! takes and the process's peak memory (VmHWM, from /proc/self/status).
//! `cargo run -p uploads --release --example upload_bench [BILLS]`.

use std::{fmt::Write as _, time::Instant};

use chrono::{Days, NaiveDate};
use rust_xlsxwriter::Workbook;
use uploads::{DateLocale, read_csv, read_xlsx};

const SUPPLIERS: &str =
    "Supplier ID,Supplier name,Contact name,Email,Phone,Payment terms,Payment method,Currency";
const BILLS: &str = "Bill ID,Supplier ID,Reference,Issue date,Due date,Currency,Total amount,Amount due,Description,Expense account";
const PAYMENTS: &str = "Payment ID,Bill ID,Supplier ID,Date,Currency,Amount,Payment method";

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The rows of the three sheets, as text cells.
fn rows(suppliers: usize, bills: usize) -> [Vec<Vec<String>>; 3] {
    let split = |header: &str| header.split(',').map(str::to_owned).collect::<Vec<_>>();
    let mut s = vec![split(SUPPLIERS)];
    for i in 0..suppliers {
        s.push(vec![
            format!("S{i}"),
            format!("Supplier number {i} Ltd"),
            format!("Contact {i}"),
            format!("ap{i}@supplier.example"),
            format!("+44 20 7946 {i:04}"),
            "Net 30".into(),
            "Bank transfer".into(),
            "GBP".into(),
        ]);
    }
    let mut b = vec![split(BILLS)];
    let mut p = vec![split(PAYMENTS)];
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
    for i in 0..bills {
        let issued = start + Days::new((i % 365) as u64);
        let due = issued + Days::new(30);
        let total = 100 + (i % 9_000);
        let paid = i % 2 == 0;
        b.push(vec![
            format!("B{i}"),
            format!("S{}", i % suppliers),
            format!("INV-{i}"),
            issued.format("%d/%m/%Y").to_string(),
            due.to_string(),
            "GBP".into(),
            format!("{total}.50"),
            if paid {
                "0".into()
            } else {
                format!("{total}.50")
            },
            "Goods".into(),
            "Purchases".into(),
        ]);
        if paid {
            p.push(vec![
                format!("P{i}"),
                format!("B{i}"),
                String::new(),
                due.format("%d/%m/%Y").to_string(),
                String::new(),
                format!("{total}.50"),
                String::new(),
            ]);
        }
    }
    [s, b, p]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, dir] = &args[..] {
        return read(mode, std::path::Path::new(dir));
    }
    let bills: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("upload-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    write_files(&dir, bills);
    // Each reading in a process of its own, so that its peak memory is its own.
    let me = std::env::current_exe().expect("this program's path");
    for mode in ["csv", "xlsx"] {
        let status = std::process::Command::new(&me)
            .arg(mode)
            .arg(&dir)
            .status()
            .expect("the reading process runs");
        assert!(status.success());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes the upload as `suppliers.csv`, `bills.csv`, `bill_payments.csv` and
/// `upload.xlsx`.
fn write_files(dir: &std::path::Path, bills: usize) {
    let sheets = rows(2_000, bills);
    let names = ["suppliers.csv", "bills.csv", "bill_payments.csv"];
    for (name, rows) in names.iter().zip(&sheets) {
        let mut text = String::new();
        for row in rows {
            let _ = writeln!(text, "{}", row.join(","));
        }
        std::fs::write(dir.join(name), text).expect("a CSV file written");
    }
    let mut workbook = Workbook::new();
    for (title, rows) in ["Suppliers", "Bills", "Bill payments"].iter().zip(&sheets) {
        let sheet = workbook.add_worksheet();
        let _ = sheet.set_name(*title);
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    let _ = sheet.write_string(r as u32, c as u16, cell);
                }
            }
        }
    }
    let xlsx = workbook.save_to_buffer().expect("the workbook is written");
    std::fs::write(dir.join("upload.xlsx"), xlsx).expect("the workbook saved");
    println!(
        "{bills} bills, 2,000 suppliers, {} payments",
        sheets[2].len() - 1
    );
}

fn read(mode: &str, dir: &std::path::Path) {
    let load = |name: &str| std::fs::read(dir.join(name)).expect("the file written before");
    let (upload, sizes, read) = match mode {
        "csv" => {
            let files: Vec<(&str, Vec<u8>)> = ["suppliers.csv", "bills.csv", "bill_payments.csv"]
                .into_iter()
                .map(|name| (name, load(name)))
                .collect();
            let sizes: Vec<usize> = files.iter().map(|(_, b)| b.len()).collect();
            let started = Instant::now();
            let upload = read_csv(&files, DateLocale::DayFirst).unwrap_or_else(|p| panic!("{p}"));
            (upload, sizes, started.elapsed())
        }
        _ => {
            let bytes = load("upload.xlsx");
            let started = Instant::now();
            let upload = read_xlsx(&bytes, DateLocale::DayFirst).unwrap_or_else(|p| panic!("{p}"));
            (upload, vec![bytes.len()], started.elapsed())
        }
    };
    let after_read = peak_rss_mb();
    let started = Instant::now();
    let texts = upload.report_texts();
    let text_bytes: usize = texts.iter().map(|(_, t)| t.len()).sum();
    let as_text = started.elapsed();
    let after_text = peak_rss_mb();
    drop(texts);
    let started = Instant::now();
    let values = upload.reports();
    let as_values = started.elapsed();
    drop(values);
    println!(
        "{mode} ({sizes:?} bytes): read in {read:?}, peak memory {after_read:.0} MB; \
         reports as JSON text ({text_bytes} bytes) in {as_text:?}, peak {after_text:.0} MB; \
         as serde_json::Value trees in {as_values:?}, peak {:.0} MB",
        peak_rss_mb()
    );
}
