//! Casework: the expert pool and its topics, cases, their notes and next steps.

use std::collections::HashMap;

use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entity::{case_file, case_next_step, case_note, expert, expert_topic, member};
use super::{Page, PageRequest, rows};
use crate::error::Result;

/// The member's place in the expert pool, if they have one.
pub async fn expert_of(
    db: &impl ConnectionTrait,
    member_id: Uuid,
) -> Result<Option<expert::Model>> {
    Ok(expert::Entity::find()
        .filter(expert::Column::MemberId.eq(member_id))
        .one(db)
        .await?)
}

/// Replaces the expert's topics.
pub async fn set_topics(
    db: &impl ConnectionTrait,
    expert_id: Uuid,
    topics: &[String],
) -> Result<()> {
    expert_topic::Entity::delete_many()
        .filter(expert_topic::Column::ExpertId.eq(expert_id))
        .exec(db)
        .await?;
    if topics.is_empty() {
        return Ok(());
    }
    expert_topic::Entity::insert_many(topics.iter().map(|topic| {
        expert_topic::Model {
            expert_id,
            topic: topic.clone(),
        }
        .into_active_model()
        .reset_all()
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Takes the expert out of the pool, with their topics.
pub async fn remove_expert(db: &impl ConnectionTrait, expert_id: Uuid) -> Result<()> {
    expert_topic::Entity::delete_many()
        .filter(expert_topic::Column::ExpertId.eq(expert_id))
        .exec(db)
        .await?;
    expert::Entity::delete_by_id(expert_id).exec(db).await?;
    Ok(())
}

/// One page of the pool in joining order, of experts with `topic` when given.
pub async fn list_experts(
    db: &impl ConnectionTrait,
    request: PageRequest,
    topic: Option<&str>,
) -> Result<Page<expert::Model>> {
    let mut select = expert::Entity::find();
    if let Some(topic) = topic {
        select = select.filter(
            expert::Column::Id.in_subquery(
                Query::select()
                    .column(expert_topic::Column::ExpertId)
                    .from(expert_topic::Entity)
                    .and_where(expert_topic::Column::Topic.eq(topic))
                    .to_owned(),
            ),
        );
    }
    rows::page(db, select, expert::Column::Id, request, |e| e.id).await
}

/// The topics of each of `expert_ids`, sorted.
pub async fn topics_of(
    db: &impl ConnectionTrait,
    expert_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<String>>> {
    let mut topics: HashMap<Uuid, Vec<String>> = HashMap::new();
    if expert_ids.is_empty() {
        return Ok(topics);
    }
    for row in expert_topic::Entity::find()
        .filter(expert_topic::Column::ExpertId.is_in(expert_ids.iter().copied()))
        .order_by_asc(expert_topic::Column::Topic)
        .all(db)
        .await?
    {
        topics.entry(row.expert_id).or_default().push(row.topic);
    }
    Ok(topics)
}

/// The display names of those of `member_ids` who are members of this region.
pub async fn display_names(
    db: &impl ConnectionTrait,
    member_ids: &[Uuid],
) -> Result<HashMap<Uuid, String>> {
    if member_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(member::Entity::find()
        .filter(member::Column::Id.is_in(member_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.display_name))
        .collect())
}

/// One page of cases, oldest first, with one status (stored name) when given.
pub async fn list_cases(
    db: &impl ConnectionTrait,
    request: PageRequest,
    status: Option<&str>,
) -> Result<Page<case_file::Model>> {
    let mut select = case_file::Entity::find();
    if let Some(status) = status {
        select = select.filter(case_file::Column::Status.eq(status));
    }
    rows::page(db, select, case_file::Column::Id, request, |c| c.id).await
}

/// How many of the case's next steps are not done.
pub async fn open_next_steps(db: &impl ConnectionTrait, case_id: Uuid) -> Result<u64> {
    Ok(case_next_step::Entity::find()
        .filter(case_next_step::Column::CaseId.eq(case_id))
        .filter(case_next_step::Column::Done.eq(false))
        .count(db)
        .await?)
}

/// The first of the case's next steps that is not done, if any.
pub async fn first_open_next_step(
    db: &impl ConnectionTrait,
    case_id: Uuid,
) -> Result<Option<case_next_step::Model>> {
    Ok(case_next_step::Entity::find()
        .filter(case_next_step::Column::CaseId.eq(case_id))
        .filter(case_next_step::Column::Done.eq(false))
        .order_by_asc(case_next_step::Column::Id)
        .one(db)
        .await?)
}

/// One page of the case's notes, oldest first.
pub async fn list_notes(
    db: &impl ConnectionTrait,
    request: PageRequest,
    case_id: Uuid,
) -> Result<Page<case_note::Model>> {
    let select = case_note::Entity::find().filter(case_note::Column::CaseId.eq(case_id));
    rows::page(db, select, case_note::Column::Id, request, |n| n.id).await
}

/// One page of the case's next steps, oldest first.
pub async fn list_next_steps(
    db: &impl ConnectionTrait,
    request: PageRequest,
    case_id: Uuid,
) -> Result<Page<case_next_step::Model>> {
    let select = case_next_step::Entity::find().filter(case_next_step::Column::CaseId.eq(case_id));
    rows::page(db, select, case_next_step::Column::Id, request, |s| s.id).await
}

/// The household cases whose list of members holds `member_id` (besides the
/// main member, who is the case's `member_id`), each with its list. Read by
/// the database's match on the id as text, then checked exactly: an export or
/// an erasure reads her households, never every household of the region.
pub async fn households_listing(
    db: &impl ConnectionTrait,
    member_id: Uuid,
) -> Result<Vec<(Uuid, Vec<serde_json::Value>)>> {
    use sea_orm::QuerySelect;
    let needle = member_id.to_string();
    let candidates: Vec<(Uuid, serde_json::Value)> = case_file::Entity::find()
        .select_only()
        .column(case_file::Column::Id)
        .column(case_file::Column::HouseholdMemberIds)
        .filter(case_file::Column::IsHousehold.eq(true))
        .filter(super::json_text_may_hold(
            case_file::Column::HouseholdMemberIds,
            &needle,
        ))
        .into_tuple()
        .all(db)
        .await?;
    Ok(candidates
        .into_iter()
        .filter_map(|(case, listed)| match listed {
            serde_json::Value::Array(list)
                if list.iter().any(|v| v.as_str() == Some(needle.as_str())) =>
            {
                Some((case, list))
            }
            _ => None,
        })
        .collect())
}
