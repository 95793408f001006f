//! Applications and placements in Amsterdam, as a chapter follows them: a member
//! applies only where the region's labour-market rules allow it and the
//! application keeps what the rules ask for; the organisation moves it to an
//! offer, the member starts, the placement ends with a reason; and retention after
//! 3, 6 and 12 months counts only the placements that have reached the mark.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Months, NaiveDate, Utc};
use common::chapter::{Chapter, employer, newcomer, ngo, refusal_of};
use common::{Backend, Cluster, to};
use passage_proto::v1;
use tonic::Code;

on_both_backends!(
    an_asylum_seeker_four_months_after_applying_may_volunteer_but_not_take_a_paid_job,
    an_offer_is_accepted_with_a_start_date_and_the_placement_ends_with_a_reason,
    retention_counts_only_placements_whose_mark_has_passed,
    a_deleted_members_placement_still_counts_but_names_no_one,
    a_placement_cannot_start_on_a_day_the_rules_forbid_the_work,
);

const REGION: &str = "amsterdam";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn months_ago(months: u32) -> NaiveDate {
    today().checked_sub_months(Months::new(months)).unwrap()
}

/// Amsterdam's organisations in care, which every story here starts with.
struct Care {
    employer: String,
    ngo: String,
}

impl Care {
    /// The chapter registers an employer and a volunteer organisation.
    async fn open(chapter: &mut Chapter) -> Care {
        Care {
            employer: chapter.organisation(employer("Zorggroep Amstel")).await,
            ngo: chapter.organisation(ngo("Buurthuis De Meeuw")).await,
        }
    }

    /// A paid job at the employer: 32 h/week at €16.50.
    fn job(&self, title: &str) -> v1::Opportunity {
        v1::Opportunity {
            organisation_id: self.employer.clone(),
            title: title.into(),
            description: "Care assistant on the geriatric ward.".into(),
            kind: v1::OpportunityKind::Job as i32,
            sector: "healthcare".into(),
            languages: vec!["nl".into()],
            hours_per_week: 32,
            paid: true,
            hourly_wage_cents: 1_650,
            location: "Amsterdam-Oost".into(),
            ..Default::default()
        }
    }

    /// An unpaid volunteer role at the volunteer organisation.
    fn volunteering(&self, title: &str) -> v1::Opportunity {
        v1::Opportunity {
            organisation_id: self.ngo.clone(),
            title: title.into(),
            description: "Welcoming visitors and making coffee at the community centre.".into(),
            kind: v1::OpportunityKind::Volunteer as i32,
            sector: "healthcare".into(),
            languages: vec!["nl".into(), "ar".into()],
            hours_per_week: 6,
            paid: false,
            location: "Amsterdam-Oost".into(),
            ..Default::default()
        }
    }
}

/// The chapter follows applications and placements.
impl Chapter {
    /// A newcomer of Amsterdam who keeps her profile in the region (a status
    /// holder in civic integration unless `change` says otherwise).
    async fn applicant(
        &mut self,
        name: &str,
        change: impl FnOnce(&mut v1::RegionalRecord),
    ) -> String {
        let mut member = newcomer(name);
        member.profile.as_mut().unwrap().share_across_regions = false;
        change(member.regional.as_mut().unwrap());
        self.register_member(member).await
    }

    async fn apply(
        &mut self,
        member: &str,
        opportunity: &str,
    ) -> Result<v1::Application, tonic::Status> {
        self.placements
            .apply(to(
                REGION,
                v1::ApplyRequest {
                    member_id: member.into(),
                    opportunity_id: opportunity.into(),
                    motivation: "I worked in care for six years.".into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn move_to(
        &mut self,
        application: &str,
        stage: v1::ApplicationStage,
    ) -> Result<v1::Application, tonic::Status> {
        self.placements
            .move_application(to(
                REGION,
                v1::MoveApplicationRequest {
                    id: application.into(),
                    stage: stage as i32,
                    note: String::new(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn accept(
        &mut self,
        application: &str,
        start: &str,
        fill: bool,
    ) -> Result<v1::AcceptApplicationResponse, tonic::Status> {
        self.placements
            .accept_application(to(
                REGION,
                v1::AcceptApplicationRequest {
                    id: application.into(),
                    start_date: start.into(),
                    fill_opportunity: fill,
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn end(
        &mut self,
        placement: &str,
        end: NaiveDate,
        reason: v1::PlacementEndReason,
    ) -> Result<v1::Placement, tonic::Status> {
        self.placements
            .end_placement(to(
                REGION,
                v1::EndPlacementRequest {
                    id: placement.into(),
                    end_date: day(end),
                    reason: reason as i32,
                    note: String::new(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Applies, moves through every stage to an offer and accepts it.
    async fn place(&mut self, member: &str, opportunity: &str, start: NaiveDate) -> v1::Placement {
        let application = self.apply(member, opportunity).await.unwrap();
        for stage in [
            v1::ApplicationStage::Screening,
            v1::ApplicationStage::Interview,
            v1::ApplicationStage::Offer,
        ] {
            self.move_to(&application.id, stage).await.unwrap();
        }
        self.accept(&application.id, &day(start), false)
            .await
            .unwrap()
            .placement
            .unwrap()
    }
}

async fn an_asylum_seeker_four_months_after_applying_may_volunteer_but_not_take_a_paid_job(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let care = Care::open(&mut chapter).await;
    let hana = chapter
        .applicant("Hana Tesfaye", |regional| {
            regional.residence_status = v1::ResidenceStatus::AsylumSeeker as i32;
            regional.asylum_application_date = day(months_ago(4));
            regional.civic_integration = v1::CivicIntegration::None as i32;
        })
        .await;
    let job = chapter.published(care.job("Care assistant")).await;
    let volunteering = chapter
        .published(care.volunteering("Host at the community centre"))
        .await;
    let draft = chapter.draft(care.volunteering("Kitchen help")).await;

    // Paid work waits until six months after the asylum application.
    let refused = chapter.apply(&hana, &job).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused
            .message()
            .contains("6 months after their asylum application")
            && refused
                .message()
                .contains("[nl-asylum-paid-work-waiting-period]"),
        "{refused:?}"
    );

    // Volunteering she may do, once the organisation holds a volunteer statement.
    let application = chapter.apply(&hana, &volunteering).await.unwrap();
    assert_eq!(application.stage, v1::ApplicationStage::Applied as i32);
    assert!(
        application
            .conditions
            .iter()
            .any(|c| c.contains("volunteer statement")),
        "{application:?}"
    );
    assert!(
        application
            .rule_ids
            .contains(&"nl-asylum-volunteer-statement".to_owned())
    );
    assert!(!application.rules_version.is_empty());
    assert_eq!(application.evaluated_on, day(today()));
    assert_eq!(application.hours_cap, 0);

    // One open application per opportunity; drafts take none.
    let twice = chapter.apply(&hana, &volunteering).await.unwrap_err();
    assert_eq!(twice.code(), Code::AlreadyExists, "{twice:?}");
    let not_out = chapter.apply(&hana, &draft).await.unwrap_err();
    assert_eq!(not_out.code(), Code::FailedPrecondition);
    assert!(
        not_out.message().contains("only a published opportunity"),
        "{not_out:?}"
    );

    // Her applications: only the one that was allowed.
    let hers = chapter
        .placements
        .list_applications(to(
            REGION,
            v1::ListApplicationsRequest {
                member_id: hana.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(hers.applications.len(), 1);
    assert_eq!(hers.applications[0].opportunity_id, volunteering);

    let nobody = chapter.apply("not-an-id", &job).await.unwrap_err();
    assert_eq!(nobody.code(), Code::InvalidArgument);
    assert!(nobody.message().starts_with("member_id"), "{nobody:?}");
    cluster.stop().await;
}

async fn an_offer_is_accepted_with_a_start_date_and_the_placement_ends_with_a_reason(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let care = Care::open(&mut chapter).await;
    let job = chapter.published(care.job("Care assistant")).await;
    // Amira is a status holder in civic integration: Amsterdam caps her hours.
    let amira = chapter.applicant("Amira Haddad", |_| {}).await;
    let application = chapter.apply(&amira, &job).await.unwrap();
    assert_eq!(application.hours_cap, 24, "{application:?}");
    assert!(
        application
            .rule_ids
            .contains(&"nl-civic-integration-hours-cap".to_owned())
    );

    // The organisation cannot skip the interview.
    let skipped = chapter
        .move_to(&application.id, v1::ApplicationStage::Offer)
        .await
        .unwrap_err();
    assert_eq!(skipped.code(), Code::FailedPrecondition);
    assert!(
        skipped.message().contains("at stage applied"),
        "{skipped:?}"
    );
    for stage in [
        v1::ApplicationStage::Screening,
        v1::ApplicationStage::Interview,
    ] {
        chapter.move_to(&application.id, stage).await.unwrap();
    }
    let early = chapter
        .accept(&application.id, &day(today()), false)
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition);
    assert!(early.message().contains("at stage interview"), "{early:?}");
    let offer = chapter
        .move_to(&application.id, v1::ApplicationStage::Offer)
        .await
        .unwrap();
    assert_eq!(offer.stage, v1::ApplicationStage::Offer as i32);

    // Accepting needs the first day of work.
    let no_start = chapter
        .accept(&application.id, "", false)
        .await
        .unwrap_err();
    assert_eq!(no_start.code(), Code::InvalidArgument);
    assert!(no_start.message().starts_with("start_date"), "{no_start:?}");
    let start = today() - chrono::Days::new(10);
    let accepted = chapter
        .accept(&application.id, &day(start), false)
        .await
        .unwrap();
    let placement = accepted.placement.unwrap();
    let application = accepted.application.unwrap();
    assert_eq!(application.stage, v1::ApplicationStage::Accepted as i32);
    assert_eq!(application.placement_id, placement.id);
    assert_eq!(placement.kind, v1::PlacementKind::PaidJob as i32);
    assert_eq!(placement.start_date, day(start));
    assert_eq!(placement.member_id, amira);
    assert_eq!(placement.end_date, "");
    // The job has more places: it stays published.
    assert_eq!(
        chapter.opportunity_status(&job).await,
        v1::OpportunityStatus::Published
    );
    let closed = chapter
        .move_to(&application.id, v1::ApplicationStage::Rejected)
        .await
        .unwrap_err();
    assert!(
        closed.message().contains("can no longer move"),
        "{closed:?}"
    );

    // A second hire fills the last place.
    let bilal = chapter.applicant("Bilal Nouri", |_| {}).await;
    let second = chapter.apply(&bilal, &job).await.unwrap();
    for stage in [
        v1::ApplicationStage::Screening,
        v1::ApplicationStage::Interview,
        v1::ApplicationStage::Offer,
    ] {
        chapter.move_to(&second.id, stage).await.unwrap();
    }
    chapter
        .accept(&second.id, &day(today()), true)
        .await
        .unwrap();
    assert_eq!(
        chapter.opportunity_status(&job).await,
        v1::OpportunityStatus::Filled
    );

    // The placement ends: not before it started, and only once.
    let too_early = chapter
        .end(
            &placement.id,
            start - chrono::Days::new(1),
            v1::PlacementEndReason::ContractEnded,
        )
        .await
        .unwrap_err();
    assert_eq!(too_early.code(), Code::InvalidArgument);
    assert!(too_early.message().starts_with("end_date"), "{too_early:?}");
    let before = start - chrono::Days::new(1);
    let line = refusal_of(
        &too_early,
        "end_date",
        v1::RefusalKind::Before,
        &before.to_string(),
    );
    assert_eq!(line.allowed, [start.to_string()]);
    let ended = chapter
        .end(
            &placement.id,
            today(),
            v1::PlacementEndReason::ContractEnded,
        )
        .await
        .unwrap();
    assert_eq!(ended.end_date, day(today()));
    assert_eq!(
        ended.end_reason,
        v1::PlacementEndReason::ContractEnded as i32
    );
    let again = chapter
        .end(&placement.id, today(), v1::PlacementEndReason::Completed)
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert!(again.message().contains("already ended"), "{again:?}");

    // Her placements, ended and active.
    let list = |state: v1::PlacementState| {
        let mut client = chapter.placements.clone();
        let member_id = amira.clone();
        async move {
            client
                .list_placements(to(
                    REGION,
                    v1::ListPlacementsRequest {
                        member_id,
                        state: state as i32,
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .placements
        }
    };
    assert_eq!(list(v1::PlacementState::Ended).await.len(), 1);
    assert!(list(v1::PlacementState::Active).await.is_empty());

    // A member withdraws her own application, and only she can.
    let chen = chapter.applicant("Chen Wei", |_| {}).await;
    let volunteering = chapter
        .published(care.volunteering("Host at the community centre"))
        .await;
    let hers = chapter.apply(&chen, &volunteering).await.unwrap();
    let by_other = chapter
        .placements
        .withdraw_application(to(
            REGION,
            v1::WithdrawApplicationRequest {
                id: hers.id.clone(),
                member_id: bilal.clone(),
                note: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(by_other.code(), Code::FailedPrecondition);
    let withdrawn = chapter
        .placements
        .withdraw_application(to(
            REGION,
            v1::WithdrawApplicationRequest {
                id: hers.id.clone(),
                member_id: chen,
                note: "Found a place closer to home.".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(withdrawn.stage, v1::ApplicationStage::Withdrawn as i32);
    assert_eq!(withdrawn.stage_note, "Found a place closer to home.");
    cluster.stop().await;
}

async fn retention_counts_only_placements_whose_mark_has_passed(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let care = Care::open(&mut chapter).await;
    let job = chapter.published(care.job("Care assistant")).await;
    let volunteering = chapter
        .published(care.volunteering("Host at the community centre"))
        .await;
    let newcomer = |n: usize| format!("Newcomer {n}");

    // Thirteen months in and still working: retained at 3, 6 and 12 months.
    let member = chapter.applicant(&newcomer(1), |_| {}).await;
    chapter.place(&member, &job, months_ago(13)).await;
    // Started eight months ago, left after four: retained at 3, not at 6; its
    // 12-month mark is still to come.
    let member = chapter.applicant(&newcomer(2), |_| {}).await;
    let start = months_ago(8);
    let left = chapter.place(&member, &job, start).await;
    chapter
        .end(
            &left.id,
            start.checked_add_months(Months::new(4)).unwrap(),
            v1::PlacementEndReason::LeftForOtherJob,
        )
        .await
        .unwrap();
    // Started last month: no mark has passed yet.
    let member = chapter.applicant(&newcomer(3), |_| {}).await;
    chapter.place(&member, &job, months_ago(1)).await;
    // Volunteered a month, seven months ago: not retained at 3 or 6.
    let member = chapter.applicant(&newcomer(4), |_| {}).await;
    let start = months_ago(7);
    let short = chapter.place(&member, &volunteering, start).await;
    chapter
        .end(
            &short.id,
            start.checked_add_months(Months::new(1)).unwrap(),
            v1::PlacementEndReason::MovedAway,
        )
        .await
        .unwrap();
    // Started twenty months ago: before the range asked for.
    let member = chapter.applicant(&newcomer(5), |_| {}).await;
    chapter.place(&member, &job, months_ago(20)).await;

    let retention = chapter
        .placements
        .get_retention(to(
            REGION,
            v1::GetRetentionRequest {
                from_month: months_ago(14).format("%Y-%m").to_string(),
                to_month: today().format("%Y-%m").to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let figures = |f: &v1::RetentionFigures| {
        (
            f.started,
            f.marks
                .iter()
                .map(|m| (m.months, m.due, m.retained))
                .collect::<Vec<_>>(),
        )
    };
    let all = retention.all.as_ref().unwrap();
    assert_eq!(
        figures(all),
        (4, vec![(3, 3, 2), (6, 3, 1), (12, 1, 1)]),
        "{retention:?}"
    );
    assert!((all.marks[0].rate - 2.0 / 3.0).abs() < 1e-9);
    let kinds: Vec<i32> = retention.by_kind.iter().map(|k| k.kind).collect();
    assert_eq!(
        kinds,
        [
            v1::PlacementKind::PaidJob as i32,
            v1::PlacementKind::Volunteering as i32
        ]
    );
    assert_eq!(
        figures(&retention.by_kind[0]),
        (3, vec![(3, 2, 2), (6, 2, 1), (12, 1, 1)])
    );
    assert_eq!(
        figures(&retention.by_kind[1]),
        (1, vec![(3, 1, 0), (6, 1, 0), (12, 0, 0)])
    );
    assert_eq!(retention.by_kind[1].marks[2].rate, 0.0);

    let bad = chapter
        .placements
        .get_retention(to(
            REGION,
            v1::GetRetentionRequest {
                from_month: "2026-13".into(),
                to_month: "2026-11".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().starts_with("from_month"), "{bad:?}");
    refusal_of(&bad, "from_month", v1::RefusalKind::NotAMonth, "2026-13");
    cluster.stop().await;
}

/// Amira, placed two months ago, asks to be forgotten. Her application and her
/// placement still count in Amsterdam's figures, but no longer lead to her: they
/// carry an id that names no one, and her motivation is gone.
async fn a_deleted_members_placement_still_counts_but_names_no_one(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let care = Care::open(&mut chapter).await;
    let job = chapter.published(care.job("Care assistant")).await;
    let amira = chapter.applicant("Amira Haddad", |_| {}).await;
    let placement = chapter.place(&amira, &job, months_ago(2)).await;

    chapter
        .members
        .delete_member(to(REGION, v1::DeleteMemberRequest { id: amira.clone() }))
        .await
        .unwrap();

    let hers = chapter
        .placements
        .list_applications(to(
            REGION,
            v1::ListApplicationsRequest {
                member_id: amira.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .applications;
    assert!(hers.is_empty(), "{hers:?}");
    let kept = chapter
        .placements
        .get_placement(to(
            REGION,
            v1::GetPlacementRequest {
                id: placement.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(kept.member_id, amira);
    assert_eq!(kept.opportunity_id, job);
    assert_eq!(kept.start_date, placement.start_date);
    let application = chapter
        .placements
        .get_application(to(
            REGION,
            v1::GetApplicationRequest {
                id: placement.application_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(application.member_id, kept.member_id);
    assert_eq!(application.motivation, "");
    cluster.stop().await;
}

/// Yusuf applied for asylum eight months ago: he may take a paid job now, and his
/// application went through. The employer wants to record that he started three
/// months ago — when he was five months into the procedure and could not yet work
/// for pay. The chapter is told which rule stands in the way; a start from today
/// is accepted.
async fn a_placement_cannot_start_on_a_day_the_rules_forbid_the_work(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let care = Care::open(&mut chapter).await;
    let yusuf = chapter
        .applicant("Yusuf Rahimi", |regional| {
            regional.residence_status = v1::ResidenceStatus::AsylumSeeker as i32;
            regional.asylum_application_date = day(months_ago(8));
            regional.civic_integration = v1::CivicIntegration::None as i32;
        })
        .await;
    let job = chapter.published(care.job("Care assistant")).await;
    let application = chapter.apply(&yusuf, &job).await.unwrap();
    for stage in [
        v1::ApplicationStage::Screening,
        v1::ApplicationStage::Interview,
        v1::ApplicationStage::Offer,
    ] {
        chapter.move_to(&application.id, stage).await.unwrap();
    }

    let backdated = chapter
        .accept(&application.id, &day(months_ago(3)), false)
        .await
        .unwrap_err();
    assert_eq!(backdated.code(), Code::FailedPrecondition, "{backdated:?}");
    assert!(
        backdated
            .message()
            .contains("[nl-asylum-paid-work-waiting-period]")
            && backdated.message().contains("starting"),
        "{backdated:?}"
    );
    let placed = chapter
        .accept(&application.id, &day(today()), false)
        .await
        .unwrap();
    assert_eq!(placed.placement.unwrap().start_date, day(today()));
    cluster.stop().await;
}
