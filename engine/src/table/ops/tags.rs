//! TagResource, UntagResource and ListTagsOfResource. Tags are part of the table schema (a
//! logged `TableUpdated`), so backups carry them and a replay restores them.

use extenddo_log::Event;
use extenddo_projections::TableSchema;

use crate::api::reply::TableReply;
use crate::api::tags::{self, TagChange, TagSet};
use crate::error::{ApiError, Error};
use crate::table::log::{Ctx, Log};

/// The tags of the table, or of its stream labelled `stream` (which must exist).
fn tag_set<'a>(
    s: &'a TableSchema,
    arn: &str,
    stream: Option<&str>,
) -> Result<&'a TagSet, ApiError> {
    static EMPTY: TagSet = TagSet::new();
    let Some(label) = stream else {
        return Ok(&s.tags);
    };
    let exists = s
        .stream
        .as_ref()
        .is_some_and(|st| st.streams.iter().any(|x| x.label == label));
    if !exists {
        return Err(tags::resource_not_found(arn));
    }
    Ok(s.stream_tags.get(label).unwrap_or(&EMPTY))
}

pub(crate) fn change(
    cx: &Ctx,
    log: &mut Log,
    arn: &str,
    stream: Option<String>,
    change: TagChange,
) -> Result<TableReply, Error> {
    let s = log.live()?;
    let current = tag_set(s, arn, stream.as_deref())?;
    let next = tags::apply(current, &change)?;
    if &next == current {
        return Ok(TableReply::Tagged);
    }
    let mut s = s.clone();
    match stream {
        None => s.tags = next,
        Some(label) if next.is_empty() => {
            s.stream_tags.remove(&label);
        }
        Some(label) => {
            s.stream_tags.insert(label, next);
        }
    }
    let schema_json = serde_json::to_string(&s).map_err(Error::bug)?;
    log.commit(cx.sql, cx.now_ms, Event::TableUpdated { schema_json })?;
    Ok(TableReply::Tagged)
}

pub(crate) fn list(s: &TableSchema, arn: &str, stream: Option<&str>) -> Result<TableReply, Error> {
    let set = tag_set(s, arn, stream)?;
    Ok(TableReply::Tags(
        set.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    ))
}
