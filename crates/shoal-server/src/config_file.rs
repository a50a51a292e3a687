//! Start-up configuration the way `redis-server` takes it: an optional config file, then
//! `--directive value...` overrides, with Redis's directive names.

use shoal_engine::config::{Config, ConfigError};

/// A configuration that cannot be applied; the binary prints it and exits.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// The config file could not be read.
    #[error("Fatal error, can't open config file '{path}': {source}")]
    Read {
        /// Path given.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A directive was refused.
    #[error("\n*** FATAL CONFIG FILE ERROR ***\nReading the configuration file, at line {line}\n>>> '{text}'\n{reason}")]
    Directive {
        /// 1-based line number in the combined config (file, then command line).
        line: usize,
        /// The offending line.
        text: String,
        /// What is wrong.
        reason: String,
    },
}

/// Applies `redis-server`-style arguments: `[config-file] [--name value ...]`.
pub fn apply_args(config: &Config, args: &[String]) -> Result<(), ConfigFileError> {
    // CONFIG SET checks the `tls-*` values together while TLS is on.
    crate::tls::install_checks();
    let mut text = String::new();
    let mut rest = args;
    if let Some(first) = args.first() {
        if !first.starts_with("--") {
            text = std::fs::read_to_string(first).map_err(|source| ConfigFileError::Read {
                path: first.clone(),
                source,
            })?;
            // CONFIG REWRITE writes back to this file; Redis keeps it as an absolute path.
            let path = std::fs::canonicalize(first).unwrap_or_else(|_| first.into());
            let _ = config.set_startup("config-file", &path.to_string_lossy());
            text.push('\n');
            rest = &args[1..];
        }
    }
    // `--port 6380 --save 900 1` becomes the lines "port 6380" and "save 900 1".
    for arg in rest {
        if let Some(name) = arg.strip_prefix("--") {
            text.push('\n');
            text.push_str(name);
        } else {
            text.push(' ');
            text.push_str(&quote(arg));
        }
    }
    apply_text(config, &text)
}

/// Applies config-file text to `config`.
pub fn apply_text(config: &Config, text: &str) -> Result<(), ConfigFileError> {
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let err = |reason: String| ConfigFileError::Directive {
            line: i + 1,
            text: trimmed.to_string(),
            reason,
        };
        let words = split_line(trimmed)
            .ok_or_else(|| err("Unbalanced quotes in configuration line".into()))?;
        let Some((name, values)) = words.split_first() else {
            continue;
        };
        if values.is_empty() {
            return Err(err("wrong number of arguments".into()));
        }
        if name.eq_ignore_ascii_case("user") {
            shoal_engine::acl::validate_user_line(values).map_err(err)?;
            config.startup_users.lock().push(values.to_vec());
            continue;
        }
        // The old name of `replicaof`.
        let name = if name.eq_ignore_ascii_case("slaveof") {
            "replicaof"
        } else {
            name.as_str()
        };
        match config.set_startup(name, &values.join(" ")) {
            Ok(()) => {}
            Err(ConfigError::Unknown(_)) => {
                return Err(err("Bad directive or wrong number of arguments".into()))
            }
            Err(ConfigError::Invalid { reason, .. }) => return Err(err(reason)),
        }
    }
    Ok(())
}

fn quote(arg: &str) -> String {
    if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
        format!("\"{}\"", arg.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        arg.to_string()
    }
}

/// Splits a config line into words, honouring double quotes (with backslash escapes) and
/// single quotes. None if a quote is left open.
fn split_line(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            return Some(words);
        };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            loop {
                match chars.next()? {
                    '\\' if first == '"' => word.push(chars.next()?),
                    c if c == first => break,
                    c => word.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn command_line_overrides_apply() {
        let c = Config::new();
        apply_args(&c, &args(&["--port", "7000", "--databases", "4"]))
            .map_err(|e| e.to_string())
            .ok();
        assert_eq!(c.get("port").as_deref(), Some("7000"));
        assert_eq!(c.get("databases").as_deref(), Some("4"));
    }

    #[test]
    fn config_file_then_overrides() {
        let dir = std::env::temp_dir().join(format!("shoal-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let path = dir.join("shoal.conf");
        std::fs::write(&path, "# comment\nport 7001\nbind \"127.0.0.1\"\nhz 20\n").ok();
        let c = Config::new();
        let r = apply_args(
            &c,
            &args(&[path.to_str().unwrap_or_default(), "--hz", "30"]),
        );
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(c.get("port").as_deref(), Some("7001"));
        assert_eq!(c.get("hz").as_deref(), Some("30"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn user_lines_are_kept_for_start_up_and_checked() {
        let c = Config::new();
        let r = apply_text(&c, "user app on >pw ~app:* (+get ~x*) +@all\nuser b\n");
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(c.startup_users.lock().len(), 2);
        let e = apply_text(&c, "user bad ~* ~a\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("Error in user declaration '~a': Adding a pattern after the * pattern"),
            "{e}"
        );
    }

    #[test]
    fn unknown_directive_is_fatal_with_line() {
        let c = Config::new();
        let e = apply_text(&c, "port 1\nnosuch thing\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("at line 2"), "{e}");
        assert!(e.contains("Bad directive"), "{e}");
        let e = apply_text(&c, "port abc\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("integer"), "{e}");
    }
}
