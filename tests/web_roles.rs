//! The community roles in a real headless Chromium (WebDriver), with axe-core
//! checking every new page in English and Arabic: two newcomers approve an
//! organisation's opportunity, each in their own session, and it is published; a
//! superlocal answers an Arabic question, makes it a knowledge-base article and
//! translates it; a coach ticks who came to a session and records an aftercare
//! contact. Each form refuses what is missing by name first. The node decides the
//! roles: a card on the start page for each role the member has. SQLite only: the
//! web app is a client of the gateway, whose storage is tested on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod common;

use browser::{Browser, start_web};
use common::chapter::{AMSTERDAM, Chapter};
use common::{Backend, Cluster, to};
use passage_proto::v1::{self, helpdesk_service_client::HelpdeskServiceClient};
use passage_web::i18n::{Lang, Text};

const PASSPHRASE: &str = "a quiet morning on the ij ferry";

/// The web app in front of the cluster's gateway; its base URL.
async fn web(cluster: &Cluster) -> String {
    let certs = cluster.certs();
    let address = start_web(
        cluster.federation.gateway_endpoint(),
        certs.ca().cert,
        Some((certs.web().cert, certs.web().key)),
    )
    .await;
    format!("http://{address}")
}

/// Member `member` of Amsterdam, invited as `login`, accepts in a browser asking
/// for `lang` and is signed in on the start page.
async fn signed_in(
    cluster: &Cluster,
    base: &str,
    lang: &str,
    login: &str,
    member: &str,
) -> Browser {
    let invitation = cluster
        .invite_member(AMSTERDAM, login, member, lang)
        .await
        .invitation_code;
    let browser = Browser::start(lang).await;
    browser
        .open(&format!("{base}/invitation/{invitation}"))
        .await;
    browser.fill("passphrase", PASSPHRASE).await;
    browser.fill("passphrase_again", PASSPHRASE).await;
    browser.press("main button[type=submit]").await;
    assert_eq!(browser.path().await, "/");
    browser
}

/// The page again in `lang`, checked as a person meets it.
async fn check_in(browser: &Browser, base: &str, lang: &str, what: &str) {
    let here = browser.client.current_url().await.unwrap();
    let back = match here.query() {
        Some(query) => format!("{}?{query}", here.path()),
        None => here.path().to_owned(),
    };
    browser
        .open(&format!(
            "{base}/language/{lang}?back={}",
            back.replace('?', "%3F")
                .replace('=', "%3D")
                .replace('&', "%26")
        ))
        .await;
    assert_eq!(browser.path().await, here.path());
    let html = browser.run("return document.documentElement.lang;").await;
    assert_eq!(html, serde_json::json!(lang));
    browser.check_page(&format!("{what} in {lang}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_newcomers_approve_an_opportunity_in_their_own_sessions_and_it_is_published() {
    passage_proto::choose_tls_crypto();
    let cluster = Cluster::start_secured(Backend::Sqlite).await;
    let mut chapter = Chapter::open(&cluster).await;
    let amira = chapter.newcomer("Amira Haddad").await;
    let yusuf = chapter.newcomer("Yusuf Rahimi").await;
    let opportunity = chapter.in_review("Care assistant").await;
    let base = web(&cluster).await;
    let shots = tempfile::tempdir().unwrap();
    let arabic = Text::new(Lang::Ar);

    // Amira reviews in Arabic: the start page has her review card.
    let browser = signed_in(&cluster, &base, "ar", "amira", &amira).await;
    assert!(browser.has("a[href='/review']").await);
    assert!(!browser.has("a[href='/coaching']").await);
    browser
        .check_page("the start page of a newcomer reviewer")
        .await;
    browser.press("a[href='/review']").await;
    assert_eq!(browser.text("h1").await, arabic.t("review-title"));
    browser.check_page("the review queue in ar").await;
    check_in(&browser, &base, "en", "the review queue").await;
    browser
        .press(&format!("a[href='/review/{opportunity}']"))
        .await;
    check_in(&browser, &base, "ar", "the review form").await;

    // A rejection without a comment is refused, naming the comment.
    browser.click("#verdict-reject").await;
    browser.press("main form button[type=submit]").await;
    assert_eq!(
        browser.text(".error-summary li").await,
        arabic.t("review-comment-missing")
    );
    assert!(browser.has(".error-summary a[href='#comment']").await);
    assert!(browser.has("#comment[aria-invalid=true]").await);
    assert!(browser.has("#verdict-reject:checked").await);
    browser.check_page("a refused review in ar").await;
    browser
        .screenshot(shots.path(), "web-review-refused-ar")
        .await;

    browser.click("#verdict-approve").await;
    browser.fill("comment", "واضح وعادل.").await;
    browser.press("main form button[type=submit]").await;
    assert_eq!(browser.path().await, "/review");
    assert_eq!(browser.text(".notice").await, arabic.t("review-given"));
    assert!(
        !browser
            .has(&format!("a[href='/review/{opportunity}']"))
            .await
    );
    browser.close().await;
    assert_eq!(
        chapter.opportunity_status(&opportunity).await,
        v1::OpportunityStatus::InReview
    );

    // Yusuf, in his own session, gives the second approval: it is published.
    let browser = signed_in(&cluster, &base, "en", "yusuf", &yusuf).await;
    browser.press("a[href='/review']").await;
    browser
        .press(&format!("a[href='/review/{opportunity}']"))
        .await;
    browser.check_page("the review form in en").await;
    browser.click("#verdict-approve").await;
    browser.press("main form button[type=submit]").await;
    assert_eq!(browser.path().await, "/review");
    assert_eq!(
        browser.text("main h1 + p + p").await,
        Text::new(Lang::En).t("review-none")
    );
    browser.close().await;
    assert_eq!(
        chapter.opportunity_status(&opportunity).await,
        v1::OpportunityStatus::Published
    );
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_superlocal_answers_an_arabic_question_and_makes_it_an_article_with_a_translation() {
    passage_proto::choose_tls_crypto();
    let cluster = Cluster::start_secured(Backend::Sqlite).await;
    let mut chapter = Chapter::open(&cluster).await;
    let amira = chapter.newcomer("Amira Haddad").await;
    let youssef = chapter.local("Youssef Benali").await;
    chapter.register_answerer(&youssef, &["ar", "nl"]).await;
    let question = chapter
        .question(&amira, "ar", "كيف أجد تدريبا في مجال البناء؟")
        .await;
    let base = web(&cluster).await;
    let shots = tempfile::tempdir().unwrap();
    let english = Text::new(Lang::En);

    let browser = signed_in(&cluster, &base, "en", "youssef", &youssef).await;
    assert!(browser.has("a[href='/answering']").await);
    assert!(!browser.has("a[href='/review']").await);
    browser.press("a[href='/answering']").await;
    assert_eq!(browser.text("h1").await, english.t("answering-title"));
    assert!(browser.text("main").await.contains(&question.text));
    assert!(!browser.text("main").await.contains("Amira"));
    browser.check_page("the superlocal's questions in en").await;
    check_in(&browser, &base, "ar", "the superlocal's questions").await;
    check_in(&browser, &base, "en", "the superlocal's questions").await;
    browser
        .press(&format!("a[href='/answering/{}']", question.id))
        .await;
    browser.check_page("a question to answer in en").await;

    // An empty answer is refused by name.
    browser.press("main form button[type=submit]").await;
    assert_eq!(
        browser.text(".error-summary li").await,
        english.t("answering-answer-missing")
    );
    assert!(browser.has(".error-summary a[href='#answer']").await);
    browser.check_page("a refused answer in en").await;
    let answer = "اسأل البلدية عن برنامج التعلم والعمل في البناء.";
    browser.fill("answer", answer).await;
    browser.press("main form button[type=submit]").await;
    assert_eq!(
        browser.text(".notice").await,
        english.t("answering-answered")
    );

    // The article: in Arabic, the answer as its text to start from.
    let language = browser
        .run("return document.getElementById('language').value;")
        .await;
    assert_eq!(language, serde_json::json!("ar"));
    let body = browser
        .run("return document.getElementById('body').value;")
        .await;
    assert_eq!(body, serde_json::json!(answer));
    check_in(&browser, &base, "ar", "the article form").await;
    browser.press("main form button[type=submit]").await;
    assert_eq!(
        browser.text(".error-summary li").await,
        Text::new(Lang::Ar).t("answering-title-missing")
    );
    browser.fill("title", "تدريب في البناء").await;
    browser.press("main form button[type=submit]").await;
    assert_eq!(
        browser.text(".notice").await,
        Text::new(Lang::Ar).t("answering-article-made")
    );
    browser.check_page("the article's translations in ar").await;

    // A translation into English.
    browser
        .run("document.getElementById('language').value = 'en'; return null;")
        .await;
    browser.fill("title", "Training in construction").await;
    browser
        .fill(
            "body",
            "Ask the municipality about its learn-work programme in construction.",
        )
        .await;
    browser.press("main form button[type=submit]").await;
    assert_eq!(
        browser.text(".notice").await,
        Text::new(Lang::Ar).t("answering-translation-saved")
    );
    assert!(
        browser
            .text("main")
            .await
            .contains("Training in construction")
    );
    check_in(&browser, &base, "en", "the translated article").await;
    browser
        .screenshot(shots.path(), "web-answering-article")
        .await;
    browser.close().await;

    let asked = HelpdeskServiceClient::new(cluster.gateway().await)
        .get_question(to(AMSTERDAM, v1::GetQuestionRequest { id: question.id }))
        .await
        .unwrap()
        .into_inner();
    let article = HelpdeskServiceClient::new(cluster.gateway().await)
        .get_article(to(
            AMSTERDAM,
            v1::GetArticleRequest {
                id: asked.article_id,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let languages: Vec<&str> = article
        .translations
        .iter()
        .map(|t| t.language.as_str())
        .collect();
    assert_eq!(languages, vec!["ar", "en"]);
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coach_records_attendance_and_an_aftercare_contact() {
    passage_proto::choose_tls_crypto();
    let cluster = Cluster::start_secured(Backend::Sqlite).await;
    let mut chapter = Chapter::open(&cluster).await;
    let sanne = chapter.local("Sanne Bakker").await;
    let amira = chapter.newcomer("Amira Haddad").await;
    let yusuf = chapter.newcomer("Yusuf Rahimi").await;
    let cohort = chapter.cohort_in_aftercare().await;
    chapter.enrol_participant(&cohort.id, &amira).await;
    chapter.enrol_participant(&cohort.id, &yusuf).await;
    let session = chapter.first_session(&cohort).await;
    chapter.assign_coach(&cohort.id, &sanne).await;
    let base = web(&cluster).await;
    let shots = tempfile::tempdir().unwrap();
    let arabic = Text::new(Lang::Ar);

    let browser = signed_in(&cluster, &base, "ar", "sanne", &sanne).await;
    assert!(browser.has("a[href='/coaching']").await);
    browser.press("a[href='/coaching']").await;
    assert_eq!(browser.text("h1").await, arabic.t("coaching-title"));
    assert!(browser.text(".cards").await.contains("Refugee on Board"));
    browser.check_page("the coach's cohorts in ar").await;
    check_in(&browser, &base, "en", "the coach's cohorts").await;
    browser
        .press(&format!("a[href='/coaching/{}']", cohort.id))
        .await;
    check_in(&browser, &base, "ar", "a cohort").await;

    // Amira came to the first session; Yusuf did not.
    let amira_box = format!("#attendee-{}-{amira}", session.id);
    assert!(!browser.has(&format!("{amira_box}:checked")).await);
    browser.click(&amira_box).await;
    browser.press("form.session button[type=submit]").await;
    assert_eq!(
        browser.text(".notice").await,
        arabic.t("coaching-attendance-saved")
    );
    assert!(browser.has(&format!("{amira_box}:checked")).await);
    assert!(
        !browser
            .has(&format!("#attendee-{}-{yusuf}:checked", session.id))
            .await
    );
    assert!(browser.text("tr.done td").await.contains("Amira Haddad"));

    // An aftercare contact without a note is refused by name; then recorded.
    browser
        .run(&format!(
            "document.getElementById('member_id').value = '{amira}'; return null;"
        ))
        .await;
    browser
        .press("form[action$='/aftercare'] button[type=submit]")
        .await;
    assert_eq!(
        browser.text(".error-summary li").await,
        arabic.t("coaching-note-missing")
    );
    assert!(browser.has(".error-summary a[href='#note']").await);
    browser
        .check_page("a refused aftercare contact in ar")
        .await;
    browser
        .fill("note", "تبدأ العمل في المستشفى يوم الاثنين.")
        .await;
    // The day the cohort ended is not in its aftercare: the region says so, and
    // the page names the day's field.
    let set_day = |day: String| {
        format!("document.getElementById('contacted_on').value = '{day}'; return null;")
    };
    browser.run(&set_day(cohort.ends_on.clone())).await;
    browser
        .press("form[action$='/aftercare'] button[type=submit]")
        .await;
    assert!(browser.has(".error-summary a[href='#contacted_on']").await);
    assert!(browser.has("#contacted_on[aria-invalid=true]").await);
    browser
        .run(&set_day(common::community::today().to_string()))
        .await;
    browser
        .press("form[action$='/aftercare'] button[type=submit]")
        .await;
    assert_eq!(
        browser.text(".notice").await,
        arabic.t("coaching-contact-saved")
    );
    assert!(
        browser
            .text("#aftercare-title + p + ul")
            .await
            .contains("تبدأ العمل في المستشفى يوم الاثنين.")
    );
    browser
        .screenshot(shots.path(), "web-coaching-cohort-ar")
        .await;
    check_in(&browser, &base, "en", "a cohort with its aftercare").await;
    browser.close().await;

    let contacts = chapter
        .coaching
        .list_aftercare_contacts(to(
            AMSTERDAM,
            v1::ListAftercareContactsRequest {
                cohort_id: cohort.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .contacts;
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].member_id, amira);
    assert_eq!(contacts[0].coach_member_id, sanne);
    cluster.stop().await;
}
