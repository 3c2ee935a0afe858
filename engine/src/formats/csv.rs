//! CSV as ImportTable reads it: a header (the first line, or CsvOptions.HeaderList) names
//! the columns; every value is a string except the table's key attributes, which take the
//! type their AttributeDefinitions give; empty cells are absent attributes.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use extenddo_log::{AttributeValue, Item, Number};

/// The delimiters CsvOptions allows.
pub const DELIMITERS: &[char] = &[',', '\t', ':', ';', '|', ' '];

/// A CSV reader over decompressed bytes.
pub struct Reader<R: std::io::Read> {
    inner: csv::Reader<R>,
    header: Option<Vec<String>>,
}

/// How key attributes are typed: name → "S", "N" or "B".
pub type KeyTypes = Vec<(String, String)>;

impl<R: std::io::Read> Reader<R> {
    pub fn new(r: R, delimiter: char, header: Option<Vec<String>>) -> Reader<R> {
        let inner = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter as u8)
            .from_reader(r);
        Reader { inner, header }
    }

    /// Bytes read so far.
    pub fn position(&self) -> u64 {
        self.inner.position().byte()
    }

    /// The next record as an item (`Err`: the line is bad, and counted), or `None` at the end.
    pub fn next_item(&mut self, keys: &KeyTypes) -> Option<Result<Item, String>> {
        loop {
            let mut rec = csv::StringRecord::new();
            match self.inner.read_record(&mut rec) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) if e.is_io_error() => return Some(Err(format!("reading the object: {e}"))),
                Err(e) => return Some(Err(format!("line {}: {e}", line(&e)))),
            }
            let Some(header) = &self.header else {
                self.header = Some(rec.iter().map(str::to_owned).collect());
                continue;
            };
            if rec.len() != header.len() {
                return Some(Err(format!(
                    "a record of {} fields under a header of {}",
                    rec.len(),
                    header.len()
                )));
            }
            return Some(to_item(header, &rec, keys));
        }
    }
}

fn line(e: &csv::Error) -> u64 {
    e.position().map_or(0, |p| p.line())
}

fn to_item(header: &[String], rec: &csv::StringRecord, keys: &KeyTypes) -> Result<Item, String> {
    let mut item = Item::new();
    for (name, cell) in header.iter().zip(rec.iter()) {
        if cell.is_empty() {
            continue;
        }
        let key_type = keys
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, t)| t.as_str());
        let value = match key_type {
            Some("N") => AttributeValue::N(
                Number::parse(cell)
                    .map_err(|e| format!("{name}: {cell:?} is not a number ({e})"))?,
            ),
            Some("B") => AttributeValue::B(
                B64.decode(cell)
                    .map_err(|_| format!("{name}: {cell:?} is not base64"))?,
            ),
            _ => AttributeValue::S(cell.to_owned()),
        };
        item.insert(name.clone(), value);
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_line_key_types_quotes_and_empty_cells() {
        let text = "pk,sk,note\na,1,\"x, \"\"y\"\"\"\nb,2,\nc,zz,n\n";
        let keys = vec![("pk".into(), "S".into()), ("sk".into(), "N".into())];
        let mut r = Reader::new(text.as_bytes(), ',', None);
        let a = r.next_item(&keys).unwrap().unwrap();
        assert_eq!(a["note"], AttributeValue::S("x, \"y\"".into()));
        assert_eq!(a["sk"], AttributeValue::N(Number::parse("1").unwrap()));
        let b = r.next_item(&keys).unwrap().unwrap();
        assert!(!b.contains_key("note"));
        assert!(r.next_item(&keys).unwrap().is_err());
        assert!(r.next_item(&keys).is_none());
    }

    #[test]
    fn header_list_and_other_delimiters() {
        let keys = vec![("id".into(), "S".into())];
        let mut r = Reader::new(
            "1|x\n2|y|extra\n".as_bytes(),
            '|',
            Some(vec!["id".into(), "v".into()]),
        );
        assert_eq!(
            r.next_item(&keys).unwrap().unwrap()["v"],
            AttributeValue::S("x".into())
        );
        assert!(r.next_item(&keys).unwrap().is_err());
    }
}
