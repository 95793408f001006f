//! What the imports of a chapter's history share: a line names another record
//! by its `external_id` or by its id, found in the region or refused naming the
//! column; and dates that happened — none later than today, no end before its
//! start.

use std::collections::HashMap;

use chrono::NaiveDate;
use passage_proto::v1::RefusalKind;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::cells::Line;
use super::import::WRITE_CHUNK;
use crate::error::{Error, Refusal, Result};
use crate::validate;

/// How a line names another record, and in which column.
#[derive(Debug, Clone)]
pub enum Reference {
    External(&'static str, String),
    Id(&'static str, Uuid),
}

impl Reference {
    /// The column the line named it in.
    pub fn column(&self) -> &'static str {
        match self {
            Reference::External(column, _) | Reference::Id(column, _) => column,
        }
    }

    /// What the line wrote.
    pub fn value(&self) -> String {
        match self {
            Reference::External(_, id) => id.clone(),
            Reference::Id(_, id) => id.to_string(),
        }
    }
}

/// The record a line names in column `{what}_external_id` or `{what}_id`
/// (`external` and `id` are those names); a cell that is no id is unknown, so
/// refused as `unknown`.
pub fn reference(
    line: Line<'_>,
    (external, id): (&'static str, &'static str),
    unknown: RefusalKind,
) -> Result<Reference> {
    match (line.text(external), line.text(id)) {
        ("", "") => Err(Error::refused(
            if line.columns.has(external) {
                external
            } else {
                id
            },
            "must not be empty",
            Refusal::of(RefusalKind::Missing, "", []),
        )),
        ("", text) => validate::id(id, text)
            .map(|uuid| Reference::Id(id, uuid))
            .map_err(|_| {
                Error::refused(
                    id,
                    format!(
                        "{} is not the id of a record of the region",
                        validate::quoted(text)
                    ),
                    Refusal::of(unknown, text, []),
                )
            }),
        (text, _) => Ok(Reference::External(external, text.to_owned())),
    }
}

/// The refusal of a reference the region does not know; `what` names the kind
/// of record and `first` what to import before.
pub fn unknown(reference: &Reference, kind: RefusalKind, what: &str, first: &str) -> Error {
    let reason = match reference {
        Reference::External(_, id) => format!(
            "no {what} of the region has the external_id {} (import the {first} first)",
            validate::quoted(id)
        ),
        Reference::Id(_, id) => format!("no {what} {id} in the region"),
    };
    Error::refused(
        reference.column(),
        reason,
        Refusal::of(kind, &reference.value(), []),
    )
}

/// Records of one table found by the references of a file's lines.
pub struct Known<M> {
    by_external: HashMap<String, M>,
    by_id: HashMap<Uuid, M>,
}

impl<M: Clone> Known<M> {
    /// The record `reference` names, if the region has it.
    pub fn get(&self, reference: &Reference) -> Option<&M> {
        match reference {
            Reference::External(_, id) => self.by_external.get(id),
            Reference::Id(_, id) => self.by_id.get(id),
        }
    }

    /// The records of `E` that `references` name: by `external` (the
    /// `external_id` column) or by `id`; `key` reads a row's id and external id.
    pub async fn find<'r, E>(
        txn: &DatabaseTransaction,
        references: impl Iterator<Item = &'r Reference>,
        (external, id): (E::Column, E::Column),
        key: impl Fn(&M) -> (Uuid, Option<String>),
    ) -> Result<Self>
    where
        E: EntityTrait<Model = M>,
    {
        let (mut externals, mut ids) = (Vec::new(), Vec::new());
        for reference in references {
            match reference {
                Reference::External(_, value) => externals.push(value.clone()),
                Reference::Id(_, value) => ids.push(*value),
            }
        }
        externals.sort();
        externals.dedup();
        ids.sort();
        ids.dedup();
        let mut known = Known {
            by_external: HashMap::new(),
            by_id: HashMap::new(),
        };
        for chunk in externals.chunks(WRITE_CHUNK) {
            for row in E::find()
                .filter(external.is_in(chunk.iter().cloned()))
                .all(txn)
                .await?
            {
                if let (_, Some(value)) = key(&row) {
                    known.by_external.insert(value, row);
                }
            }
        }
        for chunk in ids.chunks(WRITE_CHUNK) {
            for row in E::find()
                .filter(id.is_in(chunk.iter().copied()))
                .all(txn)
                .await?
            {
                known.by_id.insert(key(&row).0, row);
            }
        }
        Ok(known)
    }
}

/// A date of something that happened: not later than `today`.
pub fn happened(column: &str, date: NaiveDate, today: NaiveDate) -> Result<NaiveDate> {
    if date > today {
        return Err(Error::refused(
            column,
            format!("{date} is later than today ({today}): history has happened"),
            Refusal::of(RefusalKind::InTheFuture, &date.to_string(), []),
        ));
    }
    Ok(date)
}

/// An end (in `column`) not before its start (`start`, in `start_column`).
pub fn not_before(
    column: &str,
    end: NaiveDate,
    start_column: &str,
    start: NaiveDate,
) -> Result<NaiveDate> {
    if end < start {
        return Err(Error::refused(
            column,
            format!("{end} is before {start_column} {start}"),
            Refusal::of(
                RefusalKind::BeforeItsStart,
                &end.to_string(),
                [start_column.to_owned(), start.to_string()],
            ),
        ));
    }
    Ok(end)
}

/// A date the column needs: refused as missing when empty.
pub fn required_date(line: Line<'_>, column: &str) -> Result<NaiveDate> {
    line.date(column)?.ok_or_else(|| {
        Error::refused(
            column,
            "must not be empty",
            Refusal::of(RefusalKind::Missing, "", []),
        )
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn an_end_before_its_start_names_both_columns() {
        let start = NaiveDate::from_ymd_opt(2023, 5, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(2023, 4, 30).unwrap();
        let Err(Error::InvalidArgument { field, refusal, .. }) =
            not_before("end_date", end, "start_date", start)
        else {
            panic!("an end before its start is refused");
        };
        assert_eq!(field, "end_date");
        assert_eq!(refusal.kind, RefusalKind::BeforeItsStart);
        assert_eq!(refusal.allowed, ["start_date", "2023-05-01"]);
        assert!(not_before("end_date", start, "start_date", start).is_ok());
    }

    #[test]
    fn history_has_happened() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert!(happened("applied_on", today, today).is_ok());
        let Err(Error::InvalidArgument { refusal, .. }) =
            happened("applied_on", today.succ_opt().unwrap(), today)
        else {
            panic!("tomorrow is refused");
        };
        assert_eq!(refusal.kind, RefusalKind::InTheFuture);
    }
}
