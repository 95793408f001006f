//! Marieke runs Amsterdam's chapter. Invited by the operator, she chooses her
//! passphrase and finds her console, in a real headless Chromium (WebDriver),
//! axe-core on each page and a 360-pixel phone that never scrolls sideways: a
//! question in Tigrinya that nobody who answers can read, and an internship
//! waiting for community review. She finds Olena by typing "олена", keeps her
//! region-local record — a date typed wrongly is refused and named, then saved
//! with a permit and an unclear identity, as the region's rules will read them —
//! invites her (a login that is too short is refused first), and sees her own
//! read of the record in the audit. She adds Yonas (a name is needed). Her old
//! spreadsheet of members has two bad lines, named by line and column with why
//! in the page's language (English, then Dutch); fixed, it imports once. Two
//! members of Miami confirmed they move to Amsterdam: she declines Karim's move,
//! and accepts Dalia's with her intake record (a date typed wrongly is refused and
//! named, and Dalia stays in Miami until it is right), after which Dalia's record
//! is Amsterdam's. She sees her region keeps up with the federation. She finds
//! the internship among the region's opportunities by its state and by a word,
//! starts an expert group (a sector is needed) and sees its next meeting, and
//! reads Olena's case, whose next step is due. In Arabic
//! the console reads right to left. Olena accepts the invitation and, opening the
//! console, is told it is the chapter admins'. SQLite only: the web app is a
//! client of the gateway, whose storage is tested on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod common;

use browser::{Browser, start_web};
use common::chapter::{AMSTERDAM, Chapter, employer, newcomer};
use common::{
    Backend, Cluster, create, eventually, import_members, member_named, operator, profile_in, to,
};
use passage_proto::v1::{
    self, account_service_client::AccountServiceClient, case_service_client::CaseServiceClient,
    group_service_client::GroupServiceClient, helpdesk_service_client::HelpdeskServiceClient,
    member_service_client::MemberServiceClient,
};
use passage_web::i18n::{Lang, Text};

const PASSPHRASE: &str = "dykes and tulips at dawn";
const HER_PASSPHRASE: &str = "sunflowers over kyiv again";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chapter_admin_works_her_queues_and_keeps_a_members_record() {
    let cluster = Cluster::start_secured(Backend::Sqlite).await;
    let mut chapter = Chapter::open(&cluster).await;
    let olena = chapter
        .register_member(v1::Member {
            profile: Some(v1::SharedProfile {
                profession: "accountant".into(),
                languages: vec!["uk".into(), "en".into()],
                ..newcomer("Олена Коваленко").profile.unwrap()
            }),
            ..newcomer("Олена Коваленко")
        })
        .await;
    let yonas_asks = chapter.newcomer("Yonas Tesfay").await;
    chapter.local("Pieter Bakker").await;
    let cohort = chapter.cohort_in_aftercare().await;
    chapter.enrol_participant(&cohort.id, &olena).await;
    HelpdeskServiceClient::new(cluster.gateway().await)
        .ask_question(to(
            AMSTERDAM,
            v1::AskQuestionRequest {
                asker_member_id: yonas_asks,
                language: "ti".into(),
                topic: "ናይ ስራሕ ፍቓድ".into(),
                text: "ክሰርሕ እኽእል ድየ?".into(),
            },
        ))
        .await
        .unwrap();
    let employer = chapter.organisation(employer("Zorggroep Amstel")).await;
    let internship = chapter
        .draft(v1::Opportunity {
            organisation_id: employer,
            title: "Internship on the geriatric ward".into(),
            description: "Three months alongside our nurses.".into(),
            kind: v1::OpportunityKind::Internship as i32,
            sector: "healthcare".into(),
            languages: vec!["nl".into()],
            hours_per_week: 24,
            paid: true,
            location: "Amsterdam-Oost".into(),
            ..Default::default()
        })
        .await;
    chapter.submit_for_review(&internship).await.unwrap();

    // Olena's case: her diploma, a next step that was due yesterday, and a note.
    let mut cases = CaseServiceClient::new(cluster.gateway().await);
    let case = cases
        .open_case(to(
            AMSTERDAM,
            v1::OpenCaseRequest {
                r#case: Some(v1::Case {
                    subject: Some(v1::case::Subject::MemberId(olena.clone())),
                    title: "Diploma recognition via IDW".into(),
                    caseworker: "Sanne Visser".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    cases
        .add_next_step(to(
            AMSTERDAM,
            v1::AddNextStepRequest {
                case_id: case.id.clone(),
                text: "Send the diploma scan to IDW".into(),
                due_on: yesterday.clone(),
            },
        ))
        .await
        .unwrap();
    cases
        .add_case_note(to(
            AMSTERDAM,
            v1::AddCaseNoteRequest {
                case_id: case.id.clone(),
                author: "Sanne Visser".into(),
                text: "Her accountancy diploma is from Kharkiv; IDW needs a sworn translation."
                    .into(),
            },
        ))
        .await
        .unwrap();

    // In Miami, Dalia (who shares her profile) and Karim (who does not) confirm
    // that they move to Amsterdam.
    let mut miami = MemberServiceClient::new(cluster.gateway().await);
    let dalia = create(
        &mut miami,
        "miami",
        member_named("Dalia Mansour", v1::MemberRole::Newcomer),
    )
    .await;
    let mut karim = member_named("Karim Nasser", v1::MemberRole::Newcomer);
    karim.profile.as_mut().unwrap().share_across_regions = false;
    let karim = create(&mut miami, "miami", karim).await;
    eventually("Dalia's shared profile reaches Amsterdam", || {
        let (mut members, id) = (miami.clone(), dalia.id.clone());
        async move { profile_in(&mut members, AMSTERDAM, &id).await.is_some() }
    })
    .await;
    for moving in [&dalia, &karim] {
        cluster
            .member_confirms_move("miami", &moving.id, AMSTERDAM)
            .await
            .unwrap();
    }

    let invitation = AccountServiceClient::new(cluster.gateway().await)
        .invite_account(operator(v1::InviteAccountRequest {
            login: "marieke".into(),
            kind: v1::AccountKind::ChapterAdmin as i32,
            region: AMSTERDAM.into(),
            member_id: String::new(),
            language: "en".into(),
            organisation_id: String::new(),
        }))
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
    let english = Text::new(Lang::En);

    // Marieke chooses her passphrase and finds her console from the start page.
    let browser = Browser::start("en").await;
    browser
        .open(&format!("{base}/invitation/{}", invitation.invitation_code))
        .await;
    browser.fill("passphrase", PASSPHRASE).await;
    browser.fill("passphrase_again", PASSPHRASE).await;
    browser.press("main button[type=submit]").await;
    assert_eq!(browser.path().await, "/");
    assert!(
        !browser.has("nav.account a[href='/matches']").await,
        "a chapter admin's navigation is the console's, not a member's"
    );
    browser.press("main a[href='/console']").await;
    assert_eq!(browser.path().await, "/console");
    assert_eq!(browser.text("h1").await, "Amsterdam: console");
    let questions = browser.text("#queue-questions + ul").await;
    assert!(questions.contains("ናይ ስራሕ ፍቓድ"), "{questions}");
    assert!(
        browser.text("#queue-questions .count").await == "1",
        "one question waits for an answerer"
    );
    let reviews = browser.text("#queue-reviews + ul").await;
    assert!(
        reviews.contains("Internship on the geriatric ward"),
        "{reviews}"
    );
    assert_eq!(
        browser.text("#queue-buddy-proposals + p").await,
        english.t("console-queue-buddy-proposals-empty")
    );
    let moves = browser.text("#queue-moves + ul").await;
    assert!(
        moves.contains("Dalia Mansour") && moves.contains(&english.t("console-move-unshared")),
        "{moves}"
    );
    assert_eq!(browser.text("#queue-moves .count").await, "2");
    browser.check_page("the console").await;
    browser.screenshot(shots.path(), "web-console").await;

    // Her inbox told her too, naming no one: two moves wait for her; the first
    // notice takes her to the moves page.
    assert_eq!(
        browser.text("nav.account a[href='/inbox'] .count").await,
        english.t1("nav-inbox-unread", "count", "2")
    );
    browser.press("nav.account a[href='/inbox']").await;
    let notices = browser.text("ul.inbox").await;
    assert_eq!(
        notices
            .matches(&english.t("notification-move_waiting"))
            .count(),
        2,
        "{notices}"
    );
    browser.check_page("the chapter's inbox").await;
    browser.press("ul.inbox li:first-child button").await;
    assert_eq!(browser.path().await, "/console/moves");
    browser.press("nav.account a[href='/console']").await;

    // She finds Olena whatever the case of the letters she types.
    browser
        .press("nav.account a[href='/console/members']")
        .await;
    browser.fill("q", "олена").await;
    browser.press("form[role=search] button").await;
    assert_eq!(browser.path().await, "/console/members");
    assert!(browser.text("h2#found").await.ends_with('1'));
    browser.press(".hits a").await;
    assert_eq!(browser.path().await, format!("/console/members/{olena}"));
    assert_eq!(browser.text("h1").await, "Олена Коваленко");

    // Her record: a date typed wrongly is refused, named, and nothing is saved.
    let mut members = MemberServiceClient::new(cluster.gateway().await);
    let before = members
        .get_member(to(AMSTERDAM, v1::GetMemberRequest { id: olena.clone() }))
        .await
        .unwrap()
        .into_inner()
        .regional;
    browser
        .run("document.getElementById('residence_status').value = 'asylum_seeker';")
        .await;
    browser.fill("asylum_application_date", "14-03-2025").await;
    browser.press("form[action$='/record'] button").await;
    let summary = browser.text(".error-summary").await;
    assert!(summary.contains("YYYY-MM-DD"), "{summary}");
    assert!(
        browser
            .has(".error-summary a[href='#asylum_application_date']")
            .await,
        "the summary links to the date"
    );
    browser.check_page("the refused record").await;
    let unchanged = members
        .get_member(to(AMSTERDAM, v1::GetMemberRequest { id: olena.clone() }))
        .await
        .unwrap()
        .into_inner()
        .regional;
    assert_eq!(unchanged, before, "a refused form writes nothing");
    browser.fill("asylum_application_date", "2025-03-14").await;
    browser.fill("permit_kind_0", "TWV").await;
    browser.fill("permit_until_0", "2027-01-31").await;
    browser.click("#identity_unclear").await;
    browser.press("form[action$='/record'] button").await;
    assert_eq!(
        browser.text(".notice").await,
        english.t("console-record-saved")
    );
    let kept = members
        .get_member(to(AMSTERDAM, v1::GetMemberRequest { id: olena.clone() }))
        .await
        .unwrap()
        .into_inner()
        .regional
        .unwrap();
    assert_eq!(
        kept.residence_status,
        v1::ResidenceStatus::AsylumSeeker as i32
    );
    assert_eq!(kept.asylum_application_date, "2025-03-14");
    assert_eq!(
        kept.permits,
        vec![v1::Permit {
            kind: "TWV".into(),
            valid_until: "2027-01-31".into(),
        }]
    );
    assert!(kept.identity_unclear && !kept.in_school_programme);
    assert_eq!(kept.role, v1::MemberRole::Newcomer as i32, "her role stays");

    // She invites Olena: a login that is too short is refused, then the link is
    // shown once.
    browser.fill("login", "o").await;
    browser.press("form[action$='/invite'] button").await;
    assert!(browser.has(".error-summary a[href='#login']").await);
    browser.fill("login", "olena").await;
    browser.press("form[action$='/invite'] button").await;
    let link = browser.text(".notice .receipt-code a").await;
    assert!(link.starts_with(&format!("{base}/invitation/")), "{link}");
    // Her own reads of Olena's record are in its audit.
    let reads = browser
        .text("section[aria-labelledby=reads-title] table")
        .await;
    assert!(reads.contains("GetMember"), "{reads}");
    assert!(reads.contains("chapter_admin"), "{reads}");
    browser.check_page("a member's record").await;
    browser.screenshot(shots.path(), "web-console-member").await;

    // Adding Yonas Kidane: without a name nothing is added.
    browser.open(&format!("{base}/console/members/new")).await;
    browser.press("main button[type=submit]").await;
    assert!(browser.has(".error-summary a[href='#display_name']").await);
    browser.fill("display_name", "Yonas Kidane").await;
    browser
        .run("document.getElementById('residence_status').value = 'asylum_seeker';")
        .await;
    browser.fill("languages", "ti, en").await;
    browser.press("main button[type=submit]").await;
    assert_ne!(
        browser.path().await,
        "/console/members/new",
        "refused: {}",
        browser.text("main").await
    );
    assert_eq!(browser.text("h1").await, "Yonas Kidane");
    assert_eq!(
        browser.text(".notice").await,
        english.t("console-member-added")
    );

    // The region's organisations: the care home's internship is in review, she
    // invites its HR contact, and adds a bakery — its headcount as a number.
    browser
        .press("nav.account a[href='/console/organisations']")
        .await;
    browser.press(".hits a").await;
    assert_eq!(browser.text("h1").await, "Zorggroep Amstel");
    let theirs = browser
        .text("section[aria-labelledby=opportunities-title]")
        .await;
    assert!(
        theirs.contains("Internship on the geriatric ward")
            && theirs.contains(&english.t("opportunity-status-in-review")),
        "{theirs}"
    );
    browser.fill("login", "hr@zorggroep.example").await;
    browser.press("form[action$='/invite'] button").await;
    assert!(
        browser
            .text(".notice .receipt-code a")
            .await
            .contains("/invitation/")
    );
    let contacts = browser
        .text("section[aria-labelledby=contacts-title]")
        .await;
    assert!(
        contacts.contains("hr@zorggroep.example")
            && contacts.contains(&english.t("console-account-invited")),
        "{contacts}"
    );
    browser.check_page("an organisation").await;
    browser
        .open(&format!("{base}/console/organisations/new"))
        .await;
    browser.fill("name", "Bakkerij De Vries").await;
    browser.fill("headcount", "many").await;
    browser.press("main button[type=submit]").await;
    assert!(browser.has(".error-summary a[href='#headcount']").await);
    assert_eq!(
        browser
            .run("return document.getElementById('name').value;")
            .await,
        serde_json::json!("Bakkerij De Vries"),
        "what she typed stays"
    );
    browser.fill("headcount", "30").await;
    browser.fill("sector", "food").await;
    browser.press("main button[type=submit]").await;
    assert_eq!(
        browser.text("h1").await,
        "Bakkerij De Vries",
        "refused: {}",
        browser.text("main").await
    );
    assert!(browser.text("dl.facts").await.contains("30"));

    // A cohort in aftercare, with Olena in it and no coach yet: she finds Pieter
    // and makes him its coach.
    browser.press("nav.account a[href='/console']").await;
    browser.press("main a[href='/console/cohorts']").await;
    browser.press(".hits a").await;
    assert!(
        browser
            .text("section[aria-labelledby=participants-title]")
            .await
            .contains("Олена Коваленко")
    );
    browser.fill("q", "pieter").await;
    browser.press("form[role=search] button").await;
    browser.press(".candidates form button").await;
    assert_eq!(
        browser.text(".notice").await,
        english.t("console-coach-assigned")
    );
    assert!(browser.text("ul.coaches").await.contains("Pieter Bakker"));
    browser.check_page("a cohort and its coaches").await;

    // The chapter's old spreadsheet of members: checked first, two lines are
    // named by line and column and nothing is written; fixed, it is imported,
    // and importing it again adds no one twice.
    let sheet = shots.path().join("members.csv");
    let with_mistakes = "\u{feff}external_id;display_name;role;residence_status;languages\r\n\
        rsf-1;Hanna Tesfay;newcomer;asylum_seeker;ti|en\r\n\
        rsf-2;Omar Said;newcomer;status_holder;arabic\r\n\
        rsf-3;Lina Haddad;newcomer;status_holder;ar\r\n\
        rsf-4;;local;citizen_or_resident;nl\r\n";
    std::fs::write(&sheet, with_mistakes).unwrap();
    browser.press("nav.account a[href='/console']").await;
    browser.press("main a[href='/console/import']").await;
    browser.choose_file("file", &sheet).await;
    browser.press("main form button[type=submit]").await;
    let summary = browser.text(".error-summary").await;
    assert!(summary.contains("2 of 4 lines"), "{summary}");
    let refused = browser
        .run(
            "return [...document.querySelectorAll('table.refused-lines tbody tr')]\
             .map(r => [r.cells[0].innerText, r.cells[1].innerText]);",
        )
        .await;
    assert_eq!(
        refused,
        serde_json::json!([["3", "languages"], ["5", "display_name"]])
    );
    browser.check_page("a spreadsheet with two bad lines").await;
    browser.screenshot(shots.path(), "web-console-import").await;
    // Why, in the page's language: in English, and in Dutch once she reads the
    // console in Dutch.
    let reasons = || async {
        browser
            .run(
                "return [...document.querySelectorAll('table.refused-lines tbody tr')]\
                 .map(r => r.cells[2].innerText);",
            )
            .await
    };
    let worded = |text: &Text| {
        serde_json::json!([
            text.t1("import-refusal-not-a-language", "value", "arabic"),
            text.t("import-refusal-missing"),
        ])
    };
    assert_eq!(reasons().await, worded(&english));
    browser
        .open(&format!("{base}/language/nl?back=/console/import"))
        .await;
    browser.choose_file("file", &sheet).await;
    browser.press("main form button[type=submit]").await;
    let dutch = Text::new(Lang::Nl);
    assert_eq!(reasons().await, worded(&dutch));
    assert!(
        browser.text(".error-summary").await.contains("2 van de 4"),
        "{}",
        browser.text(".error-summary").await
    );
    browser.check_page("the refused lines in Dutch").await;
    // And in Arabic, right to left: the refused lines worded in Arabic, focus on
    // the summary, and every kind of file named in Arabic, the history's too.
    browser
        .open(&format!("{base}/language/ar?back=/console/import"))
        .await;
    browser.choose_file("file", &sheet).await;
    browser.press("main form button[type=submit]").await;
    let arabic = Text::new(Lang::Ar);
    assert_eq!(reasons().await, worded(&arabic));
    assert_eq!(
        browser
            .run("return document.activeElement.className;")
            .await,
        serde_json::json!("error-summary")
    );
    let kinds = browser
        .run("return [...document.querySelectorAll('#kind option')].map(o => o.innerText.trim());")
        .await;
    for kind in [
        "applications",
        "reviews",
        "event-registrations",
        "helpdesk-questions",
        "buddy-pairs",
    ] {
        let label = arabic.t(&format!("spreadsheet-kind-{kind}"));
        assert!(
            kinds
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k.as_str() == Some(label.as_str())),
            "{kind}: {kinds}"
        );
    }
    browser.check_page("the refused lines in Arabic").await;
    browser
        .screenshot(shots.path(), "web-console-import-ar")
        .await;
    browser
        .open(&format!("{base}/language/en?back=/console/import"))
        .await;
    let found = |query: &'static str| {
        let mut members = members.clone();
        async move {
            members
                .search_members(to(
                    AMSTERDAM,
                    v1::SearchMembersRequest {
                        query: query.into(),
                        page_size: 10,
                        page_token: String::new(),
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .matches
                .len()
        }
    };
    assert_eq!(found("Hanna Lina").await, 0, "a check writes nothing");
    std::fs::write(
        &sheet,
        with_mistakes
            .replace("arabic", "ar")
            .replace("rsf-4;;", "rsf-4;Sanne de Vries;"),
    )
    .unwrap();
    for (round, says) in [("first", "4 added"), ("again", "4 unchanged")] {
        browser.choose_file("file", &sheet).await;
        browser.click("#apply-yes").await;
        browser.press("main form button[type=submit]").await;
        let notice = browser.text(".notice").await;
        assert!(notice.contains(says), "{round}: {notice}");
    }
    assert_eq!(found("Hanna Omar Lina Sanne").await, 4);

    // The chapter's members for the municipality: a file of more rows than the
    // web app asks the node for at once streams page after page, every member
    // once, under one header.
    let mut more = String::from("external_id;display_name;role;residence_status\r\n");
    for index in 0..1_200 {
        more += &format!("exp-{index:04};Export member {index:04};local;citizen_or_resident\r\n");
    }
    import_members(cluster.gateway().await, AMSTERDAM, more).await;
    let export = browser
        .run(
            "const r = new XMLHttpRequest();\
             r.open('GET', '/console/export/file?kind=members', false); r.send();\
             return [r.status, r.getResponseHeader('content-disposition'), r.responseText];",
        )
        .await;
    assert_eq!(export[0], 200, "{export}");
    assert!(
        export[1]
            .as_str()
            .unwrap()
            .contains("passage-amsterdam-members-"),
        "{export}"
    );
    let csv = export[2].as_str().unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.contains("display_name"), "{header}");
    assert_eq!(csv.lines().filter(|line| *line == header).count(), 1);
    for index in [0, 999, 1_000, 1_199] {
        let name = format!("Export member {index:04}");
        assert_eq!(csv.matches(&name).count(), 1, "{name}");
    }
    assert_eq!(csv.matches("Export member ").count(), 1_200);
    assert!(csv.contains("Sanne de Vries"));
    // A cohort's participants without the cohort: the form again, the refusal
    // named at the field, and keyboard focus on the summary.
    browser.open(&format!("{base}/console/export")).await;
    assert_eq!(browser.text("h1").await, english.t("export-title"));
    browser.check_page("the export form").await;
    browser
        .run("document.getElementById('kind').value = 'cohort'; return null;")
        .await;
    browser.press("main form button[type=submit]").await;
    let english_refusal = browser.text(".error-summary").await;
    assert_eq!(
        browser
            .run(
                "return [[...document.querySelectorAll('.error-summary a')]\
                 .map(a => a.getAttribute('href')), document.activeElement.className];"
            )
            .await,
        serde_json::json!([["#cohort_id"], "error-summary"]),
        "{english_refusal}"
    );
    assert!(
        !english_refusal.contains("cohort_id"),
        "the field is named where it stands: {english_refusal}"
    );
    browser.check_page("a refused export").await;
    browser
        .screenshot(shots.path(), "web-console-export-refused")
        .await;

    // The rules in force: she reloads them after the file changed, and a file
    // broken by mistake is refused with its line while the rules in force stay.
    browser.press("nav.account a[href='/console/rules']").await;
    assert_eq!(browser.text("h1").await, english.t("rules-title"));
    let rules = browser
        .run("return document.querySelectorAll('li.rule').length;")
        .await;
    assert!(rules.as_u64().unwrap() > 10, "{rules}");
    browser.check_page("the rules").await;
    browser
        .press("form[action='/console/rules/reload'] button")
        .await;
    let reloaded = browser.text(".notice").await;
    assert!(reloaded.contains("cases passed"), "{reloaded}");
    let file = cluster.rules_file(AMSTERDAM);
    let shipped = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        format!("{shipped}\n[[rules]]\nid = \"half-written\"\n"),
    )
    .unwrap();
    browser
        .press("form[action='/console/rules/reload'] button")
        .await;
    let refused = browser.text(".error-summary").await;
    assert!(
        refused.contains(&english.t("rules-refused-title")) && refused.contains("rules.toml"),
        "{refused}"
    );
    assert_eq!(
        browser
            .run("return document.querySelectorAll('li.rule').length;")
            .await,
        rules,
        "the rules in force stay"
    );
    browser.check_page("the refused reload").await;
    browser
        .screenshot(shots.path(), "web-console-rules-refused")
        .await;
    std::fs::write(&file, shipped).unwrap();

    // An opportunity fair for March: a day typed the Dutch way is refused and
    // named, the rest stays as typed; then it is on the calendar.
    browser.open(&format!("{base}/console/events")).await;
    browser.fill("title", "Kansenbeurs Oost").await;
    browser.fill("day", "14-03-2027").await;
    browser.fill("starts", "14:00").await;
    browser.fill("ends", "17:00").await;
    browser.fill("place", "Muiderkerk").await;
    browser.fill("capacity", "40").await;
    browser.fill("languages", "nl, ar, uk").await;
    browser.press("form[action='/console/events'] button").await;
    assert!(browser.has(".error-summary a[href='#day']").await);
    assert_eq!(
        browser
            .run("return document.getElementById('place').value;")
            .await,
        serde_json::json!("Muiderkerk")
    );
    browser.fill("day", "2027-03-14").await;
    browser.press("form[action='/console/events'] button").await;
    assert!(browser.text(".notice").await.contains("Kansenbeurs Oost"));
    assert!(
        browser
            .text("ul.events-list")
            .await
            .contains("Kansenbeurs Oost")
    );
    browser.check_page("the events").await;

    // Yonas Kidane reads Tigrinya: she makes him a superlocal for it.
    browser
        .open(&format!("{base}/console/helpdesk?q=kidane"))
        .await;
    browser
        .fill_css(".candidates input[name=languages]", "ti, en")
        .await;
    browser.press(".candidates button").await;
    assert_eq!(
        browser.text(".notice").await,
        english.t("console-answerer-registered")
    );
    let answerers = browser.text("ul.answerers").await;
    assert!(
        answerers.contains("Yonas Kidane") && answerers.contains("Tigrinya"),
        "{answerers}"
    );
    browser.check_page("the helpdesk's answerers").await;

    // Two moves wait. Karim's she declines: his confirmation is withdrawn.
    browser.press("nav.account a[href='/console']").await;
    browser.press("main a[href='/console/moves']").await;
    let waiting = browser.text("ul.moves").await;
    assert!(
        waiting.contains("Dalia Mansour") && waiting.contains("Miami"),
        "{waiting}"
    );
    browser.check_page("the moves to accept").await;
    browser
        .press(&format!(
            "form[action='/console/moves/{}/decline'] button",
            karim.id
        ))
        .await;
    assert_eq!(
        browser.text(".notice").await,
        english.t("console-move-declined")
    );
    assert!(
        !browser
            .has(&format!("a[href='/console/moves/{}']", karim.id))
            .await
    );
    let karims = cluster.member_move("miami", &karim.id).await;
    assert!(
        karims.confirmed_destination.is_empty(),
        "Karim's confirmation is withdrawn: {karims:?}"
    );

    // Dalia's she accepts with her intake record: a date typed wrongly is
    // refused and named, and Dalia stays Miami's; then she arrives.
    browser
        .press(&format!("a[href='/console/moves/{}']", dalia.id))
        .await;
    assert_eq!(
        browser.text("h1").await,
        english.t("console-move-accept-title")
    );
    assert!(browser.text("dl.facts").await.contains("Dalia Mansour"));
    browser
        .run("document.getElementById('residence_status').value = 'status_holder';")
        .await;
    browser.fill("asylum_application_date", "2024/11/02").await;
    browser.press("form[action$='/accept'] button").await;
    assert!(
        browser
            .has(".error-summary a[href='#asylum_application_date']")
            .await,
        "the summary links to the date: {}",
        browser.text("main").await
    );
    assert_eq!(
        browser
            .run("return document.getElementById('residence_status').value;")
            .await,
        serde_json::json!("status_holder"),
        "what she chose stays"
    );
    browser.check_page("a refused intake").await;
    assert_eq!(
        cluster.member_move("miami", &dalia.id).await.home_region,
        "miami",
        "a refused intake moves no one"
    );
    browser.fill("asylum_application_date", "2024-11-02").await;
    browser.press("form[action$='/accept'] button").await;
    assert_eq!(
        browser.path().await,
        format!("/console/members/{}", dalia.id)
    );
    assert_eq!(browser.text("h1").await, "Dalia Mansour");
    assert_eq!(
        browser.text(".notice").await,
        english.t("console-move-arrived")
    );
    let arrived = members
        .get_member(to(
            AMSTERDAM,
            v1::GetMemberRequest {
                id: dalia.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(arrived.profile.unwrap().home_region, AMSTERDAM);
    let intake = arrived.regional.unwrap();
    assert_eq!(
        (
            intake.residence_status,
            intake.asylum_application_date.as_str()
        ),
        (v1::ResidenceStatus::StatusHolder as i32, "2024-11-02")
    );
    browser.open(&format!("{base}/console/moves")).await;
    assert!(
        browser
            .text("main")
            .await
            .contains(&english.t("console-queue-moves-empty")),
        "nothing waits any more"
    );

    // Her region keeps up with the federation.
    browser.press("nav.account a[href='/console']").await;
    browser.press("main a[href='/console/sync']").await;
    assert_eq!(
        browser.text("#sync-connected").await,
        english.t("console-sync-connected-yes")
    );
    browser.check_page("the region's sync status").await;

    // The region's opportunities: the internship waits in community review; she
    // finds it by a word of its title, whatever its case, and its organisation.
    browser.press("nav.account a[href='/console']").await;
    browser
        .press("#queue-reviews + ul a[href='/console/opportunities?status=in_review']")
        .await;
    assert_eq!(
        browser.text("nav ul.states a[aria-current=page]").await,
        english.t("opportunity-status-in-review")
    );
    let in_review = browser.text("ul.opportunities").await;
    assert!(
        in_review.contains("Internship on the geriatric ward")
            && in_review.contains("Zorggroep Amstel"),
        "{in_review}"
    );
    browser.click("nav ul.states li:nth-child(4) a").await;
    assert!(
        browser
            .text("main")
            .await
            .contains(&english.t("console-opportunities-none")),
        "nothing is published yet"
    );
    browser.fill("q", "GERIATRIC").await;
    browser.press("form[role=search] button").await;
    assert!(
        browser
            .text("ul.opportunities")
            .await
            .contains("Internship on the geriatric ward")
    );
    browser.check_page("the region's opportunities").await;
    browser.press("ul.opportunities a").await;
    assert_eq!(browser.text("h1").await, "Zorggroep Amstel");

    // A new expert group: without a sector it is refused and named, the rest
    // stays as typed; then it starts, and a meeting planned shows as its next.
    browser.open(&format!("{base}/console/groups")).await;
    browser.fill("name", "Zorgprofessionals Oost").await;
    browser
        .run("document.getElementById('kind').value = 'expert';")
        .await;
    browser.fill("languages", "nl, uk").await;
    browser.fill("meeting_place", "OBA Oosterdok").await;
    browser.press("form[action='/console/groups'] button").await;
    assert!(
        browser.has(".error-summary a[href='#sector']").await,
        "{}",
        browser.text("main").await
    );
    assert_eq!(
        browser
            .run("return document.getElementById('meeting_place').value;")
            .await,
        serde_json::json!("OBA Oosterdok")
    );
    browser.fill("sector", "healthcare").await;
    browser.press("form[action='/console/groups'] button").await;
    assert_eq!(
        browser.text(".notice").await,
        english.t1("console-group-started", "name", "Zorgprofessionals Oost")
    );
    let mut groups = GroupServiceClient::new(cluster.gateway().await);
    let group = groups
        .list_groups(to(AMSTERDAM, v1::ListGroupsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .groups
        .into_iter()
        .find(|group| group.name == "Zorgprofessionals Oost")
        .expect("the group she started");
    assert_eq!(group.kind, v1::GroupKind::Expert as i32);
    groups
        .schedule_meeting(to(
            AMSTERDAM,
            v1::ScheduleMeetingRequest {
                meeting: Some(v1::GroupMeeting {
                    group_id: group.id.clone(),
                    start_time: Some(common::chapter::in_minutes(60 * 24 * 3)),
                    place: "OBA Oosterdok, zaal 2".into(),
                    topic: "BIG registration".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
    browser.open(&format!("{base}/console/groups")).await;
    let listed = browser.text("ul.groups-list").await;
    assert!(
        listed.contains("Zorgprofessionals Oost") && listed.contains("OBA Oosterdok, zaal 2"),
        "{listed}"
    );
    browser.check_page("the region's groups").await;

    // Olena's case: its next step is due, and its note reads as written.
    browser.press("nav.account a[href='/console']").await;
    assert!(
        browser
            .text("#queue-next-steps + ul")
            .await
            .contains("Send the diploma scan to IDW")
    );
    browser.press("main a[href='/console/cases']").await;
    let open = browser.text("ul.cases-list").await;
    assert!(
        open.contains("Diploma recognition via IDW")
            && open.contains(&english.t("console-case-due"))
            && open.contains(&yesterday),
        "{open}"
    );
    browser.check_page("the open cases").await;
    browser
        .press(&format!("a[href='/console/cases/{}']", case.id))
        .await;
    assert!(
        browser
            .text("ul.notes")
            .await
            .contains("IDW needs a sworn translation")
    );
    browser.check_page("a case").await;

    // In Arabic, right to left.
    browser
        .open(&format!("{base}/language/ar?back=/console"))
        .await;
    assert_eq!(
        browser.run("return document.documentElement.dir;").await,
        serde_json::json!("rtl")
    );
    browser.check_page("the console in Arabic").await;
    browser.screenshot(shots.path(), "web-console-ar").await;
    for (page, title) in [
        ("/console/moves", "console-moves-title"),
        ("/console/sync", "console-sync-title"),
        ("/console/opportunities", "console-opportunities-title"),
        ("/console/groups", "console-groups-title"),
        ("/console/cases", "console-cases-title"),
    ] {
        browser.open(&format!("{base}{page}")).await;
        assert_eq!(browser.text("h1").await, Text::new(Lang::Ar).t(title));
        browser.check_page(&format!("{page} in Arabic")).await;
    }
    // A search with nothing to search for is refused in Arabic, not in the
    // region's English.
    browser
        .open(&format!("{base}/console/members?q=%3F%21"))
        .await;
    let refused = browser.text(".error-summary").await;
    let arabic = Text::new(Lang::Ar).t_with("import-refusal-nothing-to-search", &[("value", "?!")]);
    assert!(
        refused.contains(arabic.trim_end_matches('.')) && refused.contains("لا يوجد"),
        "{refused}"
    );
    assert!(!refused.contains("has no letters"), "{refused}");
    browser.check_page("a refused search in Arabic").await;
    browser
        .open(&format!("{base}/console/export/file?kind=cohort"))
        .await;
    let refused = browser.text(".error-summary").await;
    assert!(
        refused.contains(&Text::new(Lang::Ar).t("error-summary-title"))
            && refused != english_refusal
            && !refused.contains("cohort_id")
            && !refused.contains(" is needed"),
        "{refused}"
    );
    browser.check_page("a refused export in Arabic").await;
    browser
        .screenshot(shots.path(), "web-console-export-refused-ar")
        .await;
    browser.open(&format!("{base}/language/en?back=/")).await;
    browser.press("form[action='/sign-out'] button").await;

    // Olena accepts her invitation; the console is not hers.
    browser.open(&link).await;
    browser.fill("passphrase", HER_PASSPHRASE).await;
    browser.fill("passphrase_again", HER_PASSPHRASE).await;
    browser.press("main button[type=submit]").await;
    assert_eq!(browser.path().await, "/");
    browser.open(&format!("{base}/console")).await;
    assert_eq!(browser.text("h1").await, english.t("console-not-yours"));
    let status = browser
        .run("return fetch('/console').then(r => r.status);")
        .await;
    assert_eq!(status, serde_json::json!(403));
    browser.press("form[action='/sign-out'] button").await;

    // Marieke signs in again: Olena can now sign in, the care home's contact is
    // still invited; she revokes Olena's account, and Olena's passphrase stops
    // working. Her calls are in the region's audit log.
    browser.open(&format!("{base}/sign-in")).await;
    browser.fill("login", "marieke").await;
    browser.fill("passphrase", PASSPHRASE).await;
    browser.press("main button[type=submit]").await;
    browser.open(&format!("{base}/console/accounts")).await;
    let listed = browser.text("ul.accounts").await;
    assert!(
        listed.contains(&format!("olena {}", english.t("account-kind-member")))
            || listed.contains("olena"),
        "{listed}"
    );
    assert!(listed.contains("hr@zorggroep.example"), "{listed}");
    browser.check_page("the accounts").await;
    browser
        .press("form[action='/console/accounts/revoke']:has(input[value='olena']) button")
        .await;
    assert!(browser.text(".notice").await.contains("olena"));
    let refused = AccountServiceClient::new(cluster.gateway().await)
        .sign_in(v1::SignInRequest {
            login: "olena".into(),
            passphrase: HER_PASSPHRASE.into(),
        })
        .await
        .expect_err("a revoked account cannot sign in");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    browser.open(&format!("{base}/console/audit")).await;
    let mut log = browser.text("table.audit").await;
    // Newest first, a hundred to a page: she reads on to her own reads.
    for _ in 0..5 {
        if log.contains("GetMember") && log.contains("UpdateMember") {
            break;
        }
        let next = browser
            .run(
                "const a = document.querySelector('main a[href^=\"/console/audit?after=\"]');\
                 return a ? a.getAttribute('href') : null;",
            )
            .await;
        let Some(next) = next.as_str() else {
            break;
        };
        browser.open(&format!("{base}{next}")).await;
        log.push_str(&browser.text("table.audit").await);
    }
    assert!(
        log.contains("GetMember") && log.contains("UpdateMember"),
        "{log}"
    );
    browser.check_page("the audit log").await;
    browser.close().await;
    cluster.stop().await;
}
