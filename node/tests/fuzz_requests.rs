//! Bad requests, as a broken or hostile client sends them: random bytes, a good
//! request with a byte flipped or cut short, members with names a megabyte long,
//! control characters, 30 February, enum numbers no build knows. The node decodes
//! each with prost and checks it with the functions its handlers call before they
//! touch storage; nothing panics, and every refusal is INVALID_ARGUMENT and names
//! the field that is wrong (`member.profile.display_name`), so a client can point
//! at it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use passage_node::convert::{
    self, casework, coaching, events, groups,
    market::{self, RowStamp},
    member::{self, RowIdentity},
};
use passage_node::error::Error;
use passage_node::store::PageRequest;
use passage_node::validate;
use passage_proto::v1;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use prost::Message;
use prost_types::{FieldMask, Timestamp};
use tonic::{Code, Status};
use uuid::Uuid;

// What each handler checks before it reads or writes storage, in its order.

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn identity() -> RowIdentity {
    RowIdentity {
        id: Uuid::now_v7(),
        home_region: "amsterdam".into(),
        created_at: now(),
        updated_at: now(),
    }
}

fn stamp() -> RowStamp {
    RowStamp {
        id: Uuid::now_v7(),
        created_at: now(),
        updated_at: now(),
    }
}

fn create_member(request: v1::CreateMemberRequest) -> Result<(), Error> {
    let wire = request
        .member
        .ok_or_else(|| Error::invalid("member", "must be set"))?;
    member::to_row(&wire, "member", identity()).map(drop)
}

/// Amal, as she is stored before an update.
fn amal() -> v1::Member {
    v1::Member {
        id: Uuid::now_v7().to_string(),
        profile: Some(v1::SharedProfile {
            display_name: "Amal H.".into(),
            profession: "nurse".into(),
            sectors: vec!["healthcare".into()],
            skills: vec!["elderly care".into()],
            languages: vec!["ar".into(), "nl".into()],
            experience_years: 6,
            available_hours_per_week: 24,
            ..Default::default()
        }),
        regional: Some(v1::RegionalRecord {
            role: v1::MemberRole::Newcomer as i32,
            residence_status: v1::ResidenceStatus::StatusHolder as i32,
            nationality: "SY".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// An update as the node applies it to a stored member: the mask onto the stored
/// member, then the whole member checked again.
fn change_stored_member(incoming: &v1::Member, paths: &[String]) -> Result<(), Error> {
    let stored = member::to_row(&amal(), "member", identity()).unwrap();
    let mut wire = member::to_wire(&stored);
    member::apply_mask(&mut wire, incoming, paths)?;
    member::to_row(&wire, "member", identity()).map(drop)
}

fn update_member(request: v1::UpdateMemberRequest) -> Result<(), Error> {
    let incoming = request
        .member
        .ok_or_else(|| Error::invalid("member", "must be set"))?;
    validate::id("member.id", &incoming.id)?;
    let paths = convert::mask_paths(request.update_mask.as_ref())?;
    change_stored_member(&incoming, &paths)
}

/// A batch names a field under `requests[i]`.
fn within(index: usize, error: Error) -> Error {
    match error {
        Error::InvalidArgument {
            field,
            reason,
            refusal,
        } => Error::InvalidArgument {
            field: format!("requests[{index}].{field}"),
            reason,
            refusal,
        },
        other => other,
    }
}

fn batch_update_members(request: v1::BatchUpdateMembersRequest) -> Result<(), Error> {
    let requests = request.requests;
    if requests.is_empty() || requests.len() > 1000 {
        return Err(Error::invalid("requests", "must hold 1 to 1000 updates"));
    }
    for (index, request) in requests.into_iter().enumerate() {
        let incoming = request
            .member
            .ok_or_else(|| Error::invalid(format!("requests[{index}].member"), "must be set"))?;
        validate::id(&format!("requests[{index}].member.id"), &incoming.id)?;
        let paths =
            convert::mask_paths(request.update_mask.as_ref()).map_err(|e| within(index, e))?;
        change_stored_member(&incoming, &paths).map_err(|e| within(index, e))?;
    }
    Ok(())
}

fn list_members(request: v1::ListMembersRequest) -> Result<(), Error> {
    PageRequest::parse(request.page_size, &request.page_token)?;
    convert::enums::filter::<v1::MemberRole>("role", request.role).map(drop)
}

fn create_organisation(request: v1::CreateOrganisationRequest) -> Result<(), Error> {
    let wire = request
        .organisation
        .ok_or_else(|| Error::invalid("organisation", "must be set"))?;
    market::organisation_to_row(&wire, "organisation", stamp()).map(drop)
}

fn create_opportunity(request: v1::CreateOpportunityRequest) -> Result<(), Error> {
    let wire = request
        .opportunity
        .ok_or_else(|| Error::invalid("opportunity", "must be set"))?;
    let row = market::opportunity_to_row(&wire, "opportunity", stamp())?;
    if row.status != "draft" {
        return Err(Error::invalid(
            "opportunity.status",
            "a new opportunity starts as OPPORTUNITY_STATUS_DRAFT",
        ));
    }
    Ok(())
}

/// A care assistant's job at a nursing home, as it is stored before an update.
fn care_job() -> v1::Opportunity {
    v1::Opportunity {
        id: Uuid::now_v7().to_string(),
        organisation_id: Uuid::now_v7().to_string(),
        title: "Care assistant".into(),
        kind: v1::OpportunityKind::Job as i32,
        sector: "healthcare".into(),
        languages: vec!["nl".into()],
        hours_per_week: 24,
        paid: true,
        hourly_wage_cents: 1471,
        ..Default::default()
    }
}

fn update_opportunity(request: v1::UpdateOpportunityRequest) -> Result<(), Error> {
    let incoming = request
        .opportunity
        .ok_or_else(|| Error::invalid("opportunity", "must be set"))?;
    validate::id("opportunity.id", &incoming.id)?;
    let paths = convert::mask_paths(request.update_mask.as_ref())?;
    let mut wire = care_job();
    market::apply_opportunity_mask(&mut wire, &incoming, &paths)?;
    market::opportunity_to_row(&wire, "opportunity", stamp()).map(drop)
}

fn apply(request: v1::ApplyRequest) -> Result<(), Error> {
    validate::id("member_id", &request.member_id)?;
    validate::id("opportunity_id", &request.opportunity_id)?;
    validate::optional_text("motivation", &request.motivation, 2000).map(drop)
}

fn evaluate(request: v1::EvaluateRequest) -> Result<(), Error> {
    validate::optional_date("date", &request.date)?;
    validate::id("member_id", &request.member_id)?;
    validate::id("opportunity_id", &request.opportunity_id).map(drop)
}

fn open_case(request: v1::OpenCaseRequest) -> Result<(), Error> {
    let case = request
        .r#case
        .ok_or_else(|| Error::invalid("case", "must be set"))?;
    casework::case_from_wire(case, Uuid::now_v7()).map(drop)
}

fn add_case_note(request: v1::AddCaseNoteRequest) -> Result<(), Error> {
    let case_id = validate::id("case_id", &request.case_id)?;
    casework::note_from_wire(case_id, &request.author, &request.text, now()).map(drop)
}

fn ask_question(request: v1::AskQuestionRequest) -> Result<(), Error> {
    validate::id("asker_member_id", &request.asker_member_id)?;
    validate::language("language", &request.language)?;
    validate::required_text("topic", &request.topic, 100)?;
    validate::required_text("text", &request.text, 4000).map(drop)
}

fn create_event(request: v1::CreateEventRequest) -> Result<(), Error> {
    let wire = request
        .event
        .ok_or_else(|| Error::invalid("event", "must be set"))?;
    events::event_to_row(&wire, "event", Uuid::now_v7(), now()).map(drop)
}

fn create_group(request: v1::CreateGroupRequest) -> Result<(), Error> {
    let wire = request
        .group
        .ok_or_else(|| Error::invalid("group", "must be set"))?;
    groups::group_to_row(&wire, "group", Uuid::now_v7(), now()).map(drop)
}

fn create_programme(request: v1::CreateProgrammeRequest) -> Result<(), Error> {
    let programme = request
        .programme
        .ok_or_else(|| Error::invalid("programme", "must be set"))?;
    coaching::programme_from_wire(programme, Uuid::now_v7()).map(drop)
}

fn create_cohort(request: v1::CreateCohortRequest) -> Result<(), Error> {
    let cohort = request
        .cohort
        .ok_or_else(|| Error::invalid("cohort", "must be set"))?;
    let programme_id = validate::id("cohort.programme_id", &cohort.programme_id)?;
    coaching::cohort_from_wire(&cohort, programme_id, Uuid::now_v7()).map(drop)
}

// The fields each request may name in a refusal (indices left out).

const MEMBER: &[&str] = &[
    "member",
    "member.id",
    "member.profile.display_name",
    "member.profile.profession",
    "member.profile.sectors",
    "member.profile.skills",
    "member.profile.languages",
    "member.profile.education_level",
    "member.profile.experience_years",
    "member.profile.available_hours_per_week",
    "member.regional.role",
    "member.regional.residence_status",
    "member.regional.asylum_application_date",
    "member.regional.permits",
    "member.regional.permits.kind",
    "member.regional.permits.valid_until",
    "member.regional.civic_integration",
    "member.regional.nationality",
    "member.regional.asylum_clock_stopped_days",
    "member.regional.buddy_capacity",
    "update_mask",
];
const LIST_MEMBERS: &[&str] = &["page_size", "page_token", "role"];
const ORGANISATION: &[&str] = &[
    "organisation",
    "organisation.name",
    "organisation.kind",
    "organisation.sector",
    "organisation.location",
    "organisation.website",
];
const OPPORTUNITY: &[&str] = &[
    "opportunity",
    "opportunity.id",
    "opportunity.organisation_id",
    "opportunity.title",
    "opportunity.description",
    "opportunity.kind",
    "opportunity.sector",
    "opportunity.skills",
    "opportunity.languages",
    "opportunity.hours_per_week",
    "opportunity.location",
    "opportunity.status",
    "opportunity.hourly_wage_cents",
    "update_mask",
];
const APPLY: &[&str] = &["member_id", "opportunity_id", "motivation"];
const EVALUATE: &[&str] = &["date", "member_id", "opportunity_id"];
const CASE: &[&str] = &[
    "case",
    "case.title",
    "case.caseworker",
    "case.subject",
    "case.member_id",
    "case.household",
    "case.household.label",
    "case.household.main_member_id",
    "case.household.member_ids",
];
const CASE_NOTE: &[&str] = &["case_id", "author", "text"];
const QUESTION: &[&str] = &["asker_member_id", "language", "topic", "text"];
const EVENT: &[&str] = &[
    "event",
    "event.kind",
    "event.title",
    "event.description",
    "event.start_time",
    "event.end_time",
    "event.place",
    "event.capacity",
    "event.languages",
];
const GROUP: &[&str] = &[
    "group",
    "group.kind",
    "group.name",
    "group.description",
    "group.sector",
    "group.languages",
    "group.meeting_place",
];
const PROGRAMME: &[&str] = &[
    "programme",
    "programme.name",
    "programme.description",
    "programme.mandatory_components",
    "programme.aftercare_months",
];
const COHORT: &[&str] = &[
    "cohort",
    "cohort.programme_id",
    "cohort.year",
    "cohort.starts_on",
    "cohort.ends_on",
    "cohort.capacity",
];

/// `requests[3].member.profile.skills[0]` → `requests.member.profile.skills`.
fn without_indices(field: &str) -> String {
    let mut plain = String::with_capacity(field.len());
    let mut in_index = false;
    for c in field.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            c if !in_index => plain.push(c),
            _ => {}
        }
    }
    plain
}

/// A refusal is INVALID_ARGUMENT, names one of `fields`, and says why.
fn assert_names_a_field(request: &str, error: Error, fields: &[&str]) {
    let Error::InvalidArgument { field, reason, .. } = &error else {
        panic!("{request}: refused as something other than INVALID_ARGUMENT: {error:?}");
    };
    let plain = without_indices(field);
    let named = fields.contains(&plain.as_str())
        || (request == "BatchUpdateMembersRequest"
            && (plain == "requests"
                || plain
                    .strip_prefix("requests.")
                    .is_some_and(|inner| MEMBER.contains(&inner))));
    assert!(
        named,
        "{request}: names {field:?}, not a field of the request"
    );
    assert!(
        !reason.trim().is_empty(),
        "{request}: {field} with no reason"
    );
    let (field, reason) = (field.clone(), reason.clone());
    let status = Status::from(error);
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(status.message(), format!("{field}: {reason}"));
    // The message travels back in a header: what was sent is quoted, not echoed whole.
    assert!(
        status.message().len() <= 1500,
        "{request}: a refusal of {} bytes: {}…",
        status.message().len(),
        status.message().chars().take(200).collect::<String>()
    );
}

/// One kind of request: decodes `bytes` and, when they decode, checks the request.
struct Kind {
    name: &'static str,
    fields: &'static [&'static str],
    check: fn(&[u8]) -> Option<Result<(), Error>>,
}

fn decoded<R: Message + Default>(
    bytes: &[u8],
    check: fn(R) -> Result<(), Error>,
) -> Option<Result<(), Error>> {
    R::decode(bytes).ok().map(check)
}

const KINDS: &[Kind] = &[
    Kind {
        name: "CreateMemberRequest",
        fields: MEMBER,
        check: |b| decoded(b, create_member),
    },
    Kind {
        name: "UpdateMemberRequest",
        fields: MEMBER,
        check: |b| decoded(b, update_member),
    },
    Kind {
        name: "BatchUpdateMembersRequest",
        fields: &[],
        check: |b| decoded(b, batch_update_members),
    },
    Kind {
        name: "ListMembersRequest",
        fields: LIST_MEMBERS,
        check: |b| decoded(b, list_members),
    },
    Kind {
        name: "CreateOrganisationRequest",
        fields: ORGANISATION,
        check: |b| decoded(b, create_organisation),
    },
    Kind {
        name: "CreateOpportunityRequest",
        fields: OPPORTUNITY,
        check: |b| decoded(b, create_opportunity),
    },
    Kind {
        name: "UpdateOpportunityRequest",
        fields: OPPORTUNITY,
        check: |b| decoded(b, update_opportunity),
    },
    Kind {
        name: "ApplyRequest",
        fields: APPLY,
        check: |b| decoded(b, apply),
    },
    Kind {
        name: "EvaluateRequest",
        fields: EVALUATE,
        check: |b| decoded(b, evaluate),
    },
    Kind {
        name: "OpenCaseRequest",
        fields: CASE,
        check: |b| decoded(b, open_case),
    },
    Kind {
        name: "AddCaseNoteRequest",
        fields: CASE_NOTE,
        check: |b| decoded(b, add_case_note),
    },
    Kind {
        name: "AskQuestionRequest",
        fields: QUESTION,
        check: |b| decoded(b, ask_question),
    },
    Kind {
        name: "CreateEventRequest",
        fields: EVENT,
        check: |b| decoded(b, create_event),
    },
    Kind {
        name: "CreateGroupRequest",
        fields: GROUP,
        check: |b| decoded(b, create_group),
    },
    Kind {
        name: "CreateProgrammeRequest",
        fields: PROGRAMME,
        check: |b| decoded(b, create_programme),
    },
    Kind {
        name: "CreateCohortRequest",
        fields: COHORT,
        check: |b| decoded(b, create_cohort),
    },
];

fn assert_checked_by_field(kind: &Kind, bytes: &[u8]) {
    if let Some(Err(error)) = (kind.check)(bytes) {
        assert_names_a_field(kind.name, error, kind.fields);
    }
}

fn time(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

/// A request of each kind that the node accepts, as a client encodes it.
fn good_requests() -> Vec<(usize, Vec<u8>)> {
    let id = || Uuid::now_v7().to_string();
    let mask = |paths: &[&str]| {
        Some(FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        })
    };
    let update = v1::UpdateMemberRequest {
        member: Some(v1::Member {
            regional: Some(v1::RegionalRecord {
                asylum_application_date: "2024-03-01".into(),
                permits: vec![v1::Permit {
                    kind: "twv".into(),
                    valid_until: "2027-01-31".into(),
                }],
                ..Default::default()
            }),
            ..amal()
        }),
        update_mask: mask(&["regional.permits", "profile.skills"]),
    };
    let requests: Vec<Vec<u8>> = vec![
        v1::CreateMemberRequest {
            member: Some(amal()),
        }
        .encode_to_vec(),
        update.encode_to_vec(),
        v1::BatchUpdateMembersRequest {
            requests: vec![update.clone(), update],
        }
        .encode_to_vec(),
        v1::ListMembersRequest {
            page_size: 20,
            page_token: String::new(),
            role: 1,
        }
        .encode_to_vec(),
        v1::CreateOrganisationRequest {
            organisation: Some(v1::Organisation {
                name: "Zorggroep Amstel".into(),
                kind: v1::OrganisationKind::Employer as i32,
                sector: "healthcare".into(),
                website: "https://zorggroep.example".into(),
                ..Default::default()
            }),
        }
        .encode_to_vec(),
        v1::CreateOpportunityRequest {
            opportunity: Some(care_job()),
        }
        .encode_to_vec(),
        v1::UpdateOpportunityRequest {
            opportunity: Some(v1::Opportunity {
                hours_per_week: 32,
                ..care_job()
            }),
            update_mask: mask(&["hours_per_week"]),
        }
        .encode_to_vec(),
        v1::ApplyRequest {
            member_id: id(),
            opportunity_id: id(),
            motivation: "Ik werk graag met ouderen.".into(),
        }
        .encode_to_vec(),
        v1::EvaluateRequest {
            member_id: id(),
            opportunity_id: id(),
            date: "2026-11-24".into(),
        }
        .encode_to_vec(),
        v1::OpenCaseRequest {
            r#case: Some(v1::Case {
                title: "Housing after the reception centre".into(),
                caseworker: "Femke".into(),
                subject: Some(v1::case::Subject::Household(v1::Household {
                    label: "Haddad family".into(),
                    main_member_id: id(),
                    member_ids: vec![id(), id()],
                })),
                ..Default::default()
            }),
        }
        .encode_to_vec(),
        v1::AddCaseNoteRequest {
            case_id: id(),
            author: "Femke".into(),
            text: "Called the housing office.\nAppointment on Monday.".into(),
        }
        .encode_to_vec(),
        v1::AskQuestionRequest {
            asker_member_id: id(),
            language: "ar".into(),
            topic: "taxes".into(),
            text: "Do I need to file a tax return for my first year?".into(),
        }
        .encode_to_vec(),
        v1::CreateEventRequest {
            event: Some(v1::Event {
                kind: 1,
                title: "Job fair: care and cleaning".into(),
                start_time: time(1_795_000_000),
                end_time: time(1_795_010_000),
                place: "Library, Oosterdok".into(),
                capacity: 80,
                languages: vec!["nl".into(), "ar".into()],
                ..Default::default()
            }),
        }
        .encode_to_vec(),
        v1::CreateGroupRequest {
            group: Some(v1::Group {
                kind: 1,
                name: "Dutch conversation, Tuesdays".into(),
                languages: vec!["nl".into()],
                ..Default::default()
            }),
        }
        .encode_to_vec(),
        v1::CreateProgrammeRequest {
            programme: Some(v1::CoachingProgramme {
                name: "Route to work".into(),
                mandatory_components: vec![1, 2],
                aftercare_months: 6,
                ..Default::default()
            }),
        }
        .encode_to_vec(),
        v1::CreateCohortRequest {
            cohort: Some(v1::Cohort {
                programme_id: id(),
                year: 2026,
                starts_on: "2026-09-01".into(),
                ends_on: "2027-03-31".into(),
                capacity: 24,
                ..Default::default()
            }),
        }
        .encode_to_vec(),
    ];
    requests.into_iter().enumerate().collect()
}

/// One corruption of an encoded request.
#[derive(Debug, Clone)]
enum Corruption {
    Flip(Index, u8),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Remove(Index, usize),
}

fn corruption() -> impl Strategy<Value = Corruption> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Corruption::Flip(i, b)),
        any::<Index>().prop_map(Corruption::Truncate),
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Corruption::Insert(i, b)),
        (any::<Index>(), 1..8usize).prop_map(|(i, n)| Corruption::Remove(i, n)),
    ]
}

fn corrupt(bytes: &mut Vec<u8>, corruption: &Corruption) {
    let at = |index: &Index, len: usize| if len == 0 { 0 } else { index.index(len) };
    match corruption {
        Corruption::Flip(index, byte) if !bytes.is_empty() => {
            let i = at(index, bytes.len());
            bytes[i] = *byte;
        }
        Corruption::Flip(..) => {}
        Corruption::Truncate(index) => bytes.truncate(at(index, bytes.len() + 1)),
        Corruption::Insert(index, inserted) => {
            let i = at(index, bytes.len() + 1);
            bytes.splice(i..i, inserted.iter().copied());
        }
        Corruption::Remove(index, count) => {
            let i = at(index, bytes.len() + 1);
            let end = (i + count).min(bytes.len());
            bytes.drain(i..end);
        }
    }
}

// Values a client may send in a text field.

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(&[
            "", " ", "Amal", "  Amal H.  ", "healthcare", "it-and-data", "nl", "ar", "NL", "SY", "sy", "XK", "ZZ",
            "2023-02-30", "2026-11-24", "2099-01-01", "0000-01-01", "+10000-01-01", "-0001-12-31", "2026-1-5",
            "https://example.org", "javascript:alert(1)", "http://", "p1.", "p1.0190c3a4e0f07a3c9b1d2e3f40516273",
            "0190c3a4-e0f0-7a3c-9b1d-2e3f40516273", "00000000-0000-0000-0000-000000000000", "{0190c3a4-e0f0-7a3c-9b1d-2e3f40516273}",
            "\u{202e}evil", "zero\u{200b}width", "emoji 🙂", "line\nbreak", "tab\there", "nul\u{0}byte", "\u{85}", "\r\n",
        ][..]).prop_map(str::to_owned),
        2 => "\\PC{0,40}",
        2 => "(?s).{0,40}",
        1 => (select(&['a', 'é', '🙂', ' ', '\n', '\u{7}'][..]), 100..12_000usize)
            .prop_map(|(c, n)| std::iter::repeat_n(c, n).collect()),
    ]
}

fn texts() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        4 => prop::collection::vec(text(), 0..6),
        1 => prop::collection::vec(text(), 15..70),
    ]
}

fn number() -> impl Strategy<Value = i32> {
    prop_oneof![3 => -3..100i32, 1 => any::<i32>(), 1 => Just(i32::MIN), 1 => Just(i32::MAX)]
}

fn enum_number() -> impl Strategy<Value = i32> {
    prop_oneof![4 => 0..12i32, 1 => any::<i32>()]
}

fn timestamp() -> impl Strategy<Value = Option<Timestamp>> {
    prop_oneof![
        1 => Just(None),
        3 => (prop_oneof![1_700_000_000..1_900_000_000i64, any::<i64>(), Just(i64::MIN), Just(i64::MAX)],
              prop_oneof![Just(0), any::<i32>(), 999_999_000..1_000_000_100i32])
            .prop_map(|(seconds, nanos)| Some(Timestamp { seconds, nanos })),
    ]
}

fn permit() -> impl Strategy<Value = v1::Permit> {
    (text(), text()).prop_map(|(kind, valid_until)| v1::Permit { kind, valid_until })
}

fn member() -> impl Strategy<Value = v1::Member> {
    let profile = (
        (text(), text(), texts(), texts(), texts()),
        (enum_number(), number(), number(), any::<bool>()),
    )
        .prop_map(
            |(
                (display_name, profession, sectors, skills, languages),
                (education_level, experience_years, available_hours_per_week, share_across_regions),
            )| {
                v1::SharedProfile {
                    display_name,
                    home_region: "amsterdam".into(),
                    profession,
                    sectors,
                    skills,
                    languages,
                    education_level,
                    experience_years,
                    available_hours_per_week,
                    share_across_regions,
                }
            },
        );
    let regional = (
        (
            enum_number(),
            enum_number(),
            text(),
            prop::collection::vec(permit(), 0..4),
            enum_number(),
        ),
        (text(), any::<bool>(), any::<bool>(), number(), number()),
        (any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(
                (role, residence_status, asylum_application_date, permits, civic_integration),
                (
                    nationality,
                    safe_country_national,
                    in_reception_centre,
                    asylum_clock_stopped_days,
                    buddy_capacity,
                ),
                (in_school_programme, identity_unclear),
            )| {
                v1::RegionalRecord {
                    role,
                    residence_status,
                    asylum_application_date,
                    permits,
                    civic_integration,
                    nationality,
                    safe_country_national,
                    in_reception_centre,
                    asylum_clock_stopped_days,
                    buddy_capacity,
                    in_school_programme,
                    identity_unclear,
                }
            },
        );
    (
        text(),
        prop::option::weighted(0.9, profile),
        prop::option::weighted(0.9, regional),
    )
        .prop_map(|(id, profile, regional)| v1::Member {
            id,
            profile,
            regional,
            ..Default::default()
        })
}

fn mask_path() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(member::UPDATABLE).prop_map(str::to_owned),
        1 => select(&["profile.home_region", "id", "create_time", "", "regional.*", "profile."][..]).prop_map(str::to_owned),
        1 => text(),
    ]
}

fn opportunity() -> impl Strategy<Value = v1::Opportunity> {
    (
        (text(), text(), text(), text(), enum_number(), text()),
        (
            texts(),
            texts(),
            number(),
            any::<bool>(),
            text(),
            enum_number(),
        ),
        (any::<bool>(), prop_oneof![0..2_000_000i64, any::<i64>()]),
    )
        .prop_map(
            |(
                (id, organisation_id, title, description, kind, sector),
                (skills, languages, hours_per_week, paid, location, status),
                (self_employment, hourly_wage_cents),
            )| {
                v1::Opportunity {
                    id,
                    organisation_id,
                    title,
                    description,
                    kind,
                    sector,
                    skills,
                    languages,
                    hours_per_week,
                    paid,
                    location,
                    status,
                    self_employment,
                    hourly_wage_cents,
                    ..Default::default()
                }
            },
        )
}

fn case() -> impl Strategy<Value = v1::Case> {
    let subject = prop_oneof![
        1 => Just(None),
        2 => text().prop_map(|id| Some(v1::case::Subject::MemberId(id))),
        3 => (text(), text(), texts()).prop_map(|(label, main_member_id, member_ids)| {
            Some(v1::case::Subject::Household(v1::Household { label, main_member_id, member_ids }))
        }),
    ];
    (text(), text(), subject).prop_map(|(title, caseworker, subject)| v1::Case {
        title,
        caseworker,
        subject,
        ..Default::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_decode_or_not_and_what_decodes_is_refused_by_field(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        for kind in KINDS {
            assert_checked_by_field(kind, &bytes);
        }
    }

    #[test]
    fn a_good_request_with_bytes_corrupted_is_refused_by_field(
        which in any::<Index>(),
        corruptions in prop::collection::vec(corruption(), 1..4),
    ) {
        let requests = good_requests();
        let (kind, mut bytes) = requests[which.index(requests.len())].clone();
        prop_assert!((KINDS[kind].check)(&bytes).is_some_and(|checked| checked.is_ok()), "{} is refused uncorrupted", KINDS[kind].name);
        for corruption in &corruptions {
            corrupt(&mut bytes, corruption);
        }
        assert_checked_by_field(&KINDS[kind], &bytes);
    }

    #[test]
    fn any_new_member_is_stored_checked_or_refused_by_field(member in member()) {
        let fields = MEMBER;
        match create_member(v1::CreateMemberRequest { member: Some(member) }) {
            Ok(()) => {}
            Err(error) => assert_names_a_field("CreateMemberRequest", error, fields),
        }
    }

    #[test]
    fn a_stored_member_checked_as_a_new_one_keeps_clean_text(member in member()) {
        if let Ok(row) = member::to_row(&member, "member", identity()) {
            let name = row.display_name.chars().count();
            prop_assert!((1..=120).contains(&name), "display name of {name} characters");
            prop_assert_eq!(row.display_name.trim(), row.display_name.as_str());
            prop_assert!(!row.display_name.chars().any(|c| c.is_control() && c != '\n'));
            prop_assert!(row.nationality.is_empty() || row.nationality.len() == 2);
        }
    }

    #[test]
    fn any_member_update_is_applied_checked_or_refused_by_field(
        member in member(),
        paths in prop::collection::vec(mask_path(), 0..5),
        with_mask in any::<bool>(),
    ) {
        let request = v1::UpdateMemberRequest {
            member: Some(v1::Member { id: Uuid::now_v7().to_string(), ..member }),
            update_mask: with_mask.then_some(FieldMask { paths }),
        };
        if let Err(error) = update_member(request.clone()) {
            assert_names_a_field("UpdateMemberRequest", error, MEMBER);
        }
        let batch = v1::BatchUpdateMembersRequest { requests: vec![update_ok(), request] };
        if let Err(error) = batch_update_members(batch) {
            assert_names_a_field("BatchUpdateMembersRequest", error, &[]);
        }
    }

    #[test]
    fn any_opportunity_is_checked_or_refused_by_field(
        opportunity in opportunity(),
        paths in prop::collection::vec(
            prop_oneof![3 => select(market::OPPORTUNITY_UPDATABLE).prop_map(str::to_owned), 1 => text()],
            0..4,
        ),
    ) {
        let create = v1::CreateOpportunityRequest { opportunity: Some(opportunity.clone()) };
        if let Err(error) = create_opportunity(create) {
            assert_names_a_field("CreateOpportunityRequest", error, OPPORTUNITY);
        }
        let update = v1::UpdateOpportunityRequest {
            opportunity: Some(v1::Opportunity { id: Uuid::now_v7().to_string(), ..opportunity }),
            update_mask: Some(FieldMask { paths }),
        };
        if let Err(error) = update_opportunity(update) {
            assert_names_a_field("UpdateOpportunityRequest", error, OPPORTUNITY);
        }
    }

    #[test]
    fn any_case_note_question_or_application_is_checked_or_refused_by_field(
        case in case(),
        ids in prop::collection::vec(prop_oneof![1 => text(), 1 => Just(Uuid::now_v7().to_string())], 3),
        texts in prop::collection::vec(text(), 4),
    ) {
        if let Err(error) = open_case(v1::OpenCaseRequest { r#case: Some(case) }) {
            assert_names_a_field("OpenCaseRequest", error, CASE);
        }
        let note = v1::AddCaseNoteRequest { case_id: ids[0].clone(), author: texts[0].clone(), text: texts[1].clone() };
        if let Err(error) = add_case_note(note) {
            assert_names_a_field("AddCaseNoteRequest", error, CASE_NOTE);
        }
        let question = v1::AskQuestionRequest {
            asker_member_id: ids[1].clone(),
            language: texts[2].clone(),
            topic: texts[3].clone(),
            text: texts[1].clone(),
        };
        if let Err(error) = ask_question(question) {
            assert_names_a_field("AskQuestionRequest", error, QUESTION);
        }
        let application = v1::ApplyRequest { member_id: ids[1].clone(), opportunity_id: ids[2].clone(), motivation: texts[0].clone() };
        if let Err(error) = apply(application) {
            assert_names_a_field("ApplyRequest", error, APPLY);
        }
        let evaluation = v1::EvaluateRequest { member_id: ids[1].clone(), opportunity_id: ids[2].clone(), date: texts[2].clone() };
        if let Err(error) = evaluate(evaluation) {
            assert_names_a_field("EvaluateRequest", error, EVALUATE);
        }
    }

    #[test]
    fn any_event_group_programme_or_cohort_is_checked_or_refused_by_field(
        (start_time, end_time) in (timestamp(), timestamp()),
        names in prop::collection::vec(text(), 4),
        languages in texts(),
        numbers in prop::collection::vec(number(), 4),
        kinds in prop::collection::vec(enum_number(), 4),
    ) {
        let event = v1::Event {
            kind: kinds[0],
            title: names[0].clone(),
            description: names[1].clone(),
            start_time,
            end_time,
            place: names[2].clone(),
            capacity: numbers[0],
            languages: languages.clone(),
            ..Default::default()
        };
        if let Err(error) = create_event(v1::CreateEventRequest { event: Some(event) }) {
            assert_names_a_field("CreateEventRequest", error, EVENT);
        }
        let group = v1::Group {
            kind: kinds[1],
            name: names[0].clone(),
            description: names[1].clone(),
            sector: names[3].clone(),
            languages,
            meeting_place: names[2].clone(),
            ..Default::default()
        };
        if let Err(error) = create_group(v1::CreateGroupRequest { group: Some(group) }) {
            assert_names_a_field("CreateGroupRequest", error, GROUP);
        }
        let programme = v1::CoachingProgramme {
            name: names[0].clone(),
            description: names[1].clone(),
            mandatory_components: kinds.clone(),
            aftercare_months: numbers[1],
            ..Default::default()
        };
        if let Err(error) = create_programme(v1::CreateProgrammeRequest { programme: Some(programme) }) {
            assert_names_a_field("CreateProgrammeRequest", error, PROGRAMME);
        }
        let cohort = v1::Cohort {
            programme_id: names[3].clone(),
            year: numbers[2],
            starts_on: names[1].clone(),
            ends_on: names[2].clone(),
            capacity: numbers[3],
            ..Default::default()
        };
        if let Err(error) = create_cohort(v1::CreateCohortRequest { cohort: Some(cohort) }) {
            assert_names_a_field("CreateCohortRequest", error, COHORT);
        }
    }

    #[test]
    fn any_page_request_is_read_or_refused_by_field(
        page_size in any::<i32>(),
        page_token in text(),
        role in enum_number(),
    ) {
        if let Err(error) = list_members(v1::ListMembersRequest { page_size, page_token, role }) {
            assert_names_a_field("ListMembersRequest", error, LIST_MEMBERS);
        }
    }
}

/// An update the node accepts, first in a batch so a refusal names `requests[1]`.
fn update_ok() -> v1::UpdateMemberRequest {
    v1::UpdateMemberRequest {
        member: Some(v1::Member {
            profile: Some(v1::SharedProfile {
                available_hours_per_week: 32,
                ..Default::default()
            }),
            ..amal()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["profile.available_hours_per_week".into()],
        }),
    }
}

#[test]
fn every_good_request_is_accepted() {
    for (kind, bytes) in good_requests() {
        let checked = (KINDS[kind].check)(&bytes).expect(KINDS[kind].name);
        assert!(checked.is_ok(), "{}: {checked:?}", KINDS[kind].name);
    }
}

#[test]
fn an_asylum_application_dated_30_february_is_refused_naming_the_date() {
    let mut member = amal();
    member.regional.as_mut().unwrap().asylum_application_date = "2023-02-30".into();
    let error = create_member(v1::CreateMemberRequest {
        member: Some(member),
    })
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "member.regional.asylum_application_date: \"2023-02-30\" is not a date of the form YYYY-MM-DD"
    );
}

#[test]
fn a_megabyte_of_sector_is_refused_with_a_short_message() {
    // The refusal travels back in the `grpc-message` header; clients take 16 KiB.
    let mut member = amal();
    member.profile.as_mut().unwrap().sectors = vec!["é".repeat(1 << 20)];
    let error = create_member(v1::CreateMemberRequest {
        member: Some(member),
    })
    .unwrap_err();
    let status = Status::from(error);
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .starts_with("member.profile.sectors[0]: \"éééé"),
        "{}",
        status.message()
    );
    assert!(
        status
            .message()
            .contains("(1048576 characters) is not a slug")
    );
    assert!(status.message().len() < 200, "{}", status.message().len());
}

/// Text that looks like CSV: cells, both separators, quotes, line ends of every
/// kind, blank lines, a byte-order mark and bytes that are not UTF-8.
fn csv_like() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        select(vec![
            &b"a"[..],
            b"Zo\xEB",
            b",",
            b";",
            b"\"",
            b"\n",
            b"\r\n",
            b"\r",
            b" ",
            b"|",
            b"\xEF\xBB\xBF",
            "é".as_bytes(),
        ]),
        0..80,
    )
    .prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// An uploaded file is read or refused as a whole naming `file`, never a
    /// panic; the lines read are numbered after the header, in order.
    #[test]
    fn any_uploaded_file_is_read_or_refused_naming_the_file(bytes in csv_like()) {
        use passage_node::spreadsheets::csv_file;
        match csv_file::read(&bytes) {
            Ok(sheet) => {
                let numbers: Vec<u32> = sheet.lines.iter().map(|(line, _)| *line).collect();
                prop_assert!(numbers.iter().all(|&line| line >= 2), "{numbers:?}");
                prop_assert!(numbers.windows(2).all(|pair| pair[0] < pair[1]), "{numbers:?}");
            }
            Err(Error::InvalidArgument { field, .. }) => prop_assert_eq!(field, "file"),
            Err(other) => prop_assert!(false, "{other}"),
        }
    }
}
