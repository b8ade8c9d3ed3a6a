//! Tables and the files they are written as. A report is one or more sheets, each a
//! header of typed columns, rows, and optionally a totals row; a [`Sink`] writes them
//! as they come:
//! - xlsx: one worksheet per sheet in constant-memory mode (rows go to a temporary file
//!   as written), real number and date cells, a bold frozen header row with an
//!   autofilter, sized columns, and a bold totals row below the data;
//! - CSV: one sheet, header and data rows only (no totals row, so the file loads into
//!   any tool as plain data);
//! - JSON: `{"sheets": [{id, title, columns, rows, totals}]}`.

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};
use serde::Serialize;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Text,
    /// An amount of money, in the report's currency.
    Money,
    /// A number of things (bills, payments, suppliers).
    Count,
    /// A share, as a fraction (0.25 is 25 %).
    Percent,
    Date,
    /// A calendar month (`2026-11` in CSV and JSON, `Nov 2026` in a workbook).
    Month,
    /// Each row says (the `Value` column of a summary).
    Mixed,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Column<'a> {
    pub title: &'a str,
    #[serde(rename = "type")]
    pub kind: ColumnKind,
    /// Width in characters, for the xlsx sheet.
    #[serde(skip)]
    pub width: f64,
}

pub(crate) const fn col(title: &str, kind: ColumnKind, width: f64) -> Column<'_> {
    Column { title, kind, width }
}

/// One table of a report. Most sheets' columns are fixed (`Sheet<'static>`); the
/// consolidated report's depend on the currencies of its data.
#[derive(Debug, Clone, Copy)]
pub struct Sheet<'a> {
    /// For `?sheet=`: lower case, words joined by `_`.
    pub id: &'static str,
    /// The worksheet's name in the workbook.
    pub title: &'static str,
    pub columns: &'a [Column<'a>],
}

pub(crate) const fn sheet(
    id: &'static str,
    title: &'static str,
    columns: &'static [Column<'static>],
) -> Sheet<'static> {
    Sheet { id, title, columns }
}

/// One cell of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Text(Cow<'a, str>),
    Money(f64),
    Count(u64),
    Percent(f64),
    Date(NaiveDate),
    /// The month a day falls in.
    Month(NaiveDate),
    Empty,
}

impl<'a> Cell<'a> {
    pub(crate) fn text(value: &'a str) -> Self {
        if value.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(Cow::Borrowed(value))
        }
    }

    pub(crate) fn money(value: Option<f64>) -> Self {
        value.map_or(Cell::Empty, |v| Cell::Money(cents(v)))
    }

    /// A day, or the text as it was when it is not one.
    pub(crate) fn day(value: &'a str) -> Self {
        match value.get(..10).and_then(|d| d.parse().ok()) {
            Some(day) => Cell::Date(day),
            None => Cell::text(value),
        }
    }

    pub(crate) fn maybe_day(value: Option<NaiveDate>) -> Self {
        value.map_or(Cell::Empty, Cell::Date)
    }
}

/// A CSV text cell as a spreadsheet reads it safely: text starting with `=`, `+`, `-`,
/// `@`, tab or carriage return gets a leading `'` (OWASP's CSV-injection advice), so a
/// supplier named `=HYPERLINK(…)` stays text. Only text cells: numbers are written as
/// numbers and a negative amount stays a number.
pub fn spreadsheet_text(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Rounds to cents, for sums of amounts.
pub(crate) fn cents(value: f64) -> f64 {
    let rounded = (value * 100.0).round() / 100.0;
    // No "-0" in a file.
    if rounded == 0.0 { 0.0 } else { rounded }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing the CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing the workbook: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("a stored payload is not JSON: {0}")]
    Payload(serde_json::Error),
    #[error("writing the JSON: {0}")]
    Json(serde_json::Error),
    #[error("the report has {0} sheets and a CSV file holds one: choose one with `sheet`")]
    OneSheetPerCsv(usize),
    #[error("the report has no sheet {0:?}")]
    UnknownSheet(String),
}

/// Where a report's sheets are written, one after the other.
pub(crate) trait Sink {
    /// Starts a sheet: its header row.
    fn start(&mut self, sheet: &Sheet<'_>) -> Result<(), ExportError>;
    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError>;
    /// The sheet's totals, after its rows.
    fn totals(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError>;
    /// Whether the sheet is written at all (`?sheet=` picks one): lets a report skip
    /// the work of a sheet nobody asked for.
    fn wants(&self, sheet: &Sheet<'_>) -> bool;
    fn finish(self: Box<Self>) -> Result<Vec<u8>, ExportError>;
}

/// The file formats of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Xlsx,
    Json,
}

/// A sink for `format`, writing only the sheet `only` when given.
pub(crate) fn sink(format: TableFormat, only: Option<&'static str>) -> Box<dyn Sink> {
    match format {
        TableFormat::Csv => Box::new(CsvSink {
            out: csv::Writer::from_writer(Vec::new()),
            only,
            active: false,
            record: Vec::new(),
        }),
        TableFormat::Xlsx => Box::new(XlsxSink::new(only)),
        TableFormat::Json => Box::new(JsonSink {
            out: b"{\"sheets\":[".to_vec(),
            only,
            active: false,
            sheets: 0,
            rows: 0,
        }),
    }
}

fn wanted(only: Option<&str>, sheet: &Sheet<'_>) -> bool {
    only.is_none_or(|id| id == sheet.id)
}

struct CsvSink {
    out: csv::Writer<Vec<u8>>,
    only: Option<&'static str>,
    active: bool,
    record: Vec<String>,
}

impl Sink for CsvSink {
    fn start(&mut self, sheet: &Sheet<'_>) -> Result<(), ExportError> {
        self.active = wanted(self.only, sheet);
        if self.active {
            self.out
                .write_record(sheet.columns.iter().map(|c| c.title))?;
        }
        Ok(())
    }

    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError> {
        if !self.active {
            return Ok(());
        }
        self.record.clear();
        self.record.extend(cells.iter().map(|cell| match cell {
            Cell::Text(t) => spreadsheet_text(t).into_owned(),
            Cell::Money(n) | Cell::Percent(n) => n.to_string(),
            Cell::Count(n) => n.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Month(d) => d.format("%Y-%m").to_string(),
            Cell::Empty => String::new(),
        }));
        self.out.write_record(&self.record)?;
        Ok(())
    }

    fn totals(&mut self, _: &[Cell<'_>]) -> Result<(), ExportError> {
        Ok(())
    }

    fn wants(&self, sheet: &Sheet<'_>) -> bool {
        wanted(self.only, sheet)
    }

    fn finish(self: Box<Self>) -> Result<Vec<u8>, ExportError> {
        self.out
            .into_inner()
            .map_err(|e| ExportError::Csv(csv::Error::from(e.into_error())))
    }
}

struct Formats {
    header: Format,
    money: Format,
    count: Format,
    percent: Format,
    day: Format,
    month: Format,
    total_text: Format,
    total_money: Format,
    total_count: Format,
    total_percent: Format,
}

impl Formats {
    fn new() -> Self {
        let total = Format::new().set_bold().set_border_top(FormatBorder::Thin);
        Self {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xE8EEF7))
                .set_border_bottom(FormatBorder::Thin),
            money: Format::new().set_num_format("#,##0.00"),
            count: Format::new().set_num_format("#,##0"),
            percent: Format::new().set_num_format("0.0%"),
            day: Format::new().set_num_format("yyyy-mm-dd"),
            month: Format::new().set_num_format("mmm yyyy"),
            total_money: total.clone().set_num_format("#,##0.00"),
            total_count: total.clone().set_num_format("#,##0"),
            total_percent: total.clone().set_num_format("0.0%"),
            total_text: total,
        }
    }
}

struct XlsxSink {
    workbook: Workbook,
    formats: Formats,
    only: Option<&'static str>,
    /// The index of the sheet being written, its last row, and its last column.
    current: Option<(usize, u32, u16)>,
    sheets: usize,
}

impl XlsxSink {
    fn new(only: Option<&'static str>) -> Self {
        Self {
            workbook: Workbook::new(),
            formats: Formats::new(),
            only,
            current: None,
            sheets: 0,
        }
    }

    /// Filters over the header and the data rows (not the totals, which sorting
    /// would otherwise move).
    fn close_sheet(&mut self, totals: bool) -> Result<(), ExportError> {
        if let Some((index, last_row, last_col)) = self.current.take() {
            let last_data = if totals { last_row - 1 } else { last_row };
            let sheet = self.workbook.worksheet_from_index(index)?;
            sheet.autofilter(0, 0, last_data.max(1), last_col)?;
        }
        Ok(())
    }

    fn write(&mut self, cells: &[Cell<'_>], total: bool) -> Result<(), ExportError> {
        let Some((index, last_row, _)) = self.current.as_mut() else {
            return Ok(());
        };
        *last_row += 1;
        let r = *last_row;
        let f = &self.formats;
        let sheet = self.workbook.worksheet_from_index(*index)?;
        for (i, cell) in cells.iter().enumerate() {
            let c = u16::try_from(i).unwrap_or(u16::MAX);
            match cell {
                Cell::Text(t) if total => {
                    sheet.write_string_with_format(r, c, t.as_ref(), &f.total_text)?;
                }
                Cell::Text(t) => {
                    sheet.write_string(r, c, t.as_ref())?;
                }
                Cell::Money(n) => {
                    sheet.write_number_with_format(
                        r,
                        c,
                        *n,
                        pick(total, &f.total_money, &f.money),
                    )?;
                }
                Cell::Count(n) => {
                    let format = pick(total, &f.total_count, &f.count);
                    sheet.write_number_with_format(r, c, *n as f64, format)?;
                }
                Cell::Percent(n) => {
                    let format = pick(total, &f.total_percent, &f.percent);
                    sheet.write_number_with_format(r, c, *n, format)?;
                }
                Cell::Date(d) => {
                    sheet.write_datetime_with_format(r, c, d, &f.day)?;
                }
                Cell::Month(d) => {
                    sheet.write_datetime_with_format(r, c, d, &f.month)?;
                }
                Cell::Empty if total => {
                    sheet.write_blank(r, c, &f.total_text)?;
                }
                Cell::Empty => {}
            }
        }
        Ok(())
    }
}

fn pick<'f>(total: bool, bold: &'f Format, plain: &'f Format) -> &'f Format {
    if total { bold } else { plain }
}

impl Sink for XlsxSink {
    fn start(&mut self, sheet: &Sheet<'_>) -> Result<(), ExportError> {
        self.close_sheet(false)?;
        if !wanted(self.only, sheet) {
            return Ok(());
        }
        let index = self.sheets;
        self.sheets += 1;
        let worksheet = self.workbook.add_worksheet_with_constant_memory();
        worksheet.set_name(sheet.title)?;
        for (i, column) in sheet.columns.iter().enumerate() {
            let c = u16::try_from(i).unwrap_or(u16::MAX);
            worksheet.set_column_width(c, column.width)?;
            worksheet.write_string_with_format(0, c, column.title, &self.formats.header)?;
        }
        worksheet.set_freeze_panes(1, 0)?;
        let last_col = u16::try_from(sheet.columns.len().saturating_sub(1)).unwrap_or(0);
        self.current = Some((index, 0, last_col));
        Ok(())
    }

    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError> {
        self.write(cells, false)
    }

    fn totals(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError> {
        if self.current.is_none() {
            return Ok(());
        }
        self.write(cells, true)?;
        self.close_sheet(true)
    }

    fn wants(&self, sheet: &Sheet<'_>) -> bool {
        wanted(self.only, sheet)
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<u8>, ExportError> {
        self.close_sheet(false)?;
        Ok(self.workbook.save_to_buffer()?)
    }
}

struct JsonSink {
    out: Vec<u8>,
    only: Option<&'static str>,
    active: bool,
    sheets: usize,
    rows: usize,
}

#[derive(Serialize)]
struct SheetHead<'s> {
    id: &'s str,
    title: &'s str,
    columns: &'s [Column<'s>],
}

fn json_cell(cell: &Cell<'_>) -> serde_json::Value {
    match cell {
        Cell::Text(t) => serde_json::Value::from(t.as_ref()),
        Cell::Money(n) | Cell::Percent(n) => serde_json::Value::from(*n),
        Cell::Count(n) => serde_json::Value::from(*n),
        Cell::Date(d) => serde_json::Value::from(d.to_string()),
        Cell::Month(d) => serde_json::Value::from(d.format("%Y-%m").to_string()),
        Cell::Empty => serde_json::Value::Null,
    }
}

impl JsonSink {
    fn write_cells(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError> {
        self.out.push(b'[');
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            serde_json::to_writer(&mut self.out, &json_cell(cell)).map_err(ExportError::Json)?;
        }
        self.out.push(b']');
        Ok(())
    }

    /// Ends the sheet being written, with its totals (or `null`).
    fn close_sheet(&mut self, totals: Option<&[Cell<'_>]>) -> Result<(), ExportError> {
        if !self.active {
            return Ok(());
        }
        self.active = false;
        self.out.extend_from_slice(b"],\"totals\":");
        match totals {
            Some(cells) => self.write_cells(cells)?,
            None => self.out.extend_from_slice(b"null"),
        }
        self.out.push(b'}');
        Ok(())
    }
}

impl Sink for JsonSink {
    fn start(&mut self, sheet: &Sheet<'_>) -> Result<(), ExportError> {
        self.close_sheet(None)?;
        if !wanted(self.only, sheet) {
            return Ok(());
        }
        if self.sheets > 0 {
            self.out.push(b',');
        }
        self.sheets += 1;
        self.active = true;
        self.rows = 0;
        let head = serde_json::to_vec(&SheetHead {
            id: sheet.id,
            title: sheet.title,
            columns: sheet.columns,
        })
        .map_err(ExportError::Json)?;
        // `{"id":…,"columns":[…]` then the rows, closed by `close_sheet`.
        self.out.extend_from_slice(&head[..head.len() - 1]);
        self.out.extend_from_slice(b",\"rows\":[");
        Ok(())
    }

    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError> {
        if !self.active {
            return Ok(());
        }
        if self.rows > 0 {
            self.out.push(b',');
        }
        self.rows += 1;
        self.write_cells(cells)
    }

    fn totals(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError> {
        self.close_sheet(Some(cells))
    }

    fn wants(&self, sheet: &Sheet<'_>) -> bool {
        wanted(self.only, sheet)
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<u8>, ExportError> {
        self.close_sheet(None)?;
        self.out.extend_from_slice(b"]}");
        Ok(self.out)
    }
}
