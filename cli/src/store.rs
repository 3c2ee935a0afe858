//! The native object store: a directory (by default `DATA_DIR/objects`), any S3-compatible
//! bucket (`--object-store s3://bucket/prefix`, R2 included, through the `object_store`
//! crate), or memory when the server runs `--in-memory`. In a directory an object is a file
//! at its key's path; a put writes a temporary file, fsyncs it and renames it into place (and
//! fsyncs the directory), so a stored object is whole and durable once the engine hears
//! `Stored`. An S3 put is atomic and durable when S3 answers.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use extenddo_engine::api::store::{in_memory, valid_key, MemoryStore, StoreReply, StoreRequest};
use extenddo_engine::{Error, Outcome, Reply};

pub enum ObjectStore {
    Dir(PathBuf),
    S3 {
        s3: object_store::aws::AmazonS3,
        /// Prepended to every key (`""` or ending in `/`).
        prefix: String,
        /// The buckets exports and imports name (`buckets/<bucket>/…` keys), at the same
        /// endpoint, made when first used.
        buckets: Mutex<std::collections::HashMap<String, object_store::aws::AmazonS3>>,
    },
    Memory(Mutex<MemoryStore>),
}

impl ObjectStore {
    /// The store under a data directory.
    pub fn under(data_dir: &Path) -> ObjectStore {
        ObjectStore::Dir(data_dir.join("objects"))
    }

    /// An S3-compatible bucket from `s3://bucket[/prefix]`; the endpoint, region and
    /// credentials come from the usual `AWS_*` environment variables (`AWS_ENDPOINT_URL`,
    /// `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`); an `http://` endpoint is
    /// allowed.
    pub fn s3(url: &str) -> Result<ObjectStore, String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{url}: not an s3:// URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("{url}: no bucket"));
        }
        let prefix = prefix.trim_matches('/');
        let prefix = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}/")
        };
        let s3 = s3_bucket(bucket).map_err(|e| format!("{url}: {e}"))?;
        Ok(ObjectStore::S3 {
            s3,
            prefix,
            buckets: Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// What the store is, for the start-up banner.
    pub fn describe(&self) -> String {
        match self {
            ObjectStore::Dir(d) => d.display().to_string(),
            ObjectStore::S3 { s3, prefix, .. } => format!("{s3} (prefix {prefix:?})"),
            ObjectStore::Memory(_) => "memory".into(),
        }
    }

    pub async fn run(&self, request: StoreRequest) -> Outcome {
        let key = match &request {
            StoreRequest::Put { key, .. }
            | StoreRequest::Get { key }
            | StoreRequest::Delete { key } => key.as_str(),
            StoreRequest::List { .. } => "",
        };
        if !key.is_empty() && !valid_key(key) {
            return Err(Error::bug(format!("object-store key {key:?}")));
        }
        match self {
            ObjectStore::Memory(m) => {
                let mut m = m.lock().map_err(|_| Error::bug("store poisoned"))?;
                Ok(Reply::Store(in_memory(&mut m, request)))
            }
            ObjectStore::S3 {
                s3,
                prefix,
                buckets,
            } => {
                // `buckets/<bucket>/<key>`: that bucket's `<key>`.
                let named = match &request {
                    StoreRequest::List { prefix } => prefix.as_str(),
                    _ => key,
                };
                let bucket = named
                    .strip_prefix("buckets/")
                    .and_then(|r| r.split_once('/'))
                    .map(|(b, _)| b.to_owned());
                let result = match bucket.as_deref() {
                    Some(bucket) => {
                        let client = {
                            let mut b = buckets.lock().map_err(|_| Error::bug("store poisoned"))?;
                            match b.get(bucket) {
                                Some(c) => c.clone(),
                                None => {
                                    let c = s3_bucket(bucket).map_err(|e| {
                                        Error::host(format!("object store bucket {bucket}: {e}"))
                                    })?;
                                    b.insert(bucket.to_owned(), c.clone());
                                    c
                                }
                            }
                        };
                        s3_op(
                            &client,
                            "",
                            &format!("buckets/{bucket}/"),
                            strip(request, bucket),
                        )
                        .await
                    }
                    None => s3_op(s3, prefix, "", request).await,
                };
                result
                    .map(Reply::Store)
                    .map_err(|e| Error::host(format!("object store: {e}")))
            }
            ObjectStore::Dir(root) => {
                let root = root.clone();
                tokio::task::spawn_blocking(move || dir_op(&root, request))
                    .await
                    .map_err(|e| Error::host(format!("object store task: {e}")))?
                    .map(Reply::Store)
                    .map_err(|e| Error::host(format!("object store: {e}")))
            }
        }
    }
}

/// A client of `bucket` at the endpoint the `AWS_*` environment names.
fn s3_bucket(bucket: &str) -> object_store::Result<object_store::aws::AmazonS3> {
    let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
    let endpoint = std::env::var("AWS_ENDPOINT_URL_S3")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .ok();
    if let Some(e) = endpoint {
        if e.starts_with("http://") {
            b = b.with_allow_http(true);
        }
        b = b.with_endpoint(e);
    }
    b.build()
}

/// A `buckets/<bucket>/…` request with its keys made relative to the bucket; `s3_op` puts
/// the `buckets/<bucket>/` back (as its prefix) on what it lists.
fn strip(request: StoreRequest, bucket: &str) -> StoreRequest {
    let head = format!("buckets/{bucket}/");
    let cut = |k: String| k.strip_prefix(&head).map(str::to_owned).unwrap_or(k);
    match request {
        StoreRequest::Put { key, bytes } => StoreRequest::Put {
            key: cut(key),
            bytes,
        },
        StoreRequest::Get { key } => StoreRequest::Get { key: cut(key) },
        StoreRequest::Delete { key } => StoreRequest::Delete { key: cut(key) },
        StoreRequest::List { prefix } => StoreRequest::List {
            prefix: cut(prefix),
        },
    }
}

/// `prefix` is prepended to keys in the bucket; `shown` to the keys a listing returns.
async fn s3_op(
    s3: &object_store::aws::AmazonS3,
    prefix: &str,
    shown: &str,
    request: StoreRequest,
) -> object_store::Result<StoreReply> {
    use futures_util::TryStreamExt;
    use object_store::path::Path as StorePath;
    use object_store::{ObjectStore as _, ObjectStoreExt as _};
    let path = |key: &str| StorePath::from(format!("{prefix}{key}"));
    Ok(match request {
        StoreRequest::Put { key, bytes } => {
            s3.put(&path(&key), bytes.into()).await?;
            StoreReply::Stored
        }
        StoreRequest::Get { key } => match s3.get(&path(&key)).await {
            Ok(r) => StoreReply::Got(Some(r.bytes().await?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => StoreReply::Got(None),
            Err(e) => return Err(e),
        },
        StoreRequest::List { prefix: wanted } => {
            // S3 lists by path segments: list the deepest directory of the prefix, then
            // keep the keys that start with it.
            let full = format!("{prefix}{wanted}");
            let dir = full.rsplit_once('/').map_or("", |(d, _)| d);
            let dir = (!dir.is_empty()).then(|| StorePath::from(dir));
            let mut out: Vec<(String, u64)> = s3
                .list(dir.as_ref())
                .try_filter_map(|meta| {
                    let key = meta.location.to_string();
                    let hit = key
                        .strip_prefix(prefix)
                        .filter(|k| k.starts_with(&wanted))
                        .map(|k| (format!("{shown}{k}"), meta.size));
                    async move { Ok(hit) }
                })
                .try_collect()
                .await?;
            out.sort();
            StoreReply::Listed(out)
        }
        StoreRequest::Delete { key } => match s3.delete(&path(&key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => StoreReply::Deleted,
            Err(e) => return Err(e),
        },
    })
}

fn dir_op(root: &Path, request: StoreRequest) -> std::io::Result<StoreReply> {
    match request {
        StoreRequest::Put { key, bytes } => {
            let path = root.join(&key);
            let dir = path.parent().unwrap_or(root);
            std::fs::create_dir_all(dir)?;
            let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
            {
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(&bytes)?;
                f.sync_all()?;
            }
            std::fs::rename(&tmp, &path)?;
            std::fs::File::open(dir)?.sync_all()?;
            Ok(StoreReply::Stored)
        }
        StoreRequest::Get { key } => match std::fs::read(root.join(&key)) {
            Ok(b) => Ok(StoreReply::Got(Some(b))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StoreReply::Got(None)),
            Err(e) => Err(e),
        },
        StoreRequest::List { prefix } => {
            let mut out = Vec::new();
            walk(root, root, &mut out)?;
            out.retain(|(k, _)| k.starts_with(&prefix) && valid_key(k));
            out.sort();
            Ok(StoreReply::Listed(out))
        }
        StoreRequest::Delete { key } => match std::fs::remove_file(root.join(&key)) {
            Ok(()) => Ok(StoreReply::Deleted),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StoreReply::Deleted),
            Err(e) => Err(e),
        },
    }
}

/// Every file under `dir` as (key relative to `root`, size).
fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, u64)>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let meta = entry.metadata()?;
        if meta.is_dir() {
            walk(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            if let Some(key) = rel.to_str() {
                out.push((key.replace(std::path::MAIN_SEPARATOR, "/"), meta.len()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_directory_store_puts_gets_lists_and_deletes() {
        let dir = std::env::temp_dir().join(format!("extenddo-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = ObjectStore::Dir(dir.clone());
        let put = |k: &str, b: &[u8]| StoreRequest::Put {
            key: k.into(),
            bytes: b.to_vec(),
        };
        for (k, b) in [
            ("a/x/1.seg", &b"one"[..]),
            ("a/x/2.seg", b"two!"),
            ("b/3", b"3"),
        ] {
            assert_eq!(
                store.run(put(k, b)).await,
                Ok(Reply::Store(StoreReply::Stored))
            );
        }
        assert_eq!(
            store
                .run(StoreRequest::Get {
                    key: "a/x/2.seg".into()
                })
                .await,
            Ok(Reply::Store(StoreReply::Got(Some(b"two!".to_vec()))))
        );
        assert_eq!(
            store
                .run(StoreRequest::Get {
                    key: "a/none".into()
                })
                .await,
            Ok(Reply::Store(StoreReply::Got(None)))
        );
        assert_eq!(
            store
                .run(StoreRequest::List {
                    prefix: "a/".into()
                })
                .await,
            Ok(Reply::Store(StoreReply::Listed(vec![
                ("a/x/1.seg".into(), 3),
                ("a/x/2.seg".into(), 4)
            ])))
        );
        for _ in 0..2 {
            assert_eq!(
                store
                    .run(StoreRequest::Delete {
                        key: "a/x/1.seg".into()
                    })
                    .await,
                Ok(Reply::Store(StoreReply::Deleted))
            );
        }
        assert!(store.run(put("../escape", b"x")).await.is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
