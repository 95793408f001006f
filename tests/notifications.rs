//! Notifications (issue 16), as members of Amsterdam live them: Amira gives her
//! address, time zone and choices; every change that concerns her (her
//! application moves on, her helpdesk question is answered, a freed seat at a
//! fair is hers, her buddy pair is confirmed) reaches her inbox and, by mail, a
//! real SMTP conversation on 127.0.0.1 — once, with the same `Message-ID` after
//! the server first refused it — in her language, with a one-click unsubscribe
//! link that works without signing in. No mail carries a region-local fact or
//! anyone's words (the canary test). Without an SMTP server the mail is an
//! `.eml` file; her erasure takes her inbox, queue and files, and "my data" has
//! them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::chapter::{AMSTERDAM, Chapter, employer, in_minutes, refused_as};
use common::smtp::{Received, SmtpReceiver};
use common::{Backend, Cluster, eventually, to};
use passage_proto::v1::{
    self, helpdesk_service_client::HelpdeskServiceClient,
    notification_service_client::NotificationServiceClient,
};
use tonic::Code;
use tonic::transport::Channel;

on_both_backends!(
    a_member_keeps_her_contact_details_and_a_refused_field_is_named,
    every_kind_reaches_the_inbox_and_the_mail_server_once_and_no_canary_is_in_any_mail,
    a_kind_she_turned_off_by_mail_reaches_her_inbox_only,
    a_relay_without_pipelining_hears_one_command_at_a_time,
    a_recipient_refused_in_a_pipelined_envelope_costs_no_other_mail,
    without_an_smtp_server_mail_is_an_eml_file_exported_and_erased_with_her,
    tomorrows_event_and_session_are_told_once_even_after_restarts_and_no_canary_is_in_any_mail,
    a_daily_digest_gathers_her_notices_in_one_mail_once_and_no_canary_is_in_it,
    an_organisation_hears_of_community_review_in_its_inbox_and_no_mail_carries_a_comment,
    a_member_who_moves_hears_of_the_hand_over_by_mail_and_of_her_arrival_in_her_new_inbox,
    a_member_whose_move_is_declined_hears_it_from_her_home,
    an_invited_member_gets_her_link_by_mail_from_her_home_and_nowhere_else,
);

/// A mail server on 127.0.0.1 that refuses its first `refusals` messages, and a
/// cluster whose nodes send it their mail, linking to `https://passage.example`.
async fn with_mail_server(backend: Backend, refusals: usize) -> (SmtpReceiver, Cluster) {
    let server = SmtpReceiver::start(refusals).await.unwrap();
    let cluster = mailing_to(backend, &server).await;
    (server, cluster)
}

/// A cluster whose nodes send their mail to `server`, linking to
/// `https://passage.example`.
async fn mailing_to(backend: Backend, server: &SmtpReceiver) -> Cluster {
    Cluster::start_with_mail(
        backend,
        passage_node::settings::MailSettings {
            smtp_url: Some(server.url()),
            web_url: "https://passage.example".into(),
            ..Default::default()
        },
    )
    .await
}

/// A request of member `token`'s own, to Amsterdam.
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

/// A request without any credential, to Amsterdam (a mail client's POST).
fn anonymous<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        passage_proto::REGION_METADATA_KEY,
        AMSTERDAM.parse().unwrap(),
    );
    request
}

/// Settings with an address, in `language`, mail on for everything.
fn settings(member: &str, email: &str, language: &str) -> v1::NotificationSettings {
    v1::NotificationSettings {
        member_id: member.into(),
        email: email.into(),
        time_zone: "Europe/Amsterdam".into(),
        language: language.into(),
        digest: v1::DigestFrequency::Immediate as i32,
        ..Default::default()
    }
}

async fn save(
    notifications: &mut NotificationServiceClient<Channel>,
    token: &str,
    settings: v1::NotificationSettings,
) -> Result<v1::NotificationSettings, tonic::Status> {
    notifications
        .update_notification_settings(as_member(
            token,
            v1::UpdateNotificationSettingsRequest {
                settings: Some(settings),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn inbox(
    notifications: &mut NotificationServiceClient<Channel>,
    token: &str,
    member: &str,
) -> v1::ListNotificationsResponse {
    notifications
        .list_notifications(as_member(
            token,
            v1::ListNotificationsRequest {
                member_id: member.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn a_member_keeps_her_contact_details_and_a_refused_field_is_named(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let amira = chapter.newcomer("Amira Haddad").await;
    let yusuf = chapter.newcomer("Yusuf Demir").await;
    let token = cluster.member_token(AMSTERDAM, &amira).await;
    let yusuf_token = cluster.member_token(AMSTERDAM, &yusuf).await;
    let mut notifications = NotificationServiceClient::new(cluster.gateway().await);

    // Before she chose anything: no address, UTC, mail on for every kind.
    let defaults = notifications
        .get_notification_settings(as_member(
            &token,
            v1::GetNotificationSettingsRequest {
                member_id: amira.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (defaults.email.as_str(), defaults.time_zone.as_str()),
        ("", "UTC")
    );
    assert!(defaults.kinds.len() >= 4 && defaults.kinds.iter().all(|k| k.email));

    let mut chosen = settings(&amira, "amira@example.org", "ar");
    chosen.digest = v1::DigestFrequency::Daily as i32;
    chosen.quiet_from = "22:00".into();
    chosen.quiet_until = "07:00".into();
    chosen.kinds = vec![v1::KindPreference {
        kind: "event_seat".into(),
        email: false,
    }];
    let saved = save(&mut notifications, &token, chosen).await.unwrap();
    assert_eq!(saved.email, "amira@example.org");
    assert_eq!(saved.time_zone, "Europe/Amsterdam");
    assert_eq!(
        (saved.quiet_from.as_str(), saved.quiet_until.as_str()),
        ("22:00", "07:00")
    );
    assert_eq!(saved.digest, v1::DigestFrequency::Daily as i32);
    let seat = saved.kinds.iter().find(|k| k.kind == "event_seat").unwrap();
    assert!(!seat.email);
    assert!(
        saved
            .kinds
            .iter()
            .filter(|k| k.kind != "event_seat")
            .all(|k| k.email)
    );

    // Her chapter admin reads the same.
    let read_by_admin = notifications
        .get_notification_settings(to(
            AMSTERDAM,
            v1::GetNotificationSettingsRequest {
                member_id: amira.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read_by_admin, saved);

    // A time zone that does not exist is refused, the field named.
    let mut wrong = settings(&amira, "amira@example.org", "ar");
    wrong.time_zone = "Europe/Atlantis".into();
    let refused = save(&mut notifications, &token, wrong).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().starts_with("settings.time_zone"),
        "{refused:?}"
    );
    let mut wrong = settings(&amira, "not an address", "ar");
    wrong.time_zone = String::new();
    let refused = save(&mut notifications, &token, wrong.clone())
        .await
        .unwrap_err();
    assert!(
        refused.message().starts_with("settings.email"),
        "{refused:?}"
    );
    // Each carries its kind and value, for the page to word in its language.
    refused_as(
        save(&mut notifications, &token, wrong).await,
        "settings.email",
        v1::RefusalKind::NotAnEmail,
        "not an address",
    );
    let mut wrong = settings(&amira, "amira@example.org", "ar");
    wrong.time_zone = "Europe/Atlantis".into();
    refused_as(
        save(&mut notifications, &token, wrong).await,
        "settings.time_zone",
        v1::RefusalKind::NotATimeZone,
        "Europe/Atlantis",
    );

    // Yusuf may neither read nor change hers.
    let denied = notifications
        .get_notification_settings(as_member(
            &yusuf_token,
            v1::GetNotificationSettingsRequest {
                member_id: amira.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let denied = save(
        &mut notifications,
        &yusuf_token,
        settings(&amira, "x@example.org", "en"),
    )
    .await
    .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    cluster.stop().await;
}

/// Every canary string of the story; none may appear in any mail.
struct Canaries {
    mark: String,
}

impl Canaries {
    fn new() -> Canaries {
        Canaries {
            mark: uuid::Uuid::now_v7().simple().to_string()[20..].to_owned(),
        }
    }

    fn of(&self, field: &str) -> String {
        format!("CANARY{}{}", field.to_uppercase(), self.mark)
    }

    /// Whether `text` holds any canary of this story.
    fn in_text(&self, text: &str) -> bool {
        text.contains(&self.mark)
    }
}

/// A member whose every region-local and free-text field is a canary.
fn canary_member(canaries: &Canaries, name: &str, role: v1::MemberRole) -> v1::Member {
    v1::Member {
        profile: Some(v1::SharedProfile {
            display_name: format!("{name} {}", canaries.of("name")),
            profession: canaries.of("profession"),
            sectors: vec!["healthcare".into()],
            skills: vec![canaries.of("skill")],
            languages: vec!["en".into(), "ar".into()],
            available_hours_per_week: 8,
            share_across_regions: false,
            ..Default::default()
        }),
        regional: Some(v1::RegionalRecord {
            role: role as i32,
            residence_status: if role == v1::MemberRole::Newcomer {
                v1::ResidenceStatus::StatusHolder as i32
            } else {
                v1::ResidenceStatus::CitizenOrResident as i32
            },
            asylum_application_date: "2023-03-14".into(),
            permits: vec![v1::Permit {
                kind: canaries.of("permit"),
                valid_until: "2031-01-01".into(),
            }],
            // A region-local fact that must be a code: its value is no canary,
            // the permit's kind is.
            nationality: "SY".into(),
            buddy_capacity: if role == v1::MemberRole::Local { 1 } else { 0 },
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The mail's text with its parts decoded (quoted-printable, base64), so a
/// canary cannot hide in an encoding.
fn decoded(mail: &Received) -> String {
    let mut text = mail.data.clone();
    for part in mail.data.split("\r\n\r\n").collect::<Vec<_>>().windows(2) {
        let head = part[0].to_ascii_lowercase();
        let body = part[1];
        if head.contains("content-transfer-encoding: base64") {
            text.push_str(&base64_decoded(body));
        } else if head.contains("content-transfer-encoding: quoted-printable") {
            text.push_str(&quoted_printable_decoded(body));
        }
    }
    text
}

fn base64_decoded(body: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in body.bytes() {
        if byte == b'-' {
            break; // the next boundary
        }
        let Some(value) = ALPHABET.iter().position(|b| *b == byte) else {
            continue;
        };
        bits = (bits << 6) | value as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn quoted_printable_decoded(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'='
            && index + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&joined[index + 1..index + 3], 16)
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn every_kind_reaches_the_inbox_and_the_mail_server_once_and_no_canary_is_in_any_mail(
    backend: Backend,
) {
    // Arrange: a mail server that refuses the first message, and a node using it.
    let (server, cluster) = with_mail_server(backend, 1).await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let canaries = Canaries::new();
    let amira = chapter
        .register_member(canary_member(&canaries, "Amira", v1::MemberRole::Newcomer))
        .await;
    let fatima = chapter
        .register_member(canary_member(&canaries, "Fatima", v1::MemberRole::Local))
        .await;
    let superlocal = chapter
        .register_member(canary_member(&canaries, "Samir", v1::MemberRole::Local))
        .await;
    let token = cluster.member_token(AMSTERDAM, &amira).await;
    let fatima_token = cluster.member_token(AMSTERDAM, &fatima).await;
    let samir_token = cluster.member_token(AMSTERDAM, &superlocal).await;
    let mut notifications = NotificationServiceClient::new(gateway.clone());
    save(
        &mut notifications,
        &token,
        settings(&amira, "amira@example.org", "en"),
    )
    .await
    .unwrap();
    save(
        &mut notifications,
        &fatima_token,
        settings(&fatima, "fatima@example.org", "ar"),
    )
    .await
    .unwrap();
    save(
        &mut notifications,
        &samir_token,
        settings(&superlocal, "samir@example.org", "nl"),
    )
    .await
    .unwrap();

    // Act 1: an opportunity is put in review (Amira, a newcomer, reviews), and
    // her application to it, once published, moves to screening.
    let mut job = v1::Opportunity {
        organisation_id: chapter.organisation(employer("Zorggroep Amstel")).await,
        title: canaries.of("title"),
        description: canaries.of("description"),
        kind: v1::OpportunityKind::Volunteer as i32,
        sector: "healthcare".into(),
        languages: vec!["en".into()],
        hours_per_week: 6,
        location: canaries.of("location"),
        ..Default::default()
    };
    job.paid = false;
    let opportunity = chapter.published(job).await;
    let application = chapter
        .placements
        .apply(to(
            AMSTERDAM,
            v1::ApplyRequest {
                member_id: amira.clone(),
                opportunity_id: opportunity,
                motivation: canaries.of("motivation"),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    chapter
        .placements
        .move_application(to(
            AMSTERDAM,
            v1::MoveApplicationRequest {
                id: application.id.clone(),
                stage: v1::ApplicationStage::Screening as i32,
                note: canaries.of("note"),
            },
        ))
        .await
        .unwrap();

    // Act 2: her helpdesk question is routed to Samir, and answered.
    let question_id = answered_questions(&gateway, &canaries, &[&amira], &superlocal)
        .await
        .remove(0);

    // Act 3: a freed seat at a one-seat fair goes to her from the waiting list.
    let fair = chapter
        .events
        .create_event(to(
            AMSTERDAM,
            v1::CreateEventRequest {
                event: Some(v1::Event {
                    kind: v1::EventKind::OpportunityFair as i32,
                    title: canaries.of("event"),
                    description: canaries.of("eventdescription"),
                    start_time: Some(in_minutes(60 * 24 * 21)),
                    end_time: Some(in_minutes(60 * 24 * 21 + 120)),
                    place: canaries.of("place"),
                    capacity: 1,
                    languages: vec!["en".into()],
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    for member in [&superlocal, &amira] {
        chapter
            .events
            .register_for_event(to(
                AMSTERDAM,
                v1::RegisterForEventRequest {
                    event_id: fair.id.clone(),
                    member_id: member.to_string(),
                },
            ))
            .await
            .unwrap();
    }
    chapter
        .events
        .cancel_event_registration(to(
            AMSTERDAM,
            v1::CancelEventRegistrationRequest {
                event_id: fair.id.clone(),
                member_id: superlocal.clone(),
            },
        ))
        .await
        .unwrap();

    // Act 4: Amira and Fatima are proposed as buddies, and the pair is confirmed.
    let proposed = chapter
        .buddies
        .propose_buddy_pairs(to(AMSTERDAM, v1::ProposeBuddyPairsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .pairs;
    let pair = proposed
        .iter()
        .find(|p| p.newcomer_member_id == amira && p.local_member_id == fatima)
        .unwrap_or_else(|| panic!("Amira and Fatima are proposed: {proposed:?}"));
    chapter
        .buddies
        .confirm_buddy_pair(to(
            AMSTERDAM,
            v1::ConfirmBuddyPairRequest {
                id: pair.id.clone(),
            },
        ))
        .await
        .unwrap();

    // Assert: five mails to Amira, one to Fatima and one to Samir arrive, each
    // once, the refused one again with the same Message-ID.
    eventually("seven mails are accepted", || {
        let server = server.clone();
        async move { server.accepted().len() >= 7 }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let accepted = server.accepted();
    let refused = server.refused();
    assert_eq!(accepted.len(), 7, "{accepted:#?}");
    assert_eq!(refused.len(), 1);
    let ids: std::collections::BTreeSet<String> = accepted
        .iter()
        .map(|mail| mail.header("Message-ID").unwrap())
        .collect();
    assert_eq!(ids.len(), 7, "every mail has its own Message-ID");
    let retried = refused[0].header("Message-ID").unwrap();
    assert!(
        ids.contains(&retried),
        "the refused mail came again as itself"
    );
    let to_amira: Vec<&Received> = accepted
        .iter()
        .filter(|m| m.to == ["amira@example.org"])
        .collect();
    assert_eq!(to_amira.len(), 5);
    let subjects: std::collections::BTreeSet<String> = to_amira
        .iter()
        .map(|m| m.header("Subject").unwrap())
        .collect();
    for title in [
        "Your application has moved to a new stage",
        "Your helpdesk question has been answered",
        "A seat at an event is now yours",
        "Your buddy pair is confirmed",
        "New opportunities are waiting for your review",
    ] {
        assert!(subjects.contains(title), "{title} in {subjects:?}");
    }
    let to_fatima = accepted
        .iter()
        .find(|m| m.to == ["fatima@example.org"])
        .unwrap();
    assert_eq!(to_fatima.header("Content-Language").as_deref(), Some("ar"));
    // Samir hears in Dutch that a question waits for him, with a link to it.
    let to_samir = accepted
        .iter()
        .find(|m| m.to == ["samir@example.org"])
        .unwrap();
    assert_eq!(
        to_samir.header("Subject").as_deref(),
        Some("Er wacht een helpdeskvraag op jouw antwoord")
    );
    assert!(
        decoded(to_samir).contains(&format!(
            "https://passage.example/answering/{}",
            question_id
        )),
        "{}",
        decoded(to_samir)
    );
    for mail in accepted.iter().chain(refused.iter()) {
        let text = decoded(mail);
        assert!(!canaries.in_text(&text), "a canary is in a mail:\n{text}");
        assert!(
            text.contains("https://passage.example/"),
            "a link back: {text}"
        );
        assert_eq!(
            mail.header("List-Unsubscribe-Post").as_deref(),
            Some("List-Unsubscribe=One-Click")
        );
        let unsubscribe = mail.header("List-Unsubscribe").unwrap();
        assert!(
            unsubscribe.starts_with("<https://passage.example/unsubscribe/amsterdam/"),
            "{unsubscribe}"
        );
    }

    // Operators see it: the node counts what it sent and what failed.
    let metrics =
        common::http_get(&cluster.federation.node_metrics_endpoint(AMSTERDAM).unwrap()).await;
    let sent: u64 = metrics
        .lines()
        .filter(|line| {
            line.starts_with("passage_notification_mails_total{")
                && line.contains("channel=\"smtp\",outcome=\"sent\"")
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert_eq!(sent, 7, "{metrics}");
    assert!(
        metrics.contains("outcome=\"failed\"} 1"),
        "one failed attempt is counted: {metrics}"
    );

    // Her inbox: five, newest first, unread; she reads one, then all.
    let listed = inbox(&mut notifications, &token, &amira).await;
    let kinds: Vec<&str> = listed
        .notifications
        .iter()
        .map(|n| n.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "buddy_confirmed",
            "event_seat",
            "question_answered",
            "application_stage",
            "review_waiting"
        ]
    );
    assert_eq!(listed.unread, 5);
    assert_eq!(listed.notifications[3].link, "/applications");
    let marked = notifications
        .mark_notifications_read(as_member(
            &token,
            v1::MarkNotificationsReadRequest {
                member_id: amira.clone(),
                ids: vec![listed.notifications[0].id.clone()],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((marked.marked, marked.unread), (1, 4));
    let marked = notifications
        .mark_notifications_read(as_member(
            &token,
            v1::MarkNotificationsReadRequest {
                member_id: amira.clone(),
                ids: vec![],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((marked.marked, marked.unread), (4, 0));

    // One click on the application mail's unsubscribe link, without signing in.
    let application_mail = to_amira
        .iter()
        .find(|m| m.header("Subject").unwrap().starts_with("Your application"))
        .unwrap();
    let link = application_mail.header("List-Unsubscribe").unwrap();
    let token_in_link = link
        .trim_start_matches("<https://passage.example/unsubscribe/amsterdam/")
        .trim_end_matches('>')
        .to_owned();
    let forged = notifications
        .unsubscribe(anonymous(v1::UnsubscribeRequest {
            token: token_in_link.replace("application_stage", "event_seat"),
        }))
        .await
        .unwrap_err();
    assert_eq!(forged.code(), Code::InvalidArgument);
    let done = notifications
        .unsubscribe(anonymous(v1::UnsubscribeRequest {
            token: token_in_link,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.kind, "application_stage");

    // The next stage reaches her inbox, and no more her mailbox.
    chapter
        .placements
        .move_application(to(
            AMSTERDAM,
            v1::MoveApplicationRequest {
                id: application.id.clone(),
                stage: v1::ApplicationStage::Interview as i32,
                note: String::new(),
            },
        ))
        .await
        .unwrap();
    let listed = inbox(&mut notifications, &token, &amira).await;
    assert_eq!(listed.unread, 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.accepted().len(), 7, "no mail after unsubscribing");
    cluster.stop().await;
}

/// `answerer` becomes a superlocal and answers one question of each of
/// `askers`, in order: the questions' ids.
async fn answered_questions(
    gateway: &Channel,
    canaries: &Canaries,
    askers: &[&String],
    answerer: &str,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut helpdesk = HelpdeskServiceClient::new(gateway.clone());
    helpdesk
        .register_answerer(to(
            AMSTERDAM,
            v1::RegisterAnswererRequest {
                member_id: answerer.into(),
                languages: vec!["en".into()],
            },
        ))
        .await
        .unwrap();
    for asker in askers {
        let question = helpdesk
            .ask_question(to(
                AMSTERDAM,
                v1::AskQuestionRequest {
                    asker_member_id: asker.to_string(),
                    language: "en".into(),
                    topic: canaries.of("topic"),
                    text: canaries.of("question"),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        helpdesk
            .answer_question(to(
                AMSTERDAM,
                v1::AnswerQuestionRequest {
                    id: question.id.clone(),
                    answerer_member_id: answerer.into(),
                    answer: canaries.of("answer"),
                },
            ))
            .await
            .unwrap();
        ids.push(question.id);
    }
    ids
}

/// Amira and Fatima, with the addresses asker0@ and asker1@example.org, each
/// ask a question that Samir answers, Amira's first.
async fn two_askers_answered(cluster: &Cluster) {
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(cluster).await;
    let canaries = Canaries::new();
    let askers = [
        chapter
            .register_member(canary_member(&canaries, "Amira", v1::MemberRole::Newcomer))
            .await,
        chapter
            .register_member(canary_member(&canaries, "Fatima", v1::MemberRole::Newcomer))
            .await,
    ];
    let samir = chapter
        .register_member(canary_member(&canaries, "Samir", v1::MemberRole::Local))
        .await;
    let mut notifications = NotificationServiceClient::new(gateway.clone());
    for (n, asker) in askers.iter().enumerate() {
        let token = cluster.member_token(AMSTERDAM, asker).await;
        let address = format!("asker{n}@example.org");
        save(&mut notifications, &token, settings(asker, &address, "en"))
            .await
            .unwrap();
    }

    answered_questions(&gateway, &canaries, &[&askers[0], &askers[1]], &samir).await;
}

/// A relay that does not offer PIPELINING hears each command of the envelope
/// after the answer to the one before, and the mails arrive as ever.
async fn a_relay_without_pipelining_hears_one_command_at_a_time(backend: Backend) {
    let server = SmtpReceiver::start_offering(0, false).await.unwrap();
    let cluster = mailing_to(backend, &server).await;
    two_askers_answered(&cluster).await;

    eventually("both mails are accepted", || {
        let server = server.clone();
        async move { server.accepted().len() == 2 }
    })
    .await;
    let accepted = server.accepted();
    assert_eq!(
        accepted.iter().map(|mail| &mail.to[0]).collect::<Vec<_>>(),
        ["asker0@example.org", "asker1@example.org"]
    );
    assert!(
        accepted.iter().all(|mail| !mail.pipelined),
        "no command before the answer to the one before"
    );
    assert!(server.refused().is_empty());
}

/// The relay has no mailbox for Amira's address: it refuses her RCPT in a
/// pipelined envelope, and the DATA after it. Her mail waits to be tried
/// again; Fatima's, next, goes whole, on a new connection, as itself.
async fn a_recipient_refused_in_a_pipelined_envelope_costs_no_other_mail(backend: Backend) {
    let (server, cluster) = with_mail_server(backend, 0).await;
    server.refuse_recipient("asker0@example.org");
    two_askers_answered(&cluster).await;

    eventually("Fatima's mail is accepted", || {
        let server = server.clone();
        async move { !server.accepted().is_empty() }
    })
    .await;
    let accepted = server.accepted();
    assert_eq!(accepted.len(), 1, "{accepted:#?}");
    assert_eq!(accepted[0].to, ["asker1@example.org"]);
    assert!(accepted[0].pipelined);
    assert_eq!(
        accepted[0].header("Subject").as_deref(),
        Some("Your helpdesk question has been answered")
    );
    assert!(
        server.connections() >= 2,
        "the refusal ended the connection it came on"
    );
}

/// Amira asks that answers to her questions reach her inbox only; Fatima has
/// turned off another kind, and said yes to answers by mail. Both questions are
/// answered: both inboxes have the answer, and only Fatima has a mail.
async fn a_kind_she_turned_off_by_mail_reaches_her_inbox_only(backend: Backend) {
    let (server, cluster) = with_mail_server(backend, 0).await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let canaries = Canaries::new();
    let amira = chapter
        .register_member(canary_member(&canaries, "Amira", v1::MemberRole::Newcomer))
        .await;
    let fatima = chapter
        .register_member(canary_member(&canaries, "Fatima", v1::MemberRole::Newcomer))
        .await;
    let samir = chapter
        .register_member(canary_member(&canaries, "Samir", v1::MemberRole::Local))
        .await;
    let amira_token = cluster.member_token(AMSTERDAM, &amira).await;
    let fatima_token = cluster.member_token(AMSTERDAM, &fatima).await;
    let mut notifications = NotificationServiceClient::new(gateway.clone());
    let kind = |kind: &str, email: bool| v1::KindPreference {
        kind: kind.into(),
        email,
    };
    let mut amiras = settings(&amira, "amira@example.org", "ar");
    amiras.kinds = vec![kind("question_answered", false)];
    save(&mut notifications, &amira_token, amiras)
        .await
        .unwrap();
    let mut fatimas = settings(&fatima, "fatima@example.org", "en");
    fatimas.kinds = vec![kind("event_seat", false), kind("question_answered", true)];
    save(&mut notifications, &fatima_token, fatimas)
        .await
        .unwrap();

    // Samir answers Amira's question, then Fatima's.
    answered_questions(&gateway, &canaries, &[&amira, &fatima], &samir).await;

    // Fatima's mail arrives; Amira's answer, queued before it, would have gone
    // first: the queue is sent in order.
    eventually("Fatima's mail is accepted", || {
        let server = server.clone();
        async move { !server.accepted().is_empty() }
    })
    .await;
    let accepted = server.accepted();
    let to: Vec<&Vec<String>> = accepted.iter().map(|mail| &mail.to).collect();
    assert_eq!(to, [&vec!["fatima@example.org".to_owned()]]);
    assert_eq!(
        accepted[0].header("Subject").as_deref(),
        Some("Your helpdesk question has been answered")
    );
    assert!(
        accepted[0].pipelined,
        "the relay offers PIPELINING: MAIL, RCPT and DATA come in one write"
    );
    for (token, member) in [(&amira_token, &amira), (&fatima_token, &fatima)] {
        assert_eq!(
            inbox_kinds(&mut notifications, token, member).await,
            ["question_answered"],
            "the inbox has the answer whatever the mail"
        );
    }
}

async fn without_an_smtp_server_mail_is_an_eml_file_exported_and_erased_with_her(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let amira = chapter.newcomer("Amira Haddad").await;
    let superlocal = chapter.local("Samir Aziz").await;
    let token = cluster.member_token(AMSTERDAM, &amira).await;
    let mut notifications = NotificationServiceClient::new(gateway.clone());
    save(
        &mut notifications,
        &token,
        settings(&amira, "amira@example.org", "nl"),
    )
    .await
    .unwrap();
    let mut helpdesk = HelpdeskServiceClient::new(gateway.clone());
    helpdesk
        .register_answerer(to(
            AMSTERDAM,
            v1::RegisterAnswererRequest {
                member_id: superlocal.clone(),
                languages: vec!["ar".into()],
            },
        ))
        .await
        .unwrap();
    let question = helpdesk
        .ask_question(to(
            AMSTERDAM,
            v1::AskQuestionRequest {
                asker_member_id: amira.clone(),
                language: "ar".into(),
                topic: "work".into(),
                text: "May I work while I wait?".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    helpdesk
        .answer_question(to(
            AMSTERDAM,
            v1::AnswerQuestionRequest {
                id: question.id,
                answerer_member_id: superlocal,
                answer: "Yes, after six months.".into(),
            },
        ))
        .await
        .unwrap();

    // The mail is an .eml file in her folder, in Dutch.
    let folder = cluster
        .mail_folder()
        .join(uuid::Uuid::parse_str(&amira).unwrap().simple().to_string());
    eventually("the mail is written", || {
        let folder = folder.clone();
        async move {
            std::fs::read_dir(&folder).is_ok_and(|entries| {
                entries
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with(".eml"))
            })
        }
    })
    .await;
    let file = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".eml"))
        .unwrap()
        .path();
    let mail = std::fs::read_to_string(&file).unwrap();
    assert!(mail.contains("Message-ID: <"), "{mail}");
    assert!(mail.contains("Content-Language: nl"), "{mail}");
    assert!(mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));

    // "My data" holds her settings, inbox, queued mail and the file.
    let exported = chapter
        .members
        .export_member_records(to(
            AMSTERDAM,
            v1::ExportMemberRecordsRequest {
                member_id: amira.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let records: serde_json::Value = serde_json::from_str(&exported.records_json).unwrap();
    for table in [
        "contact_details",
        "notification",
        "mail_queue",
        "mail_files",
    ] {
        assert_eq!(
            records[table].as_array().map(Vec::len),
            Some(1),
            "{table} in {records:#}"
        );
    }
    assert!(
        records["mail_files"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Message-ID")
    );

    // Erased with her: the rows and the file.
    chapter
        .members
        .delete_member(to(AMSTERDAM, v1::DeleteMemberRequest { id: amira.clone() }))
        .await
        .unwrap();
    assert!(!folder.exists(), "her mail folder is gone");
    let db = passage_migrations::connect::<passage_migrations::NodeMigrator>(
        &cluster.database_urls[AMSTERDAM],
        1,
    )
    .await
    .unwrap();
    let her = uuid::Uuid::parse_str(&amira).unwrap();
    use passage_node::store::entity::{
        contact_details, mail_queue, notification, notification_preference,
    };
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let left = [
        contact_details::Entity::find()
            .filter(contact_details::Column::MemberId.eq(her))
            .count(&db)
            .await
            .unwrap(),
        notification_preference::Entity::find()
            .filter(notification_preference::Column::MemberId.eq(her))
            .count(&db)
            .await
            .unwrap(),
        notification::Entity::find()
            .filter(notification::Column::MemberId.eq(her))
            .count(&db)
            .await
            .unwrap(),
        mail_queue::Entity::find()
            .filter(mail_queue::Column::MemberId.eq(her))
            .count(&db)
            .await
            .unwrap(),
    ];
    assert_eq!(left, [0, 0, 0, 0], "her notification records are erased");
    cluster.stop().await;
}

/// Noon tomorrow (UTC), as a timestamp.
fn tomorrow_noon() -> prost_types::Timestamp {
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    prost_types::Timestamp {
        seconds: tomorrow
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp(),
        nanos: 0,
    }
}

/// The kinds in member `member`'s inbox, newest first.
async fn inbox_kinds(
    notifications: &mut NotificationServiceClient<Channel>,
    token: &str,
    member: &str,
) -> Vec<String> {
    inbox(notifications, token, member)
        .await
        .notifications
        .into_iter()
        .map(|n| n.kind)
        .collect()
}

async fn tomorrows_event_and_session_are_told_once_even_after_restarts_and_no_canary_is_in_any_mail(
    backend: Backend,
) {
    // Arrange: a mail server, Amira (a newcomer) and Fatima (her cohort's coach),
    // both in UTC, with every field of their records a canary.
    let server = SmtpReceiver::start(0).await.unwrap();
    let mut cluster = Cluster::start_with_mail(
        backend,
        passage_node::settings::MailSettings {
            smtp_url: Some(server.url()),
            web_url: "https://passage.example".into(),
            ..Default::default()
        },
    )
    .await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let canaries = Canaries::new();
    let amira = chapter
        .register_member(canary_member(&canaries, "Amira", v1::MemberRole::Newcomer))
        .await;
    let fatima = chapter
        .register_member(canary_member(&canaries, "Fatima", v1::MemberRole::Local))
        .await;
    let token = cluster.member_token(AMSTERDAM, &amira).await;
    let fatima_token = cluster.member_token(AMSTERDAM, &fatima).await;
    let mut notifications = NotificationServiceClient::new(gateway.clone());
    for (member, member_token, address, language) in [
        (&amira, &token, "amira@example.org", "en"),
        (&fatima, &fatima_token, "fatima@example.org", "uk"),
    ] {
        let mut chosen = settings(member, address, language);
        chosen.time_zone = "UTC".into();
        save(&mut notifications, member_token, chosen)
            .await
            .unwrap();
    }

    // Amira registers for an information session at noon tomorrow.
    let session_of_tomorrow = chapter
        .events
        .create_event(to(
            AMSTERDAM,
            v1::CreateEventRequest {
                event: Some(v1::Event {
                    kind: v1::EventKind::InformationSession as i32,
                    title: canaries.of("event"),
                    description: canaries.of("eventdescription"),
                    start_time: Some(tomorrow_noon()),
                    end_time: Some(prost_types::Timestamp {
                        seconds: tomorrow_noon().seconds + 7200,
                        nanos: 0,
                    }),
                    place: canaries.of("place"),
                    capacity: 10,
                    languages: vec!["en".into()],
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    chapter
        .events
        .register_for_event(to(
            AMSTERDAM,
            v1::RegisterForEventRequest {
                event_id: session_of_tomorrow.id.clone(),
                member_id: amira.clone(),
            },
        ))
        .await
        .unwrap();

    // Her cohort, coached by Fatima, meets tomorrow.
    let programme = chapter
        .coaching
        .create_programme(to(
            AMSTERDAM,
            v1::CreateProgrammeRequest {
                programme: Some(v1::CoachingProgramme {
                    name: canaries.of("programme"),
                    mandatory_components: vec![v1::CoachingComponent::JobCoaching as i32],
                    aftercare_months: 6,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let today = common::community::today();
    let starts_on = today - chrono::Days::new(7);
    let cohort = chapter
        .coaching
        .create_cohort(to(
            AMSTERDAM,
            v1::CreateCohortRequest {
                cohort: Some(v1::Cohort {
                    programme_id: programme.id,
                    year: chrono::Datelike::year(&starts_on),
                    starts_on: starts_on.to_string(),
                    ends_on: (today + chrono::Days::new(90)).to_string(),
                    capacity: 12,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    chapter.enrol_participant(&cohort.id, &amira).await;
    chapter.assign_coach(&cohort.id, &fatima).await;
    chapter
        .coaching
        .schedule_coaching_session(to(
            AMSTERDAM,
            v1::ScheduleCoachingSessionRequest {
                session: Some(v1::CoachingSession {
                    cohort_id: cohort.id.clone(),
                    component: v1::CoachingComponent::JobCoaching as i32,
                    held_on: (today + chrono::Days::new(1)).to_string(),
                    topic: canaries.of("topic"),
                    coach_name: canaries.of("coachname"),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();

    // Act: the node restarts (it looks at tomorrow when it starts, and every
    // few minutes), then restarts again.
    cluster.federation.stop_region(AMSTERDAM).await.unwrap();
    cluster.federation.restart_region(AMSTERDAM).await.unwrap();
    eventually("three reminders are accepted", || {
        let server = server.clone();
        async move { server.accepted().len() >= 3 }
    })
    .await;
    cluster.federation.stop_region(AMSTERDAM).await.unwrap();
    cluster.federation.restart_region(AMSTERDAM).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;

    // Assert: Amira is reminded of the event and of the session, Fatima of the
    // session she coaches, each once, in their languages, without a canary.
    // A node stopped between the server's acceptance of a mail and the commit
    // that records it sends that mail again, with the same Message-ID (delivery is
    // at least once): a reminder written twice would carry a second Message-ID.
    let mut accepted = server.accepted();
    let mut seen = std::collections::BTreeSet::new();
    accepted.retain(|mail| seen.insert(mail.header("Message-ID").unwrap()));
    assert_eq!(accepted.len(), 3, "no reminder twice: {accepted:#?}");
    let subjects = |address: &str| -> std::collections::BTreeSet<String> {
        accepted
            .iter()
            .filter(|m| m.to == [address])
            .map(|m| m.header("Subject").unwrap())
            .collect()
    };
    assert_eq!(
        subjects("amira@example.org"),
        [
            "A session of your cohort is tomorrow".to_owned(),
            "An event you registered for is tomorrow".to_owned()
        ]
        .into()
    );
    let to_fatima: Vec<&Received> = accepted
        .iter()
        .filter(|m| m.to == ["fatima@example.org"])
        .collect();
    assert_eq!(to_fatima.len(), 1);
    assert_eq!(
        to_fatima[0].header("Content-Language").as_deref(),
        Some("uk")
    );
    assert!(decoded(to_fatima[0]).contains("https://passage.example/coaching"));
    for mail in &accepted {
        let text = decoded(mail);
        assert!(!canaries.in_text(&text), "a canary is in a mail:\n{text}");
        assert!(
            text.contains("https://passage.example/events")
                || text.contains("https://passage.example/coaching"),
            "a link back: {text}"
        );
    }
    assert_eq!(
        inbox_kinds(&mut notifications, &token, &amira).await,
        ["session_tomorrow", "event_tomorrow"]
    );
    assert_eq!(
        inbox_kinds(&mut notifications, &fatima_token, &fatima).await,
        ["session_tomorrow"]
    );
    cluster.stop().await;
}

async fn a_daily_digest_gathers_her_notices_in_one_mail_once_and_no_canary_is_in_it(
    backend: Backend,
) {
    // Arrange: no SMTP server, so mail is written as .eml files. Amira chose a
    // daily digest; Fatima wants mail at once.
    let mut cluster = Cluster::start(backend).await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let canaries = Canaries::new();
    let amira = chapter
        .register_member(canary_member(&canaries, "Amira", v1::MemberRole::Newcomer))
        .await;
    let superlocal = chapter
        .register_member(canary_member(&canaries, "Samir", v1::MemberRole::Local))
        .await;
    let token = cluster.member_token(AMSTERDAM, &amira).await;
    let mut notifications = NotificationServiceClient::new(gateway.clone());
    let mut daily = settings(&amira, "amira@example.org", "en");
    daily.digest = v1::DigestFrequency::Daily as i32;
    save(&mut notifications, &token, daily).await.unwrap();

    // Through the day: two opportunities are put in review (one notice a day for
    // a reviewer) and her helpdesk question is answered.
    for name in ["first", "second"] {
        let organisation = chapter.organisation(employer("Zorggroep Amstel")).await;
        let draft = chapter
            .draft(v1::Opportunity {
                organisation_id: organisation,
                title: canaries.of(&format!("{name}title")),
                description: canaries.of(&format!("{name}description")),
                kind: v1::OpportunityKind::Volunteer as i32,
                sector: "healthcare".into(),
                languages: vec!["en".into()],
                hours_per_week: 6,
                location: canaries.of("location"),
                ..Default::default()
            })
            .await;
        chapter.submit_for_review(&draft).await.unwrap();
    }
    answered_questions(&gateway, &canaries, &[&amira], &superlocal).await;

    // Her inbox has each at once; no mail is written before her morning.
    assert_eq!(
        inbox_kinds(&mut notifications, &token, &amira).await,
        ["question_answered", "review_waiting"]
    );
    let folder = cluster
        .mail_folder()
        .join(uuid::Uuid::parse_str(&amira).unwrap().simple().to_string());
    let mails = |folder: &std::path::Path| -> Vec<String> {
        std::fs::read_dir(folder)
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                    .map(|e| std::fs::read_to_string(e.path()).unwrap())
                    .collect()
            })
            .unwrap_or_default()
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(mails(&folder).is_empty(), "nothing before her digest");

    // Her morning comes: the node, stopped, finds the digest due when it starts
    // (its items' due time is moved to the past, as the clock would).
    cluster.federation.stop_region(AMSTERDAM).await.unwrap();
    let db = passage_migrations::connect::<passage_migrations::NodeMigrator>(
        &cluster.database_urls[AMSTERDAM],
        1,
    )
    .await
    .unwrap();
    use passage_node::store::entity::{digest_item, mail_queue};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
    let morning = chrono::Utc::now() - chrono::Duration::minutes(1);
    let waiting = digest_item::Entity::update_many()
        .col_expr(digest_item::Column::DueAt, Expr::value(morning))
        .exec(&db)
        .await
        .unwrap()
        .rows_affected;
    assert_eq!(waiting, 2, "two items wait for her digest");
    db.close().await.unwrap();
    cluster.federation.restart_region(AMSTERDAM).await.unwrap();
    eventually("the digest is written", || {
        let folder = folder.clone();
        async move { !mails(&folder).is_empty() }
    })
    .await;
    // And a restart after it sends no second digest.
    cluster.federation.stop_region(AMSTERDAM).await.unwrap();
    cluster.federation.restart_region(AMSTERDAM).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;

    // Assert: one mail lists both, with their links, in English, without a canary.
    let written = mails(&folder);
    assert_eq!(written.len(), 1, "one digest: {written:#?}");
    let digest = &written[0];
    assert!(
        digest.contains("Subject: Your daily summary from Passage"),
        "{digest}"
    );
    let text = decoded(&Received {
        from: String::new(),
        to: Vec::new(),
        data: digest.clone(),
        pipelined: false,
    });
    for line in [
        "New opportunities are waiting for your review",
        "Your helpdesk question has been answered",
        "/review",
        "/helpdesk",
        "/inbox",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    assert!(
        !canaries.in_text(&text),
        "a canary is in the digest:\n{text}"
    );
    assert!(digest.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    let db = passage_migrations::connect::<passage_migrations::NodeMigrator>(
        &cluster.database_urls[AMSTERDAM],
        1,
    )
    .await
    .unwrap();
    let her = uuid::Uuid::parse_str(&amira).unwrap();
    let digests = mail_queue::Entity::find()
        .filter(mail_queue::Column::MemberId.eq(her))
        .filter(mail_queue::Column::Kind.eq("digest"))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(digests, 1, "the digest sent is recorded");
    cluster.stop().await;
}

async fn an_organisation_hears_of_community_review_in_its_inbox_and_no_mail_carries_a_comment(
    backend: Backend,
) {
    // Arrange: a mail server; Zorggroep Amstel drafts an opportunity whose every
    // field is a canary; Amira and Bilal, newcomers, review (Amira by mail).
    let (server, cluster) = with_mail_server(backend, 0).await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let canaries = Canaries::new();
    let amira = chapter
        .register_member(canary_member(&canaries, "Amira", v1::MemberRole::Newcomer))
        .await;
    let bilal = chapter
        .register_member(canary_member(&canaries, "Bilal", v1::MemberRole::Newcomer))
        .await;
    let token = cluster.member_token(AMSTERDAM, &amira).await;
    let mut notifications = NotificationServiceClient::new(gateway.clone());
    save(
        &mut notifications,
        &token,
        settings(&amira, "amira@example.org", "en"),
    )
    .await
    .unwrap();
    let zorggroep = chapter.organisation(employer("Zorggroep Amstel")).await;
    let other = chapter.organisation(employer("Bakkerij Oost")).await;
    let zorggroep_token = cluster.organisation_token(AMSTERDAM, &zorggroep).await;
    let other_token = cluster.organisation_token(AMSTERDAM, &other).await;
    let opportunity = chapter
        .draft(v1::Opportunity {
            organisation_id: zorggroep.clone(),
            title: canaries.of("title"),
            description: canaries.of("description"),
            kind: v1::OpportunityKind::Volunteer as i32,
            sector: "healthcare".into(),
            languages: vec!["en".into()],
            hours_per_week: 6,
            location: canaries.of("location"),
            ..Default::default()
        })
        .await;

    // Act: submitted, sent back with a comment, submitted again, approved twice.
    chapter.submit_for_review(&opportunity).await.unwrap();
    chapter
        .review
        .review_opportunity(to(
            AMSTERDAM,
            v1::ReviewOpportunityRequest {
                opportunity_id: opportunity.clone(),
                reviewer_member_id: amira.clone(),
                verdict: v1::ReviewVerdict::RequestChanges as i32,
                comment: canaries.of("comment"),
            },
        ))
        .await
        .unwrap();
    chapter.submit_for_review(&opportunity).await.unwrap();
    chapter.approve(&opportunity, &amira).await;
    chapter.approve(&opportunity, &bilal).await;

    // Assert: the organisation's inbox has both outcomes, newest first, for its
    // own contact only.
    let listed = inbox(&mut notifications, &zorggroep_token, &zorggroep).await;
    let kinds: Vec<&str> = listed
        .notifications
        .iter()
        .map(|n| n.kind.as_str())
        .collect();
    assert_eq!(kinds, ["opportunity_approved", "opportunity_sent_back"]);
    assert_eq!(listed.unread, 2);
    assert!(
        listed
            .notifications
            .iter()
            .all(|n| n.link == "/our-opportunities")
    );
    let denied = notifications
        .list_notifications(as_member(
            &other_token,
            v1::ListNotificationsRequest {
                member_id: zorggroep.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let marked = notifications
        .mark_notifications_read(as_member(
            &zorggroep_token,
            v1::MarkNotificationsReadRequest {
                member_id: zorggroep.clone(),
                ids: vec![],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((marked.marked, marked.unread), (2, 0));

    // The reviewers heard once that day, though it was submitted twice; the one
    // mail (Amira's) carries no canary, nor the comment.
    assert_eq!(
        inbox_kinds(&mut notifications, &token, &amira).await,
        ["review_waiting"]
    );
    eventually("Amira's mail is accepted", || {
        let server = server.clone();
        async move { !server.accepted().is_empty() }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let accepted = server.accepted();
    assert_eq!(accepted.len(), 1, "{accepted:#?}");
    let text = decoded(&accepted[0]);
    assert!(!canaries.in_text(&text), "a canary is in a mail:\n{text}");
    assert!(text.contains("https://passage.example/review"), "{text}");
    cluster.stop().await;
}

/// Where Amira moves in the moving story.
const WASHINGTON: &str = "washington-dc";

/// Member `token`'s inbox at her home `region`.
async fn inbox_in(
    notifications: &mut NotificationServiceClient<Channel>,
    region: &str,
    token: &str,
    member: &str,
) -> v1::ListNotificationsResponse {
    let mut request = to(
        region,
        v1::ListNotificationsRequest {
            member_id: member.into(),
            ..Default::default()
        },
    );
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    notifications
        .list_notifications(request)
        .await
        .unwrap()
        .into_inner()
}

async fn a_member_who_moves_hears_of_the_hand_over_by_mail_and_of_her_arrival_in_her_new_inbox(
    backend: Backend,
) {
    // Arrange: Amira, at home in Amsterdam with every region-local and free-text
    // field a canary, wants mail in Dutch; she confirms a move to Washington DC.
    // Amsterdam's relay refuses its first mail, so the hand-over's mail is sent
    // again only after DC has confirmed her arrival and Amsterdam has erased what
    // it held of her: the mail must outlive that.
    let (server, cluster) = with_mail_server(backend, 1).await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let canaries = Canaries::new();
    let amira = chapter
        .register_member(canary_member(&canaries, "Amira", v1::MemberRole::Newcomer))
        .await;
    let token = cluster.member_token(AMSTERDAM, &amira).await;
    let mut notifications = NotificationServiceClient::new(gateway.clone());
    save(
        &mut notifications,
        &token,
        settings(&amira, "amira@example.org", "nl"),
    )
    .await
    .unwrap();
    cluster
        .member_confirms_move(AMSTERDAM, &amira, WASHINGTON)
        .await
        .unwrap();

    // Act: DC's chapter admin accepts her with an intake record whose facts are
    // canaries too; Amsterdam hands her over and DC takes her on.
    let intake = canary_member(&canaries, "Amira", v1::MemberRole::Newcomer).regional;
    passage_proto::v1::member_service_client::MemberServiceClient::new(gateway.clone())
        .transfer_member(to(
            WASHINGTON,
            v1::TransferMemberRequest {
                member_id: amira.clone(),
                regional: intake,
                requested_by: canaries.of("requested_by"),
            },
        ))
        .await
        .unwrap();

    // Assert: her old home, which held her address, told her by mail once, in
    // Dutch, with a link to her moving page and no canary — after her arrival.
    let dc_token = cluster.member_token(WASHINGTON, &amira).await;
    eventually("her new home's inbox tells her she arrived", || {
        let (mut notifications, token, amira) =
            (notifications.clone(), dc_token.clone(), amira.clone());
        async move {
            let listed = inbox_in(&mut notifications, WASHINGTON, &token, &amira).await;
            listed
                .notifications
                .iter()
                .any(|n| n.kind == "move_arrived" && n.link == "/moving")
        }
    })
    .await;
    eventually("the hand-over's mail arrives, tried again", || {
        let server = &server;
        async move { !server.accepted().is_empty() }
    })
    .await;
    // The arrival erased what Amsterdam held of her; no second mail came.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.refused().len(), 1, "the relay refused the first try");
    let accepted = server.accepted();
    assert_eq!(accepted.len(), 1, "one mail: {accepted:?}");
    let mail = &accepted[0];
    assert_eq!(mail.to, ["amira@example.org"]);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Je verhuizing is geaccepteerd: je thuisregio heeft je overgedragen")
    );
    assert_eq!(mail.header("Content-Language").as_deref(), Some("nl"));
    let text = decoded(mail);
    assert!(text.contains("https://passage.example/moving"), "{text}");
    assert!(!canaries.in_text(&text), "a canary is in a mail:\n{text}");
    let listed = inbox_in(&mut notifications, WASHINGTON, &dc_token, &amira).await;
    let kinds: Vec<&str> = listed
        .notifications
        .iter()
        .map(|n| n.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        ["move_arrived"],
        "her new inbox starts with her arrival"
    );
    assert_eq!(listed.unread, 1);
    cluster.stop().await;
}

/// The chapter inbox of `region`, as its chapter admin reads it.
async fn chapter_inbox(
    notifications: &mut NotificationServiceClient<Channel>,
    region: &str,
) -> v1::ListNotificationsResponse {
    notifications
        .list_chapter_notifications(to(region, v1::ListChapterNotificationsRequest::default()))
        .await
        .unwrap()
        .into_inner()
}

async fn a_member_whose_move_is_declined_hears_it_from_her_home(backend: Backend) {
    // Arrange: Amira, at home in Amsterdam with every region-local and free-text
    // field a canary, wants mail in Arabic; she confirms a move to Washington DC.
    let (server, cluster) = with_mail_server(backend, 0).await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let canaries = Canaries::new();
    let amira = chapter
        .register_member(canary_member(&canaries, "Amira", v1::MemberRole::Newcomer))
        .await;
    let token = cluster.member_token(AMSTERDAM, &amira).await;
    let mut notifications = NotificationServiceClient::new(gateway.clone());
    save(
        &mut notifications,
        &token,
        settings(&amira, "amira@example.org", "ar"),
    )
    .await
    .unwrap();
    cluster
        .member_confirms_move(AMSTERDAM, &amira, WASHINGTON)
        .await
        .unwrap();

    // DC's chapter admins hear that someone waits for them, in their chapter's
    // inbox, which names no one (the moves page does); Amsterdam's hears nothing.
    let waiting = chapter_inbox(&mut notifications, WASHINGTON).await;
    let told: Vec<(&str, &str)> = waiting
        .notifications
        .iter()
        .map(|n| (n.kind.as_str(), n.link.as_str()))
        .collect();
    assert_eq!(told, [("move_waiting", "/console/moves")]);
    assert_eq!(waiting.unread, 1);
    assert!(
        chapter_inbox(&mut notifications, AMSTERDAM)
            .await
            .notifications
            .is_empty()
    );

    // Act: DC's chapter admin declines her move (once the gateway's directory
    // knows her home, which must tell her first).
    let mut moves = passage_proto::v1::move_service_client::MoveServiceClient::new(gateway.clone());
    eventually("DC's chapter admin declines her move", || {
        let (mut moves, amira) = (moves.clone(), amira.clone());
        async move {
            let declined = moves
                .decline_move(to(WASHINGTON, v1::DeclineMoveRequest { member_id: amira }))
                .await;
            match declined {
                Ok(_) => true,
                Err(status) if status.code() == Code::FailedPrecondition => false,
                Err(status) => panic!("declining: {status:?}"),
            }
        }
    })
    .await;

    // Assert: her home told her, in her inbox and by one mail in Arabic that
    // links to her moving page and holds no canary; the move waits no more.
    eventually("the decline's mail arrives", || {
        let server = &server;
        async move { !server.accepted().is_empty() }
    })
    .await;
    let listed = inbox_in(&mut notifications, AMSTERDAM, &token, &amira).await;
    let kinds: Vec<&str> = listed
        .notifications
        .iter()
        .map(|n| n.kind.as_str())
        .collect();
    assert_eq!(kinds, ["move_declined"]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let accepted = server.accepted();
    assert_eq!(accepted.len(), 1, "one mail: {accepted:?}");
    let mail = &accepted[0];
    assert_eq!(mail.to, ["amira@example.org"]);
    assert_eq!(mail.header("Content-Language").as_deref(), Some("ar"));
    let text = decoded(mail);
    assert!(
        text.contains("رفضت المنطقة التي تنتقل إليها انتقالك"),
        "{text}"
    );
    assert!(text.contains("https://passage.example/moving"), "{text}");
    assert!(!canaries.in_text(&text), "a canary is in a mail:\n{text}");
    let incoming = moves
        .list_incoming_moves(to(WASHINGTON, v1::ListIncomingMovesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(incoming.moves.is_empty(), "{incoming:?}");
    cluster.stop().await;
}

/// Invites member `member_id` of Amsterdam to an account as its chapter admin,
/// once the gateway's directory knows her.
async fn invite(gateway: &Channel, login: &str, member_id: &str) -> v1::InviteAccountResponse {
    let mut accounts =
        passage_proto::v1::account_service_client::AccountServiceClient::new(gateway.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let request = v1::InviteAccountRequest {
            login: login.into(),
            kind: v1::AccountKind::Member as i32,
            region: AMSTERDAM.into(),
            member_id: member_id.into(),
            language: "en".into(),
            organisation_id: String::new(),
        };
        match accounts.invite_account(to(AMSTERDAM, request)).await {
            Ok(response) => return response.into_inner(),
            Err(status) if status.code() == Code::NotFound => {
                assert!(tokio::time::Instant::now() < deadline, "{status:?}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(status) => panic!("inviting {login}: {status:?}"),
        }
    }
}

async fn an_invited_member_gets_her_link_by_mail_from_her_home_and_nowhere_else(backend: Backend) {
    // Arrange: Amira gave Amsterdam an address; Bram gave none.
    let (server, cluster) = with_mail_server(backend, 0).await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let canaries = Canaries::new();
    let amira = chapter
        .register_member(canary_member(&canaries, "Amira", v1::MemberRole::Newcomer))
        .await;
    let bram = chapter
        .register_member(canary_member(&canaries, "Bram", v1::MemberRole::Local))
        .await;
    let token = cluster.member_token(AMSTERDAM, &amira).await;
    let mut notifications = NotificationServiceClient::new(gateway.clone());
    save(
        &mut notifications,
        &token,
        settings(&amira, "amira@example.org", "uk"),
    )
    .await
    .unwrap();

    // Act: the chapter admin invites both of them to an account.
    let amiras = invite(&gateway, "amira.h", &amira).await;
    let brams = invite(&gateway, "bram.v", &bram).await;

    // Assert: Amira's home mailed her the link, in Ukrainian, with nothing to
    // unsubscribe from and no canary; Bram, with no address, got no mail.
    assert!(amiras.invitation_mailed);
    assert!(!brams.invitation_mailed);
    eventually("the invitation's mail arrives", || {
        let server = &server;
        async move { !server.accepted().is_empty() }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let accepted = server.accepted();
    assert_eq!(accepted.len(), 1, "one mail: {accepted:?}");
    let mail = &accepted[0];
    assert_eq!(mail.to, ["amira@example.org"]);
    assert_eq!(mail.header("Content-Language").as_deref(), Some("uk"));
    assert_eq!(mail.header("List-Unsubscribe"), None);
    let text = decoded(mail);
    let link = format!(
        "https://passage.example/invitation/{}",
        amiras.invitation_code
    );
    assert!(text.contains(&link), "{text}");
    assert!(text.contains("Вас запрошено до Passage"), "{text}");
    assert!(!canaries.in_text(&text), "a canary is in a mail:\n{text}");
    // The code lives in the mail only: not in her inbox, and the queue forgets
    // it once the mail is sent.
    assert!(
        inbox_in(&mut notifications, AMSTERDAM, &token, &amira)
            .await
            .notifications
            .is_empty()
    );
    let db = sea_orm::Database::connect(cluster.database_urls[AMSTERDAM].as_str())
        .await
        .unwrap();
    eventually("the queue forgets the code", || {
        let db = db.clone();
        async move {
            use passage_node::store::entity::mail_queue;
            use sea_orm::EntityTrait;
            let links: Vec<String> = mail_queue::Entity::find()
                .all(&db)
                .await
                .unwrap()
                .into_iter()
                .map(|row| row.link)
                .collect();
            links == ["/invitation"]
        }
    })
    .await;
    cluster.stop().await;
}
