//! SigV4 verification for requests signed in the `Authorization` header.
//!
//! The canonical request is rebuilt from what was received — method, path, query, the
//! headers the client says it signed, and the SHA-256 of the body actually received — and
//! signed again with the stored secret by the `aws-sigv4` crate (AWS's implementation of
//! the algorithm). The two signatures are compared in constant time. Errors carry AWS's
//! types and wording.

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, SessionTokenMode, SignableBody, SignableRequest, SigningSettings,
};
use aws_sigv4::sign::v4;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ErrorKind};

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far a request's `X-Amz-Date` may be from the server's clock.
pub const MAX_SKEW_MS: i64 = 15 * 60 * 1000;
/// The service every DynamoDB and DynamoDB Streams request is signed for.
pub const SERVICE: &str = "dynamodb";

/// What the `Authorization` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub key_id: String,
    /// `YYYYMMDD` of the credential scope.
    pub scope_date: String,
    pub region: String,
    pub service: String,
    /// Lower-case names, as listed.
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// The header as received (AWS quotes it in some messages).
    pub raw: String,
}

fn incomplete(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::IncompleteSignature, message)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::InvalidSignature, message)
}

pub fn missing_token() -> ApiError {
    ApiError::new(
        ErrorKind::MissingAuthenticationToken,
        "Request is missing Authentication Token",
    )
}

/// An unknown access key, or a session token that does not belong to it.
pub fn unrecognized_client() -> ApiError {
    ApiError::new(
        ErrorKind::UnrecognizedClient,
        "The security token included in the request is invalid.",
    )
}

pub fn signature_mismatch() -> ApiError {
    invalid("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
}

impl Authorization {
    /// Reads an `Authorization` header. A header that is not SigV4 at all, or lacks one of
    /// its three parts, is an IncompleteSignatureException naming every missing part, as
    /// AWS words it.
    pub fn parse(header: Option<&str>) -> Result<Authorization, ApiError> {
        let header = header.ok_or_else(missing_token)?;
        let (algorithm, rest) = header.split_once(' ').unwrap_or((header, ""));
        let mut credential = None;
        let mut signed = None;
        let mut signature = None;
        if algorithm == ALGORITHM {
            for part in rest.split(',') {
                let part = part.trim();
                if let Some(v) = part.strip_prefix("Credential=") {
                    credential = Some(v);
                } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
                    signed = Some(v);
                } else if let Some(v) = part.strip_prefix("Signature=") {
                    signature = Some(v);
                }
            }
        }
        let mut missing = String::new();
        for (name, got) in [
            ("Credential", credential.is_some()),
            ("Signature", signature.is_some()),
            ("SignedHeaders", signed.is_some()),
        ] {
            if !got {
                missing.push_str(&format!(
                    "Authorization header requires '{name}' parameter. "
                ));
            }
        }
        let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature)
        else {
            return Err(incomplete(format!("{missing}Authorization={header}")));
        };
        let scope: Vec<&str> = credential.split('/').collect();
        if scope.len() != 5 {
            return Err(incomplete(format!("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'")));
        }
        if scope[4] != "aws4_request" {
            return Err(invalid(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
                scope[4]
            )));
        }
        if scope[3] != SERVICE {
            return Err(invalid(format!(
                "Credential should be scoped to correct service: '{SERVICE}'. "
            )));
        }
        if scope[0].is_empty() {
            return Err(unrecognized_client());
        }
        Ok(Authorization {
            key_id: scope[0].to_owned(),
            scope_date: scope[1].to_owned(),
            region: scope[2].to_owned(),
            service: scope[3].to_owned(),
            signed_headers: signed
                .split(';')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            signature: signature.trim().to_owned(),
            raw: header.to_owned(),
        })
    }
}

/// A received request, as far as its signature covers it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Every header the client signed (lower-case name, value), `x-amz-date` included.
    pub headers: Vec<(String, String)>,
    /// Hex SHA-256 of the body received.
    pub payload_hash: String,
    /// `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`) as milliseconds since the epoch.
    pub signed_at_ms: i64,
    pub amz_date: String,
}

pub fn payload_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// `YYYYMMDDTHHMMSSZ` to milliseconds since the epoch.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se) * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYYMMDDTHHMMSSZ` of milliseconds since the epoch.
pub fn format_amz_date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // civil_from_days
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The checks that need no secret: the date header, the clock skew, the scope's date and
/// region, the host header being signed. Done before the key is looked up, as AWS does.
pub fn check_request(
    auth: &Authorization,
    amz_date: Option<&str>,
    region: &str,
    now_ms: i64,
) -> Result<i64, ApiError> {
    let Some(amz_date) = amz_date else {
        return Err(incomplete(format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={}",
            auth.raw
        )));
    };
    let at = parse_amz_date(amz_date).ok_or_else(|| {
        incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        ))
    })?;
    if at < now_ms - MAX_SKEW_MS {
        return Err(invalid(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            format_amz_date(now_ms - MAX_SKEW_MS),
            format_amz_date(now_ms)
        )));
    }
    if at > now_ms + MAX_SKEW_MS {
        return Err(invalid(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            format_amz_date(now_ms + MAX_SKEW_MS),
            format_amz_date(now_ms)
        )));
    }
    if auth.scope_date != amz_date[..8] {
        return Err(invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
            auth.scope_date,
            &amz_date[..8]
        )));
    }
    if auth.region != region {
        return Err(invalid(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            auth.region
        )));
    }
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(invalid(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    Ok(at)
}

/// Recomputes the signature with `secret` and compares it with the one received.
pub fn verify(
    auth: &Authorization,
    req: &Received,
    secret: &str,
    session_token: Option<&str>,
) -> Result<(), ApiError> {
    let token_signed = auth
        .signed_headers
        .iter()
        .any(|h| h == "x-amz-security-token");
    let creds = Credentials::new(
        auth.key_id.clone(),
        secret.to_owned(),
        session_token.map(str::to_owned),
        None,
        "extenddo",
    );
    let identity = creds.into();
    let mut settings = SigningSettings::default();
    // Exactly what the client listed is signed: nothing is excluded on our side.
    settings.excluded_headers = None;
    if !token_signed {
        settings.session_token_mode = SessionTokenMode::Exclude;
    }
    let at = UNIX_EPOCH + Duration::from_millis(req.signed_at_ms.max(0) as u64);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&auth.region)
        .name(&auth.service)
        .time(at)
        .settings(settings)
        .build()
        .map_err(|_| signature_mismatch())?
        .into();
    // The signer adds `x-amz-date` (from the time) and the token header itself.
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        if name == "x-amz-date" || name == "x-amz-security-token" {
            continue;
        }
        let mut found = false;
        for (n, v) in &req.headers {
            if n == name {
                headers.push((n.as_str(), v.as_str()));
                found = true;
            }
        }
        if !found {
            return Err(signature_mismatch());
        }
    }
    // The signer would take the host from the URI otherwise (and has none to take).
    if !headers.iter().any(|(n, _)| *n == "host") {
        return Err(signature_mismatch());
    }
    let uri = if req.query.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{}", req.path, req.query)
    };
    let signable = SignableRequest::new(
        &req.method,
        uri,
        headers.into_iter(),
        SignableBody::Precomputed(req.payload_hash.clone()),
    )
    .map_err(|_| signature_mismatch())?;
    let out = sign(signable, &params).map_err(|_| signature_mismatch())?;
    let ours = out.signature().as_bytes();
    if ours.ct_eq(auth.signature.as_bytes()).into() {
        Ok(())
    } else {
        Err(signature_mismatch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(secret: &str, body: &[u8], at_ms: i64) -> (Authorization, Received) {
        // Sign as a client would (the crate again, but from a request with every header).
        let amz_date = format_amz_date(at_ms);
        let creds = Credentials::new("AKIAEXAMPLE", secret, None, None, "t");
        let identity = creds.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("dynamodb")
            .time(UNIX_EPOCH + Duration::from_millis(at_ms as u64))
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let headers = [
            ("host", "127.0.0.1:8000"),
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "DynamoDB_20120810.ListTables"),
        ];
        let req = SignableRequest::new(
            "POST",
            "/",
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let out = sign(req, &params).unwrap();
        let header = out
            .output()
            .headers()
            .find(|(n, _)| *n == "authorization")
            .unwrap()
            .1
            .to_owned();
        let auth = Authorization::parse(Some(&header)).unwrap();
        let mut all: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        all.push(("x-amz-date".into(), amz_date.clone()));
        (
            auth,
            Received {
                method: "POST".into(),
                path: "/".into(),
                query: String::new(),
                headers: all,
                payload_hash: payload_hash(body),
                signed_at_ms: at_ms,
                amz_date,
            },
        )
    }

    const AT: i64 = 1_796_392_603_000;

    #[test]
    fn a_signature_verifies_only_with_its_secret_and_body() {
        let (auth, req) = signed("s3cret", b"{}", AT);
        assert_eq!(auth.key_id, "AKIAEXAMPLE");
        verify(&auth, &req, "s3cret", None).unwrap();
        assert_eq!(
            verify(&auth, &req, "other", None).unwrap_err().kind,
            ErrorKind::InvalidSignature
        );
        let mut altered = req.clone();
        altered.payload_hash = payload_hash(b"{ }");
        assert!(verify(&auth, &altered, "s3cret", None).is_err());
        let mut retargeted = req.clone();
        retargeted.headers[2].1 = "DynamoDB_20120810.DeleteTable".into();
        assert!(verify(&auth, &retargeted, "s3cret", None).is_err());
    }

    #[test]
    fn skew_and_scope_are_checked_with_aws_wording() {
        let (auth, req) = signed("s", b"{}", AT);
        assert_eq!(
            check_request(&auth, Some(&req.amz_date), "us-east-1", AT + 60_000).unwrap(),
            AT
        );
        let late =
            check_request(&auth, Some(&req.amz_date), "us-east-1", AT + 16 * 60_000).unwrap_err();
        assert_eq!(late.kind, ErrorKind::InvalidSignature);
        assert!(late.message.unwrap().starts_with(&format!(
            "Signature expired: {} is now earlier than",
            req.amz_date
        )));
        let early =
            check_request(&auth, Some(&req.amz_date), "us-east-1", AT - 16 * 60_000).unwrap_err();
        assert!(early
            .message
            .unwrap()
            .starts_with("Signature not yet current"));
        let region = check_request(&auth, Some(&req.amz_date), "eu-west-1", AT).unwrap_err();
        assert!(region.message.unwrap().contains("valid region"));
    }

    #[test]
    fn headers_that_are_not_sigv4_name_every_missing_part() {
        let e = Authorization::parse(Some("Basic dXNlcjpwYXNz")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::IncompleteSignature);
        assert_eq!(e.message.unwrap(), "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=Basic dXNlcjpwYXNz");
        assert_eq!(
            Authorization::parse(None).unwrap_err().kind,
            ErrorKind::MissingAuthenticationToken
        );
        let e = Authorization::parse(Some(
            "AWS4-HMAC-SHA256 Credential=AK/20261204/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
        ))
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidSignature);
    }

    #[test]
    fn amz_dates_round_trip() {
        for ms in [0, AT, 951_782_400_000, 4_102_444_799_000] {
            let s = format_amz_date(ms);
            assert_eq!(parse_amz_date(&s), Some(ms), "{s}");
        }
        assert_eq!(format_amz_date(AT), "20261204T135643Z");
        for bad in [
            "",
            "20261204T154323",
            "2026-12-04T15:43:23Z",
            "20261304T154323Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }
}
