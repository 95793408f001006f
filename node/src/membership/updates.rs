//! Group commit for member updates. Concurrent `UpdateMember` and
//! `BatchUpdateMembers` calls queue here; one task takes whatever has queued (up to
//! [`MAX_BATCH`] changes) and applies it in one transaction: the members are read in one statement, each is changed and checked,
//! the changed ones are written in one statement (an upsert of existing rows), the
//! search index entries of those whose indexed words changed are rewritten, and
//! the profiles to publish go to the outbox in one statement. A call
//! that fails its checks writes nothing (a batch: none of its changes) and gets its
//! own error; the others commit.
//! Each call is answered only after the commit.

use std::collections::{BTreeMap, HashMap};

use chrono::{SubsecRound, Utc};
use passage_proto::v1;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, sea_query::OnConflict,
};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::context::NodeContext;
use crate::convert::{self, member::RowIdentity};
use crate::error::{Error, Result};
use crate::federation::publish;
use crate::store::entity::member;
use crate::store::search_index;

/// Most updates applied in one transaction.
const MAX_BATCH: usize = 256;

/// What an update may change: everything but the id, the home region and the
/// creation time.
const UPDATED_COLUMNS: [member::Column; 23] = [
    member::Column::DisplayName,
    member::Column::Profession,
    member::Column::Sectors,
    member::Column::Skills,
    member::Column::Languages,
    member::Column::EducationLevel,
    member::Column::ExperienceYears,
    member::Column::AvailableHoursPerWeek,
    member::Column::ShareAcrossRegions,
    member::Column::Role,
    member::Column::ResidenceStatus,
    member::Column::AsylumApplicationDate,
    member::Column::Permits,
    member::Column::CivicIntegration,
    member::Column::Nationality,
    member::Column::SafeCountryNational,
    member::Column::InReceptionCentre,
    member::Column::AsylumClockStoppedDays,
    member::Column::BuddyCapacity,
    member::Column::InSchoolProgramme,
    member::Column::IdentityUnclear,
    member::Column::ProfileStamps,
    member::Column::UpdatedAt,
];

/// One change of one member.
pub struct Change {
    pub id: Uuid,
    pub incoming: v1::Member,
    pub paths: Vec<String>,
}

/// Why a group of changes was refused: the index of the change at fault, and why.
pub type Refusal = (usize, Error);

/// One `UpdateMember` (one change) or `BatchUpdateMembers` call (several, all or
/// none) waiting for its turn.
pub struct Update {
    pub changes: Vec<Change>,
    pub done: oneshot::Sender<std::result::Result<Vec<member::Model>, Refusal>>,
}

/// Starts the task that applies queued updates; it ends when every sender is gone.
pub fn start(context: NodeContext) -> mpsc::Sender<Update> {
    let (queue, mut queued) = mpsc::channel::<Update>(MAX_BATCH * 4);
    tokio::spawn(async move {
        while let Some(first) = queued.recv().await {
            let mut changes = first.changes.len();
            let mut batch = vec![first];
            while changes < MAX_BATCH {
                match queued.try_recv() {
                    Ok(next) => {
                        changes += next.changes.len();
                        batch.push(next);
                    }
                    Err(_) => break,
                }
            }
            apply(&context, batch).await;
        }
    });
    queue
}

async fn apply(context: &NodeContext, batch: Vec<Update>) {
    let (answers, groups): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|update| (update.done, update.changes))
        .unzip();
    match write(context, &groups).await {
        Ok(outcomes) => {
            for (answer, outcome) in answers.into_iter().zip(outcomes) {
                let _ = answer.send(outcome);
            }
        }
        Err(error) => {
            // The transaction did not commit: nothing of the batch was written.
            let reason = error.to_string();
            for answer in answers {
                let _ = answer.send(Err((
                    0,
                    Error::Database(sea_orm::DbErr::Custom(reason.clone())),
                )));
            }
        }
    }
}

/// The changed row and the profile state to publish, or why the update is refused.
fn plan(
    context: &NodeContext,
    row: &member::Model,
    incoming: &v1::Member,
    paths: &[String],
) -> Result<(member::Model, Option<v1::ProfileState>)> {
    let mut wire = convert::member::to_wire(row);
    convert::member::apply_mask(&mut wire, incoming, paths)?;
    let mut changed = convert::member::to_row(
        &wire,
        "member",
        RowIdentity {
            id: row.id,
            home_region: row.home_region.clone(),
            created_at: row.created_at,
            // As precise as every backend stores it, so the answer is what a read
            // returns (the row is not read back after the write).
            updated_at: Utc::now().trunc_subsecs(6),
        },
    )?;
    changed.external_id = row.external_id.clone();
    let published = publish::restamp(Some(row), &mut changed, &context.clock, &context.region);
    Ok((changed, published))
}

/// Applies every group in one transaction; a group whose change is refused
/// writes none of its changes, and the others still commit.
async fn write(
    context: &NodeContext,
    groups: &[Vec<Change>],
) -> Result<Vec<std::result::Result<Vec<member::Model>, Refusal>>> {
    let (_turn, txn) = context.begin_write().await?;
    let ids: Vec<Uuid> = groups.iter().flatten().map(|change| change.id).collect();
    let mut rows: HashMap<Uuid, member::Model> = member::Entity::find()
        .filter(member::Column::Id.is_in(ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    // What the search index holds of them now, to rewrite only what changes.
    let indexed: HashMap<Uuid, BTreeMap<String, i32>> = rows
        .values()
        .map(|row| (row.id, search_index::member_words(row)))
        .collect();
    let mut outcomes = Vec::with_capacity(groups.len());
    let mut published = Vec::new();
    let mut changed_ids = Vec::new();
    // Each changed member as she was, for the kept statistics.
    let mut originals: HashMap<Uuid, member::Model> = HashMap::new();
    for group in groups {
        // The group's changes, seen by its later changes but kept apart from
        // `rows` until every one of them is accepted.
        let mut staged: HashMap<Uuid, member::Model> = HashMap::new();
        let mut states = Vec::new();
        let mut saved = Vec::with_capacity(group.len());
        let mut refused = None;
        for (index, change) in group.iter().enumerate() {
            let Some(row) = staged.get(&change.id).or_else(|| rows.get(&change.id)) else {
                refused = Some((index, Error::not_found("member", change.id)));
                break;
            };
            match plan(context, row, &change.incoming, &change.paths) {
                Ok((changed, state)) => {
                    staged.insert(change.id, changed.clone());
                    states.extend(state);
                    saved.push(changed);
                }
                Err(error) => {
                    refused = Some((index, error));
                    break;
                }
            }
        }
        if let Some(refusal) = refused {
            outcomes.push(Err(refusal));
            continue;
        }
        for (id, row) in staged {
            changed_ids.push(id);
            if let Some(original) = rows.insert(id, row) {
                originals.entry(id).or_insert(original);
            }
        }
        published.extend(states);
        outcomes.push(Ok(saved));
    }
    // Every changed member written in one statement, each as last changed.
    changed_ids.sort_unstable();
    changed_ids.dedup();
    let changed_rows: Vec<member::ActiveModel> = changed_ids
        .iter()
        .filter_map(|id| rows.get(id))
        .map(|row| row.clone().into_active_model().reset_all())
        .collect();
    for chunk in changed_rows.chunks(64) {
        member::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(member::Column::Id)
                    .update_columns(UPDATED_COLUMNS)
                    .to_owned(),
            )
            .exec(&txn)
            .await?;
    }
    let reindexed: Vec<member::Model> = changed_ids
        .iter()
        .filter_map(|id| rows.get(id))
        .filter(|row| indexed.get(&row.id) != Some(&search_index::member_words(row)))
        .cloned()
        .collect();
    search_index::index_members(&txn, &reindexed).await?;
    let tallied: Vec<_> = changed_ids
        .iter()
        .map(|id| (originals.get(id), rows.get(id)))
        .collect();
    crate::store::tally::members(&txn, &tallied).await?;
    publish::enqueue_all(&txn, &published).await?;
    txn.commit().await?;
    if !published.is_empty() {
        context.outbox_ready.notify_one();
    }
    Ok(outcomes)
}
