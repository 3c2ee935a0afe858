//! HTTP adapter: every request onto [`Host::handle`], and its response written as the
//! engine built it.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::Router;
use extenddo_engine::{HttpRequest, MAX_REQUEST_BYTES};

use crate::host::Host;

pub async fn serve(host: Arc<Host>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let app = Router::new().fallback(handle).with_state(host);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn handle(State(host): State<Arc<Host>>, req: Request) -> HttpResponse {
    let (parts, body) = req.into_parts();
    // A body declared too long is refused before any of it is read.
    let declared = header(&parts.headers, "content-length").and_then(|l| l.parse::<u64>().ok());
    let read = match declared {
        Some(n) if n > MAX_REQUEST_BYTES as u64 => Err(()),
        _ => to_bytes(body, MAX_REQUEST_BYTES).await.map_err(|_| ()),
    };
    let response = match read {
        Ok(bytes) => {
            let headers: Vec<(&str, &str)> = parts
                .headers
                .iter()
                .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
                .collect();
            // A per-thread ChaCha stream seeded from the OS (a `getrandom` system call per
            // request was 2 % of GetItem's server time).
            let mut random = [0u8; 32];
            rand::Rng::fill_bytes(&mut rand::rng(), &mut random);
            host.handle(
                HttpRequest {
                    method: parts.method.as_str(),
                    path: parts.uri.path(),
                    target: header(&parts.headers, "x-amz-target"),
                    authorization: header(&parts.headers, "authorization"),
                    host: header(&parts.headers, "host"),
                    query: parts.uri.query().unwrap_or(""),
                    headers: &headers,
                    random,
                    body: &bytes,
                    runtime_encodes: false,
                },
                header(&parts.headers, extenddo_engine::flow::failpoint::HEADER),
            )
            .await
        }
        Err(_) => host.too_large(),
    };
    let mut r = (
        StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        Body::from(response.body),
    )
        .into_response();
    let h = r.headers_mut();
    for (name, value) in response.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            h.insert(n, v);
        }
    }
    r
}

pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}
