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

/// Where a member id stands, as this region knows it.
#[derive(Debug, Clone)]
pub enum Presence {
    /// A member of this region, with their row.
    Here(Box<member::Model>),
    /// Was a member here and moved to the region named.
    MovedTo(String),
    /// Another region's member, whose shared profile this region holds.
    Elsewhere(String),
    /// No one this region knows of.
    Unknown,
}

impl Presence {
    /// The refusal for a member who is not here: where they are, then `then` (what
    /// follows for the caller); `field`, when not empty, names the request field
    /// that held the id. `None` for a member who is here.
    pub fn refusal(&self, field: &str, id: Uuid, then: &str) -> Option<Error> {
        let prefix = if field.is_empty() {
            String::new()
        } else {
            format!("{field}: ")
        };
        match self {
            Presence::Here(_) => None,
            Presence::MovedTo(to) => Some(Error::FailedPrecondition(format!(
                "{prefix}member {id} moved to {to}; {then}"
            ))),
            Presence::Elsewhere(home) => Some(Error::FailedPrecondition(format!(
                "{prefix}member {id} belongs to region {home}; {then}"
            ))),
            Presence::Unknown => Some(Error::not_found("member", id)),
        }
    }
}

/// Where member `id` stands in this region.
pub async fn presence(db: &impl ConnectionTrait, id: Uuid) -> Result<Presence> {
    if let Some(row) = member::Entity::find_by_id(id).one(db).await? {
        return Ok(Presence::Here(Box::new(row)));
    }
    if let Some(to) = moves::moved_to(db, id).await? {
        return Ok(Presence::MovedTo(to));
    }
    if let Some(home) = replica::home_region(db, id).await? {
        return Ok(Presence::Elsewhere(home));
    }
    Ok(Presence::Unknown)
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
    match presence(db, id).await? {
        Presence::Here(row) => Ok(*row),
        elsewhere => Err(elsewhere
            .refusal(field, id, &format!("only members of {region} {what}"))
            .unwrap_or_else(|| Error::not_found("member", id))),
    }
}
