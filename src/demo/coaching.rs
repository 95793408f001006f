//! Demo coaching and casework for Amsterdam: a Refugee on Board-style programme
//! with its 2025 cohort (September to June, now in its six months of aftercare,
//! outcomes recorded, the coach's first aftercare call) and its 2026 cohort
//! (running), both coached by the chapter's volunteer coach, sessions with
//! attendance; an expert pool; and a few cases with notes and next steps. Everyone and everything
//! here is fictional. Built through the public API from the members the seed
//! created, so it passes the node's validation like a chapter's own input.

use anyhow::Context;
use passage_proto::v1::{
    self, CoachingComponent, CoachingOutcome, MemberRole, case_service_client::CaseServiceClient,
    coaching_service_client::CoachingServiceClient,
    expert_pool_service_client::ExpertPoolServiceClient,
    member_service_client::MemberServiceClient,
};
use tonic::transport::Channel;

use super::in_region;

/// The region the demo's coaching programme and cases are in.
pub const REGION: &str = "amsterdam";

/// Participants of the 2025 and of the 2026 cohort, at most.
const COHORT_2025: usize = 12;
const COHORT_2026: usize = 10;

/// Fills Amsterdam's coaching programme, expert pool and cases; other regions get
/// none (they run other programmes).
pub async fn seed(channel: Channel, region: &str) -> anyhow::Result<()> {
    if region != REGION {
        return Ok(());
    }
    let mut members = MemberServiceClient::new(channel.clone());
    let newcomers = own_members(&mut members, MemberRole::Newcomer).await?;
    let mut coaches = own_members(&mut members, MemberRole::VolunteerCoach).await?;
    coaches.extend(own_members(&mut members, MemberRole::Local).await?);
    let mut coaching = CoachingServiceClient::new(channel.clone());
    coaching_programme(&mut coaching, &newcomers, &coaches)
        .await
        .context("seeding Amsterdam's coaching programme")?;
    let mut experts = ExpertPoolServiceClient::new(channel.clone());
    expert_pool(&mut experts, &newcomers, &coaches)
        .await
        .context("seeding Amsterdam's expert pool")?;
    let mut cases = CaseServiceClient::new(channel);
    casework(&mut cases, &newcomers)
        .await
        .context("seeding Amsterdam's cases")?;
    Ok(())
}

/// The region's own members of `role`, as (id, display name), oldest first.
async fn own_members(
    client: &mut MemberServiceClient<Channel>,
    role: MemberRole,
) -> anyhow::Result<Vec<(String, String)>> {
    Ok(super::own_members(client, REGION, role)
        .await?
        .into_iter()
        .map(|member| {
            let name = member.profile.map(|p| p.display_name).unwrap_or_default();
            (member.id, name)
        })
        .collect())
}

/// A session of the demo's programme: component, day, topic, coach.
type SessionPlan = (CoachingComponent, &'static str, &'static str, &'static str);

const SESSIONS_2025: [SessionPlan; 14] = [
    (
        CoachingComponent::JobCoaching,
        "2025-09-08",
        "Intake: your work history and goals",
        "Marloes de Wit",
    ),
    (
        CoachingComponent::JobCoaching,
        "2025-09-22",
        "Your profession in the Netherlands",
        "Marloes de Wit",
    ),
    (
        CoachingComponent::Other,
        "2025-10-04",
        "Welcome dinner with the coaches",
        "Youssef El Amrani",
    ),
    (
        CoachingComponent::JobCoaching,
        "2025-10-20",
        "Networking: who do you know here?",
        "Youssef El Amrani",
    ),
    (
        CoachingComponent::ApplicationTraining,
        "2025-11-05",
        "A Dutch CV and motivation letter",
        "Ingrid Postma",
    ),
    (
        CoachingComponent::JobCoaching,
        "2025-11-17",
        "Finding vacancies and taster internships",
        "Marloes de Wit",
    ),
    (
        CoachingComponent::CommunicationTraining,
        "2025-12-03",
        "Small talk and directness at work",
        "Ingrid Postma",
    ),
    (
        CoachingComponent::JobCoaching,
        "2026-01-12",
        "Plans for the new year",
        "Youssef El Amrani",
    ),
    (
        CoachingComponent::ApplicationTraining,
        "2026-02-04",
        "Job interviews: practice with employers",
        "Ingrid Postma",
    ),
    (
        CoachingComponent::JobCoaching,
        "2026-03-02",
        "Stress, sleep and a working week",
        "Marloes de Wit",
    ),
    (
        CoachingComponent::CommunicationTraining,
        "2026-03-18",
        "Feedback, meetings and saying no",
        "Ingrid Postma",
    ),
    (
        CoachingComponent::Other,
        "2026-04-11",
        "Cycling lesson and picnic in the Westerpark",
        "Youssef El Amrani",
    ),
    (
        CoachingComponent::JobCoaching,
        "2026-05-11",
        "Contracts, payslips and the probation period",
        "Marloes de Wit",
    ),
    (
        CoachingComponent::JobCoaching,
        "2026-06-22",
        "Closing session: your next six months",
        "Marloes de Wit",
    ),
];

const SESSIONS_2026: [SessionPlan; 6] = [
    (
        CoachingComponent::JobCoaching,
        "2026-09-14",
        "Intake: your work history and goals",
        "Marloes de Wit",
    ),
    (
        CoachingComponent::JobCoaching,
        "2026-09-28",
        "Your profession in the Netherlands",
        "Youssef El Amrani",
    ),
    (
        CoachingComponent::Other,
        "2026-10-03",
        "Welcome dinner with the coaches",
        "Youssef El Amrani",
    ),
    (
        CoachingComponent::ApplicationTraining,
        "2026-10-14",
        "A Dutch CV and motivation letter",
        "Ingrid Postma",
    ),
    (
        CoachingComponent::JobCoaching,
        "2026-10-26",
        "Networking: who do you know here?",
        "Marloes de Wit",
    ),
    (
        CoachingComponent::JobCoaching,
        "2026-11-09",
        "Finding vacancies and taster internships",
        "Marloes de Wit",
    ),
];

/// Where the 2025 cohort's participants ended up, in enrolment order; the last
/// one's outcome is not recorded yet.
const OUTCOMES_2025: [(CoachingOutcome, &str, &str); 11] = [
    (
        CoachingOutcome::PaidJob,
        "2026-07-06",
        "Junior data analyst at a housing corporation, 32 hours",
    ),
    (
        CoachingOutcome::UnpaidRole,
        "2026-06-29",
        "Volunteer at the neighbourhood food bank, two mornings a week",
    ),
    (
        CoachingOutcome::PaidJob,
        "2026-08-17",
        "Electrician's mate at an installation company",
    ),
    (
        CoachingOutcome::Education,
        "2026-09-01",
        "MBO nursing (level 4), with a study loan",
    ),
    (
        CoachingOutcome::PaidJob,
        "2026-07-20",
        "Cook at a hotel restaurant, 28 hours",
    ),
    (
        CoachingOutcome::UnpaidRole,
        "2026-07-01",
        "Unpaid internship at a municipal district office",
    ),
    (
        CoachingOutcome::PaidJob,
        "2026-10-05",
        "Warehouse team lead, temporary contract",
    ),
    (
        CoachingOutcome::None,
        "2026-06-29",
        "Caring for a family member; back in touch in the new year",
    ),
    (
        CoachingOutcome::Education,
        "2026-09-01",
        "Pre-master in civil engineering",
    ),
    (
        CoachingOutcome::PaidJob,
        "2026-11-02",
        "Teaching assistant at a primary school",
    ),
    (
        CoachingOutcome::UnpaidRole,
        "2026-08-03",
        "Volunteer interpreter at the reception centre",
    ),
];

async fn coaching_programme(
    client: &mut CoachingServiceClient<Channel>,
    newcomers: &[(String, String)],
    coaches: &[(String, String)],
) -> anyhow::Result<()> {
    let programme = client
        .create_programme(in_region(
            REGION,
            v1::CreateProgrammeRequest {
                programme: Some(v1::CoachingProgramme {
                    name: "Refugee on Board Amsterdam".into(),
                    description: "A year of weekly, tailored job coaching for status holders, \
                                  with mandatory application and communication trainings and \
                                  social activities, then six months of aftercare. The goal: \
                                  every participant in a paid or unpaid role."
                        .into(),
                    mandatory_components: vec![
                        CoachingComponent::JobCoaching as i32,
                        CoachingComponent::ApplicationTraining as i32,
                        CoachingComponent::CommunicationTraining as i32,
                    ],
                    aftercare_months: 6,
                    ..Default::default()
                }),
            },
        )?)
        .await?
        .into_inner();
    let split = newcomers.len().min(COHORT_2025);
    let (first, rest) = newcomers.split_at(split);
    let second = &rest[..rest.len().min(COHORT_2026)];
    let coach = coaches
        .first()
        .map(|(id, _)| id.clone())
        .unwrap_or_default();
    let cohorts = [
        (
            2025,
            "2025-09-01",
            "2026-06-26",
            15,
            first,
            &SESSIONS_2025[..],
        ),
        (
            2026,
            "2026-09-07",
            "2027-06-25",
            25,
            second,
            &SESSIONS_2026[..],
        ),
    ];
    for (year, starts_on, ends_on, capacity, participants, sessions) in cohorts {
        let cohort = client
            .create_cohort(in_region(
                REGION,
                v1::CreateCohortRequest {
                    cohort: Some(v1::Cohort {
                        programme_id: programme.id.clone(),
                        year,
                        starts_on: starts_on.into(),
                        ends_on: ends_on.into(),
                        capacity,
                        ..Default::default()
                    }),
                },
            )?)
            .await?
            .into_inner();
        // The chapter's volunteer coach coaches both cohorts.
        if !coach.is_empty() {
            client
                .assign_coach(in_region(
                    REGION,
                    v1::AssignCoachRequest {
                        cohort_id: cohort.id.clone(),
                        coach_member_id: coach.clone(),
                    },
                )?)
                .await?;
        }
        for (member_id, _) in participants {
            client
                .enrol_participant(in_region(
                    REGION,
                    v1::EnrolParticipantRequest {
                        cohort_id: cohort.id.clone(),
                        member_id: member_id.clone(),
                    },
                )?)
                .await?;
        }
        let today = chrono::Utc::now().date_naive().to_string();
        for (index, (component, held_on, topic, coach_name)) in sessions.iter().enumerate() {
            // The chapter's own volunteer coach leads the social activities.
            let coach_member_id = if *component == CoachingComponent::Other {
                coach.clone()
            } else {
                String::new()
            };
            let session = client
                .schedule_coaching_session(in_region(
                    REGION,
                    v1::ScheduleCoachingSessionRequest {
                        session: Some(v1::CoachingSession {
                            cohort_id: cohort.id.clone(),
                            component: *component as i32,
                            held_on: (*held_on).into(),
                            topic: (*topic).into(),
                            coach_name: (*coach_name).into(),
                            coach_member_id,
                            ..Default::default()
                        }),
                    },
                )?)
                .await?
                .into_inner();
            if *held_on > today.as_str() {
                continue;
            }
            let attendees = participants
                .iter()
                .enumerate()
                .filter(|(who, _)| attends(*who, index, *component))
                .map(|(_, (id, _))| id.clone())
                .collect();
            client
                .record_session_attendance(in_region(
                    REGION,
                    v1::RecordSessionAttendanceRequest {
                        session_id: session.id,
                        attendee_member_ids: attendees,
                    },
                )?)
                .await?;
        }
        if ends_on > today.as_str() {
            continue;
        }
        for ((member_id, _), (outcome, recorded_on, detail)) in
            participants.iter().zip(OUTCOMES_2025)
        {
            client
                .record_participant_outcome(in_region(
                    REGION,
                    v1::RecordParticipantOutcomeRequest {
                        cohort_id: cohort.id.clone(),
                        member_id: member_id.clone(),
                        outcome: outcome as i32,
                        recorded_on: recorded_on.into(),
                        detail: detail.into(),
                    },
                )?)
                .await?;
        }
        // In aftercare, the coach called the first participant today.
        if let (true, false, Some((member_id, _))) =
            (cohort.in_aftercare, coach.is_empty(), participants.first())
        {
            client
                .record_aftercare_contact(in_region(
                    REGION,
                    v1::RecordAftercareContactRequest {
                        cohort_id: cohort.id.clone(),
                        member_id: member_id.clone(),
                        coach_member_id: coach.clone(),
                        contacted_on: String::new(),
                        note: "Called: settling in well at the new job; next call in a month."
                            .into(),
                    },
                )?)
                .await?;
        }
    }
    Ok(())
}

/// Whether participant `who` attended session `index`: nearly everyone comes to
/// most sessions; the eighth participant missed both communication trainings and
/// so has not completed the programme.
fn attends(who: usize, index: usize, component: CoachingComponent) -> bool {
    if who == 7 && component == CoachingComponent::CommunicationTraining {
        return false;
    }
    !(who + index).is_multiple_of(5) || component != CoachingComponent::JobCoaching
}

/// The expert pool: who knows about what.
const EXPERT_TOPICS: [&[&str]; 6] = [
    &["housing", "benefits"],
    &["diploma-recognition", "education"],
    &["taxes", "benefits"],
    &["job-applications", "diploma-recognition"],
    &["housing", "healthcare"],
    &["job-applications", "self-employment", "taxes"],
];

async fn expert_pool(
    client: &mut ExpertPoolServiceClient<Channel>,
    newcomers: &[(String, String)],
    coaches: &[(String, String)],
) -> anyhow::Result<()> {
    // The last newcomers registered (in no cohort when the region has enough) and
    // two locals.
    let experts = newcomers
        .iter()
        .rev()
        .take(4)
        .chain(coaches.iter().skip(1).take(2));
    for ((member_id, _), topics) in experts.zip(EXPERT_TOPICS) {
        client
            .join_expert_pool(in_region(
                REGION,
                v1::JoinExpertPoolRequest {
                    member_id: member_id.clone(),
                    topics: topics.iter().map(|t| (*t).to_owned()).collect(),
                },
            )?)
            .await?;
    }
    Ok(())
}

/// A demo case: who, what, notes, next steps (text, due, done), closed with a
/// resolution or open.
struct CasePlan {
    subject: v1::case::Subject,
    title: &'static str,
    caseworker: &'static str,
    notes: &'static [(&'static str, &'static str)],
    steps: &'static [(&'static str, &'static str, bool)],
    resolution: Option<&'static str>,
}

async fn casework(
    client: &mut CaseServiceClient<Channel>,
    newcomers: &[(String, String)],
) -> anyhow::Result<()> {
    let Some(((first, first_name), rest)) = newcomers.split_last() else {
        return Ok(());
    };
    let second = rest.last().map(|(id, _)| id.clone()).unwrap_or_default();
    let third = rest
        .len()
        .checked_sub(2)
        .and_then(|i| rest.get(i))
        .map(|(id, _)| id.clone())
        .unwrap_or_default();
    let family = first_name
        .rsplit(' ')
        .next()
        .map(|surname| format!("The {surname} family, two adults and three children"))
        .unwrap_or_default();
    let plans = [
        CasePlan {
            subject: v1::case::Subject::Household(v1::Household {
                label: family,
                main_member_id: first.clone(),
                member_ids: vec![],
            }),
            title: "Housing after the reception centre",
            caseworker: "Sanne Visser",
            notes: &[
                (
                    "Sanne Visser",
                    "Met the family at the reception centre. The municipality offered a three-room flat in Nieuw-West; they worry about the distance to the children's school and the stairs for the grandmother.",
                ),
                (
                    "Sanne Visser",
                    "Viewing done. The family accepts the flat. Furniture loan requested from the municipality; the school will take the two youngest from January.",
                ),
            ],
            steps: &[
                (
                    "Request the furniture loan (inrichtingskrediet) with the family",
                    "2026-11-20",
                    true,
                ),
                (
                    "Register the children at the new school",
                    "2026-12-11",
                    false,
                ),
                (
                    "Check the rent allowance application after the move",
                    "2027-01-15",
                    false,
                ),
            ],
            resolution: None,
        },
        CasePlan {
            subject: v1::case::Subject::MemberId(second),
            title: "Recognition of a Syrian pharmacy diploma",
            caseworker: "Thomas Jansen",
            notes: &[
                (
                    "Thomas Jansen",
                    "Diploma and transcripts scanned. Explained the route: credential evaluation first, then the BIG register's assessment for pharmacists.",
                ),
                (
                    "Thomas Jansen",
                    "Evaluation arrived: equivalent to a Dutch master's degree. Next is the language requirement (B2) before the professional assessment.",
                ),
            ],
            steps: &[
                (
                    "Send the diploma for credential evaluation",
                    "2026-09-15",
                    true,
                ),
                (
                    "Enrol in a B2 Dutch course for healthcare professionals",
                    "2026-12-01",
                    false,
                ),
            ],
            resolution: None,
        },
        CasePlan {
            subject: v1::case::Subject::Household(v1::Household {
                label: String::new(),
                main_member_id: String::new(),
                member_ids: [third].into_iter().filter(|id| !id.is_empty()).collect(),
            }),
            title: "Allowances repaid after a change in income",
            caseworker: "Sanne Visser",
            notes: &[
                (
                    "Sanne Visser",
                    "Letter from the Tax Administration: healthcare and rent allowance to be repaid after starting work in the spring. Went through the figures together.",
                ),
                (
                    "Sanne Visser",
                    "Payment arrangement agreed for twelve months; the allowances for next year are adjusted to the new income.",
                ),
            ],
            steps: &[
                (
                    "Call the Tax Administration about a payment arrangement",
                    "2026-10-09",
                    true,
                ),
                (
                    "Change the expected income for next year's allowances",
                    "2026-10-23",
                    true,
                ),
            ],
            resolution: Some(
                "Payment arrangement in place and next year's allowances adjusted; nothing else open.",
            ),
        },
    ];
    for plan in plans {
        let names_someone = match &plan.subject {
            v1::case::Subject::MemberId(id) => !id.is_empty(),
            v1::case::Subject::Household(h) => {
                !h.main_member_id.is_empty() || !h.member_ids.is_empty()
            }
        };
        if !names_someone {
            continue;
        }
        let case = client
            .open_case(in_region(
                REGION,
                v1::OpenCaseRequest {
                    r#case: Some(v1::Case {
                        subject: Some(plan.subject),
                        title: plan.title.into(),
                        caseworker: plan.caseworker.into(),
                        ..Default::default()
                    }),
                },
            )?)
            .await?
            .into_inner();
        for (author, text) in plan.notes {
            client
                .add_case_note(in_region(
                    REGION,
                    v1::AddCaseNoteRequest {
                        case_id: case.id.clone(),
                        author: (*author).into(),
                        text: (*text).into(),
                    },
                )?)
                .await?;
        }
        for (text, due_on, done) in plan.steps {
            let step = client
                .add_next_step(in_region(
                    REGION,
                    v1::AddNextStepRequest {
                        case_id: case.id.clone(),
                        text: (*text).into(),
                        due_on: (*due_on).into(),
                    },
                )?)
                .await?
                .into_inner();
            if *done {
                client
                    .set_next_step_done(in_region(
                        REGION,
                        v1::SetNextStepDoneRequest {
                            id: step.id,
                            done: true,
                        },
                    )?)
                    .await?;
            }
        }
        if let Some(resolution) = plan.resolution {
            client
                .close_case(in_region(
                    REGION,
                    v1::CloseCaseRequest {
                        id: case.id,
                        resolution: resolution.into(),
                    },
                )?)
                .await?;
        }
    }
    Ok(())
}
