//! Amazon Ion text as DynamoDB's ION exports write it and ImportTable reads it.
//!
//! Types map as AWS documents: S → string, N → decimal, B → blob, BOOL → bool, NULL → null,
//! M → struct, L → list, and the sets → lists annotated `$dynamodb_SS`, `$dynamodb_NS`,
//! `$dynamodb_BS`. Each line of a file is one top-level value (`$ion_1_0 {Item:{…}}`).
//!
//! The reader takes the text subset such files use, and more of Ion's text syntax where it
//! costs nothing: comments, quoted symbols, long strings, all escapes, ints in hex or binary
//! and with underscores, floats and typed nulls. Timestamps, clobs and s-expressions have
//! no DynamoDB type and are refused.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use extenddo_log::{AttributeValue, Item, Number};

/// An Ion value as the reader produced it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// An int, decimal or float, as DynamoDB number text.
    Number(String),
    String(String),
    Symbol(String),
    Blob(Vec<u8>),
    List(Vec<Annotated>),
    Struct(Vec<(String, Annotated)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Annotated {
    pub annotations: Vec<String>,
    pub value: Value,
}

// ---------------------------------------------------------------------------------------
// Writing

/// `name` as an Ion field name: bare when it is an identifier, else a quoted symbol.
fn write_symbol(out: &mut String, name: &str) {
    let bare = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !matches!(name, "null" | "true" | "false" | "nan")
        && !name.starts_with("$ion");
    if bare {
        out.push_str(name);
    } else {
        write_quoted(out, name, '\'');
    }
}

fn write_quoted(out: &mut String, s: &str, quote: char) {
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// A DynamoDB number as an Ion decimal (`5` is an Ion int: `5.` is the decimal).
fn write_decimal(out: &mut String, n: &Number) {
    let s = n.to_string();
    out.push_str(&s);
    if !s.contains('.') {
        out.push('.');
    }
}

fn write_blob(out: &mut String, b: &[u8]) {
    out.push_str("{{");
    out.push_str(&B64.encode(b));
    out.push_str("}}");
}

pub fn write_value(out: &mut String, v: &AttributeValue) {
    match v {
        AttributeValue::S(s) => write_quoted(out, s, '"'),
        AttributeValue::N(n) => write_decimal(out, n),
        AttributeValue::B(b) => write_blob(out, b),
        AttributeValue::BOOL(b) => out.push_str(if *b { "true" } else { "false" }),
        AttributeValue::NULL(_) => out.push_str("null"),
        AttributeValue::M(m) => write_struct(out, m),
        AttributeValue::L(l) => {
            out.push('[');
            for (i, v) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, v);
            }
            out.push(']');
        }
        AttributeValue::SS(ss) => {
            out.push_str("$dynamodb_SS::[");
            for (i, s) in ss.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_quoted(out, s, '"');
            }
            out.push(']');
        }
        AttributeValue::NS(ns) => {
            out.push_str("$dynamodb_NS::[");
            for (i, n) in ns.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_decimal(out, n);
            }
            out.push(']');
        }
        AttributeValue::BS(bs) => {
            out.push_str("$dynamodb_BS::[");
            for (i, b) in bs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_blob(out, b);
            }
            out.push(']');
        }
    }
}

pub fn write_struct(out: &mut String, item: &Item) {
    out.push('{');
    for (i, (k, v)) in item.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_symbol(out, k);
        out.push(':');
        write_value(out, v);
    }
    out.push('}');
}

// ---------------------------------------------------------------------------------------
// Reading

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Ion text at byte {at}: {what}")]
pub struct IonError {
    pub at: usize,
    pub what: String,
}

/// A reader of top-level Ion values from text.
pub struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

const MAX_DEPTH: usize = 64;

impl<'a> Reader<'a> {
    pub fn new(text: &'a str) -> Reader<'a> {
        Reader {
            s: text.as_bytes(),
            i: 0,
        }
    }

    /// Bytes of the text read so far.
    pub fn position(&self) -> usize {
        self.i
    }

    fn err<T>(&self, what: impl Into<String>) -> Result<T, IonError> {
        Err(IonError {
            at: self.i,
            what: what.into(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) -> Result<(), IonError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) => self.i += 1,
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'/') => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                }
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'*') => {
                    let rest = &self.s[self.i + 2..];
                    match rest.windows(2).position(|w| w == b"*/") {
                        Some(p) => self.i += p + 4,
                        None => return self.err("an unterminated comment"),
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// Skips the rest of the current line (after an error, to go on with the next value).
    pub fn skip_line(&mut self) {
        while let Some(c) = self.peek() {
            self.i += 1;
            if c == b'\n' {
                break;
            }
        }
    }

    /// The next top-level value that is not a version marker, or `None` at the end.
    pub fn next_value(&mut self) -> Result<Option<Annotated>, IonError> {
        loop {
            self.skip_ws()?;
            if self.peek().is_none() {
                return Ok(None);
            }
            let v = self.value(0)?;
            if v.annotations.is_empty()
                && matches!(&v.value, Value::Symbol(s) if s.starts_with("$ion_"))
            {
                continue;
            }
            return Ok(Some(v));
        }
    }

    fn value(&mut self, depth: usize) -> Result<Annotated, IonError> {
        if depth > MAX_DEPTH {
            return self.err("values nested too deeply");
        }
        let mut annotations = Vec::new();
        loop {
            self.skip_ws()?;
            let start = self.i;
            let value = self.bare(depth)?;
            self.skip_ws()?;
            if self.s[self.i..].starts_with(b"::") {
                let Value::Symbol(sym) = value else {
                    self.i = start;
                    return self.err("an annotation that is not a symbol");
                };
                self.i += 2;
                annotations.push(sym);
                continue;
            }
            return Ok(Annotated { annotations, value });
        }
    }

    fn bare(&mut self, depth: usize) -> Result<Value, IonError> {
        match self.peek() {
            None => self.err("the text ends where a value should be"),
            Some(b'{') if self.s.get(self.i + 1) == Some(&b'{') => self.blob(),
            Some(b'{') => self.structure(depth),
            Some(b'[') => self.list(depth),
            Some(b'(') => self.err("s-expressions have no DynamoDB type"),
            Some(b'"') => Ok(Value::String(self.quoted(b'"')?)),
            Some(b'\'') if self.s[self.i..].starts_with(b"'''") => {
                Ok(Value::String(self.long_strings()?))
            }
            Some(b'\'') => Ok(Value::Symbol(self.quoted(b'\'')?)),
            Some(c) if c.is_ascii_digit() || c == b'-' || c == b'+' => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => self.keyword(),
            Some(c) => self.err(format!("unexpected {:?}", c as char)),
        }
    }

    fn identifier(&mut self) -> String {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn keyword(&mut self) -> Result<Value, IonError> {
        let word = self.identifier();
        Ok(match word.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "nan" => return self.err("nan is not a DynamoDB number"),
            "null" => {
                if self.peek() == Some(b'.') {
                    self.i += 1;
                    self.identifier();
                }
                Value::Null
            }
            _ => Value::Symbol(word),
        })
    }

    fn number(&mut self) -> Result<Value, IonError> {
        let start = self.i;
        if self.s[self.i..].starts_with(b"+inf") || self.s[self.i..].starts_with(b"-inf") {
            return self.err("infinity is not a DynamoDB number");
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+' | b'_'))
        {
            self.i += 1;
        }
        let text: String = String::from_utf8_lossy(&self.s[start..self.i]).replace('_', "");
        let (neg, digits) = match text.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, text.as_str()),
        };
        let radix = if digits.starts_with("0x") || digits.starts_with("0X") {
            Some(16)
        } else if digits.starts_with("0b") || digits.starts_with("0B") {
            Some(2)
        } else {
            None
        };
        if let Some(radix) = radix {
            return match u128::from_str_radix(&digits[2..], radix) {
                Ok(v) => Ok(Value::Number(format!("{}{v}", if neg { "-" } else { "" }))),
                Err(_) => {
                    self.i = start;
                    self.err(format!("not a number: {text}"))
                }
            };
        }
        let timestamp = digits.len() > 4
            && digits.as_bytes()[..4].iter().all(u8::is_ascii_digit)
            && digits.as_bytes()[4] == b'-';
        if timestamp || digits.ends_with('T') {
            self.i = start;
            return self.err("timestamps have no DynamoDB type");
        }
        let n = text.replace(['d', 'D'], "e");
        match Number::parse(n.trim_end_matches('.')) {
            Ok(_) => Ok(Value::Number(n)),
            Err(e) => {
                self.i = start;
                self.err(format!("not a DynamoDB number: {text} ({e})"))
            }
        }
    }

    fn hex(&mut self, n: usize) -> Result<u32, IonError> {
        let Some(h) = self.s.get(self.i..self.i + n) else {
            return self.err("a short escape");
        };
        let h = std::str::from_utf8(h)
            .ok()
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        self.i += n;
        match h {
            Some(v) => Ok(v),
            None => self.err("a bad escape"),
        }
    }

    /// The body of a quoted string or symbol, `self.i` at its opening quote.
    fn quoted(&mut self, quote: u8) -> Result<String, IonError> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return self.err("an unterminated string");
            };
            self.i += 1;
            if c == quote {
                break;
            }
            if c == b'\n' && quote == b'"' {
                return self.err("a newline in a string");
            }
            if c != b'\\' {
                out.push(c);
                continue;
            }
            self.escape(&mut out)?;
        }
        String::from_utf8(out).or_else(|_| self.err("a string that is not UTF-8"))
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), IonError> {
        let Some(e) = self.peek() else {
            return self.err("an unterminated escape");
        };
        self.i += 1;
        let ch: u32 = match e {
            b'n' => 10,
            b't' => 9,
            b'r' => 13,
            b'0' => 0,
            b'a' => 7,
            b'b' => 8,
            b'f' => 12,
            b'v' => 11,
            b'"' | b'\'' | b'\\' | b'/' | b'?' => u32::from(e),
            b'\n' => return Ok(()),
            b'\r' => {
                if self.peek() == Some(b'\n') {
                    self.i += 1;
                }
                return Ok(());
            }
            b'x' => self.hex(2)?,
            b'u' => self.hex(4)?,
            b'U' => self.hex(8)?,
            _ => return self.err(format!("an unknown escape \\{}", e as char)),
        };
        let Some(c) = char::from_u32(ch) else {
            return self.err("an escape that is not a character");
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    /// `'''…''' '''…'''`: adjacent long strings are one string.
    fn long_strings(&mut self) -> Result<String, IonError> {
        let mut out: Vec<u8> = Vec::new();
        loop {
            self.skip_ws()?;
            if !self.s[self.i..].starts_with(b"'''") {
                break;
            }
            self.i += 3;
            loop {
                if self.s[self.i..].starts_with(b"'''") {
                    self.i += 3;
                    break;
                }
                let Some(c) = self.peek() else {
                    return self.err("an unterminated long string");
                };
                self.i += 1;
                if c == b'\\' {
                    self.escape(&mut out)?;
                } else {
                    out.push(c);
                }
            }
        }
        String::from_utf8(out).or_else(|_| self.err("a string that is not UTF-8"))
    }

    fn blob(&mut self) -> Result<Value, IonError> {
        self.i += 2;
        let start = self.i;
        let Some(end) = self.s[self.i..].windows(2).position(|w| w == b"}}") else {
            return self.err("an unterminated blob");
        };
        let body: String = String::from_utf8_lossy(&self.s[start..start + end])
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if body.starts_with('"') || body.starts_with('\'') {
            return self.err("clobs have no DynamoDB type");
        }
        self.i = start + end + 2;
        match B64.decode(body.as_bytes()) {
            Ok(b) => Ok(Value::Blob(b)),
            Err(_) => {
                self.i = start;
                self.err("a blob that is not base64")
            }
        }
    }

    fn list(&mut self, depth: usize) -> Result<Value, IonError> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            self.skip_ws()?;
            if self.peek() == Some(b']') {
                self.i += 1;
                return Ok(Value::List(out));
            }
            out.push(self.value(depth + 1)?);
            self.skip_ws()?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {}
                _ => return self.err("a list without ',' or ']'"),
            }
        }
    }

    fn structure(&mut self, depth: usize) -> Result<Value, IonError> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            self.skip_ws()?;
            let name = match self.peek() {
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Struct(out));
                }
                Some(b'"') => self.quoted(b'"')?,
                Some(b'\'') if self.s[self.i..].starts_with(b"'''") => self.long_strings()?,
                Some(b'\'') => self.quoted(b'\'')?,
                Some(c) if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => self.identifier(),
                _ => return self.err("a field name"),
            };
            self.skip_ws()?;
            if self.peek() != Some(b':') || self.s.get(self.i + 1) == Some(&b':') {
                return self.err("a field name without ':'");
            }
            self.i += 1;
            let v = self.value(depth + 1)?;
            out.push((name, v));
            self.skip_ws()?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {}
                _ => return self.err("a struct without ',' or '}'"),
            }
        }
    }
}

/// An Ion value as a DynamoDB attribute value, by AWS's mapping.
pub fn to_attribute(v: &Annotated) -> Result<AttributeValue, String> {
    let set = v.annotations.iter().find(|a| a.starts_with("$dynamodb_"));
    if let Some(kind) = set {
        let Value::List(members) = &v.value else {
            return Err(format!("{kind} annotates a value that is not a list"));
        };
        return match kind.as_str() {
            "$dynamodb_SS" => members
                .iter()
                .map(|m| match &m.value {
                    Value::String(s) | Value::Symbol(s) => Ok(s.clone()),
                    other => Err(format!("a string set holds {other:?}")),
                })
                .collect::<Result<_, _>>()
                .map(AttributeValue::SS),
            "$dynamodb_NS" => members
                .iter()
                .map(|m| match &m.value {
                    Value::Number(n) => number(n),
                    other => Err(format!("a number set holds {other:?}")),
                })
                .collect::<Result<_, _>>()
                .map(AttributeValue::NS),
            "$dynamodb_BS" => members
                .iter()
                .map(|m| match &m.value {
                    Value::Blob(b) => Ok(b.clone()),
                    other => Err(format!("a binary set holds {other:?}")),
                })
                .collect::<Result<_, _>>()
                .map(AttributeValue::BS),
            other => Err(format!("unknown annotation {other}")),
        };
    }
    Ok(match &v.value {
        Value::Null => AttributeValue::NULL(true),
        Value::Bool(b) => AttributeValue::BOOL(*b),
        Value::Number(n) => AttributeValue::N(number(n)?),
        Value::String(s) | Value::Symbol(s) => AttributeValue::S(s.clone()),
        Value::Blob(b) => AttributeValue::B(b.clone()),
        Value::List(l) => AttributeValue::L(l.iter().map(to_attribute).collect::<Result<_, _>>()?),
        Value::Struct(fields) => AttributeValue::M(to_item(fields)?),
    })
}

fn number(text: &str) -> Result<Number, String> {
    Number::parse(text.trim_end_matches('.')).map_err(|e| format!("number {text}: {e}"))
}

pub fn to_item(fields: &[(String, Annotated)]) -> Result<Item, String> {
    let mut item = Item::new();
    for (k, v) in fields {
        item.insert(k.clone(), to_attribute(v)?);
    }
    Ok(item)
}

/// The struct field `name` of a top-level value.
pub fn field<'v>(v: &'v Annotated, name: &str) -> Option<&'v Annotated> {
    match &v.value {
        Value::Struct(fields) => fields.iter().find(|(k, _)| k == name).map(|(_, v)| v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn round_trip_of_every_type() {
        let mut inner = Item::new();
        inner.insert(
            "x y".into(),
            AttributeValue::L(vec![AttributeValue::NULL(true)]),
        );
        let mut item = Item::new();
        item.insert("pk".into(), AttributeValue::S("a\"b\\c\nd\u{1}é".into()));
        item.insert("n".into(), AttributeValue::N(n("-12.50")));
        item.insert("i".into(), AttributeValue::N(n("7")));
        item.insert("b".into(), AttributeValue::B(vec![0, 1, 255]));
        item.insert("t".into(), AttributeValue::BOOL(true));
        item.insert("null".into(), AttributeValue::NULL(true));
        item.insert("m".into(), AttributeValue::M(inner));
        item.insert(
            "ss".into(),
            AttributeValue::SS(vec!["a".into(), "b".into()]),
        );
        item.insert("ns".into(), AttributeValue::NS(vec![n("1"), n("0.5")]));
        item.insert("bs".into(), AttributeValue::BS(vec![vec![1], vec![2, 3]]));
        let mut line = String::from("$ion_1_0 {Item:");
        write_struct(&mut line, &item);
        line.push('}');
        assert!(line.contains("n:-12.5,"), "{line}");
        assert!(line.contains("i:7.,"), "{line}");
        assert!(line.contains("'null':null"), "{line}");
        assert!(line.contains("$dynamodb_NS::[1.,0.5]"), "{line}");
        let mut r = Reader::new(&line);
        let v = r.next_value().unwrap().unwrap();
        let Value::Struct(fields) = &field(&v, "Item").unwrap().value else {
            panic!()
        };
        assert_eq!(to_item(fields).unwrap(), item);
        assert_eq!(r.next_value().unwrap(), None);
    }

    #[test]
    fn reads_ion_syntax_beyond_what_it_writes() {
        let text = "$ion_1_0 // a comment\n /* block */ {'quoted sym':'''long ''' '''string''', \"f\":0x1F, g:1_000, h:1.5d2, k:1e0, l:null.string, m:sym}";
        let v = Reader::new(text).next_value().unwrap().unwrap();
        let Value::Struct(fields) = &v.value else {
            panic!()
        };
        let item = to_item(fields).unwrap();
        assert_eq!(item["quoted sym"], AttributeValue::S("long string".into()));
        assert_eq!(item["f"], AttributeValue::N(n("31")));
        assert_eq!(item["g"], AttributeValue::N(n("1000")));
        assert_eq!(item["h"], AttributeValue::N(n("150")));
        assert_eq!(item["k"], AttributeValue::N(n("1")));
        assert_eq!(item["l"], AttributeValue::NULL(true));
        assert_eq!(item["m"], AttributeValue::S("sym".into()));
    }

    #[test]
    fn refuses_what_has_no_dynamodb_type() {
        for bad in [
            "2020-01-01T00:00Z",
            "(a b)",
            "{{\"clob\"}}",
            "{a 1}",
            "[1 2]",
            "\"x",
            "nan",
        ] {
            assert!(Reader::new(bad).next_value().is_err(), "{bad}");
        }
    }
}
