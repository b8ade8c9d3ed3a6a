//! Brotli and gzip for the wire.
//!
//! [`precompress_dir`] is the web app's build step: beside every compressible file of
//! trunk's `dist/` it writes `<file>.br` (brotli, quality 11) and `<file>.gz` (gzip,
//! level 9), which the server sends by `Accept-Encoding` (`server::spa`). [`brotli`] and
//! [`gzip`] at a fast setting are what the server compresses JSON answers with on the fly.
//!
//! Architecture invariant: no IO but the files [`precompress_dir`] is pointed at; the
//! encoders are plain functions of bytes, shared by the build and the server so a test
//! can produce exactly what the build produces.

use std::{
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
};

/// How hard to try: the build has time, the server answering a request has not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// Brotli quality 11, gzip level 9: once per build.
    Build,
    /// Brotli quality 4, gzip level 6: per answer, a millisecond or two for 100 KiB.
    OnTheFly,
}

/// `data` brotli-compressed.
pub fn brotli(data: &[u8], effort: Effort) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: match effort {
            Effort::Build => 11,
            Effort::OnTheFly => 4,
        },
        lgwin: 22,
        size_hint: data.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(data.len() / 3);
    brotli::BrotliCompress(&mut &data[..], &mut out, &params)
        .expect("writing to memory cannot fail");
    out
}

/// `data` gzip-compressed.
pub fn gzip(data: &[u8], effort: Effort) -> Vec<u8> {
    let level = match effort {
        Effort::Build => flate2::Compression::best(),
        Effort::OnTheFly => flate2::Compression::default(),
    };
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 3), level);
    encoder
        .write_all(data)
        .and_then(|()| encoder.finish())
        .expect("writing to memory cannot fail")
}

/// The extensions of the files worth compressing: text and WebAssembly. Images other
/// than SVG, fonts and archives are compressed already.
const COMPRESSIBLE: &[&str] = &[
    "html",
    "js",
    "mjs",
    "css",
    "wasm",
    "json",
    "map",
    "svg",
    "txt",
    "xml",
    "webmanifest",
    "ico",
];

/// Whether a file of this name gets `.br` and `.gz` variants.
pub fn is_compressible(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| COMPRESSIBLE.iter().any(|c| ext.eq_ignore_ascii_case(c)))
}

/// One file [`precompress_dir`] looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compressed {
    pub path: PathBuf,
    pub original: u64,
    /// The `.br` variant's size, or `None` when brotli saved nothing (no file written).
    pub brotli: Option<u64>,
    /// The `.gz` variant's size, or `None` when gzip saved nothing (no file written).
    pub gzip: Option<u64>,
}

/// Writes `<file>.br` and `<file>.gz` beside every compressible file under `dir`
/// (recursively), replacing any there. A variant that would not be smaller than its
/// file is not written (and a stale one is removed): the server then sends the file.
pub fn precompress_dir(dir: &Path) -> io::Result<Vec<Compressed>> {
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let data = fs::read(&path)?;
            let brotli = write_variant(&path, "br", &data, brotli(&data, Effort::Build))?;
            let gzip = write_variant(&path, "gz", &data, gzip(&data, Effort::Build))?;
            Ok(Compressed {
                original: data.len() as u64,
                path,
                brotli,
                gzip,
            })
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(&path, files)?;
        } else if is_compressible(&path) {
            files.push(path);
        }
    }
    Ok(())
}

fn write_variant(
    path: &Path,
    extension: &str,
    original: &[u8],
    encoded: Vec<u8>,
) -> io::Result<Option<u64>> {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    let variant = PathBuf::from(name);
    if encoded.len() >= original.len() {
        match fs::remove_file(&variant) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
            _ => return Ok(None),
        }
    }
    fs::write(&variant, &encoded)?;
    Ok(Some(encoded.len() as u64))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn unbrotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::Decompressor::new(data, 4096)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn both_encodings_round_trip_at_both_efforts() {
        let data = "{\"name\":\"Acme\",\"status\":\"ready\"},".repeat(200);
        for effort in [Effort::Build, Effort::OnTheFly] {
            let br = brotli(data.as_bytes(), effort);
            let gz = gzip(data.as_bytes(), effort);
            assert!(br.len() < data.len() / 10, "{effort:?}: {}", br.len());
            assert!(gz.len() < data.len() / 10, "{effort:?}: {}", gz.len());
            assert_eq!(unbrotli(&br), data.as_bytes());
            assert_eq!(gunzip(&gz), data.as_bytes());
        }
    }

    #[test]
    fn variants_beside_compressible_files_only_and_only_when_smaller() {
        let dir = tempfile::tempdir().unwrap();
        let css = "body { margin: 0; }\n".repeat(100);
        fs::write(dir.path().join("style-0123456789abcdef.css"), &css).unwrap();
        fs::create_dir(dir.path().join("snippets")).unwrap();
        fs::write(
            dir.path().join("snippets/inline0.js"),
            "export const x = 1;\n".repeat(50),
        )
        .unwrap();
        fs::write(dir.path().join("photo.png"), vec![7u8; 4096]).unwrap();
        // Too small to gain anything; a stale variant from an earlier build goes.
        fs::write(dir.path().join("a.txt"), "a").unwrap();
        fs::write(dir.path().join("a.txt.br"), "stale").unwrap();

        let report = precompress_dir(dir.path()).unwrap();

        let names: Vec<_> = report
            .iter()
            .map(|c| {
                c.path
                    .strip_prefix(dir.path())
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            names,
            ["a.txt", "snippets/inline0.js", "style-0123456789abcdef.css"]
        );
        assert_eq!(report[0].brotli, None);
        assert_eq!(report[0].gzip, None);
        assert!(!dir.path().join("a.txt.br").exists());
        assert!(!dir.path().join("a.txt.gz").exists());
        assert!(!dir.path().join("photo.png.br").exists());
        let br = fs::read(dir.path().join("style-0123456789abcdef.css.br")).unwrap();
        let gz = fs::read(dir.path().join("style-0123456789abcdef.css.gz")).unwrap();
        assert_eq!(report[2].brotli, Some(br.len() as u64));
        assert_eq!(unbrotli(&br), css.as_bytes());
        assert_eq!(gunzip(&gz), css.as_bytes());
        assert!(dir.path().join("snippets/inline0.js.br").exists());
        assert!(dir.path().join("snippets/inline0.js.gz").exists());

        // Running again replaces the variants and never compresses a variant.
        let again = precompress_dir(dir.path()).unwrap();
        assert_eq!(again, report);
        assert!(!dir.path().join("style-0123456789abcdef.css.br.gz").exists());
    }
}
