//! Group commit for member updates. Concurrent `UpdateMember` calls queue here; one
//! task takes whatever has queued (up to [`MAX_BATCH`]) and applies it in one
//! transaction: the members are read in one statement, each is changed and checked,
//! the changed ones are written in one statement (an upsert of existing rows), and
//! the profiles to publish go to the outbox in one statement. A call
//! that fails its checks writes nothing and gets its own error; the others commit.
//! Each call is answered only after the commit.

use std::collections::HashMap;

use chrono::{SubsecRound, Utc};
use passage_proto::v1;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, sea_query::OnConflict,
};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::NodeContext;
use crate::convert::{self, member::RowIdentity};
use crate::error::{Error, Result};
use crate::federation::publish;
use crate::store::entity::member;

/// Most updates applied in one transaction.
const MAX_BATCH: usize = 256;

/// What an update may change: everything but the id, the home region and the
/// creation time.
const UPDATED_COLUMNS: [member::Column; 21] = [
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
    member::Column::ProfileStamps,
    member::Column::UpdatedAt,
];

/// One `UpdateMember` call waiting for its turn.
pub struct Update {
    pub id: Uuid,
    pub incoming: v1::Member,
    pub paths: Vec<String>,
    pub done: oneshot::Sender<Result<member::Model>>,
}

/// Starts the task that applies queued updates; it ends when every sender is gone.
pub fn start(context: NodeContext) -> mpsc::Sender<Update> {
    let (queue, mut queued) = mpsc::channel::<Update>(MAX_BATCH * 4);
    tokio::spawn(async move {
        while let Some(first) = queued.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match queued.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            apply(&context, batch).await;
        }
    });
    queue
}

async fn apply(context: &NodeContext, batch: Vec<Update>) {
    let (answers, requests): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|update| (update.done, (update.id, update.incoming, update.paths)))
        .unzip();
    match write(context, &requests).await {
        Ok(outcomes) => {
            for (answer, outcome) in answers.into_iter().zip(outcomes) {
                let _ = answer.send(outcome);
            }
        }
        Err(error) => {
            // The transaction did not commit: nothing of the batch was written.
            let reason = error.to_string();
            for answer in answers {
                let _ = answer.send(Err(Error::Database(sea_orm::DbErr::Custom(reason.clone()))));
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
    let published = publish::restamp(Some(row), &mut changed, &context.clock, &context.region);
    Ok((changed, published))
}

async fn write(
    context: &NodeContext,
    requests: &[(Uuid, v1::Member, Vec<String>)],
) -> Result<Vec<Result<member::Model>>> {
    let (_turn, txn) = context.begin_write().await?;
    let ids: Vec<Uuid> = requests.iter().map(|(id, _, _)| *id).collect();
    let mut rows: HashMap<Uuid, member::Model> = member::Entity::find()
        .filter(member::Column::Id.is_in(ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    let mut outcomes = Vec::with_capacity(requests.len());
    let mut published = Vec::new();
    let mut changed_ids = Vec::new();
    for (id, incoming, paths) in requests {
        let Some(row) = rows.get(id) else {
            outcomes.push(Err(Error::not_found("member", id)));
            continue;
        };
        let (changed, state) = match plan(context, row, incoming, paths) {
            Ok(planned) => planned,
            Err(refused) => {
                outcomes.push(Err(refused));
                continue;
            }
        };
        rows.insert(*id, changed.clone());
        changed_ids.push(*id);
        published.extend(state);
        outcomes.push(Ok(changed));
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
    publish::enqueue_all(&txn, &published).await?;
    txn.commit().await?;
    if !published.is_empty() {
        context.outbox_ready.notify_one();
    }
    Ok(outcomes)
}
