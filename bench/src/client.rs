//! One persistent HTTP/1.1 keep-alive connection to a DynamoDB-compatible endpoint,
//! speaking the DynamoDB JSON protocol (`POST /`, `X-Amz-Target`, a SigV4-shaped
//! `Authorization` header that local servers accept without verifying it).

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Where to send requests. Only loopback addresses are accepted: this tool is for
/// benchmarking servers on the same machine.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub addr: SocketAddr,
    /// The `Host` header value (`host:port` as given).
    pub host: HeaderValue,
}

impl Endpoint {
    pub fn parse(s: &str) -> Result<Endpoint, String> {
        let rest = s
            .strip_prefix("http://")
            .ok_or_else(|| format!("endpoint {s:?}: only http:// endpoints are supported"))?;
        let authority = rest.trim_end_matches('/');
        if authority.contains('/') {
            return Err(format!(
                "endpoint {s:?}: expected http://HOST:PORT with no path"
            ));
        }
        let addrs: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(authority)
            .map_err(|e| format!("endpoint {s:?}: {e}"))?
            .collect();
        let addr = *addrs
            .first()
            .ok_or_else(|| format!("endpoint {s:?}: resolves to no address"))?;
        if addrs.iter().any(|a| !a.ip().is_loopback()) {
            return Err(format!(
                "endpoint {s:?} resolves to a non-loopback address: this load generator only \
                 targets servers on this machine (127.0.0.0/8 or ::1)"
            ));
        }
        let host = HeaderValue::from_str(authority).map_err(|e| format!("endpoint {s:?}: {e}"))?;
        Ok(Endpoint { addr, host })
    }
}

/// The signing headers (`X-Amz-Date`, `Authorization`): fixed per process for servers that
/// do not verify signatures, or a real SigV4 signature per request (AWS's signer, the
/// `aws-sigv4` crate, as the Rust SDK signs) when an access key is given.
#[derive(Clone, Debug)]
pub struct Signer {
    pub amz_date: HeaderValue,
    pub authorization: HeaderValue,
    /// (access key id, secret access key, region) for real signatures.
    pub key: Option<(String, String, String)>,
}

impl Signer {
    /// Real SigV4 signatures with this key.
    pub fn with_key(region: &str, key: String, secret: String) -> Signer {
        Signer {
            key: Some((key, secret, region.to_owned())),
            ..Signer::new(region)
        }
    }

    /// (`X-Amz-Date`, `Authorization`) of one request.
    pub fn sign(
        &self,
        host: &str,
        target: &str,
        body: &[u8],
    ) -> Result<(HeaderValue, HeaderValue), String> {
        let Some((key, secret, region)) = &self.key else {
            return Ok((self.amz_date.clone(), self.authorization.clone()));
        };
        use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
        let identity = aws_credential_types::Credentials::new(
            key.as_str(),
            secret.as_str(),
            None,
            None,
            "bench",
        )
        .into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name("dynamodb")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let headers = [
            ("host", host),
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", target),
        ];
        let req = SignableRequest::new("POST", "/", headers.into_iter(), SignableBody::Bytes(body))
            .map_err(|e| e.to_string())?;
        let out = sign(req, &params).map_err(|e| e.to_string())?;
        let mut date = None;
        let mut auth = None;
        for (n, v) in out.output().headers() {
            match n {
                "x-amz-date" => date = HeaderValue::from_str(v).ok(),
                "authorization" => auth = HeaderValue::from_str(v).ok(),
                _ => {}
            }
        }
        Ok((
            date.ok_or("no x-amz-date")?,
            auth.ok_or("no authorization")?,
        ))
    }

    pub fn new(region: &str) -> Signer {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        // The engine's SigV4 date format (`YYYYMMDDTHHMMSSZ`), whose date part is the scope's.
        let amz_date = extenddo_engine::auth::sigv4::format_amz_date(secs as i64 * 1000);
        let date = &amz_date[..8];
        // The signature is not a real HMAC: the servers benchmarked here accept any
        // credentials. It only has to have the right shape (64 lowercase hex digits).
        let mut rng = fastrand::Rng::with_seed(secs);
        let signature: String = (0..64)
            .map(|_| char::from_digit(rng.u32(0..16), 16).unwrap())
            .collect();
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{date}/{region}/dynamodb/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={signature}"
        );
        Signer {
            amz_date: HeaderValue::from_str(&amz_date).unwrap(),
            authorization: HeaderValue::from_str(&authorization).unwrap(),
            key: None,
        }
    }
}

/// A response: status code and the whole body.
pub struct Response {
    pub status: u16,
    pub body: Bytes,
}

/// Why a request produced no HTTP response.
#[derive(Debug)]
pub enum TransportError {
    Connect(String),
    Request(String),
    Timeout,
}

impl TransportError {
    /// A short, low-cardinality label for error tallies.
    pub fn kind(&self) -> String {
        match self {
            TransportError::Connect(_) => "transport: connect failed".into(),
            TransportError::Request(_) => "transport: request failed".into(),
            TransportError::Timeout => "transport: timeout".into(),
        }
    }
    pub fn detail(&self) -> String {
        match self {
            TransportError::Connect(e) | TransportError::Request(e) => e.clone(),
            TransportError::Timeout => "no response within the request timeout".into(),
        }
    }
}

/// One simulated client: a single keep-alive connection, re-established when the server
/// closes it (each re-connection is counted).
pub struct Conn {
    endpoint: Endpoint,
    signer: Signer,
    timeout: Duration,
    sender: Option<SendRequest<Full<Bytes>>>,
    pub reconnects: u64,
    connected_once: bool,
}

impl Conn {
    pub fn new(endpoint: Endpoint, signer: Signer, timeout: Duration) -> Conn {
        Conn {
            endpoint,
            signer,
            timeout,
            sender: None,
            reconnects: 0,
            connected_once: false,
        }
    }

    async fn connect(&mut self) -> Result<(), TransportError> {
        let stream = TcpStream::connect(self.endpoint.addr)
            .await
            .map_err(|e| TransportError::Connect(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| TransportError::Connect(e.to_string()))?;
        tokio::spawn(async move {
            // Ends when the server closes the connection or the sender is dropped.
            let _ = conn.await;
        });
        if self.connected_once {
            self.reconnects += 1;
        }
        self.connected_once = true;
        self.sender = Some(sender);
        Ok(())
    }

    /// Sends one DynamoDB operation (`target` is e.g. `PutItem`) and reads the response.
    pub async fn call(&mut self, target: &str, body: Bytes) -> Result<Response, TransportError> {
        match tokio::time::timeout(self.timeout, self.call_inner(target, body)).await {
            Ok(r) => {
                if r.is_err() {
                    self.sender = None;
                }
                r
            }
            Err(_) => {
                // The connection may still deliver the late response; never reuse it.
                self.sender = None;
                Err(TransportError::Timeout)
            }
        }
    }

    async fn call_inner(&mut self, target: &str, body: Bytes) -> Result<Response, TransportError> {
        let req = if target == crate::workload::FLOOR_TARGET {
            Request::builder()
                .method(Method::GET)
                .uri("/")
                .header(HOST, self.endpoint.host.clone())
                .body(Full::new(body))
                .map_err(|e| TransportError::Request(e.to_string()))?
        } else {
            self.dynamodb_request(target, body)?
        };
        self.send(req).await
    }

    fn dynamodb_request(
        &self,
        target: &str,
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>, TransportError> {
        // A bare operation name is a DynamoDB one; a qualified one (containing a dot,
        // e.g. `DynamoDBStreams_20120810.GetRecords`) is sent as it is.
        let target = if target.contains('.') {
            target.to_owned()
        } else {
            format!("DynamoDB_20120810.{target}")
        };
        let (amz_date, authorization) = self
            .signer
            .sign(self.endpoint.host.to_str().unwrap_or(""), &target, &body)
            .map_err(TransportError::Request)?;
        Request::builder()
            .method(Method::POST)
            .uri("/")
            .header(HOST, self.endpoint.host.clone())
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-amz-json-1.0"),
            )
            .header("x-amz-target", target)
            .header("x-amz-date", amz_date)
            .header(AUTHORIZATION, authorization)
            .body(Full::new(body))
            .map_err(|e| TransportError::Request(e.to_string()))
    }

    async fn send(&mut self, mut req: Request<Full<Bytes>>) -> Result<Response, TransportError> {
        // A connection the server closed (`Connection: close`, or an idle close noticed
        // only now) is replaced, and a request that provably never left is sent again on
        // the new connection — once. Anything else is an error.
        let mut attempts = 0;
        let resp = loop {
            attempts += 1;
            if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
                self.connect().await?;
            }
            let sender = self.sender.as_mut().expect("connected");
            let unsent = match sender.ready().await {
                Ok(()) => match sender.try_send_request(req).await {
                    Ok(resp) => break resp,
                    Err(mut e) => match e.take_message() {
                        Some(r) => (r, e.into_error().to_string()),
                        None => return Err(TransportError::Request(e.into_error().to_string())),
                    },
                },
                Err(e) => (req, e.to_string()),
            };
            self.sender = None;
            if attempts >= 2 {
                return Err(TransportError::Request(unsent.1));
            }
            req = unsent.0;
        };
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| TransportError::Request(e.to_string()))?
            .to_bytes();
        Ok(Response { status, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_loopback_only() {
        assert!(Endpoint::parse("http://127.0.0.1:8000").is_ok());
        assert!(Endpoint::parse("http://localhost:8000/").is_ok());
        assert!(Endpoint::parse("http://10.0.0.1:8000").is_err());
        assert!(Endpoint::parse("https://127.0.0.1:8000").is_err());
        assert!(Endpoint::parse("http://127.0.0.1:8000/x").is_err());
    }
}
