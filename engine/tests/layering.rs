//! The engine's layout shows its layers: no module imports one that imports it back (no
//! cycle between any two source files), and each top-level module uses only the layers
//! below it:
//!
//! ```text
//! expr                    the expression language
//! config, error           (error knows expression errors)
//! api                     typed commands, replies, calls, effects, names
//! wire, table, catalog    the JSON edge; the table object; the catalog object
//! flow                    the request flow and the multi-object protocols
//! ```
//!
//! `lib.rs` (the facade) and the in-memory hosts `sim` and `fuzzing` may use anything. The
//! check reads the sources: every `crate::`, `super::` and child-module path, `use` trees
//! included, resolved to the file of the deepest module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → the top-level modules it may use.
const LAYERS: &[(&str, &[&str])] = &[
    ("expr", &[]),
    ("config", &[]),
    ("error", &["expr"]),
    ("formats", &["error"]),
    ("auth", &["error"]),
    ("api", &["config", "error", "expr", "formats", "auth"]),
    ("wire", &["api", "formats", "config", "error", "expr"]),
    ("table", &["api", "formats", "config", "error", "expr"]),
    ("catalog", &["api", "config", "error"]),
    ("identity", &["api", "auth", "config", "error"]),
    ("coordinator", &["api", "config", "error"]),
    ("flow", &["api", "auth", "wire", "config", "error"]),
];
/// Hosts and the facade: may use every layer, and no layer may use them.
const TOP: &[&str] = &["", "sim", "fuzzing"];

type Module = Vec<String>;

fn modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            if p.is_dir() {
                let mut m = prefix.to_vec();
                m.push(name);
                walk(&p, &m, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let m = match name.as_str() {
                    "mod" | "lib" => prefix.to_vec(),
                    _ => {
                        let mut m = prefix.to_vec();
                        m.push(name);
                        m
                    }
                };
                out.insert(m, p);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, &[], &mut out);
    out
}

/// The source without comments, string and char literals (so paths in them do not count).
fn code_only(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'r' if (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                // A raw string: r"…", r#"…"#.
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                j += 1;
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                while j < b.len() && !b[j..].starts_with(&close) {
                    j += 1;
                }
                i = j + close.len();
                out.push_str("\"\"");
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
                let end = if b.get(i + 1) == Some(&b'\\') {
                    b[i + 2..]
                        .iter()
                        .position(|&c| c == b'\'')
                        .map(|p| i + 2 + p)
                } else if b.get(i + 2) == Some(&b'\'') {
                    Some(i + 2)
                } else {
                    None
                };
                match end {
                    Some(e) => {
                        i = e + 1;
                        out.push_str("' '");
                    }
                    None => {
                        out.push('\'');
                        i += 1;
                    }
                }
            }
            c => {
                out.push(c as char);
                i += 1;
            }
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Expands a path that may end in a `{…}` group: `a::b::{c, d::e}` → `a::b::c`, `a::b::d::e`.
fn expand(chars: &[char], at: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut i = at;
    let mut path = prefix;
    loop {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i < chars.len() && chars[i] == '{' {
            i += 1;
            loop {
                while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
                    i += 1;
                }
                if i >= chars.len() || chars[i] == '}' {
                    return i + 1;
                }
                i = expand(chars, i, path.clone(), out);
            }
        }
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        if i == start {
            out.push(path);
            return i;
        }
        path.push(chars[start..i].iter().collect());
        if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
            i += 2;
        } else {
            out.push(path);
            return i;
        }
    }
}

/// Every module path the source names: `crate::…`, `super::…`, and `child::…` for child
/// modules of `module`.
fn paths(code: &str, module: &Module, children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !is_ident(chars[i]) || (i > 0 && (is_ident(chars[i - 1]) || chars[i - 1] == ':')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        if !(chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':')) {
            continue;
        }
        let prefix: Option<Vec<String>> = match word.as_str() {
            "crate" => Some(Vec::new()),
            "super" => {
                let mut base = module.clone();
                let mut k = i + 2;
                base.pop();
                // `super::super::…`
                loop {
                    let rest: String = chars[k..chars.len().min(k + 7)].iter().collect();
                    if rest == "super::" {
                        base.pop();
                        k += 7;
                    } else {
                        break;
                    }
                }
                expand(&chars, k, base, &mut out);
                i = k;
                None
            }
            w if children.contains(w) => {
                let mut m = module.clone();
                m.push(w.to_owned());
                expand(&chars, i + 2, m, &mut out);
                None
            }
            _ => None,
        };
        if let Some(p) = prefix {
            expand(&chars, i + 2, p, &mut out);
            i += 2;
        }
    }
    out
}

/// The deepest module a path names.
fn resolve(path: &[String], mods: &BTreeMap<Module, PathBuf>) -> Option<Module> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| mods.contains_key(m))
}

fn graph() -> (
    BTreeMap<Module, BTreeSet<Module>>,
    BTreeMap<Module, PathBuf>,
) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mods = modules(&src);
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, file) in &mods {
        let children: BTreeSet<String> = mods
            .keys()
            .filter(|k| k.len() == m.len() + 1 && k.starts_with(m))
            .map(|k| k[m.len()].clone())
            .collect();
        let code = code_only(&std::fs::read_to_string(file).unwrap());
        // `#[cfg(test)]` blocks may look anywhere: cut them off (they come last by style).
        let code = match code.find("#[cfg(test)]") {
            Some(at) => &code[..at],
            None => &code[..],
        };
        let e = edges.entry(m.clone()).or_default();
        for p in paths(code, m, &children) {
            if let Some(target) = resolve(&p, &mods) {
                if target != *m {
                    e.insert(target);
                }
            }
        }
    }
    (edges, mods)
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "lib".into()
    } else {
        m.join("::")
    }
}

#[test]
fn no_import_cycles_between_engine_modules() {
    let (edges, _) = graph();
    // Tarjan's strongly connected components.
    struct T<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<Module, usize>,
        low: BTreeMap<Module, usize>,
        stack: Vec<Module>,
        on: BTreeSet<Module>,
        next: usize,
        sccs: Vec<Vec<Module>>,
    }
    fn visit(t: &mut T, v: &Module) {
        t.index.insert(v.clone(), t.next);
        t.low.insert(v.clone(), t.next);
        t.next += 1;
        t.stack.push(v.clone());
        t.on.insert(v.clone());
        let succ: Vec<Module> = t.edges.get(v).into_iter().flatten().cloned().collect();
        for w in succ {
            if !t.index.contains_key(&w) {
                visit(t, &w);
                let l = t.low[&w].min(t.low[v]);
                t.low.insert(v.clone(), l);
            } else if t.on.contains(&w) {
                let l = t.index[&w].min(t.low[v]);
                t.low.insert(v.clone(), l);
            }
        }
        if t.low[v] == t.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(&w);
                let done = w == *v;
                scc.push(w);
                if done {
                    break;
                }
            }
            if scc.len() > 1 {
                t.sccs.push(scc);
            }
        }
    }
    let mut t = T {
        edges: &edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        sccs: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    let cycles: Vec<String> = t
        .sccs
        .iter()
        .map(|scc| scc.iter().map(name).collect::<Vec<_>>().join(" <-> "))
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn layers_use_only_the_layers_below() {
    let (edges, mods) = graph();
    let layers: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    fn top(m: &Module) -> &str {
        m.first().map(String::as_str).unwrap_or("")
    }
    let mut violations = Vec::new();
    for m in mods.keys() {
        let from = top(m);
        if TOP.contains(&from) {
            continue;
        }
        let allowed = layers
            .get(from)
            .unwrap_or_else(|| panic!("top-level module {from} has no layer in LAYERS"));
        for to in edges.get(m).into_iter().flatten() {
            let to_top = top(to);
            if to_top != from && !allowed.contains(&to_top) {
                violations.push(format!("{} uses {}", name(m), name(to)));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering violations:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_checker_sees_paths_in_every_form() {
    let module = vec!["table".to_string(), "ops".to_string()];
    let children: BTreeSet<String> = ["items".to_string()].into();
    let code = code_only(
        r#"use crate::api::{command::PutItem, reply::{TableReply, WriteOutput}};
        use super::log::Ctx; // crate::wire::nope
        fn f() { items::put(); super::super::flow::x(); let s = "crate::catalog::y"; }"#,
    );
    let mut got: Vec<String> = paths(&code, &module, &children)
        .iter()
        .map(|p| p.join("::"))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            "api::command::PutItem",
            "api::reply::TableReply",
            "api::reply::WriteOutput",
            "flow::x",
            "table::log::Ctx",
            "table::ops::items::put",
        ]
    );
}
