//! Table identity and lifecycle, through the engine's request flow on the in-memory host:
//! a table is an incarnation with its own id and log; a deleted table's log is kept while its
//! streams may be read, then retired by the engine's rule; a creation or deletion cut short
//! by a crash is rolled forward by the catalog.

use extenddo_engine::api::catalog::{CatalogCommand, CatalogReply, IncarnationState};
use extenddo_engine::api::command::TableCommand;
use extenddo_engine::log::sqlite::Sqlite;
use extenddo_engine::log::{LogStore, Sql};
use extenddo_engine::sim::Host;
use extenddo_engine::wire::decode::{decode, Request};
use extenddo_engine::wire::target::Op;
use extenddo_engine::{Address, Call, Command, Config, Reply, TableId};
use serde_json::{json, Value};

const T0: i64 = 1_790_000_000_000;
const HOUR: i64 = 3600 * 1000;

fn open() -> Box<dyn Sql> {
    Box::new(Sqlite::in_memory().unwrap())
}

fn host() -> Host {
    Host::new(Config::default(), open, T0)
}

fn ok(h: &mut Host, target: &str, body: Value) -> Value {
    let (status, v) = h.request(target, &body);
    assert_eq!(status, 200, "{target}: {v}");
    v
}

fn err(h: &mut Host, target: &str, body: Value) -> (String, String) {
    let (status, v) = h.request(target, &body);
    assert_ne!(status, 200, "{target} succeeded: {v}");
    let ty = v["__type"].as_str().unwrap_or_default();
    (
        ty.rsplit('#').next().unwrap_or_default().to_owned(),
        v["message"].as_str().unwrap_or_default().to_owned(),
    )
}

fn create(h: &mut Host, name: &str) -> Value {
    ok(
        h,
        "CreateTable",
        json!({
            "TableName": name, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"},
        }),
    )
}

fn put(h: &mut Host, table: &str, pk: &str) {
    ok(
        h,
        "PutItem",
        json!({"TableName": table, "Item": {"pk": {"S": pk}}}),
    );
}

fn catalog(h: &mut Host, command: CatalogCommand) -> CatalogReply {
    match h.call(Call {
        to: Address::Catalog,
        command: Command::Catalog(command),
    }) {
        Ok(Reply::Catalog(r)) => r,
        other => panic!("{other:?}"),
    }
}

/// Every record of the stream `arn`, from TRIM_HORIZON of each shard.
fn records(h: &mut Host, arn: &str) -> Vec<Value> {
    let d = ok(
        h,
        "DynamoDBStreams_20120810.DescribeStream",
        json!({"StreamArn": arn}),
    );
    let mut out = Vec::new();
    for sh in d["StreamDescription"]["Shards"].as_array().unwrap() {
        let it = ok(
            h,
            "DynamoDBStreams_20120810.GetShardIterator",
            json!({"StreamArn": arn, "ShardId": sh["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
        );
        let mut it = it["ShardIterator"].clone();
        while it.is_string() {
            let r = ok(
                h,
                "DynamoDBStreams_20120810.GetRecords",
                json!({"ShardIterator": it}),
            );
            let batch = r["Records"].as_array().unwrap().clone();
            let empty = batch.is_empty();
            out.extend(batch);
            it = r["NextShardIterator"].clone();
            if empty {
                break;
            }
        }
    }
    out
}

#[test]
fn a_recreated_table_is_a_new_incarnation_with_a_fresh_log() {
    let mut h = host();
    let first = create(&mut h, "music");
    let old_id = first["TableDescription"]["TableId"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_arn = first["TableDescription"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_owned();
    put(&mut h, "music", "a");
    put(&mut h, "music", "b");
    ok(&mut h, "DeleteTable", json!({"TableName": "music"}));
    h.set_now(T0 + 1000);
    let second = create(&mut h, "music");
    let new_id = second["TableDescription"]["TableId"].as_str().unwrap();
    assert_ne!(new_id, old_id);
    put(&mut h, "music", "c");

    // The new incarnation's log starts at LSN 1 with its TableCreated.
    let sql = h.sql(&Address::Table(TableId(new_id.to_owned()))).unwrap();
    let log = LogStore::read(sql, 1, 10).unwrap();
    assert_eq!(log[0].lsn, 1);
    assert_eq!(log[0].event.kind(), "TableCreated");
    assert_eq!(log.len(), 2);
    // The old one's log is kept, ending with its deletion.
    let sql = h.sql(&Address::Table(TableId(old_id.clone()))).unwrap();
    let kinds: Vec<&str> = LogStore::read(sql, 1, 10)
        .unwrap()
        .iter()
        .map(|r| r.event.kind())
        .collect();
    assert_eq!(
        kinds,
        ["TableCreated", "ItemPut", "ItemPut", "TableDeleted"]
    );

    // The new table does not see the old items.
    let scan = ok(&mut h, "Scan", json!({"TableName": "music"}));
    assert_eq!(scan["Count"], 1);

    // The old stream is still readable by its ARN: disabled, with the old records.
    let d = ok(
        &mut h,
        "DynamoDBStreams_20120810.DescribeStream",
        json!({"StreamArn": old_arn}),
    );
    assert_eq!(d["StreamDescription"]["StreamStatus"], "DISABLED");
    let old: Vec<String> = records(&mut h, &old_arn)
        .iter()
        .map(|r| {
            r["dynamodb"]["Keys"]["pk"]["S"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(old, ["a", "b"]);
    // The new stream holds the new item, at sequence number 2: LSN 1 is TableCreated.
    let new_arn = second["TableDescription"]["LatestStreamArn"]
        .as_str()
        .unwrap();
    assert_ne!(new_arn, old_arn);
    let new = records(&mut h, new_arn);
    assert_eq!(new.len(), 1);
    assert_eq!(
        new[0]["dynamodb"]["SequenceNumber"],
        "000000000000000000002"
    );
    // ListStreams lists both.
    let l = ok(
        &mut h,
        "DynamoDBStreams_20120810.ListStreams",
        json!({"TableName": "music"}),
    );
    let arns: Vec<&str> = l["Streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["StreamArn"].as_str().unwrap())
        .collect();
    assert_eq!(arns, [old_arn.as_str(), new_arn]);
}

#[test]
fn a_deleted_table_is_retired_after_its_streams_retention() {
    let mut h = host();
    let d = create(&mut h, "gone");
    let id = TableId(
        d["TableDescription"]["TableId"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    let arn = d["TableDescription"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_owned();
    put(&mut h, "gone", "x");
    ok(&mut h, "DeleteTable", json!({"TableName": "gone"}));
    assert_eq!(
        err(&mut h, "DescribeTable", json!({"TableName": "gone"})).0,
        "ResourceNotFoundException"
    );

    h.set_now(T0 + 23 * HOUR);
    h.tick();
    assert!(h.has_storage(&Address::Table(id.clone())), "kept for a day");
    assert_eq!(records(&mut h, &arn).len(), 1);

    h.set_now(T0 + 24 * HOUR + 1000);
    h.tick();
    assert!(
        !h.has_storage(&Address::Table(id.clone())),
        "retired after a day"
    );
    let reply = catalog(&mut h, CatalogCommand::Incarnations);
    let CatalogReply::Incarnations(list) = reply else {
        panic!()
    };
    assert!(list.iter().all(|i| i.id != id), "forgotten: {list:?}");
    let (code, _) = err(
        &mut h,
        "DynamoDBStreams_20120810.DescribeStream",
        json!({"StreamArn": arn}),
    );
    assert_eq!(code, "ResourceNotFoundException");
    assert!(h.diagnostics.is_empty(), "{:?}", h.diagnostics);
}

/// The CreateTable command a request decodes into, with a fresh id.
fn create_command(name: &str, id: &str) -> Box<extenddo_engine::api::command::CreateTable> {
    let body = json!({
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    });
    let Request::CreateTable(mut c) = decode(Op::CreateTable, &body, T0).unwrap() else {
        panic!()
    };
    c.schema.id = id.to_owned();
    c
}

#[test]
fn a_creation_cut_short_is_rolled_forward() {
    let mut h = host();
    let id = TableId::mint("000000000000", "half", T0, 1);
    // The flow reserved the name, then the process died before the table object was asked.
    let reply = catalog(
        &mut h,
        CatalogCommand::Reserve {
            account: "000000000000".into(),
            name: "half".into(),
            create: create_command("half", id.as_str()),
        },
    );
    assert_eq!(reply, CatalogReply::Done);
    h.restart();
    // The name is taken meanwhile; the table answers as missing.
    assert_eq!(
        err(
            &mut h,
            "CreateTable",
            json!({
                "TableName": "half", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            })
        )
        .0,
        "ResourceInUseException"
    );
    assert_eq!(
        err(
            &mut h,
            "PutItem",
            json!({"TableName": "half", "Item": {"pk": {"S": "a"}}})
        )
        .0,
        "ResourceNotFoundException"
    );
    // After the grace period the catalog finishes the creation by itself.
    h.set_now(T0 + 11_000);
    h.tick();
    put(&mut h, "half", "a");
    let d = ok(&mut h, "DescribeTable", json!({"TableName": "half"}));
    assert_eq!(d["Table"]["TableId"], id.as_str());
    let CatalogReply::Resolved(inc) = catalog(
        &mut h,
        CatalogCommand::Resolve {
            account: "000000000000".into(),
            name: "half".into(),
            at_ms: None,
        },
    ) else {
        panic!()
    };
    assert_eq!(inc.state, IncarnationState::Active);
}

#[test]
fn a_deletion_cut_short_is_rolled_forward() {
    let mut h = host();
    create(&mut h, "doomed");
    put(&mut h, "doomed", "a");
    // DeleteTable began, and the process died before the table object logged it.
    let CatalogReply::Deleting(inc) = catalog(
        &mut h,
        CatalogCommand::BeginDelete {
            account: "000000000000".into(),
            name: "doomed".into(),
        },
    ) else {
        panic!()
    };
    h.restart();
    h.set_now(T0 + 11_000);
    h.tick();
    assert_eq!(
        err(&mut h, "DescribeTable", json!({"TableName": "doomed"})),
        (
            "ResourceNotFoundException".to_owned(),
            "Requested resource not found: Table: doomed not found".to_owned()
        )
    );
    // The name is free again; the old incarnation is kept, deleted.
    create(&mut h, "doomed");
    let sql = h.sql(&Address::Table(inc.id.clone())).unwrap();
    let last = LogStore::last_lsn(sql).unwrap();
    let r = LogStore::read(sql, last, 1).unwrap();
    assert_eq!(r[0].event.kind(), "TableDeleted");
}

#[test]
fn a_second_delete_of_a_deletion_cut_short_finishes_it() {
    let mut h = host();
    create(&mut h, "twice");
    // The table object logged the deletion, but the catalog never heard back.
    let CatalogReply::Deleting(inc) = catalog(
        &mut h,
        CatalogCommand::BeginDelete {
            account: "000000000000".into(),
            name: "twice".into(),
        },
    ) else {
        panic!()
    };
    let out = h.call(Call {
        to: Address::Table(inc.id),
        command: Command::Table(TableCommand::DeleteTable),
    });
    assert!(out.is_ok(), "{out:?}");
    // The client tries again: the deletion is finished, the table is not found.
    assert_eq!(
        err(&mut h, "DeleteTable", json!({"TableName": "twice"})).0,
        "ResourceNotFoundException"
    );
    create(&mut h, "twice");
}

#[test]
fn a_stale_name_cache_is_corrected_by_the_gone_table() {
    let mut a = host();
    create(&mut a, "cached");
    put(&mut a, "cached", "old");
    // Another front end (another Worker isolate) deletes and recreates the table: this one's
    // directory still remembers the first incarnation.
    let id = a.table_id("cached").unwrap();
    let out = a.call(Call {
        to: Address::Table(id.clone()),
        command: Command::Table(TableCommand::DeleteTable),
    });
    assert!(out.is_ok());
    let reply = catalog(
        &mut a,
        CatalogCommand::BeginDelete {
            account: "000000000000".into(),
            name: "cached".into(),
        },
    );
    assert!(matches!(reply, CatalogReply::Deleting(_)));
    catalog(
        &mut a,
        CatalogCommand::FinishDelete {
            account: "000000000000".into(),
            name: "cached".into(),
            id,
            deleted_ms: T0,
            retain_until_ms: T0 + 24 * HOUR,
        },
    );
    let new_id = TableId::mint("000000000000", "cached", T0 + 5, 9);
    catalog(
        &mut a,
        CatalogCommand::Reserve {
            account: "000000000000".into(),
            name: "cached".into(),
            create: create_command("cached", new_id.as_str()),
        },
    );
    let out = a.call(Call {
        to: Address::Table(new_id.clone()),
        command: Command::Table(TableCommand::CreateTable(create_command(
            "cached",
            new_id.as_str(),
        ))),
    });
    assert!(out.is_ok(), "{out:?}");
    catalog(
        &mut a,
        CatalogCommand::Activate {
            account: "000000000000".into(),
            name: "cached".into(),
            id: new_id.clone(),
        },
    );
    // This front end's cached id is gone: it asks the catalog again and writes to the new one.
    put(&mut a, "cached", "new");
    let scan = ok(&mut a, "Scan", json!({"TableName": "cached"}));
    assert_eq!(scan["Count"], 1);
    assert_eq!(scan["Items"][0]["pk"]["S"], "new");
    let d = ok(&mut a, "DescribeTable", json!({"TableName": "cached"}));
    assert_eq!(d["Table"]["TableId"], new_id.as_str());
}

#[test]
fn requests_for_missing_tables_leave_no_storage() {
    let mut h = host();
    for target in ["PutItem", "GetItem", "DescribeTable"] {
        let (code, _) = err(
            &mut h,
            target,
            json!({"TableName": "nope", "Item": {"pk": {"S": "a"}}, "Key": {"pk": {"S": "a"}}}),
        );
        assert!(
            code == "ResourceNotFoundException" || code == "ValidationException",
            "{target}: {code}"
        );
    }
    let id = TableId::mint("000000000000", "nope", T0, 3);
    // Even a table object asked directly under an id nobody created keeps nothing.
    let out = h.call(Call {
        to: Address::Table(id.clone()),
        command: Command::Table(TableCommand::DescribeTable),
    });
    assert_eq!(out, Err(extenddo_engine::Error::Gone));
    assert!(!h.has_storage(&Address::Table(id)));
}
