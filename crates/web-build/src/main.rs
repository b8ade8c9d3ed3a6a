//! `web-build`: the web app's release build, without trunk.
//!
//! Reads `frontend/index.html` — the same source `trunk serve` uses — and writes
//! `frontend/dist/` as `trunk build --release` would, with two more pages: `index.html`
//! starts the portal (the rust link's `data-bin`), `connect.html` the customer's app
//! (the `customer` binary: only the pages under `/connect/`, which the server sends it
//! for), `admin.html` the admin pages' app (the `admin` binary, for `/admin…`):
//! 1. `cargo build` of the apps for `wasm32-unknown-unknown` with the profile the rust
//!    link names (`data-cargo-profile-release`), without the link's
//!    `data-cargo-features`: `customer-pages-in-portal` and `admin-pages-in-portal` are
//!    for trunk's one app, and here the portal goes without those pages, which the
//!    other pages have;
//! 2. wasm-bindgen through its library (`wasm-bindgen-cli-support`, the version the app
//!    links), for `--target web`;
//! 3. `wasm-opt` (binaryen 132 from npm, on `PATH`) with the link's level and parameters,
//!    every app at once;
//! 4. every file under a content-hashed name, each page linking its files (with SRI
//!    hashes), preloading its wasm and JavaScript, and starting its app;
//! 5. a `.br` and a `.gz` beside each file (`compression::precompress_dir`).
//!
//! When nothing it reads has changed since its last build (a stamp in `dist/`), it stops
//! after step 1, so a warm `scripts/run.sh` costs a second here.
//!
//! Usage: `web-build [DIST]` (default `frontend/dist`), from anywhere in the workspace.
//! Environment: `CARGO` (the cargo to run), `CARGO_TARGET_DIR`.

mod html;

use std::{
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    time::Instant,
};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use sha2::{Digest, Sha256, Sha384};

use crate::html::{Directive, Rewrite};

/// The binaryen release whose wasm-opt is known to keep the app working (Debian's 108
/// breaks it: `WebAssembly.Table.set()` at runtime).
const WASM_OPT_VERSION: &str = "version 132";

/// The wasm target.
const TARGET: &str = "wasm32-unknown-unknown";

/// Bump when the output's shape changes, so a stamp from an older tool does not count.
const STAMP_VERSION: &str = "web-build 5";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("web-build: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().context("the workspace root")?;
    let mut args = std::env::args_os().skip(1);
    let dist = match (args.next(), args.next()) {
        (None, _) => root.join("frontend/dist"),
        (Some(dist), None) => PathBuf::from(dist),
        _ => bail!("usage: web-build [DIST]"),
    };
    let source_dir = root.join("frontend");
    let index = fs::read_to_string(source_dir.join("index.html")).context("frontend/index.html")?;
    let directives = html::directives(&index)?;
    let app = App::from_directives(&directives)?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"));

    let started = Instant::now();
    let pages = [
        Page {
            html: "index.html",
            bin: app.bin.clone(),
        },
        Page {
            html: CUSTOMER_PAGE,
            bin: CUSTOMER_BIN.to_owned(),
        },
        Page {
            html: ADMIN_PAGE,
            bin: ADMIN_BIN.to_owned(),
        },
    ];
    let wasms = app.cargo_build(&root, &source_dir, &target_dir, &pages)?;
    let wasm_bytes = wasms
        .iter()
        .map(|wasm| fs::read(wasm).with_context(|| wasm.display().to_string()))
        .collect::<Result<Vec<_>>>()?;

    let inputs = Inputs::read(&source_dir, &index, &directives, wasm_bytes)?;
    let stamp = inputs.stamp();
    let stamp_file = dist.join(".web-build-stamp");
    if fs::read_to_string(&stamp_file).is_ok_and(|old| old == stamp)
        && pages.iter().all(|page| dist.join(page.html).is_file())
    {
        println!("web-build: {} is up to date", dist.display());
        return Ok(());
    }

    // wasm-bindgen for each app, then wasm-opt on all of them at once (a process each:
    // the two cores optimise the apps side by side).
    let work = target_dir.join("web-build");
    fs::create_dir_all(&work)?;
    let mut bound = Vec::new();
    for (page, wasm) in pages.iter().zip(&wasms) {
        let bindgen_dir = work.join("bindgen").join(&page.bin);
        let _ = fs::remove_dir_all(&bindgen_dir);
        wasm_bindgen_cli_support::Bindgen::new()
            .input_path(wasm)
            .out_name(&page.bin)
            .web(true)?
            .typescript(false)
            .generate(&bindgen_dir)
            .with_context(|| format!("wasm-bindgen of {}", page.bin))?;
        let glue = fs::read(bindgen_dir.join(format!("{}.js", page.bin)))?;
        bound.push((glue, bindgen_dir.join(format!("{}_bg.wasm", page.bin))));
    }
    println!("web-build: wasm-bindgen done ({:.0?})", started.elapsed());
    let optimised: Vec<PathBuf> = pages
        .iter()
        .map(|page| work.join(format!("{}_bg.opt.wasm", page.bin)))
        .collect();
    let jobs: Vec<(&Path, &Path)> = bound
        .iter()
        .zip(&optimised)
        .map(|((_, input), output)| (input.as_path(), output.as_path()))
        .collect();
    app.wasm_opt(&jobs)?;
    let final_wasms = optimised
        .iter()
        .map(fs::read)
        .collect::<std::io::Result<Vec<_>>>()?;
    println!(
        "web-build: wasm-opt -O{} done ({:.0?}): {}",
        app.opt_level,
        started.elapsed(),
        pages
            .iter()
            .zip(&final_wasms)
            .map(|(page, wasm)| format!("{} {} bytes", page.bin, wasm.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // A fresh dist/: files of an older build would otherwise pile up beside the new ones.
    let _ = fs::remove_dir_all(&dist);
    fs::create_dir_all(&dist).with_context(|| dist.display().to_string())?;
    // The stylesheet and the icon, shared by the pages.
    let mut links = Vec::new();
    for (directive, file) in directives.iter().zip(&inputs.files) {
        links.push(match (directive.rel.as_str(), file) {
            ("rust", _) => String::new(),
            ("css", Some((name, bytes))) => {
                let asset = write_named(&dist, name, bytes)?;
                format!(
                    r#"<link rel="stylesheet" href="/{}" integrity="{}" />"#,
                    asset.name, asset.integrity
                )
            }
            // In the page itself: one request fewer while the wasm downloads, for
            // a few hundred bytes (the CSP's `img-src` allows `data:`).
            ("icon", Some((name, bytes))) => {
                format!(r#"<link rel="icon" href="{}" />"#, data_uri(name, bytes)?)
            }
            (rel, _) => bail!("index.html: a data-trunk link with rel={rel} is not supported"),
        });
    }
    for ((page, (glue, _)), wasm) in pages.iter().zip(&bound).zip(&final_wasms) {
        let js = write_hashed(&dist, &page.bin, "js", glue)?;
        let wasm = write_hashed(&dist, &page.bin, "wasm", wasm)?;
        let rewrite = Rewrite {
            replacements: links.clone(),
            head_start: preloads(&js, &wasm),
            body: loader(&js, &wasm),
        };
        fs::write(
            dist.join(page.html),
            html::apply(&index, &directives, &rewrite)?,
        )?;
    }

    let compressed = compression::precompress_dir(&dist).context("precompressing")?;
    let total =
        |pick: fn(&compression::Compressed) -> u64| compressed.iter().map(pick).sum::<u64>();
    println!(
        "web-build: {} written ({:.0?}): {} bytes, {} brotli, {} gzip",
        dist.display(),
        started.elapsed(),
        total(|file| file.original),
        total(|file| file.brotli.unwrap_or(file.original)),
        total(|file| file.gzip.unwrap_or(file.original)),
    );
    fs::write(&stamp_file, stamp)?;
    Ok(())
}

/// A page of `dist/` and the app it starts.
struct Page {
    /// Its file name in `dist/`.
    html: &'static str,
    /// The `frontend` binary it starts.
    bin: String,
}

/// The customer's pages (`/connect/…`) start an app of their own, without the portal:
/// a third of its size (`frontend/src/lib.rs`). The server sends this page for them
/// (`crates/server/src/spa.rs`); `trunk serve` sends the portal's, which has them too.
const CUSTOMER_PAGE: &str = "connect.html";
const CUSTOMER_BIN: &str = "customer";

/// The admin pages (`/admin/…`) start an app of their own too, so that the portal every
/// relationship manager loads goes without them (`frontend/src/lib.rs`).
const ADMIN_PAGE: &str = "admin.html";
const ADMIN_BIN: &str = "admin";

/// The preloads, first in the head: the wasm, then the module, start downloading
/// before anything else the page asks for.
///
/// Rationale: the wasm is the longest download and the page's content waits for it. As
/// the first request after the document, it takes the document's connection, already
/// open and past TCP's slow start, where the stylesheet, the module and the first API
/// answers (index.html's head script) take a new connection each: over HTTP/1.1 the
/// wasm skips a connection's handshake (in Lighthouse's simulation its end became
/// steady, 2.40–2.41 s instead of 2.40–2.57 s: docs/benchmarks.md, "Lighthouse",
/// session 18).
///
/// No `integrity` on the wasm's preload: Chromium ignores it for `as="fetch"` and says
/// so on the console; the module's and the stylesheet's are checked.
fn preloads(js: &Asset, wasm: &Asset) -> String {
    format!(
        r#"<link rel="preload" href="/{wasm}" crossorigin="anonymous" as="fetch" type="application/wasm" /><link rel="modulepreload" href="/{js}" crossorigin="anonymous" integrity="{js_sri}" />"#,
        js = js.name,
        js_sri = js.integrity,
        wasm = wasm.name,
    )
}

/// The loader. Like trunk's, it starts the app through wasm-bindgen's initializer,
/// with two differences that keep the browser's main thread free in small pieces
/// (docs/benchmarks.md, "Lighthouse"):
/// - the app starts only once the shell has been painted (two frames: the first one
///   drawn may not have reached the screen yet): on a fast connection the wasm can
///   arrive before the first frame, and the person would wait for the app's first
///   render instead of seeing the page's frame at once;
/// - the wasm is compiled in one task and instantiated and started in the next: the
///   end of a streamed compile and the app's first render were one long task.
///
/// The wasm's download starts with its preload either way. The server's CSP allows
/// the script by its hash.
fn loader(js: &Asset, wasm: &Asset) -> String {
    format!(
        "\n<script type=\"module\">\nimport {{ initSync }} from '/{js}';\nconst task = (next) => setTimeout(next, 0);\nawait new Promise((painted) => requestAnimationFrame(() => requestAnimationFrame(() => task(painted))));\nconst module = await WebAssembly.compileStreaming(fetch('/{wasm}'));\nawait new Promise(task);\nconst wasm = initSync({{ module }});\ndispatchEvent(new CustomEvent(\"TrunkApplicationStarted\", {{detail: {{wasm}}}}));\n</script>",
        js = js.name,
        wasm = wasm.name,
    )
}

/// The app, as the rust link of `index.html` describes it.
struct App {
    manifest: String,
    bin: String,
    profile: String,
    opt_level: String,
    opt_params: Vec<String>,
}

impl App {
    fn from_directives(directives: &[Directive]) -> Result<Self> {
        let mut rust = directives
            .iter()
            .filter(|directive| directive.rel == "rust");
        let (Some(link), None) = (rust.next(), rust.next()) else {
            bail!("index.html must have exactly one data-trunk rel=\"rust\" link");
        };
        let bin = link
            .attribute("data-bin")
            .context("the rust link has no data-bin")?;
        Ok(Self {
            manifest: link.href.clone(),
            bin: bin.to_owned(),
            profile: link
                .attribute("data-cargo-profile-release")
                .unwrap_or("release")
                .to_owned(),
            opt_level: link.attribute("data-wasm-opt").unwrap_or("z").to_owned(),
            opt_params: link
                .attribute("data-wasm-opt-params")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        })
    }

    /// Builds the pages' apps for wasm32 (one cargo run: the crate once, its binaries
    /// linked side by side) and answers the path of each `.wasm`.
    fn cargo_build(
        &self,
        root: &Path,
        source_dir: &Path,
        target_dir: &Path,
        pages: &[Page],
    ) -> Result<Vec<PathBuf>> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .current_dir(root)
            .arg("build")
            .arg("--manifest-path")
            .arg(source_dir.join(&self.manifest));
        for page in pages {
            command.args(["--bin", &page.bin]);
        }
        let status = command
            .args(["--target", TARGET, "--profile", &self.profile])
            .status()
            .context("running cargo")?;
        if !status.success() {
            bail!("cargo build of the web app failed ({status})");
        }
        // Cargo's directory for a profile: `dev` builds go to `debug`.
        let profile_dir = if self.profile == "dev" {
            "debug"
        } else {
            &self.profile
        };
        Ok(pages
            .iter()
            .map(|page| {
                target_dir
                    .join(TARGET)
                    .join(profile_dir)
                    .join(format!("{}.wasm", page.bin))
            })
            .collect())
    }

    /// Optimises each `(input, output)`, all at once.
    fn wasm_opt(&self, jobs: &[(&Path, &Path)]) -> Result<()> {
        let version = Command::new("wasm-opt").arg("--version").output().context(
            "wasm-opt is not on PATH: `npm ci` in frontend/ installs binaryen, \
                 and frontend/node_modules/.bin goes first on PATH",
        )?;
        let version = String::from_utf8_lossy(&version.stdout);
        if !version.contains(WASM_OPT_VERSION) {
            bail!(
                "wasm-opt on PATH is {:?}, not binaryen's {WASM_OPT_VERSION} (put frontend/node_modules/.bin first on PATH)",
                version.trim()
            );
        }
        let running = jobs
            .iter()
            .map(|(input, output)| {
                Command::new("wasm-opt")
                    .arg(format!("-O{}", self.opt_level))
                    .arg(input)
                    .arg("--output")
                    .arg(output)
                    .args(&self.opt_params)
                    .spawn()
                    .context("running wasm-opt")
            })
            .collect::<Result<Vec<_>>>()?;
        // Every run waited for, so that none is left writing after a failure.
        let statuses: Vec<_> = running.into_iter().map(|mut child| child.wait()).collect();
        for (status, (input, _)) in statuses.into_iter().zip(jobs) {
            let status = status.context("waiting for wasm-opt")?;
            if !status.success() {
                bail!("wasm-opt failed on {} ({status})", input.display());
            }
        }
        Ok(())
    }
}

/// Everything the output depends on, read once.
struct Inputs {
    index: String,
    /// Each page's app, in order.
    wasms: Vec<Vec<u8>>,
    /// For each directive, in order: the file it names (`None` for the rust link).
    files: Vec<Option<(String, Vec<u8>)>>,
}

impl Inputs {
    fn read(
        source_dir: &Path,
        index: &str,
        directives: &[Directive],
        wasms: Vec<Vec<u8>>,
    ) -> Result<Self> {
        let files = directives
            .iter()
            .map(|directive| {
                if directive.rel == "rust" {
                    return Ok(None);
                }
                let bytes = fs::read(source_dir.join(&directive.href))
                    .with_context(|| format!("frontend/{}", directive.href))?;
                Ok(Some((directive.href.clone(), bytes)))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            index: index.to_owned(),
            wasms,
            files,
        })
    }

    /// A digest of every input and of this tool's output shape.
    fn stamp(&self) -> String {
        let mut digest = Sha256::new();
        let parts = [STAMP_VERSION.as_bytes(), self.index.as_bytes()]
            .into_iter()
            .chain(self.wasms.iter().map(Vec::as_slice));
        for part in parts {
            digest.update((part.len() as u64).to_le_bytes());
            digest.update(part);
        }
        for (name, bytes) in self.files.iter().flatten() {
            digest.update((name.len() as u64).to_le_bytes());
            digest.update(name.as_bytes());
            digest.update((bytes.len() as u64).to_le_bytes());
            digest.update(bytes);
        }
        hex(&digest.finalize())
    }
}

/// A file written to `dist/`.
struct Asset {
    name: String,
    /// Its SRI value (`sha384-…`).
    integrity: String,
}

/// Writes `bytes` as `{stem}-{hash}.{extension}`; `.wasm` is written as trunk names it,
/// `{stem}-{hash}_bg.wasm`.
fn write_hashed(dist: &Path, stem: &str, extension: &str, bytes: &[u8]) -> Result<Asset> {
    let hash = &hex(&Sha256::digest(bytes))[..16];
    let name = match extension {
        "wasm" => format!("{stem}-{hash}_bg.wasm"),
        _ => format!("{stem}-{hash}.{extension}"),
    };
    fs::write(dist.join(&name), bytes).with_context(|| name.clone())?;
    Ok(Asset {
        integrity: format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
        ),
        name: html::escape_attribute(&name),
    })
}

/// [`write_hashed`] for a source file: its name's stem and extension are kept.
fn write_named(dist: &Path, source_name: &str, bytes: &[u8]) -> Result<Asset> {
    let file_name = Path::new(source_name)
        .file_name()
        .and_then(|name| name.to_str())
        .context("a data-trunk href has no file name")?;
    let (stem, extension) = file_name
        .rsplit_once('.')
        .with_context(|| format!("{file_name} has no extension"))?;
    write_hashed(dist, stem, extension, bytes)
}

/// `bytes` as a `data:` URI, with the media type its file name's extension gives.
fn data_uri(name: &str, bytes: &[u8]) -> Result<String> {
    let media_type = match Path::new(name).extension().and_then(|ext| ext.to_str()) {
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => bail!("index.html: the icon {name} is not an svg, png or ico file"),
    };
    Ok(format!(
        "data:{media_type};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_goes_into_the_page_as_a_data_uri() {
        assert_eq!(
            data_uri("favicon.svg", b"<svg/>").unwrap(),
            "data:image/svg+xml;base64,PHN2Zy8+"
        );
        assert!(
            data_uri("icons/app.png", b"")
                .unwrap()
                .starts_with("data:image/png;base64,")
        );
        assert!(data_uri("favicon.gif", b"").is_err());
    }

    #[test]
    fn the_wasm_is_preloaded_before_its_module() {
        let asset = |name: &str| Asset {
            name: name.to_owned(),
            integrity: "sha384-x".to_owned(),
        };
        let head = preloads(&asset("app-1.js"), &asset("app-1_bg.wasm"));
        let wasm = head.find(r#"href="/app-1_bg.wasm""#).unwrap();
        let module = head.find(r#"href="/app-1.js""#).unwrap();
        assert!(wasm < module, "{head}");
        assert!(head.contains(
            r#"rel="modulepreload" href="/app-1.js" crossorigin="anonymous" integrity="sha384-x""#
        ));
    }
}
