//! Who is a member of this region, and what membership carries with it: the one
//! way to ask "is this member here?" ([`presence`]) — here, moved away, another
//! region's member, or unknown — and the group commit of member updates
//! ([`updates`]).

pub mod updates;

use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::federation::{moves, replica};
use crate::store::entity::member;

/// Why a member id is not a member of this region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Absence {
    /// Was a member here and moved to the region named.
    MovedTo(String),
    /// Another region's member, whose shared profile this region holds.
    Elsewhere(String),
    /// No one this region knows of.
    Unknown,
}

impl Absence {
    /// The refusal for a member who is not here: where they are, then `then` (what
    /// follows for the caller); `field`, when not empty, names the request field
    /// that held the id. An unknown member is `NotFound`.
    pub fn refusal(&self, field: &str, id: Uuid, then: &str) -> Error {
        let prefix = if field.is_empty() {
            String::new()
        } else {
            format!("{field}: ")
        };
        match self {
            Absence::MovedTo(to) => {
                Error::FailedPrecondition(format!("{prefix}member {id} moved to {to}; {then}"))
            }
            Absence::Elsewhere(home) => Error::FailedPrecondition(format!(
                "{prefix}member {id} belongs to region {home}; {then}"
            )),
            Absence::Unknown => Error::not_found("member", id),
        }
    }
}

/// Member `id` as this region holds them, or why they are not here.
pub async fn presence(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<std::result::Result<member::Model, Absence>> {
    if let Some(row) = member::Entity::find_by_id(id).one(db).await? {
        return Ok(Ok(row));
    }
    if let Some(to) = moves::moved_to(db, id).await? {
        return Ok(Err(Absence::MovedTo(to)));
    }
    if let Some(home) = replica::home_region(db, id).await? {
        return Ok(Err(Absence::Elsewhere(home)));
    }
    Ok(Err(Absence::Unknown))
}

/// The member `id` as this region holds them, for a region-local record that
/// names them (a participant, an expert, a case's subject): `NotFound` when no one
/// has this id here, `FailedPrecondition` naming `field` and where they are when
/// they moved away or belong to another region (`what` says what only members of
/// the region may do).
pub async fn member_here(
    db: &impl ConnectionTrait,
    region: &str,
    field: &str,
    id: Uuid,
    what: &str,
) -> Result<member::Model> {
    presence(db, id)
        .await?
        .map_err(|absence| absence.refusal(field, id, &format!("only members of {region} {what}")))
}
