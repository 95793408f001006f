//! Events, as Movisie describes them for municipalities: an opportunity fair
//! ("kansenbeurs") where organisations present their vacancies, information
//! sessions and trainings. Members register up to the capacity, then wait in
//! line; a cancellation gives the seat to the first in line; attendance is
//! recorded for registered members once the event has started.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::chapter::{Chapter, employer, in_minutes, refused, refused_as};
use common::{Backend, Cluster, to};
use passage_proto::v1;
use tonic::Code;

on_both_backends!(
    the_kansenbeurs_fills_up_the_third_registrant_of_a_two_seat_fair_waits_and_moves_up_when_someone_cancels,
    an_employer_presents_its_published_opportunities_at_the_fair_not_another_organisations,
    attendance_is_recorded_only_for_registered_members,
);

use v1::RegistrationStatus::{Attended, Cancelled, NoShow, Registered, Waitlisted};

/// The chapter's events: fairs, information sessions and trainings.
impl Chapter {
    async fn try_create(&mut self, event: v1::Event) -> Result<v1::Event, tonic::Status> {
        self.events
            .create_event(to(
                "amsterdam",
                v1::CreateEventRequest { event: Some(event) },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn get(&mut self, event: &str) -> v1::Event {
        self.events
            .get_event(to("amsterdam", v1::GetEventRequest { id: event.into() }))
            .await
            .unwrap()
            .into_inner()
    }

    async fn register(
        &mut self,
        event: &str,
        member: &str,
    ) -> Result<v1::EventRegistration, tonic::Status> {
        self.events
            .register_for_event(to(
                "amsterdam",
                v1::RegisterForEventRequest {
                    event_id: event.into(),
                    member_id: member.into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn cancel(
        &mut self,
        event: &str,
        member: &str,
    ) -> Result<v1::CancelEventRegistrationResponse, tonic::Status> {
        self.events
            .cancel_event_registration(to(
                "amsterdam",
                v1::CancelEventRegistrationRequest {
                    event_id: event.into(),
                    member_id: member.into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn mark(
        &mut self,
        event: &str,
        member: &str,
        status: v1::RegistrationStatus,
    ) -> Result<v1::EventRegistration, tonic::Status> {
        self.events
            .record_event_attendance(to(
                "amsterdam",
                v1::RecordEventAttendanceRequest {
                    event_id: event.into(),
                    member_id: member.into(),
                    status: status as i32,
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn registrations(
        &mut self,
        event: &str,
        status: v1::RegistrationStatus,
    ) -> Vec<(String, i32, i32)> {
        self.events
            .list_event_registrations(to(
                "amsterdam",
                v1::ListEventRegistrationsRequest {
                    event_id: event.into(),
                    status: status as i32,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .registrations
            .into_iter()
            .map(|r| (r.member_id, r.status, r.waitlist_position))
            .collect()
    }

    /// The event's waiting list as a chapter admin pages through all its
    /// registrations, `page_size` at a time: each waiting member and her place.
    async fn waiting_paged(&mut self, event: &str, page_size: i32) -> Vec<(String, i32)> {
        let mut waiting = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = self
                .events
                .list_event_registrations(to(
                    "amsterdam",
                    v1::ListEventRegistrationsRequest {
                        event_id: event.into(),
                        page_size,
                        page_token,
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            waiting.extend(
                page.registrations
                    .into_iter()
                    .filter(|r| r.status == Waitlisted as i32)
                    .map(|r| (r.member_id, r.waitlist_position)),
            );
            if page.next_page_token.is_empty() {
                return waiting;
            }
            page_token = page.next_page_token;
        }
    }

    async fn present(
        &mut self,
        event: &str,
        organisation: &str,
        opportunities: &[&str],
    ) -> Result<v1::AddFairPresentationResponse, tonic::Status> {
        self.events
            .add_fair_presentation(to(
                "amsterdam",
                v1::AddFairPresentationRequest {
                    event_id: event.into(),
                    organisation_id: organisation.into(),
                    opportunity_ids: opportunities.iter().map(|o| (*o).to_owned()).collect(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }
}

/// An employer in logistics in Amsterdam-Westpoort.
fn logistics_employer(name: &str) -> v1::Organisation {
    v1::Organisation {
        sector: "logistics".into(),
        location: "Amsterdam-Westpoort".into(),
        ..employer(name)
    }
}

/// A job in logistics at `organisation` (32 h/week at €15.80), in Dutch or English.
fn logistics_job(organisation: &str, title: &str) -> v1::Opportunity {
    v1::Opportunity {
        organisation_id: organisation.into(),
        title: title.into(),
        kind: v1::OpportunityKind::Job as i32,
        sector: "logistics".into(),
        languages: vec!["nl".into(), "en".into()],
        hours_per_week: 32,
        paid: true,
        hourly_wage_cents: 1580,
        location: "Amsterdam-Westpoort".into(),
        ..Default::default()
    }
}

/// The kansenbeurs in Amsterdam-Oost, three weeks from now, for two hours.
fn kansenbeurs(capacity: i32) -> v1::Event {
    v1::Event {
        kind: v1::EventKind::OpportunityFair as i32,
        title: "Kansenbeurs Amsterdam-Oost".into(),
        description: "Employers and volunteer organisations present their vacancies.".into(),
        start_time: Some(in_minutes(60 * 24 * 21)),
        end_time: Some(in_minutes(60 * 24 * 21 + 120)),
        place: "Studio K, Timorplein 62, Amsterdam".into(),
        capacity,
        languages: vec!["nl".into(), "en".into(), "ar".into()],
        ..Default::default()
    }
}

async fn the_kansenbeurs_fills_up_the_third_registrant_of_a_two_seat_fair_waits_and_moves_up_when_someone_cancels(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    refused(
        chapter.try_create(kansenbeurs(0)).await,
        Code::InvalidArgument,
        "event.capacity: must be between 1 and 10000, got 0",
    );
    refused(
        chapter.try_create(kansenbeurs(10_001)).await,
        Code::InvalidArgument,
        "event.capacity",
    );
    refused(
        chapter
            .try_create(v1::Event {
                end_time: Some(in_minutes(60)),
                ..kansenbeurs(2)
            })
            .await,
        Code::InvalidArgument,
        "event.end_time: must be after event.start_time",
    );
    let line = refused_as(
        chapter
            .try_create(v1::Event {
                start_time: Some(v1_time("2031-05-01T10:00:00Z")),
                end_time: Some(v1_time("2031-05-01T09:00:00Z")),
                ..kansenbeurs(2)
            })
            .await,
        "event.end_time",
        v1::RefusalKind::NotAfter,
        "2031-05-01 09:00 UTC",
    );
    assert_eq!(line.allowed, ["2031-05-01 10:00 UTC"]);
    let fair = chapter.try_create(kansenbeurs(2)).await.unwrap();
    assert_eq!((fair.capacity, fair.registered_count), (2, 0));

    let samira = chapter.newcomer("Samira Yousef").await;
    let tesfay = chapter.newcomer("Tesfay Gebre").await;
    let olena = chapter.newcomer("Olena Shevchenko").await;
    let ahmad = chapter.newcomer("Ahmad Karimi").await;

    for member in [&samira, &tesfay] {
        let seat = chapter.register(&fair.id, member).await.unwrap();
        assert_eq!(
            (seat.status, seat.waitlist_position),
            (Registered as i32, 0)
        );
    }
    let third = chapter.register(&fair.id, &olena).await.unwrap();
    assert_eq!(
        (third.status, third.waitlist_position),
        (Waitlisted as i32, 1),
        "the third registrant of a two-seat fair waits, first in line"
    );
    let fourth = chapter.register(&fair.id, &ahmad).await.unwrap();
    assert_eq!(fourth.waitlist_position, 2);
    refused(
        chapter.register(&fair.id, &olena).await,
        Code::AlreadyExists,
        "on the waiting list",
    );
    refused(
        chapter.register(&fair.id, &samira).await,
        Code::AlreadyExists,
        "is registered",
    );
    let full = chapter.get(&fair.id).await;
    assert_eq!((full.registered_count, full.waitlisted_count), (2, 2));

    // Tesfay cannot come after all: Olena moves up, Ahmad is next in line.
    let cancelled = chapter.cancel(&fair.id, &tesfay).await.unwrap();
    assert_eq!(cancelled.cancelled.unwrap().status, Cancelled as i32);
    let promoted = cancelled.promoted.expect("the first in line gets the seat");
    assert_eq!(
        (promoted.member_id.as_str(), promoted.status),
        (olena.as_str(), Registered as i32)
    );
    assert_eq!(
        chapter.registrations(&fair.id, Waitlisted).await,
        [(ahmad.clone(), Waitlisted as i32, 1)]
    );
    let seated: Vec<String> = chapter
        .registrations(&fair.id, Registered)
        .await
        .into_iter()
        .map(|(member, _, _)| member)
        .collect();
    assert_eq!(seated, [samira.clone(), olena.clone()]);
    refused(
        chapter.cancel(&fair.id, &tesfay).await,
        Code::FailedPrecondition,
        "is not registered",
    );

    // He can come after all, but the seats are taken: he joins the line.
    let back = chapter.register(&fair.id, &tesfay).await.unwrap();
    assert_eq!(
        (back.status, back.waitlist_position),
        (Waitlisted as i32, 2)
    );
    // Paging through every registration, a few at a time, shows each waiting
    // place as the waiting list itself does.
    for page_size in [1, 2, 3] {
        assert_eq!(
            chapter.waiting_paged(&fair.id, page_size).await,
            [(ahmad.clone(), 1), (tesfay.clone(), 2)],
            "pages of {page_size}"
        );
    }
    // Leaving the waiting list gives no one a seat, and moves the line up.
    let left = chapter.cancel(&fair.id, &ahmad).await.unwrap();
    assert!(left.promoted.is_none());
    assert_eq!(
        chapter.registrations(&fair.id, Waitlisted).await,
        [(tesfay.clone(), Waitlisted as i32, 1)]
    );
    let now = chapter.get(&fair.id).await;
    assert_eq!((now.registered_count, now.waitlisted_count), (2, 1));
    cluster.stop().await;
}

async fn an_employer_presents_its_published_opportunities_at_the_fair_not_another_organisations(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let samira = chapter.newcomer("Samira Yousef").await;
    let tesfay = chapter.newcomer("Tesfay Gebre").await;
    let warehouse = chapter
        .organisation(logistics_employer("Distributiecentrum Westpoort"))
        .await;
    let bakery = chapter
        .organisation(logistics_employer("Bakkerij Oost"))
        .await;
    let order_picker = chapter
        .draft(logistics_job(&warehouse, "Order picker"))
        .await;
    let forklift = chapter
        .draft(logistics_job(
            &warehouse,
            "Forklift driver (training included)",
        ))
        .await;
    let still_a_draft = chapter.draft(logistics_job(&warehouse, "Shift lead")).await;
    let bakers_job = chapter
        .draft(logistics_job(&bakery, "Baker's assistant"))
        .await;
    for opportunity in [&order_picker, &forklift, &bakers_job] {
        chapter.publish(opportunity, &[&samira, &tesfay]).await;
    }
    let fair = chapter.try_create(kansenbeurs(200)).await.unwrap();

    refused(
        chapter
            .present(&fair.id, &warehouse, &[&order_picker, &bakers_job])
            .await,
        Code::InvalidArgument,
        "opportunity_ids[1]",
    );
    refused(
        chapter
            .present(&fair.id, &warehouse, &[&still_a_draft])
            .await,
        Code::FailedPrecondition,
        "opportunity_ids[0]",
    );
    let presented = chapter
        .present(&fair.id, &warehouse, &[&order_picker, &forklift])
        .await
        .unwrap()
        .presentations;
    let ids: Vec<&str> = presented
        .iter()
        .map(|p| p.opportunity_id.as_str())
        .collect();
    assert_eq!(ids, [order_picker.as_str(), forklift.as_str()]);
    refused(
        chapter.present(&fair.id, &warehouse, &[&forklift]).await,
        Code::AlreadyExists,
        "already",
    );
    chapter
        .present(&fair.id, &bakery, &[&bakers_job])
        .await
        .unwrap();

    let all = chapter
        .events
        .list_fair_presentations(to(
            "amsterdam",
            v1::ListFairPresentationsRequest {
                event_id: fair.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .presentations;
    let shown: Vec<(&str, &str)> = all
        .iter()
        .map(|p| (p.organisation_id.as_str(), p.opportunity_id.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            (warehouse.as_str(), order_picker.as_str()),
            (warehouse.as_str(), forklift.as_str()),
            (bakery.as_str(), bakers_job.as_str()),
        ],
        "the refused calls left nothing behind"
    );
    let bakery_only = chapter
        .events
        .list_fair_presentations(to(
            "amsterdam",
            v1::ListFairPresentationsRequest {
                event_id: fair.id.clone(),
                organisation_id: bakery.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .presentations;
    assert_eq!(bakery_only.len(), 1);

    // An information session is not a fair: nothing is presented there.
    let session = chapter
        .try_create(v1::Event {
            kind: v1::EventKind::InformationSession as i32,
            title: "Werken met een verblijfsvergunning".into(),
            ..kansenbeurs(40)
        })
        .await
        .unwrap();
    refused(
        chapter.present(&session.id, &bakery, &[&bakers_job]).await,
        Code::FailedPrecondition,
        "not an opportunity fair",
    );
    cluster.stop().await;
}

async fn attendance_is_recorded_only_for_registered_members(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    // The training started an hour ago; walk-ins may still register.
    let training = chapter
        .try_create(v1::Event {
            kind: v1::EventKind::Training as i32,
            title: "Sollicitatietraining".into(),
            description: "Your CV, your story, and a practice interview.".into(),
            start_time: Some(in_minutes(-60)),
            end_time: Some(in_minutes(120)),
            place: "Buurthuis Oost, Amsterdam".into(),
            capacity: 1,
            languages: vec!["nl".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    let samira = chapter.newcomer("Samira Yousef").await;
    let tesfay = chapter.newcomer("Tesfay Gebre").await;
    let olena = chapter.newcomer("Olena Shevchenko").await;
    chapter.register(&training.id, &samira).await.unwrap();
    let waiting = chapter.register(&training.id, &tesfay).await.unwrap();
    assert_eq!(waiting.status, Waitlisted as i32);

    let came = chapter.mark(&training.id, &samira, Attended).await.unwrap();
    assert_eq!(came.status, Attended as i32);
    refused(
        chapter.mark(&training.id, &tesfay, Attended).await,
        Code::FailedPrecondition,
        "on the waiting list",
    );
    refused(
        chapter.mark(&training.id, &olena, Attended).await,
        Code::FailedPrecondition,
        "is not registered",
    );
    refused(
        chapter.mark(&training.id, &samira, Registered).await,
        Code::InvalidArgument,
        "status: must be REGISTRATION_STATUS_ATTENDED or REGISTRATION_STATUS_NO_SHOW",
    );
    // The page words it from its kind, listing the marks there are.
    let line = refused_as(
        chapter.mark(&training.id, &samira, Registered).await,
        "status",
        v1::RefusalKind::NotOneOf,
        "REGISTERED",
    );
    assert_eq!(line.allowed, ["ATTENDED", "NO_SHOW"]);
    // A mistake is corrected; a seat that was used is not cancelled.
    let corrected = chapter.mark(&training.id, &samira, NoShow).await.unwrap();
    assert_eq!(corrected.status, NoShow as i32);
    refused(
        chapter.cancel(&training.id, &samira).await,
        Code::FailedPrecondition,
        "attendance is not cancelled",
    );
    let marked = chapter.registrations(&training.id, NoShow).await;
    assert_eq!(marked, [(samira.clone(), NoShow as i32, 0)]);
    let event = chapter.get(&training.id).await;
    assert_eq!(
        (event.registered_count, event.waitlisted_count),
        (1, 1),
        "a no-show still held the seat"
    );

    // The next session has not started: no attendance yet.
    let next = chapter
        .try_create(v1::Event {
            kind: v1::EventKind::Training as i32,
            title: "Sollicitatietraining, deel 2".into(),
            start_time: Some(in_minutes(60 * 24 * 7)),
            end_time: Some(in_minutes(60 * 24 * 7 + 180)),
            place: "Buurthuis Oost, Amsterdam".into(),
            capacity: 12,
            ..Default::default()
        })
        .await
        .unwrap();
    chapter.register(&next.id, &olena).await.unwrap();
    refused(
        chapter.mark(&next.id, &olena, Attended).await,
        Code::FailedPrecondition,
        "once it has started",
    );
    cluster.stop().await;
}

/// The wire time of an RFC 3339 text.
fn v1_time(text: &str) -> prost_types::Timestamp {
    let time = chrono::DateTime::parse_from_rfc3339(text).expect("an RFC 3339 time");
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: 0,
    }
}
