//! Commands of the identity object: accounts, users, access keys, inline policies and
//! admins. The object only stores; hashing, sealing secrets, checking signatures and
//! evaluating policies happen in the request flow, so that no secret or password travels
//! between objects in the clear except a key's sealed secret.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// AWS's limit on a user's inline policies, together (characters, whitespace not counted).
pub const MAX_POLICY_CHARS: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub id: String,
    pub name: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub account: String,
    pub name: String,
    /// An argon2id hash (`auth::password`), if the user has a password.
    pub password_hash: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub created_ms: i64,
}

impl UserRecord {
    /// `AIDA` and 17 characters: stable for the user, different for a user of the same
    /// name created again.
    pub fn unique_id(&self) -> String {
        let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
        for b in self
            .account
            .bytes()
            .chain([0])
            .chain(self.name.bytes())
            .chain(self.created_ms.to_le_bytes())
        {
            h ^= u128::from(b);
            h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
        }
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut id = String::from("AIDA");
        for i in 0..17 {
            id.push(A[((h >> (i * 5)) & 31) as usize] as char);
        }
        id
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMeta {
    pub id: String,
    pub account: String,
    pub user: String,
    pub created_ms: i64,
    /// Whether requests signed with the key must carry its session token.
    pub has_session_token: bool,
}

/// What a request signed with an access key needs: who it is, the sealed secret, and the
/// user's policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub key: KeyMeta,
    /// `auth::secrets::seal` of the secret access key.
    pub sealed_secret: Vec<u8>,
    pub session_token: Option<String>,
    /// The user's unique id (`AIDA…`, AWS's shape), from its account, name and creation.
    pub user_id: String,
    pub user_tags: BTreeMap<String, String>,
    /// (name, document) of every inline policy of the user.
    pub policies: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdentityCommand {
    /// The principal an access key id belongs to.
    Lookup {
        key_id: String,
    },
    /// A stored admin's password hash, and whether any admin is stored (the bootstrap admin
    /// from the host's secrets works only while none is).
    Admin {
        name: String,
    },
    CreateAdmin {
        name: String,
        password_hash: String,
    },
    ListAdmins,
    DeleteAdmin {
        name: String,
    },
    CreateAccount {
        id: String,
        name: String,
    },
    ListAccounts,
    GetAccount {
        id: String,
    },
    /// Refused while the account has users.
    DeleteAccount {
        id: String,
    },
    CreateUser {
        account: String,
        name: String,
        password_hash: Option<String>,
        tags: BTreeMap<String, String>,
    },
    ListUsers {
        account: String,
    },
    GetUser {
        account: String,
        name: String,
    },
    /// Deletes the user with its keys and policies.
    DeleteUser {
        account: String,
        name: String,
    },
    SetPassword {
        account: String,
        name: String,
        password_hash: String,
    },
    CreateKey {
        account: String,
        user: String,
        key_id: String,
        sealed_secret: Vec<u8>,
        session_token: Option<String>,
    },
    ListKeys {
        account: String,
        user: String,
    },
    DeleteKey {
        account: String,
        user: String,
        key_id: String,
    },
    PutPolicy {
        account: String,
        user: String,
        name: String,
        document: String,
    },
    GetPolicy {
        account: String,
        user: String,
        name: String,
    },
    DeletePolicy {
        account: String,
        user: String,
        name: String,
    },
    ListPolicies {
        account: String,
        user: String,
    },
}

impl IdentityCommand {
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            IdentityCommand::CreateAdmin { .. }
                | IdentityCommand::DeleteAdmin { .. }
                | IdentityCommand::CreateAccount { .. }
                | IdentityCommand::DeleteAccount { .. }
                | IdentityCommand::CreateUser { .. }
                | IdentityCommand::DeleteUser { .. }
                | IdentityCommand::SetPassword { .. }
                | IdentityCommand::CreateKey { .. }
                | IdentityCommand::DeleteKey { .. }
                | IdentityCommand::PutPolicy { .. }
                | IdentityCommand::DeletePolicy { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdentityReply {
    Principal(Option<Box<Principal>>),
    Admin {
        password_hash: Option<String>,
        any_stored: bool,
    },
    Admins(Vec<String>),
    Account(AccountRecord),
    Accounts(Vec<AccountRecord>),
    User(UserRecord),
    Users(Vec<UserRecord>),
    Keys(Vec<KeyMeta>),
    Policy(String),
    Policies(Vec<String>),
    Done,
}
