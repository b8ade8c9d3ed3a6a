//! Reading an uploaded workbook.
//!
//! An xlsx file is a zip archive of XML, and a hostile one can unpack to far more than
//! it weighs. Before calamine opens it, [`check_archive`] walks the zip's central
//! directory (no decompression) and refuses an archive whose entries declare more than
//! [`MAX_UNPACKED_BYTES`] in all, or pack a large entry implausibly tightly; then,
//! since declared sizes can lie, it unpacks every entry into nothing, counting, and
//! stops as soon as an entry gives more than it declared. calamine reads the same
//! bytes afterwards, so it cannot unpack more than was counted. The same pass notes
//! the worksheets with formulas ([`formulas`]).
//!
//! The cells are read one at a time (`worksheet_cells_reader`), not as a `Range`:
//! a range is a dense rectangle, and two cells at `A1` and `XFD1048576` would make it
//! seventeen billion cells. calamine panics on some malformed files (a shared string
//! index past the table); a panic while reading is a problem with the file, never a
//! crash of the caller. calamine reads a cell's value: a formula is read as the result
//! saved with the file.

use std::{
    borrow::Cow,
    collections::{HashMap, HashSet},
    io::{self, BufReader, Cursor, Read},
    panic::{AssertUnwindSafe, catch_unwind},
};

use calamine::{DataRef, Reader, SheetVisible, Xlsx, XlsxError};
use zip::ZipArchive;

use crate::{
    DateLocale, MAX_UNPACKED_BYTES, MAX_UPLOAD_BYTES, Problems, Upload,
    build::Builder,
    formulas::{self, Sniffer, WithoutValues},
    problems::{Problem, ProblemKind},
    schema::{SheetKind, normalize},
    template::INSTRUCTIONS_SHEET,
    values::RawCell,
};

/// An entry over 1 MiB packed more than this many times is refused: XML packs about
/// ten times; deflate cannot pack more than about a thousand.
const MAX_RATIO: u64 = 500;
const RATIO_FROM_BYTES: u64 = 1 << 20;
/// A workbook has a dozen parts, a few per sheet; this many is not an upload (and
/// calamine looks each sheet's part up through the list of all of them).
const MAX_ENTRIES: usize = 1_000;

/// A problem that stops the reading of the file (boxed: a `Problem` is large).
type Fatal = Box<Problem>;

const EXPECTED_WORKBOOK: &str =
    "an Excel workbook (.xlsx), as saved by Excel, LibreOffice, Numbers or Google Sheets";

pub(crate) fn read(bytes: &[u8], locale: DateLocale) -> Result<Upload, Problems> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Problems::one(too_large()));
    }
    let mut builder = Builder::new(locale);
    let read = catch_unwind(AssertUnwindSafe(|| {
        let with_formulas = check_archive(bytes)?;
        read_sheets(bytes, &with_formulas, &mut builder)
    }));
    match read {
        Ok(Ok(())) => builder.finish(),
        Ok(Err(problem)) => {
            builder.problem(*problem);
            builder.finish()
        }
        // calamine (or zip) panicked on what the file holds.
        Err(_) => Err(Problems::one(*unreadable("the file is damaged"))),
    }
}

pub(crate) fn too_large() -> Problem {
    Problem::new(
        ProblemKind::FileTooLarge,
        format!("a file of at most {} MB", MAX_UPLOAD_BYTES / (1024 * 1024)),
    )
}

fn unreadable(why: &str) -> Fatal {
    Box::new(Problem::new(
        ProblemKind::UnreadableFile,
        format!("{EXPECTED_WORKBOOK}; {why}"),
    ))
}

fn unpacked_too_large() -> Fatal {
    Box::new(Problem::new(
        ProblemKind::UnpackedTooLarge,
        format!(
            "a workbook of at most {} MB once unpacked",
            MAX_UNPACKED_BYTES / (1024 * 1024)
        ),
    ))
}

/// The zip checks described in the module's documentation. Answers the worksheet
/// entries ([`formulas::entry_key`]) that hold formulas.
pub(crate) fn check_archive(bytes: &[u8]) -> Result<HashSet<String>, Fatal> {
    // Old .xls files and password-protected workbooks are OLE compound files.
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(Box::new(Problem::new(
            ProblemKind::PasswordProtected,
            format!(
                "{EXPECTED_WORKBOOK} without a password; this is an older .xls workbook or one protected by a password"
            ),
        )));
    }
    let mut archive = ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| unreadable("this file is not one, or is damaged or cut short"))?;
    if archive.len() > MAX_ENTRIES {
        return Err(unreadable("this archive has too many parts"));
    }
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|_| unreadable("the file is damaged"))?;
        let size = entry.size();
        declared = declared.saturating_add(size);
        if declared > MAX_UNPACKED_BYTES as u64
            || (size > RATIO_FROM_BYTES && size / entry.compressed_size().max(1) > MAX_RATIO)
        {
            return Err(unpacked_too_large());
        }
    }
    let mut with_formulas = HashSet::new();
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(entry) => entry,
            // An encrypted or unsupported entry: calamine will not read it either.
            Err(_) => {
                return Err(unreadable(
                    "the file is damaged or uses unsupported compression",
                ));
            }
        };
        let declared = entry.size();
        let mut sniffer = Sniffer::default();
        let unpacked = io::copy(&mut (&mut entry).take(declared + 1), &mut sniffer)
            .map_err(|_| unreadable("the file is damaged"))?;
        if unpacked > declared {
            return Err(unpacked_too_large());
        }
        if sniffer.found && formulas::is_worksheet(entry.name()) {
            with_formulas.insert(formulas::entry_key(entry.name()));
        }
    }
    Ok(with_formulas)
}

/// The formula cells without a value of each sheet that has formulas, by sheet name.
fn formula_cells(
    bytes: &[u8],
    with_formulas: &HashSet<String>,
) -> Result<HashMap<String, WithoutValues>, Fatal> {
    let mut cells = HashMap::new();
    if with_formulas.is_empty() {
        return Ok(cells);
    }
    let damaged = |_| unreadable("the file is damaged");
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(damaged)?;
    let names: HashMap<String, String> = archive
        .file_names()
        .map(|name| (formulas::entry_key(name), name.to_owned()))
        .collect();
    for (sheet, entry) in formulas::sheet_entries(&mut archive) {
        let Some(name) = names.get(&entry).filter(|_| with_formulas.contains(&entry)) else {
            continue;
        };
        let file = archive.by_name(name).map_err(damaged)?;
        let found = WithoutValues::scan(BufReader::new(file))
            .map_err(|_| unreadable("a sheet is damaged"))?;
        cells.insert(sheet, found);
    }
    Ok(cells)
}

fn read_sheets(
    bytes: &[u8],
    with_formulas: &HashSet<String>,
    builder: &mut Builder,
) -> Result<(), Fatal> {
    let formula_cells = formula_cells(bytes, with_formulas)?;
    let no_formulas = WithoutValues::default();
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|error| match error {
        XlsxError::Password => Box::new(Problem::new(
            ProblemKind::PasswordProtected,
            format!("{EXPECTED_WORKBOOK} without a password"),
        )),
        _ => unreadable("the file is damaged"),
    })?;
    let sheets: Vec<(String, bool)> = workbook
        .sheets_metadata()
        .iter()
        .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
        .collect();
    let mut found: [Option<String>; 3] = [None, None, None];
    for (name, visible) in &sheets {
        match SheetKind::from_name(name) {
            Some(kind) if found[kind.index()].is_some() => {
                builder.problem(
                    Problem::new(
                        ProblemKind::DuplicateSheet,
                        format!(
                            "one sheet of {}; “{}” holds them already",
                            kind.title().to_lowercase(),
                            found[kind.index()].as_deref().unwrap_or_default()
                        ),
                    )
                    .in_sheet(name),
                );
            }
            Some(kind) => found[kind.index()] = Some(name.clone()),
            None if normalize(name) == normalize(INSTRUCTIONS_SHEET) => {}
            // A hidden sheet (a list for a drop-down, say) is not the person's data.
            None if !visible => {}
            None => {
                if !sheet_is_empty(&mut workbook, name)? {
                    builder.problem(
                        Problem::new(
                            ProblemKind::UnknownSheet,
                            format!(
                                "only the template's sheets ({}), or an empty sheet; rename or delete this one",
                                template_sheets()
                            ),
                        )
                        .in_sheet(name),
                    );
                }
            }
        }
    }
    for kind in SheetKind::ALL {
        if found[kind.index()].is_none() {
            builder.problem(
                Problem::new(
                    ProblemKind::MissingSheet,
                    format!(
                        "a sheet named “{}” (the template's sheets are {}); it may have no rows",
                        kind.title(),
                        template_sheets()
                    ),
                )
                .in_sheet(kind.title()),
            );
        }
    }
    for kind in SheetKind::ALL {
        let Some(name) = &found[kind.index()] else {
            continue;
        };
        let mut cells = match workbook.worksheet_cells_reader(name) {
            Ok(cells) => cells,
            Err(XlsxError::NotAWorksheet(_)) => {
                builder.problem(
                    Problem::new(
                        ProblemKind::UnknownSheet,
                        "a worksheet of cells, not a chart".to_owned(),
                    )
                    .in_sheet(name),
                );
                continue;
            }
            Err(_) => return Err(unreadable("the file is damaged")),
        };
        let without_values = formula_cells.get(name).unwrap_or(&no_formulas);
        let mut sheet = builder.sheet(kind, name, false);
        // Cells come row by row; a row is handed on when the next one starts.
        let mut row: Option<u32> = None;
        let mut pending: Vec<(u32, RawCell<'_>)> = Vec::new();
        loop {
            let cell = cells
                .next_cell()
                .map_err(|_| unreadable("a sheet is damaged"))?;
            let Some(cell) = cell else { break };
            let (r, c) = cell.get_position();
            if row != Some(r) {
                if let Some(row) = row {
                    sheet.row(row + 1, pending.drain(..));
                }
                row = Some(r);
            }
            let value = match cell.get_value() {
                DataRef::Empty if !without_values.contains((r, c)) => RawCell::Empty,
                value => raw(value),
            };
            pending.push((c, value));
        }
        if let Some(row) = row {
            sheet.row(row + 1, pending.drain(..));
        }
    }
    Ok(())
}

fn template_sheets() -> String {
    SheetKind::ALL.map(SheetKind::title).join(", ")
}

fn sheet_is_empty(workbook: &mut Xlsx<Cursor<&[u8]>>, name: &str) -> Result<bool, Fatal> {
    let mut cells = match workbook.worksheet_cells_reader(name) {
        Ok(cells) => cells,
        Err(XlsxError::NotAWorksheet(_)) => return Ok(true),
        Err(_) => return Err(unreadable("the file is damaged")),
    };
    while let Some(cell) = cells
        .next_cell()
        .map_err(|_| unreadable("a sheet is damaged"))?
    {
        if !matches!(cell.get_value(), DataRef::Empty) && !raw(cell.get_value()).is_blank() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A calamine cell as the reader's cell; an empty one is a formula without a value
/// (the caller tells them from empty cells, [`WithoutValues`]).
fn raw<'a>(value: &DataRef<'a>) -> RawCell<'a> {
    match value {
        DataRef::Empty => RawCell::NoValue,
        DataRef::Int(n) => RawCell::Number(*n as f64),
        DataRef::Float(n) => RawCell::Number(*n),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            RawCell::Text(Cow::Owned(s.clone()))
        }
        DataRef::SharedString(s) => RawCell::Text(Cow::Borrowed(s)),
        DataRef::Bool(b) => RawCell::Bool(*b),
        DataRef::DateTime(at) => {
            let serial = at.as_f64();
            match (at.is_datetime() && (0.0..2_958_466.0).contains(&serial))
                .then(|| at.as_datetime())
                .flatten()
            {
                Some(at) => RawCell::DateTime(at),
                None => RawCell::Number(serial),
            }
        }
        DataRef::Error(error) => RawCell::Error(error.to_string()),
    }
}
