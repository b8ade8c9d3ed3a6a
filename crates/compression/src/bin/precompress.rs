//! `precompress DIR`: writes `<file>.br` and `<file>.gz` beside every compressible file
//! under DIR. Trunk runs it on the web app after a release build (a `post_build` hook in
//! `Trunk.toml`), so `dist/` holds the variants the server sends by `Accept-Encoding`.

use std::{path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: precompress DIR");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    match compression::precompress_dir(&dir) {
        Ok(files) => {
            let size = |n: Option<u64>| n.map_or("-".to_owned(), |n| n.to_string());
            for file in &files {
                let name = file.path.strip_prefix(&dir).unwrap_or(&file.path);
                println!(
                    "precompress: {} {} bytes, br {}, gz {}",
                    name.display(),
                    file.original,
                    size(file.brotli),
                    size(file.gzip)
                );
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("precompress: {}: {err}", dir.display());
            ExitCode::FAILURE
        }
    }
}
