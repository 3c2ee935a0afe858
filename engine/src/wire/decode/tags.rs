//! TagResource, UntagResource, ListTagsOfResource, and CreateTable's `Tags`: stage one, with
//! the rules of `api::tags`.

use serde_json::Value;

use crate::api::command::TableCommand;
use crate::api::tags::{self, TagChange, TagResource};
use crate::error::ApiError;
use crate::wire::params::{Constraints, Params};
use crate::wire::value::{object, string};

/// The longest ResourceArn.
const MAX_ARN_BYTES: usize = 1283;

fn resource(p: &Params, list: Option<(&str, bool)>) -> Result<TagResource, ApiError> {
    let arn = p.str("ResourceArn")?;
    let mut c = Constraints::default();
    match arn {
        None => c.fail(None, "resourceArn", "Member must not be null"),
        Some("") => c.fail(
            Some(""),
            "resourceArn",
            "Member must have length greater than or equal to 1",
        ),
        Some(a) if a.len() > MAX_ARN_BYTES => c.fail(
            Some(a),
            "resourceArn",
            &format!("Member must have length less than or equal to {MAX_ARN_BYTES}"),
        ),
        _ => {}
    }
    if let Some((member, present)) = list {
        if !present {
            c.fail(None, member, "Member must not be null");
        }
    }
    c.check()?;
    tags::parse_arn(arn.unwrap_or_default())
}

/// One `{Key, Value}` of a Tags list, checked.
fn tag(v: &Value) -> Result<(String, String), ApiError> {
    let m = object(v)?;
    let member = |name: &str| m.get(name).filter(|v| !v.is_null()).map(string).transpose();
    let key = tags::check_key(member("Key")?)?.to_owned();
    let value = tags::check_value(member("Value")?)?.to_owned();
    Ok((key, value))
}

fn tag_list(list: &[Value]) -> Result<Vec<(String, String)>, ApiError> {
    let tags = list.iter().map(tag).collect::<Result<Vec<_>, _>>()?;
    tags::check_duplicates(tags.iter().map(|(k, _)| k.as_str()))?;
    tags::check_change(&TagChange::Set(tags.clone()))?;
    Ok(tags)
}

pub fn tag_resource(p: &Params) -> Result<(TagResource, TableCommand), ApiError> {
    let list = p.array("Tags")?;
    let r = resource(p, Some(("tags", list.is_some())))?;
    let list = list.map(Vec::as_slice).unwrap_or_default();
    if list.is_empty() {
        return Err(ApiError::validation(
            "Atleast one Tag needs to be provided as Input.",
        ));
    }
    let change = TagChange::Set(tag_list(list)?);
    Ok(tag_command(r, change))
}

/// TagResource and UntagResource: the change, for the resource the ARN names.
fn tag_command(r: TagResource, change: TagChange) -> (TagResource, TableCommand) {
    let command = TableCommand::Tag {
        arn: r.arn.clone(),
        stream: r.stream.clone(),
        change,
    };
    (r, command)
}

pub fn untag_resource(p: &Params) -> Result<(TagResource, TableCommand), ApiError> {
    let list = p.array("TagKeys")?;
    let r = resource(p, Some(("tagKeys", list.is_some())))?;
    let list = list.map(Vec::as_slice).unwrap_or_default();
    if list.is_empty() {
        return Err(ApiError::validation(
            "Atleast one Tag Key needs to be provided as Input.",
        ));
    }
    let keys = list
        .iter()
        .map(|v| Ok(tags::check_key(Some(string(v)?))?.to_owned()))
        .collect::<Result<Vec<String>, ApiError>>()?;
    let change = TagChange::Remove(keys);
    tags::check_change(&change)?;
    Ok(tag_command(r, change))
}

pub fn list_tags(p: &Params) -> Result<(TagResource, TableCommand), ApiError> {
    // Every tag fits one page (at most 50), so a NextToken is never handed out; one sent
    // anyway is ignored, as DynamoDB ignores one it cannot read.
    let _ = p.str("NextToken")?;
    let r = resource(p, None)?;
    let command = TableCommand::ListTags {
        arn: r.arn.clone(),
        stream: r.stream.clone(),
    };
    Ok((r, command))
}

/// CreateTable's `Tags`: the same rules as TagResource, except that an empty list is fine.
pub fn create_table_tags(p: &Params) -> Result<tags::TagSet, ApiError> {
    let list = p.array("Tags")?.map(Vec::as_slice).unwrap_or_default();
    let set: tags::TagSet = tag_list(list)?.into_iter().collect();
    tags::check_set(&set)?;
    Ok(set)
}
