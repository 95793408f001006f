//! Loads settings the way every Passage server does: the TOML file, then the
//! `PASSAGE__…` environment (`PASSAGE__DATABASE__URL` sets `database.url`), then
//! command-line flags. A bad value is reported with its file, line and key.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use config::{Config, ConfigError, Environment, File, FileFormat};
use serde::de::DeserializeOwned;

/// Why settings could not be loaded, and where.
#[derive(Debug)]
pub struct SettingsError {
    pub file: PathBuf,
    /// 1-based line of the offending key in the file, when it is there.
    pub line: Option<usize>,
    /// Dotted key, such as `database.url`.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for SettingsError {}

/// Reads settings of type `T` from `file`, then `environment` (only `PASSAGE__…`
/// entries count), then `overrides` (dotted key → value, from flags), and checks
/// them with `check`, which names the offending key.
pub fn load<T: DeserializeOwned>(
    file: &Path,
    environment: &HashMap<String, String>,
    overrides: &[(&str, String)],
    check: impl Fn(&T) -> Result<(), (String, String)>,
) -> Result<T, SettingsError> {
    let text = std::fs::read_to_string(file).map_err(|e| SettingsError {
        file: file.to_owned(),
        line: None,
        key: None,
        message: format!("cannot read settings file: {e}"),
    })?;
    let environment: HashMap<String, String> = environment
        .iter()
        .filter(|(name, _)| name.starts_with("PASSAGE__"))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let mut builder = Config::builder()
        .add_source(File::from_str(&text, FileFormat::Toml))
        .add_source(
            Environment::with_prefix("PASSAGE")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .source(Some(environment)),
        );
    for (key, value) in overrides {
        builder = builder
            .set_override(*key, value.clone())
            .map_err(|e| describe(file, &text, e))?;
    }
    let settings: T = builder
        .build()
        .and_then(Config::try_deserialize)
        .map_err(|e| describe(file, &text, e))?;
    check(&settings).map_err(|(key, message)| SettingsError {
        file: file.to_owned(),
        line: line_of(&text, &key),
        key: Some(key),
        message,
    })?;
    Ok(settings)
}

/// Turns a `config` error into one that names the key and its line.
fn describe(file: &Path, text: &str, error: ConfigError) -> SettingsError {
    let (key, message) = key_and_message(error);
    SettingsError {
        file: file.to_owned(),
        line: key.as_deref().and_then(|key| line_of(text, key)),
        key,
        message,
    }
}

fn key_and_message(error: ConfigError) -> (Option<String>, String) {
    match error {
        ConfigError::At { error, key, .. } => {
            let (inner_key, message) = key_and_message(*error);
            let key = match (key, inner_key) {
                (Some(outer), Some(inner)) if !inner.starts_with(&outer) => {
                    Some(format!("{outer}.{inner}"))
                }
                (outer, inner) => inner.or(outer),
            };
            (key, message)
        }
        ConfigError::Type {
            unexpected,
            expected,
            key,
            ..
        } => (key, format!("expected {expected}, found {unexpected}")),
        ConfigError::NotFound(key) => (Some(key), "missing".to_owned()),
        ConfigError::Message(message) => {
            // serde's "missing field `url`" / "unknown field `x`, expected …"
            let field = message
                .split('`')
                .nth(1)
                .filter(|_| message.contains(" field `"))
                .map(str::to_owned);
            (field, message)
        }
        other => (None, other.to_string()),
    }
}

/// The 1-based line where dotted `key` is set in a TOML text: the key's own line,
/// else the line of its table header.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let base = key.split('[').next().unwrap_or(key);
    let (table, leaf) = match base.rsplit_once('.') {
        Some((table, leaf)) => (Some(table), leaf),
        None => (None, base),
    };
    let mut in_table = table.is_none();
    let mut header_line = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            let name = trimmed.trim_matches(|c| c == '[' || c == ']').trim();
            in_table = Some(name) == table;
            if in_table {
                header_line.get_or_insert(index + 1);
            }
            continue;
        }
        if in_table
            && let Some(rest) = trimmed.strip_prefix(leaf)
            && rest.trim_start().starts_with('=')
        {
            return Some(index + 1);
        }
    }
    header_line
}

/// The process environment, for [`load`].
pub fn process_environment() -> HashMap<String, String> {
    std::env::vars().collect()
}
