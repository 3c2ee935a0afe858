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

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

fn list(v: &Value, each: fn(&Value) -> String) -> String {
    match v {
        Value::Array(a) => format!("[{}]", a.iter().map(each).collect::<Vec<_>>().join(", ")),
        other => scalar(other),
    }
}

fn binary(v: &Value) -> String {
    let n = v.as_str().map_or(0, |s| s.len() * 3 / 4);
    format!("java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]")
}

/// One attribute value.
pub fn attribute_value(v: &Value) -> String {
    let obj = v.as_object();
    let fields: Vec<String> = FIELDS
        .iter()
        .map(|(wire, name)| {
            let member = obj.and_then(|o| o.get(*wire)).filter(|_| !wire.is_empty());
            let shown = match (*wire, member) {
                (_, None) => "null".to_owned(),
                ("B", Some(b)) => binary(b),
                ("BS", Some(l)) => list(l, binary),
                ("SS" | "NS", Some(l)) => list(l, scalar),
                ("M", Some(m)) => item(m),
                ("L", Some(l)) => list(l, attribute_value),
                (_, Some(x)) => scalar(x),
            };
            format!("{name}={shown}")
        })
        .collect();
    format!("AttributeValue({})", fields.join(", "))
}

/// A map of attribute values (an item, a key).
pub fn item(v: &Value) -> String {
    match v.as_object() {
        Some(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}={}", attribute_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => scalar(v),
    }
}

fn write_request(w: &Value) -> String {
    let put = w
        .get("PutRequest")
        .map(|p| {
            format!(
                "PutRequest(item={}, workloadProfileName=null)",
                item(p.get("Item").unwrap_or(&Value::Null))
            )
        })
        .unwrap_or_else(|| "null".to_owned());
    let delete = w
        .get("DeleteRequest")
        .map(|d| {
            format!(
                "DeleteRequest(key={})",
                item(d.get("Key").unwrap_or(&Value::Null))
            )
        })
        .unwrap_or_else(|| "null".to_owned());
    format!("WriteRequest(putRequest={put}, deleteRequest={delete})")
}

/// BatchWriteItem's RequestItems.
pub fn request_items(items: &Map<String, Value>) -> String {
    let tables: Vec<String> = items
        .iter()
        .map(|(t, reqs)| format!("{t}={}", list(reqs, write_request)))
        .collect();
    format!("{{{}}}", tables.join(", "))
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
        let del = json!({"DeleteRequest": {"Key": {"k": {"N": "1"}}}});
        assert!(write_request(&del).starts_with(
            "WriteRequest(putRequest=null, deleteRequest=DeleteRequest(key={k=AttributeValue(s=null, n=1,"
        ));
        assert!(attribute_value(&json!({"SS": ["a", "b"]})).contains("sS=[a, b]"));
        assert!(attribute_value(&json!({"BOOL": true})).ends_with("bOOL=true)"));
    }
}
