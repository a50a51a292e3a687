//! Function libraries: `#!lua name=<lib>` code whose top level registers functions with
//! `redis.register_function`; loading, deleting, and the lookups FCALL does.

use super::run::clean;
use super::Vm;
use bytes::Bytes;
use mlua::{Function, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

/// How long a library's top level may run while loading.
const LOAD_TIMEOUT_MS: u64 = 500;

/// One registered function.
#[derive(Clone)]
pub(crate) struct FunctionDef {
    pub(crate) callback: Function,
    pub(crate) flags: Vec<String>,
    pub(crate) description: Option<String>,
}

impl FunctionDef {
    /// True for a `no-writes` function.
    pub(crate) fn no_writes(&self) -> bool {
        self.flags.iter().any(|f| f == "no-writes")
    }
}

/// One library.
#[derive(Clone)]
pub(crate) struct Library {
    pub(crate) code: Bytes,
    pub(crate) functions: BTreeMap<String, FunctionDef>,
}

/// Every library, and which library holds each function.
#[derive(Default, Clone)]
pub(crate) struct Libraries {
    pub(crate) libs: BTreeMap<String, Library>,
    pub(crate) owner: HashMap<String, String>,
}

impl Libraries {
    /// The function called `name`.
    pub(crate) fn function(&self, name: &str) -> Option<&FunctionDef> {
        let lib = self.owner.get(name)?;
        self.libs.get(lib)?.functions.get(name)
    }

    /// Libraries and functions, for FUNCTION STATS.
    pub(crate) fn counts(&self) -> (usize, usize) {
        (self.libs.len(), self.owner.len())
    }

    /// Removes library `name`; false if there is none.
    pub(crate) fn remove(&mut self, name: &str) -> bool {
        match self.libs.remove(name) {
            Some(lib) => {
                for f in lib.functions.keys() {
                    self.owner.remove(f);
                }
                true
            }
            None => false,
        }
    }
}

fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// The library name in the first line, and the code with that line blanked (so line numbers
/// stay those of the text sent).
fn parse_header(code: &[u8]) -> Result<(String, Vec<u8>), String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let end = code.iter().position(|&c| c == b'\n').unwrap_or(code.len());
    let line = String::from_utf8_lossy(&code[2..end]).into_owned();
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or("");
    let mut name = None;
    for p in parts {
        match p.strip_prefix("name=") {
            Some(_) if name.is_some() => {
                return Err(
                    "ERR Invalid metadata value, name argument was given multiple times".into(),
                )
            }
            Some(n) => name = Some(n.to_string()),
            None => return Err(format!("ERR Invalid metadata value given: {p}")),
        }
    }
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(format!("ERR Engine '{engine}' not found"));
    }
    let Some(name) = name else {
        return Err("ERR Library name was not given".into());
    };
    if !valid_name(&name) {
        return Err("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".into());
    }
    Ok((name, code[end..].to_vec()))
}

type Registered = Vec<(String, FunctionDef)>;

impl Vm {
    /// Loads a library (FUNCTION LOAD): its name, or the error text.
    pub(crate) fn load_library(&mut self, code: &Bytes, replace: bool) -> Result<String, String> {
        let (name, body) = parse_header(code)?;
        if self.libs.libs.contains_key(&name) && !replace {
            return Err(format!("ERR Library '{name}' already exists"));
        }
        let funcs = self.run_library(&body)?;
        if funcs.is_empty() {
            return Err("ERR No functions registered".into());
        }
        for (f, _) in &funcs {
            match self.libs.owner.get(f) {
                Some(lib) if *lib != name => {
                    return Err(format!("ERR Function {f} already exists"))
                }
                _ => {}
            }
        }
        self.libs.remove(&name);
        for (f, _) in &funcs {
            self.libs.owner.insert(f.clone(), name.clone());
        }
        let library = Library {
            code: code.clone(),
            functions: funcs.into_iter().collect(),
        };
        self.libs.libs.insert(name.clone(), library);
        Ok(name)
    }

    /// Compiles and runs a library's top level, collecting what it registers.
    fn run_library(&self, body: &[u8]) -> Result<Registered, String> {
        let lua = &self.sb.lua;
        let text = crate::commands::scripting::as_source(body);
        let chunk = lua
            .load(&text[..])
            .set_name("@user_function")
            .set_environment(self.sb.env.clone())
            .into_function()
            .map_err(|e| format!("ERR Error compiling function: {}", clean(&e)))?;
        let got: RefCell<Registered> = RefCell::new(Vec::new());
        let hooks = &self.sb.hooks;
        let result = lua.scope(|scope| {
            let register = scope.create_function(|_, (name, cb, flags, desc): (String, Function, Vec<String>, Option<String>)| {
                if !valid_name(&name) {
                    return Ok(Some("Function names can only contain letters, numbers, or underscores(_) and must be at least one character long"));
                }
                let mut got = got.borrow_mut();
                if got.iter().any(|(n, _)| *n == name) {
                    return Ok(Some("Function already exists in the library"));
                }
                let def = FunctionDef { callback: cb, flags, description: desc };
                got.push((name, def));
                Ok(None)
            })?;
            hooks.raw_set("register", register)?;
            hooks.raw_get::<Function>("set_loading")?.call::<()>(true)?;
            self.sb.arm.load(LOAD_TIMEOUT_MS);
            self.sb
                .runner
                .call::<(bool, Value)>((chunk, &self.sb.handler, Value::Nil, Value::Nil, false))
        });
        self.sb.arm.off();
        if let Ok(f) = hooks.raw_get::<Function>("set_loading") {
            let _ = f.call::<()>(false);
        }
        let _ = hooks.raw_set("register", Value::Nil);
        match result {
            Ok((true, _)) => Ok(got.into_inner()),
            Ok((false, Value::Table(t))) => {
                let msg: String = t.raw_get("err").unwrap_or_default();
                Err(format!("ERR Error registering functions: {msg}"))
            }
            Ok((false, _)) => Err("ERR Error registering functions".into()),
            Err(e) => Err(format!("ERR Error registering functions: {}", clean(&e))),
        }
    }
}
