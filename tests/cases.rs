//! Casework, as OpenEmbassy and VluchtelingenWerk do it: an expert pool of members
//! with topics, and cases chapter staff follow one by one — a member or a
//! household — with notes and next steps. Case notes stay in their region: they
//! never reach the gateway's database, nor another region.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::chapter::{Chapter, refusal_of};
use common::{Backend, Cluster, amira, create, eventually, profile_in, to};
use passage_proto::v1::{self, CaseStatus};
use prost_types::FieldMask;
use sea_orm::{ConnectionTrait, Database, Statement};
use tonic::Code;

on_both_backends!(
    a_caseworker_opens_a_case_for_a_household_adds_a_note_and_a_next_step_and_closes_it,
    a_case_note_never_leaves_the_region,
    a_deleted_member_takes_her_cases_and_their_notes_with_her,
    a_household_keeps_its_case_without_the_member_who_was_erased,
    the_expert_pool_is_listed_by_topic,
);

/// The chapter's casework: Sanne Visser, caseworker, follows the cases.
impl Chapter {
    async fn open_case(&mut self, case: v1::Case) -> Result<v1::Case, tonic::Status> {
        self.cases
            .open_case(to("amsterdam", v1::OpenCaseRequest { r#case: Some(case) }))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Sanne opens a case about the member's debts and writes `note` in it.
    async fn debts_case(&mut self, member_id: &str, note: &str) -> v1::Case {
        let case = self
            .open_case(v1::Case {
                subject: Some(v1::case::Subject::MemberId(member_id.to_owned())),
                title: "Debts from the asylum period".into(),
                caseworker: "Sanne Visser".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        self.note(&case, note).await.unwrap();
        case
    }

    async fn note(&mut self, case: &v1::Case, text: &str) -> Result<v1::CaseNote, tonic::Status> {
        self.cases
            .add_case_note(to(
                "amsterdam",
                v1::AddCaseNoteRequest {
                    case_id: case.id.clone(),
                    author: "Sanne Visser".into(),
                    text: text.into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn close(&mut self, case: &v1::Case) -> Result<v1::Case, tonic::Status> {
        self.cases
            .close_case(to(
                "amsterdam",
                v1::CloseCaseRequest {
                    id: case.id.clone(),
                    resolution: "Rental contract signed; the family moves in on 1 February.".into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn get(&mut self, case: &v1::Case) -> v1::Case {
        self.cases
            .get_case(to(
                "amsterdam",
                v1::GetCaseRequest {
                    id: case.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    async fn cases_with(&mut self, status: CaseStatus) -> Vec<String> {
        self.cases
            .list_cases(to(
                "amsterdam",
                v1::ListCasesRequest {
                    status: status as i32,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .cases
            .into_iter()
            .map(|c| c.id)
            .collect()
    }
}

async fn a_caseworker_opens_a_case_for_a_household_adds_a_note_and_a_next_step_and_closes_it(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let father = chapter.newcomer("Karim Hassan").await;
    let daughter = chapter.newcomer("Layla Hassan").await;
    let case = chapter
        .open_case(v1::Case {
            subject: Some(v1::case::Subject::Household(v1::Household {
                label: "The Hassan family, five people".into(),
                main_member_id: father.clone(),
                member_ids: vec![daughter.clone()],
            })),
            title: "Housing after the reception centre".into(),
            caseworker: "Sanne Visser".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(case.status, CaseStatus::Open as i32);
    let Some(v1::case::Subject::Household(household)) = &case.subject else {
        panic!("a household case: {case:?}");
    };
    assert_eq!(household.main_member_id, father);
    assert_eq!(household.member_ids, vec![daughter.clone()]);

    let note = chapter
        .note(
            &case,
            "Visited the family at the reception centre. They were offered a flat in \
             Nieuw-West; Karim worries about the distance to Layla's school.",
        )
        .await
        .unwrap();
    assert_eq!(note.author, "Sanne Visser");
    let step = chapter
        .cases
        .add_next_step(to(
            "amsterdam",
            v1::AddNextStepRequest {
                case_id: case.id.clone(),
                text: "Call the school about a transfer to a school in Nieuw-West".into(),
                due_on: "2026-12-04".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!step.done);
    let opened = chapter.get(&case).await;
    assert_eq!(opened.open_next_steps, 1);

    // The case cannot close while the step is open.
    let refused = chapter.close(&case).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("1 open next step"),
        "{}",
        refused.message()
    );
    let done = chapter
        .cases
        .set_next_step_done(to(
            "amsterdam",
            v1::SetNextStepDoneRequest {
                id: step.id.clone(),
                done: true,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(done.done && done.done_time.is_some());

    let closed = chapter.close(&case).await.unwrap();
    assert_eq!(closed.status, CaseStatus::Closed as i32);
    assert!(closed.close_time.is_some());
    assert!(closed.resolution.starts_with("Rental contract signed"));
    assert_eq!(
        chapter.cases_with(CaseStatus::Closed).await,
        vec![case.id.clone()]
    );
    assert!(chapter.cases_with(CaseStatus::Open).await.is_empty());

    // A closed case takes no more notes; the notes it has are still there.
    let late = chapter.note(&case, "One more thing.").await.unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    let notes = chapter
        .cases
        .list_case_notes(to(
            "amsterdam",
            v1::ListCaseNotesRequest {
                case_id: case.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .notes;
    assert_eq!(notes, vec![note]);

    // A note is at most 10,000 characters; a household is its members or a label
    // with its main member; a case needs a caseworker.
    let other = chapter
        .open_case(v1::Case {
            subject: Some(v1::case::Subject::MemberId(daughter.clone())),
            title: "Diploma recognition".into(),
            caseworker: "Sanne Visser".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let long = chapter.note(&other, &"x".repeat(10_001)).await.unwrap_err();
    assert_eq!(long.code(), Code::InvalidArgument);
    assert_eq!(
        long.message(),
        "text: must be at most 10000 characters, got 10001"
    );
    let nameless = chapter
        .open_case(v1::Case {
            subject: Some(v1::case::Subject::Household(v1::Household {
                label: "The Noori family".into(),
                ..Default::default()
            })),
            title: "Benefits".into(),
            caseworker: "Sanne Visser".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(nameless.code(), Code::InvalidArgument);
    assert!(
        nameless.message().starts_with("case.household"),
        "{}",
        nameless.message()
    );
    refusal_of(&nameless, "case.household", v1::RefusalKind::Missing, "");
    let no_caseworker = chapter
        .open_case(v1::Case {
            subject: Some(v1::case::Subject::MemberId(daughter)),
            title: "Benefits".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        no_caseworker.message(),
        "case.caseworker: must not be empty"
    );
    cluster.stop().await;
}

async fn a_case_note_never_leaves_the_region(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    // Amira shares her profile with every region.
    let created = create(&mut chapter.members, "amsterdam", amira()).await;
    let secret = "CONFIDENTIAL-NOTE-7f3a: owes the municipality for two months of rent";
    let case = chapter.debts_case(&created.id, secret).await;

    // Her profile changes after the note, and the change reaches Washington DC:
    // everything Amsterdam sent before it has gone through the gateway too.
    let mut change = created.clone();
    change.profile.as_mut().unwrap().profession = "structural engineer".into();
    chapter
        .members
        .update_member(to(
            "amsterdam",
            v1::UpdateMemberRequest {
                member: Some(change),
                update_mask: Some(FieldMask {
                    paths: vec!["profile.profession".into()],
                }),
            },
        ))
        .await
        .unwrap();
    eventually("her new profession reaches Washington DC", || {
        let mut members = chapter.members.clone();
        let id = created.id.clone();
        async move {
            profile_in(&mut members, "washington-dc", &id)
                .await
                .and_then(|m| m.profile)
                .is_some_and(|p| p.profession == "structural engineer")
        }
    })
    .await;

    // Not in the gateway's log or directory, nor anywhere else in its database.
    let gateway = Database::connect(cluster.database_urls["gateway"].as_str())
        .await
        .unwrap();
    let states = gateway
        .query_all_raw(Statement::from_string(
            gateway.get_database_backend(),
            "SELECT state FROM change_log UNION ALL SELECT state FROM directory",
        ))
        .await
        .unwrap();
    assert!(!states.is_empty());
    for row in states {
        let bytes: Vec<u8> = row.try_get("", "state").unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("CONFIDENTIAL-NOTE-7f3a"),
            "a case note reached the gateway's change log"
        );
    }
    for table in ["case_note", "case_file"] {
        let exists = gateway
            .query_all_raw(Statement::from_string(
                gateway.get_database_backend(),
                format!("SELECT * FROM {table}"),
            ))
            .await;
        assert!(exists.is_err(), "the gateway has no {table} table");
    }

    // Not in another region: neither through the API nor in its database.
    for region in ["washington-dc", "miami"] {
        let missing = chapter
            .cases
            .get_case(to(
                region,
                v1::GetCaseRequest {
                    id: case.id.clone(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(missing.code(), Code::NotFound, "{region}");
        let notes = chapter
            .cases
            .list_case_notes(to(
                region,
                v1::ListCaseNotesRequest {
                    case_id: case.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(notes.code(), Code::NotFound, "{region}");
        let db = Database::connect(cluster.database_urls[region].as_str())
            .await
            .unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT text FROM case_note",
            ))
            .await
            .unwrap();
        assert!(rows.is_empty(), "{region} holds case notes");
    }

    // Amsterdam has it, as it should.
    let notes = chapter
        .cases
        .list_case_notes(to(
            "amsterdam",
            v1::ListCaseNotesRequest {
                case_id: case.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .notes;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].text, secret);
    cluster.stop().await;
}

async fn the_expert_pool_is_listed_by_topic(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let mut experts = Vec::new();
    for (name, topics) in [
        ("Oksana Melnyk", &["housing", "taxes"][..]),
        ("Bashir Ahmadi", &["diploma-recognition"][..]),
        ("Mariam Tesfay", &["housing", "job-applications"][..]),
    ] {
        let id = chapter.newcomer(name).await;
        let expert = chapter
            .experts
            .join_expert_pool(to(
                "amsterdam",
                v1::JoinExpertPoolRequest {
                    member_id: id.clone(),
                    topics: strings(topics),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(expert.display_name, name);
        experts.push(id);
    }
    let pool = chapter.experts.clone();
    let list = |topic: &str, page_size: i32, page_token: String| {
        let mut client = pool.clone();
        let topic = topic.to_owned();
        async move {
            client
                .list_experts(to(
                    "amsterdam",
                    v1::ListExpertsRequest {
                        topic,
                        page_size,
                        page_token,
                    },
                ))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let first = list("housing", 1, String::new()).await;
    assert_eq!(first.experts.len(), 1);
    assert_eq!(first.experts[0].member_id, experts[0]);
    assert_eq!(first.experts[0].topics, strings(&["housing", "taxes"]));
    let second = list("housing", 1, first.next_page_token).await;
    assert_eq!(second.experts[0].member_id, experts[2]);
    assert!(
        second.next_page_token.is_empty(),
        "two experts know about housing"
    );
    assert_eq!(list("", 0, String::new()).await.experts.len(), 3);

    // Joining twice is refused; topics change; leaving takes them out.
    let twice = chapter
        .experts
        .join_expert_pool(to(
            "amsterdam",
            v1::JoinExpertPoolRequest {
                member_id: experts[1].clone(),
                topics: strings(&["taxes"]),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::AlreadyExists);
    chapter
        .experts
        .set_expert_topics(to(
            "amsterdam",
            v1::SetExpertTopicsRequest {
                member_id: experts[1].clone(),
                topics: strings(&["diploma-recognition", "housing"]),
            },
        ))
        .await
        .unwrap();
    chapter
        .experts
        .leave_expert_pool(to(
            "amsterdam",
            v1::LeaveExpertPoolRequest {
                member_id: experts[0].clone(),
            },
        ))
        .await
        .unwrap();
    let housing: Vec<String> = list("housing", 0, String::new())
        .await
        .experts
        .into_iter()
        .map(|e| e.member_id)
        .collect();
    assert_eq!(housing, vec![experts[1].clone(), experts[2].clone()]);
    let bad = chapter
        .experts
        .join_expert_pool(to(
            "amsterdam",
            v1::JoinExpertPoolRequest {
                member_id: experts[0].clone(),
                topics: strings(&["Housing Law"]),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().starts_with("topics[0]:"), "{}", bad.message());

    // A member of another region is not in Amsterdam's pool.
    let miami = chapter.newcomer_in("miami", "Jean-Baptiste Pierre").await;
    let elsewhere = chapter
        .experts
        .join_expert_pool(to(
            "amsterdam",
            v1::JoinExpertPoolRequest {
                member_id: miami,
                topics: strings(&["housing"]),
            },
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(elsewhere.code(), Code::NotFound | Code::FailedPrecondition),
        "{elsewhere:?}"
    );
    cluster.stop().await;
}

/// Amira asks to be forgotten: the chapter admin deletes her, and her case, its
/// notes and its next steps go with her — not one row of the region's database
/// still holds what the caseworker wrote.
async fn a_deleted_member_takes_her_cases_and_their_notes_with_her(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let created = create(&mut chapter.members, "amsterdam", amira()).await;
    let secret = "ERASE-ME-41c2: owes the municipality for two months of rent";
    let case = chapter.debts_case(&created.id, secret).await;

    chapter
        .members
        .delete_member(to(
            "amsterdam",
            v1::DeleteMemberRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap();

    let gone = chapter
        .cases
        .get_case(to(
            "amsterdam",
            v1::GetCaseRequest {
                id: case.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    let region = Database::connect(cluster.database_urls["amsterdam"].as_str())
        .await
        .unwrap();
    for table in ["case_file", "case_note", "case_next_step"] {
        let rows = region
            .query_all_raw(Statement::from_string(
                region.get_database_backend(),
                format!("SELECT * FROM {table}"),
            ))
            .await
            .unwrap();
        assert!(rows.is_empty(), "{table} still holds {} rows", rows.len());
    }
    cluster.stop().await;
}

/// The Hassan family's case lists Karim, Layla and Omar; the Haddad family's lists
/// Samira and her son Yusuf. Omar asks to be erased: the Hassans' case stays,
/// without him; the Haddads' is untouched, and it is the one case in Yusuf's
/// own data.
async fn a_household_keeps_its_case_without_the_member_who_was_erased(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let karim = chapter.newcomer("Karim Hassan").await;
    let layla = chapter.newcomer("Layla Hassan").await;
    let omar = chapter.newcomer("Omar Hassan").await;
    let samira = chapter.newcomer("Samira Haddad").await;
    let yusuf = chapter.newcomer("Yusuf Haddad").await;
    let household = |label: &str, main: &str, others: &[&String]| v1::Case {
        subject: Some(v1::case::Subject::Household(v1::Household {
            label: label.into(),
            main_member_id: main.into(),
            member_ids: others.iter().map(|id| (*id).clone()).collect(),
        })),
        title: "Housing after the reception centre".into(),
        caseworker: "Sanne Visser".into(),
        ..Default::default()
    };
    let hassans = household("The Hassan family", &karim, &[&layla, &omar]);
    let haddads = household("The Haddad family", &samira, &[&yusuf]);
    let hassans = chapter.open_case(hassans).await.unwrap();
    let haddads = chapter.open_case(haddads).await.unwrap();

    chapter
        .members
        .delete_member(to(
            "amsterdam",
            v1::DeleteMemberRequest { id: omar.clone() },
        ))
        .await
        .unwrap();

    let listed = |case: v1::Case| match case.subject {
        Some(v1::case::Subject::Household(household)) => {
            (household.main_member_id, household.member_ids)
        }
        other => panic!("a household case: {other:?}"),
    };
    for (case, main, others) in [
        (&hassans, &karim, vec![layla.clone()]),
        (&haddads, &samira, vec![yusuf.clone()]),
    ] {
        assert_eq!(listed(chapter.get(case).await), (main.clone(), others));
    }
    // Yusuf's data, as he asks for it, holds his family's case and no other.
    let exported = chapter
        .members
        .export_member_records(to(
            "amsterdam",
            v1::ExportMemberRecordsRequest {
                member_id: yusuf.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let records: serde_json::Value = serde_json::from_str(&exported.records_json).unwrap();
    let cases: Vec<&str> = records["case_file"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| case["id"].as_str().unwrap())
        .collect();
    assert_eq!(cases, [haddads.id.as_str()]);
    cluster.stop().await;
}
