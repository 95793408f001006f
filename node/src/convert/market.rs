//! Organisation and opportunity ↔ rows, their update masks, and the life cycle of
//! an opportunity's status.

use chrono::{DateTime, Utc};
use passage_proto::v1;
use uuid::Uuid;

use super::enums::{self, from_stored, stored};
use super::{json_strings, strings_from_json, timestamp, unknown_path};
use crate::error::{Error, Refusal, Result};
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
        headcount: row.headcount,
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
        headcount: validate::in_range(&f("headcount"), wire.headcount, 0..=10_000_000)?,
        created_at: stamp.created_at,
        updated_at: stamp.updated_at,
        external_id: None,
    })
}

/// Mask paths an organisation update may name.
pub const ORGANISATION_UPDATABLE: &[&str] = &[
    "*",
    "name",
    "kind",
    "sector",
    "location",
    "website",
    "headcount",
];

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
                current.headcount = incoming.headcount;
            }
            "name" => current.name = incoming.name.clone(),
            "kind" => current.kind = incoming.kind,
            "sector" => current.sector = incoming.sector.clone(),
            "location" => current.location = incoming.location.clone(),
            "website" => current.website = incoming.website.clone(),
            "headcount" => current.headcount = incoming.headcount,
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
        self_employment: row.self_employment,
        hourly_wage_cents: row.hourly_wage_cents,
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
    let hourly_wage_cents = validate::in_range(
        &f("hourly_wage_cents"),
        wire.hourly_wage_cents,
        // 100,000.00 an hour: anything above is a typo.
        0..=10_000_000,
    )?;
    if !wire.paid && hourly_wage_cents != 0 {
        return Err(Error::refused(
            f("hourly_wage_cents"),
            format!(
                "must be 0 when {} is false (an unpaid opportunity has no wage), got {hourly_wage_cents}",
                f("paid")
            ),
            Refusal::of(
                v1::RefusalKind::WageWhenUnpaid,
                &hourly_wage_cents.to_string(),
                [],
            ),
        ));
    }
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
        self_employment: wire.self_employment,
        hourly_wage_cents,
        status: stored(if status == v1::OpportunityStatus::Unspecified {
            v1::OpportunityStatus::Draft
        } else {
            status
        }),
        created_at: stamp.created_at,
        updated_at: stamp.updated_at,
        external_id: None,
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
    "self_employment",
    "hourly_wage_cents",
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
            "self_employment" => current.self_employment = incoming.self_employment,
            "hourly_wage_cents" => current.hourly_wage_cents = incoming.hourly_wage_cents,
            "location" => current.location = incoming.location.clone(),
            "status" => current.status = incoming.status,
            other => return Err(unknown_path(other, OPPORTUNITY_UPDATABLE)),
        }
    }
    Ok(())
}

/// Whether `UpdateOpportunity` may move an opportunity from `from` to `to`: a
/// published one to filled and a filled one back (reopened), one in review back to
/// draft, and any but a closed one to closed. Into review and from review to
/// published it moves only through community review (`ReviewService`), which
/// publishes it after `approvals_to_publish` approvals.
pub fn check_status_change(
    id: Uuid,
    from: &str,
    to: &str,
    approvals_to_publish: i32,
) -> Result<()> {
    let allowed = from == to
        || matches!(
            (from, to),
            ("in_review", "draft")
                | ("published", "filled")
                | ("filled", "published")
                | ("draft" | "in_review" | "published" | "filled", "closed")
        );
    if allowed {
        return Ok(());
    }
    let how = match (from, to) {
        ("draft", "in_review") => {
            "; submit it for community review with ReviewService.SubmitForReview".to_owned()
        }
        ("draft", "published") => format!(
            ": it is published by community review ({approvals_to_publish} approvals); \
             submit it with ReviewService.SubmitForReview"
        ),
        ("in_review", "published") => format!(
            ": it is published by community review ({approvals_to_publish} approvals) \
             through ReviewService.ReviewOpportunity"
        ),
        _ => String::new(),
    };
    Err(Error::FailedPrecondition(format!(
        "opportunity {id} cannot go from {from} to {to}{how}"
    )))
}

/// What the community reviewed is what goes out: an update may change an
/// opportunity's content (every field but its status) only while it is a draft.
/// `current` is the stored opportunity, `incoming` and `paths` the update.
pub fn check_content_change(
    id: Uuid,
    status: &str,
    current: &v1::Opportunity,
    incoming: &v1::Opportunity,
    paths: &[String],
) -> Result<()> {
    if status == "draft" {
        return Ok(());
    }
    let mut changed = Vec::new();
    for path in paths {
        let mut probe = current.clone();
        apply_opportunity_mask(&mut probe, incoming, std::slice::from_ref(path))?;
        probe.status = current.status;
        if probe != *current {
            changed.push(path.as_str());
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let next = if status == "in_review" {
        "; send it back to draft first"
    } else {
        ", before community review"
    };
    Err(Error::FailedPrecondition(format!(
        "opportunity {id} is {status}: {} can change only while it is a draft{next}",
        changed.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_community_review_puts_an_opportunity_in_review_and_publishes_it() {
        let id = Uuid::now_v7();
        for (from, to) in [
            ("in_review", "draft"),
            ("published", "filled"),
            ("filled", "published"),
            ("published", "closed"),
            ("draft", "closed"),
        ] {
            assert!(
                check_status_change(id, from, to, 2).is_ok(),
                "{from} → {to}"
            );
        }
        for (from, to) in [
            ("draft", "published"),
            ("draft", "filled"),
            ("closed", "published"),
            ("closed", "draft"),
        ] {
            assert!(
                check_status_change(id, from, to, 2).is_err(),
                "{from} → {to}"
            );
        }
        let submit = check_status_change(id, "draft", "in_review", 2).unwrap_err();
        assert!(
            submit.to_string().contains("ReviewService.SubmitForReview"),
            "{submit}"
        );
        let publish = check_status_change(id, "in_review", "published", 3).unwrap_err();
        assert!(
            publish
                .to_string()
                .contains("published by community review (3 approvals)"),
            "{publish}"
        );
    }

    #[test]
    fn content_changes_only_in_draft() {
        let id = Uuid::now_v7();
        let current = v1::Opportunity {
            title: "Baker's assistant".into(),
            hours_per_week: 20,
            status: v1::OpportunityStatus::InReview as i32,
            ..Default::default()
        };
        let incoming = v1::Opportunity {
            title: "Head baker".into(),
            hours_per_week: 20,
            status: v1::OpportunityStatus::Draft as i32,
            ..Default::default()
        };
        let paths = |p: &[&str]| p.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
        assert!(check_content_change(id, "draft", &current, &incoming, &paths(&["title"])).is_ok());
        assert!(
            check_content_change(
                id,
                "in_review",
                &current,
                &incoming,
                &paths(&["status", "hours_per_week"])
            )
            .is_ok(),
            "a status change, and a field set to what it is, change no content"
        );
        let refused =
            check_content_change(id, "in_review", &current, &incoming, &paths(&["title"]))
                .unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("in_review: title can change only while it is a draft"),
            "{refused}"
        );
    }
}
