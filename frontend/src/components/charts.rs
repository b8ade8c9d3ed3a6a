//! The company page's charts, drawn as SVG from the reports' data.
//!
//! Each chart is a `<figure>` with a visible title; the SVG is `role="img"` and named
//! by `aria-label`, so a screen reader announces it as one picture with its title.

use chrono::NaiveDate;
use leptos::prelude::*;
use serde_json::Value;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 280.0;
const INCOME_COLOUR: &str = "#1f5fbf";
const PROFIT_COLOUR: &str = "#2f9e63";
const LOSS_COLOUR: &str = "#c23b3b";

/// One month of the profit and loss report.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodPoint {
    pub from: NaiveDate,
    pub income: f64,
    pub net_profit: f64,
}

/// The months of `profit_and_loss`'s `data.periods`, oldest first.
pub fn profit_and_loss_periods(data: &Value) -> Vec<PeriodPoint> {
    let mut points: Vec<PeriodPoint> = data
        .get("periods")
        .and_then(Value::as_array)
        .map(|periods| {
            periods
                .iter()
                .filter_map(|period| {
                    let from = period.get("fromDate")?.as_str()?;
                    Some(PeriodPoint {
                        from: NaiveDate::parse_from_str(from, "%Y-%m-%d").ok()?,
                        income: period
                            .get("income")
                            .and_then(|income| income.get("total"))
                            .and_then(Value::as_f64)
                            .unwrap_or(0.0),
                        net_profit: period
                            .get("netProfit")
                            .and_then(Value::as_f64)
                            .unwrap_or(0.0),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    points.sort_by_key(|point| point.from);
    points
}

/// Spend per supplier from `bills`' `data.results`, largest first, at most `limit`.
pub fn top_suppliers(data: &Value, limit: usize) -> Vec<(String, f64)> {
    let mut totals: Vec<(String, f64)> = Vec::new();
    for bill in bills(data) {
        let supplier = bill
            .get("supplierRef")
            .and_then(|supplier| supplier.get("supplierName"))
            .and_then(Value::as_str)
            .unwrap_or("Unknown supplier");
        let amount = bill
            .get("totalAmount")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        match totals.iter_mut().find(|(name, _)| name == supplier) {
            Some((_, total)) => *total += amount,
            None => totals.push((supplier.to_owned(), amount)),
        }
    }
    totals.sort_by(|a, b| b.1.total_cmp(&a.1));
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

/// Amounts due from `bills`' `data.results`, by days past `dueDate` on `today`.
pub fn payables_ageing(data: &Value, today: NaiveDate) -> [f64; 5] {
    let mut buckets = [0.0; 5];
    for bill in bills(data) {
        let due = bill.get("amountDue").and_then(Value::as_f64).unwrap_or(0.0);
        if due <= 0.0 {
            continue;
        }
        let overdue = bill
            .get("dueDate")
            .and_then(Value::as_str)
            .and_then(|date| NaiveDate::parse_from_str(date, "%Y-%m-%d").ok())
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

fn bills(data: &Value) -> impl Iterator<Item = &Value> {
    data.get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The report's currency code (`data.currency`), `GBP` if it has none.
pub fn currency_of(data: &Value) -> String {
    data.get("currency")
        .and_then(Value::as_str)
        .unwrap_or("GBP")
        .to_owned()
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
        format!("{:.1}M", value / 1_000_000.0)
    } else if value >= 1_000.0 {
        format!("{:.0}k", value / 1_000.0)
    } else {
        format!("{value:.0}")
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
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
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
                <line x1=left x2=WIDTH - right y1=at y2=at class="chart__grid" />
                <text x=left - 6.0 y=at + 4.0 text-anchor="end" class="chart__axis">
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
            let month = point.from.format("%b %y").to_string();
            view! {
                <rect x=x - bar - 1.0 y=income_top width=bar height=zero - income_top fill=INCOME_COLOUR />
                <rect x=x + 1.0 y=profit_top width=bar height=profit_height fill=profit_colour />
                <text x=x y=HEIGHT - bottom + 16.0 text-anchor="middle" class="chart__axis">
                    {month}
                </text>
            }
        })
        .collect_view();
    view! {
        <ChartFigure title="Profit and loss trend" currency=currency.clone()>
            {grid}
            {bars}
            <line x1=left x2=WIDTH - right y1=y(0.0) y2=y(0.0) class="chart__baseline" />
            <rect x=left y=6 width=12 height=12 fill=INCOME_COLOUR />
            <text x=left + 18.0 y=16 class="chart__legend">"Income"</text>
            <rect x=left + 90.0 y=6 width=12 height=12 fill=PROFIT_COLOUR />
            <text x=left + 108.0 y=16 class="chart__legend">"Net profit"</text>
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
                <text x=left - 8.0 y=y + bar_h / 2.0 + 4.0 text-anchor="end" class="chart__axis">
                    <title>{label}</title>
                    {short}
                </text>
                <rect x=left y=y width=width height=bar_h fill=INCOME_COLOUR rx=2 />
                <text x=left + width + 6.0 y=y + bar_h / 2.0 + 4.0 class="chart__value">
                    {compact_money(value, &currency)}
                </text>
            }
        })
        .collect_view();
    view! {
        <ChartFigure title currency=currency.clone()>
            <line x1=left x2=left y1=top y2=HEIGHT - top class="chart__baseline" />
            {bars}
        </ChartFigure>
    }
}
