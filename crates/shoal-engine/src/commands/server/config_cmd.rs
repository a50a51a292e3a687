//! The CONFIG container: GET, SET (all or nothing), RESETSTAT, HELP.

use super::config_rewrite::{describe, rewrite_file};
use crate::command::{flags, CommandSpec, Group};
use crate::commands::connection::help_reply;
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use shoal_resp::Frame;
use std::sync::atomic::Ordering::Relaxed;

/// `CONFIG GET pattern [pattern ...]`: matching parameters and their values, each once.
fn config_get(ctx: &mut Ctx<'_>) -> CmdResult {
    let config = &ctx.engine().config;
    let mut seen: Vec<&'static str> = Vec::new();
    let mut out = Vec::new();
    for pattern in ctx.args.rest() {
        for (name, value) in config.matching(&pattern) {
            if name != "config-file" && !seen.contains(&name) {
                seen.push(name);
                out.push((Frame::bulk(name), Frame::bulk(value)));
            }
        }
    }
    Ok(Frame::Map(out))
}

/// `CONFIG SET name value [name value ...]`: every value is applied, or none is.
fn config_set(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args.rest();
    if !args.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity(ctx.name.to_string()));
    }
    let config = &ctx.engine().config;
    let mut pairs: Vec<(String, String, String)> = Vec::new();
    for pair in args.chunks(2) {
        let name = String::from_utf8_lossy(&pair[0]).into_owned();
        let value = String::from_utf8_lossy(&pair[1]).into_owned();
        let old = config.get(&name).ok_or_else(|| {
            CmdError::text(crate::config::ConfigError::Unknown(name.clone()).to_string())
        })?;
        if pairs.iter().any(|(n, _, _)| n.eq_ignore_ascii_case(&name)) {
            return Err(CmdError::text(format!(
                "CONFIG SET failed (possibly related to argument '{}') - duplicate parameter",
                name.to_ascii_lowercase()
            )));
        }
        pairs.push((name, value, old));
    }
    for (i, (name, value, _)) in pairs.iter().enumerate() {
        if let Err(e) = config.set(name, value) {
            for (name, _, old) in &pairs[..i] {
                // Restoring a value the parameter held a moment ago cannot fail.
                let _ = config.set_startup(name, old);
            }
            return Err(CmdError::text(e.to_string()));
        }
    }
    if let Err((name, reason)) = crate::tls_params::apply(ctx.engine(), &pairs) {
        for (name, _, old) in &pairs {
            let _ = config.set_startup(name, old);
        }
        return Err(CmdError::text(
            crate::config::ConfigError::Invalid { name, reason }.to_string(),
        ));
    }
    let names = || pairs.iter().map(|(n, _, _)| n.as_str());
    crate::acl::config_changed(ctx.engine(), names());
    crate::evict::config_changed(ctx.engine(), names());
    Ok(Frame::ok())
}

/// `CONFIG REWRITE`: saves the live configuration into the file the server started from.
fn config_rewrite(ctx: &mut Ctx<'_>) -> CmdResult {
    let config = &ctx.engine().config;
    let path = config.get("config-file").unwrap_or_default();
    if path.is_empty() {
        return Err(CmdError::Msg("The server is running without a config file"));
    }
    let users = crate::acl::config_file_lines(ctx.engine());
    rewrite_file(config, std::path::Path::new(&path), &users)
        .map_err(|e| CmdError::text(format!("Rewriting config file: {}", describe(&e))))?;
    Ok(Frame::ok())
}

/// `CONFIG RESETSTAT`: zeroes the INFO statistics.
fn config_resetstat(ctx: &mut Ctx<'_>) -> CmdResult {
    let s = &ctx.engine().stats;
    for counter in [
        &s.commands,
        &s.connections,
        &s.rejected_connections,
        &s.keyspace_hits,
        &s.keyspace_misses,
        &s.expired_keys,
        &s.evicted_keys,
        &s.net_input_bytes,
        &s.net_output_bytes,
        &s.error_replies,
        &s.expire_cycle_us,
        &s.peak_memory,
    ] {
        counter.store(0, Relaxed);
    }
    Ok(Frame::ok())
}

/// `CONFIG HELP`.
fn config_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "REWRITE",
            "    Rewrite the configuration file.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
        ],
    ))
}

const ADMIN: u32 = flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE;

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("config|get", config_get)
        .arity(-3)
        .flags(ADMIN)
        .group(Group::Server)
        .doc(
            "Reads parameters whose names match glob patterns.",
            "2.0.0",
            "O(N) when N is the number of configuration parameters provided",
        ),
    CommandSpec::new("config|set", config_set)
        .arity(-4)
        .flags(ADMIN)
        .group(Group::Server)
        .doc(
            "Sets configuration parameters at run time.",
            "2.0.0",
            "O(N) when N is the number of configuration parameters provided",
        ),
    CommandSpec::new("config|rewrite", config_rewrite)
        .arity(2)
        .flags(ADMIN)
        .group(Group::Server)
        .doc(
            "Saves the live configuration into the configuration file.",
            "2.8.0",
            "O(1)",
        ),
    CommandSpec::new("config|resetstat", config_resetstat)
        .arity(2)
        .flags(ADMIN)
        .group(Group::Server)
        .doc("Resets the server's statistics.", "2.0.0", "O(1)"),
    CommandSpec::new("config|help", config_help)
        .arity(2)
        .flags(flags::LOADING | flags::STALE)
        .group(Group::Server)
        .doc("Lists the CONFIG subcommands.", "5.0.0", "O(1)"),
];

/// The CONFIG container.
pub(super) const CONFIG: CommandSpec = CommandSpec::new("config", config_help)
    .arity(-2)
    .group(Group::Server)
    .doc(
        "Groups the subcommands that read and change the configuration.",
        "2.0.0",
        "Depends on subcommand.",
    )
    .subcommands(SUBCOMMANDS);
