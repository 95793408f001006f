//! A chapter's history beyond applications and placements comes in through the
//! same spreadsheet import: community reviews of its past vacancies, its events
//! with who registered and who came, its coaching cohorts with their
//! participants' outcomes, its helpdesk questions with their answers, and its
//! buddy pairs. Each
//! kind is checked line by line — a record that could not have happened is
//! refused naming its line, column and why, and nothing is written — then
//! imported once: importing the same file again creates nothing twice. The
//! records read back through the public API as they happened, with their dates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, Cluster, to};
use passage_proto::v1::{
    self, buddy_service_client::BuddyServiceClient, coaching_service_client::CoachingServiceClient,
    event_service_client::EventServiceClient, helpdesk_service_client::HelpdeskServiceClient,
    market_service_client::MarketServiceClient, member_service_client::MemberServiceClient,
    region_stats_service_client::RegionStatsServiceClient,
    review_service_client::ReviewServiceClient,
    spreadsheet_service_client::SpreadsheetServiceClient,
};
use tonic::transport::Channel;

on_both_backends!(
    community_reviews_of_past_vacancies_come_in_once,
    helpdesk_questions_come_in_with_their_answers,
    a_chapters_events_come_in_with_who_came,
    a_chapters_cohorts_come_in_with_their_outcomes,
    buddy_pairs_come_in_within_each_locals_room,
);

async fn import(
    sheets: &mut SpreadsheetServiceClient<Channel>,
    kind: v1::ImportKind,
    file: &str,
    apply: bool,
) -> v1::ImportReport {
    sheets
        .import_records(to(
            "amsterdam",
            v1::ImportRecordsRequest {
                kind: kind as i32,
                file: file.as_bytes().to_vec(),
                apply,
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

/// An import as the gateway answers it.
async fn import_raw(
    sheets: &mut SpreadsheetServiceClient<Channel>,
    kind: v1::ImportKind,
    file: &[u8],
    apply: bool,
) -> Result<v1::ImportReport, tonic::Status> {
    sheets
        .import_records(to(
            "amsterdam",
            v1::ImportRecordsRequest {
                kind: kind as i32,
                file: file.to_vec(),
                apply,
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// Imports each file and insists it was taken whole.
async fn imported(
    sheets: &mut SpreadsheetServiceClient<Channel>,
    files: &[(v1::ImportKind, &str)],
) {
    for (kind, file) in files {
        let report = import(sheets, *kind, file, true).await;
        assert!(report.applied, "{kind:?}: {:?}", report.refused);
    }
}

/// The lines of `report` refused: line, column and kind.
fn refused_lines(report: &v1::ImportReport) -> Vec<(u32, &str, v1::RefusalKind)> {
    report
        .refused
        .iter()
        .map(|r| (r.line, r.column.as_str(), r.kind()))
        .collect()
}

/// The id of the member the chapter's spreadsheet calls `external_id`.
async fn member_id(members: &mut MemberServiceClient<Channel>, name: &str) -> String {
    members
        .search_members(to(
            "amsterdam",
            v1::SearchMembersRequest {
                query: name.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matches[0]
        .id
        .clone()
}

/// The region's opportunity called `title`.
async fn opportunity(market: &mut MarketServiceClient<Channel>, title: &str) -> v1::Opportunity {
    market
        .list_opportunities(to("amsterdam", v1::ListOpportunitiesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .opportunities
        .into_iter()
        .find(|o| o.title == title)
        .unwrap()
}

fn day_of(time: Option<prost_types::Timestamp>) -> String {
    let time = time.unwrap();
    chrono::DateTime::from_timestamp(time.seconds, 0)
        .unwrap()
        .date_naive()
        .to_string()
}

/// Amsterdam's chapter: two newcomers who reviewed vacancies, a local
/// volunteer, and a care home's vacancies of 2022 (one filled, one closed after
/// review, one still a draft).
const MEMBERS: &str = "external_id,display_name,role,residence_status,languages,joined_on\n\
    h-1,Amal Yousef,newcomer,status_holder,ar|nl,2022-01-10\n\
    h-2,Yonas Tesfay,newcomer,status_holder,ti|en,2022-02-01\n\
    h-3,Pieter Bakker,local,citizen_or_resident,nl|ar,2021-11-01\n";
const ORGANISATIONS: &str =
    "external_id,name,kind,sector\norg-h1,Zorggroep Amstel,employer,healthcare\n";
const OPPORTUNITIES: &str = "external_id,organisation_external_id,title,kind,sector,hours_per_week,status,posted_on,closed_on\n\
    hist-1,org-h1,Verzorgende IG,job,healthcare,32,filled,2022-03-01,2022-05-01\n\
    hist-2,org-h1,Stage zorg,internship,healthcare,24,closed,2022-07-01,2022-09-01\n\
    draft-1,org-h1,Helpende zorg,job,healthcare,24,,,\n";
const REVIEWS: &str = "external_id,opportunity_external_id,reviewer_external_id,verdict,reviewed_on,round,submitted_on,comment\n\
    rv-1,hist-1,h-1,request_changes,2022-02-20,1,2022-02-18,Say which Dutch level you ask\n\
    rv-2,hist-1,h-1,approve,2022-02-27,2,2022-02-25,\n\
    rv-3,hist-1,h-2,approve,2022-02-28,2,,Clear now\n\
    rv-4,hist-2,h-2,reject,2022-06-29,,,Unpaid full-time internship\n";

async fn community_reviews_of_past_vacancies_come_in_once(backend: Backend) {
    // Arrange: the members, the care home and its vacancies
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let mut reviews = ReviewServiceClient::new(cluster.gateway().await);
    imported(
        &mut sheets,
        &[
            (v1::ImportKind::Members, MEMBERS),
            (v1::ImportKind::Organisations, ORGANISATIONS),
            (v1::ImportKind::Opportunities, OPPORTUNITIES),
        ],
    )
    .await;
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let bad = format!(
        "external_id,opportunity_external_id,reviewer_external_id,verdict,reviewed_on,round,comment\n\
         rv-9,hist-404,h-1,approve,2022-02-27,1,\n\
         rv-10,hist-1,h-404,approve,2022-02-27,1,\n\
         rv-11,hist-1,h-3,approve,2022-02-27,1,\n\
         rv-12,draft-1,h-1,approve,2022-02-27,1,\n\
         rv-13,hist-1,h-1,reject,2022-02-27,1,\n\
         rv-14,hist-1,h-2,approve,{tomorrow},1,\n\
         rv-15,hist-2,h-1,approve,2022-06-29,1,\n\
         rv-16,hist-2,h-1,approve,2022-06-30,1,\n\
         rv-17,hist-2,h-2,approve,2022-06-30,0,\n"
    );

    // Act: a file with bad lines, then the good file, twice
    let refused = import(&mut sheets, v1::ImportKind::Reviews, &bad, true).await;
    let dry = import(&mut sheets, v1::ImportKind::Reviews, REVIEWS, false).await;
    let applied = import(&mut sheets, v1::ImportKind::Reviews, REVIEWS, true).await;
    let again = import(&mut sheets, v1::ImportKind::Reviews, REVIEWS, true).await;

    // Assert: each bad line named with its column and why; nothing written
    assert!(!refused.applied);
    assert_eq!(
        refused_lines(&refused),
        [
            (
                2,
                "opportunity_external_id",
                v1::RefusalKind::UnknownOpportunity
            ),
            (3, "reviewer_external_id", v1::RefusalKind::UnknownMember),
            (4, "reviewer_external_id", v1::RefusalKind::NotANewcomer),
            (5, "opportunity_external_id", v1::RefusalKind::ReviewNotOver),
            (6, "comment", v1::RefusalKind::NeedsAReason),
            (7, "reviewed_on", v1::RefusalKind::InTheFuture),
            (9, "reviewer_external_id", v1::RefusalKind::AlreadyIn),
        ]
    );
    assert_eq!(refused.refused[2].value, "local");
    assert_eq!(refused.refused[3].value, "draft");
    assert_eq!(refused.refused[6].allowed, ["8"]);
    assert!(dry.created.len() == 4 && !dry.applied);
    assert!(applied.applied, "{:?}", applied.refused);
    assert_eq!(applied.created, ["rv-1", "rv-2", "rv-3", "rv-4"]);
    assert_eq!(applied.history, 4);
    assert!(again.created.is_empty() && again.updated.is_empty());
    assert_eq!((again.unchanged, again.history), (4, 0));

    // Assert: the reviews read back in their rounds, with their days; the
    // vacancies keep the status they had
    let mut market = MarketServiceClient::new(cluster.gateway().await);
    let filled = opportunity(&mut market, "Verzorgende IG").await;
    assert_eq!(filled.status(), v1::OpportunityStatus::Filled);
    let listed = reviews
        .list_opportunity_reviews(to(
            "amsterdam",
            v1::ListOpportunityReviewsRequest {
                opportunity_id: filled.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .reviews;
    let told: Vec<(i32, v1::ReviewVerdict, String)> = listed
        .iter()
        .map(|r| (r.round, r.verdict(), day_of(r.create_time)))
        .collect();
    assert_eq!(
        told,
        [
            (
                1,
                v1::ReviewVerdict::RequestChanges,
                "2022-02-20".to_owned()
            ),
            (2, v1::ReviewVerdict::Approve, "2022-02-27".to_owned()),
            (2, v1::ReviewVerdict::Approve, "2022-02-28".to_owned()),
        ]
    );
    assert_eq!(listed[0].comment, "Say which Dutch level you ask");
    let closed = opportunity(&mut market, "Stage zorg").await;
    assert_eq!(closed.status(), v1::OpportunityStatus::Closed);

    // Act: a comment mended in the spreadsheet
    let mended = REVIEWS.replace("Unpaid full-time internship", "Unpaid, and 24 hours a week");
    let update = import(&mut sheets, v1::ImportKind::Reviews, &mended, true).await;

    // Assert: that one review changes, in place
    assert_eq!(update.updated, ["rv-4"], "{:?}", update.refused);
    assert_eq!(update.unchanged, 3);
    cluster.stop().await;
}

async fn helpdesk_questions_come_in_with_their_answers(backend: Backend) {
    // Arrange: the members; Pieter answers Arabic and Dutch questions
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let mut helpdesk = HelpdeskServiceClient::new(cluster.gateway().await);
    let mut members = cluster.members_via_gateway().await;
    imported(&mut sheets, &[(v1::ImportKind::Members, MEMBERS)]).await;
    let pieter = member_id(&mut members, "Pieter").await;
    let amal = member_id(&mut members, "Amal").await;
    helpdesk
        .register_answerer(to(
            "amsterdam",
            v1::RegisterAnswererRequest {
                member_id: pieter.clone(),
                languages: vec!["ar".into(), "nl".into()],
            },
        ))
        .await
        .unwrap();
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let bad = format!(
        "external_id,asker_external_id,language,topic,text,asked_on,answer,answered_on,answerer_external_id\n\
         q-9,h-404,ar,work,May I work?,2023-01-05,,,\n\
         q-10,h-1,ar,work,May I work?,{tomorrow},,,\n\
         q-11,h-1,ar,work,May I work?,2023-01-05,Yes,,h-3\n\
         q-12,h-1,ar,work,May I work?,2023-01-05,Yes,2023-01-04,h-3\n\
         q-13,h-1,ar,work,May I work?,2023-01-05,,2023-01-06,h-3\n\
         q-14,h-1,ar,work,May I work?,2023-01-05,Yes,2023-01-06,h-404\n\
         q-15,h-1,arabic,work,May I work?,2023-01-05,,,\n"
    );
    let questions = "external_id,asker_external_id,language,topic,text,asked_on,answer,answered_on,answerer_external_id\n\
        q-1,h-1,ar,work permit,Do I need a TWV for a job in a care home?,2023-01-05,No: with a residence permit you may work.,2023-01-07,h-3\n\
        q-2,h-1,ar,housing,Can the municipality help with a deposit?,2023-02-10,,,\n\
        q-3,h-2,ti,language course,Where can I learn Dutch at night?,2023-03-01,,,\n";

    // Act
    let refused = import(&mut sheets, v1::ImportKind::HelpdeskQuestions, &bad, true).await;
    let applied = import(
        &mut sheets,
        v1::ImportKind::HelpdeskQuestions,
        questions,
        true,
    )
    .await;
    let again = import(
        &mut sheets,
        v1::ImportKind::HelpdeskQuestions,
        questions,
        true,
    )
    .await;

    // Assert: bad lines named; the questions imported once
    assert_eq!(
        refused_lines(&refused),
        [
            (2, "asker_external_id", v1::RefusalKind::UnknownMember),
            (3, "asked_on", v1::RefusalKind::InTheFuture),
            (4, "answered_on", v1::RefusalKind::Missing),
            (5, "answered_on", v1::RefusalKind::BeforeItsStart),
            (6, "answer", v1::RefusalKind::Missing),
            (7, "answerer_external_id", v1::RefusalKind::UnknownMember),
            (8, "language", v1::RefusalKind::NotALanguage),
        ]
    );
    assert!(applied.applied, "{:?}", applied.refused);
    assert_eq!((applied.created.len(), applied.history), (3, 3));
    assert!(again.created.is_empty() && again.updated.is_empty());
    assert_eq!(again.unchanged, 3);

    // Assert: the answered question reads back answered, with its days; the
    // open Arabic one went to Pieter; nobody answers Tigrinya yet
    let asked = helpdesk
        .list_questions(to(
            "amsterdam",
            v1::ListQuestionsRequest {
                asker_member_id: amal,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .questions;
    let answered = asked.iter().find(|q| q.topic == "work permit").unwrap();
    assert_eq!(answered.status(), v1::QuestionStatus::Answered);
    assert_eq!(answered.answerer_member_id, pieter);
    assert_eq!(
        (day_of(answered.create_time), day_of(answered.answer_time)),
        ("2023-01-05".to_owned(), "2023-01-07".to_owned())
    );
    let open = asked.iter().find(|q| q.topic == "housing").unwrap();
    assert_eq!(open.status(), v1::QuestionStatus::Routed);
    assert_eq!(open.answerer_member_id, pieter);
    let unrouted = helpdesk
        .list_questions(to(
            "amsterdam",
            v1::ListQuestionsRequest {
                status: v1::QuestionStatus::Unrouted as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .questions;
    assert_eq!(unrouted.len(), 1);
    assert_eq!(unrouted[0].language, "ti");

    // Act: the chapter's spreadsheet has the housing answer now; and a line
    // that would take back an answer
    let later = questions.replace(
        "2023-02-10,,,",
        "2023-02-10,Yes: ask the Bijzondere Bijstand desk.,2023-02-12,h-3",
    );
    let update = import(&mut sheets, v1::ImportKind::HelpdeskQuestions, &later, true).await;
    let unanswer = later.replace(
        "2023-01-05,No: with a residence permit you may work.,2023-01-07,h-3",
        "2023-01-05,,,",
    );
    let kept = import(
        &mut sheets,
        v1::ImportKind::HelpdeskQuestions,
        &unanswer,
        true,
    )
    .await;

    // Assert
    assert_eq!(update.updated, ["q-2"], "{:?}", update.refused);
    assert_eq!(
        refused_lines(&kept),
        [(2, "answer", v1::RefusalKind::NotChangeable)]
    );
    cluster.stop().await;
}

const EVENT_MEMBERS: &str = "external_id,display_name,role,residence_status,languages,joined_on\n\
    ev-1,Samira Haddad,newcomer,status_holder,ar|nl,2023-09-01\n\
    ev-2,Tesfay Gebre,newcomer,status_holder,ti|en,2023-10-15\n\
    ev-3,Olena Shevchenko,newcomer,status_holder,uk|en,2024-01-20\n\
    ev-4,Joost de Vries,local,citizen_or_resident,nl|en,2022-05-01\n";

/// Who came to the 2024 fair (two seats: Samira came, Tesfay did not, Olena
/// waited, Joost cancelled), and who registered today for the training to come.
fn event_registrations(today: &str) -> String {
    format!(
        "external_id,event_external_id,member_external_id,status,registered_on\n\
         reg-1,evt-2024,ev-1,attended,2024-09-20\n\
         reg-2,evt-2024,ev-2,no_show,2024-09-25\n\
         reg-3,evt-2024,ev-3,waitlisted,2024-09-28\n\
         reg-4,evt-2024,ev-4,cancelled,2024-09-18\n\
         reg-5,evt-next,ev-3,registered,{today}\n\
         reg-6,evt-next,ev-4,registered,{today}\n"
    )
}

async fn a_chapters_events_come_in_with_who_came(backend: Backend) {
    // Arrange: the members; a fair of 2024 with two seats, and a training in
    // two weeks
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let mut events = EventServiceClient::new(cluster.gateway().await);
    let mut members = cluster.members_via_gateway().await;
    let members_in = import_raw(
        &mut sheets,
        v1::ImportKind::Members,
        EVENT_MEMBERS.as_bytes(),
        true,
    )
    .await
    .unwrap();
    assert!(members_in.applied, "{:?}", members_in.refused);
    let now = chrono::Utc::now();
    let minute = |time: chrono::DateTime<chrono::Utc>| time.format("%Y-%m-%d %H:%M").to_string();
    let training_starts = minute(now + chrono::Duration::days(14));
    let training_ends = minute(now + chrono::Duration::days(14) + chrono::Duration::hours(3));
    let events_file = format!(
        "external_id,kind,title,starts_at,ends_at,place,capacity,description,languages\n\
         evt-2024,opportunity_fair,Kansenbeurs Oost 2024,2024-10-03 13:00,2024-10-03 17:00,Buurthuis Oost,2,Vacatures in zorg en logistiek,nl|en\n\
         evt-next,training,Sollicitatietraining,{training_starts},{training_ends},Bibliotheek Centrum,12,,nl\n"
    );
    let today = now.date_naive().to_string();
    let tomorrow = (now.date_naive() + chrono::Days::new(1)).to_string();
    let bad_registrations = format!(
        "external_id,event_external_id,member_external_id,status,registered_on\n\
         reg-9,evt-404,ev-1,registered,2024-09-20\n\
         reg-10,evt-2024,ev-404,registered,2024-09-20\n\
         reg-11,evt-next,ev-1,attended,{today}\n\
         reg-12,evt-2024,ev-1,attended,2024-09-20\n\
         reg-13,evt-2024,ev-1,no_show,2024-09-21\n\
         reg-14,evt-2024,ev-2,attended,2024-09-22\n\
         reg-15,evt-2024,ev-3,registered,2024-09-23\n\
         reg-16,evt-next,ev-4,registered,{tomorrow}\n"
    );
    let good_registrations = event_registrations(&today);

    // Act: the events, twice
    let events_in = import_raw(
        &mut sheets,
        v1::ImportKind::Events,
        events_file.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let events_again = import_raw(
        &mut sheets,
        v1::ImportKind::Events,
        events_file.as_bytes(),
        true,
    )
    .await
    .unwrap();

    // Assert: both come in once; the fair that is over is history
    assert!(events_in.applied, "{:?}", events_in.refused);
    assert_eq!(events_in.created, ["evt-2024", "evt-next"]);
    assert_eq!(events_in.history, 1);
    assert!(events_again.created.is_empty() && events_again.updated.is_empty());
    assert_eq!(events_again.unchanged, 2);
    let listed = events
        .list_events(to(
            "amsterdam",
            v1::ListEventsRequest {
                page_size: 50,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    let event_id = |title: &str| {
        listed
            .iter()
            .find(|e| e.title == title)
            .map(|e| e.id.clone())
            .unwrap()
    };
    let (fair, training) = (
        event_id("Kansenbeurs Oost 2024"),
        event_id("Sollicitatietraining"),
    );
    let upcoming = events
        .list_events(to(
            "amsterdam",
            v1::ListEventsRequest {
                upcoming: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(upcoming.len(), 1);
    assert_eq!(upcoming[0].id, training);

    // Act: registrations with bad lines
    let refused = import_raw(
        &mut sheets,
        v1::ImportKind::EventRegistrations,
        bad_registrations.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let none_written = events
        .list_event_registrations(to(
            "amsterdam",
            v1::ListEventRegistrationsRequest {
                event_id: fair.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .registrations;

    // Assert: each bad line named with its column and why; nothing written
    assert!(!refused.applied);
    assert_eq!(
        refused_lines(&refused),
        [
            (2, "event_external_id", v1::RefusalKind::UnknownEvent),
            (3, "member_external_id", v1::RefusalKind::UnknownMember),
            (4, "status", v1::RefusalKind::NotStartedYet),
            (6, "member_external_id", v1::RefusalKind::AlreadyIn),
            (8, "status", v1::RefusalKind::OverCapacity),
            (9, "registered_on", v1::RefusalKind::InTheFuture),
        ]
    );
    assert_eq!(refused.refused[0].value, "evt-404");
    let starts = chrono::NaiveDateTime::parse_from_str(&training_starts, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_utc();
    assert_eq!(refused.refused[2].value, "attended");
    assert_eq!(refused.refused[2].allowed, [starts.to_rfc3339()]);
    assert_eq!(refused.refused[3].allowed, ["5"], "the member's first line");
    assert_eq!(refused.refused[4].value, "3");
    assert_eq!(refused.refused[4].allowed, ["2"], "the fair's capacity");
    assert!(none_written.is_empty(), "{none_written:?}");

    // Act: the good file, twice
    let applied = import_raw(
        &mut sheets,
        v1::ImportKind::EventRegistrations,
        good_registrations.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let again = import_raw(
        &mut sheets,
        v1::ImportKind::EventRegistrations,
        good_registrations.as_bytes(),
        true,
    )
    .await
    .unwrap();

    // Assert: created once; the fair's four are history, the training's two not
    assert!(applied.applied, "{:?}", applied.refused);
    assert_eq!(
        applied.created,
        ["reg-1", "reg-2", "reg-3", "reg-4", "reg-5", "reg-6"]
    );
    assert_eq!(applied.history, 4);
    assert!(again.created.is_empty() && again.updated.is_empty());
    assert_eq!(again.unchanged, 6);
    assert_eq!(again.history, 0);

    // Assert: the fair shows who came, on the day they registered; the seats
    // held (attended and no-show) and the one who waited
    let samira = member_id(&mut members, "Samira Haddad").await;
    let came = events
        .list_event_registrations(to(
            "amsterdam",
            v1::ListEventRegistrationsRequest {
                event_id: fair.clone(),
                status: v1::RegistrationStatus::Attended as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .registrations;
    assert_eq!(came.len(), 1);
    assert_eq!(came[0].member_id, samira);
    let registered = came[0].create_time.unwrap();
    assert_eq!(
        chrono::DateTime::from_timestamp(registered.seconds, 0)
            .unwrap()
            .date_naive()
            .to_string(),
        "2024-09-20"
    );
    let read = |id: String| {
        let mut events = events.clone();
        async move {
            events
                .get_event(to("amsterdam", v1::GetEventRequest { id }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let fair_read = read(fair).await;
    assert_eq!(
        (fair_read.registered_count, fair_read.waitlisted_count),
        (2, 1)
    );
    assert_eq!(fair_read.capacity, 2);
    assert_eq!(fair_read.languages, ["nl", "en"]);
    let listed_on = fair_read.create_time.unwrap();
    assert_eq!(
        chrono::DateTime::from_timestamp(listed_on.seconds, 0)
            .unwrap()
            .to_rfc3339(),
        "2024-10-03T13:00:00+00:00",
        "a past event is known from its start at the latest"
    );
    let training_read = read(training).await;
    assert_eq!(
        (
            training_read.registered_count,
            training_read.waitlisted_count
        ),
        (2, 0)
    );

    // Act: the fair's capacity cut below the seats its registrations hold
    let shrunk = import_raw(
        &mut sheets,
        v1::ImportKind::Events,
        events_file
            .replace("Buurthuis Oost,2,", "Buurthuis Oost,1,")
            .as_bytes(),
        true,
    )
    .await
    .unwrap();

    // Assert
    assert!(!shrunk.applied);
    assert_eq!(
        refused_lines(&shrunk),
        [(2, "capacity", v1::RefusalKind::OverCapacity)]
    );
    assert_eq!(shrunk.refused[0].value, "1");
    assert_eq!(shrunk.refused[0].allowed, ["2"]);
    cluster.stop().await;
}

const COHORT_MEMBERS: &str = "external_id,display_name,role,residence_status,languages,joined_on\n\
    rob-1,Rania Saleh,newcomer,status_holder,ar|nl,2023-09-01\n\
    rob-2,Dawit Haile,newcomer,status_holder,ti|en,2023-10-01\n\
    rob-3,Olena Kovalenko,newcomer,status_holder,uk|en,2023-11-01\n\
    rob-4,Sanne de Vries,local,citizen_or_resident,nl,2023-01-15\n";
const COHORTS: &str = "external_id,programme,starts_on,ends_on,capacity\n\
    coh-2024,Refugee on Board,2024-02-01,2024-11-30,2\n";
const COHORT_PARTICIPANTS: &str = "external_id,cohort_external_id,member_external_id,enrolled_on,outcome,outcome_recorded_on,outcome_detail\n\
    part-1,coh-2024,rob-1,2024-02-01,paid_job,2024-12-15,junior data analyst at a housing corporation\n\
    part-2,coh-2024,rob-2,2024-02-01,none,2024-12-15,\n";

async fn a_chapters_cohorts_come_in_with_their_outcomes(backend: Backend) {
    // Arrange: the programme is made in the console; the members come from the
    // chapter's own file
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let mut coaching = CoachingServiceClient::new(cluster.gateway().await);
    coaching
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
        .unwrap();
    let members = import_raw(
        &mut sheets,
        v1::ImportKind::Members,
        COHORT_MEMBERS.as_bytes(),
        true,
    )
    .await
    .unwrap();
    assert!(members.applied, "{:?}", members.refused);
    let list_cohorts = |coaching: &CoachingServiceClient<Channel>| {
        let mut coaching = coaching.clone();
        async move {
            coaching
                .list_cohorts(to("amsterdam", v1::ListCohortsRequest::default()))
                .await
                .unwrap()
                .into_inner()
                .cohorts
        }
    };

    // Act: a cohort of a programme the region does not run, then the good file,
    // twice
    let with_unknown = format!("{COHORTS}coh-x,Werkfit,2024-03-01,2024-12-31,10\n");
    let refused = import_raw(
        &mut sheets,
        v1::ImportKind::Cohorts,
        with_unknown.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let no_cohort = list_cohorts(&coaching).await;
    let cohorts = import_raw(
        &mut sheets,
        v1::ImportKind::Cohorts,
        COHORTS.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let cohorts_again = import_raw(
        &mut sheets,
        v1::ImportKind::Cohorts,
        COHORTS.as_bytes(),
        true,
    )
    .await
    .unwrap();

    // Assert: the unknown programme is named; the cohort comes in once, as
    // history (it started in 2024)
    assert!(!refused.applied);
    assert_eq!(
        refused_lines(&refused),
        [(3, "programme", v1::RefusalKind::UnknownCohort)]
    );
    assert_eq!(refused.refused[0].value, "Werkfit");
    assert!(no_cohort.is_empty(), "{no_cohort:?}");
    assert!(cohorts.applied, "{:?}", cohorts.refused);
    assert_eq!(cohorts.created, ["coh-2024"]);
    assert_eq!(cohorts.history, 1);
    assert!(cohorts_again.created.is_empty() && cohorts_again.updated.is_empty());
    assert_eq!(cohorts_again.unchanged, 1);
    let listed = list_cohorts(&coaching).await;
    assert_eq!(listed.len(), 1);
    let cohort = listed[0].clone();
    assert_eq!(
        (cohort.year, cohort.starts_on.as_str(), cohort.capacity),
        (2024, "2024-02-01", 2)
    );

    // Act: participants with bad lines
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let bad_participants = format!(
        "external_id,cohort_external_id,member_external_id,enrolled_on,outcome,outcome_recorded_on,outcome_detail\n\
         part-1,coh-2024,rob-1,2024-02-01,paid_job,2024-12-15,junior data analyst\n\
         part-2,coh-2023,rob-2,2024-02-01,,,\n\
         part-3,coh-2024,rob-404,2024-02-01,,,\n\
         part-4,coh-2024,rob-1,2024-02-01,,,\n\
         part-5,coh-2024,rob-2,2024-02-01,none,2024-10-15,\n\
         part-6,coh-2024,rob-3,{tomorrow},,,\n\
         part-7,coh-2024,rob-2,2024-02-01,none,2024-12-15,\n\
         part-8,coh-2024,rob-3,2024-02-05,,,\n\
         part-9,coh-2024,rob-4,2024-02-01,,,\n"
    );
    let refused = import_raw(
        &mut sheets,
        v1::ImportKind::CohortParticipants,
        bad_participants.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let report_of = |coaching: &CoachingServiceClient<Channel>| {
        let mut coaching = coaching.clone();
        let cohort_id = cohort.id.clone();
        async move {
            coaching
                .get_cohort_report(to("amsterdam", v1::GetCohortReportRequest { cohort_id }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let nobody_yet = report_of(&coaching).await;

    // Assert: each bad line named with its column and why; nothing written
    assert!(!refused.applied);
    assert_eq!(
        refused_lines(&refused),
        [
            (3, "cohort_external_id", v1::RefusalKind::UnknownCohort),
            (4, "member_external_id", v1::RefusalKind::UnknownMember),
            (5, "member_external_id", v1::RefusalKind::AlreadyIn),
            (6, "outcome_recorded_on", v1::RefusalKind::Before),
            (7, "enrolled_on", v1::RefusalKind::InTheFuture),
            (9, "cohort_external_id", v1::RefusalKind::OverCapacity),
            (10, "member_external_id", v1::RefusalKind::NotANewcomer),
        ]
    );
    assert_eq!(refused.refused[0].value, "coh-2023");
    assert_eq!(refused.refused[2].allowed, ["2"], "the line it is on first");
    assert_eq!(
        refused.refused[3].allowed,
        ["2024-11-30"],
        "an outcome comes after the cohort's end"
    );
    assert_eq!(
        (
            refused.refused[5].value.as_str(),
            refused.refused[5].allowed.as_slice()
        ),
        ("3", ["2".to_owned()].as_slice()),
        "a third participant of a cohort of two"
    );
    assert_eq!(refused.refused[6].value, "local");
    assert!(nobody_yet.participants.is_empty(), "{nobody_yet:?}");

    // Act: the good file, then again
    let applied = import_raw(
        &mut sheets,
        v1::ImportKind::CohortParticipants,
        COHORT_PARTICIPANTS.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let again = import_raw(
        &mut sheets,
        v1::ImportKind::CohortParticipants,
        COHORT_PARTICIPANTS.as_bytes(),
        true,
    )
    .await
    .unwrap();

    // Assert: every participant is history, and comes in once
    assert!(applied.applied, "{:?}", applied.refused);
    assert_eq!(applied.created, ["part-1", "part-2"]);
    assert_eq!(applied.history, 2);
    assert!(
        again.created.is_empty() && again.updated.is_empty(),
        "{again:?}"
    );
    assert_eq!((again.unchanged, again.history), (2, 0));

    // Act: a line of another file for a member the cohort has, and a cohort
    // made smaller than its participants (dry runs)
    let header = COHORT_PARTICIPANTS.lines().next().unwrap();
    let twice = import_raw(
        &mut sheets,
        v1::ImportKind::CohortParticipants,
        format!("{header}\npart-10,coh-2024,rob-1,2024-03-01,,,\n").as_bytes(),
        false,
    )
    .await
    .unwrap();
    let smaller = import_raw(
        &mut sheets,
        v1::ImportKind::Cohorts,
        COHORTS.replace("2024-11-30,2", "2024-11-30,1").as_bytes(),
        false,
    )
    .await
    .unwrap();

    // Assert: the member is in the cohort already, in the region's records; the
    // cohort holds the two it has
    assert_eq!(
        refused_lines(&twice),
        [(2, "member_external_id", v1::RefusalKind::AlreadyIn)]
    );
    assert!(twice.refused[0].allowed.is_empty(), "{:?}", twice.refused);
    assert_eq!(
        refused_lines(&smaller),
        [(2, "capacity", v1::RefusalKind::OverCapacity)]
    );
    assert_eq!(
        (
            smaller.refused[0].value.as_str(),
            smaller.refused[0].allowed.as_slice()
        ),
        ("2", ["1".to_owned()].as_slice())
    );

    // Assert: the cohort's report shows who took part and where they ended up
    let report = report_of(&coaching).await;
    assert_eq!(report.participants.len(), 2);
    assert_eq!(
        report.outcomes,
        Some(v1::CohortOutcomeCounts {
            paid_job: 1,
            none: 1,
            ..Default::default()
        })
    );
    let rania = report
        .participants
        .iter()
        .find(|p| p.outcome == v1::CoachingOutcome::PaidJob as i32)
        .unwrap();
    assert_eq!(
        (
            rania.display_name.as_str(),
            rania.outcome_recorded_on.as_str(),
            rania.outcome_detail.as_str()
        ),
        (
            "Rania Saleh",
            "2024-12-15",
            "junior data analyst at a housing corporation"
        )
    );
    let enrolled = rania.enrol_time.as_ref().unwrap();
    assert_eq!(
        chrono::DateTime::from_timestamp(enrolled.seconds, 0)
            .unwrap()
            .date_naive()
            .to_string(),
        "2024-02-01"
    );
    assert_eq!(report.cohort.unwrap().enrolled, 2);

    // Assert: the region's kept figures count the imported outcomes
    let figures = RegionStatsServiceClient::new(cluster.node("amsterdam").await)
        .get_region_stats(cluster.sealed("amsterdam").request(
            "/passage.v1.RegionStatsService/GetRegionStats",
            v1::GetRegionStatsRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    let outcome = |category: &str| {
        figures
            .counts
            .iter()
            .find(|c| {
                c.table == "cohort_participants_by_outcome"
                    && c.month.is_empty()
                    && c.category == category
            })
            .unwrap_or_else(|| panic!("no count of {category}"))
            .value
    };
    assert_eq!(
        (outcome("paid_job"), outcome("none"), outcome("education")),
        (1, 1, 0)
    );
    cluster.stop().await;
}

/// Newcomers and the locals who were their buddies: Pieter has room for one,
/// Sanne for two.
const BUDDY_MEMBERS: &str = "external_id,display_name,role,residence_status,languages,joined_on,buddy_capacity\n\
    h-1,Amal Yousef,newcomer,status_holder,ar|nl,2023-12-01,0\n\
    h-2,Yonas Tesfay,newcomer,status_holder,ti|en,2024-01-15,0\n\
    h-3,Pieter Bakker,local,citizen_or_resident,nl|ar,2021-11-01,1\n\
    h-4,Sanne de Vries,local,citizen_or_resident,nl|en,2022-03-01,2\n\
    h-5,Olena Kovalenko,newcomer,temporary_protection,uk|en,2024-02-20,0\n";
const BUDDY_PAIRS: &str = "external_id,newcomer_external_id,local_external_id,status,proposed_on,ended_on,end_reason\n\
    b-1,h-1,h-3,ended,2024-01-10,2024-09-30,The year came to its end\n\
    b-2,h-1,h-4,active,2024-10-05,,\n\
    b-3,h-2,h-3,active,2024-02-01,,\n\
    b-4,h-5,h-4,declined,2024-03-01,2024-03-03,\n";

async fn buddy_pairs_come_in_within_each_locals_room(backend: Backend) {
    // Arrange
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let mut buddies = BuddyServiceClient::new(cluster.gateway().await);
    imported(&mut sheets, &[(v1::ImportKind::Members, BUDDY_MEMBERS)]).await;
    let bad = "external_id,newcomer_external_id,local_external_id,status,proposed_on,ended_on,end_reason\n\
        b-9,h-404,h-3,active,2024-01-10,,\n\
        b-10,h-3,h-4,active,2024-01-10,,\n\
        b-11,h-1,h-2,active,2024-01-10,,\n\
        b-12,h-1,h-3,active,2024-01-10,2024-03-01,\n\
        b-13,h-1,h-3,ended,2024-01-10,2024-01-05,completed\n\
        b-14,h-1,h-3,active,2024-01-10,,\n\
        b-15,h-2,h-3,proposed,2024-02-10,,\n\
        b-16,h-1,h-4,proposed,2024-02-10,,\n";

    // Act
    let refused = import(&mut sheets, v1::ImportKind::BuddyPairs, bad, true).await;
    let applied = import(&mut sheets, v1::ImportKind::BuddyPairs, BUDDY_PAIRS, true).await;
    let again = import(&mut sheets, v1::ImportKind::BuddyPairs, BUDDY_PAIRS, true).await;

    // Assert: each bad line named; nothing written; the good file once
    assert!(!refused.applied);
    assert_eq!(
        refused_lines(&refused),
        [
            (2, "newcomer_external_id", v1::RefusalKind::UnknownMember),
            (3, "newcomer_external_id", v1::RefusalKind::NotANewcomer),
            (4, "local_external_id", v1::RefusalKind::NotOneOf),
            (5, "ended_on", v1::RefusalKind::OnlyForAPairThatEnded),
            (6, "ended_on", v1::RefusalKind::BeforeItsStart),
            (8, "local_external_id", v1::RefusalKind::OverCapacity),
            (9, "newcomer_external_id", v1::RefusalKind::AlreadyIn),
        ]
    );
    assert_eq!(refused.refused[5].allowed, ["1"], "Pieter has room for one");
    assert_eq!(refused.refused[6].allowed, ["7"], "Amal's pair on line 7");
    assert!(applied.applied, "{:?}", applied.refused);
    assert_eq!((applied.created.len(), applied.history), (4, 4));
    assert!(again.created.is_empty() && again.updated.is_empty());
    assert_eq!(again.unchanged, 4);
    let active = buddies
        .list_buddy_pairs(to(
            "amsterdam",
            v1::ListBuddyPairsRequest {
                status: v1::BuddyPairStatus::Active as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .pairs;
    let mut names: Vec<&str> = active
        .iter()
        .map(|p| p.newcomer_display_name.as_str())
        .collect();
    names.sort();
    assert_eq!(names, ["Amal Yousef", "Yonas Tesfay"]);

    // Act: a second buddy for Yonas, in a later file
    let more = "external_id,newcomer_external_id,local_external_id,status,proposed_on\n\
        b-5,h-2,h-4,active,2024-11-01\n";
    let twice = import(&mut sheets, v1::ImportKind::BuddyPairs, more, false).await;

    // Assert: he has one already, in the region's records
    assert_eq!(
        refused_lines(&twice),
        [(2, "newcomer_external_id", v1::RefusalKind::AlreadyIn)]
    );
    assert!(twice.refused[0].allowed.is_empty());
    cluster.stop().await;
}
