//! Zorggroep Amstel, an Amsterdam employer, uses Passage in a browser: a real
//! headless Chromium (WebDriver) walks its contact's story while axe-core checks
//! each page, in English and in Arabic. The chapter invites the contact; they
//! write a draft (an empty one is refused, naming the field), send it for review;
//! two newcomers approve it, each signed in in a browser of their own (one in
//! Arabic), and it is published, which its inbox tells; a member applies; the
//! contact
//! moves the application to an offer — the condition that falls on the employer
//! shows only then, because the member agreed — and accepts it with a first day
//! (a day that is not one is refused, naming the field): a placement. SQLite
//! only: the web app is a client of the gateway, whose storage is tested on both
//! backends (tests/organisations.rs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod common;

use browser::{Browser, start_web};
use chrono::{Months, Utc};
use common::chapter::{AMSTERDAM, Chapter, employer, newcomer};
use common::{Backend, Cluster, to};
use passage_proto::v1::{self, account_service_client::AccountServiceClient};
use passage_web::i18n::{Lang, Text};

const PASSPHRASE: &str = "herons over the amstel at six";
/// The newcomer reviewers' passphrase.
const REVIEWER_PASSPHRASE: &str = "tea with cardamom after work";

/// The TWV condition of Amsterdam's rules, which falls on the employer.
const TWV: &str = "The employer applies for a work permit (TWV)";

/// `message` for Amsterdam with the holder's token.
fn holding<T>(credential: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        passage_proto::REGION_METADATA_KEY,
        AMSTERDAM.parse().unwrap(),
    );
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {credential}").parse().unwrap(),
    );
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employer_posts_a_draft_the_community_publishes_it_and_it_becomes_a_placement() {
    passage_proto::choose_tls_crypto();
    let cluster = Cluster::start_secured(Backend::Sqlite).await;
    let mut chapter = Chapter::open(&cluster).await;
    let zorggroep = chapter.organisation(employer("Zorggroep Amstel")).await;
    let invitation = AccountServiceClient::new(cluster.gateway().await)
        .invite_account(to(
            AMSTERDAM,
            v1::InviteAccountRequest {
                login: "zorggroep".into(),
                kind: v1::AccountKind::Organisation as i32,
                region: AMSTERDAM.into(),
                member_id: String::new(),
                language: "en".into(),
                organisation_id: zorggroep.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
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

    // The contact accepts the invitation and sees the organisation's start page.
    browser
        .open(&format!("{base}/invitation/{}", invitation.invitation_code))
        .await;
    browser.fill("passphrase", PASSPHRASE).await;
    browser.fill("passphrase_again", PASSPHRASE).await;
    browser.press("main button[type=submit]").await;
    assert_eq!(browser.path().await, "/");
    assert_eq!(browser.text("h1").await, "Welcome, zorggroep");
    assert!(browser.has("a[href='/our-opportunities']").await);
    assert!(
        !browser.has("main a[href='/profile']").await,
        "no member's cards"
    );
    browser.check_page("the organisation's start page").await;

    // A draft: an empty one is refused by name, then written.
    browser.open(&format!("{base}/our-opportunities/new")).await;
    browser.check_page("a new draft").await;
    browser.press("main form button[type=submit]").await;
    assert!(browser.has(".error-summary a[href='#title']").await);
    assert!(browser.has(".error-summary a[href='#kind']").await);
    browser.check_page("a refused draft").await;
    browser.fill("title", "Care assistant").await;
    browser
        .fill("description", "Care assistant on the geriatric ward.")
        .await;
    browser
        .click("#kind option[value='OPPORTUNITY_KIND_JOB']")
        .await;
    browser.fill("sector", "healthcare").await;
    browser.fill("languages", "nl").await;
    browser.fill("hours_per_week", "32").await;
    browser.click("#paid-yes").await;
    browser.fill("location", "Amsterdam-Oost").await;
    browser.press("main form button[type=submit]").await;
    assert_eq!(browser.path().await, "/our-opportunities");
    assert!(browser.has(".notice").await);
    browser.check_page("our opportunities").await;
    browser
        .screenshot(shots.path(), "web-our-opportunities")
        .await;
    let draft = chapter
        .market
        .list_opportunities(to(
            AMSTERDAM,
            v1::ListOpportunitiesRequest {
                organisation_id: zorggroep.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .opportunities
        .remove(0);
    assert_eq!(draft.title, "Care assistant");

    // Sent for review; the region's newcomers approve it and it is published.
    browser
        .press(&format!(
            "form[action='/our-opportunities/{}/submit'] button",
            draft.id
        ))
        .await;
    assert_eq!(
        chapter.opportunity_status(&draft.id).await,
        v1::OpportunityStatus::InReview
    );
    // Two newcomers of the region, each signed in in a browser of their own —
    // Rania reads Passage in Arabic, Ahmad in English — find it in their review
    // queue and approve it: after the second approval it is published.
    for (name, login, lang) in [
        ("Rania Saleh", "rania", "ar"),
        ("Ahmad Karimi", "ahmad", "en"),
    ] {
        assert_eq!(
            chapter.opportunity_status(&draft.id).await,
            v1::OpportunityStatus::InReview,
            "not published before {name} approves"
        );
        let reviewer = chapter.newcomer(name).await;
        let invited = cluster
            .invite_member(AMSTERDAM, login, &reviewer, lang)
            .await
            .invitation_code;
        let theirs = Browser::start(lang).await;
        theirs.open(&format!("{base}/invitation/{invited}")).await;
        theirs.fill("passphrase", REVIEWER_PASSPHRASE).await;
        theirs.fill("passphrase_again", REVIEWER_PASSPHRASE).await;
        theirs.press("main button[type=submit]").await;
        theirs.press("a[href='/review']").await;
        theirs
            .press(&format!("a[href='/review/{}']", draft.id))
            .await;
        assert!(
            theirs.text("main").await.contains("Care assistant"),
            "{name} reviews what the contact wrote"
        );
        theirs
            .check_page(&format!("the review form in {lang}"))
            .await;
        theirs.click("#verdict-approve").await;
        theirs.press("main form button[type=submit]").await;
        assert_eq!(theirs.path().await, "/review");
        assert_eq!(
            theirs.text(".notice").await,
            Text::new(Lang::from_code(lang).unwrap()).t("review-given")
        );
        theirs.close().await;
    }
    assert_eq!(
        chapter.opportunity_status(&draft.id).await,
        v1::OpportunityStatus::Published
    );

    // The organisation's inbox tells the contact, with the count in the
    // navigation; opening the notice marks it read and goes to the opportunities.
    browser.open(&format!("{base}/our-opportunities")).await;
    assert_eq!(
        browser.text("nav a[href='/inbox'] .count").await,
        "1 unread"
    );
    browser.click("nav a[href='/inbox']").await;
    assert_eq!(browser.path().await, "/inbox");
    assert!(
        browser
            .text("main .inbox")
            .await
            .contains("Your opportunity was approved and published")
    );
    assert!(
        !browser
            .has("main a[href='/notifications/preferences']")
            .await,
        "an organisation gets no mail to choose"
    );
    browser.check_page("the organisation's inbox").await;
    browser.press("main .inbox li.unread button").await;
    assert_eq!(browser.path().await, "/our-opportunities");
    assert!(!browser.has("nav a[href='/inbox'] .count").await);

    // Yusuf, an asylum seeker eight months after applying, applies and agrees
    // that the employer sees what falls on it.
    let mut yusuf = newcomer("Yusuf Rahimi");
    yusuf.profile.as_mut().unwrap().share_across_regions = false;
    let regional = yusuf.regional.as_mut().unwrap();
    regional.residence_status = v1::ResidenceStatus::AsylumSeeker as i32;
    regional.asylum_application_date = Utc::now()
        .date_naive()
        .checked_sub_months(Months::new(8))
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    let yusuf = chapter.register_member(yusuf).await;
    let his = cluster.member_token(AMSTERDAM, &yusuf).await;
    let applied = chapter
        .placements
        .apply(holding(
            &his,
            v1::ApplyRequest {
                member_id: yusuf.clone(),
                opportunity_id: draft.id.clone(),
                motivation: "I cared for my grandparents for years.".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    chapter
        .placements
        .share_employer_conditions(holding(
            &his,
            v1::ShareEmployerConditionsRequest {
                id: applied.id.clone(),
                member_id: yusuf.clone(),
                share: true,
            },
        ))
        .await
        .unwrap();

    // The contact moves the application on; the condition shows at the offer.
    let applicants = format!("{base}/our-opportunities/{}/applicants", draft.id);
    browser.open(&applicants).await;
    browser.check_page("the applicants").await;
    assert!(
        browser
            .text("main")
            .await
            .contains("I cared for my grandparents")
    );
    for _ in 0..3 {
        assert!(!browser.text("main").await.contains(TWV));
        browser.press("form.move-on button").await;
        assert!(browser.has(".notice").await);
    }
    assert!(
        browser.text("main").await.contains(TWV),
        "at the offer, with consent"
    );
    browser.check_page("an offer").await;

    // A first day that is not a day is refused by name; then the placement.
    let field = format!("start_date-{}", applied.id);
    let accept = format!(
        "form[action='/our-opportunities/{}/applicants/{}/accept'] button",
        draft.id, applied.id
    );
    browser.fill(&field, "next monday").await;
    browser.press(&accept).await;
    assert!(
        browser
            .has(&format!(".error-summary a[href='#{field}']"))
            .await
    );
    let typed = browser
        .run(&format!("return document.getElementById('{field}').value;"))
        .await;
    assert_eq!(typed, serde_json::json!("next monday"));
    browser.check_page("a refused first day").await;
    let today = Utc::now().date_naive().format("%Y-%m-%d").to_string();
    browser.fill(&field, &today).await;
    browser.press(&accept).await;
    assert!(browser.has(".notice").await);
    browser.screenshot(shots.path(), "web-applicants").await;
    let placements = chapter
        .placements
        .list_placements(to(
            AMSTERDAM,
            v1::ListPlacementsRequest {
                member_id: yusuf.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .placements;
    assert_eq!(placements.len(), 1);
    assert_eq!(placements[0].start_date, today);
    assert_eq!(placements[0].organisation_id, zorggroep);

    // Every page of the organisation, in English and in Arabic.
    let pages = [
        "/".to_owned(),
        "/our-opportunities".to_owned(),
        "/our-opportunities/new".to_owned(),
        format!("/our-opportunities/{}/applicants", draft.id),
        format!("/our-opportunities/{}/members", draft.id),
        "/our-fairs".to_owned(),
    ];
    for lang in ["ar", "en"] {
        browser
            .open(&format!("{base}/language/{lang}?back=/"))
            .await;
        for page in &pages {
            browser.open(&format!("{base}{page}")).await;
            browser.check_page(&format!("{page} in {lang}")).await;
        }
    }
    browser.close().await;
    cluster.stop().await;
}
