//! The community roles of member callers, decided by their home node from its own
//! data: a newcomer reviews opportunities in review (once per round), a registered
//! answerer (superlocal) answers the questions routed to them and makes articles
//! of their answers, a member a chapter admin assigned to a cohort coaches it —
//! attendance, outcomes and aftercare contacts. A member without the role is
//! refused with PERMISSION_DENIED; each sees only what the role needs. Aftercare
//! contacts are in the member's records and go with an erasure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::chapter::{AMSTERDAM, Chapter, refused, refused_as};
use common::community::today;
use common::{Backend, Cluster, to};
use passage_proto::v1::{
    self, coaching_service_client::CoachingServiceClient,
    helpdesk_service_client::HelpdeskServiceClient, member_service_client::MemberServiceClient,
    review_service_client::ReviewServiceClient,
};
use tonic::Code;
use tonic::transport::Channel;

on_both_backends!(
    two_newcomers_review_with_their_own_tokens_and_a_local_is_refused,
    a_superlocal_answers_only_what_is_routed_to_them_and_never_sees_who_asked,
    a_coach_sees_only_their_own_cohorts_and_records_attendance_and_aftercare,
    aftercare_contacts_are_in_the_members_records_and_go_with_an_erasure,
);

/// `message` for Amsterdam, with member `token`.
fn as_member<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = to(AMSTERDAM, message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

async fn roles_of(gateway: &Channel, token: &str, member: &str) -> v1::CommunityRoles {
    MemberServiceClient::new(gateway.clone())
        .get_my_community_roles(as_member(
            token,
            v1::GetMyCommunityRolesRequest {
                member_id: member.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

fn verdict(
    opportunity: &str,
    reviewer: &str,
    verdict: v1::ReviewVerdict,
    comment: &str,
) -> v1::ReviewOpportunityRequest {
    v1::ReviewOpportunityRequest {
        opportunity_id: opportunity.into(),
        reviewer_member_id: reviewer.into(),
        verdict: verdict as i32,
        comment: comment.into(),
    }
}

async fn two_newcomers_review_with_their_own_tokens_and_a_local_is_refused(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let amira = chapter.newcomer("Amira Haddad").await;
    let yusuf = chapter.newcomer("Yusuf Rahimi").await;
    let pieter = chapter.local("Pieter de Vries").await;
    let opportunity = chapter.in_review("Care assistant").await;
    let amira_token = cluster.member_token(AMSTERDAM, &amira).await;
    let yusuf_token = cluster.member_token(AMSTERDAM, &yusuf).await;
    let pieter_token = cluster.member_token(AMSTERDAM, &pieter).await;
    let mut review = ReviewServiceClient::new(gateway.clone());

    assert!(
        roles_of(&gateway, &amira_token, &amira)
            .await
            .newcomer_reviewer
    );
    assert!(
        !roles_of(&gateway, &pieter_token, &pieter)
            .await
            .newcomer_reviewer
    );

    // A local has no review queue and gives no verdict.
    refused(
        review
            .list_opportunities_to_review(as_member(
                &pieter_token,
                v1::ListOpportunitiesToReviewRequest {
                    reviewer_member_id: pieter.clone(),
                    ..Default::default()
                },
            ))
            .await,
        Code::PermissionDenied,
        "only newcomers review opportunities",
    );
    refused(
        review
            .review_opportunity(as_member(
                &pieter_token,
                verdict(&opportunity, &pieter, v1::ReviewVerdict::Approve, ""),
            ))
            .await,
        Code::PermissionDenied,
        "only newcomers review opportunities",
    );
    // Nor does a newcomer review in another's name.
    refused(
        review
            .review_opportunity(as_member(
                &amira_token,
                verdict(&opportunity, &yusuf, v1::ReviewVerdict::Approve, ""),
            ))
            .await,
        Code::PermissionDenied,
        "reviewer_member_id",
    );

    // Amira's queue holds it; a rejection without a comment is refused naming it.
    let queue = review
        .list_opportunities_to_review(as_member(
            &amira_token,
            v1::ListOpportunitiesToReviewRequest {
                reviewer_member_id: amira.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .opportunities;
    assert_eq!(queue.len(), 1);
    assert_eq!(
        queue[0].opportunity.as_ref().unwrap().title,
        "Care assistant"
    );
    assert_eq!(queue[0].round, 1);
    refused(
        review
            .review_opportunity(as_member(
                &amira_token,
                verdict(&opportunity, &amira, v1::ReviewVerdict::Reject, ""),
            ))
            .await,
        Code::InvalidArgument,
        "comment",
    );
    review
        .review_opportunity(as_member(
            &amira_token,
            verdict(
                &opportunity,
                &amira,
                v1::ReviewVerdict::Approve,
                "Clear and fair.",
            ),
        ))
        .await
        .unwrap();
    // Reviewed: no longer in her queue this round, and once is all.
    let queue = review
        .list_opportunities_to_review(as_member(
            &amira_token,
            v1::ListOpportunitiesToReviewRequest {
                reviewer_member_id: amira.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .opportunities;
    assert!(queue.is_empty());
    refused(
        review
            .review_opportunity(as_member(
                &amira_token,
                verdict(&opportunity, &amira, v1::ReviewVerdict::Approve, ""),
            ))
            .await,
        Code::AlreadyExists,
        "already reviewed",
    );
    review
        .review_opportunity(as_member(
            &yusuf_token,
            verdict(&opportunity, &yusuf, v1::ReviewVerdict::Approve, ""),
        ))
        .await
        .unwrap();
    assert_eq!(
        chapter.opportunity_status(&opportunity).await,
        v1::OpportunityStatus::Published
    );
    cluster.stop().await;
}

async fn a_superlocal_answers_only_what_is_routed_to_them_and_never_sees_who_asked(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let amira = chapter.newcomer("Amira Haddad").await;
    let olena = chapter.newcomer("Olena Kovalenko").await;
    let pieter = chapter.local("Pieter de Vries").await;
    let olena_token = cluster.member_token(AMSTERDAM, &olena).await;
    let amira_token = cluster.member_token(AMSTERDAM, &amira).await;
    let mut helpdesk = HelpdeskServiceClient::new(gateway.clone());

    // Not an answerer yet: nothing routed to her is hers to list.
    refused(
        helpdesk
            .list_questions(as_member(
                &olena_token,
                v1::ListQuestionsRequest {
                    answerer_member_id: olena.clone(),
                    ..Default::default()
                },
            ))
            .await,
        Code::PermissionDenied,
        "superlocals",
    );
    chapter.register_answerer(&olena, &["ar", "uk"]).await;
    chapter.register_answerer(&pieter, &["nl"]).await;
    let roles = roles_of(&gateway, &olena_token, &olena).await;
    assert!(roles.superlocal);
    assert_eq!(roles.answer_languages, vec!["ar", "uk"]);
    let arabic = chapter
        .question(&amira, "ar", "كيف أجد تدريبا في مجال البناء؟")
        .await;
    let dutch = chapter
        .question(&amira, "nl", "Waar vind ik een stage in de bouw?")
        .await;
    assert_eq!(arabic.answerer_member_id, olena);

    let routed = helpdesk
        .list_questions(as_member(
            &olena_token,
            v1::ListQuestionsRequest {
                answerer_member_id: olena.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .questions;
    assert_eq!(routed.len(), 1);
    assert_eq!(routed[0].text, arabic.text);
    assert!(
        routed[0].asker_member_id.is_empty(),
        "the asker is not hers to know"
    );
    // Pieter's question is not hers to read or answer.
    refused(
        helpdesk
            .get_question(as_member(
                &olena_token,
                v1::GetQuestionRequest {
                    id: dutch.id.clone(),
                },
            ))
            .await,
        Code::PermissionDenied,
        "themself",
    );
    refused(
        helpdesk
            .answer_question(as_member(
                &amira_token,
                v1::AnswerQuestionRequest {
                    id: arabic.id.clone(),
                    answerer_member_id: amira.clone(),
                    answer: "نعم".into(),
                },
            ))
            .await,
        Code::PermissionDenied,
        "superlocals",
    );
    let answered = helpdesk
        .answer_question(as_member(
            &olena_token,
            v1::AnswerQuestionRequest {
                id: arabic.id.clone(),
                answerer_member_id: olena.clone(),
                answer: "اسأل عن برنامج التعلم والعمل في البلدية.".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(answered.asker_member_id.is_empty());
    let article = helpdesk
        .create_article(as_member(
            &olena_token,
            v1::CreateArticleRequest {
                question_id: arabic.id.clone(),
                language: "ar".into(),
                title: "تدريب في البناء".into(),
                body: "اسأل عن برنامج التعلم والعمل في البلدية.".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let translated = helpdesk
        .set_translation(as_member(
            &olena_token,
            v1::SetTranslationRequest {
                article_id: article.id.clone(),
                language: "en".into(),
                title: "Training in construction".into(),
                body: "Ask the municipality about its learn-work programme.".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(translated.translations.len(), 2);
    // Another superlocal translates no article of Olena's answer.
    let pieter_token = cluster.member_token(AMSTERDAM, &pieter).await;
    refused(
        helpdesk
            .set_translation(as_member(
                &pieter_token,
                v1::SetTranslationRequest {
                    article_id: article.id.clone(),
                    language: "nl".into(),
                    title: "Stage in de bouw".into(),
                    body: "Vraag de gemeente.".into(),
                },
            ))
            .await,
        Code::PermissionDenied,
        "their own answers",
    );
    cluster.stop().await;
}

async fn a_coach_sees_only_their_own_cohorts_and_records_attendance_and_aftercare(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let sanne = chapter.local("Sanne Bakker").await;
    let amira = chapter.newcomer("Amira Haddad").await;
    let yusuf = chapter.newcomer("Yusuf Rahimi").await;
    let cohort = chapter.cohort_in_aftercare().await;
    chapter.enrol_participant(&cohort.id, &amira).await;
    chapter.enrol_participant(&cohort.id, &yusuf).await;
    let session = chapter.first_session(&cohort).await;
    let sanne_token = cluster.member_token(AMSTERDAM, &sanne).await;
    let mut coaching = CoachingServiceClient::new(gateway.clone());
    let participants = |token: &str| {
        as_member(
            token,
            v1::ListCohortParticipantsRequest {
                cohort_id: cohort.id.clone(),
                ..Default::default()
            },
        )
    };

    // Before the chapter admin assigns her, the cohort is not hers to see.
    refused(
        coaching
            .list_cohort_participants(participants(&sanne_token))
            .await,
        Code::PermissionDenied,
        "only its coaches",
    );
    chapter.assign_coach(&cohort.id, &sanne).await;
    refused(
        chapter
            .coaching
            .assign_coach(to(
                AMSTERDAM,
                v1::AssignCoachRequest {
                    cohort_id: cohort.id.clone(),
                    coach_member_id: sanne.clone(),
                },
            ))
            .await,
        Code::AlreadyExists,
        "coaches cohort",
    );
    assert_eq!(
        roles_of(&gateway, &sanne_token, &sanne)
            .await
            .coached_cohort_ids,
        vec![cohort.id.clone()]
    );
    let coached = coaching
        .list_coached_cohorts(as_member(
            &sanne_token,
            v1::ListCoachedCohortsRequest {
                coach_member_id: sanne.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .cohorts;
    assert_eq!(coached.len(), 1);
    assert_eq!(coached[0].phase, v1::CohortPhase::Aftercare as i32);
    assert_eq!(coached[0].programme_name, "Refugee on Board");
    let listed = coaching
        .list_cohort_participants(participants(&sanne_token))
        .await
        .unwrap()
        .into_inner()
        .participants;
    assert_eq!(listed.len(), 2);

    let attended = coaching
        .record_session_attendance(as_member(
            &sanne_token,
            v1::RecordSessionAttendanceRequest {
                session_id: session.id.clone(),
                attendee_member_ids: vec![amira.clone()],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(attended.attendee_member_ids, vec![amira.clone()]);
    let completed = coaching
        .list_cohort_participants(participants(&sanne_token))
        .await
        .unwrap()
        .into_inner()
        .participants;
    assert!(
        completed
            .iter()
            .any(|p| p.member_id == amira && p.completed_programme)
    );

    // An aftercare contact: dated, in the aftercare, not in the future.
    let contact = |on: String, note: &str| {
        as_member(
            &sanne_token,
            v1::RecordAftercareContactRequest {
                cohort_id: cohort.id.clone(),
                member_id: amira.clone(),
                coach_member_id: sanne.clone(),
                contacted_on: on,
                note: note.into(),
            },
        )
    };
    refused(
        coaching
            .record_aftercare_contact(contact(String::new(), ""))
            .await,
        Code::InvalidArgument,
        "note",
    );
    let line = refused_as(
        coaching
            .record_aftercare_contact(contact(cohort.ends_on.clone(), "Called her."))
            .await,
        "contacted_on",
        v1::RefusalKind::OutOfRange,
        &cohort.ends_on,
    );
    assert_eq!(line.allowed.len(), 2, "the aftercare's first and last day");
    let recorded = coaching
        .record_aftercare_contact(contact(
            today().to_string(),
            "She starts at the hospital on Monday.",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(recorded.coach_member_id, sanne);
    let contacts = coaching
        .list_aftercare_contacts(as_member(
            &sanne_token,
            v1::ListAftercareContactsRequest {
                cohort_id: cohort.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .contacts;
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].note, "She starts at the hospital on Monday.");

    // Unassigned, she sees the cohort no more.
    chapter
        .coaching
        .unassign_coach(to(
            AMSTERDAM,
            v1::UnassignCoachRequest {
                cohort_id: cohort.id.clone(),
                coach_member_id: sanne.clone(),
            },
        ))
        .await
        .unwrap();
    refused(
        coaching
            .list_cohort_participants(participants(&sanne_token))
            .await,
        Code::PermissionDenied,
        "only its coaches",
    );
    cluster.stop().await;
}

async fn aftercare_contacts_are_in_the_members_records_and_go_with_an_erasure(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let sanne = chapter.local("Sanne Bakker").await;
    let amira = chapter.newcomer("Amira Haddad").await;
    let cohort = chapter.cohort_in_aftercare().await;
    chapter.enrol_participant(&cohort.id, &amira).await;
    chapter.assign_coach(&cohort.id, &sanne).await;
    chapter
        .coaching
        .record_aftercare_contact(to(
            AMSTERDAM,
            v1::RecordAftercareContactRequest {
                cohort_id: cohort.id.clone(),
                member_id: amira.clone(),
                coach_member_id: sanne.clone(),
                contacted_on: String::new(),
                note: "Looking for a second job.".into(),
            },
        ))
        .await
        .unwrap();
    let records = |member: &str| {
        let mut members = chapter.members.clone();
        let member = member.to_owned();
        async move {
            let records = members
                .export_member_records(to(
                    AMSTERDAM,
                    v1::ExportMemberRecordsRequest { member_id: member },
                ))
                .await
                .unwrap()
                .into_inner();
            serde_json::from_str::<serde_json::Value>(&records.records_json).unwrap()
        }
    };
    let hers = records(&amira).await;
    assert_eq!(
        hers["aftercare_contact"][0]["note"],
        "Looking for a second job."
    );
    let coach = records(&sanne).await;
    assert_eq!(coach["cohort_coach"].as_array().unwrap().len(), 1);
    assert_eq!(coach["aftercare_contact"].as_array().unwrap().len(), 1);

    // The coach is erased: her note stays with the participant, without her.
    chapter
        .members
        .delete_member(to(AMSTERDAM, v1::DeleteMemberRequest { id: sanne.clone() }))
        .await
        .unwrap();
    let contacts = chapter
        .coaching
        .list_aftercare_contacts(to(
            AMSTERDAM,
            v1::ListAftercareContactsRequest {
                cohort_id: cohort.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .contacts;
    assert_eq!(contacts.len(), 1);
    assert!(contacts[0].coach_member_id.is_empty());
    let coaches = chapter
        .coaching
        .list_cohort_coaches(to(
            AMSTERDAM,
            v1::ListCohortCoachesRequest {
                cohort_id: cohort.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .coaches;
    assert!(coaches.is_empty());

    // The participant is erased: the notes about her go.
    chapter
        .members
        .delete_member(to(AMSTERDAM, v1::DeleteMemberRequest { id: amira.clone() }))
        .await
        .unwrap();
    let contacts = chapter
        .coaching
        .list_aftercare_contacts(to(
            AMSTERDAM,
            v1::ListAftercareContactsRequest {
                cohort_id: cohort.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .contacts;
    assert!(contacts.is_empty());
    cluster.stop().await;
}
