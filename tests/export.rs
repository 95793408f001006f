//! Spreadsheets out: a chapter admin downloads CSV reports through the gateway for
//! funders and municipalities. Members with their shared fields only, unless a
//! purpose is stated — then with the region-local fields, and the purpose is in
//! the region's audit log; page after page with the header once; cells a
//! spreadsheet would run as formulas escaped; an event's attendance; a cohort's
//! participants and the sessions they came to; the applications with their
//! placements. Bad requests are refused naming the field.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::chapter::in_minutes;
use common::{Backend, Cluster, eventually, to};
use passage_proto::v1::{
    self, audit_service_client::AuditServiceClient, coaching_service_client::CoachingServiceClient,
    event_service_client::EventServiceClient, spreadsheet_service_client::SpreadsheetServiceClient,
};
use tonic::Code;
use tonic::transport::Channel;

on_both_backends!(
    members_leave_with_shared_fields_unless_a_purpose_is_stated,
    attendance_and_applications_are_reported_and_bad_requests_refused,
    a_cohorts_participants_are_reported_with_their_sessions,
    a_placement_is_reported_with_its_retention,
);

/// The whole report, page by page: its rows, the header first.
async fn export(
    sheets: &mut SpreadsheetServiceClient<Channel>,
    request: v1::ExportRecordsRequest,
) -> Result<Vec<Vec<String>>, tonic::Status> {
    let mut bytes = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = sheets
            .export_records(to(
                "amsterdam",
                v1::ExportRecordsRequest {
                    page_token,
                    ..request.clone()
                },
            ))
            .await?
            .into_inner();
        bytes.extend(page.csv);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.as_slice());
    Ok(reader
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect())
}

fn column(rows: &[Vec<String>], name: &str) -> Option<usize> {
    rows[0].iter().position(|header| header == name)
}

const MEMBERS: &str = "external_id,display_name,role,residence_status,profession,languages,nationality\n\
                       m-1,=HYPERLINK(\"http://evil\"),newcomer,asylum_seeker,-welder,ar|en,SY\n\
                       m-2,Olena Kovalenko,newcomer,temporary_protection,@nurse,uk,UA\n\
                       m-3,Jan de Boer,local,citizen_or_resident,+31 teacher,nl,NL\n";

async fn members_leave_with_shared_fields_unless_a_purpose_is_stated(backend: Backend) {
    // Arrange
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let imported = sheets
        .import_records(to(
            "amsterdam",
            v1::ImportRecordsRequest {
                kind: v1::ImportKind::Members as i32,
                file: MEMBERS.as_bytes().to_vec(),
                apply: true,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(imported.applied, "{:?}", imported.refused);

    // Act: shared fields, a page of one row at a time
    let shared = export(
        &mut sheets,
        v1::ExportRecordsRequest {
            kind: v1::ExportKind::Members as i32,
            page_size: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Assert: the header once, every member, no region-local field
    let external = column(&shared, "external_id").unwrap();
    let ours: Vec<&Vec<String>> = shared[1..]
        .iter()
        .filter(|row| row[external].starts_with("m-"))
        .collect();
    assert_eq!(ours.len(), 3);
    assert_eq!(shared.iter().filter(|row| row[0] == "id").count(), 1);
    for local in ["residence_status", "nationality", "role", "permits"] {
        assert!(
            column(&shared, local).is_none(),
            "{local} left without a purpose"
        );
    }
    assert!(
        !shared
            .concat()
            .iter()
            .any(|cell| cell == "SY" || cell == "asylum_seeker")
    );
    let name = column(&shared, "display_name").unwrap();
    let profession = column(&shared, "profession").unwrap();
    let first = ours.iter().find(|row| row[external] == "m-1").unwrap();
    assert_eq!(first[name], "'=HYPERLINK(\"http://evil\")");
    assert_eq!(first[profession], "'-welder");
    let second = ours.iter().find(|row| row[external] == "m-2").unwrap();
    assert_eq!(second[profession], "'@nurse");
    let third = ours.iter().find(|row| row[external] == "m-3").unwrap();
    assert_eq!(third[profession], "'+31 teacher");

    // Act: with a purpose
    let purpose = "quarterly report to the municipality of Amsterdam";
    let full = export(
        &mut sheets,
        v1::ExportRecordsRequest {
            kind: v1::ExportKind::Members as i32,
            purpose: purpose.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Assert: the region-local fields, and the purpose in the audit log
    let status = column(&full, "residence_status").unwrap();
    let nationality = column(&full, "nationality").unwrap();
    let external = column(&full, "external_id").unwrap();
    let olena = full.iter().find(|row| row[external] == "m-2").unwrap();
    assert_eq!(olena[status], "temporary_protection");
    assert_eq!(olena[nationality], "UA");
    let audit = AuditServiceClient::new(cluster.gateway().await);
    eventually("the audit log records the export's purpose", || {
        let mut audit = audit.clone();
        async move {
            audit
                .list_audit_entries(to("amsterdam", v1::ListAuditEntriesRequest::default()))
                .await
                .unwrap()
                .into_inner()
                .entries
                .iter()
                .any(|entry| {
                    entry.method == "passage.v1.SpreadsheetService/ExportRecords"
                        && entry.subject.contains(purpose)
                        && entry.subject.contains("region-local")
                })
        }
    })
    .await;
    cluster.stop().await;
}

async fn attendance_and_applications_are_reported_and_bad_requests_refused(backend: Backend) {
    // Arrange: a training under way with one member who came
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let mut events = EventServiceClient::new(cluster.gateway().await);
    let mut members = cluster.members_via_gateway().await;
    let samira = common::create(
        &mut members,
        "amsterdam",
        common::member_named("Samira Yousef", v1::MemberRole::Newcomer),
    )
    .await;
    let training = events
        .create_event(to(
            "amsterdam",
            v1::CreateEventRequest {
                event: Some(v1::Event {
                    kind: v1::EventKind::Training as i32,
                    title: "Sollicitatietraining".into(),
                    start_time: Some(in_minutes(-60)),
                    end_time: Some(in_minutes(60)),
                    place: "Buurthuis Oost".into(),
                    capacity: 10,
                    languages: vec!["nl".into()],
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    events
        .register_for_event(to(
            "amsterdam",
            v1::RegisterForEventRequest {
                event_id: training.id.clone(),
                member_id: samira.id.clone(),
            },
        ))
        .await
        .unwrap();
    events
        .record_event_attendance(to(
            "amsterdam",
            v1::RecordEventAttendanceRequest {
                event_id: training.id.clone(),
                member_id: samira.id.clone(),
                status: v1::RegistrationStatus::Attended as i32,
            },
        ))
        .await
        .unwrap();

    // Act
    let attendance = export(
        &mut sheets,
        v1::ExportRecordsRequest {
            kind: v1::ExportKind::Attendance as i32,
            event_id: training.id.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let applications = export(
        &mut sheets,
        v1::ExportRecordsRequest {
            kind: v1::ExportKind::Applications as i32,
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Assert
    assert_eq!(attendance.len(), 2);
    assert_eq!(
        attendance[1][column(&attendance, "member_id").unwrap()],
        samira.id
    );
    assert_eq!(
        attendance[1][column(&attendance, "status").unwrap()],
        "attended"
    );
    assert_eq!(
        attendance[1][column(&attendance, "display_name").unwrap()],
        "Samira Yousef"
    );
    for name in [
        "stage",
        "start_date",
        "retained_3_months",
        "retained_12_months",
    ] {
        assert!(column(&applications, name).is_some(), "{name}");
    }

    // Act and assert: refusals name the field
    let refusals = [
        (
            v1::ExportKind::Unspecified,
            "",
            "",
            "kind",
            Code::InvalidArgument,
        ),
        (
            v1::ExportKind::Cohort,
            "",
            "",
            "cohort_id",
            Code::InvalidArgument,
        ),
        (
            v1::ExportKind::Attendance,
            "",
            "for the board",
            "purpose",
            Code::InvalidArgument,
        ),
        (
            v1::ExportKind::Members,
            "",
            "x",
            "purpose",
            Code::InvalidArgument,
        ),
        (
            v1::ExportKind::Cohort,
            "0190b8c4-6d2e-7000-8000-000000000000",
            "",
            "cohort",
            Code::NotFound,
        ),
    ];
    for (kind, id, purpose, named, code) in refusals {
        let refused = export(
            &mut sheets,
            v1::ExportRecordsRequest {
                kind: kind as i32,
                cohort_id: id.into(),
                event_id: training.id.clone(),
                purpose: purpose.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(refused.code(), code, "{refused:?}");
        assert!(
            refused.message().starts_with(named),
            "{}",
            refused.message()
        );
        // A purpose too short to say why is worded by the page; one given to an
        // export that takes none is the caller's mistake, in English.
        if purpose == "x" {
            let line = common::chapter::refusal_of(
                &refused,
                "purpose",
                v1::RefusalKind::NeedsAReason,
                "x",
            );
            assert_eq!(line.allowed, ["3"]);
        }
        if kind == v1::ExportKind::Unspecified {
            common::chapter::refusal_of(&refused, "kind", v1::RefusalKind::Missing, "");
        }
    }
    cluster.stop().await;
}

async fn a_cohorts_participants_are_reported_with_their_sessions(backend: Backend) {
    // Arrange: a cohort of two that held two sessions; Samira came to both, Tesfay to one
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let mut coaching = CoachingServiceClient::new(cluster.gateway().await);
    let mut members = cluster.members_via_gateway().await;
    let mut newcomer = async |name: &str| {
        common::create(
            &mut members,
            "amsterdam",
            common::member_named(name, v1::MemberRole::Newcomer),
        )
        .await
        .id
    };
    let samira = newcomer("Samira Yousef").await;
    let tesfay = newcomer("Tesfay Gebre").await;
    let programme = coaching
        .create_programme(to(
            "amsterdam",
            v1::CreateProgrammeRequest {
                programme: Some(v1::CoachingProgramme {
                    name: "Refugee on Board".into(),
                    mandatory_components: vec![v1::CoachingComponent::JobCoaching as i32],
                    aftercare_months: 6,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let cohort = coaching
        .create_cohort(to(
            "amsterdam",
            v1::CreateCohortRequest {
                cohort: Some(v1::Cohort {
                    programme_id: programme.id,
                    year: 2025,
                    starts_on: "2025-09-01".into(),
                    ends_on: "2025-11-30".into(),
                    capacity: 10,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    for member in [&samira, &tesfay] {
        coaching
            .enrol_participant(to(
                "amsterdam",
                v1::EnrolParticipantRequest {
                    cohort_id: cohort.id.clone(),
                    member_id: member.clone(),
                },
            ))
            .await
            .unwrap();
    }
    for (held_on, came) in [
        ("2025-09-08", vec![&samira, &tesfay]),
        ("2025-09-15", vec![&samira]),
    ] {
        let session = coaching
            .schedule_coaching_session(to(
                "amsterdam",
                v1::ScheduleCoachingSessionRequest {
                    session: Some(v1::CoachingSession {
                        cohort_id: cohort.id.clone(),
                        component: v1::CoachingComponent::JobCoaching as i32,
                        held_on: held_on.into(),
                        coach_name: "Marieke".into(),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        coaching
            .record_session_attendance(to(
                "amsterdam",
                v1::RecordSessionAttendanceRequest {
                    session_id: session.id,
                    attendee_member_ids: came.into_iter().cloned().collect(),
                },
            ))
            .await
            .unwrap();
    }

    // Act
    let report = export(
        &mut sheets,
        v1::ExportRecordsRequest {
            kind: v1::ExportKind::Cohort as i32,
            cohort_id: cohort.id.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Assert
    assert_eq!(report.len(), 3);
    let member = column(&report, "member_id").unwrap();
    let held = column(&report, "sessions_held").unwrap();
    let attended = column(&report, "sessions_attended").unwrap();
    let row_of = |id: &str| report.iter().find(|row| row[member] == id).unwrap().clone();
    assert_eq!(
        (
            row_of(&samira)[held].as_str(),
            row_of(&samira)[attended].as_str()
        ),
        ("2", "2")
    );
    assert_eq!(
        (
            row_of(&tesfay)[held].as_str(),
            row_of(&tesfay)[attended].as_str()
        ),
        ("2", "1")
    );
    assert_eq!(
        row_of(&tesfay)[column(&report, "display_name").unwrap()],
        "Tesfay Gebre"
    );
    cluster.stop().await;
}

async fn a_placement_is_reported_with_its_retention(backend: Backend) {
    // Arrange: Amal volunteered from eight months ago and left after four
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let mut chapter = common::chapter::Chapter::open(&cluster).await;
    let ngo = chapter
        .organisation(common::chapter::ngo("Buurthuis De Meeuw"))
        .await;
    let host = chapter
        .published(v1::Opportunity {
            organisation_id: ngo,
            title: "Host at the community centre".into(),
            kind: v1::OpportunityKind::Volunteer as i32,
            sector: "healthcare".into(),
            languages: vec!["nl".into()],
            hours_per_week: 6,
            location: "Amsterdam-Oost".into(),
            ..Default::default()
        })
        .await;
    let mut amal = common::chapter::newcomer("Amal Yousef");
    amal.profile.as_mut().unwrap().share_across_regions = false;
    let amal = chapter.register_member(amal).await;
    let application = chapter
        .placements
        .apply(to(
            "amsterdam",
            v1::ApplyRequest {
                member_id: amal.clone(),
                opportunity_id: host,
                motivation: "I like people.".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    for stage in [
        v1::ApplicationStage::Screening,
        v1::ApplicationStage::Interview,
        v1::ApplicationStage::Offer,
    ] {
        chapter
            .placements
            .move_application(to(
                "amsterdam",
                v1::MoveApplicationRequest {
                    id: application.id.clone(),
                    stage: stage as i32,
                    note: String::new(),
                },
            ))
            .await
            .unwrap();
    }
    let today = chrono::Utc::now().date_naive();
    let start = today.checked_sub_months(chrono::Months::new(8)).unwrap();
    let left = start.checked_add_months(chrono::Months::new(4)).unwrap();
    let placement = chapter
        .placements
        .accept_application(to(
            "amsterdam",
            v1::AcceptApplicationRequest {
                id: application.id.clone(),
                start_date: start.to_string(),
                fill_opportunity: false,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .placement
        .unwrap();
    chapter
        .placements
        .end_placement(to(
            "amsterdam",
            v1::EndPlacementRequest {
                id: placement.id,
                end_date: left.to_string(),
                reason: v1::PlacementEndReason::LeftForOtherJob as i32,
                note: String::new(),
            },
        ))
        .await
        .unwrap();

    // Act
    let report = export(
        &mut sheets,
        v1::ExportRecordsRequest {
            kind: v1::ExportKind::Applications as i32,
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Assert: retained at 3 months, not at 6, the 12-month mark still to come
    assert_eq!(report.len(), 2);
    let row = &report[1];
    let cell = |name: &str| row[column(&report, name).unwrap()].clone();
    assert_eq!(cell("application_id"), application.id);
    assert_eq!(cell("member_id"), amal);
    assert_eq!(cell("opportunity"), "Host at the community centre");
    assert_eq!(cell("start_date"), start.to_string());
    assert_eq!(cell("end_date"), left.to_string());
    assert_eq!(cell("end_reason"), "left_for_other_job");
    assert_eq!(
        [
            cell("retained_3_months"),
            cell("retained_6_months"),
            cell("retained_12_months")
        ],
        ["yes", "no", "not yet"]
    );
    cluster.stop().await;
}
