//! Spreadsheets in: a chapter admin imports the chapter's own CSV files of
//! members, organisations and opportunities through the gateway, as spreadsheets
//! write them (a byte-order mark, Windows-1252, `;` between cells, `ar|en` lists).
//! A dry run writes nothing; bad lines are named with their line and column (and
//! why, as a kind of refusal a page words in its reader's language) and
//! the whole file is refused; importing the same file twice creates nothing
//! twice; imported members are found by search and shared with other regions
//! when they consent; opportunities land as drafts unless they are historical
//! records with their dates. A file that is not one is refused naming it. And
//! `passage admin import` and `passage admin export` do the same from a shell.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, Cluster, eventually, profile_in, to};
use passage_proto::v1::{
    self, market_service_client::MarketServiceClient, member_service_client::MemberServiceClient,
    spreadsheet_service_client::SpreadsheetServiceClient,
};
use tonic::Code;
use tonic::transport::Channel;

on_both_backends!(
    a_members_file_is_checked_then_imported_once,
    two_bad_lines_are_named_and_nothing_is_written,
    a_file_that_is_not_one_is_refused_naming_it,
    opportunities_land_as_drafts_unless_historical,
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
