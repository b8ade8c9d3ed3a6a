//! Configuration: one layer for every command, in this order of precedence —
//!
//! 1. command-line flags (`--lease-seconds 30`),
//! 2. environment variables (`SPENDLENS_LEASE_SECONDS=30`, `DATABASE_URL`),
//! 3. a TOML file (`--config PATH` or `SPENDLENS_CONFIG=PATH`) whose keys are the flags'
//!    names with underscores (`lease_seconds = 30`),
//! 4. the built-in defaults (`spendlens serve --help` shows them).
//!
//! The file's values become the flags' defaults, so every value is checked by the same
//! parser whichever source it comes from, and a bad one is refused at start with the
//! flag, the environment variable and the allowed range in the message. An unknown key
//! in the file is an error too (a typo must not silently fall back to a default).
//!
//! [`AuthSettings`] lives here, below both `auth` and `state`, which read it.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use clap::{ArgMatches, Command, parser::ValueSource};

/// The environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "SPENDLENS_CONFIG";

/// Values read from a configuration file, by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileValues {
    pub path: Option<PathBuf>,
    pub values: BTreeMap<String, String>,
}

/// Where the configuration file is: `--config PATH` (or `--config=PATH`) among the
/// arguments, else `SPENDLENS_CONFIG`.
pub fn file_path(args: &[String]) -> Option<PathBuf> {
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--config" {
            return iter.next().map(PathBuf::from);
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os(CONFIG_ENV)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// Reads a TOML file of `key = value` pairs (strings, numbers, booleans; no tables).
pub fn read_file(path: &Path) -> Result<FileValues, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the configuration file {}: {e}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("{} is not valid TOML: {e}", path.display()))?;
    let mut values = BTreeMap::new();
    for (key, value) in table {
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(format!(
                    "{}: `{key}` must be a string, a number or true/false, not {}",
                    path.display(),
                    other.type_str()
                ));
            }
        };
        values.insert(key, text);
    }
    Ok(FileValues {
        path: Some(path.to_owned()),
        values,
    })
}

/// Makes the file's values the defaults of the flags of the same name, in every
/// subcommand that has such a flag. Fails on a key that no command knows.
pub fn apply(mut command: Command, file: &FileValues) -> Result<Command, String> {
    let known = settings(&command);
    let unknown: Vec<&str> = file
        .values
        .keys()
        .map(String::as_str)
        .filter(|key| !known.iter().any(|k| k == key))
        .collect();
    if unknown.is_empty() {
        for (key, value) in &file.values {
            command = set_default(command, key, value);
        }
        return Ok(command);
    }
    Err(format!(
        "{}: unknown setting{} {}; the settings are: {}",
        file.path.as_deref().map_or_else(
            || "the configuration file".to_owned(),
            |p| p.display().to_string()
        ),
        if unknown.len() == 1 { "" } else { "s" },
        unknown
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", "),
        known.join(", ")
    ))
}

/// The commands whose flags are settings (the others' flags, like `org create --name`,
/// are one-off arguments).
const SETTINGS_OF: [&str; 2] = ["serve", "worker"];

/// The names a configuration file may set: the flags of `serve` and `worker`.
fn settings(command: &Command) -> Vec<String> {
    let mut known: Vec<String> = command
        .get_subcommands()
        .filter(|sub| SETTINGS_OF.contains(&sub.get_name()))
        .flat_map(|sub| sub.get_arguments())
        .filter(|arg| {
            arg.get_long().is_some()
                && !matches!(arg.get_id().as_str(), "help" | "version" | "config")
        })
        .map(|arg| arg.get_id().to_string())
        .collect();
    known.sort();
    known.dedup();
    known
}

/// `value` becomes the default of the flag `key` in every command that has it (so the
/// file's `database_url` also serves `migrate` and `api-key create`).
fn set_default(mut command: Command, key: &str, value: &str) -> Command {
    if command
        .get_arguments()
        .any(|a| a.get_id() == key && a.get_long().is_some())
    {
        let value = value.to_owned();
        command = command.mut_arg(key, |arg| arg.default_value(value));
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, |sub| set_default(sub, key, value));
    }
    command
}

/// Settings whose values are secrets: shown masked.
const SECRETS: [&str; 7] = [
    "demo_password",
    "encryption_key",
    "http_api_key",
    "metrics_token",
    "quickbooks_client_secret",
    "smtp_url",
    "xero_client_secret",
];

/// One line per setting of `matches`: name, value (secrets and passwords in URLs
/// masked) and where it came from.
pub fn describe(command: &Command, matches: &ArgMatches, file: &FileValues) -> Vec<String> {
    let mut lines = Vec::new();
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        if arg.get_long().is_none() || matches!(id, "help" | "version" | "config") {
            continue;
        }
        let Some(raw) = matches.get_raw(id) else {
            lines.push(format!("{id} = (unset)"));
            continue;
        };
        let value = raw
            .map(|v| v.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(",");
        let shown = if SECRETS.contains(&id) {
            "********".to_owned()
        } else {
            mask_url_password(&value)
        };
        let source = match matches.value_source(id) {
            Some(ValueSource::CommandLine) => "flag",
            Some(ValueSource::EnvVariable) => "environment",
            Some(ValueSource::DefaultValue) if file.values.contains_key(id) => "file",
            _ => "default",
        };
        lines.push(format!("{id} = {shown}  ({source})"));
    }
    lines
}

/// A URL as it may be shown: its password masked.
pub fn describe_url(url: &str) -> String {
    mask_url_password(url)
}

/// `postgres://user:secret@host/db` → `postgres://user:********@host/db`.
fn mask_url_password(value: &str) -> String {
    let Some((scheme, rest)) = value.split_once("://") else {
        return value.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return value.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:********@{host}"),
        None => value.to_owned(),
    }
}

/// A database URL the store can open: `sqlite://…` or `postgres://…`.
pub fn parse_database_url(text: &str) -> Result<String, String> {
    if ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|scheme| text.starts_with(scheme))
    {
        Ok(text.to_owned())
    } else {
        Err("must start with sqlite: or postgres:// (e.g. postgres://user@127.0.0.1:5432/spendlens)".to_owned())
    }
}

/// An absolute http(s) URL.
pub fn parse_http_url(text: &str) -> Result<String, String> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or("must start with http:// or https://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err("must name a host, e.g. https://portal.example.com".to_owned());
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// How sessions and limits behave (from configuration).
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// A session unused this long ends.
    pub idle: chrono::Duration,
    /// A session ends this long after sign-in, whatever the activity.
    pub absolute: chrono::Duration,
    /// Mark the cookie `Secure` (the portal is served over HTTPS).
    pub secure_cookies: bool,
    /// Requests per minute per user or API key, per process.
    pub requests_per_minute: u32,
    /// Sign-in attempts per email address and client address together, per minute (all
    /// processes together).
    pub sign_ins_per_minute: u32,
    /// Sign-in attempts per client address, whatever the email addresses, per minute.
    pub sign_ins_per_address_per_minute: u32,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            idle: chrono::Duration::minutes(30),
            absolute: chrono::Duration::hours(12),
            secure_cookies: false,
            requests_per_minute: 600,
            sign_ins_per_minute: 5,
            sign_ins_per_address_per_minute: 30,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(
            mask_url_password("postgres://app:s3cret@db:5432/spendlens"),
            "postgres://app:********@db:5432/spendlens"
        );
        assert_eq!(
            mask_url_password("sqlite://data/spendlens.db?mode=rwc"),
            "sqlite://data/spendlens.db?mode=rwc"
        );
    }

    #[test]
    fn urls_are_checked() {
        assert!(parse_database_url("mysql://x").is_err());
        assert!(parse_database_url("postgres://u@h/db").is_ok());
        assert!(parse_http_url("portal.example.com").is_err());
        assert!(parse_http_url("https://").is_err());
        assert_eq!(
            parse_http_url("https://portal.example.com/").unwrap(),
            "https://portal.example.com"
        );
    }

    #[test]
    fn the_config_flag_and_variable_name_the_file() {
        let args = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            file_path(&args(&["spendlens", "serve", "--config", "a.toml"])),
            Some(PathBuf::from("a.toml"))
        );
        assert_eq!(
            file_path(&args(&["spendlens", "--config=b.toml", "serve"])),
            Some(PathBuf::from("b.toml"))
        );
    }
}
