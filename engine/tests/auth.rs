//! Authentication and authorization through the engine's request flow, on the simulated host:
//! management requests provision an account, a user, a policy and a key; requests signed by
//! AWS's own signer (the `aws-sigv4` crate, as every Rust SDK signs) pass or fail as AWS
//! would. Plus: the auth parsers never panic on noise (the fuzz target's property).

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use base64::Engine as _;
use extenddo_engine::config::{AuthConfig, Secret};
use extenddo_engine::log::sqlite::Sqlite;
use extenddo_engine::log::Sql;
use extenddo_engine::sim::Host;
use extenddo_engine::{Config, HttpRequest, HttpResponse};
use proptest::prelude::*;
use serde_json::{json, Value};

const NOW: i64 = 1_796_392_603_000;

fn open() -> Box<dyn Sql> {
    Box::new(Sqlite::in_memory().unwrap())
}

fn host() -> Host {
    let cfg = Config {
        auth: AuthConfig {
            enforce: true,
            bootstrap_admin: Some(("root".into(), Secret("root-password".into()))),
            key_encryption_secret: Some(Secret("an encryption key for tests".into())),
            ..AuthConfig::default()
        },
        ..Config::default()
    };
    Host::new(cfg, open, NOW)
}

fn management(h: &mut Host, method: &str, path: &str, body: Value, random: u8) -> (u16, Value) {
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("root:root-password")
    );
    let bytes = serde_json::to_vec(&body).unwrap();
    let headers = [("authorization", basic.as_str())];
    let r = h.handle(HttpRequest {
        method,
        path,
        headers: &headers,
        random: [random; 32],
        body: &bytes,
        ..HttpRequest::default()
    });
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    )
}

/// A request signed as an SDK signs it, `skew_ms` away from the host's clock.
fn signed(
    h: &mut Host,
    key: &str,
    secret: &str,
    op: &str,
    body: &Value,
    skew_ms: i64,
    tamper: bool,
) -> HttpResponse {
    let bytes = serde_json::to_vec(body).unwrap();
    let at = h.now() + skew_ms;
    let identity = Credentials::new(key, secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("dynamodb")
        .time(UNIX_EPOCH + Duration::from_millis(at as u64))
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let target = format!("DynamoDB_20120810.{op}");
    let base = [
        ("host", "localhost:8000"),
        ("content-type", "application/x-amz-json-1.0"),
        ("x-amz-target", target.as_str()),
    ];
    let req = SignableRequest::new(
        "POST",
        "/",
        base.iter().copied(),
        SignableBody::Bytes(&bytes),
    )
    .unwrap();
    let out = sign(req, &params).unwrap();
    let added: Vec<(String, String)> = out
        .output()
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let mut headers: Vec<(&str, &str)> = base.to_vec();
    headers.extend(added.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let auth = added
        .iter()
        .find(|(n, _)| n == "authorization")
        .map(|(_, v)| v.as_str());
    let mut body_sent = bytes.clone();
    if tamper {
        body_sent.push(b' ');
    }
    h.handle(HttpRequest {
        method: "POST",
        path: "/",
        target: Some(&target),
        authorization: auth,
        host: Some("localhost:8000"),
        headers: &headers,
        body: &body_sent,
        ..HttpRequest::default()
    })
}

fn error_type(r: &HttpResponse) -> String {
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    v["__type"]
        .as_str()
        .unwrap_or("")
        .rsplit('#')
        .next()
        .unwrap()
        .to_owned()
}

fn provision(
    h: &mut Host,
    account: &str,
    user: &str,
    policy: Value,
    random: u8,
) -> (String, String) {
    let (s, _) = management(
        h,
        "POST",
        "/management/accounts",
        json!({ "accountId": account }),
        random,
    );
    assert!(s == 201 || s == 409, "{s}");
    let (s, v) = management(
        h,
        "POST",
        &format!("/management/accounts/{account}/users"),
        json!({ "userName": user }),
        random,
    );
    assert_eq!(s, 201, "{v}");
    let (s, v) = management(
        h,
        "PUT",
        &format!("/management/accounts/{account}/users/{user}/policies/p"),
        policy,
        random,
    );
    assert_eq!(s, 200, "{v}");
    let (s, k) = management(
        h,
        "POST",
        &format!("/management/accounts/{account}/users/{user}/access-keys"),
        json!({}),
        random,
    );
    assert_eq!(s, 201, "{k}");
    (
        k["accessKeyId"].as_str().unwrap().to_owned(),
        k["secretAccessKey"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn signatures_keys_and_policies_through_the_flow() {
    let mut h = host();
    let all = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]});
    let (key, secret) = provision(&mut h, "111111111111", "admin", all, 1);
    let create = json!({
        "TableName": "Music",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"
    });
    let r = signed(&mut h, &key, &secret, "CreateTable", &create, 0, false);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        v["TableDescription"]["TableArn"],
        "arn:aws:dynamodb:us-east-1:111111111111:table/Music"
    );
    let put = json!({"TableName": "Music", "Item": {"pk": {"S": "a"}}});
    assert_eq!(
        signed(&mut h, &key, &secret, "PutItem", &put, 0, false).status,
        200
    );
    for (k, s, skew, tamper, expected) in [
        (key.as_str(), "wrong", 0, false, "InvalidSignatureException"),
        (
            "AKIANOSUCHKEY0000000",
            secret.as_str(),
            0,
            false,
            "UnrecognizedClientException",
        ),
        (
            key.as_str(),
            secret.as_str(),
            -16 * 60_000,
            false,
            "InvalidSignatureException",
        ),
        (
            key.as_str(),
            secret.as_str(),
            16 * 60_000,
            false,
            "InvalidSignatureException",
        ),
        (
            key.as_str(),
            secret.as_str(),
            0,
            true,
            "InvalidSignatureException",
        ),
    ] {
        let r = signed(&mut h, k, s, "PutItem", &put, skew, tamper);
        assert_eq!(
            (r.status, error_type(&r)),
            (400, expected.to_owned()),
            "{k} {skew} {tamper}"
        );
    }
    // A reader of one table.
    let only_get = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1:111111111111:table/Music"}]});
    let (rk, rs) = provision(&mut h, "111111111111", "reader", only_get, 2);
    let get = json!({"TableName": "Music", "Key": {"pk": {"S": "a"}}});
    let r = signed(&mut h, &rk, &rs, "GetItem", &get, 0, false);
    assert_eq!(r.status, 200);
    let r = signed(&mut h, &rk, &rs, "PutItem", &put, 0, false);
    assert_eq!(error_type(&r), "AccessDeniedException");
    // Another account sees none of it.
    let all = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let (ok, os) = provision(&mut h, "222222222222", "admin", all, 3);
    let r = signed(&mut h, &ok, &os, "GetItem", &get, 0, false);
    assert_eq!(error_type(&r), "ResourceNotFoundException");
    let r = signed(&mut h, &ok, &os, "ListTables", &json!({}), 0, false);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["TableNames"], json!([]));
}

#[test]
fn a_restarted_host_still_knows_its_keys_and_never_stores_secrets() {
    let mut h = host();
    let all = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let (key, secret) = provision(&mut h, "333333333333", "u", all, 4);
    h.restart();
    let r = signed(&mut h, &key, &secret, "ListTables", &json!({}), 0, false);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let sql = h.sql(&extenddo_engine::Address::Identity).unwrap();
    let rows = sql.query("SELECT secret FROM access_keys", &[]).unwrap();
    assert_eq!(rows.len(), 1);
    let extenddo_engine::log::SqlValue::Blob(sealed) = &rows[0][0] else {
        panic!("a sealed secret is a blob");
    };
    assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_bytes()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn auth_parsers_survive_noise(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        extenddo_engine::fuzzing::auth_parsers(&data);
    }

    #[test]
    fn auth_parsers_survive_mutated_seeds(seed in 0usize..3, at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let seeds = [
            "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261204/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=00\nhost: h\ncontent-type: x\n",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:*:*:table/${aws:username}","Condition":{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["${aws:username}*"]}}}]}"#,
            r#"{"Statement":{"Effect":"Deny","NotAction":["dynamodb:Get?tem"],"NotResource":"*","Condition":{"NumericLessThanIfExists":{"aws:EpochTime":1},"Null":{"aws:username":"false"}}}}"#,
        ];
        let mut bytes = seeds[seed].as_bytes().to_vec();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        bytes.truncate(cut.index(bytes.len() + 1));
        extenddo_engine::fuzzing::auth_parsers(&bytes);
    }
}
