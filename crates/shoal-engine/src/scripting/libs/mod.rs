//! The libraries Redis bundles with its Lua, written in Rust: `bit`, `cjson`, `struct`
//! and `cmsgpack`.

pub(crate) mod bit;
pub(crate) mod cjson;
pub(crate) mod msgpack;
pub(crate) mod structlib;

/// A Lua runtime error with `msg`.
pub(crate) fn lua_err(msg: impl Into<String>) -> mlua::Error {
    mlua::Error::runtime(msg.into())
}
