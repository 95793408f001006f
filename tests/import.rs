//! Spreadsheets in: a chapter admin imports the chapter's own CSV files of
//! members, organisations and opportunities through the gateway, as spreadsheets
//! write them (a byte-order mark, Windows-1252, `;` between cells, `ar|en` lists).
//! A dry run writes nothing; bad lines are named with their line and column (and
//! why, as a kind of refusal a page words in its reader's language) and
//! the whole file is refused; importing the same file twice creates nothing
//! twice; imported members are found by search and shared with other regions
//! when they consent; opportunities land as drafts unless they are historical
//! records with their dates. A chapter's history of applications and placements
//! comes in with its dates, refused line by line where it could not have
//! happened, and is marked in the audit log as imported history. A file that is
//! not one is refused naming it. And
//! `passage admin import` and `passage admin export` do the same from a shell.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, Cluster, eventually, profile_in, to};
use passage_proto::v1::{
    self, audit_service_client::AuditServiceClient, market_service_client::MarketServiceClient,
    member_service_client::MemberServiceClient, placement_service_client::PlacementServiceClient,
    spreadsheet_service_client::SpreadsheetServiceClient,
};
use tonic::Code;
use tonic::transport::Channel;

on_both_backends!(
    a_members_file_is_checked_then_imported_once,
    two_bad_lines_are_named_and_nothing_is_written,
    a_file_that_is_not_one_is_refused_naming_it,
    opportunities_land_as_drafts_unless_historical,
    a_chapters_history_of_applications_and_placements_comes_in_once,
    the_command_line_imports_and_exports_through_the_gateway,
);

async fn import(
    sheets: &mut SpreadsheetServiceClient<Channel>,
    kind: v1::ImportKind,
    file: &[u8],
    apply: bool,
) -> Result<v1::ImportReport, tonic::Status> {
    sheets
        .import_records(to(
            "amsterdam",
            v1::ImportRecordsRequest {
                kind: kind as i32,
                file: file.to_vec(),
                apply,
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn found(
    members: &mut MemberServiceClient<Channel>,
    query: &str,
) -> Vec<v1::MemberSearchHit> {
    members
        .search_members(to(
            "amsterdam",
            v1::SearchMembersRequest {
                query: query.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matches
}

async fn member(members: &mut MemberServiceClient<Channel>, id: &str) -> v1::Member {
    members
        .get_member(to("amsterdam", v1::GetMemberRequest { id: id.into() }))
        .await
        .unwrap()
        .into_inner()
}

/// Semicolons and a byte-order mark, as Excel saves "CSV UTF-8" with a Dutch
/// locale.
const MEMBERS: &str = "\u{feff}external_id;display_name;role;residence_status;languages;skills;profession;share_across_regions;joined_on\r\n\
rsf-001;Amal Yousef;newcomer;status_holder;ar|en;AutoCAD|site planning;civil engineer;yes;2024-03-01\r\n\
rsf-002;Pieter Bakker;local;citizen_or_resident;nl|en;;teacher;no;\r\n";

async fn a_members_file_is_checked_then_imported_once(backend: Backend) {
    // Arrange
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let mut members = cluster.members_via_gateway().await;

    // Act: a dry run, then the import
    let dry = import(
        &mut sheets,
        v1::ImportKind::Members,
        MEMBERS.as_bytes(),
        false,
    )
    .await
    .unwrap();
    let nothing_yet = found(&mut members, "Amal Yousef").await;
    let applied = import(
        &mut sheets,
        v1::ImportKind::Members,
        MEMBERS.as_bytes(),
        true,
    )
    .await
    .unwrap();

    // Assert: the dry run saw what the import did, and wrote nothing
    assert_eq!(dry.separator, ";");
    assert_eq!(dry.encoding, "UTF-8");
    assert_eq!(dry.lines, 2);
    assert_eq!(dry.created, ["rsf-001", "rsf-002"]);
    assert!(dry.refused.is_empty(), "{:?}", dry.refused);
    assert!(!dry.applied);
    assert!(nothing_yet.is_empty());
    assert!(applied.applied);
    assert_eq!(applied.created, ["rsf-001", "rsf-002"]);
    let hits = found(&mut members, "amal").await;
    assert_eq!(hits.len(), 1, "imported members are indexed for search");
    let amal = member(&mut members, &hits[0].id).await;
    let profile = amal.profile.clone().unwrap();
    assert_eq!(profile.languages, ["ar", "en"]);
    assert_eq!(profile.skills, ["AutoCAD", "site planning"]);
    assert!(profile.share_across_regions);
    let joined = amal.create_time.unwrap();
    assert_eq!(
        chrono::DateTime::from_timestamp(joined.seconds, 0)
            .unwrap()
            .date_naive()
            .to_string(),
        "2024-03-01"
    );
    assert_eq!(
        amal.regional.unwrap().residence_status,
        v1::ResidenceStatus::StatusHolder as i32
    );

    // Act: the same file again, then one line changed
    let again = import(
        &mut sheets,
        v1::ImportKind::Members,
        MEMBERS.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let changed = MEMBERS.replace("teacher", "head teacher");
    let update = import(
        &mut sheets,
        v1::ImportKind::Members,
        changed.as_bytes(),
        true,
    )
    .await
    .unwrap();

    // Assert: nothing created twice; the changed line updates its member
    assert!(again.created.is_empty(), "{again:?}");
    assert_eq!(again.unchanged, 2);
    assert_eq!(update.updated, ["rsf-002"]);
    assert_eq!(update.unchanged, 1);
    assert_eq!(found(&mut members, "Pieter Bakker").await.len(), 1);
    let pieter = found(&mut members, "Pieter").await;
    assert_eq!(
        member(&mut members, &pieter[0].id)
            .await
            .profile
            .unwrap()
            .profession,
        "head teacher"
    );

    // Act: a file with fewer columns
    let narrow = "external_id,display_name,role,residence_status\nrsf-002,Pieter Bakker,local,citizen_or_resident\n";
    let narrow = import(
        &mut sheets,
        v1::ImportKind::Members,
        narrow.as_bytes(),
        true,
    )
    .await
    .unwrap();

    // Assert: what the file has no column for stays as it was
    assert_eq!(narrow.unchanged, 1, "{narrow:?}");
    let kept = member(&mut members, &pieter[0].id).await.profile.unwrap();
    assert_eq!(
        (kept.profession.as_str(), kept.languages.clone()),
        ("head teacher", vec!["nl".to_owned(), "en".to_owned()])
    );

    // Assert: Amal consents to share, so Miami holds her shared profile
    let id = hits[0].id.clone();
    eventually("Miami holds the imported member's shared profile", || {
        let mut members = members.clone();
        let id = id.clone();
        async move { profile_in(&mut members, "miami", &id).await.is_some() }
    })
    .await;

    // Act: Windows-1252 with commas, as Excel saves plain "CSV" on a Western machine
    let mut latin =
        b"external_id,display_name,role,residence_status,languages\r\nrsf-003,Zo".to_vec();
    latin.extend_from_slice(b"\xEB Dubois,newcomer,asylum_seeker,fr|nl\r\n");
    let report = import(&mut sheets, v1::ImportKind::Members, &latin, true)
        .await
        .unwrap();

    // Assert
    assert_eq!(report.encoding, "Windows-1252");
    assert_eq!(report.separator, ",");
    assert_eq!(report.created, ["rsf-003"]);
    let zoe = found(&mut members, "zoe").await;
    assert_eq!(zoe.len(), 1);
    assert_eq!(zoe[0].display_name, "Zoë Dubois");
    cluster.stop().await;
}

async fn two_bad_lines_are_named_and_nothing_is_written(backend: Backend) {
    // Arrange: line 3 has a language that is no code, line 5 no name
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let mut members = cluster.members_via_gateway().await;
    let bad = "external_id,display_name,role,residence_status,languages\n\
               c-1,Hanna Tesfay,newcomer,asylum_seeker,ti|en\n\
               c-2,Omar Said,newcomer,status_holder,arabic\n\
               c-3,Lina Haddad,newcomer,status_holder,ar\n\
               c-4,,local,citizen_or_resident,nl\n";

    // Act
    let report = import(&mut sheets, v1::ImportKind::Members, bad.as_bytes(), true)
        .await
        .unwrap();

    // Assert: both lines named with their column; nothing written
    assert!(!report.applied);
    assert_eq!(report.refused_count, 2);
    let refused: Vec<(u32, &str)> = report
        .refused
        .iter()
        .map(|r| (r.line, r.column.as_str()))
        .collect();
    assert_eq!(refused, [(3, "languages"), (5, "display_name")]);
    assert!(
        report.refused[0].reason.contains("\"arabic\""),
        "{:?}",
        report.refused
    );
    // Why, as a kind a client words in its reader's language.
    let kinds: Vec<(v1::RefusalKind, &str)> = report
        .refused
        .iter()
        .map(|r| (r.kind(), r.value.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (v1::RefusalKind::NotALanguage, "arabic"),
            (v1::RefusalKind::Missing, "")
        ]
    );
    assert!(found(&mut members, "Hanna Lina").await.is_empty());

    // Act: fixed, imported again
    let fixed = bad
        .replace("arabic", "ar")
        .replace("c-4,,", "c-4,Sanne de Vries,");
    let report = import(&mut sheets, v1::ImportKind::Members, fixed.as_bytes(), true)
        .await
        .unwrap();

    // Assert
    assert!(report.applied, "{:?}", report.refused);
    assert_eq!(report.created.len(), 4);
    assert_eq!(found(&mut members, "Hanna Omar Lina Sanne").await.len(), 4);

    // Act: the same external id on two lines
    let twice = "external_id,display_name,role,residence_status\nd-1,A B,local,other\nd-1,C D,local,other\n";
    let report = import(
        &mut sheets,
        v1::ImportKind::Members,
        twice.as_bytes(),
        false,
    )
    .await
    .unwrap();

    // Assert
    assert_eq!(report.refused.len(), 1);
    assert_eq!(
        (report.refused[0].line, report.refused[0].column.as_str()),
        (3, "external_id")
    );
    assert!(report.refused[0].reason.contains("line 2"));
    assert_eq!(
        (
            report.refused[0].kind(),
            report.refused[0].allowed.as_slice()
        ),
        (
            v1::RefusalKind::RepeatedExternalId,
            ["2".to_owned()].as_slice()
        )
    );

    // Act: a role that is none of the roles, hours that are no number
    let wrong = "external_id,display_name,role,residence_status,experience_years
\
                 e-1,Ali Noor,cook,other,3\ne-2,Sara Noor,local,other,many\n";
    let report = import(
        &mut sheets,
        v1::ImportKind::Members,
        wrong.as_bytes(),
        false,
    )
    .await
    .unwrap();

    // Assert: the role's refusal lists the roles there are
    let role = &report.refused[0];
    assert_eq!(
        (role.line, role.kind(), role.value.as_str()),
        (2, v1::RefusalKind::NotOneOf, "cook")
    );
    assert!(role.allowed.contains(&"newcomer".to_owned()), "{role:?}");
    let years = &report.refused[1];
    assert_eq!(
        (years.line, years.kind(), years.value.as_str()),
        (3, v1::RefusalKind::NotANumber, "many")
    );
    cluster.stop().await;
}

async fn a_file_that_is_not_one_is_refused_naming_it(backend: Backend) {
    // Arrange: files a chapter admin might pick by mistake, each refused as a
    // whole on its first line, naming the column (or the file) and the kind of
    // refusal the console words in her language
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let cases: [(&[u8], &str, v1::RefusalKind, &str); 5] = [
        (
            b"external_id,display_name,role,residence_status,shoe_size\n",
            "shoe_size",
            v1::RefusalKind::UnknownColumn,
            "shoe_size",
        ),
        (
            b"external_id,display_name,role,residence_status,role\n",
            "role",
            v1::RefusalKind::ColumnNamedTwice,
            "role",
        ),
        (
            b"external_id,display_name,role\nx,Y,local\n",
            "residence_status",
            v1::RefusalKind::MissingColumn,
            "residence_status",
        ),
        (
            b"PK\x03\x04\x00\x00binary",
            "file",
            v1::RefusalKind::NotCsv,
            "",
        ),
        (b"", "file", v1::RefusalKind::EmptyFile, ""),
    ];

    for (file, column, kind, value) in cases {
        // Act
        let report = import(&mut sheets, v1::ImportKind::Members, file, true)
            .await
            .unwrap();

        // Assert: one refusal, on the header's line, and nothing written
        assert!(!report.applied);
        assert_eq!(report.refused_count, 1, "{report:?}");
        let refused = &report.refused[0];
        assert_eq!(
            (
                refused.line,
                refused.column.as_str(),
                refused.kind(),
                refused.value.as_str()
            ),
            (1, column, kind, value),
            "{refused:?}"
        );
        assert!(!refused.reason.is_empty());
        assert!(report.created.is_empty() && report.updated.is_empty());
    }
    let unknown = import(
        &mut sheets,
        v1::ImportKind::Members,
        b"external_id,display_name,role,residence_status,shoe_size\n",
        false,
    )
    .await
    .unwrap();
    assert!(
        unknown.refused[0]
            .allowed
            .iter()
            .any(|c| c == "display_name")
    );
    let no_kind = import(&mut sheets, v1::ImportKind::Unspecified, b"a\n", false)
        .await
        .unwrap_err();
    assert_eq!(no_kind.code(), Code::InvalidArgument);
    assert!(no_kind.message().starts_with("kind"));
    cluster.stop().await;
}

async fn opportunities_land_as_drafts_unless_historical(backend: Backend) {
    // Arrange: the chapter's employers, then their vacancies
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let mut market = MarketServiceClient::new(cluster.gateway().await);
    let organisations = "external_id;name;kind;sector;headcount\n\
                         org-1;Bouwbedrijf Noord;employer;construction;40\n";
    let opportunities = "external_id;organisation_external_id;title;kind;sector;hours_per_week;languages;status;posted_on;closed_on\n\
                         job-1;org-1;Werkvoorbereider bouw;job;construction;32;nl|en;;;\n\
                         job-2;org-1;Timmerman leerwerkplek;learn_work;construction;24;nl;filled;2023-02-01;2023-03-15\n\
                         job-3;org-9;Uitvoerder;job;construction;40;nl;;;\n\
                         job-4;org-1;Stukadoor;job;construction;40;nl;published;;\n";

    // Act
    let orgs = import(
        &mut sheets,
        v1::ImportKind::Organisations,
        organisations.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let refused = import(
        &mut sheets,
        v1::ImportKind::Opportunities,
        opportunities.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let good: String = opportunities
        .lines()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    let report = import(
        &mut sheets,
        v1::ImportKind::Opportunities,
        good.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let again = import(
        &mut sheets,
        v1::ImportKind::Opportunities,
        good.as_bytes(),
        true,
    )
    .await
    .unwrap();

    // Assert
    assert_eq!(orgs.created, ["org-1"]);
    let lines: Vec<(u32, &str)> = refused
        .refused
        .iter()
        .map(|r| (r.line, r.column.as_str()))
        .collect();
    assert_eq!(lines, [(4, "organisation_external_id"), (5, "status")]);
    // Each refusal also comes as a kind a page words in its reader's language.
    let kinds: Vec<(v1::RefusalKind, &str)> = refused
        .refused
        .iter()
        .map(|r| (r.kind(), r.value.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (v1::RefusalKind::UnknownOrganisation, "org-9"),
            (v1::RefusalKind::NotOneOf, "published")
        ]
    );
    assert!(!refused.applied);
    assert_eq!(report.created, ["job-1", "job-2"]);
    assert!(again.created.is_empty());
    assert_eq!(again.unchanged, 2);
    let search = |query: &str| {
        let mut market = market.clone();
        let query = query.to_owned();
        async move {
            market
                .search_opportunities(to(
                    "amsterdam",
                    v1::SearchOpportunitiesRequest {
                        query,
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .matches
        }
    };
    let draft = search("werkvoorbereider").await;
    assert_eq!(draft.len(), 1);
    let draft = draft[0].opportunity.clone().unwrap();
    assert_eq!(draft.status, v1::OpportunityStatus::Draft as i32);
    assert_eq!(draft.languages, ["nl", "en"]);
    let historical = search("timmerman").await[0].opportunity.clone().unwrap();
    assert_eq!(historical.status, v1::OpportunityStatus::Filled as i32);
    let posted = historical.create_time.unwrap();
    assert_eq!(
        chrono::DateTime::from_timestamp(posted.seconds, 0)
            .unwrap()
            .date_naive()
            .to_string(),
        "2023-02-01"
    );
    let organisation = market
        .get_organisation(to(
            "amsterdam",
            v1::GetOrganisationRequest {
                id: draft.organisation_id,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(organisation.name, "Bouwbedrijf Noord");
    assert_eq!(organisation.headcount, 40);
    cluster.stop().await;
}

/// The lines of `report` refused: line, column and kind.
fn refused_lines(report: &v1::ImportReport) -> Vec<(u32, &str, v1::RefusalKind)> {
    report
        .refused
        .iter()
        .map(|r| (r.line, r.column.as_str(), r.kind()))
        .collect()
}

/// Amsterdam's chapter moves to Passage with its history: two newcomers, the
/// care home that employed one and trained the other, its vacancies of 2022,
/// the applications to them, and the placements they became.
const HISTORY_MEMBERS: &str = "external_id,display_name,role,residence_status,languages,joined_on\n\
    h-1,Amal Yousef,newcomer,status_holder,ar|nl,2022-01-10\n\
    h-2,Yonas Tesfay,newcomer,status_holder,ti|en,2022-02-01\n";
const HISTORY_ORGANISATIONS: &str =
    "external_id,name,kind,sector\norg-h1,Zorggroep Amstel,employer,healthcare\n";
const HISTORY_OPPORTUNITIES: &str = "external_id,organisation_external_id,title,kind,sector,hours_per_week,status,posted_on,closed_on\n\
    hist-1,org-h1,Verzorgende IG,job,healthcare,32,filled,2022-03-01,2022-05-01\n\
    hist-2,org-h1,Stage zorg,internship,healthcare,24,closed,2022-07-01,2022-09-01\n\
    draft-1,org-h1,Helpende zorg,job,healthcare,24,,,\n";
const HISTORY_APPLICATIONS: &str = "external_id,member_external_id,opportunity_external_id,stage,applied_on,decided_on,stage_note\n\
    app-1,h-1,hist-1,accepted,2022-03-10,2022-04-20,\n\
    app-2,h-2,hist-1,rejected,2022-03-12,2022-04-01,Dutch not yet at B1\n\
    app-3,h-2,hist-2,accepted,2022-07-05,2022-07-20,\n";
const HISTORY_PLACEMENTS: &str = "external_id,application_external_id,start_date,end_date,end_reason,end_note\n\
    pl-1,app-1,2022-05-01,2023-04-30,contract_ended,\n\
    pl-2,app-3,2022-08-01,,,\n";

async fn a_chapters_history_of_applications_and_placements_comes_in_once(backend: Backend) {
    // Arrange: the members, organisation and historical vacancies first
    let cluster = Cluster::start(backend).await;
    let mut sheets = SpreadsheetServiceClient::new(cluster.gateway().await);
    let mut placements = PlacementServiceClient::new(cluster.gateway().await);
    for (kind, file) in [
        (v1::ImportKind::Members, HISTORY_MEMBERS),
        (v1::ImportKind::Organisations, HISTORY_ORGANISATIONS),
        (v1::ImportKind::Opportunities, HISTORY_OPPORTUNITIES),
    ] {
        let report = import(&mut sheets, kind, file.as_bytes(), true)
            .await
            .unwrap();
        assert!(report.applied, "{kind:?}: {:?}", report.refused);
    }
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let bad_applications = format!(
        "external_id,member_external_id,opportunity_external_id,stage,applied_on,decided_on\n\
         app-9,h-404,hist-1,applied,2022-03-01,\n\
         app-10,h-1,hist-2,applied,{tomorrow},\n\
         app-11,h-2,hist-2,rejected,2022-07-05,2022-07-01\n\
         app-12,h-1,hist-2,interview,2022-07-05,2022-07-10\n\
         app-13,h-1,hist-404,offer,2022-07-05,\n\
         app-14,h-1,hist-2,applied,2022-07-06,\n\
         app-15,h-2,draft-1,applied,2022-07-06,\n"
    );
    let bad_placements = "external_id,application_external_id,start_date,end_date,end_reason\n\
                          pl-9,app-2,2022-05-01,,\n\
                          pl-10,app-1,2022-05-01,2022-04-01,completed\n\
                          pl-11,app-404,2022-05-01,,\n\
                          pl-12,app-3,2022-08-01,,completed\n\
                          pl-13,app-1,2022-05-01,,\n\
                          pl-14,app-1,2022-05-02,,\n";
    let list = |placements: &mut PlacementServiceClient<Channel>| {
        let mut placements = placements.clone();
        async move {
            placements
                .list_placements(to(
                    "amsterdam",
                    v1::ListPlacementsRequest {
                        page_size: 50,
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .placements
        }
    };

    // Act: applications with bad lines, then the good file, twice
    let refused = import(
        &mut sheets,
        v1::ImportKind::Applications,
        bad_applications.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let none_written = placements
        .list_applications(to("amsterdam", v1::ListApplicationsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .applications;
    let dry = import(
        &mut sheets,
        v1::ImportKind::Applications,
        HISTORY_APPLICATIONS.as_bytes(),
        false,
    )
    .await
    .unwrap();
    let applied = import(
        &mut sheets,
        v1::ImportKind::Applications,
        HISTORY_APPLICATIONS.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let again = import(
        &mut sheets,
        v1::ImportKind::Applications,
        HISTORY_APPLICATIONS.as_bytes(),
        true,
    )
    .await
    .unwrap();

    // Assert: each bad line named with its column and why; nothing written
    assert!(!refused.applied);
    assert_eq!(
        refused_lines(&refused),
        [
            (2, "member_external_id", v1::RefusalKind::UnknownMember),
            (3, "applied_on", v1::RefusalKind::InTheFuture),
            (4, "decided_on", v1::RefusalKind::BeforeItsStart),
            (5, "decided_on", v1::RefusalKind::OnlyForAFinalStage),
            (
                6,
                "opportunity_external_id",
                v1::RefusalKind::UnknownOpportunity
            ),
            (
                8,
                "opportunity_external_id",
                v1::RefusalKind::NeverPublished
            ),
        ]
    );
    assert_eq!(refused.refused[5].value, "draft");
    assert_eq!(refused.refused[0].value, "h-404");
    assert_eq!(refused.refused[2].allowed, ["applied_on", "2022-07-05"]);
    assert!(none_written.is_empty(), "{none_written:?}");
    assert_eq!(dry.created, ["app-1", "app-2", "app-3"]);
    assert!(!dry.applied);
    assert!(applied.applied, "{:?}", applied.refused);
    assert_eq!(applied.created, ["app-1", "app-2", "app-3"]);
    assert_eq!(applied.history, 3);
    assert!(again.created.is_empty() && again.updated.is_empty());
    assert_eq!(again.history, 0);
    let said = |report: &v1::ImportReport, apply: bool| {
        passage::spreadsheets_cli::describe(report, "sollicitaties.csv", apply).unwrap()
    };
    assert!(
        said(&applied, true).contains(
            "3 of them records of what already happened: the audit log marks them as imported history"
        ),
        "{}",
        said(&applied, true)
    );
    assert!(said(&dry, false).contains("the audit log would mark them"));
    assert!(!said(&again, true).contains("already happened"));
    assert_eq!(again.unchanged, 3);
    let applications = placements
        .list_applications(to("amsterdam", v1::ListApplicationsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .applications;
    assert_eq!(applications.len(), 3);
    let rejected = applications
        .iter()
        .find(|a| a.stage == v1::ApplicationStage::Rejected as i32)
        .unwrap();
    assert_eq!(rejected.stage_note, "Dutch not yet at B1");
    assert_eq!(rejected.opportunity_title, "Verzorgende IG");
    let made = rejected.create_time.unwrap();
    assert_eq!(
        chrono::DateTime::from_timestamp(made.seconds, 0)
            .unwrap()
            .date_naive()
            .to_string(),
        "2022-03-12"
    );

    // Act: placements with bad lines, then the good file, twice
    let refused = import(
        &mut sheets,
        v1::ImportKind::Placements,
        bad_placements.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let none_placed = list(&mut placements).await;
    let applied = import(
        &mut sheets,
        v1::ImportKind::Placements,
        HISTORY_PLACEMENTS.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let again = import(
        &mut sheets,
        v1::ImportKind::Placements,
        HISTORY_PLACEMENTS.as_bytes(),
        true,
    )
    .await
    .unwrap();

    // Assert
    assert!(!refused.applied);
    assert_eq!(
        refused_lines(&refused),
        [
            (2, "application_external_id", v1::RefusalKind::NotAccepted),
            (3, "end_date", v1::RefusalKind::BeforeItsStart),
            (
                4,
                "application_external_id",
                v1::RefusalKind::UnknownApplication
            ),
            (5, "end_reason", v1::RefusalKind::OnlyForAnEndedPlacement),
            (7, "application_external_id", v1::RefusalKind::AlreadyPlaced),
        ]
    );
    assert_eq!(refused.refused[0].value, "rejected");
    assert_eq!(refused.refused[1].allowed, ["start_date", "2022-05-01"]);
    assert!(none_placed.is_empty(), "{none_placed:?}");
    assert!(applied.applied, "{:?}", applied.refused);
    assert_eq!(applied.created, ["pl-1", "pl-2"]);
    assert!(again.created.is_empty() && again.updated.is_empty());
    assert_eq!(again.unchanged, 2);
    let placed = list(&mut placements).await;
    assert_eq!(placed.len(), 2);
    let ended = placed.iter().find(|p| !p.end_date.is_empty()).unwrap();
    assert_eq!(
        (
            ended.kind(),
            ended.start_date.as_str(),
            ended.end_date.as_str(),
            ended.end_reason()
        ),
        (
            v1::PlacementKind::PaidJob,
            "2022-05-01",
            "2023-04-30",
            v1::PlacementEndReason::ContractEnded
        )
    );
    let going = placed.iter().find(|p| p.end_date.is_empty()).unwrap();
    assert_eq!(going.kind(), v1::PlacementKind::Internship);
    let accepted = placements
        .get_application(to(
            "amsterdam",
            v1::GetApplicationRequest {
                id: ended.application_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.placement_id, ended.id);

    // Act: the internship ended after all; and a line that would undo a placement
    let ended_later = HISTORY_PLACEMENTS.replace(
        "pl-2,app-3,2022-08-01,,,",
        "pl-2,app-3,2022-08-01,2022-12-31,completed,",
    );
    let update = import(
        &mut sheets,
        v1::ImportKind::Placements,
        ended_later.as_bytes(),
        true,
    )
    .await
    .unwrap();
    let undone = HISTORY_APPLICATIONS.replace(
        "app-1,h-1,hist-1,accepted,2022-03-10,2022-04-20,",
        "app-1,h-1,hist-1,rejected,2022-03-10,2022-04-20,",
    );
    let kept = import(
        &mut sheets,
        v1::ImportKind::Applications,
        undone.as_bytes(),
        true,
    )
    .await
    .unwrap();

    // Assert: the placement ends; the application it came from stays accepted
    assert_eq!(update.updated, ["pl-2"], "{:?}", update.refused);
    assert_eq!(update.unchanged, 1);
    assert!(
        list(&mut placements)
            .await
            .iter()
            .all(|p| !p.end_date.is_empty())
    );
    assert_eq!(
        refused_lines(&kept),
        [(2, "stage", v1::RefusalKind::AlreadyPlaced)]
    );

    // Act: Yonas asks to be erased
    let mut members = cluster.members_via_gateway().await;
    let yonas = found(&mut members, "Yonas").await[0].id.clone();
    members
        .delete_member(to("amsterdam", v1::DeleteMemberRequest { id: yonas }))
        .await
        .unwrap();
    let after = import(
        &mut sheets,
        v1::ImportKind::Placements,
        ended_later.as_bytes(),
        false,
    )
    .await
    .unwrap();

    // Assert: his placement stays in the figures, but no longer answers to the
    // chapter's own id, which its spreadsheet ties to him
    assert_eq!(list(&mut placements).await.len(), 2);
    assert_eq!(
        refused_lines(&after),
        [(
            3,
            "application_external_id",
            v1::RefusalKind::UnknownApplication
        )]
    );

    // Assert: the audit log marks the history as imported history
    let audit = AuditServiceClient::new(cluster.gateway().await);
    eventually("the audit log marks the imported history", || {
        let mut audit = audit.clone();
        async move {
            let entries = audit
                .list_audit_entries(to(
                    "amsterdam",
                    v1::ListAuditEntriesRequest {
                        page_size: 500,
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .entries;
            let marked = |subject: &str| {
                entries.iter().any(|entry| {
                    entry.method == "passage.v1.SpreadsheetService/ImportRecords"
                        && entry.subject == subject
                })
            };
            marked("import of IMPORT_KIND_OPPORTUNITIES: 3 lines, 3 created, 0 updated, 0 refused; 2 as imported history")
                && marked("import of IMPORT_KIND_APPLICATIONS: 3 lines, 3 created, 0 updated, 0 refused; 3 as imported history")
                && marked("import of IMPORT_KIND_PLACEMENTS: 2 lines, 2 created, 0 updated, 0 refused; 2 as imported history")
                && marked("import of IMPORT_KIND_PLACEMENTS: 2 lines, 0 created, 1 updated, 0 refused; 1 as imported history")
                && marked("import of IMPORT_KIND_MEMBERS: 2 lines, 2 created, 0 updated, 0 refused")
        }
    })
    .await;
    cluster.stop().await;
}

/// `passage admin …` against the cluster's gateway with Amsterdam's chapter admin
/// token: success, standard output and standard error.
async fn passage_admin(cluster: &Cluster, args: Vec<String>) -> (bool, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_passage"));
    command
        .arg("admin")
        .args(args)
        .args(["--gateway", &cluster.federation.gateway_endpoint()])
        .arg("--ca")
        .arg(cluster.certs().ca().cert)
        .env(
            "PASSAGE_TOKEN",
            passage::credentials::demo().chapter_admin("amsterdam"),
        );
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn the_command_line_imports_and_exports_through_the_gateway(backend: Backend) {
    // Arrange: a file with one bad line
    let cluster = Cluster::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("leden.csv");
    std::fs::write(
        &file,
        "external_id;display_name;role;residence_status;languages\n\
         cli-1;Yonas Tesfay;newcomer;status_holder;ti|nl\n\
         cli-2;Maryam Ahmadi;newcomer;status_holder;farsi\n",
    )
    .unwrap();
    let import = |apply: bool| {
        let mut args: Vec<String> = [
            "import",
            "members",
            file.to_str().unwrap(),
            "--region",
            "amsterdam",
        ]
        .map(str::to_owned)
        .to_vec();
        if apply {
            args.push("--apply".into());
        }
        args
    };

    // Act
    let (ok, refused, _) = passage_admin(&cluster, import(true)).await;
    std::fs::write(
        &file,
        std::fs::read_to_string(&file)
            .unwrap()
            .replace("farsi", "fa"),
    )
    .unwrap();
    let (dry_ok, dry, _) = passage_admin(&cluster, import(false)).await;
    let (applied_ok, applied, errors) = passage_admin(&cluster, import(true)).await;
    let (export_ok, csv, _) = passage_admin(
        &cluster,
        ["export", "members", "--region", "amsterdam"]
            .map(str::to_owned)
            .to_vec(),
    )
    .await;

    // Assert
    assert!(!ok, "{refused}");
    assert!(
        refused.contains("line 3, column languages: \"farsi\""),
        "{refused}"
    );
    assert!(refused.contains("nothing was written"), "{refused}");
    assert!(dry_ok, "{dry}");
    assert!(dry.contains("2 would be created: cli-1, cli-2"), "{dry}");
    assert!(dry.contains("dry run"), "{dry}");
    assert!(applied_ok, "{errors}");
    assert!(applied.contains("2 created: cli-1, cli-2"), "{applied}");
    assert!(export_ok);
    assert!(csv.starts_with("id,external_id,display_name,"), "{csv}");
    assert!(csv.contains(",cli-2,Maryam Ahmadi,"), "{csv}");
    cluster.stop().await;
}
