//! Exports and imports: the choreography between the request, the catalog, the tables and
//! the object store.
//!
//! ExportTableToPointInTime: an earlier export with the same ClientToken (the catalog), else
//! the table checks the request and starts writing the export, then the catalog records it
//! IN_PROGRESS; the table reports its end to the catalog. ImportTable: an earlier import
//! with the same ClientToken, else the objects under the prefix are listed, the table is
//! created with the import in its schema (it fills itself, CREATING until done), and the
//! catalog records the import. Describe and List: the catalog.

use serde_json::{json, Value};

use crate::api::catalog::{CatalogCommand, CatalogReply};
use crate::api::command::TableCommand;
use crate::api::ids::TableId;
use crate::api::object::{Call, Outcome, Reply};
use crate::api::reply::TableReply;
use crate::api::store::{StoreReply, StoreRequest};
use crate::api::streams::table_arn;
use crate::api::transfer::{
    export_arn, import_arn, mint_job_id, ExportKind, ExportRecord, ImportRecord, JobStatus,
};
use crate::config::Config;
use crate::error::{ApiError, Error, ErrorKind};
use crate::flow::backup::Next;
use crate::flow::directory::Directory;
use crate::flow::lifecycle;
use crate::flow::route::{self, Routed};
use crate::flow::unexpected::unexpected;
use crate::wire::decode::transfers::{ExportRequest, ImportRequest};
use crate::wire::decode::Request;
use crate::wire::render::transfers::{
    export_description, export_summary, import_description, import_summary,
};

fn conflict(kind: ErrorKind, what: &str) -> ApiError {
    ApiError::new(
        kind,
        format!("{what} conflict: Duplicate request detected with conflicting parameters"),
    )
}

/// ExportTableToPointInTime.
pub(crate) enum Export {
    /// Looking for an earlier export with the ClientToken.
    Token(Box<ExportRecord>),
    Starting(Box<Routed>),
    Recording(Value),
}

impl Export {
    pub(crate) fn start(
        cfg: &Config,
        account: String,
        req: ExportRequest,
        now_ms: i64,
        entropy: u64,
        dir: &Directory,
    ) -> (Export, Next) {
        let arn = table_arn(cfg, &req.table_name);
        let kind = match req.kind {
            ExportKind::Full { .. } if !req.at_given => ExportKind::Full { at_ms: now_ms },
            ExportKind::Incremental {
                from_ms,
                to_ms,
                view,
            } if to_ms == i64::MIN => ExportKind::Incremental {
                from_ms,
                to_ms: now_ms,
                view,
            },
            k => k,
        };
        let record = ExportRecord {
            account,
            arn: export_arn(&arn, &mint_job_id(now_ms, entropy)),
            table_arn: arn,
            table_name: req.table_name.clone(),
            table_id: TableId(String::new()),
            status: JobStatus::InProgress,
            start_ms: now_ms,
            end_ms: None,
            client_token: req.client_token.clone(),
            target: req.target,
            format: req.format,
            kind,
            start_lsn: 0,
            item_count: 0,
            billed_size_bytes: 0,
            failure: None,
        };
        match &record.client_token {
            Some(token) => {
                let call = Call::catalog(CatalogCommand::ExportByToken {
                    account: record.account.clone(),
                    token: token.clone(),
                });
                (Export::Token(Box::new(record)), Next::Call(call))
            }
            None => Export::route(record, &req.table_arn, dir),
        }
    }

    fn route(record: ExportRecord, given_arn: &str, dir: &Directory) -> (Export, Next) {
        let not_found = ApiError::new(
            ErrorKind::TableNotFound,
            format!("Table not found: {given_arn}"),
        );
        let mut r = Routed::new(
            record.account.clone(),
            record.table_name.clone(),
            None,
            TableCommand::StartExport {
                record: Box::new(record),
                resume: false,
            },
            not_found,
        );
        let next = match r.first(dir) {
            route::Next::Call(c) => Next::Call(c),
            route::Next::Done(Err(e)) => Next::Done(Err(e)),
            route::Next::Done(Ok(_)) => {
                Next::Done(Err(Error::bug("a route done before its call").into_api()))
            }
        };
        (Export::Starting(Box::new(r)), next)
    }

    pub(crate) fn step(&mut self, dir: &Directory, outcome: Outcome) -> Next {
        match self {
            Export::Token(record) => match outcome {
                Ok(Reply::Catalog(CatalogReply::Export(earlier))) => {
                    if earlier.same_request(record) {
                        Next::Done(Ok(
                            json!({ "ExportDescription": export_description(&earlier) }),
                        ))
                    } else {
                        Next::Done(Err(conflict(ErrorKind::ExportConflict, "Export")))
                    }
                }
                Ok(Reply::Catalog(CatalogReply::NotFound)) => {
                    let given = record.table_arn.clone();
                    let (e, next) = Export::route((**record).clone(), &given, dir);
                    *self = e;
                    next
                }
                other => Next::Done(Err(unexpected("ExportByToken", other))),
            },
            Export::Starting(r) => match r.step(dir, outcome) {
                route::Next::Call(c) => Next::Call(c),
                route::Next::Done(Ok(TableReply::Export(e))) => {
                    *self =
                        Export::Recording(json!({ "ExportDescription": export_description(&e) }));
                    Next::Call(Call::catalog(CatalogCommand::PutExport(e)))
                }
                route::Next::Done(Ok(other)) => Next::Done(Err(Error::bug(format!(
                    "StartExport answered {other:?}"
                ))
                .into_api())),
                route::Next::Done(Err(e)) => Next::Done(Err(e)),
            },
            Export::Recording(v) => match outcome {
                Ok(Reply::Catalog(CatalogReply::Done)) => Next::Done(Ok(v.take())),
                other => Next::Done(Err(unexpected("PutExport", other))),
            },
        }
    }
}

/// DescribeExport, ListExports, DescribeImport, ListImports: one catalog call each.
pub(crate) fn catalog_call(account: String, request: &Request) -> Option<Call> {
    Some(Call::catalog(match request {
        Request::DescribeExport { arn } => CatalogCommand::GetExport {
            account,
            arn: arn.clone(),
        },
        Request::ListExports {
            table_arn,
            limit,
            next,
        } => CatalogCommand::ListExports {
            account,
            table_arn: table_arn.clone(),
            limit: *limit,
            next: next.clone(),
        },
        Request::DescribeImport { arn } => CatalogCommand::GetImport {
            account,
            arn: arn.clone(),
        },
        Request::ListImports {
            table_arn,
            limit,
            next,
        } => CatalogCommand::ListImports {
            account,
            table_arn: table_arn.clone(),
            limit: *limit,
            next: next.clone(),
        },
        _ => return None,
    }))
}

/// The response to one of [`catalog_call`]'s calls.
pub(crate) fn catalog_answer(cfg: &Config, outcome: Outcome) -> Result<Value, ApiError> {
    let page = |items: Vec<Value>, key: &str, next: Option<String>| {
        let mut v = json!({ key: items });
        if let Some(n) = next {
            v["NextToken"] = json!(n);
        }
        v
    };
    match outcome {
        Ok(Reply::Catalog(CatalogReply::Export(e))) => {
            Ok(json!({ "ExportDescription": export_description(&e) }))
        }
        Ok(Reply::Catalog(CatalogReply::Exports { exports, next })) => Ok(page(
            exports.iter().map(export_summary).collect(),
            "ExportSummaries",
            next,
        )),
        Ok(Reply::Catalog(CatalogReply::Import(i))) => {
            Ok(json!({ "ImportTableDescription": import_description(cfg, &i) }))
        }
        Ok(Reply::Catalog(CatalogReply::Imports { imports, next })) => Ok(page(
            imports.iter().map(|i| import_summary(cfg, i)).collect(),
            "ImportSummaryList",
            next,
        )),
        other => Err(unexpected("an export or import request", other)),
    }
}

enum ImportStage {
    Token,
    /// Listing the objects under the prefix.
    Listing,
    /// Nothing under the prefix: is there anything in the bucket at all?
    Bucket,
    Creating(Box<lifecycle::Create>),
    Recording,
}

/// ImportTable.
pub(crate) struct Import {
    record: ImportRecord,
    request: ImportRequest,
    stage: ImportStage,
    objects: Vec<(String, u64)>,
}

impl Import {
    pub(crate) fn start(
        cfg: &Config,
        account: String,
        request: ImportRequest,
        now_ms: i64,
        entropy: u64,
    ) -> (Import, Next) {
        let name = request.create.schema.name.clone();
        let arn = table_arn(cfg, &name);
        let id = TableId::mint(&account, &name, now_ms, entropy);
        let record = ImportRecord {
            account,
            arn: import_arn(&arn, &mint_job_id(now_ms, entropy)),
            table_arn: arn,
            table_id: id,
            status: JobStatus::InProgress,
            start_ms: now_ms,
            end_ms: None,
            client_token: request.client_token.clone(),
            source: request.source.clone(),
            creation: request.creation.to_string(),
            table_name: name,
            processed_bytes: 0,
            processed_items: 0,
            imported_items: 0,
            errors: 0,
            failure: None,
        };
        let (stage, call) = match &request.client_token {
            Some(token) => (
                ImportStage::Token,
                Call::catalog(CatalogCommand::ImportByToken {
                    account: record.account.clone(),
                    token: token.clone(),
                }),
            ),
            None => (ImportStage::Listing, list(record.source.store_prefix())),
        };
        let i = Import {
            record,
            request,
            stage,
            objects: Vec::new(),
        };
        (i, Next::Call(call))
    }

    fn described(&self, cfg: &Config, r: &ImportRecord) -> Value {
        json!({ "ImportTableDescription": import_description(cfg, r) })
    }

    pub(crate) fn step(&mut self, cfg: &Config, dir: &Directory, outcome: Outcome) -> Next {
        match &mut self.stage {
            ImportStage::Token => match outcome {
                Ok(Reply::Catalog(CatalogReply::Import(earlier))) => {
                    if earlier.table_name == self.record.table_name {
                        Next::Done(Ok(self.described(cfg, &earlier)))
                    } else {
                        Next::Done(Err(conflict(ErrorKind::ImportConflict, "Import")))
                    }
                }
                Ok(Reply::Catalog(CatalogReply::NotFound)) => {
                    self.stage = ImportStage::Listing;
                    Next::Call(list(self.record.source.store_prefix()))
                }
                other => Next::Done(Err(unexpected("ImportByToken", other))),
            },
            ImportStage::Listing => match outcome {
                Ok(Reply::Store(StoreReply::Listed(objects))) => {
                    self.objects = objects;
                    if self.objects.is_empty() {
                        self.stage = ImportStage::Bucket;
                        return Next::Call(list(self.record.source.key("")));
                    }
                    self.create(dir)
                }
                other => Next::Done(Err(unexpected("the object store", other))),
            },
            ImportStage::Bucket => match outcome {
                Ok(Reply::Store(StoreReply::Listed(any))) if any.is_empty() => {
                    // No such bucket: the import fails and no table is made.
                    self.record.status = JobStatus::Failed;
                    self.record.end_ms = Some(self.record.start_ms);
                    self.record.failure = Some((
                        "S3NoSuchBucket".into(),
                        format!(
                            "The specified bucket does not exist (Service: Amazon S3; Status Code: 404; Error Code: NoSuchBucket): {}",
                            self.record.source.bucket
                        ),
                    ));
                    self.stage = ImportStage::Recording;
                    Next::Call(Call::catalog(CatalogCommand::PutImport(Box::new(
                        self.record.clone(),
                    ))))
                }
                Ok(Reply::Store(StoreReply::Listed(_))) => self.create(dir),
                other => Next::Done(Err(unexpected("the object store", other))),
            },
            ImportStage::Creating(c) => match c.step(dir, outcome) {
                lifecycle::Next::Call(call) => Next::Call(call),
                lifecycle::Next::Done(Ok(_)) => {
                    self.stage = ImportStage::Recording;
                    Next::Call(Call::catalog(CatalogCommand::PutImport(Box::new(
                        self.record.clone(),
                    ))))
                }
                lifecycle::Next::Done(Err(e)) if e.kind == ErrorKind::ResourceInUse => {
                    Next::Done(Err(ApiError::new(
                        ErrorKind::ResourceInUse,
                        format!("Table already exists: {}", self.record.table_name),
                    )))
                }
                lifecycle::Next::Done(Err(e)) => Next::Done(Err(e)),
            },
            ImportStage::Recording => match outcome {
                Ok(Reply::Catalog(CatalogReply::Done)) => {
                    Next::Done(Ok(self.described(cfg, &self.record)))
                }
                other => Next::Done(Err(unexpected("PutImport", other))),
            },
        }
    }

    /// The table, created with the import in its schema.
    fn create(&mut self, _dir: &Directory) -> Next {
        let mut create = self.request.create.clone();
        create.schema.id = self.record.table_id.0.clone();
        let record = match serde_json::to_string(&self.record) {
            Ok(r) => r,
            Err(e) => return Next::Done(Err(Error::bug(e).into_api())),
        };
        create.schema.import = Some(extenddo_projections::schema::Import {
            record,
            objects: Some(std::mem::take(&mut self.objects)),
            ..Default::default()
        });
        let (c, call) = lifecycle::Create::start(self.record.account.clone(), create);
        self.stage = ImportStage::Creating(Box::new(c));
        Next::Call(call)
    }
}

fn list(prefix: String) -> Call {
    Call::store(StoreRequest::List { prefix })
}
