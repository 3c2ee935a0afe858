//! Request members as AWS's front end prints them in some constraint messages: the
//! `toString` of its Java request model (Lombok style, as captured from DynamoDB in
//! us-east-1, 2026-06), e.g.
//! `{T=[WriteRequest(putRequest=PutRequest(item={pk=AttributeValue(s=a, n=null, …)},
//! workloadProfileName=null), deleteRequest=null)]}`. AWS has changed this form before;
//! clients match the message around it, not the dump.

use serde_json::{Map, Value};

/// The members of the model's AttributeValue, in the order it prints them.
const FIELDS: [(&str, &str); 16] = [
    ("S", "s"),
    ("N", "n"),
    ("B", "b"),
    ("", "iNT"),
    ("", "dECIMAL"),
    ("", "dOUBLE"),
    ("SS", "sS"),
    ("NS", "nS"),
    ("BS", "bS"),
    ("", "iNTSET"),
    ("", "dECIMALSET"),
    ("", "dOUBLESET"),
    ("M", "m"),
    ("L", "l"),
    ("NULL", "nULL"),
    ("BOOL", "bOOL"),
];

/// The longest dump put in a message: a small request may name very many values.
pub const MAX_DUMP_BYTES: usize = 32 * 1024;

/// Text written up to the budget; past it, nothing more is written.
struct Out(String);

impl Out {
    fn full(&self) -> bool {
        self.0.len() >= MAX_DUMP_BYTES
    }

    fn push(&mut self, s: &str) {
        if !self.full() {
            self.0.push_str(s);
        }
    }

    fn finish(mut self) -> String {
        if self.0.len() > MAX_DUMP_BYTES {
            let mut cut = MAX_DUMP_BYTES;
            while !self.0.is_char_boundary(cut) {
                cut -= 1;
            }
            self.0.truncate(cut);
        }
        if self.full() {
            self.0.push_str("...");
        }
        self.0
    }
}

fn scalar(out: &mut Out, v: &Value) {
    match v {
        Value::String(s) => out.push(s),
        Value::Null => out.push("null"),
        other => out.push(&other.to_string()),
    }
}

fn list(out: &mut Out, v: &Value, each: fn(&mut Out, &Value)) {
    let Value::Array(a) = v else {
        return scalar(out, v);
    };
    out.push("[");
    for (i, x) in a.iter().enumerate() {
        if out.full() {
            return;
        }
        if i > 0 {
            out.push(", ");
        }
        each(out, x);
    }
    out.push("]");
}

fn binary(out: &mut Out, v: &Value) {
    let n = v.as_str().map_or(0, |s| s.len() * 3 / 4);
    out.push(&format!("java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]"));
}

fn write_value(out: &mut Out, v: &Value) {
    let obj = v.as_object();
    out.push("AttributeValue(");
    for (i, (wire, name)) in FIELDS.iter().enumerate() {
        if out.full() {
            return;
        }
        if i > 0 {
            out.push(", ");
        }
        out.push(name);
        out.push("=");
        let member = obj.and_then(|o| o.get(*wire)).filter(|_| !wire.is_empty());
        match (*wire, member) {
            (_, None) => out.push("null"),
            ("B", Some(b)) => binary(out, b),
            ("BS", Some(l)) => list(out, l, binary),
            ("SS" | "NS", Some(l)) => list(out, l, scalar),
            ("M", Some(m)) => write_item(out, m),
            ("L", Some(l)) => list(out, l, write_value),
            (_, Some(x)) => scalar(out, x),
        }
    }
    out.push(")");
}

fn write_item(out: &mut Out, v: &Value) {
    let Some(m) = v.as_object() else {
        return scalar(out, v);
    };
    out.push("{");
    for (i, (k, v)) in m.iter().enumerate() {
        if out.full() {
            return;
        }
        if i > 0 {
            out.push(", ");
        }
        out.push(k);
        out.push("=");
        write_value(out, v);
    }
    out.push("}");
}

fn write_request(out: &mut Out, w: &Value) {
    out.push("WriteRequest(putRequest=");
    match w.get("PutRequest") {
        Some(p) => {
            out.push("PutRequest(item=");
            write_item(out, p.get("Item").unwrap_or(&Value::Null));
            out.push(", workloadProfileName=null)");
        }
        None => out.push("null"),
    }
    out.push(", deleteRequest=");
    match w.get("DeleteRequest") {
        Some(d) => {
            out.push("DeleteRequest(key=");
            write_item(out, d.get("Key").unwrap_or(&Value::Null));
            out.push(")");
        }
        None => out.push("null"),
    }
    out.push(")");
}

/// One attribute value.
pub fn attribute_value(v: &Value) -> String {
    let mut out = Out(String::new());
    write_value(&mut out, v);
    out.finish()
}

/// BatchWriteItem's RequestItems (at most [`MAX_DUMP_BYTES`], then `...`).
pub fn request_items(items: &Map<String, Value>) -> String {
    let mut out = Out(String::new());
    out.push("{");
    for (i, (t, reqs)) in items.iter().enumerate() {
        if i > 0 {
            out.push(", ");
        }
        out.push(t);
        out.push("=");
        list(&mut out, reqs, write_request);
    }
    out.push("}");
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn write_requests_print_as_aws_prints_them() {
        let items = json!({"T": [{"PutRequest": {"Item": {"pk": {"S": "bw-0"}}}}]});
        assert_eq!(
            request_items(items.as_object().unwrap()),
            "{T=[WriteRequest(putRequest=PutRequest(item={pk=AttributeValue(s=bw-0, n=null, b=null, iNT=null, dECIMAL=null, dOUBLE=null, sS=null, nS=null, bS=null, iNTSET=null, dECIMALSET=null, dOUBLESET=null, m=null, l=null, nULL=null, bOOL=null)}, workloadProfileName=null), deleteRequest=null)]}"
        );
        let del = json!({"T": [{"DeleteRequest": {"Key": {"k": {"N": "1"}}}}]});
        assert!(request_items(del.as_object().unwrap()).starts_with(
            "{T=[WriteRequest(putRequest=null, deleteRequest=DeleteRequest(key={k=AttributeValue(s=null, n=1,"
        ));
        assert!(attribute_value(&json!({"SS": ["a", "b"]})).contains("sS=[a, b]"));
        assert!(attribute_value(&json!({"BOOL": true})).ends_with("bOOL=true)"));
    }

    #[test]
    fn a_huge_request_prints_a_bounded_dump() {
        let many: Vec<Value> = (0..200_000).map(|_| json!({})).collect();
        let items = json!({"T": [{"PutRequest": {"Item": {"l": {"L": many}}}}]});
        let d = request_items(items.as_object().unwrap());
        assert!(
            d.len() <= MAX_DUMP_BYTES + 3 && d.ends_with("..."),
            "{}",
            d.len()
        );
    }
}
