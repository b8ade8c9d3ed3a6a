//! The upload fallback (issue #21): customers whose accounting software cannot connect
//! fill in a template with their suppliers, bills and bill payments and upload it.
//!
//! - [`template::xlsx`] and [`template::csv_files`] make the template: a workbook with
//!   an Instructions sheet and the sheets Suppliers, Bills and Bill payments (bold
//!   header row, one example row, data validation on dates, amounts and currency
//!   codes), or the same as three CSV files.
//! - [`read_xlsx`] and [`read_csv`] read an upload into an [`Upload`]: the stored
//!   Suppliers, Bills and BillPayments reports in the very shape the providers store
//!   (`{currency, results: [...]}`, as the sandbox's), so `reports` reads them
//!   unchanged. Or, if anything at all is wrong, into [`Problems`]: every problem
//!   (the first [`MAX_PROBLEMS`] listed, the rest counted), each placed by sheet or
//!   file, row as the person sees it (the header is row 1), column header and cell,
//!   with what was expected. Nothing of a file with a problem is returned.
//!
//! Checks: required values, text without control characters (a NUL could not be
//! stored by PostgreSQL) and within its length, dates (ISO, the [`DateLocale`]'s
//! `DD/MM/YYYY` or `MM/DD/YYYY`, spreadsheet date cells and serial numbers), amounts
//! (numbers, or text like `1,234.56`; not negative, finite), 3-letter currency codes,
//! email addresses, IDs used once per sheet; across sheets, a bill's supplier and a
//! payment's bill exist, a payment's supplier and currency are its bill's, a bill's
//! payments add up to at most its total, its amount due is at most its total and its
//! due date is not before its issue date. Formulas are not evaluated: a cell is read
//! as its saved result, and a formula without one is a problem.
//!
//! Hostile files: an upload over [`MAX_UPLOAD_BYTES`] is refused unread; a workbook's
//! zip is checked before it is opened (declared sizes, compression ratios, then the
//! actual unpacked sizes, in all at most [`MAX_UNPACKED_BYTES`]); cells are read one at
//! a time, never as a dense range; a panic inside the workbook reader is caught and
//! reported as a damaged file.
//!
//! **Invariant:** no IO, no database, no clock: bytes in, reports or problems out. The
//! server stores an [`Upload`]'s reports as a refresh's, and answers [`Problems`] in a
//! problem document's `errors`.

mod build;
mod delimited;
mod formulas;
mod problems;
mod schema;
pub mod template;
mod values;
mod xlsx;

pub use build::{Counts, Upload};
pub use problems::{MAX_PROBLEMS, Problem, ProblemKind, Problems};
pub use values::DateLocale;

/// The largest file read: an xlsx workbook, or each CSV file.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The most a workbook may unpack to, all its parts together.
pub const MAX_UNPACKED_BYTES: usize = 200 * 1024 * 1024;

/// Reads an uploaded xlsx workbook: the sheets Suppliers, Bills and Bill payments
/// (named so, in any case and spacing; `Payments` too). An Instructions sheet, hidden
/// sheets and empty sheets are ignored; any other sheet is a problem. Dates that are
/// text are read in `locale`'s order.
pub fn read_xlsx(bytes: &[u8], locale: DateLocale) -> Result<Upload, Problems> {
    xlsx::read(bytes, locale)
}

/// Reads uploaded CSV files, `(file name, contents)`: the template's three files,
/// each recognised by its header row or else by its name (`suppliers.csv`,
/// `bills.csv`, `bill_payments.csv`); dates read in `locale`'s order.
pub fn read_csv<N: AsRef<str>, B: AsRef<[u8]>>(
    files: &[(N, B)],
    locale: DateLocale,
) -> Result<Upload, Problems> {
    delimited::read(files, locale)
}
