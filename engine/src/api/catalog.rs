//! Commands of the catalog object: which table incarnation a name stands for in an account,
//! and the lifecycle of incarnations (reserved, active, being deleted, deleted and kept for
//! what may still read them, forgotten).

use serde::{Deserialize, Serialize};

use crate::api::backup::BackupRecord;
use crate::api::command::CreateTable;
use crate::api::ids::TableId;
use crate::api::transfer::{ExportRecord, ImportRecord};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IncarnationState {
    /// The name is reserved; the table object may not have logged `TableCreated` yet.
    Creating,
    Active,
    /// DeleteTable began; the table object may not have logged `TableDeleted` yet.
    Deleting,
    /// Deleted; kept until its table object retires its storage.
    Deleted,
}

impl IncarnationState {
    pub fn as_str(self) -> &'static str {
        match self {
            IncarnationState::Creating => "creating",
            IncarnationState::Active => "active",
            IncarnationState::Deleting => "deleting",
            IncarnationState::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<IncarnationState> {
        Some(match s {
            "creating" => IncarnationState::Creating,
            "active" => IncarnationState::Active,
            "deleting" => IncarnationState::Deleting,
            "deleted" => IncarnationState::Deleted,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incarnation {
    pub account: String,
    pub name: String,
    pub id: TableId,
    pub state: IncarnationState,
    pub created_ms: i64,
    pub deleted_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CatalogCommand {
    /// The incarnation a name stands for now (`at_ms: None`), or the one that existed at a
    /// time (a stream's label names when its stream was created).
    Resolve {
        account: String,
        name: String,
        at_ms: Option<i64>,
    },
    /// Current table names after `start`, at most `limit` (ListTables).
    List {
        account: String,
        start: Option<String>,
        limit: usize,
    },
    /// Incarnations, current and deleted, ordered by (name, creation time), strictly after
    /// `after`, at most `limit` (ListStreams).
    ListIncarnations {
        account: String,
        after: Option<(String, i64)>,
        limit: usize,
    },
    /// Reserves a name for a table being created. The command is kept so that a creation
    /// cut short by a crash can be rolled forward.
    Reserve {
        account: String,
        name: String,
        create: Box<CreateTable>,
    },
    /// The table object logged `TableCreated`.
    Activate {
        account: String,
        name: String,
        id: TableId,
    },
    /// The creation failed before the table object logged anything: forget the name.
    Release {
        account: String,
        name: String,
        id: TableId,
    },
    /// Marks the current incarnation of a name as being deleted; answers its id.
    BeginDelete {
        account: String,
        name: String,
    },
    /// The table object logged `TableDeleted`: the name is free, the incarnation is kept
    /// until `retain_until_ms`.
    FinishDelete {
        account: String,
        name: String,
        id: TableId,
        deleted_ms: i64,
        retain_until_ms: i64,
    },
    /// The deletion was refused by the table object: the incarnation is active again.
    AbortDelete {
        account: String,
        name: String,
        id: TableId,
    },
    /// Every incarnation whose table object has storage (hosts start them at start-up).
    Incarnations,
    /// A backup was taken (CREATING) or is stored (AVAILABLE): record it. A status never
    /// goes back, so the two may arrive in either order.
    PutBackup(Box<BackupRecord>),
    GetBackup {
        account: String,
        arn: String,
    },
    ListBackups {
        account: String,
        filter: Box<BackupFilter>,
    },
    /// DeleteBackup: forget it and delete its objects.
    DeleteBackup {
        account: String,
        arn: String,
    },
    /// An export started (IN_PROGRESS) or ended: record it. A status never goes back.
    PutExport(Box<ExportRecord>),
    GetExport {
        account: String,
        arn: String,
    },
    ListExports {
        account: String,
        table_arn: Option<String>,
        limit: usize,
        next: Option<String>,
    },
    /// The export an earlier request with this ClientToken started, if any.
    ExportByToken {
        account: String,
        token: String,
    },
    /// An import started, or its table object reports its end. A status never goes back.
    PutImport(Box<ImportRecord>),
    GetImport {
        account: String,
        arn: String,
    },
    ListImports {
        account: String,
        table_arn: Option<String>,
        limit: usize,
        next: Option<String>,
    },
    ImportByToken {
        account: String,
        token: String,
    },
}

/// ListBackups' filters and page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupFilter {
    pub table_name: Option<String>,
    /// Created at or after (ms).
    pub lower_ms: Option<i64>,
    /// Created before (ms).
    pub upper_ms: Option<i64>,
    /// Whether user backups are wanted (BackupType USER or ALL): every backup here is one.
    pub user: bool,
    /// ExclusiveStartBackupArn.
    pub start: Option<String>,
    pub limit: usize,
}

impl CatalogCommand {
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            CatalogCommand::Resolve { .. }
                | CatalogCommand::List { .. }
                | CatalogCommand::ListIncarnations { .. }
                | CatalogCommand::Incarnations
                | CatalogCommand::GetBackup { .. }
                | CatalogCommand::ListBackups { .. }
                | CatalogCommand::GetExport { .. }
                | CatalogCommand::ListExports { .. }
                | CatalogCommand::ExportByToken { .. }
                | CatalogCommand::GetImport { .. }
                | CatalogCommand::ListImports { .. }
                | CatalogCommand::ImportByToken { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CatalogReply {
    Resolved(Incarnation),
    NotFound,
    Tables {
        names: Vec<String>,
        last_evaluated: Option<String>,
    },
    Incarnations(Vec<Incarnation>),
    /// BeginDelete: the incarnation being deleted.
    Deleting(Incarnation),
    Done,
    Backup(Box<BackupRecord>),
    Backups {
        backups: Vec<BackupRecord>,
        last_evaluated: Option<String>,
    },
    Export(Box<ExportRecord>),
    Exports {
        exports: Vec<ExportRecord>,
        next: Option<String>,
    },
    Import(Box<ImportRecord>),
    Imports {
        imports: Vec<ImportRecord>,
        next: Option<String>,
    },
}
