//! HTTP adapter: DynamoDB's JSON-over-HTTP protocol onto [`Host::handle`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::get;
use axum::Router;
use extenddo_engine::{request_too_large, HttpRequest, Response, CONTENT_TYPE, MAX_REQUEST_BYTES};

use crate::host::Host;

pub async fn serve(host: Host, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let host = Arc::new(host);
    let app = Router::new()
        .route("/", get(health).post(dynamodb))
        .fallback(dynamodb)
        .with_state(host);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

async fn health() -> &'static str {
    "ExtendDO: DynamoDB-compatible endpoint. POST DynamoDB_20120810 requests here.\n"
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn dynamodb(State(host): State<Arc<Host>>, req: Request) -> HttpResponse {
    let (parts, body) = req.into_parts();
    let response = match to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(bytes) => {
            host.handle(HttpRequest {
                target: header(&parts.headers, "x-amz-target"),
                authorization: header(&parts.headers, "authorization"),
                host: header(&parts.headers, "host"),
                body: &bytes,
            })
            .await
        }
        Err(_) => Response::error(&request_too_large()),
    };
    let mut r = (
        StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        Body::from(response.body),
    )
        .into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    h.insert(
        "x-amzn-requestid",
        HeaderValue::from_str(&request_id()).unwrap_or(HeaderValue::from_static("0")),
    );
    r
}

fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{:020}{:032X}", crate::clock::now_ms(), n)
}

pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}
