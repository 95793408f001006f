//! A batch of log entries for one region, as it is gathered: the log's rows in
//! sequence order, merged per member, for at most so many members and about so
//! many bytes of states. Rows are taken in sequence order, so stopping before one
//! leaves out only later ones, and each entry carries the sequence of the member's
//! last change in it: the highest is where the batch ends.
//!
//! Live, a session gathers the rows' own states (`log::entries_for`). A region
//! far behind is sent each changed member's latest state from the directory
//! instead (`log::catch_up_for`): the directory holds the merge of every change
//! to the member, so the node ends where it would applying each entry, and the
//! gateway reads one state per member rather than one per change.

use std::collections::HashMap;

use passage_proto::merge::merge;
use passage_proto::v1::{LogEntry, ProfileState};
use uuid::Uuid;

/// What a row gives the batch of its member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Row {
    /// Its own change, merged into what the batch holds of the member.
    Change,
    /// The member's latest state (from the directory), taken the first time the
    /// member is met; a later row of the member only moves the entry's sequence on.
    Latest,
}

/// The entries gathered so far.
pub(super) struct Batch {
    entries: Vec<LogEntry>,
    index: HashMap<Uuid, usize>,
    bytes: usize,
    max_members: usize,
    max_bytes: usize,
}

impl Batch {
    pub(super) fn new(max_members: usize, max_bytes: usize) -> Self {
        Batch {
            entries: Vec::new(),
            index: HashMap::new(),
            bytes: 0,
            max_members,
            max_bytes,
        }
    }

    /// Takes the row at `sequence` about `member_id` from `origin`, whose state
    /// is `size` bytes and is read from `state` only when it is used. Returns
    /// false, taking nothing, when the batch is full: the caller stops there.
    pub(super) fn take(
        &mut self,
        member_id: Uuid,
        sequence: i64,
        origin: &str,
        row: Row,
        size: usize,
        state: impl FnOnce() -> ProfileState,
    ) -> bool {
        let held = self.index.get(&member_id).copied();
        if held.is_none() && self.entries.len() >= self.max_members {
            return false;
        }
        let adds = held.is_none() || row == Row::Change;
        if adds {
            if self.bytes > 0 && self.bytes + size > self.max_bytes {
                return false;
            }
            self.bytes += size;
        }
        match held {
            Some(at) => {
                let entry = &mut self.entries[at];
                if row == Row::Change {
                    let change = state();
                    entry.state = Some(match entry.state.as_ref() {
                        Some(held) => merge(held, &change),
                        None => change,
                    });
                }
                entry.sequence = sequence as u64;
                origin.clone_into(&mut entry.origin_region);
            }
            None => {
                self.index.insert(member_id, self.entries.len());
                self.entries.push(LogEntry {
                    sequence: sequence as u64,
                    origin_region: origin.to_owned(),
                    state: Some(state()),
                });
            }
        }
        true
    }

    pub(super) fn into_entries(self) -> Vec<LogEntry> {
        self.entries
    }
}
