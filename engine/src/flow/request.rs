//! The parts of an HTTP request the engine reads.

/// The parts of an HTTP request the engine reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The `X-Amz-Target` header.
    pub target: Option<&'a str>,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `Host` header (DescribeEndpoints answers with it).
    pub host: Option<&'a str>,
    /// The query string (without `?`), as received.
    pub query: &'a str,
    /// Every header, as received (SigV4 covers the ones the client signed).
    pub headers: &'a [(&'a str, &'a str)],
    /// 32 bytes from the host's cryptographically secure random source (new access keys,
    /// password salts).
    pub random: [u8; 32],
    pub body: &'a [u8],
    /// The host's runtime answers `Accept-Encoding` itself (workerd sets the header the
    /// Worker sees): the engine then never compresses a response.
    pub runtime_encodes: bool,
}
