//! Organisation and opportunity ↔ rows, their update masks, and the life cycle of
//! an opportunity's status.

use chrono::{DateTime, Utc};
use passage_proto::v1;
use uuid::Uuid;

use super::enums::{self, from_stored, stored};
use super::{json_strings, strings_from_json, timestamp, unknown_path};
use crate::error::{Error, Result};
use crate::store::entity::{opportunity, organisation};
use crate::validate;

/// Id and times of a row: set by the node, never taken from the caller.
#[derive(Debug, Clone, Copy)]
pub struct RowStamp {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn organisation_to_wire(row: &organisation::Model) -> v1::Organisation {
    v1::Organisation {
        id: row.id.to_string(),
        name: row.name.clone(),
        kind: from_stored::<v1::OrganisationKind>(&row.kind) as i32,
        sector: row.sector.clone(),
        location: row.location.clone(),
        website: row.website.clone(),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
    }
}

/// Validates a wire organisation (fields named under `prefix`) into its row.
pub fn organisation_to_row(
    wire: &v1::Organisation,
    prefix: &str,
    stamp: RowStamp,
) -> Result<organisation::Model> {
    let f = |name: &str| format!("{prefix}.{name}");
    Ok(organisation::Model {
        id: stamp.id,
        name: validate::required_text(&f("name"), &wire.name, 200)?,
        kind: stored(enums::parse::<v1::OrganisationKind>(
            &f("kind"),
            wire.kind,
            true,
        )?),
        sector: validate::slug(&f("sector"), &wire.sector)?,
        location: validate::optional_text(&f("location"), &wire.location, 120)?,
        website: validate::optional_url(&f("website"), &wire.website)?,
        created_at: stamp.created_at,
        updated_at: stamp.updated_at,
    })
}

/// Mask paths an organisation update may name.
pub const ORGANISATION_UPDATABLE: &[&str] = &["*", "name", "kind", "sector", "location", "website"];

pub fn apply_organisation_mask(
    current: &mut v1::Organisation,
    incoming: &v1::Organisation,
    paths: &[String],
) -> Result<()> {
    for path in paths {
        match path.as_str() {
            "*" => {
                current.name = incoming.name.clone();
                current.kind = incoming.kind;
                current.sector = incoming.sector.clone();
                current.location = incoming.location.clone();
                current.website = incoming.website.clone();
            }
            "name" => current.name = incoming.name.clone(),
            "kind" => current.kind = incoming.kind,
            "sector" => current.sector = incoming.sector.clone(),
            "location" => current.location = incoming.location.clone(),
            "website" => current.website = incoming.website.clone(),
            other => return Err(unknown_path(other, ORGANISATION_UPDATABLE)),
        }
    }
    Ok(())
}

pub fn opportunity_to_wire(row: &opportunity::Model) -> v1::Opportunity {
    v1::Opportunity {
        id: row.id.to_string(),
        organisation_id: row.organisation_id.to_string(),
        title: row.title.clone(),
        description: row.description.clone(),
        kind: from_stored::<v1::OpportunityKind>(&row.kind) as i32,
        sector: row.sector.clone(),
        skills: strings_from_json(&row.skills),
        languages: strings_from_json(&row.languages),
        hours_per_week: row.hours_per_week,
        paid: row.paid,
        location: row.location.clone(),
        status: from_stored::<v1::OpportunityStatus>(&row.status) as i32,
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
    }
}

/// Validates a wire opportunity (fields named under `prefix`) into its row. The
/// status is taken as given; creation and updates check it against the life cycle.
pub fn opportunity_to_row(
    wire: &v1::Opportunity,
    prefix: &str,
    stamp: RowStamp,
) -> Result<opportunity::Model> {
    let f = |name: &str| format!("{prefix}.{name}");
    let status = enums::parse::<v1::OpportunityStatus>(&f("status"), wire.status, false)?;
    Ok(opportunity::Model {
        id: stamp.id,
        organisation_id: validate::id(&f("organisation_id"), &wire.organisation_id)?,
        title: validate::required_text(&f("title"), &wire.title, 200)?,
        description: validate::optional_text(&f("description"), &wire.description, 5000)?,
        kind: stored(enums::parse::<v1::OpportunityKind>(
            &f("kind"),
            wire.kind,
            true,
        )?),
        sector: validate::slug(&f("sector"), &wire.sector)?,
        skills: json_strings(&validate::list(&f("skills"), &wire.skills, 50, |f, v| {
            validate::required_text(f, v, 60)
        })?),
        languages: json_strings(&validate::list(
            &f("languages"),
            &wire.languages,
            20,
            validate::language,
        )?),
        hours_per_week: validate::in_range(&f("hours_per_week"), wire.hours_per_week, 1..=60)?,
        paid: wire.paid,
        location: validate::optional_text(&f("location"), &wire.location, 120)?,
        status: stored(if status == v1::OpportunityStatus::Unspecified {
            v1::OpportunityStatus::Draft
        } else {
            status
        }),
        created_at: stamp.created_at,
        updated_at: stamp.updated_at,
    })
}

/// Mask paths an opportunity update may name (`organisation_id` is fixed at creation).
pub const OPPORTUNITY_UPDATABLE: &[&str] = &[
    "title",
    "description",
    "kind",
    "sector",
    "skills",
    "languages",
    "hours_per_week",
    "paid",
    "location",
    "status",
];

pub fn apply_opportunity_mask(
    current: &mut v1::Opportunity,
    incoming: &v1::Opportunity,
    paths: &[String],
) -> Result<()> {
    for path in paths {
        match path.as_str() {
            "title" => current.title = incoming.title.clone(),
            "description" => current.description = incoming.description.clone(),
            "kind" => current.kind = incoming.kind,
            "sector" => current.sector = incoming.sector.clone(),
            "skills" => current.skills = incoming.skills.clone(),
            "languages" => current.languages = incoming.languages.clone(),
            "hours_per_week" => current.hours_per_week = incoming.hours_per_week,
            "paid" => current.paid = incoming.paid,
            "location" => current.location = incoming.location.clone(),
            "status" => current.status = incoming.status,
            other => return Err(unknown_path(other, OPPORTUNITY_UPDATABLE)),
        }
    }
    Ok(())
}

/// Whether an opportunity may go from `from` to `to`:
/// draft → in review → published → filled, and closed from anywhere but closed;
/// a reviewer may send it back to draft, and a filled one may reopen.
pub fn check_status_change(id: Uuid, from: &str, to: &str) -> Result<()> {
    let allowed = from == to
        || matches!(
            (from, to),
            ("draft", "in_review")
                | ("in_review", "draft")
                | ("in_review", "published")
                | ("published", "filled")
                | ("filled", "published")
                | ("draft" | "in_review" | "published" | "filled", "closed")
        );
    if allowed {
        Ok(())
    } else {
        Err(Error::FailedPrecondition(format!(
            "opportunity {id} cannot go from {from} to {to}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opportunity_goes_through_review_before_it_is_published() {
        let id = Uuid::now_v7();
        for (from, to) in [
            ("draft", "in_review"),
            ("in_review", "published"),
            ("in_review", "draft"),
            ("published", "filled"),
            ("filled", "published"),
            ("published", "closed"),
        ] {
            assert!(check_status_change(id, from, to).is_ok(), "{from} → {to}");
        }
        for (from, to) in [
            ("draft", "published"),
            ("draft", "filled"),
            ("closed", "published"),
            ("closed", "draft"),
        ] {
            assert!(check_status_change(id, from, to).is_err(), "{from} → {to}");
        }
    }
}
