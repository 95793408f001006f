//! Operators see the mail (issue 16 point 7): Amsterdam's mail relay is busy and
//! refuses every message; Amira's answered helpdesk question waits in the queue.
//! Amsterdam's chapter admin runs `passage admin mail --region amsterdam` and
//! sees it waiting — its kind, channel, attempts and next try, her address
//! masked — and the relay's refusal among the last failures; the node's
//! `/metrics` count the failed attempts and the mail queued, by kind and channel.
//! Nobody else reads the queue, and a limit out of range is named.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::chapter::{AMSTERDAM, Chapter};
use common::smtp::SmtpReceiver;
use common::{Backend, Cluster, eventually, to};
use passage_proto::v1::{
    self, helpdesk_service_client::HelpdeskServiceClient,
    notification_service_client::NotificationServiceClient,
};
use tonic::Code;

on_both_backends!(a_chapter_admin_sees_mail_waiting_on_a_refusing_relay_with_addresses_masked);

/// The value of the metric line that starts with `series` (name and labels).
fn metric(metrics: &str, series: &str) -> Option<u64> {
    metrics
        .lines()
        .find(|line| line.starts_with(series))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

async fn a_chapter_admin_sees_mail_waiting_on_a_refusing_relay_with_addresses_masked(
    backend: Backend,
) {
    // Arrange: a relay that refuses everything, Amira with her address, Samir
    // answering the helpdesk.
    let relay = SmtpReceiver::start(usize::MAX).await.unwrap();
    let cluster = Cluster::start_with_mail(
        backend,
        passage_node::settings::MailSettings {
            smtp_url: Some(relay.url()),
            web_url: "https://passage.example".into(),
            ..Default::default()
        },
    )
    .await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let amira = chapter.newcomer("Amira Haddad").await;
    let samir = chapter.local("Samir Bakker").await;
    let mut notifications = NotificationServiceClient::new(gateway.clone());
    notifications
        .update_notification_settings(to(
            AMSTERDAM,
            v1::UpdateNotificationSettingsRequest {
                settings: Some(v1::NotificationSettings {
                    member_id: amira.clone(),
                    email: "amira.haddad@example.org".into(),
                    time_zone: "Europe/Amsterdam".into(),
                    language: "en".into(),
                    digest: v1::DigestFrequency::Immediate as i32,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
    let mut helpdesk = HelpdeskServiceClient::new(gateway.clone());
    helpdesk
        .register_answerer(to(
            AMSTERDAM,
            v1::RegisterAnswererRequest {
                member_id: samir.clone(),
                languages: vec!["en".into()],
            },
        ))
        .await
        .unwrap();

    // Act: her question is answered; the relay refuses the mail.
    let question = helpdesk
        .ask_question(to(
            AMSTERDAM,
            v1::AskQuestionRequest {
                asker_member_id: amira.clone(),
                language: "en".into(),
                topic: "housing".into(),
                text: "Where do I register my address?".into(),
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
                answerer_member_id: samir.clone(),
                answer: "At the town hall.".into(),
            },
        ))
        .await
        .unwrap();
    eventually("the relay refused Amira's mail", || {
        let relay = relay.clone();
        async move { !relay.refused().is_empty() }
    })
    .await;

    // Assert: the queue as the chapter admin reads it.
    let admin = passage::admin::link(
        gateway.clone(),
        &passage::credentials::demo().chapter_admin(AMSTERDAM),
    )
    .unwrap();
    let mut table = String::new();
    for _ in 0..200 {
        table = passage::mail_cli::mail_table(admin.clone(), AMSTERDAM, 50)
            .await
            .unwrap();
        if table.contains("last failures, the latest first") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        table.starts_with("amsterdam: 1 waiting, sent by the mail server (smtp)"),
        "{table}"
    );
    let lines: Vec<&str> = table.lines().collect();
    let waiting = lines[2];
    assert!(
        waiting.contains("question_answered")
            && waiting.contains("smtp")
            && waiting.contains("a•••@example.org"),
        "{table}"
    );
    let failure = lines.last().unwrap();
    assert!(
        failure.contains("a•••@example.org") && failure.contains("451") && failure.contains("busy"),
        "{table}"
    );
    assert!(
        !table.contains("amira.haddad"),
        "her address is masked: {table}"
    );
    assert!(!table.contains("town hall"), "no mail's contents: {table}");

    let queue = notifications
        .get_mail_queue(to(AMSTERDAM, v1::GetMailQueueRequest { limit: 0 }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((queue.channel.as_str(), queue.waiting), ("smtp", 1));
    let mail = &queue.failures[0];
    assert_eq!(mail.kind, "question_answered");
    assert_eq!(mail.masked_address, "a•••@example.org");
    let seconds = |time: &Option<prost_types::Timestamp>| time.as_ref().unwrap().seconds;
    assert!(
        mail.attempts >= 1 && seconds(&mail.due_time) >= seconds(&mail.queued_time),
        "{mail:?}"
    );

    let metrics =
        common::http_get(&cluster.federation.node_metrics_endpoint(AMSTERDAM).unwrap()).await;
    let failed = metric(
        &metrics,
        "passage_notification_mails_total{region=\"amsterdam\",kind=\"question_answered\",channel=\"smtp\",outcome=\"failed\"}",
    );
    assert!(failed.is_some_and(|failed| failed >= 1), "{metrics}");
    assert_eq!(
        metric(
            &metrics,
            "passage_notification_mails_queued{region=\"amsterdam\",kind=\"question_answered\",channel=\"smtp\"}",
        ),
        Some(1),
        "{metrics}"
    );

    // Amira herself may not read the region's queue; a limit out of range is named.
    let token = cluster.member_token(AMSTERDAM, &amira).await;
    let mut as_amira = tonic::Request::new(v1::GetMailQueueRequest { limit: 0 });
    as_amira.metadata_mut().insert(
        passage_proto::REGION_METADATA_KEY,
        AMSTERDAM.parse().unwrap(),
    );
    as_amira
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let refused = notifications.get_mail_queue(as_amira).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let refused = notifications
        .get_mail_queue(to(AMSTERDAM, v1::GetMailQueueRequest { limit: 501 }))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().starts_with("limit"),
        "{}",
        refused.message()
    );

    cluster.stop().await;
}
