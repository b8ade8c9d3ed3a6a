//! What is wrong with an upload: every problem found, each where the person sees it.

use std::fmt;

use serde::Serialize;

/// At most this many problems are listed; [`Problems::more`] counts the rest.
pub const MAX_PROBLEMS: usize = 200;

/// At most this many characters of a cell are quoted back in [`Problem::value`].
const VALUE_CHARS: usize = 60;

/// What kind of problem, for a program; [`Problem::expected`] says it to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The file is over [`crate::MAX_UPLOAD_BYTES`].
    FileTooLarge,
    /// Not a workbook or CSV file that can be read: damaged, truncated or another format.
    UnreadableFile,
    /// The workbook is encrypted with a password.
    PasswordProtected,
    /// The workbook would unpack to more than [`crate::MAX_UNPACKED_BYTES`], or packs
    /// its contents implausibly tightly (a "zip bomb").
    UnpackedTooLarge,
    /// A sheet (or CSV file) that is not one of the template's.
    UnknownSheet,
    /// One of the template's sheets (or CSV files) is missing.
    MissingSheet,
    /// Two sheets (or CSV files) hold the same data.
    DuplicateSheet,
    /// A required column is missing from the header row.
    MissingColumn,
    /// A header that is not one of the sheet's columns.
    UnknownColumn,
    /// Two columns with the same header.
    DuplicateColumn,
    /// A required value is empty.
    Required,
    /// Text with a control character (NUL, or a line break where one line is expected).
    ControlCharacters,
    /// Text over the column's length.
    TooLong,
    InvalidDate,
    InvalidAmount,
    InvalidCurrency,
    InvalidEmail,
    /// A formula whose result was not saved with the file.
    FormulaWithoutValue,
    /// A cell holding an error such as `#N/A`.
    CellError,
    /// An ID used on an earlier row of the same sheet.
    DuplicateId,
    /// A bill's (or payment's) supplier that is not on the Suppliers sheet.
    UnknownSupplier,
    /// A payment's bill that is not on the Bills sheet.
    UnknownBill,
    /// A payment's supplier that is not its bill's supplier.
    SupplierMismatch,
    /// A payment's currency that is not its bill's currency.
    CurrencyMismatch,
    /// A bill's amount due over its total amount.
    AmountDueOverTotal,
    /// A bill's payments adding up to more than its total amount.
    Overpaid,
    /// A due date before the bill's issue date.
    DueBeforeIssue,
    /// No supplier, bill or payment at all.
    NoData,
}

/// One problem, placed as the person sees it: the sheet (or CSV file), the row number
/// (1-based, the header is row 1), the column's header and the cell (`C5`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The sheet's name in the workbook, or the CSV file's name; `None` for the whole
    /// file.
    pub sheet: Option<String>,
    pub row: Option<u32>,
    /// The column's header, as the template names it.
    pub column: Option<String>,
    /// The cell, `C5`, as a spreadsheet names it.
    pub cell: Option<String>,
    /// What the cell holds, shortened, control characters shown as `\u{…}` escapes.
    pub value: Option<String>,
    /// What was expected instead, a phrase: "a date like 31/01/2026 or 2026-01-31".
    pub expected: String,
    /// The whole problem in one sentence, for a person.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(kind: ProblemKind, expected: impl Into<String>) -> Self {
        let mut problem = Problem {
            kind,
            sheet: None,
            row: None,
            column: None,
            cell: None,
            value: None,
            expected: expected.into(),
            message: String::new(),
        };
        problem.message = problem.describe();
        problem
    }

    pub(crate) fn in_sheet(mut self, sheet: &str) -> Self {
        self.sheet = Some(sheet.to_owned());
        self.message = self.describe();
        self
    }

    pub(crate) fn at(mut self, row: u32, column: Option<(&str, Option<u32>)>) -> Self {
        self.row = Some(row);
        if let Some((header, index)) = column {
            self.column = Some(header.to_owned());
            self.cell = index.map(|index| format!("{}{row}", column_letters(index)));
        }
        self.message = self.describe();
        self
    }

    pub(crate) fn found(mut self, value: &str) -> Self {
        self.value = Some(quote(value));
        self.message = self.describe();
        self
    }

    fn describe(&self) -> String {
        let mut place = Vec::new();
        if let Some(sheet) = &self.sheet {
            place.push(sheet.clone());
        }
        if let Some(row) = self.row {
            place.push(format!("row {row}"));
        }
        if let Some(column) = &self.column {
            place.push(column.clone());
        }
        let mut text = if place.is_empty() {
            String::new()
        } else {
            format!("{}: ", place.join(", "))
        };
        text.push_str("expected ");
        text.push_str(&self.expected);
        if let Some(value) = &self.value {
            text.push_str(&format!(", found “{value}”"));
        }
        text
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Why an upload was refused: every problem found, in the order of the sheets and
/// rows, the first [`MAX_PROBLEMS`] listed and the rest counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problems {
    pub problems: Vec<Problem>,
    /// How many more problems there are beyond those listed.
    pub more: usize,
}

impl Problems {
    /// How many problems in all, listed or not.
    pub fn total(&self) -> usize {
        self.problems.len() + self.more
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Problem> {
        self.problems.iter()
    }

    pub(crate) fn one(problem: Problem) -> Self {
        Problems {
            problems: vec![problem],
            more: 0,
        }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.total() {
            1 => write!(f, "1 problem in the upload"),
            n => write!(f, "{n} problems in the upload"),
        }?;
        for problem in &self.problems {
            write!(f, "\n- {problem}")?;
        }
        if self.more > 0 {
            write!(f, "\n- and {} more", self.more)?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

impl<'a> IntoIterator for &'a Problems {
    type Item = &'a Problem;
    type IntoIter = std::slice::Iter<'a, Problem>;

    fn into_iter(self) -> Self::IntoIter {
        self.problems.iter()
    }
}

/// Collects problems: keeps the first [`MAX_PROBLEMS`], counts the rest.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    problems: Vec<Problem>,
    more: usize,
}

impl Collector {
    /// Adds a problem; `make` is called only while the list has room.
    pub fn add(&mut self, make: impl FnOnce() -> Problem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(make());
        } else {
            self.more += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn into_problems(self) -> Problems {
        Problems {
            problems: self.problems,
            more: self.more,
        }
    }
}

/// A cell's text as quoted back: at most [`VALUE_CHARS`] characters, control
/// characters escaped (a NUL would be refused by PostgreSQL wherever this is stored).
fn quote(value: &str) -> String {
    let mut quoted = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == VALUE_CHARS {
            quoted.push('…');
            break;
        }
        if c.is_control() {
            quoted.extend(c.escape_unicode());
        } else {
            quoted.push(c);
        }
    }
    quoted
}

/// `A`, `B`, …, `Z`, `AA`, … for a 0-based column index.
pub(crate) fn column_letters(index: u32) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(index) + 1;
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_as_in_a_spreadsheet() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16_383), "XFD");
    }

    #[test]
    fn values_are_quoted_short_and_without_control_characters() {
        assert_eq!(quote("a\0b\n"), "a\\u{0}b\\u{a}");
        let long = "x".repeat(100);
        assert_eq!(quote(&long).chars().count(), VALUE_CHARS + 1);
    }

    #[test]
    fn a_problem_says_where_and_what() {
        let problem = Problem::new(ProblemKind::InvalidDate, "a date like 31/01/2026")
            .in_sheet("Bills")
            .at(5, Some(("Issue date", Some(3))))
            .found("31/13/2026");
        assert_eq!(problem.cell.as_deref(), Some("D5"));
        assert_eq!(
            problem.to_string(),
            "Bills, row 5, Issue date: expected a date like 31/01/2026, found “31/13/2026”"
        );
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["kind"], "invalid_date");
        assert_eq!(json["row"], 5);
    }

    #[test]
    fn the_list_is_capped_and_the_rest_counted() {
        let mut collector = Collector::default();
        for _ in 0..MAX_PROBLEMS + 5 {
            collector.add(|| Problem::new(ProblemKind::Required, "a value"));
        }
        let problems = collector.into_problems();
        assert_eq!(problems.problems.len(), MAX_PROBLEMS);
        assert_eq!(problems.more, 5);
        assert_eq!(problems.total(), MAX_PROBLEMS + 5);
    }
}
