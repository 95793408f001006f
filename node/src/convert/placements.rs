//! Applications and placements ↔ rows. Both are built by the placement service
//! from checked parts (the rules decision, the opportunity's kind, the node's
//! clock), so there is only the way out, and the kind a placement takes.

use chrono::NaiveDate;
use passage_proto::v1;

use super::enums::from_stored;
use super::{strings_from_json, timestamp};
use crate::store::entity::{application, placement};

/// A day as the API writes it.
pub fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The placement kind (stored name) an opportunity kind (stored name) becomes:
/// job → paid_job, internship and taster_internship → internship, volunteer →
/// volunteering, learn_work → learn_work, project → project.
pub fn placement_kind(opportunity_kind: &str) -> Option<&'static str> {
    Some(match opportunity_kind {
        "job" => "paid_job",
        "internship" | "taster_internship" => "internship",
        "volunteer" => "volunteering",
        "learn_work" => "learn_work",
        "project" => "project",
        _ => return None,
    })
}

pub fn application_to_wire(
    row: &application::Model,
    placement_id: Option<uuid::Uuid>,
) -> v1::Application {
    v1::Application {
        id: row.id.to_string(),
        member_id: row.member_id.to_string(),
        opportunity_id: row.opportunity_id.to_string(),
        stage: from_stored::<v1::ApplicationStage>(&row.stage) as i32,
        motivation: row.motivation.clone(),
        conditions: strings_from_json(&row.conditions),
        warnings: strings_from_json(&row.warnings),
        hours_cap: row.hours_cap,
        rule_ids: strings_from_json(&row.rule_ids),
        rules_version: row.rules_version.clone(),
        evaluated_on: day(row.evaluated_on),
        stage_note: row.stage_note.clone(),
        placement_id: placement_id.map(|id| id.to_string()).unwrap_or_default(),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
        // Filled where a list is answered (`ListApplications`).
        opportunity_title: String::new(),
        share_employer_conditions: row.share_employer_conditions,
        employer_conditions: row
            .employer_conditions
            .as_ref()
            .map(strings_from_json)
            .unwrap_or_default(),
    }
}

/// An application as an organisation's contact sees it: nothing that follows
/// from the rules about the member (conditions, warnings, hours cap, the rules
/// that fired), which would tell their residence status; the conditions that
/// fall on the employer only from the OFFER stage on, and only when the member
/// agreed.
pub fn application_for_organisation(mut wire: v1::Application) -> v1::Application {
    let offered = matches!(
        v1::ApplicationStage::try_from(wire.stage),
        Ok(v1::ApplicationStage::Offer | v1::ApplicationStage::Accepted)
    );
    if !(offered && wire.share_employer_conditions) {
        wire.employer_conditions.clear();
    }
    v1::Application {
        conditions: Vec::new(),
        warnings: Vec::new(),
        hours_cap: 0,
        rule_ids: Vec::new(),
        rules_version: String::new(),
        evaluated_on: String::new(),
        ..wire
    }
}

pub fn placement_to_wire(row: &placement::Model) -> v1::Placement {
    v1::Placement {
        id: row.id.to_string(),
        application_id: row.application_id.to_string(),
        member_id: row.member_id.to_string(),
        opportunity_id: row.opportunity_id.to_string(),
        organisation_id: row.organisation_id.to_string(),
        kind: from_stored::<v1::PlacementKind>(&row.kind) as i32,
        start_date: day(row.start_date),
        end_date: row.end_date.map(day).unwrap_or_default(),
        end_reason: if row.end_reason.is_empty() {
            v1::PlacementEndReason::Unspecified as i32
        } else {
            from_stored::<v1::PlacementEndReason>(&row.end_reason) as i32
        },
        end_note: row.end_note.clone(),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::enums::stored;

    #[test]
    fn every_opportunity_kind_becomes_a_placement_kind() {
        for kind in [
            v1::OpportunityKind::Job,
            v1::OpportunityKind::Internship,
            v1::OpportunityKind::TasterInternship,
            v1::OpportunityKind::Volunteer,
            v1::OpportunityKind::LearnWork,
            v1::OpportunityKind::Project,
        ] {
            let placement = placement_kind(&stored(kind)).unwrap();
            assert_ne!(
                from_stored::<v1::PlacementKind>(placement),
                v1::PlacementKind::Unspecified
            );
        }
        assert_eq!(placement_kind("taster_internship"), Some("internship"));
        assert_eq!(placement_kind("unspecified"), None);
    }
}
