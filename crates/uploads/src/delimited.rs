//! Reading uploaded CSV files: the three of the template, each recognised by its header
//! row (or, failing that, its name).
//!
//! Text is UTF-8 (a byte order mark is dropped), UTF-16 with a byte order mark, or,
//! when it is not valid UTF-8, Windows-1252 (what Excel's plain "CSV" saves on
//! Windows). The separator is the one of `,`, `;` and tab the first line uses most;
//! in a `;`-separated file (Excel's CSV where the decimal separator is a comma),
//! amounts written as text take a decimal comma. Rows are numbered as a spreadsheet
//! shows them: blank lines count, a quoted field's line breaks do not.

use std::borrow::Cow;

use encoding_rs::{Encoding, WINDOWS_1252};

use crate::{
    DateLocale, MAX_UPLOAD_BYTES, Problems, Upload,
    build::Builder,
    problems::{Problem, ProblemKind},
    schema::{MAX_COLUMNS, SheetKind},
    values::RawCell,
    xlsx,
};

/// One CSV file, decoded.
struct File<'a> {
    name: &'a str,
    text: Cow<'a, str>,
    delimiter: u8,
}

pub(crate) fn read<N: AsRef<str>, B: AsRef<[u8]>>(
    files: &[(N, B)],
    locale: DateLocale,
) -> Result<Upload, Problems> {
    let mut builder = Builder::new(locale);
    let mut found: [Option<File<'_>>; 3] = [None, None, None];
    for (name, bytes) in files {
        let (name, bytes) = (name.as_ref(), bytes.as_ref());
        if bytes.len() > MAX_UPLOAD_BYTES {
            builder.problem(xlsx::too_large().in_sheet(name));
            continue;
        }
        let text = match decode(bytes) {
            Ok(text) => text,
            Err(problem) => {
                builder.problem(problem.in_sheet(name));
                continue;
            }
        };
        let delimiter = delimiter(&text);
        let headers = first_row(&text, delimiter);
        let Some(headers) = headers else {
            // An empty file is taken for what its name says, or ignored.
            if let Some(kind) = SheetKind::from_name(name)
                && found[kind.index()].is_none()
            {
                found[kind.index()] = Some(File {
                    name,
                    text,
                    delimiter,
                });
            }
            continue;
        };
        match SheetKind::from_headers(&headers).or_else(|| SheetKind::from_name(name)) {
            Some(kind) if found[kind.index()].is_some() => {
                let first = found[kind.index()].as_ref().map_or("", |f| f.name);
                builder.problem(
                    Problem::new(
                        ProblemKind::DuplicateSheet,
                        format!(
                            "one file of {}; {first} holds them already",
                            kind.title().to_lowercase()
                        ),
                    )
                    .in_sheet(name),
                );
            }
            Some(kind) => {
                found[kind.index()] = Some(File {
                    name,
                    text,
                    delimiter,
                });
            }
            None => builder.problem(
                Problem::new(
                    ProblemKind::UnknownSheet,
                    format!(
                        "one of the template's files ({}), recognised by its header row",
                        template_files()
                    ),
                )
                .in_sheet(name),
            ),
        }
    }
    for kind in SheetKind::ALL {
        if found[kind.index()].is_none() {
            builder.problem(
                Problem::new(
                    ProblemKind::MissingSheet,
                    format!(
                        "a file of {} with the template's header row (the template's files are {}); it may have no rows",
                        kind.title().to_lowercase(),
                        template_files()
                    ),
                )
                .in_sheet(kind.file_name()),
            );
        }
    }
    for kind in SheetKind::ALL {
        let Some(file) = &found[kind.index()] else {
            continue;
        };
        let mut sheet = builder.sheet(kind, file.name, file.delimiter == b';');
        let mut reader = reader(&file.text, file.delimiter);
        let mut record = csv::StringRecord::new();
        // Line breaks inside quoted fields so far: a spreadsheet shows such a record on
        // one row, so its row number is its line's less those.
        let mut breaks: u64 = 0;
        // The text is valid UTF-8 and the reader is flexible: reading stops only at the
        // end.
        while let Ok(true) = reader.read_record(&mut record) {
            let line = record.position().map_or(0, |p| p.line());
            let row = u32::try_from(line.saturating_sub(breaks)).unwrap_or(u32::MAX);
            breaks += record
                .iter()
                .map(|f| f.matches('\n').count() as u64)
                .sum::<u64>();
            sheet.row(
                row,
                record
                    .iter()
                    .enumerate()
                    .map(|(i, field)| (i as u32, RawCell::Text(Cow::Borrowed(field)))),
            );
        }
    }
    builder.finish()
}

fn template_files() -> String {
    SheetKind::ALL.map(SheetKind::file_name).join(", ")
}

/// The file's text; a workbook or another binary file is refused.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, Box<Problem>> {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return Ok(text);
    }
    // A stray NUL in text is a problem of its cell; many are not text at all.
    let nuls = bytes[..bytes.len().min(4096)]
        .iter()
        .filter(|b| **b == 0)
        .count();
    let binary = bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
        || nuls >= 8;
    if binary {
        return Err(Box::new(Problem::new(
            ProblemKind::UnreadableFile,
            "a CSV file (text); this one is a workbook or another kind of file",
        )));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(_) => Ok(WINDOWS_1252.decode_without_bom_handling(bytes).0),
    }
}

/// The separator the first line uses most, outside quotes: `,` unless `;` or tab.
fn delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let [comma, semicolon, tab] = counts;
    if semicolon > comma && semicolon >= tab {
        b';'
    } else if tab > comma && tab > semicolon {
        b'\t'
    } else {
        b','
    }
}

fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// The first row with something in it, trimmed.
fn first_row(text: &str, delimiter: u8) -> Option<Vec<String>> {
    let mut reader = reader(text, delimiter);
    let mut record = csv::StringRecord::new();
    while let Ok(true) = reader.read_record(&mut record) {
        if record.iter().any(|f| !f.trim().is_empty()) {
            let fields = record.iter().take(MAX_COLUMNS as usize);
            return Some(fields.map(|f| f.trim().to_owned()).collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_separator_is_the_one_the_header_uses() {
        assert_eq!(delimiter("a,b,c\n1;2;3;4;5"), b',');
        assert_eq!(delimiter("a;b;c\n"), b';');
        assert_eq!(delimiter("\"a;b\";c,d,e\n"), b',');
        assert_eq!(delimiter("a\tb\tc"), b'\t');
        assert_eq!(delimiter(""), b',');
    }

    #[test]
    fn text_is_decoded_whatever_excel_saved() {
        assert_eq!(decode(b"\xEF\xBB\xBFCaf\xC3\xA9").unwrap(), "Café");
        assert_eq!(decode(b"Caf\xE9").unwrap(), "Café");
        assert_eq!(decode(b"\xFF\xFEa\0b\0").unwrap(), "ab");
        assert!(decode(b"PK\x03\x04rest").is_err());
        assert!(decode(b"abc\0def").is_ok());
        assert!(decode(&[0; 8]).is_err());
    }
}
