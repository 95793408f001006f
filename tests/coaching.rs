//! Coaching programmes, as Stichting Rumi runs Refugee on Board: a yearly cohort
//! of newcomers up to its capacity, weekly job coaching and mandatory application
//! and communication trainings, completion derived from attendance, six months of
//! aftercare after the cohort ends, and where every participant ended up.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Datelike, Days, Months, NaiveDate, Utc};
use common::chapter::{Chapter, refusal_of, refused_as};
use common::{Backend, Cluster, to};
use passage_proto::v1::{
    self, CoachingComponent, CoachingOutcome, CohortPhase,
    coaching_service_client::CoachingServiceClient,
};
use tonic::Code;

on_both_backends!(
    the_2026_cohort_fills_up_at_its_capacity,
    a_participant_who_attended_every_mandatory_component_completes_the_programme_one_who_missed_communication_training_does_not,
    after_the_cohort_ends_outcomes_are_recorded_and_the_report_counts_them_in_six_months_of_aftercare,
);

/// The demo's Amsterdam runs a Refugee on Board programme: the 2025 cohort with its
/// outcomes recorded and six months of aftercare from 26 June 2026, the 2026 cohort
/// under way with attendance; an expert pool by topic, and cases with notes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_fills_amsterdams_coaching_programme_expert_pool_and_cases() {
    let dir = tempfile::tempdir().unwrap();
    let demo = passage::demo::start(&passage::demo::DemoOptions {
        data_dir: dir.path().to_owned(),
        port_base: 0,
        history_members: 0,
    })
    .await
    .unwrap();
    let channel = demo.federation.gateway_channel().await.unwrap();
    let mut coaching = CoachingServiceClient::new(channel.clone());
    let programmes = coaching
        .list_programmes(to("amsterdam", v1::ListProgrammesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .programmes;
    assert_eq!(programmes.len(), 1);
    assert_eq!(programmes[0].mandatory_components.len(), 3);
    let cohorts = coaching
        .list_cohorts(to(
            "amsterdam",
            v1::ListCohortsRequest {
                programme_id: programmes[0].id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .cohorts;
    let years: Vec<i32> = cohorts.iter().map(|c| c.year).collect();
    assert_eq!(years, vec![2025, 2026]);
    let past = &cohorts[0];
    assert_eq!(past.aftercare_ends_on, "2026-12-26");
    assert_eq!(past.in_aftercare, today() <= day("2026-12-26"));
    let report = coaching
        .get_cohort_report(to(
            "amsterdam",
            v1::GetCohortReportRequest {
                cohort_id: past.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let outcomes = report.outcomes.unwrap();
    assert!(outcomes.paid_job >= 3, "{outcomes:?}");
    assert!(
        outcomes.unpaid_role >= 1 && outcomes.education >= 1,
        "{outcomes:?}"
    );
    assert!(report.completed_programme >= 1);
    assert!(
        (report.completed_programme as usize) < report.participants.len(),
        "someone missed the communication training"
    );
    let running = coaching
        .list_coaching_sessions(to(
            "amsterdam",
            v1::ListCoachingSessionsRequest {
                cohort_id: cohorts[1].id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert!(running.iter().any(|s| !s.attendee_member_ids.is_empty()));
    // The chapter's volunteer coach coaches both cohorts, and called a participant
    // of the one in aftercare.
    for cohort in &cohorts {
        let coaches = coaching
            .list_cohort_coaches(to(
                "amsterdam",
                v1::ListCohortCoachesRequest {
                    cohort_id: cohort.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .coaches;
        assert_eq!(coaches.len(), 1, "cohort {}", cohort.year);
    }
    let contacts = coaching
        .list_aftercare_contacts(to(
            "amsterdam",
            v1::ListAftercareContactsRequest {
                cohort_id: past.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .contacts;
    assert_eq!(contacts.len(), usize::from(past.in_aftercare));

    let housing = v1::expert_pool_service_client::ExpertPoolServiceClient::new(channel.clone())
        .list_experts(to(
            "amsterdam",
            v1::ListExpertsRequest {
                topic: "housing".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .experts;
    assert!(!housing.is_empty());
    let mut cases = v1::case_service_client::CaseServiceClient::new(channel);
    let all = cases
        .list_cases(to("amsterdam", v1::ListCasesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .cases;
    assert_eq!(all.len(), 3);
    assert!(
        all.iter()
            .any(|c| c.status == v1::CaseStatus::Closed as i32)
    );
    let notes = cases
        .list_case_notes(to(
            "amsterdam",
            v1::ListCaseNotesRequest {
                case_id: all[0].id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .notes;
    assert_eq!(notes.len(), 2);
    demo.shutdown().await.unwrap();
}

/// The Amsterdam chapter running Refugee on Board through the gateway.
impl Chapter {
    /// The chapter sets up its Refugee on Board programme.
    async fn refugee_on_board(&mut self) -> v1::CoachingProgramme {
        self.coaching
            .create_programme(to(
                "amsterdam",
                v1::CreateProgrammeRequest {
                    programme: Some(v1::CoachingProgramme {
                        name: "Refugee on Board".into(),
                        description: "A year of weekly job coaching with application and \
                                      communication trainings, then six months of aftercare."
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
            ))
            .await
            .unwrap()
            .into_inner()
    }

    /// A cohort of the programme.
    async fn cohort(
        &mut self,
        programme: &v1::CoachingProgramme,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
        capacity: i32,
    ) -> v1::Cohort {
        self.coaching
            .create_cohort(to(
                "amsterdam",
                v1::CreateCohortRequest {
                    cohort: Some(v1::Cohort {
                        programme_id: programme.id.clone(),
                        year: starts_on.year(),
                        starts_on: starts_on.to_string(),
                        ends_on: ends_on.to_string(),
                        capacity,
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    async fn enrol(
        &mut self,
        cohort: &v1::Cohort,
        member: &str,
    ) -> Result<v1::CohortParticipant, tonic::Status> {
        self.coaching
            .enrol_participant(to(
                "amsterdam",
                v1::EnrolParticipantRequest {
                    cohort_id: cohort.id.clone(),
                    member_id: member.into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn get(&mut self, cohort: &v1::Cohort) -> v1::Cohort {
        self.coaching
            .get_cohort(to(
                "amsterdam",
                v1::GetCohortRequest {
                    id: cohort.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    /// A session of `component` on `held_on`, attended by `attendees`.
    async fn session(
        &mut self,
        cohort: &v1::Cohort,
        component: CoachingComponent,
        held_on: NaiveDate,
        attendees: &[&String],
    ) -> Result<v1::CoachingSession, tonic::Status> {
        let session = self
            .coaching
            .schedule_coaching_session(to(
                "amsterdam",
                v1::ScheduleCoachingSessionRequest {
                    session: Some(v1::CoachingSession {
                        cohort_id: cohort.id.clone(),
                        component: component as i32,
                        held_on: held_on.to_string(),
                        topic: "Your CV for the Dutch labour market".into(),
                        coach_name: "Marloes de Wit".into(),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        self.coaching
            .record_session_attendance(to(
                "amsterdam",
                v1::RecordSessionAttendanceRequest {
                    session_id: session.id,
                    attendee_member_ids: attendees.iter().map(|id| (*id).clone()).collect(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn participants(&mut self, cohort: &v1::Cohort) -> Vec<v1::CohortParticipant> {
        self.coaching
            .list_cohort_participants(to(
                "amsterdam",
                v1::ListCohortParticipantsRequest {
                    cohort_id: cohort.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .participants
    }

    async fn record_outcome(
        &mut self,
        cohort: &v1::Cohort,
        member: &str,
        outcome: CoachingOutcome,
        detail: &str,
    ) -> Result<v1::CohortParticipant, tonic::Status> {
        self.coaching
            .record_participant_outcome(to(
                "amsterdam",
                v1::RecordParticipantOutcomeRequest {
                    cohort_id: cohort.id.clone(),
                    member_id: member.into(),
                    outcome: outcome as i32,
                    detail: detail.into(),
                    ..Default::default()
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

async fn the_2026_cohort_fills_up_at_its_capacity(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let programme = chapter.refugee_on_board().await;
    let cohort = chapter
        .cohort(&programme, day("2026-01-12"), day("2026-12-18"), 3)
        .await;
    assert_eq!(cohort.year, 2026);
    assert_eq!(cohort.capacity, 3);

    let mut enrolled = Vec::new();
    for name in ["Samir Haddad", "Tigist Bekele", "Yusuf Rahimi"] {
        let id = chapter.newcomer(name).await;
        let participant = chapter.enrol(&cohort, &id).await.unwrap();
        assert_eq!(participant.member_id, id);
        assert_eq!(participant.display_name, name);
        assert_eq!(participant.outcome, CoachingOutcome::Unspecified as i32);
        enrolled.push(id);
    }
    assert_eq!(chapter.get(&cohort).await.enrolled, 3);

    // The fourth newcomer finds the cohort full.
    let late = chapter.newcomer("Daniel Tesfaye").await;
    let full = chapter.enrol(&cohort, &late).await.unwrap_err();
    assert_eq!(full.code(), Code::FailedPrecondition);
    assert!(full.message().contains("is full"), "{}", full.message());
    assert!(
        full.message().contains("capacity is 3"),
        "{}",
        full.message()
    );

    // Someone already in it is told so, even when it is full.
    let twice = chapter.enrol(&cohort, &enrolled[0]).await.unwrap_err();
    assert_eq!(twice.code(), Code::AlreadyExists, "{}", twice.message());

    // Cohorts are for newcomers; a local volunteers in other ways.
    let next_year = chapter
        .cohort(&programme, day("2027-01-11"), day("2027-12-17"), 25)
        .await;
    let local = chapter.local("Joost Bakker").await;
    let refused = chapter.enrol(&next_year, &local).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("not a newcomer"),
        "{}",
        refused.message()
    );

    // One cohort per programme and year; a capacity outside 1..=500 is refused.
    let again = chapter
        .coaching
        .create_cohort(to(
            "amsterdam",
            v1::CreateCohortRequest {
                cohort: Some(v1::Cohort {
                    programme_id: programme.id.clone(),
                    year: 2026,
                    starts_on: "2026-03-02".into(),
                    ends_on: "2026-12-18".into(),
                    capacity: 10,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists);
    let too_big = chapter
        .coaching
        .create_cohort(to(
            "amsterdam",
            v1::CreateCohortRequest {
                cohort: Some(v1::Cohort {
                    programme_id: programme.id.clone(),
                    year: 2028,
                    starts_on: "2028-01-10".into(),
                    ends_on: "2028-12-15".into(),
                    capacity: 501,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(too_big.code(), Code::InvalidArgument);
    assert_eq!(
        too_big.message(),
        "cohort.capacity: must be between 1 and 500, got 501"
    );
    let wrong_year = chapter
        .coaching
        .create_cohort(to(
            "amsterdam",
            v1::CreateCohortRequest {
                cohort: Some(v1::Cohort {
                    programme_id: programme.id.clone(),
                    year: 2029,
                    starts_on: "2028-01-10".into(),
                    ends_on: "2028-12-15".into(),
                    capacity: 12,
                    ..Default::default()
                }),
            },
        ))
        .await;
    let line = refused_as(
        wrong_year,
        "cohort.year",
        v1::RefusalKind::NotTheStartingYear,
        "2029",
    );
    assert_eq!(line.allowed, ["2028"]);

    // The participants list pages in enrolment order.
    let first = chapter
        .coaching
        .list_cohort_participants(to(
            "amsterdam",
            v1::ListCohortParticipantsRequest {
                cohort_id: cohort.id.clone(),
                page_size: 2,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let rest = chapter
        .coaching
        .list_cohort_participants(to(
            "amsterdam",
            v1::ListCohortParticipantsRequest {
                cohort_id: cohort.id.clone(),
                page_size: 2,
                page_token: first.next_page_token.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let listed: Vec<String> = first
        .participants
        .iter()
        .chain(&rest.participants)
        .map(|p| p.member_id.clone())
        .collect();
    assert_eq!(listed, enrolled);
    assert!(rest.next_page_token.is_empty());
    cluster.stop().await;
}

async fn a_participant_who_attended_every_mandatory_component_completes_the_programme_one_who_missed_communication_training_does_not(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let programme = chapter.refugee_on_board().await;
    let cohort = chapter
        .cohort(&programme, day("2026-01-12"), day("2026-12-18"), 25)
        .await;
    let hana = chapter.newcomer("Hana Yousef").await;
    let omar = chapter.newcomer("Omar Sharif Noori").await;
    for id in [&hana, &omar] {
        chapter.enrol(&cohort, id).await.unwrap();
    }

    // Weekly job coaching, both there; the application training, both there; the
    // communication training, only Hana.
    chapter
        .session(
            &cohort,
            CoachingComponent::JobCoaching,
            day("2026-01-19"),
            &[&hana, &omar],
        )
        .await
        .unwrap();
    chapter
        .session(
            &cohort,
            CoachingComponent::JobCoaching,
            day("2026-01-26"),
            &[&hana, &omar],
        )
        .await
        .unwrap();
    chapter
        .session(
            &cohort,
            CoachingComponent::ApplicationTraining,
            day("2026-02-04"),
            &[&hana, &omar],
        )
        .await
        .unwrap();
    let communication = chapter
        .session(
            &cohort,
            CoachingComponent::CommunicationTraining,
            day("2026-03-11"),
            &[&hana],
        )
        .await
        .unwrap();
    assert_eq!(communication.attendee_member_ids, vec![hana.clone()]);

    let participants = chapter.participants(&cohort).await;
    let of = |id: &str| {
        participants
            .iter()
            .find(|p| p.member_id == id)
            .unwrap()
            .clone()
    };
    let hana_view = of(&hana);
    assert!(hana_view.completed_programme);
    let completion: Vec<(i32, i32, bool)> = hana_view
        .components
        .iter()
        .map(|c| (c.component, c.sessions_attended, c.completed))
        .collect();
    assert_eq!(
        completion,
        vec![
            (CoachingComponent::JobCoaching as i32, 2, true),
            (CoachingComponent::ApplicationTraining as i32, 1, true),
            (CoachingComponent::CommunicationTraining as i32, 1, true),
        ]
    );
    let omar_view = of(&omar);
    assert!(!omar_view.completed_programme);
    let missed: Vec<i32> = omar_view
        .components
        .iter()
        .filter(|c| !c.completed)
        .map(|c| c.component)
        .collect();
    assert_eq!(
        missed,
        vec![CoachingComponent::CommunicationTraining as i32]
    );

    // Only participants attend; a session outside the cohort's year is refused.
    let stranger = chapter.newcomer("Lina Petrenko").await;
    let refused = chapter
        .session(
            &cohort,
            CoachingComponent::Other,
            day("2026-04-02"),
            &[&hana, &stranger],
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().starts_with("attendee_member_ids[1]:"),
        "{}",
        refused.message()
    );
    // The refused list wrote nothing: not even Hana is recorded at that session.
    let social = chapter
        .coaching
        .list_coaching_sessions(to(
            "amsterdam",
            v1::ListCoachingSessionsRequest {
                cohort_id: cohort.id.clone(),
                component: CoachingComponent::Other as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert_eq!(social.len(), 1);
    assert!(social[0].attendee_member_ids.is_empty());
    let outside = chapter
        .coaching
        .schedule_coaching_session(to(
            "amsterdam",
            v1::ScheduleCoachingSessionRequest {
                session: Some(v1::CoachingSession {
                    cohort_id: cohort.id.clone(),
                    component: CoachingComponent::CommunicationTraining as i32,
                    held_on: "2027-01-05".into(),
                    coach_name: "Marloes de Wit".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(outside.code(), Code::InvalidArgument);
    assert!(
        outside.message().starts_with("session.held_on:"),
        "{}",
        outside.message()
    );
    let line = refusal_of(
        &outside,
        "session.held_on",
        v1::RefusalKind::OutOfRange,
        "2027-01-05",
    );
    assert_eq!(
        line.allowed,
        [cohort.starts_on.clone(), cohort.ends_on.clone()]
    );

    // Omar makes up the communication training at the next one, and completes.
    chapter
        .session(
            &cohort,
            CoachingComponent::CommunicationTraining,
            day("2026-05-13"),
            &[&omar],
        )
        .await
        .unwrap();
    let participants = chapter.participants(&cohort).await;
    assert!(participants.iter().all(|p| p.completed_programme));
    let report = chapter
        .coaching
        .get_cohort_report(to(
            "amsterdam",
            v1::GetCohortReportRequest {
                cohort_id: cohort.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.completed_programme, 2);
    let sessions: Vec<(i32, i32)> = report
        .sessions
        .iter()
        .map(|s| (s.component, s.sessions))
        .collect();
    assert_eq!(
        sessions,
        vec![
            (CoachingComponent::JobCoaching as i32, 2),
            (CoachingComponent::ApplicationTraining as i32, 1),
            (CoachingComponent::CommunicationTraining as i32, 2),
            (CoachingComponent::Other as i32, 1),
        ]
    );
    cluster.stop().await;
}

async fn after_the_cohort_ends_outcomes_are_recorded_and_the_report_counts_them_in_six_months_of_aftercare(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let programme = chapter.refugee_on_board().await;
    // Last year's cohort ended a month ago; this year's runs until next month.
    let ended = today() - Days::new(30);
    let past = chapter
        .cohort(&programme, ended - Months::new(11), ended, 25)
        .await;
    let running = chapter
        .cohort(
            &programme,
            (ended - Months::new(11)) + Months::new(12),
            ended + Months::new(12),
            25,
        )
        .await;
    let past = chapter.get(&past).await;
    assert!(past.in_aftercare);
    assert_eq!(past.phase, CohortPhase::Aftercare as i32);
    assert_eq!(past.aftercare_ends_on, (ended + Months::new(6)).to_string());
    let running_view = chapter.get(&running).await;
    assert!(!running_view.in_aftercare);
    assert_ne!(running_view.phase, CohortPhase::Aftercare as i32);

    let mut ids = Vec::new();
    for name in [
        "Rania Saleh",
        "Dawit Haile",
        "Nour Al-Masri",
        "Olena Kovalenko",
        "Farid Azimi",
    ] {
        let id = chapter.newcomer(name).await;
        chapter.enrol(&past, &id).await.unwrap();
        ids.push(id);
    }
    let outcomes = [
        (
            CoachingOutcome::PaidJob,
            "junior data analyst at a housing corporation",
        ),
        (CoachingOutcome::PaidJob, "electrician's mate, 32 hours"),
        (
            CoachingOutcome::UnpaidRole,
            "volunteer at the neighbourhood food bank",
        ),
        (CoachingOutcome::Education, "MBO nursing, level 4"),
    ];
    for (id, (outcome, detail)) in ids.iter().zip(outcomes) {
        let recorded = chapter
            .record_outcome(&past, id, outcome, detail)
            .await
            .unwrap();
        assert_eq!(recorded.outcome, outcome as i32);
        assert_eq!(recorded.outcome_recorded_on, today().to_string());
        assert_eq!(recorded.outcome_detail, detail);
    }

    // Nothing is recorded for a cohort that is still running.
    let too_early = chapter.newcomer("Abdi Warsame").await;
    chapter.enrol(&running, &too_early).await.unwrap();
    let refused = chapter
        .record_outcome(&running, &too_early, CoachingOutcome::PaidJob, "")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused
            .message()
            .contains("outcomes are recorded from then"),
        "{}",
        refused.message()
    );
    // Nor for someone who was not in the cohort.
    let outsider = chapter
        .record_outcome(&past, &too_early, CoachingOutcome::None, "")
        .await
        .unwrap_err();
    assert_eq!(outsider.code(), Code::FailedPrecondition);

    let report = chapter
        .coaching
        .get_cohort_report(to(
            "amsterdam",
            v1::GetCohortReportRequest {
                cohort_id: past.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.participants.len(), 5);
    assert_eq!(
        report.outcomes,
        Some(v1::CohortOutcomeCounts {
            paid_job: 2,
            unpaid_role: 1,
            education: 1,
            none: 0,
            not_recorded: 1,
        })
    );
    assert!(report.cohort.as_ref().unwrap().in_aftercare);
    assert_eq!(report.programme.as_ref().unwrap().aftercare_months, 6);

    // During aftercare Farid finds nothing yet; the record says so, then he
    // starts a paid job and the record is replaced.
    chapter
        .record_outcome(&past, &ids[4], CoachingOutcome::None, "")
        .await
        .unwrap();
    chapter
        .record_outcome(
            &past,
            &ids[4],
            CoachingOutcome::PaidJob,
            "warehouse team lead",
        )
        .await
        .unwrap();
    let report = chapter
        .coaching
        .get_cohort_report(to(
            "amsterdam",
            v1::GetCohortReportRequest {
                cohort_id: past.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let counts = report.outcomes.unwrap();
    assert_eq!(
        (counts.paid_job, counts.none, counts.not_recorded),
        (3, 0, 0)
    );

    // The cohort and its participants are Amsterdam's alone.
    let elsewhere = chapter
        .coaching
        .get_cohort(to(
            "miami",
            v1::GetCohortRequest {
                id: past.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(elsewhere.code(), Code::NotFound);
    cluster.stop().await;
}
