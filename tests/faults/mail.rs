//! Mail is never lost nor sent twice by a crash (issue 16 point 3): Amsterdam's
//! node runs as its own `passage node` process with `[mail] smtp_url` pointing at
//! an SMTP receiver in this test (`passage::bench::smtp_receiver`). Amira, a
//! newcomer who gave her address, asks the helpdesk six questions; each answer
//! tells her by mail. The node is killed (SIGKILL) once at every point of
//! delivering one of those mails, started again, and in the end every mail has
//! arrived exactly once, by `Message-ID` — except the one killed after the server
//! accepted it and before the node recorded that, which may arrive twice, with
//! the same `Message-ID` (the only duplicate at-least-once delivery allows).
//!
//! No failpoint is built into the node: each point is reached from outside, and
//! observed before the kill.
//!
//! 1. **Still in the outbox**: the receiver holds the conversation of mail 1 at
//!    its greeting; the node delivers one mail at a time, so mail 2, committed
//!    meanwhile, waits in the outbox untaken when the node is killed.
//! 2. **Connection open**: mail 1 itself, held before the server's greeting.
//! 3. **After MAIL FROM and RCPT TO**: the receiver answers both and holds the
//!    DATA command unanswered (mail 3).
//! 4. **After the message, before the server's 250**: the receiver has the whole
//!    message up to the final `.` and holds its answer (mail 4).
//! 5. **Accepted, not recorded**: the test holds a write lock on the node's mail
//!    queue (a transaction that updates every row), then lets the receiver answer
//!    250 (mail 5); the node's commit that records it waits for the lock, and
//!    the node is killed while it waits. Mail 5 may come again after the restart.
//! 6. **After the commit**: the node's database shows mail 6 sent; then the kill.
//!
//! Runs on SQLite and PostgreSQL.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::smtp::{SmtpReceiver, Step};
use passage::bench::smtp_receiver::Hold;
use passage::credentials::SealedChannel;
use passage_proto::v1::{
    self, helpdesk_service_client::HelpdeskServiceClient,
    member_service_client::MemberServiceClient,
    notification_service_client::NotificationServiceClient,
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement, TransactionTrait};
use tokio::time::Instant;

use crate::common::{self, Backend};
use crate::processes::Federation;
use crate::{ONE_AT_A_TIME, ms};

const REGION: &str = "amsterdam";

/// Amira's questions and their answers, straight at Amsterdam's node as its
/// chapter admin's calls.
struct Helpdesk {
    helpdesk: HelpdeskServiceClient<SealedChannel>,
    notifications: NotificationServiceClient<SealedChannel>,
    amira: String,
    samir: String,
}

impl Helpdesk {
    /// Amira (mail on, her address given) and Samir, who answers in English.
    async fn open(federation: &Federation) -> Helpdesk {
        let channel = federation.chapter_admin_channel(REGION);
        let mut members = MemberServiceClient::new(channel.clone());
        let mut register = async |name: &str, role: v1::MemberRole| {
            let mut member = common::member_named(name, role);
            member.profile.as_mut().unwrap().share_across_regions = false;
            members
                .create_member(v1::CreateMemberRequest {
                    member: Some(member),
                })
                .await
                .unwrap()
                .into_inner()
                .id
        };
        let amira = register("Amira", v1::MemberRole::Newcomer).await;
        let samir = register("Samir", v1::MemberRole::Local).await;
        let mut notifications = NotificationServiceClient::new(channel.clone());
        notifications
            .update_notification_settings(v1::UpdateNotificationSettingsRequest {
                settings: Some(v1::NotificationSettings {
                    member_id: amira.clone(),
                    email: "amira@example.org".into(),
                    time_zone: "Europe/Amsterdam".into(),
                    language: "en".into(),
                    digest: v1::DigestFrequency::Immediate as i32,
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
        let mut helpdesk = HelpdeskServiceClient::new(channel);
        helpdesk
            .register_answerer(v1::RegisterAnswererRequest {
                member_id: samir.clone(),
                languages: vec!["en".into()],
            })
            .await
            .unwrap();
        Helpdesk {
            helpdesk,
            notifications,
            amira,
            samir,
        }
    }

    /// Amira asks, Samir answers: her notification's `Message-ID`.
    async fn answered(&mut self, n: usize) -> String {
        let question = self
            .helpdesk
            .ask_question(v1::AskQuestionRequest {
                asker_member_id: self.amira.clone(),
                language: "en".into(),
                topic: "housing".into(),
                text: format!("Question {n}: how do I register my address?"),
            })
            .await
            .unwrap()
            .into_inner();
        self.helpdesk
            .answer_question(v1::AnswerQuestionRequest {
                id: question.id,
                answerer_member_id: self.samir.clone(),
                answer: "At the town hall, with your rental contract.".into(),
            })
            .await
            .unwrap();
        let inbox = self
            .notifications
            .list_notifications(v1::ListNotificationsRequest {
                member_id: self.amira.clone(),
                page_size: 1,
                page_token: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let newest = &inbox.notifications[0];
        assert_eq!(newest.kind, "question_answered");
        let id = uuid::Uuid::parse_str(&newest.id).unwrap();
        format!("<{}@{REGION}.passage>", id.simple())
    }
}

/// Waits until a conversation is held as `hold` asked.
async fn reached(hold: &mut Hold, what: &str) {
    tokio::time::timeout(Duration::from_secs(20), &mut hold.reached)
        .await
        .unwrap_or_else(|_| panic!("no mail reached {what}"))
        .unwrap();
}

/// How many of the node's mails wait to be sent.
async fn waiting(db: &DatabaseConnection) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS waiting FROM mail_queue WHERE sent_at IS NULL",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "waiting").unwrap()
}

async fn until_outbox_empty(db: &DatabaseConnection) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while waiting(db).await > 0 {
        assert!(
            Instant::now() < deadline,
            "the node's mail was not all sent"
        );
        tokio::time::sleep(ms(25)).await;
    }
}

/// How many times each `Message-ID` arrived.
fn arrivals(receiver: &SmtpReceiver) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for message in receiver.accepted() {
        let id = message
            .header("Message-ID")
            .expect("every mail has a Message-ID");
        *counts.entry(id).or_default() += 1;
    }
    counts
}

pub(crate) async fn a_node_killed_at_every_point_of_delivery_sends_each_mail_exactly_once(
    backend: Backend,
) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let receiver = SmtpReceiver::start(0).await.unwrap();
    let mut federation = Federation::prepare(backend).await;
    federation.send_mail_to(REGION, &receiver.url());
    federation.launch().await;
    let db = Database::connect(federation.database_urls[REGION].as_str())
        .await
        .unwrap();
    let mut story = Helpdesk::open(&federation).await;
    let mut mails = Vec::new();

    // 1 and 2: mail 1 held at the greeting, mail 2 committed behind it.
    let mut hold = receiver.hold_next(Step::Greeting);
    mails.push(story.answered(1).await);
    reached(&mut hold, "the greeting").await;
    mails.push(story.answered(2).await);
    assert_eq!(waiting(&db).await, 2, "mails 1 and 2 are in the outbox");
    assert_eq!(
        receiver.connections(),
        1,
        "only mail 1's conversation began"
    );
    federation.kill(REGION).await;
    drop(hold);
    assert_eq!(receiver.accepted_count(), 0);
    federation.start(REGION).await;
    until_outbox_empty(&db).await;

    // 3: MAIL FROM and RCPT TO answered, DATA not.
    let mut hold = receiver.hold_next(Step::Data);
    mails.push(story.answered(3).await);
    reached(&mut hold, "DATA").await;
    federation.kill(REGION).await;
    drop(hold);
    federation.start(REGION).await;
    until_outbox_empty(&db).await;

    // 4: the whole message sent, the server's 250 not yet.
    let mut hold = receiver.hold_next(Step::EndOfData);
    mails.push(story.answered(4).await);
    reached(&mut hold, "the end of DATA").await;
    federation.kill(REGION).await;
    drop(hold);
    federation.start(REGION).await;
    until_outbox_empty(&db).await;

    // 5: accepted by the server, the commit that records it kept waiting.
    let mut hold = receiver.hold_next(Step::EndOfData);
    mails.push(story.answered(5).await);
    reached(&mut hold, "the end of DATA").await;
    let accepted_before = receiver.accepted_count();
    let lock = db.begin().await.unwrap();
    lock.execute_unprepared("UPDATE mail_queue SET attempts = attempts")
        .await
        .unwrap();
    hold.release.send(()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.accepted_count() == accepted_before {
        assert!(Instant::now() < deadline, "mail 5 was not accepted");
        tokio::time::sleep(ms(5)).await;
    }
    // The node now waits for the lock to record mail 5 as sent.
    tokio::time::sleep(ms(300)).await;
    federation.kill(REGION).await;
    lock.rollback().await.unwrap();
    assert_eq!(waiting(&db).await, 1, "mail 5 is not recorded as sent");
    federation.start(REGION).await;
    until_outbox_empty(&db).await;

    // 6: recorded as sent, then killed.
    mails.push(story.answered(6).await);
    until_outbox_empty(&db).await;
    federation.kill(REGION).await;
    federation.start(REGION).await;

    // Every mail once; mail 5 once or twice, with one Message-ID. Nothing more
    // arrives once the node has had time to send again what it would.
    tokio::time::sleep(ms(1_500)).await;
    let arrived = arrivals(&receiver);
    assert_eq!(
        arrived.keys().cloned().collect::<Vec<_>>(),
        {
            let mut sorted = mails.clone();
            sorted.sort();
            sorted
        },
        "exactly Amira's six mails arrived"
    );
    for (n, id) in mails.iter().enumerate() {
        let times = arrived[id];
        if n + 1 == 5 {
            assert!(
                (1..=2).contains(&times),
                "mail 5 (accepted, not recorded) arrived {times} times"
            );
        } else {
            assert_eq!(times, 1, "mail {} arrived {times} times", n + 1);
        }
    }
    assert_eq!(waiting(&db).await, 0);
    eprintln!(
        "mail faults ({backend:?}): 6 mails, 5 kills; mail 5 arrived {} time(s); {} SMTP connections",
        arrived[&mails[4]],
        receiver.connections()
    );
    federation.stop().await;
}
