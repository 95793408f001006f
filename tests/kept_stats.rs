//! The figures a region keeps as it writes (issue 18 point 3) are the figures a
//! full recount gives: after a chapter's busy months — members joining and
//! changing their role and residence status, opportunities through review,
//! applications through their stages, placements starting and ending, buddy
//! pairs, helpdesk questions, a coaching cohort's outcomes, members moving in and
//! away, and erasures — in a random order, on both backends; and after a
//! chapter imports its history of applications, placements, community reviews
//! and helpdesk questions from its spreadsheets, then imports it again with
//! changes. The migration that keeps
//! the medians' positions fills the counters from the rows already there to the
//! same figures. A busy month's median, moved by each write rather than read
//! again from the month's records, is the median of those records after every
//! kind of change.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Datelike, Days, NaiveDate, Utc};
use common::chapter::{AMSTERDAM, Chapter, employer, local, newcomer};
use common::{Backend, Cluster, to};
use passage_migrations::{MigratorTrait, NodeMigrator};
use passage_proto::months::{Month, MonthSpan};
use passage_proto::v1::{
    self, helpdesk_service_client::HelpdeskServiceClient,
    spreadsheet_service_client::SpreadsheetServiceClient,
};
use prost_types::FieldMask;
use sea_orm::{Database, DatabaseConnection};

on_both_backends!(
    the_kept_figures_equal_a_full_recount_after_a_random_mix_of_writes,
    the_kept_figures_equal_a_full_recount_after_an_import_of_history,
    a_busy_months_median_moves_with_each_answer_and_removal,
);

/// A small deterministic generator: every run makes the same mix.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }

    /// One of `from`, if there is any.
    fn any(&mut self, from: &[String]) -> Option<String> {
        (!from.is_empty()).then(|| from[self.below(from.len())].clone())
    }
}

const RESIDENCE: &[v1::ResidenceStatus] = &[
    v1::ResidenceStatus::StatusHolder,
    v1::ResidenceStatus::StatusHolder,
    v1::ResidenceStatus::TemporaryProtection,
    v1::ResidenceStatus::CitizenOrResident,
    v1::ResidenceStatus::Other,
];
const CIVIC: &[v1::CivicIntegration] = &[
    v1::CivicIntegration::None,
    v1::CivicIntegration::InProgress,
    v1::CivicIntegration::Completed,
    v1::CivicIntegration::Exempt,
];
const STAGES: &[v1::ApplicationStage] = &[
    v1::ApplicationStage::Screening,
    v1::ApplicationStage::Interview,
    v1::ApplicationStage::Offer,
];
const OUTCOMES: &[v1::CoachingOutcome] = &[
    v1::CoachingOutcome::PaidJob,
    v1::CoachingOutcome::UnpaidRole,
    v1::CoachingOutcome::Education,
    v1::CoachingOutcome::None,
];

/// What the chapter has made so far, for the next step to pick from.
#[derive(Default)]
struct Made {
    newcomers: Vec<String>,
    locals: Vec<String>,
    published: Vec<String>,
    in_review: Vec<String>,
    applications: Vec<String>,
    placements: Vec<(String, NaiveDate)>,
    pairs: Vec<String>,
    questions: Vec<String>,
    enrolled: Vec<String>,
    answerer: String,
    cohort: String,
    organisation: String,
    /// Steps the nodes accepted, by kind.
    accepted: std::collections::BTreeMap<&'static str, usize>,
}

impl Made {
    fn accepted<T>(&mut self, step: &'static str, result: Result<T, tonic::Status>) -> Option<T> {
        let value = result.ok()?;
        *self.accepted.entry(step).or_insert(0) += 1;
        Some(value)
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

async fn the_kept_figures_equal_a_full_recount_after_a_random_mix_of_writes(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let mut dice = Dice(0x5EED_2026_1206_0022);
    let mut made = Made {
        organisation: chapter.organisation(employer("Zorggroep Amstel")).await,
        ..Made::default()
    };
    made.answerer = chapter.local("Sanne").await;
    chapter
        .register_answerer(&made.answerer, &["nl", "en"])
        .await;
    made.cohort = chapter.cohort_in_aftercare().await.id;
    for index in 0..6 {
        join(&mut chapter, &mut made, &mut dice, index).await;
    }

    for step in 0..160 {
        match dice.below(14) {
            0 => join(&mut chapter, &mut made, &mut dice, 100 + step).await,
            1 => change_member(&mut chapter, &mut made, &mut dice).await,
            2 => review(&mut chapter, &mut made, &mut dice, step).await,
            3 | 4 => apply(&mut chapter, &mut made, &mut dice).await,
            5 => place(&mut chapter, &mut made, &mut dice).await,
            6 => end_placement(&mut chapter, &mut made, &mut dice).await,
            7 => buddies(&mut chapter, &mut made, &mut dice).await,
            8 | 13 => helpdesk(&mut chapter, &mut made, &mut dice).await,
            9 => coaching(&mut chapter, &mut made, &mut dice).await,
            10 => moves(&cluster, &mut chapter, &mut made, &mut dice, step).await,
            11 => erase(&mut chapter, &mut made, &mut dice).await,
            _ => join(&mut chapter, &mut made, &mut dice, 100 + step).await,
        }
    }
    // The mix did what a chapter does, each kind of step at least once.
    for step in [
        "join", "change", "review", "apply", "stage", "place", "end", "pair", "ask", "answer",
        "enrol", "outcome", "arrive", "leave", "erase",
    ] {
        assert!(
            made.accepted.get(step).copied().unwrap_or(0) > 0,
            "no {step} was accepted: {:?}",
            made.accepted
        );
    }

    let db = Database::connect(cluster.database_urls[AMSTERDAM].as_str())
        .await
        .unwrap();
    // A member who moved away is erased here once her new home confirms the
    // arrival, in a transaction of its own: the figures agree after each one, but
    // the two readings may fall either side of one.
    let mut figures = kept_and_recounted(&db).await;
    for _ in 0..50 {
        if figures.iter().all(|(kept, recounted)| kept == recounted) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        figures = kept_and_recounted(&db).await;
    }
    for (kept, recounted) in &figures {
        assert_eq!(kept, recounted);
    }
    let (year, _) = &figures[1];
    let retention = year
        .counts
        .iter()
        .filter(|c| c.table.starts_with("retention_") && c.value > 0)
        .count();
    assert!(retention > 0, "some placement reached a mark: {year:?}");
    assert!(
        !year.medians.is_empty(),
        "the year has medians: {:?}",
        year.medians
    );

    // The migrations that bring the counters (000022) and fill them (000024)
    // count the rows already there: undone and applied again, they give the
    // same figures.
    let after_mine = NodeMigrator::migrations()
        .iter()
        .rev()
        .position(|m| m.name() == "m20261206_000022_create_stat_tallies")
        .unwrap() as u32;
    NodeMigrator::down(&db, Some(after_mine + 1)).await.unwrap();
    NodeMigrator::up(&db, None).await.unwrap();
    assert_eq!(kept_and_recounted(&db).await, figures);
    cluster.stop().await;
}

/// The day `months` months before today.
fn months_ago(months: u32) -> String {
    today()
        .checked_sub_months(chrono::Months::new(months))
        .unwrap()
        .to_string()
}

async fn the_kept_figures_equal_a_full_recount_after_an_import_of_history(backend: Backend) {
    // Arrange: a chapter's last two years in its spreadsheets — members who
    // joined, vacancies filled, applications at every stage and placements that
    // lasted or ended
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let members = format!(
        "external_id,display_name,role,residence_status,civic_integration,joined_on\n\
         h-1,Amal Yousef,newcomer,status_holder,in_progress,{}\n\
         h-2,Yonas Tesfay,newcomer,status_holder,completed,{}\n\
         h-3,Olena Kovalenko,newcomer,temporary_protection,none,{}\n",
        months_ago(26),
        months_ago(20),
        months_ago(8),
    );
    let organisations =
        "external_id,name,kind,sector\norg-h1,Zorggroep Amstel,employer,healthcare\n";
    let opportunities = format!(
        "external_id,organisation_external_id,title,kind,sector,hours_per_week,status,posted_on\n\
         hist-1,org-h1,Verzorgende IG,job,healthcare,32,filled,{}\n\
         hist-2,org-h1,Stage zorg,internship,healthcare,24,closed,{}\n\
         hist-3,org-h1,Vrijwilliger activiteiten,volunteer,healthcare,8,closed,{}\n",
        months_ago(24),
        months_ago(18),
        months_ago(7),
    );
    let applications = |olena: &str| {
        format!(
            "external_id,member_external_id,opportunity_external_id,stage,applied_on,decided_on\n\
             app-1,h-1,hist-1,accepted,{},{}\n\
             app-2,h-2,hist-1,rejected,{},{}\n\
             app-3,h-2,hist-2,accepted,{},{}\n\
             app-4,h-3,hist-3,{olena}\n\
             app-5,h-1,hist-3,withdrawn,{},{}\n",
            months_ago(23),
            months_ago(22),
            months_ago(23),
            months_ago(22),
            months_ago(17),
            months_ago(17),
            months_ago(6),
            months_ago(5),
        )
    };
    let interview = format!("interview,{},", months_ago(6));
    let accepted = format!("accepted,{},{}", months_ago(6), months_ago(5));
    let placements = |olena: &str| {
        format!(
            "external_id,application_external_id,start_date,end_date,end_reason\n\
             pl-1,app-1,{},{},contract_ended\n\
             pl-2,app-3,{},,\n\
             {olena}",
            months_ago(21),
            months_ago(7),
            months_ago(16),
        )
    };
    let olena_placed = format!("pl-3,app-4,{},,\n", months_ago(4));
    let olena_ended = format!(
        "pl-3,app-4,{},{},moved_away\n",
        months_ago(4),
        months_ago(1)
    );

    let reviews = format!(
        "external_id,opportunity_external_id,reviewer_external_id,verdict,reviewed_on,round,submitted_on,comment\n\
         rv-1,hist-1,h-1,request_changes,{},1,{},Which Dutch level?\n\
         rv-2,hist-1,h-3,approve,{},2,{},\n\
         rv-3,hist-2,h-2,approve,{},1,,\n",
        months_ago(25),
        months_ago(25),
        months_ago(24),
        months_ago(25),
        months_ago(19),
    );
    let questions = format!(
        "external_id,asker_external_id,language,topic,text,asked_on,answer,answered_on,answerer_external_id\n\
         q-1,h-1,ar,work permit,Do I need a TWV?,{},No.,{},h-2\n\
         q-2,h-3,uk,housing,Where do I register?,{},At the city office.,{},h-2\n\
         q-3,h-2,ti,language,Evening Dutch classes?,{},,,\n",
        months_ago(20),
        months_ago(20),
        months_ago(6),
        months_ago(5),
        months_ago(2),
    );

    // Act: the history, then the same files with what changed since
    let steps: [(v1::ImportKind, String); 10] = [
        (v1::ImportKind::Members, members),
        (v1::ImportKind::Organisations, organisations.to_owned()),
        (v1::ImportKind::Opportunities, opportunities),
        (v1::ImportKind::Applications, applications(&interview)),
        (v1::ImportKind::Placements, placements("")),
        (v1::ImportKind::Applications, applications(&accepted)),
        (v1::ImportKind::Placements, placements(&olena_placed)),
        (v1::ImportKind::Placements, placements(&olena_ended)),
        (v1::ImportKind::Reviews, reviews),
        (v1::ImportKind::HelpdeskQuestions, questions),
    ];
    for (kind, file) in steps {
        let report = sheets
            .import_records(to(
                AMSTERDAM,
                v1::ImportRecordsRequest {
                    kind: kind as i32,
                    file: file.into_bytes(),
                    apply: true,
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(report.applied, "{kind:?}: {:?}", report.refused);
        assert!(!report.created.is_empty() || !report.updated.is_empty());
    }

    // Assert: the kept figures are a full recount's, and count the history
    let db = Database::connect(cluster.database_urls[AMSTERDAM].as_str())
        .await
        .unwrap();
    let figures = kept_and_recounted(&db).await;
    for (kept, recounted) in &figures {
        assert_eq!(kept, recounted);
    }
    let (months_30, _) = &figures[1];
    let counted = |table: &str| -> i64 {
        months_30
            .counts
            .iter()
            .filter(|c| c.table == table)
            .map(|c| c.value)
            .sum()
    };
    assert!(counted("applications_by_stage") >= 5, "{months_30:?}");
    assert!(counted("retention_3_months") > 0, "{months_30:?}");
    // The reviews and questions of the last 30 months, all of them
    let (whole, _) = &figures[5];
    let in_whole = |table: &str| -> i64 {
        whole
            .counts
            .iter()
            .filter(|c| c.table == table)
            .map(|c| c.value)
            .sum()
    };
    assert_eq!(in_whole("reviews_by_verdict"), 3, "{whole:?}");
    assert_eq!(in_whole("helpdesk_questions_by_status"), 3, "{whole:?}");
    assert!(
        whole
            .medians
            .iter()
            .any(|m| m.table == "helpdesk_hours_to_answer"),
        "{:?}",
        whole.medians
    );
    assert!(!months_30.medians.is_empty(), "{:?}", months_30.medians);
    cluster.stop().await;
}

/// The region's figures as kept and as recounted, for the last 12 and the last
/// 30 months, without the time they were made.
async fn kept_and_recounted(db: &DatabaseConnection) -> Vec<(v1::RegionStats, v1::RegionStats)> {
    let today = today();
    let current = Month::new(today.year(), today.month()).unwrap();
    let mut figures = Vec::new();
    for months in [12, 30] {
        let span = MonthSpan {
            from: current.plus(1 - months),
            to: current,
        };
        let shown = |counted: passage_node::service::Counted| v1::RegionStats {
            computed_time: None,
            ..counted.into_stats(AMSTERDAM, span)
        };
        let kept = passage_node::service::kept(db, span, today).await.unwrap();
        let recounted = passage_node::service::recount(db, span, today, 2)
            .await
            .unwrap();
        // Each month on its own in one answer (as the gateway asks) is what a
        // call per month gives, merged as the gateway merges them.
        let by_month = sorted(kept.clone().into_stats_by_month(AMSTERDAM, span));
        let mut single_months = Vec::new();
        for month in span.months() {
            let one = MonthSpan {
                from: month,
                to: month,
            };
            let counted = passage_node::service::kept(db, one, today).await.unwrap();
            single_months.push((month, counted.into_stats(AMSTERDAM, one)));
        }
        let merged = passage_gateway::stats::fanout::by_calendar_month(single_months).unwrap();
        figures.push((by_month, sorted(merged)));
        let recounted_by_month = sorted(recounted.clone().into_stats_by_month(AMSTERDAM, span));
        figures.push((
            sorted(kept.clone().into_stats_by_month(AMSTERDAM, span)),
            recounted_by_month,
        ));
        figures.push((shown(kept), shown(recounted)));
    }
    figures
}

/// `figures` without their time, counts and medians in one order.
fn sorted(mut figures: v1::RegionStats) -> v1::RegionStats {
    figures.computed_time = None;
    figures
        .counts
        .sort_by(|a, b| (&a.table, &a.month, &a.category).cmp(&(&b.table, &b.month, &b.category)));
    figures
        .medians
        .sort_by(|a, b| (&a.table, &a.month).cmp(&(&b.table, &b.month)));
    figures
}

/// A newcomer or a local joins, with a residence status and civic integration
/// of the dice's choosing.
async fn join(chapter: &mut Chapter, made: &mut Made, dice: &mut Dice, index: usize) {
    let is_local = dice.below(3) == 0;
    let mut member = if is_local {
        local(&format!("Local {index}"))
    } else {
        newcomer(&format!("Newcomer {index}"))
    };
    let regional = member.regional.as_mut().unwrap();
    regional.residence_status = dice.pick(RESIDENCE) as i32;
    regional.civic_integration = dice.pick(CIVIC) as i32;
    regional.buddy_capacity = if is_local { 2 } else { 0 };
    let id = chapter.register_member(member).await;
    *made.accepted.entry("join").or_insert(0) += 1;
    if is_local {
        made.locals.push(id);
    } else {
        made.newcomers.push(id);
    }
}

/// A member's residence status, civic integration or role changes.
async fn change_member(chapter: &mut Chapter, made: &mut Made, dice: &mut Dice) {
    let everyone: Vec<String> = made.newcomers.iter().chain(&made.locals).cloned().collect();
    let Some(id) = dice.any(&everyone) else {
        return;
    };
    let mut regional = v1::RegionalRecord {
        residence_status: dice.pick(RESIDENCE) as i32,
        civic_integration: dice.pick(CIVIC) as i32,
        ..Default::default()
    };
    let mut paths = vec![
        "regional.residence_status".to_owned(),
        "regional.civic_integration".to_owned(),
    ];
    if made.locals.contains(&id) && dice.below(2) == 0 {
        regional.role = v1::MemberRole::VolunteerCoach as i32;
        paths.push("regional.role".into());
    }
    let result = chapter
        .members
        .update_member(to(
            AMSTERDAM,
            v1::UpdateMemberRequest {
                member: Some(v1::Member {
                    id,
                    regional: Some(regional),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask { paths }),
            },
        ))
        .await;
    made.accepted("change", result);
}

/// An organisation's opportunity goes to review: approved by newcomers until it
/// is published, or sent back or rejected.
async fn review(chapter: &mut Chapter, made: &mut Made, dice: &mut Dice, step: usize) {
    let opportunity = match made.in_review.pop() {
        Some(waiting) => waiting,
        None => {
            let draft = chapter
                .draft(v1::Opportunity {
                    organisation_id: made.organisation.clone(),
                    title: format!("Care assistant {step}"),
                    description: "Help residents with their daily care.".into(),
                    kind: dice.pick(&[v1::OpportunityKind::Job, v1::OpportunityKind::Internship])
                        as i32,
                    sector: "healthcare".into(),
                    languages: vec!["nl".into()],
                    hours_per_week: 24,
                    paid: true,
                    location: "Amsterdam-Oost".into(),
                    ..Default::default()
                })
                .await;
            let submitted = chapter.submit_for_review(&draft).await;
            if made.accepted("submit", submitted).is_none() {
                return;
            }
            draft
        }
    };
    let verdict = dice.pick(&[
        v1::ReviewVerdict::Approve,
        v1::ReviewVerdict::Approve,
        v1::ReviewVerdict::Approve,
        v1::ReviewVerdict::RequestChanges,
    ]);
    let reviewer = chapter.newcomer(&format!("Reviewer {step}")).await;
    let result = chapter
        .review
        .review_opportunity(to(
            AMSTERDAM,
            v1::ReviewOpportunityRequest {
                opportunity_id: opportunity.clone(),
                reviewer_member_id: reviewer,
                verdict: verdict as i32,
                comment: match verdict {
                    v1::ReviewVerdict::Approve => String::new(),
                    _ => "Say which shifts.".into(),
                },
            },
        ))
        .await;
    made.accepted("review", result);
    match chapter.opportunity_status(&opportunity).await {
        v1::OpportunityStatus::Published => made.published.push(opportunity),
        v1::OpportunityStatus::InReview => made.in_review.push(opportunity),
        _ => {}
    }
}

/// A newcomer applies to a published opportunity.
async fn apply(chapter: &mut Chapter, made: &mut Made, dice: &mut Dice) {
    let (Some(member), Some(opportunity)) = (dice.any(&made.newcomers), dice.any(&made.published))
    else {
        return;
    };
    let result = chapter
        .placements
        .apply(to(
            AMSTERDAM,
            v1::ApplyRequest {
                member_id: member,
                opportunity_id: opportunity,
                motivation: "I worked in care for six years.".into(),
            },
        ))
        .await
        .map(tonic::Response::into_inner);
    if let Some(application) = made.accepted("apply", result) {
        made.applications.push(application.id);
    }
}

/// An application moves on to its offer and, mostly, is accepted with a first
/// day up to a year and a half ago.
async fn place(chapter: &mut Chapter, made: &mut Made, dice: &mut Dice) {
    let Some(application) = dice.any(&made.applications) else {
        return;
    };
    for stage in STAGES {
        let moved = chapter
            .placements
            .move_application(to(
                AMSTERDAM,
                v1::MoveApplicationRequest {
                    id: application.clone(),
                    stage: *stage as i32,
                    note: String::new(),
                },
            ))
            .await;
        // A stage it has passed already is refused; the next one is taken.
        made.accepted("stage", moved);
    }
    if dice.below(4) == 0 {
        return;
    }
    let start = today() - Days::new(dice.below(540) as u64);
    let accepted = chapter
        .placements
        .accept_application(to(
            AMSTERDAM,
            v1::AcceptApplicationRequest {
                id: application.clone(),
                start_date: start.to_string(),
                fill_opportunity: false,
            },
        ))
        .await
        .map(tonic::Response::into_inner);
    if let Some(accepted) = made.accepted("place", accepted) {
        made.applications.retain(|a| *a != application);
        made.placements
            .push((accepted.placement.unwrap().id, start));
    }
}

/// A placement ends, some days after it started.
async fn end_placement(chapter: &mut Chapter, made: &mut Made, dice: &mut Dice) {
    if made.placements.is_empty() {
        return;
    }
    let (placement, start) = made.placements.remove(dice.below(made.placements.len()));
    let lasted = (today() - start).num_days().max(0) as u64;
    let end = start + Days::new(dice.next() % (lasted + 1));
    let result = chapter
        .placements
        .end_placement(to(
            AMSTERDAM,
            v1::EndPlacementRequest {
                id: placement,
                end_date: end.to_string(),
                reason: v1::PlacementEndReason::Completed as i32,
                note: String::new(),
            },
        ))
        .await;
    made.accepted("end", result);
}

/// Buddy pairs are proposed; one is confirmed, declined or ended.
async fn buddies(chapter: &mut Chapter, made: &mut Made, dice: &mut Dice) {
    if let Some(pair) = dice.any(&made.pairs).filter(|_| dice.below(2) == 0) {
        let result = match dice.below(3) {
            0 => chapter
                .buddies
                .confirm_buddy_pair(to(AMSTERDAM, v1::ConfirmBuddyPairRequest { id: pair }))
                .await
                .map(|_| ()),
            1 => chapter
                .buddies
                .decline_buddy_pair(to(AMSTERDAM, v1::DeclineBuddyPairRequest { id: pair }))
                .await
                .map(|_| ()),
            _ => chapter
                .buddies
                .end_buddy_pair(to(
                    AMSTERDAM,
                    v1::EndBuddyPairRequest {
                        id: pair,
                        reason: "moved house".into(),
                    },
                ))
                .await
                .map(|_| ()),
        };
        made.accepted("pair", result);
        return;
    }
    let proposed = chapter
        .buddies
        .propose_buddy_pairs(to(AMSTERDAM, v1::ProposeBuddyPairsRequest { max_pairs: 2 }))
        .await
        .map(tonic::Response::into_inner);
    if let Some(proposed) = made.accepted("pair", proposed) {
        made.pairs.extend(proposed.pairs.into_iter().map(|p| p.id));
    }
}

/// A member asks the helpdesk, or the answerer answers a question.
async fn helpdesk(chapter: &mut Chapter, made: &mut Made, dice: &mut Dice) {
    if let Some(question) = dice.any(&made.questions).filter(|_| dice.below(2) == 0) {
        let result = HelpdeskServiceClient::new(chapter.gateway_channel())
            .answer_question(to(
                AMSTERDAM,
                v1::AnswerQuestionRequest {
                    id: question.clone(),
                    answerer_member_id: made.answerer.clone(),
                    answer: "Ask at the town hall's desk.".into(),
                },
            ))
            .await;
        made.accepted("answer", result);
        made.questions.retain(|q| *q != question);
        return;
    }
    let Some(asker) = dice.any(&made.newcomers) else {
        return;
    };
    let language = dice.pick(&["nl", "en", "nl", "uk"]);
    let asked = HelpdeskServiceClient::new(chapter.gateway_channel())
        .ask_question(to(
            AMSTERDAM,
            v1::AskQuestionRequest {
                asker_member_id: asker,
                language: language.into(),
                topic: "work".into(),
                text: "Where do I register my diploma?".into(),
            },
        ))
        .await
        .map(tonic::Response::into_inner);
    if let Some(question) = made.accepted("ask", asked) {
        made.questions.push(question.id);
    }
}

/// A newcomer is enrolled in the cohort, or a participant's outcome recorded.
async fn coaching(chapter: &mut Chapter, made: &mut Made, dice: &mut Dice) {
    if let Some(member) = dice.any(&made.enrolled).filter(|_| dice.below(2) == 0) {
        let result = chapter
            .coaching
            .record_participant_outcome(to(
                AMSTERDAM,
                v1::RecordParticipantOutcomeRequest {
                    cohort_id: made.cohort.clone(),
                    member_id: member,
                    outcome: dice.pick(OUTCOMES) as i32,
                    detail: "Started at the care home.".into(),
                    ..Default::default()
                },
            ))
            .await;
        made.accepted("outcome", result);
        return;
    }
    let Some(member) = dice.any(&made.newcomers) else {
        return;
    };
    let result = chapter
        .coaching
        .enrol_participant(to(
            AMSTERDAM,
            v1::EnrolParticipantRequest {
                cohort_id: made.cohort.clone(),
                member_id: member.clone(),
            },
        ))
        .await;
    if made.accepted("enrol", result).is_some() {
        made.enrolled.push(member);
    }
}

/// A newcomer of Miami moves to Amsterdam, or one of Amsterdam's moves to Miami.
async fn moves(
    cluster: &Cluster,
    chapter: &mut Chapter,
    made: &mut Made,
    dice: &mut Dice,
    step: usize,
) {
    let (from, to_region, member) = match dice.any(&made.newcomers).filter(|_| dice.below(2) == 0) {
        Some(member) => ("amsterdam", "miami", member),
        None => {
            let member = chapter.newcomer_in("miami", &format!("Mover {step}")).await;
            chapter.until_amsterdam_holds(&member).await;
            ("miami", "amsterdam", member)
        }
    };
    if cluster
        .member_confirms_move(from, &member, to_region)
        .await
        .is_err()
    {
        return;
    }
    let transferred = chapter
        .members
        .transfer_member(to(
            to_region,
            v1::TransferMemberRequest {
                member_id: member.clone(),
                regional: Some(v1::RegionalRecord {
                    role: v1::MemberRole::Newcomer as i32,
                    residence_status: dice.pick(RESIDENCE) as i32,
                    ..Default::default()
                }),
                requested_by: format!("chapter admin of {to_region}"),
            },
        ))
        .await;
    let step = if to_region == AMSTERDAM {
        "arrive"
    } else {
        "leave"
    };
    if made.accepted(step, transferred).is_some() {
        if to_region == AMSTERDAM {
            made.newcomers.push(member);
        } else {
            made.newcomers.retain(|m| *m != member);
            made.enrolled.retain(|m| *m != member);
        }
    }
}

/// The chapter erases a member at her request, with everything she left.
async fn erase(chapter: &mut Chapter, made: &mut Made, dice: &mut Dice) {
    let Some(member) = dice.any(&made.newcomers) else {
        return;
    };
    let result = chapter
        .members
        .delete_member(to(
            AMSTERDAM,
            v1::DeleteMemberRequest { id: member.clone() },
        ))
        .await;
    if made.accepted("erase", result).is_some() {
        made.newcomers.retain(|m| *m != member);
        made.enrolled.retain(|m| *m != member);
    }
}

/// A month's median is kept as the records change, each write moving it from
/// where it was: after single answers, batches (an import), removals (an
/// erasure, an answer changed) and the month emptied and filled again, it is the
/// median of the month's records as a fresh count gives it.
async fn a_busy_months_median_moves_with_each_answer_and_removal(backend: Backend) {
    use passage_migrations::tallies::{Change, HOURS_TO_ANSWER, Sample};
    use sea_orm::{ConnectionTrait, TransactionTrait};
    use std::collections::BTreeMap;

    let cluster = Cluster::start(backend).await;
    let db = Database::connect(cluster.database_urls[AMSTERDAM].as_str())
        .await
        .unwrap();
    let month = Month::new(2019, 3).unwrap();
    let sample = |amount: i64| Sample {
        tally: HOURS_TO_ANSWER,
        month,
        amount,
    };
    // The month's records as a count from scratch sees them: amount → records.
    let mut records: BTreeMap<i64, i64> = BTreeMap::new();
    let mut dice = Dice(0x5EED_2026_1208_0024);
    let hour = 3_600_000;
    for step in 0..400 {
        let mut change = Change::default();
        let size = match dice.below(10) {
            0 => 1 + dice.below(40),
            _ => 1,
        };
        for _ in 0..size {
            let remove = !records.is_empty() && dice.below(3) == 0;
            if remove {
                let present: Vec<i64> = records.keys().copied().collect();
                let amount = present[dice.below(present.len())];
                change.resample(Some(sample(amount)), None);
                *records.get_mut(&amount).unwrap() -= 1;
                records.retain(|_, n| *n > 0);
            } else {
                // Answers within a few hours, often the same amount twice.
                let amount = (dice.below(24) as i64) * hour / 2 + (dice.below(3) as i64);
                change.resample(None, Some(sample(amount)));
                *records.entry(amount).or_insert(0) += 1;
            }
        }
        if step == 300 {
            // Everything removed: the month has no median, then gets one again.
            for (amount, n) in std::mem::take(&mut records) {
                for _ in 0..n {
                    change.resample(Some(sample(amount)), None);
                }
            }
        }
        let txn = db.begin().await.unwrap();
        change.write(&txn).await.unwrap();
        txn.commit().await.unwrap();

        let kept = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT median, records FROM stat_median \
                     WHERE tally = '{HOURS_TO_ANSWER}' AND month = '{month}'"
                ),
            ))
            .await
            .unwrap()
            .map(|row| {
                (
                    row.try_get::<f64>("", "median").unwrap(),
                    row.try_get::<i64>("", "records").unwrap(),
                )
            });
        assert_eq!(kept, counted_median(&records), "after step {step}");
    }
    let total: i64 = records.values().sum();
    assert!(total > 50, "the month ended busy: {total} records");
    cluster.stop().await;
}

/// The median of `records` (amount in milliseconds → records), in hours, the
/// middle one or the mean of the middle two; and how many records.
fn counted_median(records: &std::collections::BTreeMap<i64, i64>) -> Option<(f64, i64)> {
    let all: Vec<i64> = records
        .iter()
        .flat_map(|(amount, n)| std::iter::repeat_n(*amount, *n as usize))
        .collect();
    if all.is_empty() {
        return None;
    }
    let hours = |ms: i64| ms as f64 / 3_600_000.0;
    let middle = all.len() / 2;
    let median = if all.len() % 2 == 1 {
        hours(all[middle])
    } else {
        (hours(all[middle - 1]) + hours(all[middle])) / 2.0
    };
    Some((median, all.len() as i64))
}
