//! A region far behind the log catches up from the directory. Rather than every
//! entry it missed — a member changed twenty times is twenty entries — it is sent
//! each member changed in the next window of the log once, with their latest
//! state from the directory, which holds the merge of every change to the member:
//! the node ends where applying each entry would have brought it. The window's
//! entries are read without their states (`member_id`s and sequences only).
//!
//! The members go out in pages, like a snapshot's: their entries carry no
//! sequence, and only the last page says where the window ends
//! (`LogBatch.snapshot_through`), so a node that stops half-way starts the
//! window again from its cursor rather than skipping what it was not sent.
//!
//! A member the directory keeps no state of for every region — at home in the
//! catching-up region now, handed to it privately in the window, or erased — is
//! sent the window's own entries about them, merged.

use std::collections::{HashMap, HashSet};

use passage_proto::merge::merge;
use passage_proto::v1::{LogEntry, ProfileState};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::log::{decode_state, for_region};
use crate::error::Result;
use crate::store::entity::{change_log, directory};

/// Most ids one statement looks up.
const IDS_PER_STATEMENT: usize = 1_000;

/// One window of the log, being sent to a region.
#[derive(Debug)]
pub struct CatchUp {
    /// The window's entries, in sequence order: (sequence, member, origin).
    window: Vec<(i64, Uuid, String)>,
    /// The members changed in the window, in the order they first changed.
    members: Vec<Uuid>,
    /// Members handed to the region privately in the window.
    privately: HashSet<Uuid>,
    /// How many of `members` were sent.
    sent: usize,
    /// The window's last sequence.
    pub through: i64,
}

impl CatchUp {
    /// The window of at most `max_rows` entries after `after` that `region` is
    /// given (not its own, and those for every region or for it alone); none when
    /// there are none.
    pub async fn start(
        db: &impl ConnectionTrait,
        region: &str,
        after: i64,
        max_rows: u64,
    ) -> Result<Option<CatchUp>> {
        let rows: Vec<(i64, Uuid, String, Option<String>)> = change_log::Entity::find()
            .select_only()
            .columns([
                change_log::Column::Sequence,
                change_log::Column::MemberId,
                change_log::Column::OriginRegion,
                change_log::Column::Recipient,
            ])
            .filter(change_log::Column::Sequence.gt(after))
            .filter(change_log::Column::OriginRegion.ne(region))
            .filter(for_region(region))
            .order_by_asc(change_log::Column::Sequence)
            .limit(max_rows)
            .into_tuple()
            .all(db)
            .await?;
        let Some(through) = rows.last().map(|row| row.0) else {
            return Ok(None);
        };
        let mut members = Vec::new();
        let mut met = HashSet::new();
        let mut privately = HashSet::new();
        let mut window = Vec::with_capacity(rows.len());
        for (sequence, member_id, origin, recipient) in rows {
            if met.insert(member_id) {
                members.push(member_id);
            }
            if recipient.is_some() {
                privately.insert(member_id);
            }
            window.push((sequence, member_id, origin));
        }
        Ok(Some(CatchUp {
            window,
            members,
            privately,
            sent: 0,
            through,
        }))
    }

    /// How many members the window changed.
    pub fn members(&self) -> usize {
        self.members.len()
    }

    /// The next page: at most `max_members` members and about `max_bytes` of
    /// states (at least one member), each entry without a sequence. The flag
    /// says whether it is the last.
    pub async fn next_page(
        &mut self,
        db: &impl ConnectionTrait,
        region: &str,
        max_members: usize,
        max_bytes: usize,
    ) -> Result<(Vec<LogEntry>, bool)> {
        let page: Vec<Uuid> = self
            .members
            .iter()
            .skip(self.sent)
            .take(max_members.max(1))
            .copied()
            .collect();
        // The latest states the directory keeps for every region.
        let mut latest: HashMap<Uuid, Vec<u8>> = HashMap::new();
        for chunk in page.chunks(IDS_PER_STATEMENT) {
            let states: Vec<(Uuid, Option<Vec<u8>>)> = directory::Entity::find()
                .select_only()
                .columns([directory::Column::MemberId, directory::Column::State])
                .filter(directory::Column::MemberId.is_in(chunk.iter().copied()))
                .filter(directory::Column::HomeRegion.ne(region))
                .into_tuple()
                .all(db)
                .await?;
            latest.extend(
                states
                    .into_iter()
                    .filter(|(member_id, _)| !self.privately.contains(member_id))
                    .filter_map(|(member_id, state)| Some((member_id, state?))),
            );
        }
        // The window's own entries of the others.
        let by_entry: HashSet<Uuid> = page
            .iter()
            .filter(|member_id| !latest.contains_key(member_id))
            .copied()
            .collect();
        let mut changes: HashMap<Uuid, Vec<Vec<u8>>> = HashMap::new();
        if !by_entry.is_empty() {
            let sequences: Vec<i64> = self
                .window
                .iter()
                .filter(|(_, member_id, _)| by_entry.contains(member_id))
                .map(|(sequence, _, _)| *sequence)
                .collect();
            for chunk in sequences.chunks(IDS_PER_STATEMENT) {
                let rows: Vec<(Uuid, Vec<u8>)> = change_log::Entity::find()
                    .select_only()
                    .columns([change_log::Column::MemberId, change_log::Column::State])
                    .filter(change_log::Column::Sequence.is_in(chunk.iter().copied()))
                    .order_by_asc(change_log::Column::Sequence)
                    .into_tuple()
                    .all(db)
                    .await?;
                for (member_id, state) in rows {
                    changes.entry(member_id).or_default().push(state);
                }
            }
        }
        let last_origin = self.last_origins(&page);
        let mut entries = Vec::with_capacity(page.len());
        let mut bytes = 0usize;
        for member_id in &page {
            let state = match latest.get(member_id) {
                Some(state) => {
                    bytes += state.len();
                    Some(decode_state(Some(state)))
                }
                None => changes.get(member_id).and_then(|states| {
                    bytes += states.iter().map(Vec::len).sum::<usize>();
                    merged(states)
                }),
            };
            if !entries.is_empty() && bytes > max_bytes {
                break;
            }
            self.sent += 1;
            // Erased since the window was read: the tombstone's entry follows.
            let Some(state) = state else { continue };
            entries.push(LogEntry {
                sequence: 0,
                origin_region: last_origin.get(member_id).cloned().unwrap_or_default(),
                state: Some(state),
            });
        }
        Ok((entries, self.sent >= self.members.len()))
    }

    /// The region each of `page` last spoke from in the window.
    fn last_origins(&self, page: &[Uuid]) -> HashMap<Uuid, String> {
        let wanted: HashSet<&Uuid> = page.iter().collect();
        let mut origins = HashMap::with_capacity(page.len());
        for (_, member_id, origin) in &self.window {
            if wanted.contains(member_id) {
                origins.insert(*member_id, origin.clone());
            }
        }
        origins
    }
}

/// The merge of a member's entries, in sequence order; none if none decodes.
fn merged(states: &[Vec<u8>]) -> Option<ProfileState> {
    use prost::Message as _;
    let mut decoded = states.iter().filter_map(|bytes| {
        ProfileState::decode(bytes.as_slice())
            .inspect_err(|error| tracing::error!(%error, "undecodable log entry skipped"))
            .ok()
    });
    let first = decoded.next()?;
    Some(decoded.fold(first, |held, next| merge(&held, &next)))
}
