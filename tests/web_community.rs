//! Amira, a newcomer in Amsterdam, finds her region's events and groups in a
//! browser (headless Chromium over WebDriver, axe-core on each page, a 360-pixel
//! phone screen that never scrolls sideways). The chapter holds an opportunity
//! fair with one seat, which Yusuf takes; Amira registers anyway and is number 1 on
//! the waiting list; Yusuf cancels and the seat is hers. She reads the page in
//! Arabic, joins a coffee group, sees its next meeting, and leaves it again. The
//! web app only asks: the region gives the seat and keeps the list. SQLite only:
//! the web app is a client of the gateway, whose storage is tested on both
//! backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod common;

use browser::{Browser, start_web};
use common::chapter::{AMSTERDAM, Chapter, in_minutes};
use common::{Backend, Cluster, amira, create, to};
use passage_proto::v1::{self, event_service_client::EventServiceClient};
use passage_web::i18n::{Lang, Text};

const PASSPHRASE: &str = "olive tree by the canal";

/// The chapter's events and groups, as its admin makes them through the gateway.
impl Chapter {
    async fn event(&mut self, event: v1::Event) -> String {
        self.events
            .create_event(to(AMSTERDAM, v1::CreateEventRequest { event: Some(event) }))
            .await
            .unwrap()
            .into_inner()
            .id
    }

    async fn group(&mut self, group: v1::Group) -> String {
        self.groups
            .create_group(to(AMSTERDAM, v1::CreateGroupRequest { group: Some(group) }))
            .await
            .unwrap()
            .into_inner()
            .id
    }

    async fn meeting(&mut self, meeting: v1::GroupMeeting) {
        self.groups
            .schedule_meeting(to(
                AMSTERDAM,
                v1::ScheduleMeetingRequest {
                    meeting: Some(meeting),
                },
            ))
            .await
            .unwrap();
    }

    async fn group_members(&mut self, group: &str) -> Vec<String> {
        self.groups
            .list_group_members(to(
                AMSTERDAM,
                v1::ListGroupMembersRequest {
                    group_id: group.into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .members
            .into_iter()
            .map(|m| m.member_id)
            .collect()
    }
}

/// A call with a member's own token, for Amsterdam.
fn as_member<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        passage_proto::REGION_METADATA_KEY,
        AMSTERDAM.parse().unwrap(),
    );
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amira_waits_for_a_seat_at_the_fair_gets_it_and_joins_a_coffee_group() {
    passage_proto::choose_tls_crypto();
    let cluster = Cluster::start_secured(Backend::Sqlite).await;
    let mut chapter = Chapter::open(&cluster).await;
    let her = create(&mut chapter.members, AMSTERDAM, amira()).await;
    let yusuf = chapter.local("Yusuf Rahimi").await;

    // The chapter's fair has one seat, and Yusuf takes it with his own token.
    let fair = chapter
        .event(v1::Event {
            kind: v1::EventKind::OpportunityFair as i32,
            title: "Kansenbeurs Amsterdam-Oost".into(),
            description: "Twenty employers from the east of the city present their vacancies."
                .into(),
            start_time: Some(in_minutes(60 * 24 * 3)),
            end_time: Some(in_minutes(60 * 24 * 3 + 180)),
            place: "Studio K, Timorplein 62".into(),
            capacity: 1,
            languages: vec!["nl".into(), "en".into(), "ar".into()],
            ..Default::default()
        })
        .await;
    let session = chapter
        .event(v1::Event {
            kind: v1::EventKind::InformationSession as i32,
            title: "Werken tijdens de inburgering".into(),
            start_time: Some(in_minutes(60 * 24 * 5)),
            end_time: Some(in_minutes(60 * 24 * 5 + 90)),
            place: "OBA Oosterdok".into(),
            capacity: 30,
            languages: vec!["nl".into(), "uk".into()],
            ..Default::default()
        })
        .await;
    let yusuf_token = cluster.member_token(AMSTERDAM, &yusuf).await;
    let mut events = EventServiceClient::new(cluster.gateway().await);
    let seat = events
        .register_for_event(as_member(
            &yusuf_token,
            v1::RegisterForEventRequest {
                event_id: fair.clone(),
                member_id: yusuf.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seat.status, v1::RegistrationStatus::Registered as i32);

    // A coffee group that meets next week.
    let coffee = chapter
        .group(v1::Group {
            kind: v1::GroupKind::Coffee as i32,
            name: "Koffiegroep Oost".into(),
            description: "Newcomers and neighbours, every other Thursday.".into(),
            languages: vec!["nl".into(), "ar".into()],
            meeting_place: "Buurthuis Makassarplein".into(),
            ..Default::default()
        })
        .await;
    chapter
        .meeting(v1::GroupMeeting {
            group_id: coffee.clone(),
            start_time: Some(in_minutes(60 * 24 * 7)),
            topic: "Finding a house in Amsterdam".into(),
            ..Default::default()
        })
        .await;

    // Amira accepts her invitation in the browser.
    let invitation = cluster
        .invite_member(AMSTERDAM, "amira", &her.id, "en")
        .await;
    let certs = cluster.certs();
    let web = start_web(
        cluster.federation.gateway_endpoint(),
        certs.ca().cert,
        Some((certs.web().cert, certs.web().key)),
    )
    .await;
    let base = format!("http://{web}");
    let shots = tempfile::tempdir().unwrap();
    let browser = Browser::start("en").await;
    browser
        .open(&format!("{base}/invitation/{}", invitation.invitation_code))
        .await;
    browser.fill("passphrase", PASSPHRASE).await;
    browser.fill("passphrase_again", PASSPHRASE).await;
    browser.press("main button[type=submit]").await;
    assert_eq!(browser.path().await, "/");

    // The events of her region: the fair is full, the session has seats.
    browser.press("a[href='/events']").await;
    assert_eq!(browser.text("h1").await, "Events");
    let fair_card = format!("#event-{fair}");
    let session_card = format!("#event-{session}");
    assert_eq!(
        browser.text(&format!("{fair_card} h2")).await,
        "Kansenbeurs Amsterdam-Oost"
    );
    assert_eq!(
        browser.text(&format!("{fair_card} .meta")).await,
        "Opportunity fair"
    );
    assert!(
        browser
            .text(&format!("{fair_card} .seats"))
            .await
            .starts_with("Full")
    );
    assert!(
        browser
            .text(&format!("{fair_card} .facts"))
            .await
            .contains("العربية")
    );
    assert_eq!(
        browser.text(&format!("{session_card} .seats")).await,
        "30 of 30 seats free"
    );
    browser.check_page("the events").await;

    // She joins the fair's waiting list: number 1.
    browser
        .press(&format!("{fair_card} form[action$='/register'] button"))
        .await;
    assert_eq!(browser.path().await, "/events");
    assert!(
        browser
            .text(".notice")
            .await
            .contains("you are on the waiting list, number 1"),
        "{}",
        browser.text(".notice").await
    );
    assert_eq!(
        browser.text(&format!("{fair_card} .standing")).await,
        "You are number 1 on the waiting list."
    );
    assert!(
        browser
            .has(&format!("{fair_card} form[action$='/cancel'] button"))
            .await
    );
    browser.check_page("the events, on the waiting list").await;
    browser.screenshot(shots.path(), "web-events").await;

    // Yusuf cannot come after all: his seat goes to her.
    let cancelled = events
        .cancel_event_registration(as_member(
            &yusuf_token,
            v1::CancelEventRegistrationRequest {
                event_id: fair.clone(),
                member_id: yusuf.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.promoted.unwrap().member_id, her.id);
    browser.open(&format!("{base}/events")).await;
    assert_eq!(
        browser.text(&format!("{fair_card} .standing")).await,
        "You have a seat."
    );
    assert!(
        browser
            .text(&format!("{fair_card} form[action$='/cancel'] button"))
            .await
            .contains("Cancel my seat at Kansenbeurs Amsterdam-Oost")
    );

    // In Arabic, right to left.
    browser
        .open(&format!("{base}/language/ar?back=/events"))
        .await;
    assert_eq!(browser.path().await, "/events");
    let arabic = Text::new(Lang::Ar);
    assert_eq!(browser.text("h1").await, arabic.t("events-title"));
    assert_eq!(
        browser.text(&format!("{fair_card} .standing")).await,
        arabic.t("registration-registered")
    );
    let html = browser
        .run("return [document.documentElement.lang, document.documentElement.dir];")
        .await;
    assert_eq!(html, serde_json::json!(["ar", "rtl"]));
    browser.check_page("the events in Arabic").await;
    browser.screenshot(shots.path(), "web-events-ar").await;
    browser
        .open(&format!("{base}/language/en?back=/groups"))
        .await;

    // The groups: she joins the coffee group and sees when it meets next.
    assert_eq!(browser.path().await, "/groups");
    assert_eq!(browser.text("h1").await, "Groups");
    let group_card = format!("#group-{coffee}");
    assert!(!browser.has(".meeting").await);
    browser.check_page("the groups").await;
    browser
        .press(&format!("{group_card} form[action$='/join'] button"))
        .await;
    assert!(
        browser
            .text(".notice")
            .await
            .contains("You joined Koffiegroep Oost")
    );
    assert_eq!(
        browser.text(&format!("{group_card} .standing")).await,
        "You are in this group."
    );
    let meeting = browser.text(".meeting").await;
    assert!(meeting.contains("Koffiegroep Oost"), "{meeting}");
    assert!(
        meeting.contains("Finding a house in Amsterdam"),
        "{meeting}"
    );
    assert!(meeting.contains("Buurthuis Makassarplein"), "{meeting}");
    assert_eq!(chapter.group_members(&coffee).await, vec![her.id.clone()]);
    browser.check_page("the groups, in one").await;
    browser.screenshot(shots.path(), "web-groups").await;

    // And leaves it again.
    browser
        .press(&format!("{group_card} form[action$='/leave'] button"))
        .await;
    assert!(
        browser
            .text(".notice")
            .await
            .contains("You left Koffiegroep Oost")
    );
    assert!(!browser.has(".meeting").await);
    assert!(chapter.group_members(&coffee).await.is_empty());

    // She gives up her seat at the fair.
    browser.press("a[href='/events']").await;
    browser
        .press(&format!("{fair_card} form[action$='/cancel'] button"))
        .await;
    assert!(
        browser
            .text(".notice")
            .await
            .contains("You cancelled your place at Kansenbeurs Amsterdam-Oost")
    );
    assert!(
        browser
            .has(&format!("{fair_card} form[action$='/register'] button"))
            .await
    );
    browser.close().await;
    cluster.stop().await;
}
