//! The company page's charts, drawn as SVG from the reports' data.
//!
//! Each chart is a `<figure>` with a visible title; the SVG is `role="img"` and named
//! by `aria-label`, so a screen reader announces it as one picture with its title.
//!
//! Numbers and dates are written with integer formatting only ([`coord`], [`month_label`],
//! [`parse_date`]): Rust's float formatting and chrono's strftime engine would each add
//! kilobytes to the wasm for a handful of labels.

use chrono::NaiveDate;
use leptos::prelude::*;
use serde::Deserialize;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 280.0;
const VIEW_BOX: &str = "0 0 640 280";
const INCOME_COLOUR: &str = "#1f5fbf";
const PROFIT_COLOUR: &str = "#2f9e63";
const LOSS_COLOUR: &str = "#c23b3b";

/// The part of the `profit_and_loss` report's `data` the trend chart reads.
///
/// Typed rather than a `serde_json::Value`: the reader for these few fields is a
/// fraction of the size of a general JSON tree in the wasm. Other fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfitAndLossData {
    currency: Option<String>,
    #[serde(default)]
    periods: Vec<Period>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Period {
    from_date: Option<String>,
    income: Option<Total>,
    net_profit: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Total {
    total: Option<f64>,
}

/// The part of the `bills` report's `data` the supplier and ageing charts read.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillsData {
    currency: Option<String>,
    #[serde(default)]
    results: Vec<Bill>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bill {
    supplier_ref: Option<SupplierRef>,
    total_amount: Option<f64>,
    amount_due: Option<f64>,
    due_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SupplierRef {
    supplier_name: Option<String>,
}

/// A report as the API answers it, reduced to its `data`.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportData<T> {
    pub data: T,
}

/// The report's currency code, `GBP` if it has none.
fn currency_or_default(currency: &Option<String>) -> String {
    currency.clone().unwrap_or_else(|| "GBP".to_owned())
}

impl ProfitAndLossData {
    pub fn currency(&self) -> String {
        currency_or_default(&self.currency)
    }
}

impl BillsData {
    pub fn currency(&self) -> String {
        currency_or_default(&self.currency)
    }
}

/// One month of the profit and loss report.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodPoint {
    pub from: NaiveDate,
    pub income: f64,
    pub net_profit: f64,
}

/// The months of the report's `periods`, oldest first.
pub fn profit_and_loss_periods(data: &ProfitAndLossData) -> Vec<PeriodPoint> {
    let mut points: Vec<PeriodPoint> = data
        .periods
        .iter()
        .filter_map(|period| {
            Some(PeriodPoint {
                from: parse_date(period.from_date.as_deref()?)?,
                income: period
                    .income
                    .as_ref()
                    .and_then(|income| income.total)
                    .unwrap_or(0.0),
                net_profit: period.net_profit.unwrap_or(0.0),
            })
        })
        .collect();
    sort_small(&mut points, |a, b| a.from > b.from);
    points
}

/// Sorts a few dozen items in place (insertion sort, stable): `after(a, b)` says
/// whether `a` belongs after `b`.
///
/// Rationale: the standard library's stable sort is about 4 KB of wasm for each item
/// type; the charts sort a year of months and a page of suppliers.
fn sort_small<T>(items: &mut [T], after: impl Fn(&T, &T) -> bool) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && after(&items[j - 1], &items[j]) {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Spend per supplier from the bills, largest first, at most `limit`.
pub fn top_suppliers(data: &BillsData, limit: usize) -> Vec<(String, f64)> {
    let mut totals: Vec<(String, f64)> = Vec::new();
    for bill in &data.results {
        let supplier = bill
            .supplier_ref
            .as_ref()
            .and_then(|supplier| supplier.supplier_name.as_deref())
            .unwrap_or("Unknown supplier");
        let amount = bill.total_amount.unwrap_or(0.0);
        match totals.iter_mut().find(|(name, _)| name == supplier) {
            Some((_, total)) => *total += amount,
            None => totals.push((supplier.to_owned(), amount)),
        }
    }
    sort_small(&mut totals, |a, b| a.1 < b.1);
    totals.truncate(limit);
    totals
}

/// The ageing buckets of accounts payable.
pub const AGEING_BUCKETS: [&str; 5] = [
    "Current",
    "1–30 days",
    "31–60 days",
    "61–90 days",
    "90+ days",
];

/// Amounts due from the bills, by days past `dueDate` on `today`.
pub fn payables_ageing(data: &BillsData, today: NaiveDate) -> [f64; 5] {
    let mut buckets = [0.0; 5];
    for bill in &data.results {
        let due = bill.amount_due.unwrap_or(0.0);
        if due <= 0.0 {
            continue;
        }
        let overdue = bill
            .due_date
            .as_deref()
            .and_then(parse_date)
            .map_or(0, |due_date| (today - due_date).num_days());
        let bucket = match overdue {
            ..=0 => 0,
            1..=30 => 1,
            31..=60 => 2,
            61..=90 => 3,
            _ => 4,
        };
        buckets[bucket] += due;
    }
    buckets
}

/// `2026-11-26` (the reports' `YYYY-MM-DD` dates), or `None`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let mut parts = text.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "Nov 26" for November 2026: an axis label.
fn month_label(date: NaiveDate) -> String {
    use chrono::Datelike;
    let month = MONTHS[date.month0() as usize];
    format!("{month} {:02}", date.year().rem_euclid(100))
}

/// `value` to one decimal place ("12.5", "-3", "0"), for SVG attributes.
fn coord(value: f64) -> String {
    let tenths = (value * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    let (whole, fraction) = (tenths.abs() / 10, tenths.abs() % 10);
    if fraction == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// `1234567.0` as "£1.2M": short enough for an axis.
pub fn compact_money(amount: f64, currency: &str) -> String {
    let symbol = match currency {
        "GBP" => "£".to_owned(),
        "EUR" => "€".to_owned(),
        "USD" => "$".to_owned(),
        other => format!("{other} "),
    };
    let sign = if amount < 0.0 { "−" } else { "" };
    let value = amount.abs();
    let text = if value >= 1_000_000.0 {
        format!("{}M", coord(value / 1_000_000.0))
    } else if value >= 1_000.0 {
        format!("{}k", (value / 1_000.0).round() as i64)
    } else {
        format!("{}", value.round() as i64)
    };
    format!("{sign}{symbol}{text}")
}

/// A round step for about `count` ticks up to `max`.
fn nice_step(max: f64, count: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / count;
    let magnitude = 10_f64.powf(raw.log10().floor());
    let residual = raw / magnitude;
    let nice = if residual > 5.0 {
        10.0
    } else if residual > 2.0 {
        5.0
    } else if residual > 1.0 {
        2.0
    } else {
        1.0
    };
    nice * magnitude
}

#[component]
fn ChartFigure(title: &'static str, currency: String, children: Children) -> impl IntoView {
    let label = format!("{title}, in {currency}");
    view! {
        <figure class="chart">
            <figcaption class="chart__title">{title}</figcaption>
            <svg
                class="chart__svg"
                role="img"
                aria-label=label
                viewBox=VIEW_BOX
                preserveAspectRatio="xMidYMid meet"
            >
                {children()}
            </svg>
        </figure>
    }
}

/// Income and net profit per month, as grouped vertical bars.
#[component]
pub fn ProfitAndLossChart(points: Vec<PeriodPoint>, currency: String) -> impl IntoView {
    let (left, right, top, bottom) = (64.0, 12.0, 28.0, 36.0);
    let plot_w = WIDTH - left - right;
    let plot_h = HEIGHT - top - bottom;
    let max = points
        .iter()
        .map(|p| p.income.max(p.net_profit))
        .fold(0.0_f64, f64::max);
    let min = points.iter().map(|p| p.net_profit).fold(0.0_f64, f64::min);
    let step = nice_step(max - min, 4.0);
    let high = (max / step).ceil().max(1.0) * step;
    let low = (min / step).floor() * step;
    let y = move |value: f64| top + plot_h * (high - value) / (high - low);
    let slot = plot_w / points.len().max(1) as f64;
    let bar = (slot * 0.36).min(22.0);

    let mut ticks = Vec::new();
    let mut tick = low;
    while tick <= high + step / 2.0 {
        ticks.push(tick);
        tick += step;
    }
    let grid = ticks
        .into_iter()
        .map(|tick| {
            let at = y(tick);
            view! {
                <line x1=coord(left) x2=coord(WIDTH - right) y1=coord(at) y2=coord(at) class="chart__grid" />
                <text x=coord(left - 6.0) y=coord(at + 4.0) text-anchor="end" class="chart__axis">
                    {compact_money(tick, &currency)}
                </text>
            }
        })
        .collect_view();
    let bars = points
        .iter()
        .enumerate()
        .map(|(index, point)| {
            let x = left + slot * index as f64 + slot / 2.0;
            let zero = y(0.0);
            let income_top = y(point.income.max(0.0));
            let profit_y = y(point.net_profit);
            let (profit_top, profit_height) = if point.net_profit >= 0.0 {
                (profit_y, zero - profit_y)
            } else {
                (zero, profit_y - zero)
            };
            let profit_colour = if point.net_profit >= 0.0 {
                PROFIT_COLOUR
            } else {
                LOSS_COLOUR
            };
            let month = month_label(point.from);
            view! {
                <rect x=coord(x - bar - 1.0) y=coord(income_top) width=coord(bar) height=coord(zero - income_top) fill=INCOME_COLOUR />
                <rect x=coord(x + 1.0) y=coord(profit_top) width=coord(bar) height=coord(profit_height) fill=profit_colour />
                <text x=coord(x) y=coord(HEIGHT - bottom + 16.0) text-anchor="middle" class="chart__axis">
                    {month}
                </text>
            }
        })
        .collect_view();
    view! {
        <ChartFigure title="Profit and loss trend" currency=currency.clone()>
            {grid}
            {bars}
            <line x1=coord(left) x2=coord(WIDTH - right) y1=coord(y(0.0)) y2=coord(y(0.0)) class="chart__baseline" />
            <rect x=coord(left) y=6 width=12 height=12 fill=INCOME_COLOUR />
            <text x=coord(left + 18.0) y=16 class="chart__legend">"Income"</text>
            <rect x=coord(left + 90.0) y=6 width=12 height=12 fill=PROFIT_COLOUR />
            <text x=coord(left + 108.0) y=16 class="chart__legend">"Net profit"</text>
        </ChartFigure>
    }
}

/// Labelled horizontal bars, largest first: suppliers by spend, ageing buckets.
#[component]
pub fn HorizontalBarChart(
    title: &'static str,
    rows: Vec<(String, f64)>,
    currency: String,
) -> impl IntoView {
    let (left, right, top) = (190.0, 80.0, 8.0);
    let plot_w = WIDTH - left - right;
    let row_h = (HEIGHT - top * 2.0) / rows.len().max(1) as f64;
    let bar_h = (row_h * 0.66).min(26.0);
    let max = rows.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let bars = rows
        .into_iter()
        .enumerate()
        .map(|(index, (label, value))| {
            let y = top + row_h * index as f64 + (row_h - bar_h) / 2.0;
            let width = if max > 0.0 {
                (plot_w * value / max).max(if value > 0.0 { 1.0 } else { 0.0 })
            } else {
                0.0
            };
            let short = if label.chars().count() > 26 {
                format!("{}…", label.chars().take(25).collect::<String>())
            } else {
                label.clone()
            };
            view! {
                <text x=coord(left - 8.0) y=coord(y + bar_h / 2.0 + 4.0) text-anchor="end" class="chart__axis">
                    <title>{label}</title>
                    {short}
                </text>
                <rect x=coord(left) y=coord(y) width=coord(width) height=coord(bar_h) fill=INCOME_COLOUR rx=2 />
                <text x=coord(left + width + 6.0) y=coord(y + bar_h / 2.0 + 4.0) class="chart__value">
                    {compact_money(value, &currency)}
                </text>
            }
        })
        .collect_view();
    view! {
        <ChartFigure title currency=currency.clone()>
            <line x1=coord(left) x2=coord(left) y1=coord(top) y2=coord(HEIGHT - top) class="chart__baseline" />
            {bars}
        </ChartFigure>
    }
}
