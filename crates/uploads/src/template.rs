//! The template customers fill in: an xlsx workbook (instructions, then the sheets
//! Suppliers, Bills and Bill payments, each with a bold header row, one example row and
//! data validation on its dates, amounts and currency codes) or three CSV files with
//! the same headers and example rows.

use chrono::NaiveDate;
use rust_xlsxwriter::{
    DataValidation, DataValidationRule, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet,
    XlsxError,
};

use crate::{
    DateLocale,
    schema::{Kind, SheetKind},
    values::{FIRST_YEAR, LAST_YEAR},
};

/// The name of the workbook's first sheet, which the reader skips.
pub(crate) const INSTRUCTIONS_SHEET: &str = "Instructions";

/// One example cell.
#[derive(Debug, Clone, Copy)]
enum Example {
    Text(&'static str),
    Date(i32, u32, u32),
    Amount(f64),
}

/// The example row of each sheet: a supplier, one of its bills, partly paid, and the
/// payment. Together they are a valid upload.
fn example(kind: SheetKind) -> &'static [Example] {
    use Example::{Amount, Date, Text};
    match kind {
        SheetKind::Suppliers => &[
            Text("S-001"),
            Text("Northwind Office Supplies Ltd"),
            Text("Jane Smith"),
            Text("accounts@northwind.example"),
            Text("+44 20 7946 0101"),
            Text("Net 30"),
            Text("Bank transfer"),
            Text("GBP"),
        ],
        SheetKind::Bills => &[
            Text("B-1001"),
            Text("S-001"),
            Text("INV-2026-0042"),
            Date(2026, 1, 31),
            Date(2026, 3, 2),
            Text("GBP"),
            Amount(1250.0),
            Amount(250.0),
            Text("Printer paper and toner"),
            Text("Office expenses"),
        ],
        SheetKind::BillPayments => &[
            Text("P-5001"),
            Text("B-1001"),
            Text("S-001"),
            Date(2026, 2, 20),
            Text("GBP"),
            Amount(1000.0),
            Text("Bank transfer"),
        ],
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The template as an xlsx workbook, dates shown in `locale`'s order.
pub fn xlsx(locale: DateLocale) -> Vec<u8> {
    workbook(locale).expect("the template's sheets, formats and validations are valid")
}

fn workbook(locale: DateLocale) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let bold_wrap = wrap.clone().set_bold();
    let date = Format::new().set_num_format(locale.excel_format());
    let amount = Format::new().set_num_format("#,##0.00");
    let text = Format::new().set_num_format("@");

    let sheet = workbook.add_worksheet();
    sheet.set_name(INSTRUCTIONS_SHEET)?;
    instructions(sheet, locale, &bold, &wrap, &bold_wrap)?;

    for kind in SheetKind::ALL {
        let sheet = workbook.add_worksheet();
        sheet.set_name(kind.title())?;
        sheet.set_freeze_panes(1, 0)?;
        for (i, (column, example)) in kind.columns().iter().zip(example(kind)).enumerate() {
            let col = u16::try_from(i).unwrap_or(u16::MAX);
            let format = match column.kind {
                Kind::Date => &date,
                Kind::Amount => &amount,
                _ => &text,
            };
            sheet.set_column_width(col, column.width)?;
            sheet.set_column_format(col, format)?;
            sheet.write_string_with_format(0, col, column.header, &bold)?;
            match *example {
                Example::Text(value) => {
                    sheet.write_string_with_format(1, col, value, &text)?;
                }
                Example::Date(y, m, d) => {
                    sheet.write_date_with_format(1, col, day(y, m, d), &date)?;
                }
                Example::Amount(value) => {
                    sheet.write_number_with_format(1, col, value, &amount)?;
                }
            }
            if let Some(validation) = validation(column.kind, locale)? {
                sheet.add_data_validation(1, col, 1_048_575, col, &validation)?;
            }
        }
    }
    workbook.save_to_buffer()
}

/// The data validation of a column: Excel refuses a value that breaks it as it is
/// typed (the reader checks again: a pasted value is not validated).
fn validation(kind: Kind, locale: DateLocale) -> Result<Option<DataValidation>, XlsxError> {
    let validation = match kind {
        Kind::Date => DataValidation::new()
            .allow_date(DataValidationRule::Between(
                ExcelDateTime::from_ymd(FIRST_YEAR as u16, 1, 1)?,
                ExcelDateTime::from_ymd(LAST_YEAR as u16, 12, 31)?,
            ))
            .set_input_title("Date")?
            .set_input_message(format!("A date like {}.", locale.format(day(2026, 1, 31))))?
            .set_error_title("Not a date")?
            .set_error_message(format!(
                "Enter a date like {} or 2026-01-31.",
                locale.format(day(2026, 1, 31))
            ))?,
        Kind::Amount => DataValidation::new()
            .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
            .set_input_title("Amount")?
            .set_input_message("An amount like 1234.56, not negative, without a currency symbol.")?
            .set_error_title("Not an amount")?
            .set_error_message("Enter an amount like 1234.56 that is not negative.")?,
        Kind::Currency => DataValidation::new()
            .allow_text_length(DataValidationRule::EqualTo(3))
            .set_input_title("Currency")?
            .set_input_message("A 3-letter currency code like GBP, EUR or USD.")?
            .set_error_title("Not a currency code")?
            .set_error_message("Enter a 3-letter currency code like GBP.")?,
        Kind::Line(_) | Kind::Text(_) | Kind::Email => return Ok(None),
    };
    Ok(Some(validation))
}

fn instructions(
    sheet: &mut Worksheet,
    locale: DateLocale,
    bold: &Format,
    wrap: &Format,
    bold_wrap: &Format,
) -> Result<(), XlsxError> {
    let example = locale.format(day(2026, 1, 31));
    let rules = [
        "How to fill in this workbook".to_owned(),
        "Fill in the sheets Suppliers, Bills and Bill payments: one row per supplier, bill or payment, below the header row. Replace the example rows with your own. Keep the sheet names and the column headers; you may delete optional columns. A sheet may be left without rows, but not deleted.".to_owned(),
        format!(
            "Dates: {} (for example {example}). YYYY-MM-DD (2026-01-31) is always accepted, and so are date cells.",
            locale.pattern()
        ),
        "Amounts: numbers like 1234.56 or 1,234.56, not negative, without a currency symbol.".to_owned(),
        "Currency: the 3-letter ISO 4217 code, such as GBP, EUR or USD. Every bill needs one. A payment is in its bill's currency: leave its Currency empty or repeat the bill's.".to_owned(),
        "IDs: every supplier, bill and payment has an ID of your choice, used once on its sheet. A bill's Supplier ID must be on the Suppliers sheet, a payment's Bill ID on the Bills sheet.".to_owned(),
        "A bill's amount due is what is still owed: 0 once paid in full, never more than its total amount. A bill's payments add up to at most its total amount.".to_owned(),
        "Formulas are not evaluated: if a cell holds a formula, copy the cells and paste them as values before uploading.".to_owned(),
        "The file is checked as a whole: if anything is wrong, nothing is imported and every problem is listed with its sheet, row and column.".to_owned(),
    ];
    sheet.set_column_width(0, 16)?;
    sheet.set_column_width(1, 18)?;
    sheet.set_column_width(2, 10)?;
    sheet.set_column_width(3, 70)?;
    let mut row = 0;
    for (i, rule) in rules.iter().enumerate() {
        sheet.merge_range(row, 0, row, 3, rule, if i == 0 { bold } else { wrap })?;
        if i > 0 {
            sheet.set_row_height(row, 32)?;
        }
        row += 1;
    }
    row += 1;
    for (col, header) in ["Sheet", "Column", "Required", "What to enter"]
        .into_iter()
        .enumerate()
    {
        sheet.write_string_with_format(row, col as u16, header, bold_wrap)?;
    }
    for kind in SheetKind::ALL {
        for column in kind.columns() {
            row += 1;
            sheet.write_string_with_format(row, 0, kind.title(), wrap)?;
            sheet.write_string_with_format(row, 1, column.header, wrap)?;
            sheet.write_string_with_format(
                row,
                2,
                if column.required { "Yes" } else { "No" },
                wrap,
            )?;
            let note = match column.kind {
                Kind::Date => format!("{} A date like {example}.", column.note),
                _ => column.note.to_owned(),
            };
            sheet.write_string_with_format(row, 3, note, wrap)?;
        }
    }
    Ok(())
}

/// The template as three CSV files (UTF-8 with a byte order mark, so that Excel reads
/// accents right): `suppliers.csv`, `bills.csv` and `bill_payments.csv`.
pub fn csv_files(locale: DateLocale) -> [(&'static str, Vec<u8>); 3] {
    SheetKind::ALL.map(|kind| (kind.file_name(), csv_file(kind, locale)))
}

fn csv_file(kind: SheetKind, locale: DateLocale) -> Vec<u8> {
    let row: Vec<String> = example(kind)
        .iter()
        .map(|cell| match *cell {
            Example::Text(value) => value.to_owned(),
            Example::Date(y, m, d) => locale.format(day(y, m, d)),
            Example::Amount(value) => format!("{value:.2}"),
        })
        .collect();
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let written = writer
        .write_record(kind.headers())
        .and_then(|()| writer.write_record(&row))
        .and_then(|()| writer.flush().map_err(csv::Error::from));
    written.expect("writing to memory does not fail");
    writer
        .into_inner()
        .expect("writing to memory does not fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_row_fills_every_column() {
        for kind in SheetKind::ALL {
            assert_eq!(example(kind).len(), kind.columns().len(), "{kind:?}");
        }
    }

    #[test]
    fn csv_files_start_with_a_bom_and_the_headers() {
        let files = csv_files(DateLocale::MonthFirst);
        assert_eq!(files[1].0, "bills.csv");
        let text = std::str::from_utf8(&files[1].1).unwrap();
        assert!(text.starts_with("\u{feff}Bill ID,Supplier ID,Reference,Issue date"));
        assert!(
            text.contains(",01/31/2026,03/02/2026,GBP,1250.00,250.00,"),
            "{text}"
        );
    }
}
