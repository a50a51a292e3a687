//! A number for every command and subcommand, so a selector's allowed commands are a bitmap.

use crate::command::{CommandSpec, CommandTable, NameHasher};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

struct Entry {
    name: &'static str,
    categories: u64,
    parent: Option<usize>,
    subs: Vec<usize>,
    /// The application's own (module-like) command: ACL CAT leaves it out, as Redis does
    /// module commands.
    custom: bool,
    /// How it touches its keys (see `keyspecs`), found once here.
    key_specs: Option<&'static [(usize, u8)]>,
}

/// Command ids, built once from the command table (custom commands included).
pub struct CommandIds {
    entries: Vec<Entry>,
    by_name: HashMap<&'static str, usize, BuildHasherDefault<NameHasher>>,
}

impl CommandIds {
    /// Numbers every command of `table` and its subcommands, in name order.
    pub fn new(table: &CommandTable) -> CommandIds {
        let mut tops: Vec<&CommandSpec> = table.iter().collect();
        tops.sort_by_key(|s| s.name);
        let mut ids = CommandIds {
            entries: Vec::new(),
            by_name: HashMap::default(),
        };
        for spec in tops {
            let id = ids.push(spec, None);
            for sub in spec.subcommands {
                let sid = ids.push(sub, Some(id));
                ids.entries[id].subs.push(sid);
            }
        }
        ids
    }

    fn push(&mut self, spec: &CommandSpec, parent: Option<usize>) -> usize {
        let id = self.entries.len();
        self.entries.push(Entry {
            name: spec.name,
            categories: spec.acl_categories(),
            parent,
            subs: Vec::new(),
            custom: spec.group == crate::command::Group::Module,
            key_specs: super::keyspecs::specs_of(spec.name),
        });
        self.by_name.insert(spec.name, id);
        id
    }

    /// Words a bitmap of every id needs.
    pub fn words(&self) -> usize {
        self.entries.len().div_ceil(64).max(1)
    }

    /// The id of a command by full name (`get`, `client|list`), any case.
    pub fn lookup(&self, name: &str) -> Option<usize> {
        self.by_name
            .get(name)
            .or_else(|| self.by_name.get(name.to_ascii_lowercase().as_str()))
            .copied()
    }

    /// The full name of `id`.
    pub fn name(&self, id: usize) -> &'static str {
        self.entries.get(id).map_or("", |e| e.name)
    }

    /// The key specifications of `id`, if Redis lists the command.
    pub(crate) fn key_specs(&self, id: usize) -> Option<&'static [(usize, u8)]> {
        self.entries.get(id).and_then(|e| e.key_specs)
    }

    /// The container of a subcommand.
    pub fn parent(&self, id: usize) -> Option<usize> {
        self.entries.get(id).and_then(|e| e.parent)
    }

    /// The subcommands of a container.
    pub fn subs(&self, id: usize) -> &[usize] {
        self.entries.get(id).map_or(&[], |e| e.subs.as_slice())
    }

    /// Every id whose command is in category `flag`, containers before their subcommands.
    pub fn with_category(&self, flag: u64) -> impl Iterator<Item = usize> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.categories & flag != 0)
            .map(|(i, _)| i)
    }

    /// Full names of the commands in category `flag` (ACL CAT).
    pub fn names_in(&self, flag: u64) -> Vec<&'static str> {
        self.with_category(flag)
            .filter(|&i| !self.entries[i].custom)
            .map(|i| self.entries[i].name)
            .collect()
    }
}
