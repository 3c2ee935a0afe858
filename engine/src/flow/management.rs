//! The management API: `/management/…`, JSON over HTTP Basic.
//!
//! Admins (`Basic admin:password`) manage admins, accounts, users, passwords, access keys
//! and inline policies; a user (`Basic <account>/<user>:password`) manages its own access
//! keys and password. The bootstrap admin from the host's secrets works until an admin is
//! stored. Failed logins are counted per name and refused for a minute after five.
//! Routes and bodies: docs/security.md.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::api::identity::{
    IdentityCommand as C, IdentityReply as R, KeyMeta, UserRecord, MAX_POLICY_CHARS,
};
use crate::api::object::{Address, Call, Command, Outcome, Reply};
use crate::api::time::iso_millis;
use crate::auth::{password, policy::Policy, secrets};
use crate::error::ErrorKind;
use crate::flow::auth_cache::{master_key, Login};
use crate::flow::front::FrontEnd;
use crate::flow::request::HttpRequest;
use crate::wire::response::HttpResponse;

pub const MIN_PASSWORD_CHARS: usize = 8;
/// An argon2id hash of nothing anyone knows, verified when a login names no stored hash.
const DUMMY_HASH: &str = "argon2id$v=19$m=19456,t=2,p=1$00000000000000000000000000000000$0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Admins,
    Admin(String),
    Accounts,
    Account(String),
    Users(String),
    User(String, String),
    Password(String, String),
    Keys(String, String),
    Key(String, String, String),
    Policies(String, String),
    Policy(String, String, String),
}

fn route(path: &str) -> Option<Route> {
    let rest = path.strip_prefix("/management")?;
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let o = |s: &str| s.to_owned();
    Some(match segs.as_slice() {
        ["admins"] => Route::Admins,
        ["admins", n] => Route::Admin(o(n)),
        ["accounts"] => Route::Accounts,
        ["accounts", a] => Route::Account(o(a)),
        ["accounts", a, "users"] => Route::Users(o(a)),
        ["accounts", a, "users", u] => Route::User(o(a), o(u)),
        ["accounts", a, "users", u, "password"] => Route::Password(o(a), o(u)),
        ["accounts", a, "users", u, "access-keys"] => Route::Keys(o(a), o(u)),
        ["accounts", a, "users", u, "access-keys", k] => Route::Key(o(a), o(u), o(k)),
        ["accounts", a, "users", u, "policies"] => Route::Policies(o(a), o(u)),
        ["accounts", a, "users", u, "policies", p] => Route::Policy(o(a), o(u), o(p)),
        _ => return None,
    })
}

pub fn respond(status: u16, body: &Value) -> HttpResponse {
    let mut headers = vec![("Content-Type", "application/json".to_owned())];
    if status == 401 {
        headers.push(("WWW-Authenticate", "Basic realm=\"extenddo\"".to_owned()));
    }
    if status == 429 {
        headers.push(("Retry-After", "60".to_owned()));
    }
    HttpResponse {
        status,
        headers,
        body: serde_json::to_vec(body).unwrap_or_default(),
    }
}

fn problem(status: u16, error: &str, message: impl Into<String>) -> HttpResponse {
    respond(
        status,
        &json!({ "error": error, "message": message.into() }),
    )
}

fn bad(message: impl Into<String>) -> HttpResponse {
    problem(400, "BadRequest", message)
}

pub fn healthz() -> HttpResponse {
    respond(200, &json!({ "status": "ok" }))
}

enum Awaiting {
    Login(Login),
    Command,
}

pub struct Management {
    route: Route,
    method: String,
    body: Value,
    random: [u8; 32],
    password: String,
    login_key: [u8; 32],
    awaiting: Awaiting,
    /// What the identity object's reply becomes, and the secret shown once.
    created_key: Option<(String, String, Option<String>)>,
}

pub enum Next {
    Call(Call),
    Respond(HttpResponse),
}

fn call(c: C) -> Next {
    Next::Call(Call {
        to: Address::Identity,
        command: Command::Identity(c),
    })
}

fn basic(header: Option<&str>) -> Option<(String, String)> {
    let b64 = header?.strip_prefix("Basic ")?.trim();
    let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

fn valid_name(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.chars().count() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

fn sub_random(random: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(random);
    h.update(label);
    h.finalize().into()
}

impl Management {
    pub fn start(
        front: &FrontEnd,
        req: &HttpRequest<'_>,
        now_ms: i64,
    ) -> (Option<Management>, Next) {
        let Some(route) = route(req.path) else {
            return (
                None,
                Next::Respond(problem(
                    404,
                    "NotFound",
                    format!("No management route {} {}", req.method, req.path),
                )),
            );
        };
        let body = if req.body.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            match serde_json::from_slice::<Value>(req.body) {
                Ok(v @ Value::Object(_)) => v,
                _ => return (None, Next::Respond(bad("The body must be a JSON object"))),
            }
        };
        let header = req
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| *v)
            .or(req.authorization);
        let Some((name, pass)) = basic(header) else {
            return (
                None,
                Next::Respond(problem(
                    401,
                    "Unauthorized",
                    "HTTP Basic credentials are required",
                )),
            );
        };
        if let Some(token) = &front.cfg.auth.local_operator {
            if name == "operator" && bool::from(token.0.as_bytes().ct_eq(pass.as_bytes())) {
                let mut m = Management {
                    route,
                    method: req.method.to_ascii_uppercase(),
                    body,
                    random: req.random,
                    password: String::new(),
                    login_key: [0; 32],
                    awaiting: Awaiting::Command,
                    created_key: None,
                };
                let next = m.command(front, &Login::Admin(name));
                return (Some(m), next);
            }
        }
        if front.auth.locked_out(&name, now_ms) {
            return (
                None,
                Next::Respond(problem(
                    429,
                    "TooManyRequests",
                    "Too many failed logins; try again in a minute",
                )),
            );
        }
        let login = match name.split_once('/') {
            Some((account, user)) => Login::User {
                account: account.to_owned(),
                name: user.to_owned(),
            },
            None => Login::Admin(name.clone()),
        };
        let login_key: [u8; 32] = {
            let mut h = Sha256::new();
            h.update(name.as_bytes());
            h.update([0]);
            h.update(pass.as_bytes());
            h.finalize().into()
        };
        let mut m = Management {
            route,
            method: req.method.to_ascii_uppercase(),
            body,
            random: req.random,
            password: pass,
            login_key,
            awaiting: Awaiting::Command,
            created_key: None,
        };
        if let Some(l) = front.auth.login(&login_key, now_ms) {
            let next = m.command(front, &l);
            return (Some(m), next);
        }
        let ask = match &login {
            Login::Admin(n) => C::Admin { name: n.clone() },
            Login::User { account, name } => C::GetUser {
                account: account.clone(),
                name: name.clone(),
            },
        };
        m.awaiting = Awaiting::Login(login);
        (Some(m), call(ask))
    }

    pub fn step(&mut self, front: &FrontEnd, outcome: Outcome, now_ms: i64) -> Next {
        match std::mem::replace(&mut self.awaiting, Awaiting::Command) {
            Awaiting::Login(login) => {
                let ok =
                    match (&login, &outcome) {
                        (
                            Login::Admin(name),
                            Ok(Reply::Identity(R::Admin {
                                password_hash,
                                any_stored,
                            })),
                        ) => match password_hash {
                            Some(h) => password::verify(&self.password, h),
                            None => {
                                !any_stored
                                    && front.cfg.auth.bootstrap_admin.as_ref().is_some_and(
                                        |(u, p)| {
                                            u == name
                                                && bool::from(
                                                    p.0.as_bytes().ct_eq(self.password.as_bytes()),
                                                )
                                        },
                                    )
                            }
                        },
                        (Login::User { .. }, Ok(Reply::Identity(R::User(u)))) => u
                            .password_hash
                            .as_deref()
                            .is_some_and(|h| password::verify(&self.password, h)),
                        (_, Err(e)) if e.clone().into_api().kind != ErrorKind::ResourceNotFound => {
                            return Next::Respond(problem(500, "InternalError", e.to_string()));
                        }
                        _ => false,
                    };
                if !ok {
                    if !matches!(
                        &outcome,
                        Ok(Reply::Identity(R::User(UserRecord {
                            password_hash: Some(_),
                            ..
                        }))) | Ok(Reply::Identity(R::Admin {
                            password_hash: Some(_),
                            ..
                        }))
                    ) {
                        // No hash was checked: spend the same time, so that a reply's delay
                        // does not tell which names exist.
                        let _ = password::verify(&self.password, DUMMY_HASH);
                    }
                    let who = match &login {
                        Login::Admin(n) => n.clone(),
                        Login::User { account, name } => format!("{account}/{name}"),
                    };
                    front.auth.failed_login(&who, now_ms);
                    return Next::Respond(problem(401, "Unauthorized", "Invalid credentials"));
                }
                front.auth.remember_login(
                    self.login_key,
                    login.clone(),
                    now_ms + front.cfg.auth.cache_ms,
                );
                self.command(front, &login)
            }
            Awaiting::Command => {
                if self.method != "GET" {
                    front.auth.forget_all();
                }
                match outcome {
                    Ok(Reply::Identity(r)) => Next::Respond(self.render(&front.cfg.region, r)),
                    Ok(other) => Next::Respond(problem(
                        500,
                        "InternalError",
                        format!("unexpected reply {other:?}"),
                    )),
                    Err(e) => {
                        let e = e.into_api();
                        let (status, code) = match e.kind {
                            ErrorKind::ResourceNotFound => (404, "NotFound"),
                            ErrorKind::ResourceInUse => (409, "Conflict"),
                            ErrorKind::LimitExceeded => (409, "LimitExceeded"),
                            ErrorKind::Validation => (400, "BadRequest"),
                            _ => (500, "InternalError"),
                        };
                        Next::Respond(problem(status, code, e.message.unwrap_or_default()))
                    }
                }
            }
        }
    }

    fn str_member(&self, name: &str) -> Option<String> {
        self.body
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    fn hash_password(&self, p: &str) -> Result<String, HttpResponse> {
        if p.chars().count() < MIN_PASSWORD_CHARS || p.len() > 256 {
            return Err(bad(format!(
                "A password must have {MIN_PASSWORD_CHARS} to 256 characters"
            )));
        }
        let salt: [u8; 16] = sub_random(&self.random, b"salt")[..16]
            .try_into()
            .unwrap_or_default();
        Ok(password::hash(p, &salt))
    }

    /// The identity command the request amounts to, once the caller is known.
    fn command(&mut self, front: &FrontEnd, login: &Login) -> Next {
        let admin = matches!(login, Login::Admin(_));
        let own = |a: &str, u: &str| matches!(login, Login::User { account, name } if account == a && name == u);
        let m = self.method.as_str();
        let allowed = admin
            || match &self.route {
                Route::Keys(a, u) | Route::Key(a, u, _) | Route::Password(a, u) => own(a, u),
                _ => false,
            };
        if !allowed {
            return Next::Respond(problem(403, "Forbidden", "Only an admin may do this"));
        }
        let no_method = || {
            Next::Respond(problem(
                405,
                "MethodNotAllowed",
                format!("{m} is not allowed here"),
            ))
        };
        let r = self.route.clone();
        let c = match (&r, m) {
            (Route::Admins, "GET") => C::ListAdmins,
            (Route::Admins, "POST") => {
                let Some(name) = self.str_member("username").filter(|n| valid_name(n, 64)) else {
                    return Next::Respond(bad(
                        "username: 1 to 64 characters of [A-Za-z0-9_+=,.@-]",
                    ));
                };
                let pw = self.str_member("password").unwrap_or_default();
                match self.hash_password(&pw) {
                    Ok(h) => C::CreateAdmin {
                        name,
                        password_hash: h,
                    },
                    Err(resp) => return Next::Respond(resp),
                }
            }
            (Route::Admin(n), "DELETE") => C::DeleteAdmin { name: n.clone() },
            (Route::Accounts, "GET") => C::ListAccounts,
            (Route::Accounts, "POST") => {
                let id = match self.str_member("accountId") {
                    Some(id) => id,
                    None => {
                        let r = sub_random(&self.random, b"account");
                        let n = u64::from_le_bytes(r[..8].try_into().unwrap_or_default());
                        format!("{:012}", n % 1_000_000_000_000)
                    }
                };
                if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                    return Next::Respond(bad("accountId: 12 digits"));
                }
                let name = self.str_member("name").unwrap_or_else(|| id.clone());
                C::CreateAccount { id, name }
            }
            (Route::Account(a), "GET") => C::GetAccount { id: a.clone() },
            (Route::Account(a), "DELETE") => C::DeleteAccount { id: a.clone() },
            (Route::Users(a), "GET") => C::ListUsers { account: a.clone() },
            (Route::Users(a), "POST") => {
                let Some(name) = self.str_member("userName").filter(|n| valid_name(n, 64)) else {
                    return Next::Respond(bad(
                        "userName: 1 to 64 characters of [A-Za-z0-9_+=,.@-]",
                    ));
                };
                let password_hash = match self.str_member("password") {
                    Some(p) => match self.hash_password(&p) {
                        Ok(h) => Some(h),
                        Err(resp) => return Next::Respond(resp),
                    },
                    None => None,
                };
                let mut tags = BTreeMap::new();
                if let Some(t) = self.body.get("tags") {
                    let Some(obj) = t.as_object() else {
                        return Next::Respond(bad("tags: an object of strings"));
                    };
                    for (k, v) in obj {
                        let Some(v) = v.as_str() else {
                            return Next::Respond(bad("tags: an object of strings"));
                        };
                        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
                            return Next::Respond(bad(
                                "tag keys have 1 to 128 characters, values up to 256",
                            ));
                        }
                        tags.insert(k.clone(), v.to_owned());
                    }
                }
                C::CreateUser {
                    account: a.clone(),
                    name,
                    password_hash,
                    tags,
                }
            }
            (Route::User(a, u), "GET") => C::GetUser {
                account: a.clone(),
                name: u.clone(),
            },
            (Route::User(a, u), "DELETE") => C::DeleteUser {
                account: a.clone(),
                name: u.clone(),
            },
            (Route::Password(a, u), "PUT") => {
                let pw = self.str_member("password").unwrap_or_default();
                match self.hash_password(&pw) {
                    Ok(h) => C::SetPassword {
                        account: a.clone(),
                        name: u.clone(),
                        password_hash: h,
                    },
                    Err(resp) => return Next::Respond(resp),
                }
            }
            (Route::Keys(a, u), "GET") => C::ListKeys {
                account: a.clone(),
                user: u.clone(),
            },
            (Route::Keys(a, u), "POST") => {
                let Some(master) = master_key(&front.cfg) else {
                    return Next::Respond(problem(400, "NotConfigured", "No key-encryption key is configured (EXTENDDO_KEY_ENCRYPTION_KEY, or the native server's key file): access keys cannot be created"));
                };
                let (id, secret) = secrets::new_key(&sub_random(&self.random, b"key"));
                let token = self
                    .body
                    .get("sessionToken")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    .then(|| secrets::new_session_token(&sub_random(&self.random, b"token")));
                let nonce: [u8; 12] = sub_random(&self.random, b"nonce")[..12]
                    .try_into()
                    .unwrap_or_default();
                let sealed = master.seal(&id, &secret, nonce);
                self.created_key = Some((id.clone(), secret, token.clone()));
                C::CreateKey {
                    account: a.clone(),
                    user: u.clone(),
                    key_id: id,
                    sealed_secret: sealed,
                    session_token: token,
                }
            }
            (Route::Key(a, u, k), "DELETE") => C::DeleteKey {
                account: a.clone(),
                user: u.clone(),
                key_id: k.clone(),
            },
            (Route::Policies(a, u), "GET") => C::ListPolicies {
                account: a.clone(),
                user: u.clone(),
            },
            (Route::Policy(a, u, p), "PUT") => {
                if !valid_name(p, 128) {
                    return Next::Respond(bad(
                        "policy name: 1 to 128 characters of [A-Za-z0-9_+=,.@-]",
                    ));
                }
                // The document is the body itself, or a JSON string in `policyDocument`.
                let doc = match self.body.get("policyDocument") {
                    Some(Value::String(s)) => s.clone(),
                    Some(v) => v.to_string(),
                    None => self.body.to_string(),
                };
                let chars = doc.chars().filter(|c| !c.is_whitespace()).count();
                if chars > MAX_POLICY_CHARS {
                    return Next::Respond(problem(
                        409,
                        "LimitExceeded",
                        format!(
                            "Maximum policy size of {MAX_POLICY_CHARS} bytes exceeded for user {u}"
                        ),
                    ));
                }
                if let Err(e) = Policy::parse(&doc) {
                    return Next::Respond(problem(400, "MalformedPolicyDocument", e.0));
                }
                C::PutPolicy {
                    account: a.clone(),
                    user: u.clone(),
                    name: p.clone(),
                    document: doc,
                }
            }
            (Route::Policy(a, u, p), "GET") => C::GetPolicy {
                account: a.clone(),
                user: u.clone(),
                name: p.clone(),
            },
            (Route::Policy(a, u, p), "DELETE") => C::DeletePolicy {
                account: a.clone(),
                user: u.clone(),
                name: p.clone(),
            },
            _ => return no_method(),
        };
        self.awaiting = Awaiting::Command;
        call(c)
    }

    fn render(&mut self, region: &str, r: R) -> HttpResponse {
        let created = if self.method == "POST" { 201 } else { 200 };
        match r {
            R::Admins(names) => respond(200, &json!({ "admins": names })),
            R::Account(a) => respond(
                created,
                &json!({ "accountId": a.id, "name": a.name, "createdAt": iso_millis(a.created_ms) }),
            ),
            R::Accounts(list) => respond(
                200,
                &json!({ "accounts": list.iter().map(|a| json!({ "accountId": a.id, "name": a.name, "createdAt": iso_millis(a.created_ms) })).collect::<Vec<_>>() }),
            ),
            R::User(u) => respond(created, &user_json(&u)),
            R::Users(list) => respond(
                200,
                &json!({ "users": list.iter().map(user_json).collect::<Vec<_>>() }),
            ),
            R::Keys(keys) => match self.created_key.take() {
                Some((id, secret, token)) => {
                    let meta = keys.first();
                    let mut v = json!({
                        "accessKeyId": id,
                        "secretAccessKey": secret,
                        "accountId": meta.map(|k| k.account.clone()),
                        "userName": meta.map(|k| k.user.clone()),
                        "createdAt": meta.map(|k| iso_millis(k.created_ms)),
                        "region": region,
                    });
                    if let Some(t) = token {
                        v["sessionToken"] = json!(t);
                    }
                    respond(201, &v)
                }
                None => respond(
                    200,
                    &json!({ "accessKeys": keys.iter().map(key_json).collect::<Vec<_>>() }),
                ),
            },
            R::Policy(doc) => {
                let name = match &self.route {
                    Route::Policy(_, _, p) => p.clone(),
                    _ => String::new(),
                };
                let parsed: Value = serde_json::from_str(&doc).unwrap_or(Value::String(doc));
                respond(
                    200,
                    &json!({ "policyName": name, "policyDocument": parsed }),
                )
            }
            R::Policies(names) => respond(200, &json!({ "policyNames": names })),
            R::Done => match self.method.as_str() {
                "DELETE" => HttpResponse {
                    status: 204,
                    headers: Vec::new(),
                    body: Vec::new(),
                },
                "POST" => respond(201, &json!({})),
                _ => respond(200, &json!({})),
            },
            R::Principal(_) | R::Admin { .. } => {
                problem(500, "InternalError", "unexpected identity reply")
            }
        }
    }
}

fn user_json(u: &UserRecord) -> Value {
    json!({
        "accountId": u.account,
        "userName": u.name,
        "arn": format!("arn:aws:iam::{}:user/{}", u.account, u.name),
        "tags": u.tags,
        "hasPassword": u.password_hash.is_some(),
        "createdAt": iso_millis(u.created_ms),
    })
}

fn key_json(k: &KeyMeta) -> Value {
    json!({
        "accessKeyId": k.id,
        "createdAt": iso_millis(k.created_ms),
        "requiresSessionToken": k.has_session_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("/management/admins"), Some(Route::Admins));
        assert_eq!(
            route("/management/accounts/123456789012/users/bob/access-keys/AKIA1"),
            Some(Route::Key(
                "123456789012".into(),
                "bob".into(),
                "AKIA1".into()
            ))
        );
        assert_eq!(route("/management/nope"), None);
        assert_eq!(route("/managementx"), None);
    }

    #[test]
    fn basic_credentials() {
        let h = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("123456789012/bob:pa:ss")
        );
        assert_eq!(
            basic(Some(&h)),
            Some(("123456789012/bob".into(), "pa:ss".into()))
        );
        assert_eq!(basic(Some("Bearer x")), None);
    }
}
