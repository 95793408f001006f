//! Amira, a newcomer in Amsterdam, hears from Passage, in a real headless
//! Chromium (WebDriver) while axe-core checks each page: the navigation counts
//! her unread notifications, her inbox lists them newest first and opening one
//! marks it read and takes her to its page; on the preferences page a time zone
//! that does not exist is refused by name, in English and in Arabic; she gives
//! her address, and the mail's one-click unsubscribe link works without signing
//! in. SQLite only: the web app is a client of the gateway, whose storage is
//! tested on both backends (tests/notifications.rs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod common;

use browser::{Browser, start_web};
use common::{Backend, Cluster, amira, create, eventually, member_named, to};
use passage_proto::v1::{
    self, helpdesk_service_client::HelpdeskServiceClient,
    member_service_client::MemberServiceClient,
};
use passage_web::i18n::{Lang, Text};
use tonic::transport::Channel;

const PASSPHRASE: &str = "olive tree by the canal";
const REGION: &str = "amsterdam";

/// A question of `asker`'s, answered by `answerer`.
async fn answered(helpdesk: &mut HelpdeskServiceClient<Channel>, asker: &str, answerer: &str) {
    let question = helpdesk
        .ask_question(to(
            REGION,
            v1::AskQuestionRequest {
                asker_member_id: asker.into(),
                language: "ar".into(),
                topic: "papers".into(),
                text: "How do I register with the municipality?".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    helpdesk
        .answer_question(to(
            REGION,
            v1::AnswerQuestionRequest {
                id: question.id,
                answerer_member_id: answerer.into(),
                answer: "At the town hall, with your passport.".into(),
            },
        ))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amira_reads_her_inbox_chooses_how_she_hears_and_unsubscribes_in_one_click() {
    passage_proto::choose_tls_crypto();
    let cluster = Cluster::start_secured(Backend::Sqlite).await;
    let mut members = MemberServiceClient::new(cluster.gateway().await);
    let her = create(&mut members, REGION, amira()).await;
    let youssef = create(
        &mut members,
        REGION,
        member_named("Youssef Benali", v1::MemberRole::Local),
    )
    .await;
    let mut helpdesk = HelpdeskServiceClient::new(cluster.gateway().await);
    helpdesk
        .register_answerer(to(
            REGION,
            v1::RegisterAnswererRequest {
                member_id: youssef.id.clone(),
                languages: vec!["ar".into()],
            },
        ))
        .await
        .unwrap();
    answered(&mut helpdesk, &her.id, &youssef.id).await;

    let invitation = cluster.invite_member(REGION, "amira", &her.id, "en").await;
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

    // The navigation counts one unread notification.
    let english = Text::new(Lang::En);
    assert_eq!(
        browser.text("a[href='/inbox'] .count").await,
        english.t1("nav-inbox-unread", "count", "1")
    );
    browser.press("a[href='/inbox']").await;
    assert_eq!(browser.text("h1").await, english.t("inbox-title"));
    assert_eq!(
        browser.text(".notification.unread button").await,
        english.t("notification-question_answered")
    );
    browser.check_page("her inbox").await;
    browser.screenshot(shots.path(), "web-inbox").await;

    // Opening it marks it read and takes her to the helpdesk.
    browser.press(".notification button").await;
    assert_eq!(browser.path().await, "/helpdesk");
    assert!(!browser.has("a[href='/inbox'] .count").await);
    browser.open(&format!("{base}/inbox")).await;
    assert!(!browser.has(".notification.unread").await);

    // Preferences: a time zone that does not exist is refused by name.
    browser.press("a[href='/notifications/preferences']").await;
    assert_eq!(browser.text("h1").await, english.t("preferences-title"));
    browser.check_page("her preferences").await;
    browser.fill("time_zone", "Europe/Atlantis").await;
    browser.press("main form button[type=submit]").await;
    assert_eq!(
        browser.text(".error-summary li").await,
        english.t("preferences-error-time-zone")
    );
    assert!(browser.has(".error-summary a[href='#time_zone']").await);
    assert!(browser.has("#time_zone[aria-invalid=true]").await);
    browser.check_page("a refused time zone").await;

    // The same in Arabic, right to left.
    browser
        .open(&format!(
            "{base}/language/ar?back=/notifications/preferences"
        ))
        .await;
    let arabic = Text::new(Lang::Ar);
    assert_eq!(browser.text("h1").await, arabic.t("preferences-title"));
    let html = browser
        .run("return [document.documentElement.lang, document.documentElement.dir];")
        .await;
    assert_eq!(html, serde_json::json!(["ar", "rtl"]));
    browser.fill("time_zone", "Europe/Atlantis").await;
    browser.press("main form button[type=submit]").await;
    assert_eq!(
        browser.text(".error-summary li").await,
        arabic.t("preferences-error-time-zone")
    );
    browser.check_page("a refused time zone in Arabic").await;
    browser
        .screenshot(shots.path(), "web-preferences-refused-ar")
        .await;

    // She gives her address and time zone; saved.
    browser.fill("email", "amira@example.org").await;
    browser.fill("time_zone", "Europe/Amsterdam").await;
    browser.press("main form button[type=submit]").await;
    assert_eq!(browser.path().await, "/notifications/preferences");
    assert_eq!(browser.text(".notice").await, arabic.t("preferences-saved"));
    browser.check_page("her preferences saved, in Arabic").await;
    browser.open(&format!("{base}/inbox")).await;
    browser.check_page("her inbox in Arabic").await;

    // The next answer comes by mail (an .eml file here), in Arabic.
    answered(&mut helpdesk, &her.id, &youssef.id).await;
    let folder = cluster
        .mail_folder()
        .join(uuid::Uuid::parse_str(&her.id).unwrap().simple().to_string());
    eventually("the mail is written", || {
        let folder = folder.clone();
        async move { std::fs::read_dir(&folder).is_ok_and(|mut e| e.next().is_some()) }
    })
    .await;
    let file = std::fs::read_dir(&folder).unwrap().next().unwrap().unwrap();
    let mail = std::fs::read_to_string(file.path()).unwrap();
    assert!(mail.contains("Content-Language: ar"), "{mail}");
    let link = mail
        .lines()
        .find_map(|line| line.strip_prefix("List-Unsubscribe: <"))
        .unwrap()
        .trim_end_matches('>')
        .to_owned();
    let path = &link[link.find("/unsubscribe/").unwrap()..];

    // Signed out, the link asks to confirm; one click turns the mail off.
    browser.press("form[action='/sign-out'] button").await;
    browser.open(&format!("{base}{path}")).await;
    assert_eq!(browser.text("h1").await, arabic.t("unsubscribe-title"));
    browser.check_page("the unsubscribe page in Arabic").await;
    browser.press("main form button[type=submit]").await;
    assert_eq!(
        browser.text(".notice bdi").await,
        arabic.t("notification-question_answered")
    );
    browser.check_page("unsubscribed, in Arabic").await;
    browser
        .open(&format!("{base}/language/en?back={path}"))
        .await;
    assert_eq!(browser.text("h1").await, english.t("unsubscribe-title"));
    browser.check_page("the unsubscribe page in English").await;
    browser.close().await;
    cluster.stop().await;
}
