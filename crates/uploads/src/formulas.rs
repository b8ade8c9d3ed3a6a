//! Which cells of a workbook hold a formula whose result was not saved with the file.
//!
//! calamine reads a formula cell as its saved result, and a formula cell without one
//! as empty, like a formatted empty cell: telling the two apart takes the sheet's XML.
//! calamine's own formula reader (`next_formula`) is not used: it allocates in
//! proportion to numbers a hostile file chooses (a shared formula's index and range).
//! So while the archive check unpacks every entry, a [`Sniffer`] notes the worksheets
//! with any formula element (most uploads have none), and only those are scanned, with
//! quick-xml, for formula cells without a value.

use std::{
    collections::{HashMap, HashSet},
    io::{self, BufRead, BufReader, Cursor, Write},
};

use quick_xml::{Reader, events::Event};
use zip::ZipArchive;

/// Counts what it is given and notes whether it holds a formula element (`<f>`,
/// `<f …>`, `<x:f>`).
#[derive(Debug, Default)]
pub(crate) struct Sniffer {
    tail: Vec<u8>,
    pub found: bool,
}

impl Write for Sniffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.found {
            // An element split between two writes is seen across the boundary.
            let mut seam = std::mem::take(&mut self.tail);
            seam.extend_from_slice(&buf[..buf.len().min(2)]);
            self.found = has_formula(&seam) || has_formula(buf);
            let mut tail = seam;
            tail.extend_from_slice(&buf[buf.len().min(2)..]);
            self.tail = tail[tail.len().saturating_sub(2)..].to_vec();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn has_formula(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'f', bytes).any(|i| {
        i > 0
            && i + 1 < bytes.len()
            && matches!(bytes[i - 1], b'<' | b':')
            && matches!(bytes[i + 1], b'>' | b' ' | b'/' | b'\t' | b'\r' | b'\n')
    })
}

/// A zip entry name as compared: lower case, `/` separators.
pub(crate) fn entry_key(name: &str) -> String {
    name.replace('\\', "/").to_lowercase()
}

/// Whether a zip entry is a worksheet's XML.
pub(crate) fn is_worksheet(name: &str) -> bool {
    let key = entry_key(name);
    key.starts_with("xl/worksheets/") && key.ends_with(".xml")
}

/// The zip entry of each sheet, by sheet name ([`entry_key`] form), as
/// `xl/workbook.xml` and its relationships say. Unreadable parts give no entries.
pub(crate) fn sheet_entries(zip: &mut ZipArchive<Cursor<&[u8]>>) -> HashMap<String, String> {
    let mut targets = HashMap::new();
    each_element(
        zip,
        "xl/_rels/workbook.xml.rels",
        b"Relationship",
        |attrs| {
            if let (Some(id), Some(target)) = (attrs.get("Id"), attrs.get("Target")) {
                let target = target.trim_start_matches('/');
                let path = if entry_key(target).starts_with("xl/") {
                    target.to_owned()
                } else {
                    format!("xl/{target}")
                };
                targets.insert(id.clone(), entry_key(&path));
            }
        },
    );
    let mut sheets = HashMap::new();
    each_element(zip, "xl/workbook.xml", b"sheet", |attrs| {
        if let (Some(name), Some(id)) = (attrs.get("name"), attrs.get("id"))
            && let Some(path) = targets.get(id)
        {
            sheets.insert(name.clone(), path.clone());
        }
    });
    sheets
}

/// Calls `each` with the attributes (by local name) of every `element` of an entry.
fn each_element(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    entry: &str,
    element: &[u8],
    mut each: impl FnMut(&HashMap<String, String>),
) {
    let Some(name) = zip
        .file_names()
        .find(|n| entry_key(n) == entry)
        .map(str::to_owned)
    else {
        return;
    };
    let Ok(file) = zip.by_name(&name) else { return };
    let mut reader = Reader::from_reader(BufReader::new(file));
    reader.config_mut().expand_empty_elements = true;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == element => {
                let decoder = reader.decoder();
                let attrs = e
                    .attributes()
                    .flatten()
                    .filter_map(|a| {
                        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
                        let value = a.decode_and_unescape_value(decoder).ok()?.into_owned();
                        Some((key, value))
                    })
                    .collect();
                each(&attrs);
            }
            Ok(Event::Eof) | Err(_) => return,
            _ => {}
        }
    }
}

/// At most this many cells are remembered; a sheet with more formula cells without a
/// value has all its empty cells read as such.
const MAX_CELLS: usize = 1_000_000;

/// The formula cells without a saved value of one worksheet (0-based row, column).
#[derive(Debug, Default)]
pub(crate) struct WithoutValues {
    cells: HashSet<(u32, u32)>,
    overflow: bool,
}

impl WithoutValues {
    pub fn contains(&self, position: (u32, u32)) -> bool {
        self.overflow || self.cells.contains(&position)
    }

    /// Scans a worksheet's XML.
    pub fn scan(xml: impl BufRead) -> Result<Self, quick_xml::Error> {
        let mut found = WithoutValues::default();
        let mut reader = Reader::from_reader(xml);
        reader.config_mut().expand_empty_elements = true;
        let mut buf = Vec::new();
        // Inside a cell: its position (if it names one), a formula seen, a value seen.
        let mut cell: Option<Option<(u32, u32)>> = None;
        let (mut formula, mut value, mut in_value) = (false, false, false);
        loop {
            buf.clear();
            match reader.read_event_into(&mut buf)? {
                Event::Start(e) => match e.local_name().as_ref() {
                    b"c" => {
                        let position = e
                            .attributes()
                            .flatten()
                            .find(|a| a.key.local_name().as_ref() == b"r")
                            .and_then(|a| cell_position(&a.value));
                        cell = Some(position);
                        (formula, value, in_value) = (false, false, false);
                    }
                    b"f" if cell.is_some() => formula = true,
                    b"v" | b"is" if cell.is_some() => in_value = true,
                    _ => {}
                },
                Event::Text(text) if in_value && !text.is_empty() => value = true,
                Event::CData(_) | Event::GeneralRef(_) if in_value => value = true,
                Event::End(e) => match e.local_name().as_ref() {
                    b"v" | b"is" => in_value = false,
                    b"c" => {
                        if let Some(Some(position)) = cell.take()
                            && formula
                            && !value
                        {
                            if found.cells.len() < MAX_CELLS {
                                found.cells.insert(position);
                            } else {
                                found.overflow = true;
                            }
                        }
                    }
                    _ => {}
                },
                Event::Eof => return Ok(found),
                _ => {}
            }
        }
    }
}

/// `C5` → (4, 2), 0-based like calamine's positions.
fn cell_position(reference: &[u8]) -> Option<(u32, u32)> {
    let split = reference.iter().position(u8::is_ascii_digit)?;
    let (letters, digits) = reference.split_at(split);
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut column: u32 = 0;
    for &b in letters {
        if !b.is_ascii_alphabetic() {
            return None;
        }
        column = column * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1);
    }
    let row: u32 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((row.checked_sub(1)?, column - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sniffer_finds_formula_elements_across_writes() {
        let sniff = |parts: &[&[u8]]| {
            let mut sniffer = Sniffer::default();
            for part in parts {
                sniffer.write_all(part).unwrap();
            }
            sniffer.found
        };
        assert!(sniff(&[b"<c r=\"A1\"><f>1+1</f></c>"]));
        assert!(sniff(&[b"<c><x:f t=\"shared\"/></c>"]));
        assert!(sniff(&[b"<c><", b"f>1</f>"]));
        assert!(sniff(&[b"<c><f", b" t=\"shared\">"]));
        assert!(sniff(&[b"<c>", b"<", b"f", b">"]));
        assert!(!sniff(&[
            b"<formula1>0</formula1><filterColumn/><c><v>1</v></c>"
        ]));
    }

    #[test]
    fn cells_are_placed_like_calamine() {
        assert_eq!(cell_position(b"A1"), Some((0, 0)));
        assert_eq!(cell_position(b"C5"), Some((4, 2)));
        assert_eq!(cell_position(b"XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(cell_position(b"A0"), None);
        assert_eq!(cell_position(b"5"), None);
        assert_eq!(cell_position(b"ABCD1"), None);
    }

    #[test]
    fn formula_cells_without_a_value_are_found() {
        let xml = br#"<worksheet><sheetData><row r="1">
            <c r="A1"><f>1+1</f><v>2</v></c>
            <c r="B1" t="str"><f>"x"</f><v></v></c>
            <c r="C1"><f>SUM(A1:A2)</f></c>
            <c r="D1" s="1"/>
            <c r="E1" t="inlineStr"><is><t>text</t></is></c>
            <c r="F1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>
        </row></sheetData></worksheet>"#;
        let found = WithoutValues::scan(&xml[..]).unwrap();
        let mut cells: Vec<_> = found.cells.iter().copied().collect();
        cells.sort_unstable();
        assert_eq!(cells, [(0, 1), (0, 2)]);
    }
}
