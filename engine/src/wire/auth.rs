//! The signature-shape check of a host that does not verify signatures (the native server
//! on loopback without `--auth`, as DynamoDB Local): any SigV4-shaped credentials pass; a
//! request with no `Authorization` header at all is refused as AWS refuses it. Verification
//! against stored keys is `flow::auth`.

use crate::error::{ApiError, ErrorKind};

pub fn check_signature_shape(authorization: Option<&str>) -> Result<(), ApiError> {
    match authorization {
        Some(a) if a.starts_with("AWS4-HMAC-SHA256 ") && a.contains("Credential=") => Ok(()),
        Some(_) => Err(ApiError::new(
            ErrorKind::MissingAuthenticationToken,
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.",
        )),
        None => Err(ApiError::new(
            ErrorKind::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        )),
    }
}
