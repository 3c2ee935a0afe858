//! `extenddo-floor`: the HTTP floor of the benchmarks — a minimal hyper server on loopback
//! that answers `{}` as DynamoDB JSON, HTTP 200, to every request without reading a table
//! (a GetItem gets `{"Item":{}}` and a Query `Count` = its `Limit`, so that the load
//! generator's checks of reads pass), so that a run shows what the HTTP stack and the load
//! generator cost by themselves.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(
    name = "extenddo-floor",
    about = "Answers {} to every request (the HTTP floor)"
)]
struct Args {
    /// Loopback address to listen on.
    #[arg(long, default_value = "127.0.0.1:8099")]
    listen: SocketAddr,
}

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // A GetItem gets an (empty) Item and a Query as many (absent) items as its Limit asks,
    // so that the load generator's checks of reads pass; everything else `{}`.
    let target = req
        .headers()
        .get("x-amz-target")
        .map(|t| t.as_bytes().to_vec())
        .unwrap_or_default();
    // Read the body as a server must before answering.
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let answer = if target.ends_with(b".GetItem") {
        Bytes::from_static(br#"{"Item":{}}"#)
    } else if target.ends_with(b".Query") {
        let n = limit(&body).unwrap_or(0);
        Bytes::from(format!(r#"{{"Count":{n},"ScannedCount":{n},"Items":[]}}"#))
    } else {
        Bytes::from_static(b"{}")
    };
    Ok(Response::builder()
        .header("content-type", "application/x-amz-json-1.0")
        .body(Full::new(answer))
        .unwrap_or_default())
}

/// The `"Limit":n` of a request body, read without parsing the JSON.
fn limit(body: &[u8]) -> Option<u64> {
    let key = b"\"Limit\":";
    let at = body.windows(key.len()).position(|w| w == key)? + key.len();
    let digits: Vec<u8> = body[at..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if !args.listen.ip().is_loopback() {
        eprintln!("extenddo-floor: listens on loopback only");
        return std::process::ExitCode::FAILURE;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("extenddo-floor: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let listener = match TcpListener::bind(args.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("extenddo-floor: {}: {e}", args.listen);
                return std::process::ExitCode::FAILURE;
            }
        };
        println!("extenddo-floor listening on http://{}", args.listen);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(answer))
                    .await;
            });
        }
    })
}
