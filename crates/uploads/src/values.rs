//! Cell values as either reader hands them over, and what they parse to: dates,
//! amounts, currency codes and text.

use std::borrow::Cow;

use calamine::{ExcelDateTime, ExcelDateTimeType};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

/// How the customer writes dates such as 31 January 2026. ISO dates (`2026-01-31`)
/// and spreadsheet date cells are read whatever the locale.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateLocale {
    /// `DD/MM/YYYY`: 31/01/2026 (UK, most of Europe).
    #[default]
    DayFirst,
    /// `MM/DD/YYYY`: 01/31/2026 (US).
    MonthFirst,
}

impl DateLocale {
    /// The pattern as a person reads it: `DD/MM/YYYY`.
    pub const fn pattern(self) -> &'static str {
        match self {
            DateLocale::DayFirst => "DD/MM/YYYY",
            DateLocale::MonthFirst => "MM/DD/YYYY",
        }
    }

    /// Excel's number format for dates in this locale.
    pub(crate) const fn excel_format(self) -> &'static str {
        match self {
            DateLocale::DayFirst => "dd/mm/yyyy",
            DateLocale::MonthFirst => "mm/dd/yyyy",
        }
    }

    /// A day written in this locale: `31/01/2026`.
    pub fn format(self, date: NaiveDate) -> String {
        match self {
            DateLocale::DayFirst => date.format("%d/%m/%Y").to_string(),
            DateLocale::MonthFirst => date.format("%m/%d/%Y").to_string(),
        }
    }

    /// What a date cell should hold, for problems: "a date like 31/01/2026 or 2026-01-31".
    pub(crate) fn expected(self) -> String {
        let example = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default();
        format!("a date like {} or {example}", self.format(example))
    }
}

/// One cell as read from a workbook or a CSV file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawCell<'a> {
    Empty,
    Text(Cow<'a, str>),
    Number(f64),
    /// A spreadsheet date cell.
    DateTime(NaiveDateTime),
    Bool(bool),
    /// A cell holding an error such as `#N/A`.
    Error(String),
    /// A workbook cell with neither a value nor a saved formula result.
    NoValue,
}

impl RawCell<'_> {
    /// Empty, or text of spaces only.
    pub fn is_blank(&self) -> bool {
        match self {
            RawCell::Empty => true,
            RawCell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text: numbers as a person reads them, dates as ISO dates.
    pub fn display(&self) -> Cow<'_, str> {
        match self {
            RawCell::Empty | RawCell::NoValue => Cow::Borrowed(""),
            RawCell::Text(text) => Cow::Borrowed(text),
            RawCell::Number(n) => Cow::Owned(number_text(*n)),
            RawCell::DateTime(at) if at.time() == NaiveTime::MIN => {
                Cow::Owned(at.date().to_string())
            }
            RawCell::DateTime(at) => Cow::Owned(at.to_string()),
            RawCell::Bool(true) => Cow::Borrowed("TRUE"),
            RawCell::Bool(false) => Cow::Borrowed("FALSE"),
            RawCell::Error(error) => Cow::Borrowed(error),
        }
    }
}

/// A number as a person reads it: `1001`, not `1001.0`.
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// The earliest and latest days read as dates: a typo (year 0226 or 20226) is refused
/// rather than stored.
/// (The template's date validation allows the same years.)
pub(crate) const FIRST_YEAR: i32 = 1950;
pub(crate) const LAST_YEAR: i32 = 2100;

fn plausible(date: NaiveDate) -> Option<NaiveDate> {
    (FIRST_YEAR..=LAST_YEAR)
        .contains(&date.year())
        .then_some(date)
}

/// A spreadsheet serial day number (1900 date system; a time of day is dropped).
pub(crate) fn serial_date(serial: f64) -> Option<NaiveDate> {
    // 9999-12-31 is Excel's last day; checking first keeps the conversion in range.
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, false)
        .as_datetime()
        .map(|at| at.date())
        .and_then(plausible)
}

/// A date cell: a date, a serial day number, or text in ISO form or the locale's.
pub(crate) fn date(cell: &RawCell<'_>, locale: DateLocale) -> Option<NaiveDate> {
    match cell {
        RawCell::DateTime(at) => plausible(at.date()),
        RawCell::Number(n) => serial_date(*n),
        RawCell::Text(text) => date_text(text.trim(), locale),
        _ => None,
    }
}

fn date_text(text: &str, locale: DateLocale) -> Option<NaiveDate> {
    // A time after the day is dropped: `2026-01-31 00:00:00`, `31/01/2026 00:00`.
    let (day, time) = match text.split_once([' ', 'T']) {
        Some((day, time)) => (day, Some(time.trim_end_matches('Z'))),
        None => (text, None),
    };
    if let Some(time) = time
        && NaiveTime::parse_from_str(time, "%H:%M:%S%.f").is_err()
        && NaiveTime::parse_from_str(time, "%H:%M").is_err()
    {
        return None;
    }
    let parts: Vec<&str> = day.split(['/', '.', '-']).collect();
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let date = match parts[..] {
        [y, m, d] if digits(y, 4..=4) && digits(m, 1..=2) && digits(d, 1..=2) => ymd(y, m, d),
        [a, b, y] if digits(a, 1..=2) && digits(b, 1..=2) && digits(y, 4..=4) => match locale {
            DateLocale::DayFirst => ymd(y, b, a),
            DateLocale::MonthFirst => ymd(y, a, b),
        },
        // A serial day number written as text, as some exports do.
        [serial] if time.is_none() && !serial.is_empty() => {
            return serial
                .parse::<f64>()
                .ok()
                .filter(|_| serial.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
                .and_then(serial_date);
        }
        _ => None,
    };
    date.and_then(plausible)
}

fn ymd(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// The largest amount read: beyond it a total would lose cents.
pub(crate) const MAX_AMOUNT: f64 = 1e12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AmountError {
    Invalid,
    Negative,
    TooLarge,
}

/// An amount cell: a number, or text like `1234.56`, `1,234.56` or (with
/// `decimal_comma`, in a `;`-separated CSV file) `1234,56` and `1.234,56`.
pub(crate) fn amount(cell: &RawCell<'_>, decimal_comma: bool) -> Result<f64, AmountError> {
    let value = match cell {
        RawCell::Number(n) => *n,
        RawCell::Text(text) => amount_text(text, decimal_comma)?,
        _ => return Err(AmountError::Invalid),
    };
    if !value.is_finite() {
        Err(AmountError::Invalid)
    } else if value < 0.0 {
        Err(AmountError::Negative)
    } else if value > MAX_AMOUNT {
        Err(AmountError::TooLarge)
    } else {
        // -0 reads as 0.
        Ok(value + 0.0)
    }
}

fn amount_text(text: &str, decimal_comma: bool) -> Result<f64, AmountError> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let (negative, text) = if let Some(rest) = text.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        (true, rest)
    } else {
        (false, text.strip_prefix('+').unwrap_or(&text))
    };
    if text.is_empty()
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b',' || b == b'.')
    {
        return Err(AmountError::Invalid);
    }
    let dots = text.matches('.').count();
    let commas = text.matches(',').count();
    // The decimal separator, if any; the other one groups thousands.
    let decimal = match (dots, commas) {
        (0, 0) => None,
        (_, 0) if dots > 1 => None,
        (_, 0) => Some('.'),
        (0, _) if commas > 1 => None,
        (0, _) if !decimal_comma && grouped(text, ',') => None,
        (0, _) => Some(','),
        _ if text.rfind('.') > text.rfind(',') => Some('.'),
        _ => Some(','),
    };
    let (whole, fraction) = match decimal {
        Some(separator) => match text.rsplit_once(separator) {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => return Err(AmountError::Invalid),
        },
        None => (text, None),
    };
    let thousands = match decimal {
        Some('.') => ',',
        Some(_) => '.',
        None if dots > 0 => '.',
        None => ',',
    };
    let whole_ok = if whole.contains(thousands) {
        grouped(whole, thousands)
    } else {
        whole.bytes().all(|b| b.is_ascii_digit())
    };
    let fraction_ok =
        fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if !whole_ok || !fraction_ok {
        return Err(AmountError::Invalid);
    }
    let whole: String = whole.chars().filter(|c| c.is_ascii_digit()).collect();
    let number = format!(
        "{}.{}",
        if whole.is_empty() { "0" } else { &whole },
        fraction.unwrap_or("0")
    );
    let value: f64 = number.parse().map_err(|_| AmountError::Invalid)?;
    Ok(if negative { -value } else { value })
}

/// Digits in groups of three after a first group of one to three: `1,234,567`.
fn grouped(text: &str, separator: char) -> bool {
    let mut groups = text.split(separator);
    let first = groups.next().unwrap_or_default();
    (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// A currency code: three ASCII letters, upper-cased.
pub(crate) fn currency(text: &str) -> Option<String> {
    let code = text.trim();
    (code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| code.to_ascii_uppercase())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextError {
    ControlCharacters,
    TooLong,
}

/// Text, trimmed: one line (no control character at all) or, with `lines`, line
/// breaks and tabs allowed; at most `max` characters once trimmed.
pub(crate) fn text(raw: &str, max: usize, lines: bool) -> Result<String, TextError> {
    let allowed = |c: char| lines && matches!(c, '\n' | '\r' | '\t');
    if raw.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(TextError::ControlCharacters);
    }
    let trimmed = raw.trim();
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong);
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    fn text_cell(s: &str) -> RawCell<'_> {
        RawCell::Text(Cow::Borrowed(s))
    }

    #[test]
    fn dates_are_read_in_iso_form_and_the_locale_s() {
        use DateLocale::{DayFirst, MonthFirst};
        let d = |s, locale| date(&text_cell(s), locale);
        assert_eq!(d("2026-01-31", DayFirst), day(2026, 1, 31));
        assert_eq!(d("2026-01-31", MonthFirst), day(2026, 1, 31));
        assert_eq!(d(" 2026-01-31T00:00:00Z ", DayFirst), day(2026, 1, 31));
        assert_eq!(d("2026-01-31 13:45", DayFirst), day(2026, 1, 31));
        assert_eq!(d("31/01/2026", DayFirst), day(2026, 1, 31));
        assert_eq!(d("31.1.2026", DayFirst), day(2026, 1, 31));
        assert_eq!(d("31/01/2026", MonthFirst), None);
        assert_eq!(d("01/31/2026", MonthFirst), day(2026, 1, 31));
        assert_eq!(d("02/03/2026", DayFirst), day(2026, 3, 2));
        assert_eq!(d("02/03/2026", MonthFirst), day(2026, 2, 3));
        assert_eq!(d("31/01/2026 00:00", DayFirst), day(2026, 1, 31));
        for bad in [
            "",
            "31/01/26",
            "2026-02-30",
            "2026-13-01",
            "0226-01-31",
            "2026/01/31 noon",
            "yesterday",
            "1e5",
            "46053.5.1",
            "NaN",
        ] {
            assert_eq!(d(bad, DayFirst), None, "{bad}");
        }
    }

    #[test]
    fn serial_day_numbers_are_dates() {
        assert_eq!(serial_date(46053.0), day(2026, 1, 31));
        assert_eq!(serial_date(46053.75), day(2026, 1, 31));
        assert_eq!(
            date(&text_cell("46053"), DateLocale::DayFirst),
            day(2026, 1, 31)
        );
        for bad in [
            0.0,
            -1.0,
            1e300,
            f64::NAN,
            f64::INFINITY,
            3_000_000.0,
            100.0,
        ] {
            assert_eq!(serial_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn amounts_are_numbers_or_text_with_separators() {
        let a = |s| amount(&text_cell(s), false);
        let eu = |s| amount(&text_cell(s), true);
        assert_eq!(a("1234.56"), Ok(1234.56));
        assert_eq!(a(" 1,234.56 "), Ok(1234.56));
        assert_eq!(a("1,234,567"), Ok(1_234_567.0));
        assert_eq!(a("1234,56"), Ok(1234.56));
        assert_eq!(a("0"), Ok(0.0));
        assert_eq!(a("-0"), Ok(0.0));
        assert_eq!(a(".5"), Ok(0.5));
        assert_eq!(a("+12"), Ok(12.0));
        assert_eq!(eu("1234,56"), Ok(1234.56));
        assert_eq!(eu("1.234,56"), Ok(1234.56));
        assert_eq!(eu("1,234"), Ok(1.234));
        assert_eq!(eu("1 234,56"), Ok(1234.56));
        assert_eq!(a("-5"), Err(AmountError::Negative));
        assert_eq!(a("(5.00)"), Err(AmountError::Negative));
        assert_eq!(a("2e12"), Err(AmountError::Invalid));
        assert_eq!(a("9999999999999"), Err(AmountError::TooLarge));
        for bad in [
            "",
            "NaN",
            "inf",
            "infinity",
            "£5",
            "1,23,4.00",
            "1.2.3,4",
            "12.",
            "1..2",
            "1,234.5.6",
            "abc",
            "-",
            "()",
        ] {
            assert!(a(bad).is_err(), "{bad}: {:?}", a(bad));
        }
        assert_eq!(amount(&RawCell::Number(12.5), false), Ok(12.5));
        assert_eq!(
            amount(&RawCell::Number(f64::NAN), false),
            Err(AmountError::Invalid)
        );
        assert_eq!(
            amount(&RawCell::Number(-0.01), false),
            Err(AmountError::Negative)
        );
        assert_eq!(
            amount(&RawCell::Bool(true), false),
            Err(AmountError::Invalid)
        );
    }

    #[test]
    fn currencies_are_three_letters() {
        assert_eq!(currency(" gbp "), Some("GBP".to_owned()));
        assert_eq!(currency("EURO"), None);
        assert_eq!(currency("£"), None);
        assert_eq!(currency("12A"), None);
    }

    #[test]
    fn text_is_trimmed_and_refuses_control_characters() {
        assert_eq!(text("  Acme  ", 10, false), Ok("Acme".to_owned()));
        assert_eq!(text("a\0b", 10, true), Err(TextError::ControlCharacters));
        assert_eq!(text("a\nb", 10, false), Err(TextError::ControlCharacters));
        assert_eq!(text("a\nb", 10, true), Ok("a\nb".to_owned()));
        assert_eq!(
            text("a\u{85}b", 10, true),
            Err(TextError::ControlCharacters)
        );
        assert_eq!(text("ééé", 3, false), Ok("ééé".to_owned()));
        assert_eq!(text("éééé", 3, false), Err(TextError::TooLong));
    }

    #[test]
    fn cells_display_as_a_person_reads_them() {
        assert_eq!(RawCell::Number(1001.0).display(), "1001");
        assert_eq!(RawCell::Number(12.5).display(), "12.5");
        let at = day(2026, 1, 31).unwrap().and_time(NaiveTime::MIN);
        assert_eq!(RawCell::DateTime(at).display(), "2026-01-31");
    }
}
