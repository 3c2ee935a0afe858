//! What DynamoDB's endpoint does at the HTTP level, around the JSON protocol: compressed
//! request bodies, compressed responses, CORS, the `Server` header and the reply's
//! content type. Pure code, the same on both hosts.

use std::borrow::Cow;
use std::io::{Read, Write};

use crate::error::{ApiError, ErrorKind};
use crate::wire::response::HttpResponse;

/// The largest request body DynamoDB reads (BatchWriteItem's 16 MB). Hosts may stop reading
/// a body once it is longer and answer `flow::request_too_large`.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// DynamoDB compresses a response body from this size on, when the client accepts it.
pub const COMPRESS_FROM_BYTES: usize = 4096;

/// The headers a browser may read from a response (DynamoDB's list).
const EXPOSE_HEADERS: &str = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date";
/// How long a browser may cache a preflight answer (seconds).
const PREFLIGHT_MAX_AGE: &str = "172800";

/// A content coding DynamoDB reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    /// HTTP's `deflate`: the zlib format (RFC 1950).
    Deflate,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

fn header<'a>(headers: &[(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// A body over the limit, before or after decompression.
pub fn too_large() -> ApiError {
    ApiError::new(
        ErrorKind::RequestTooLarge,
        format!("Request content length limit of {MAX_REQUEST_BYTES} bytes exceeded"),
    )
}

fn decompression_failed(detail: &str) -> ApiError {
    ApiError::new(ErrorKind::InternalServerError, detail.to_owned())
}

/// The request body as JSON text: decompressed when `Content-Encoding` says gzip or
/// deflate. DynamoDB answers a body it cannot decompress, or an encoding it does not know,
/// with a 500; a body that decompresses to more than `limit` bytes is too large.
pub fn request_body<'a>(
    headers: &[(&str, &str)],
    body: &'a [u8],
    limit: usize,
) -> Result<Cow<'a, [u8]>, ApiError> {
    let Some(encoding) = header(headers, "content-encoding") else {
        return Ok(Cow::Borrowed(body));
    };
    let mut codings = encoding
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"))
        .peekable();
    if codings.peek().is_none() {
        return Ok(Cow::Borrowed(body));
    }
    // One coding at most: layers of compression would multiply the work a small request
    // makes (and DynamoDB documents one gzip or deflate).
    let codings: Vec<&str> = codings.collect();
    if codings.len() > 1 {
        return Err(decompression_failed(&format!(
            "Unsupported Content-Encoding: {encoding}"
        )));
    }
    let mut bytes = Cow::Borrowed(body);
    for coding in &codings {
        let coding = if coding.eq_ignore_ascii_case("gzip") {
            Coding::Gzip
        } else if coding.eq_ignore_ascii_case("deflate") {
            Coding::Deflate
        } else {
            return Err(decompression_failed(&format!(
                "Unsupported Content-Encoding: {coding}"
            )));
        };
        bytes = Cow::Owned(decompress(coding, &bytes, limit)?);
    }
    Ok(bytes)
}

fn decompress(coding: Coding, bytes: &[u8], limit: usize) -> Result<Vec<u8>, ApiError> {
    if bytes.is_empty() {
        return Err(decompression_failed(&format!(
            "Empty request body with Content-Encoding: {}",
            coding.name()
        )));
    }
    let reader: Box<dyn Read + '_> = match coding {
        // Several gzip members one after the other are one body, as in a gzip file.
        Coding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(bytes)),
        Coding::Deflate => Box::new(flate2::read::ZlibDecoder::new(bytes)),
    };
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(limit));
    // One byte past the limit tells an over-long body from one exactly at it.
    match reader.take(limit as u64 + 1).read_to_end(&mut out) {
        Ok(_) if out.len() > limit => Err(too_large()),
        Ok(_) => Ok(out),
        Err(_) => Err(decompression_failed(&format!(
            "Error during {} decompression of request body",
            coding.name()
        ))),
    }
}

/// The coding to answer with, by the request's `Accept-Encoding`: the most preferred of
/// gzip and deflate (ties: the first listed), `*` standing for gzip, then deflate.
pub fn accepted(accept_encoding: Option<&str>) -> Option<Coding> {
    let mut best: Option<(f32, Coding)> = None;
    let mut wildcard: Option<f32> = None;
    let mut refused: Vec<Coding> = Vec::new();
    for part in accept_encoding?.split(',') {
        let mut fields = part.split(';').map(str::trim);
        let name = fields.next().unwrap_or("");
        let q = fields
            .find_map(|f| f.strip_prefix("q=").or_else(|| f.strip_prefix("Q=")))
            .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0).min(1.0));
        let coding = if name.eq_ignore_ascii_case("gzip") {
            Coding::Gzip
        } else if name.eq_ignore_ascii_case("deflate") {
            Coding::Deflate
        } else {
            if name == "*" {
                wildcard = Some(q);
            }
            continue;
        };
        if q <= 0.0 {
            refused.push(coding);
        } else if best.is_none_or(|(b, _)| q > b) {
            best = Some((q, coding));
        }
    }
    if let Some((_, c)) = best {
        return Some(c);
    }
    match wildcard {
        Some(q) if q > 0.0 => [Coding::Gzip, Coding::Deflate]
            .into_iter()
            .find(|c| !refused.contains(c)),
        _ => None,
    }
}

fn compress(coding: Coding, body: &[u8]) -> Vec<u8> {
    let level = flate2::Compression::fast();
    let out = Vec::with_capacity(body.len() / 4);
    // Writing into a Vec cannot fail.
    match coding {
        Coding::Gzip => {
            let mut e = flate2::write::GzEncoder::new(out, level);
            let _ = e.write_all(body);
            e.finish().unwrap_or_default()
        }
        Coding::Deflate => {
            let mut e = flate2::write::ZlibEncoder::new(out, level);
            let _ = e.write_all(body);
            e.finish().unwrap_or_default()
        }
    }
}

/// What the response depends on in the request, read once when it arrives.
#[derive(Debug, Clone, Default)]
pub struct Negotiated {
    /// The request came from a page of another origin (it sent `Origin`).
    cors: bool,
    coding: Option<Coding>,
    /// The request's JSON media type was `application/json` (DynamoDB answers in kind).
    plain_json: bool,
}

impl Negotiated {
    /// `compress`: whether responses may be compressed at all (see
    /// `HttpRequest::runtime_encodes`).
    pub fn of(headers: &[(&str, &str)], compress: bool) -> Negotiated {
        let media = header(headers, "content-type")
            .and_then(|t| t.split(';').next())
            .map(str::trim);
        Negotiated {
            cors: header(headers, "origin").is_some(),
            coding: accepted(header(headers, "accept-encoding")).filter(|_| compress),
            plain_json: media.is_some_and(|m| m.eq_ignore_ascii_case("application/json")),
        }
    }

    /// The response as it goes on the wire: the `Server` header, CORS headers for a
    /// cross-origin caller, the content type in the request's kind, and the body
    /// compressed when accepted and large enough (its `x-amz-crc32` then covers the
    /// compressed bytes, as DynamoDB's does).
    pub fn finish(&self, mut r: HttpResponse) -> HttpResponse {
        r.headers.push(("Server", "Server".to_owned()));
        if self.cors {
            r.headers
                .push(("Access-Control-Allow-Origin", "*".to_owned()));
            r.headers
                .push(("Access-Control-Expose-Headers", EXPOSE_HEADERS.to_owned()));
        }
        let json = r
            .header("Content-Type")
            .is_some_and(|t| t == crate::wire::response::CONTENT_TYPE);
        if json && self.plain_json {
            set(&mut r, "Content-Type", "application/json".to_owned());
        }
        if let Some(coding) = self.coding {
            if json && r.body.len() >= COMPRESS_FROM_BYTES {
                r.body = compress(coding, &r.body);
                r.headers
                    .push(("Content-Encoding", coding.name().to_owned()));
                let crc = crc32fast::hash(&r.body);
                set(&mut r, "x-amz-crc32", crc.to_string());
            }
        }
        r
    }
}

fn set(r: &mut HttpResponse, name: &'static str, value: String) {
    match r
        .headers
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        Some(h) => h.1 = value,
        None => r.headers.push((name, value)),
    }
}

/// The answer to a CORS preflight (`OPTIONS` with `Origin`): every method and header the
/// browser asks for is allowed.
pub fn preflight(headers: &[(&str, &str)], request_id: &str) -> HttpResponse {
    let mut out = vec![
        ("x-amzn-RequestId", request_id.to_owned()),
        ("Access-Control-Allow-Origin", "*".to_owned()),
        ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE.to_owned()),
    ];
    if let Some(m) = header(headers, "access-control-request-method") {
        out.push(("Access-Control-Allow-Methods", m.to_owned()));
    }
    if let Some(h) = header(headers, "access-control-request-headers") {
        out.push(("Access-Control-Allow-Headers", h.to_owned()));
    }
    HttpResponse {
        status: 200,
        headers: out,
        body: Vec::new(),
    }
}

/// Whether a request is a CORS preflight.
pub fn is_preflight(method: &str, headers: &[(&str, &str)]) -> bool {
    method == "OPTIONS" && header(headers, "origin").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_is_negotiated_as_dynamodb_does() {
        let cases = [
            ("gzip, deflate", Some(Coding::Gzip)),
            ("br, identity, deflate, gzip", Some(Coding::Deflate)),
            ("*", Some(Coding::Gzip)),
            ("*, deflate", Some(Coding::Deflate)),
            ("gzip;q=0", None),
            ("gzip;q=0, *", Some(Coding::Deflate)),
            ("identity", None),
            ("br", None),
            ("x-gzip", None),
            ("gzip;q=0.5, deflate;q=0.8", Some(Coding::Deflate)),
            ("gzip;q=2, deflate;q=0.8", Some(Coding::Gzip)),
        ];
        for (header, want) in cases {
            assert_eq!(accepted(Some(header)), want, "{header}");
        }
        assert_eq!(accepted(None), None);
    }

    #[test]
    fn bodies_decompress_by_content_encoding() {
        let body = br#"{"TableName":"t"}"#;
        let gz = compress(Coding::Gzip, body);
        let h = [("Content-Encoding", "gzip")];
        assert_eq!(&*request_body(&h, &gz, 1 << 20).unwrap(), body);
        // Two gzip members make one body.
        let mut two = compress(Coding::Gzip, b"{\"TableName\":");
        two.extend(compress(Coding::Gzip, b"\"t\"}"));
        assert_eq!(&*request_body(&h, &two, 1 << 20).unwrap(), body);
        let z = compress(Coding::Deflate, body);
        let h = [("content-encoding", "deflate")];
        assert_eq!(&*request_body(&h, &z, 1 << 20).unwrap(), body);
        let plain = [("Content-Encoding", "identity")];
        assert_eq!(&*request_body(&plain, body, 1 << 20).unwrap(), body);
        for (enc, bytes) in [
            ("gzip", &body[..]),
            ("gzip", &gz[..gz.len() - 1]),
            ("gzip", &b""[..]),
            ("deflate", &body[..]),
            ("br", &gz[..]),
        ] {
            let e = request_body(&[("Content-Encoding", enc)], bytes, 1 << 20).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InternalServerError, "{enc}");
        }
        // Layers of compression are refused, not undone one after the other.
        let twice = compress(Coding::Gzip, &gz);
        let e = request_body(&[("Content-Encoding", "gzip, gzip")], &twice, 1 << 20).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InternalServerError);
        let big = compress(Coding::Gzip, &vec![b' '; 100_000]);
        let e = request_body(&[("Content-Encoding", "gzip")], &big, 99_999).unwrap_err();
        assert_eq!(e.status(), 413);
        assert!(request_body(&[("Content-Encoding", "gzip")], &big, 100_000).is_ok());
    }

    #[test]
    fn large_responses_are_compressed_and_checksummed_as_sent() {
        let body = format!("{{\"Items\":[{}]}}", "{\"a\":{\"S\":\"x\"}},".repeat(400));
        let r = crate::wire::response::dynamodb(200, body.clone().into_bytes(), "id");
        let n = Negotiated::of(&[("Accept-Encoding", "gzip"), ("Origin", "http://x")], true);
        let out = n.finish(r.clone());
        assert_eq!(out.header("Content-Encoding"), Some("gzip"));
        assert_eq!(
            out.header("x-amz-crc32"),
            Some(crc32fast::hash(&out.body).to_string().as_str())
        );
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&out.body[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, body.as_bytes());
        assert_eq!(out.header("Access-Control-Allow-Origin"), Some("*"));
        assert_eq!(out.header("Server"), Some("Server"));
        // Small bodies, and clients that do not ask, get the body as it is.
        let small = crate::wire::response::dynamodb(200, b"{}".to_vec(), "id");
        assert_eq!(n.finish(small).header("Content-Encoding"), None);
        let none = Negotiated::of(&[], true).finish(r);
        assert_eq!(none.header("Content-Encoding"), None);
        assert_eq!(none.header("Access-Control-Allow-Origin"), None);
    }
}
