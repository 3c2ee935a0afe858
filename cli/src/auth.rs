//! Authentication settings of `extenddo serve`, and `extenddo admin`: the management API
//! on a data directory, in process (the server stopped).

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use extenddo_engine::config::{AuthConfig, Secret};
use extenddo_engine::{Config, HttpRequest};
use extenddo_log::sqlite::Durability;
use serde_json::Value;

use crate::host::{Host, Storage};

#[derive(clap::Args, Clone)]
pub struct AuthArgs {
    /// Verify SigV4 signatures against stored access keys and evaluate IAM policies
    /// (without it, any SigV4-shaped credentials are accepted, as DynamoDB Local does).
    #[arg(long)]
    pub auth: bool,
    /// Listen on a non-loopback address without --auth anyway.
    #[arg(long)]
    pub allow_unauthenticated: bool,
    /// The bootstrap admin of the management API (valid until an admin is stored).
    #[arg(long, env = "EXTENDDO_ADMIN_USER")]
    pub admin_user: Option<String>,
    #[arg(long, env = "EXTENDDO_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// The file holding the key that secret access keys are sealed under (created with a
    /// random key if missing). Default: DATA_DIR/key-encryption.key.
    /// `EXTENDDO_KEY_ENCRYPTION_KEY` gives the key itself instead.
    #[arg(long, env = "EXTENDDO_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

fn random_hex() -> Result<String, String> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).map_err(|e| format!("no secure random source: {e}"))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// The key-encryption secret: from the environment, else a key file (made if missing).
fn key_secret(args: &AuthArgs, data_dir: Option<&Path>) -> Result<String, String> {
    if let Ok(k) = std::env::var("EXTENDDO_KEY_ENCRYPTION_KEY") {
        if !k.trim().is_empty() {
            return Ok(k);
        }
    }
    let path = match (&args.key_file, data_dir) {
        (Some(p), _) => p.clone(),
        (None, Some(d)) => d.join("key-encryption.key"),
        // In memory, keys die with the process: so may their sealing key.
        (None, None) => return random_hex(),
    };
    match std::fs::read_to_string(&path) {
        Ok(s) => Ok(s.trim().to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            let key = random_hex()?;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts
                .open(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            f.write_all(key.as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(key)
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The engine's auth settings for `serve`, or why the server must not start.
pub fn config(
    args: &AuthArgs,
    listen: &SocketAddr,
    data_dir: Option<&Path>,
) -> Result<AuthConfig, String> {
    if !args.auth && !listen.ip().is_loopback() && !args.allow_unauthenticated {
        return Err(format!(
            "refusing to listen on {listen} without --auth: anyone who can reach it could read and write every table. Add --auth (recommended) or --allow-unauthenticated."
        ));
    }
    let bootstrap_admin = match (&args.admin_user, &args.admin_password) {
        (Some(u), Some(p)) if !u.is_empty() && !p.is_empty() => {
            Some((u.clone(), Secret(p.clone())))
        }
        (None, None) => None,
        _ => {
            return Err(
                "give both EXTENDDO_ADMIN_USER and EXTENDDO_ADMIN_PASSWORD (or neither)".into(),
            )
        }
    };
    Ok(AuthConfig {
        enforce: args.auth,
        bootstrap_admin,
        key_encryption_secret: Some(Secret(key_secret(args, data_dir)?)),
        ..AuthConfig::default()
    })
}

#[derive(clap::Args)]
pub struct AdminArgs {
    /// The data directory (the server stopped).
    #[arg(long, default_value = "./extenddo-data")]
    data_dir: PathBuf,
    #[arg(long, env = "EXTENDDO_KEY_FILE")]
    key_file: Option<PathBuf>,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(clap::Subcommand)]
enum AdminCommand {
    /// Store an admin of the management API.
    CreateAdmin {
        username: String,
        password: String,
    },
    ListAdmins,
    CreateAccount {
        /// 12 digits (random if not given).
        #[arg(long)]
        account_id: Option<String>,
        #[arg(long)]
        name: Option<String>,
    },
    ListAccounts,
    CreateUser {
        account: String,
        user: String,
        #[arg(long)]
        password: Option<String>,
    },
    ListUsers {
        account: String,
    },
    DeleteUser {
        account: String,
        user: String,
    },
    /// Create an access key; its secret is shown once.
    CreateAccessKey {
        account: String,
        user: String,
    },
    ListAccessKeys {
        account: String,
        user: String,
    },
    DeleteAccessKey {
        account: String,
        user: String,
        key_id: String,
    },
    /// Put an inline policy from a JSON file (`-` for stdin).
    PutPolicy {
        account: String,
        user: String,
        name: String,
        file: PathBuf,
    },
    GetPolicy {
        account: String,
        user: String,
        name: String,
    },
    ListPolicies {
        account: String,
        user: String,
    },
    DeletePolicy {
        account: String,
        user: String,
        name: String,
    },
}

pub fn admin(a: AdminArgs) -> Result<ExitCode, String> {
    use AdminCommand as A;
    let u = |acct: &str, user: &str| format!("/management/accounts/{acct}/users/{user}");
    let (method, path, body): (&str, String, Value) = match &a.command {
        A::CreateAdmin { username, password } => (
            "POST",
            "/management/admins".into(),
            serde_json::json!({ "username": username, "password": password }),
        ),
        A::ListAdmins => ("GET", "/management/admins".into(), Value::Null),
        A::CreateAccount { account_id, name } => {
            let mut b = serde_json::json!({});
            if let Some(id) = account_id {
                b["accountId"] = id.clone().into();
            }
            if let Some(n) = name {
                b["name"] = n.clone().into();
            }
            ("POST", "/management/accounts".into(), b)
        }
        A::ListAccounts => ("GET", "/management/accounts".into(), Value::Null),
        A::CreateUser {
            account,
            user,
            password,
        } => {
            let mut b = serde_json::json!({ "userName": user });
            if let Some(p) = password {
                b["password"] = p.clone().into();
            }
            ("POST", format!("/management/accounts/{account}/users"), b)
        }
        A::ListUsers { account } => (
            "GET",
            format!("/management/accounts/{account}/users"),
            Value::Null,
        ),
        A::DeleteUser { account, user } => ("DELETE", u(account, user), Value::Null),
        A::CreateAccessKey { account, user } => (
            "POST",
            format!("{}/access-keys", u(account, user)),
            Value::Null,
        ),
        A::ListAccessKeys { account, user } => (
            "GET",
            format!("{}/access-keys", u(account, user)),
            Value::Null,
        ),
        A::DeleteAccessKey {
            account,
            user,
            key_id,
        } => (
            "DELETE",
            format!("{}/access-keys/{key_id}", u(account, user)),
            Value::Null,
        ),
        A::PutPolicy {
            account,
            user,
            name,
            file,
        } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).map_err(|e| e.to_string())?
            } else {
                std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?
            };
            let doc: Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            ("PUT", format!("{}/policies/{name}", u(account, user)), doc)
        }
        A::GetPolicy {
            account,
            user,
            name,
        } => (
            "GET",
            format!("{}/policies/{name}", u(account, user)),
            Value::Null,
        ),
        A::ListPolicies { account, user } => {
            ("GET", format!("{}/policies", u(account, user)), Value::Null)
        }
        A::DeletePolicy {
            account,
            user,
            name,
        } => (
            "DELETE",
            format!("{}/policies/{name}", u(account, user)),
            Value::Null,
        ),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let token = random_hex()?;
    let auth_args = AuthArgs {
        auth: true,
        allow_unauthenticated: false,
        admin_user: None,
        admin_password: None,
        key_file: a.key_file.clone(),
    };
    let mut auth = AuthConfig {
        key_encryption_secret: Some(Secret(key_secret(&auth_args, Some(&a.data_dir))?)),
        ..AuthConfig::default()
    };
    auth.local_operator = Some(Secret(token.clone()));
    let cfg = Config {
        auth,
        ..Config::default()
    };
    let storage = Storage::Dir {
        root: a.data_dir.clone(),
        durability: Durability::Full,
    };
    runtime.block_on(async {
        let store = crate::store::ObjectStore::under(&a.data_dir);
        let host = Host::open(cfg, storage, Some(store))
            .await
            .map_err(|e| format!("cannot open {}: {e}", a.data_dir.display()))?;
        let basic = {
            use base64::Engine as _;
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("operator:{token}"))
            )
        };
        let body_bytes = if body.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(&body).map_err(|e| e.to_string())?
        };
        let mut random = [0u8; 32];
        getrandom::getrandom(&mut random).map_err(|e| e.to_string())?;
        let headers = [("authorization", basic.as_str())];
        let resp = host
            .handle(
                HttpRequest {
                    method,
                    path: &path,
                    headers: &headers,
                    random,
                    body: &body_bytes,
                    ..HttpRequest::default()
                },
                None,
            )
            .await;
        let text = String::from_utf8_lossy(&resp.body);
        if !text.is_empty() {
            println!("{text}");
        }
        Ok(if (200..300).contains(&resp.status) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })
}
