//! Amira, a newcomer in Amsterdam, asks the helpdesk in Arabic and finds her buddy,
//! in a real headless Chromium (WebDriver) while axe-core checks each page and a
//! 360-pixel phone screen never scrolls sideways. She reads the page right to left,
//! is told by name that an empty question cannot be sent, asks in Arabic, and reads
//! the answer the Arabic-speaking superlocal gives; she searches the knowledge base
//! and opens the article the chapter made, in Arabic, and finds a Dutch-only one
//! marked as such; her buddy page shows the local the region proposed. SQLite only:
//! the web app is a client of the gateway, whose storage is tested on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod common;

use browser::{Browser, start_web};
use common::{Backend, Cluster, amira, create, member_named, to};
use passage_proto::v1::{
    self, buddy_service_client::BuddyServiceClient, helpdesk_service_client::HelpdeskServiceClient,
    member_service_client::MemberServiceClient,
};
use passage_web::i18n::{Lang, Text};
use tonic::transport::Channel;

const PASSPHRASE: &str = "olive tree by the canal";
const REGION: &str = "amsterdam";

/// The chapter's side of the helpdesk, through the gateway.
struct Desk {
    helpdesk: HelpdeskServiceClient<Channel>,
    answerer: String,
}

impl Desk {
    /// A question `asker` asks, answered by the superlocal.
    async fn answered(&mut self, asker: &str, language: &str, text: &str, answer: &str) -> String {
        let question = self
            .helpdesk
            .ask_question(to(
                REGION,
                v1::AskQuestionRequest {
                    asker_member_id: asker.into(),
                    language: language.into(),
                    topic: "papers".into(),
                    text: text.into(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        self.answer(&question.id, answer).await;
        question.id
    }

    async fn answer(&mut self, question: &str, answer: &str) {
        self.helpdesk
            .answer_question(to(
                REGION,
                v1::AnswerQuestionRequest {
                    id: question.into(),
                    answerer_member_id: self.answerer.clone(),
                    answer: answer.into(),
                },
            ))
            .await
            .unwrap();
    }

    /// An article made from an answered question, in `language`.
    async fn article(&mut self, question: &str, language: &str, title: &str, body: &str) -> String {
        self.helpdesk
            .create_article(to(
                REGION,
                v1::CreateArticleRequest {
                    question_id: question.into(),
                    language: language.into(),
                    title: title.into(),
                    body: body.into(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .id
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amira_asks_the_helpdesk_in_arabic_and_finds_her_buddy() {
    passage_proto::choose_tls_crypto();
    let cluster = Cluster::start_secured(Backend::Sqlite).await;
    let mut members = MemberServiceClient::new(cluster.gateway().await);
    let her = create(&mut members, REGION, amira()).await;
    // Fatima: a local engineer who speaks Arabic, buddy to one newcomer at a time.
    let mut fatima = member_named("Fatima el Amrani", v1::MemberRole::Local);
    fatima.regional.as_mut().unwrap().buddy_capacity = 1;
    let fatima = create(&mut members, REGION, fatima).await;
    // Youssef: the superlocal who answers in Arabic, English and Dutch.
    let youssef = create(
        &mut members,
        REGION,
        member_named("Youssef Benali", v1::MemberRole::Local),
    )
    .await;
    let mut desk = Desk {
        helpdesk: HelpdeskServiceClient::new(cluster.gateway().await),
        answerer: youssef.id.clone(),
    };
    desk.helpdesk
        .register_answerer(to(
            REGION,
            v1::RegisterAnswererRequest {
                member_id: youssef.id.clone(),
                languages: vec!["ar".into(), "en".into(), "nl".into()],
            },
        ))
        .await
        .unwrap();

    // The knowledge base: an English article translated into Arabic, and a Dutch one.
    let asked = desk
        .answered(
            &fatima.id,
            "en",
            "May a status holder work without a work permit?",
            "Yes: with a residence permit you may work for any employer.",
        )
        .await;
    let permit = desk
        .article(
            &asked,
            "en",
            "Work permit for status holders",
            "With a residence permit you may work for any employer.\n\nYou need no separate work permit.",
        )
        .await;
    desk.helpdesk
        .set_translation(to(
            REGION,
            v1::SetTranslationRequest {
                article_id: permit.clone(),
                language: "ar".into(),
                title: "تصريح العمل لحاملي الإقامة".into(),
                body:
                    "مع تصريح الإقامة يمكنك العمل لدى أي صاحب عمل.\n\nلا تحتاج إلى تصريح عمل منفصل."
                        .into(),
            },
        ))
        .await
        .unwrap();
    let asked = desk
        .answered(
            &fatima.id,
            "nl",
            "Hoe krijg ik een BSN?",
            "Bij de gemeente, als je je inschrijft.",
        )
        .await;
    desk.article(
        &asked,
        "nl",
        "Een BSN aanvragen",
        "Je krijgt een burgerservicenummer (BSN) als je je inschrijft bij de gemeente.",
    )
    .await;

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

    // No buddy yet: the page says so plainly.
    let english = Text::new(Lang::En);
    browser.press("a[href='/buddy']").await;
    assert_eq!(browser.text("h1").await, "My buddy");
    assert_eq!(browser.text(".none").await, english.t("buddy-none"));
    browser.check_page("no buddy yet").await;

    // The helpdesk in English, empty.
    browser.press("a[href='/helpdesk']").await;
    assert_eq!(browser.text("h1").await, "Helpdesk");
    assert!(
        browser
            .text("#questions + p")
            .await
            .starts_with("You have not asked anything yet.")
    );
    browser.check_page("the helpdesk").await;
    browser.screenshot(shots.path(), "web-helpdesk").await;

    // In Arabic: the page turns right to left, and the question's language follows.
    browser
        .open(&format!("{base}/language/ar?back=/helpdesk"))
        .await;
    assert_eq!(browser.path().await, "/helpdesk");
    let arabic = Text::new(Lang::Ar);
    assert_eq!(browser.text("h1").await, arabic.t("helpdesk-title"));
    let html = browser
        .run("return [document.documentElement.lang, document.documentElement.dir];")
        .await;
    assert_eq!(html, serde_json::json!(["ar", "rtl"]));
    let language = browser
        .run("return document.getElementById('language').value;")
        .await;
    assert_eq!(language, serde_json::json!("ar"));
    browser.check_page("the helpdesk in Arabic").await;

    // An empty question is refused by name, in Arabic; what she typed stays.
    browser.fill("topic", "العمل").await;
    browser
        .press("main form[method=post] button[type=submit]")
        .await;
    assert_eq!(
        browser.text(".error-summary li").await,
        arabic.t("helpdesk-text-missing")
    );
    assert!(browser.has(".error-summary a[href='#text']").await);
    assert!(browser.has("#text[aria-invalid=true]").await);
    let kept = browser
        .run("return document.getElementById('topic').value;")
        .await;
    assert_eq!(kept, serde_json::json!("العمل"));
    browser.check_page("a refused question in Arabic").await;
    browser
        .screenshot(shots.path(), "web-helpdesk-refused-ar")
        .await;

    // She asks; the superlocal who speaks Arabic has it.
    let question = "هل أحتاج إلى تصريح عمل لأعمل مهندسة مدنية؟";
    browser.fill("text", question).await;
    browser
        .press("main form[method=post] button[type=submit]")
        .await;
    assert_eq!(browser.path().await, "/helpdesk");
    assert_eq!(browser.text(".notice").await, arabic.t("helpdesk-asked"));
    assert_eq!(browser.text(".question h3").await, "العمل");
    assert_eq!(browser.text(".question-text").await, question);
    assert_eq!(
        browser.text(".question .status").await,
        arabic.t("question-status-routed")
    );
    browser.check_page("her question, asked").await;

    // Youssef answers through the gateway; she reads the answer.
    let hers = desk
        .helpdesk
        .list_questions(to(
            REGION,
            v1::ListQuestionsRequest {
                asker_member_id: her.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .questions;
    assert_eq!(hers.len(), 1);
    assert_eq!(hers[0].answerer_member_id, youssef.id);
    let answer = "لا. مع تصريح الإقامة يمكنك العمل لدى أي صاحب عمل.";
    desk.answer(&hers[0].id, answer).await;
    browser.open(&format!("{base}/helpdesk")).await;
    assert_eq!(
        browser.text(".question .status").await,
        arabic.t("question-status-answered")
    );
    assert_eq!(browser.text(".answer-text").await, answer);
    browser.check_page("her answered question in Arabic").await;
    browser.screenshot(shots.path(), "web-helpdesk-ar").await;

    // The knowledge base, searched in Arabic: the article in Arabic…
    browser.fill("q", "تصريح العمل").await;
    browser.press("form[role=search] button").await;
    assert_eq!(browser.path().await, "/helpdesk");
    assert_eq!(
        browser.text(".articles a").await,
        "تصريح العمل لحاملي الإقامة"
    );
    assert!(
        !browser.has(".articles .meta").await,
        "it is in her language"
    );
    browser.check_page("search results in Arabic").await;
    browser.press(".articles a").await;
    assert_eq!(browser.path().await, format!("/helpdesk/articles/{permit}"));
    assert_eq!(browser.text("h1").await, "تصريح العمل لحاملي الإقامة");
    assert!(
        browser
            .text("article")
            .await
            .contains("لا تحتاج إلى تصريح عمل منفصل")
    );
    browser.check_page("an article in Arabic").await;
    browser
        .screenshot(shots.path(), "web-helpdesk-article-ar")
        .await;
    // …which she may also read in the language it was written in.
    browser.press(".other-languages a[lang=en]").await;
    assert_eq!(browser.text("h1").await, "Work permit for status holders");
    // A Dutch-only article, found and shown in Dutch, saying so.
    browser.open(&format!("{base}/helpdesk?q=BSN")).await;
    assert_eq!(browser.text(".articles a").await, "Een BSN aanvragen");
    assert_eq!(
        browser.text(".articles .meta").await,
        arabic.t1("helpdesk-in-original", "language", "Nederlands")
    );
    browser.check_page("a Dutch article found in Arabic").await;

    // The region proposes Fatima as her buddy; her page shows who and since when.
    let proposed = BuddyServiceClient::new(cluster.gateway().await)
        .propose_buddy_pairs(to(REGION, v1::ProposeBuddyPairsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .pairs;
    assert_eq!(proposed.len(), 1);
    assert_eq!(proposed[0].newcomer_member_id, her.id);
    browser.press("a[href='/buddy']").await;
    assert_eq!(browser.text(".pair h2").await, "Fatima el Amrani");
    assert_eq!(
        browser.text(".pair .status").await,
        arabic.t("buddy-status-proposed")
    );
    assert!(
        browser
            .text(".pair")
            .await
            .contains(&arabic.t("buddy-proposed-next"))
    );
    browser.check_page("her buddy in Arabic").await;
    browser.screenshot(shots.path(), "web-buddy-ar").await;

    // And in English.
    browser.press("a[lang=en]").await;
    assert_eq!(browser.path().await, "/buddy");
    assert_eq!(browser.text(".pair .status").await, "Proposed");
    assert!(
        browser
            .text(".pair .meta")
            .await
            .starts_with("Proposed on ")
    );
    assert!(
        browser
            .text(".pair ul")
            .await
            .contains("You have the same profession: civil engineer")
    );
    browser.check_page("her buddy").await;
    browser.screenshot(shots.path(), "web-buddy").await;
    browser.press("a[href='/helpdesk']").await;
    assert_eq!(browser.text(".question .status").await, "Answered");
    browser.check_page("her answered question").await;
    browser
        .open(&format!("{base}/helpdesk/articles/{permit}"))
        .await;
    assert_eq!(browser.text("h1").await, "Work permit for status holders");
    browser.check_page("an article").await;
    browser.close().await;
    cluster.stop().await;
}
