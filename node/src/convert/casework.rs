//! Experts, cases, case notes and next steps ↔ rows. Member ids of a case's
//! subject are parsed here; whether they are members of this region is checked by
//! the service.

use chrono::{DateTime, Utc};
use passage_proto::v1;
use uuid::Uuid;

use super::enums::{from_stored, stored};
use super::timestamp;
use crate::error::{Error, Result};
use crate::store::entity::{case_file, case_next_step, case_note, expert};
use crate::validate;

/// Longest case title, caseworker, note author and household label.
const MAX_NAME: usize = 200;
/// Longest case note, in characters.
pub const MAX_NOTE: usize = 10_000;
/// Longest next step.
pub const MAX_NEXT_STEP: usize = 500;
/// Longest resolution of a closed case.
pub const MAX_RESOLUTION: usize = 2000;
/// Most topics an expert has.
const MAX_TOPICS: usize = 20;
/// Most members of a household besides its main member.
const MAX_HOUSEHOLD: usize = 20;

/// An expert's topics: slugs, 1 to 20, duplicates dropped, sorted.
pub fn topics(field: &str, values: &[String]) -> Result<Vec<String>> {
    let mut topics = validate::list(field, values, MAX_TOPICS, validate::slug)?;
    if topics.is_empty() {
        return Err(Error::missing(
            field,
            "must name at least one topic (\"housing\", \"taxes\", …)",
        ));
    }
    topics.sort();
    Ok(topics)
}

pub fn expert_to_wire(
    row: &expert::Model,
    display_name: Option<&String>,
    topics: &[String],
) -> v1::Expert {
    v1::Expert {
        id: row.id.to_string(),
        member_id: row.member_id.to_string(),
        display_name: display_name.cloned().unwrap_or_default(),
        topics: topics.to_vec(),
        join_time: Some(timestamp(row.joined_at)),
    }
}

/// A new, open case from the caller's message, validated, and every member id it
/// names (for the service to check they are members here).
pub fn case_from_wire(case: v1::Case, id: Uuid) -> Result<(case_file::Model, Vec<Uuid>)> {
    let title = validate::required_text("case.title", &case.title, MAX_NAME)?;
    let caseworker = validate::required_text("case.caseworker", &case.caseworker, MAX_NAME)?;
    let (member_id, is_household, label, others) = match case.subject {
        None => {
            return Err(Error::missing(
                "case.subject",
                "must name the member (case.member_id) or the household (case.household)",
            ));
        }
        Some(v1::case::Subject::MemberId(member_id)) => (
            Some(validate::id("case.member_id", &member_id)?),
            false,
            String::new(),
            Vec::new(),
        ),
        Some(v1::case::Subject::Household(household)) => {
            let label =
                validate::optional_text("case.household.label", &household.label, MAX_NAME)?;
            let main = match household.main_member_id.trim() {
                "" => None,
                value => Some(validate::id("case.household.main_member_id", value)?),
            };
            let ids = validate::list(
                "case.household.member_ids",
                &household.member_ids,
                MAX_HOUSEHOLD,
                |field, value| validate::id(field, value).map(|id| id.to_string()),
            )?;
            let mut others = Vec::with_capacity(ids.len());
            for (index, value) in ids.iter().enumerate() {
                let id = validate::id(&format!("case.household.member_ids[{index}]"), value)?;
                if Some(id) != main {
                    others.push(id);
                }
            }
            if main.is_none() && others.is_empty() {
                return Err(Error::missing(
                    "case.household",
                    "must name its members (member_ids), or a label with its main_member_id",
                ));
            }
            if !label.is_empty() && main.is_none() {
                return Err(Error::missing(
                    "case.household.main_member_id",
                    "must name the member the chapter is in touch with when the household has a label",
                ));
            }
            (main, true, label, others)
        }
    };
    let mut named: Vec<Uuid> = member_id.into_iter().collect();
    named.extend(others.iter().copied());
    let row = case_file::Model {
        id,
        member_id,
        is_household,
        household_label: label,
        household_member_ids: serde_json::Value::from(
            others.iter().map(Uuid::to_string).collect::<Vec<_>>(),
        ),
        title,
        caseworker,
        status: stored(v1::CaseStatus::Open),
        resolution: String::new(),
        opened_at: Utc::now(),
        closed_at: None,
    };
    Ok((row, named))
}

pub fn case_to_wire(row: &case_file::Model, open_next_steps: u64) -> v1::Case {
    let subject = if row.is_household {
        v1::case::Subject::Household(v1::Household {
            label: row.household_label.clone(),
            main_member_id: row.member_id.map(|id| id.to_string()).unwrap_or_default(),
            member_ids: super::strings_from_json(&row.household_member_ids),
        })
    } else {
        v1::case::Subject::MemberId(row.member_id.map(|id| id.to_string()).unwrap_or_default())
    };
    v1::Case {
        id: row.id.to_string(),
        subject: Some(subject),
        title: row.title.clone(),
        caseworker: row.caseworker.clone(),
        status: from_stored::<v1::CaseStatus>(&row.status) as i32,
        resolution: row.resolution.clone(),
        open_next_steps: i32::try_from(open_next_steps).unwrap_or(i32::MAX),
        open_time: Some(timestamp(row.opened_at)),
        close_time: row.closed_at.map(timestamp),
    }
}

/// A new note on `case_id`, validated.
pub fn note_from_wire(
    case_id: Uuid,
    author: &str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<case_note::Model> {
    Ok(case_note::Model {
        id: Uuid::now_v7(),
        case_id,
        author: validate::required_text("author", author, MAX_NAME)?,
        text: validate::required_text("text", text, MAX_NOTE)?,
        created_at: now,
    })
}

pub fn note_to_wire(row: &case_note::Model) -> v1::CaseNote {
    v1::CaseNote {
        id: row.id.to_string(),
        case_id: row.case_id.to_string(),
        author: row.author.clone(),
        text: row.text.clone(),
        create_time: Some(timestamp(row.created_at)),
    }
}

pub fn next_step_to_wire(row: &case_next_step::Model) -> v1::NextStep {
    v1::NextStep {
        id: row.id.to_string(),
        case_id: row.case_id.to_string(),
        text: row.text.clone(),
        due_on: row.due_on.to_string(),
        done: row.done,
        create_time: Some(timestamp(row.created_at)),
        done_time: row.done_at.map(timestamp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn household(label: &str, main: &str, members: &[String]) -> v1::Case {
        v1::Case {
            subject: Some(v1::case::Subject::Household(v1::Household {
                label: label.into(),
                main_member_id: main.into(),
                member_ids: members.to_vec(),
            })),
            title: "Housing".into(),
            caseworker: "Sanne".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_household_is_its_members_or_a_label_with_its_main_member() {
        let main = Uuid::now_v7().to_string();
        let other = Uuid::now_v7().to_string();
        let (row, named) = case_from_wire(
            household("", "", &[main.clone(), other.clone()]),
            Uuid::now_v7(),
        )
        .unwrap();
        assert!(row.is_household);
        assert_eq!(named.len(), 2);
        let (row, named) =
            case_from_wire(household("The Hassan family", &main, &[]), Uuid::now_v7()).unwrap();
        assert_eq!(row.member_id.map(|id| id.to_string()), Some(main));
        assert_eq!(named.len(), 1);
        let error =
            case_from_wire(household("The Hassan family", "", &[]), Uuid::now_v7()).unwrap_err();
        assert!(error.to_string().starts_with("case.household:"), "{error}");
        let error = case_from_wire(household("The Hassan family", "", &[other]), Uuid::now_v7())
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("case.household.main_member_id:"),
            "{error}"
        );
    }

    #[test]
    fn an_expert_has_one_to_twenty_topic_slugs() {
        let named = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            topics("topics", &named(&["taxes", "housing", "taxes"])).unwrap(),
            named(&["housing", "taxes"])
        );
        assert!(topics("topics", &[]).is_err());
        let error = topics("topics", &named(&["Housing"])).unwrap_err();
        assert!(error.to_string().starts_with("topics[0]:"), "{error}");
    }
}
