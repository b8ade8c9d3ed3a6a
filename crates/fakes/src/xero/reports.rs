//! `Reports/ProfitAndLoss` and `Reports/BalanceSheet` in Xero's report shape: a
//! `Header` row, `Section`s of `Row`s with account attributes, `SummaryRow` totals, one
//! column per period, newest first (the `periods` and `timeframe` parameters compare
//! earlier periods of the same length).
//!
//! A period's figures are those of the calendar months it touches: the books are kept by
//! month.

use actix_web::HttpResponse;
use chrono::{Months, NaiveDate};
use serde_json::{Value, json};

use super::api::{Call, envelope, ms_datetime, validation_error};
use crate::books::{AccountClass, Books, ProfitAndLoss, format_cents, month_end, month_start};

fn date_param(call: &Call<'_>, name: &str) -> Result<Option<NaiveDate>, HttpResponse> {
    call.query
        .get(name)
        .map(|value| {
            NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map_err(|_| validation_error(&format!("{name} must be a date like 2024-01-31")))
        })
        .transpose()
}

/// `periods` (1 to 12 comparison periods) and `timeframe`'s length in months.
fn comparisons(call: &Call<'_>) -> Result<(u32, u32), HttpResponse> {
    let periods = match call.query.get("periods") {
        Some(periods) => periods
            .parse::<u32>()
            .ok()
            .filter(|p| (1..=12).contains(p))
            .ok_or_else(|| validation_error("periods must be an integer between 1 and 12"))?,
        None => 0,
    };
    let step = match call.query.get("timeframe").unwrap_or("MONTH") {
        "MONTH" => 1,
        "QUARTER" => 3,
        "YEAR" => 12,
        _ => return Err(validation_error("timeframe must be MONTH, QUARTER or YEAR")),
    };
    Ok((periods, step))
}

/// `date` moved back `months`, staying on the last day of the month if it was on it.
fn back(date: NaiveDate, months: u32) -> NaiveDate {
    let moved = date - Months::new(months);
    if date == month_end(date) {
        month_end(moved)
    } else {
        moved
    }
}

fn cell(value: impl Into<String>) -> Value {
    json!({ "Value": value.into() })
}

fn account_cell(value: impl Into<String>, account: &crate::books::Account) -> Value {
    json!({ "Value": value.into(), "Attributes": [{ "Value": account.id, "Id": "account" }] })
}

fn row(cells: Vec<Value>) -> Value {
    json!({ "RowType": "Row", "Cells": cells })
}

fn summary_row(cells: Vec<Value>) -> Value {
    json!({ "RowType": "SummaryRow", "Cells": cells })
}

fn section(title: &str, rows: Vec<Value>) -> Value {
    json!({ "RowType": "Section", "Title": title, "Rows": rows })
}

fn header(labels: impl Iterator<Item = String>) -> Value {
    let mut cells = vec![cell("")];
    cells.extend(labels.map(cell));
    json!({ "RowType": "Header", "Cells": cells })
}

fn figures(label: &str, values: impl Iterator<Item = i64>) -> Vec<Value> {
    let mut cells = vec![cell(label)];
    cells.extend(values.map(|value| cell(format_cents(value))));
    cells
}

fn report(call: &Call<'_>, id: &str, name: &str, titles: Vec<String>, rows: Vec<Value>) -> Value {
    let mut body = envelope(call);
    body.insert(
        "Reports".into(),
        json!([{
            "ReportID": id,
            "ReportName": name,
            "ReportType": id,
            "ReportTitles": titles,
            "ReportDate": call.now.format("%-d %B %Y").to_string(),
            "UpdatedDateUTC": ms_datetime(call.now),
            "Fields": [],
            "Rows": rows,
        }]),
    );
    Value::Object(body)
}

fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

fn short_date(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

pub(super) fn profit_and_loss(call: &Call<'_>) -> Result<Value, HttpResponse> {
    let books = call.books;
    let today = call.now.date_naive();
    let (from, to) = match (date_param(call, "fromDate")?, date_param(call, "toDate")?) {
        (Some(from), Some(to)) => (from, to),
        (Some(from), None) => (from, month_end(from)),
        (None, Some(to)) => (month_start(to), to),
        (None, None) => (month_start(today), month_end(today)),
    };
    if from > to {
        return Err(validation_error("fromDate must not be after toDate"));
    }
    let (periods, step) = comparisons(call)?;
    let columns: Vec<(NaiveDate, NaiveDate, ProfitAndLoss)> = (0..=periods)
        .map(|k| {
            let (from, to) = (back(from, k * step), back(to, k * step));
            (from, to, books.profit_and_loss(from, to))
        })
        .collect();
    let class_rows =
        |class: AccountClass| -> Vec<Value> {
            books
                .accounts
                .iter()
                .enumerate()
                .filter(|(_, account)| account.class == class)
                .map(|(index, account)| {
                    let mut cells = vec![account_cell(account.name, account)];
                    cells.extend(columns.iter().map(|(_, _, pnl)| {
                        account_cell(format_cents(pnl.lines[index].1), account)
                    }));
                    row(cells)
                })
                .collect()
        };
    let total = |label: &str, f: fn(&ProfitAndLoss, &Books) -> i64| {
        figures(label, columns.iter().map(|(_, _, pnl)| f(pnl, books)))
    };
    let with_total = |mut rows: Vec<Value>, total: Vec<Value>| {
        rows.push(summary_row(total));
        rows
    };
    let rows = vec![
        header(columns.iter().map(|(_, to, _)| short_date(*to))),
        section(
            "Income",
            with_total(
                class_rows(AccountClass::Revenue),
                total("Total Income", ProfitAndLoss::income),
            ),
        ),
        section(
            "Less Cost of Sales",
            with_total(
                class_rows(AccountClass::CostOfSales),
                total("Total Cost of Sales", ProfitAndLoss::cost_of_sales),
            ),
        ),
        section(
            "",
            vec![row(total("Gross Profit", ProfitAndLoss::gross_profit))],
        ),
        section(
            "Less Operating Expenses",
            with_total(
                class_rows(AccountClass::Expense),
                total(
                    "Total Operating Expenses",
                    ProfitAndLoss::operating_expenses,
                ),
            ),
        ),
        section(
            "",
            vec![row(total("Net Profit", ProfitAndLoss::net_profit))],
        ),
    ];
    let titles = vec![
        "Profit and Loss".to_owned(),
        books.name.clone(),
        format!("{} to {}", long_date(from), long_date(to)),
    ];
    Ok(report(
        call,
        "ProfitAndLoss",
        "Profit and Loss",
        titles,
        rows,
    ))
}

pub(super) fn balance_sheet(call: &Call<'_>) -> Result<Value, HttpResponse> {
    let books = call.books;
    let date = date_param(call, "date")?.unwrap_or_else(|| call.now.date_naive());
    let (periods, step) = comparisons(call)?;
    let sheets: Vec<_> = (0..=periods)
        .map(|k| books.balance_sheet(back(date, k * step)))
        .collect();
    let account = |label: &str, f: fn(&crate::books::BalanceSheet) -> i64| {
        row(figures(label, sheets.iter().map(f)))
    };
    let total = |label: &str, f: fn(&crate::books::BalanceSheet) -> i64| {
        summary_row(figures(label, sheets.iter().map(f)))
    };
    let rows = vec![
        header(sheets.iter().map(|sheet| short_date(sheet.date))),
        section("Assets", vec![]),
        section(
            "Bank",
            vec![
                account("Business Bank Account", |s| s.bank),
                total("Total Bank", |s| s.bank),
            ],
        ),
        section(
            "Current Assets",
            vec![
                account("Accounts Receivable", |s| s.accounts_receivable),
                total("Total Current Assets", |s| s.accounts_receivable),
            ],
        ),
        section(
            "Fixed Assets",
            vec![
                account("Office Equipment", |s| s.fixed_assets),
                total("Total Fixed Assets", |s| s.fixed_assets),
            ],
        ),
        section("", vec![total("Total Assets", |s| s.total_assets)]),
        section("Liabilities", vec![]),
        section(
            "Current Liabilities",
            vec![
                account("Accounts Payable", |s| s.accounts_payable),
                account(
                    if books.base_currency == "GBP" {
                        "VAT"
                    } else {
                        "GST"
                    },
                    |s| s.sales_tax,
                ),
                total("Total Current Liabilities", |s| s.total_liabilities),
            ],
        ),
        section(
            "",
            vec![total("Total Liabilities", |s| s.total_liabilities)],
        ),
        section("", vec![account("Net Assets", |s| s.net_assets())]),
        section(
            "Equity",
            vec![
                account("Current Year Earnings", |s| s.current_year_earnings),
                account("Retained Earnings", |s| s.retained_earnings),
                total("Total Equity", |s| s.total_equity),
            ],
        ),
    ];
    let titles = vec![
        "Balance Sheet".to_owned(),
        books.name.clone(),
        format!("As at {}", long_date(date)),
    ];
    Ok(report(call, "BalanceSheet", "Balance Sheet", titles, rows))
}
