//! `passage demo` fills every region with believable data once — its records of
//! today imported from the spreadsheet files in `src/demo/sheets/<region>/` — and a second run on
//! the same data folder picks it up again instead of duplicating it; it writes the
//! people who sign in, with their passphrases, to `accounts.txt`, and keeps them.
//! After `ready`, each chapter's eighteen months of history come in through the
//! spreadsheet import from CSV files in `history/<region>/`, which a second run
//! imports again without changing anything; and the central team's figures then
//! publish a value in every table.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::to;
use passage::demo::{self, DemoOptions};
use passage_proto::v1::{
    self, market_service_client::MarketServiceClient, member_service_client::MemberServiceClient,
};
use tonic::transport::Channel;

async fn count_members(channel: Channel, region: &str) -> (usize, BTreeSet<i32>, BTreeSet<i32>) {
    let mut client = MemberServiceClient::new(channel);
    let mut token = String::new();
    let (mut count, mut roles, mut statuses) = (0, BTreeSet::new(), BTreeSet::new());
    loop {
        let page = client
            .list_members(to(
                region,
                v1::ListMembersRequest {
                    page_size: 100,
                    page_token: token,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        for member in &page.members {
            count += 1;
            let regional = member.regional.clone().unwrap();
            roles.insert(regional.role);
            statuses.insert(regional.residence_status);
        }
        if page.next_page_token.is_empty() {
            return (count, roles, statuses);
        }
        token = page.next_page_token;
    }
}

async fn opportunity_kinds(channel: Channel, region: &str) -> (usize, BTreeSet<i32>, usize) {
    let page = MarketServiceClient::new(channel)
        .list_opportunities(to(
            region,
            v1::ListOpportunitiesRequest {
                page_size: 500,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let kinds = page.opportunities.iter().map(|o| o.kind).collect();
    let published = page
        .opportunities
        .iter()
        .filter(|o| o.status == v1::OpportunityStatus::Published as i32)
        .count();
    (page.opportunities.len(), kinds, published)
}

/// The region's community life: its groups and events, checked for what the demo
/// promises (coffee and expert groups with members and attended meetings; a fair
/// with presentations, a full training with a waiting list, attendance recorded).
/// Returns how many groups and events there are.
async fn community_life(channel: Channel, region: &str) -> (usize, usize) {
    use passage_proto::v1::{
        event_service_client::EventServiceClient, group_service_client::GroupServiceClient,
    };
    let mut groups = GroupServiceClient::new(channel.clone());
    let all_groups = groups
        .list_groups(to(region, v1::ListGroupsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .groups;
    let kinds: BTreeSet<i32> = all_groups.iter().map(|g| g.kind).collect();
    assert_eq!(kinds.len(), 2, "{region}: coffee and expert groups");
    let mut attended = 0;
    for group in &all_groups {
        let meetings = groups
            .list_meetings(to(
                region,
                v1::ListMeetingsRequest {
                    group_id: group.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .meetings;
        attended += meetings.iter().map(|m| m.attendee_count).sum::<i32>();
    }
    assert!(
        all_groups.iter().all(|g| g.member_count > 0),
        "{region}: every group has members"
    );
    assert!(attended > 0, "{region}: meetings were attended");
    let mut events = EventServiceClient::new(channel);
    let all_events = events
        .list_events(to(region, v1::ListEventsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .events;
    let fair = all_events
        .iter()
        .find(|e| e.kind == v1::EventKind::OpportunityFair as i32)
        .expect("an opportunity fair");
    let presented = events
        .list_fair_presentations(to(
            region,
            v1::ListFairPresentationsRequest {
                event_id: fair.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .presentations;
    assert!(
        !presented.is_empty(),
        "{region}: employers present at the fair"
    );
    assert!(
        all_events
            .iter()
            .any(|e| e.registered_count == e.capacity && e.waitlisted_count > 0),
        "{region}: a full event with a waiting list"
    );
    let training = all_events
        .iter()
        .find(|e| e.kind == v1::EventKind::Training as i32 && e.registered_count < e.capacity)
        .expect("the training under way");
    let came = events
        .list_event_registrations(to(
            region,
            v1::ListEventRegistrationsRequest {
                event_id: training.id.clone(),
                status: v1::RegistrationStatus::Attended as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .registrations;
    assert!(!came.is_empty(), "{region}: attendance at the training");
    (all_groups.len(), all_events.len())
}

/// `data/accounts.txt`: readable by its owner only; a member, an organisation's
/// contact and a chapter admin per region, the central analyst and the operator, each line four fields
/// separated by single spaces; the Amsterdam member signs in with hers and opens
/// her own record. Returns the file's text.
async fn check_accounts(started: &demo::DemoFederation, channel: Channel) -> String {
    use passage_proto::v1::account_service_client::AccountServiceClient;
    let path = &started.accounts_file;
    assert_eq!(path.file_name().unwrap(), "accounts.txt");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the accounts file holds passphrases");
    }
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|line| line.split(' ').collect()).collect();
    assert!(lines.iter().all(|fields| fields.len() == 4), "{text}");
    let mut expected = Vec::new();
    for (region, _, _) in demo::REGIONS {
        expected.push(("member", region));
        expected.push(("organisation", region));
        expected.push(("chapter_admin", region));
    }
    expected.push(("central_analyst", "-"));
    expected.push(("operator", "-"));
    let got: Vec<(&str, &str)> = lines.iter().map(|fields| (fields[0], fields[1])).collect();
    assert_eq!(got, expected);

    let member = lines
        .iter()
        .find(|fields| fields[0] == "member" && fields[1] == "amsterdam")
        .unwrap();
    let signed_in = AccountServiceClient::new(channel.clone())
        .sign_in(v1::SignInRequest {
            login: member[2].into(),
            passphrase: member[3].into(),
        })
        .await
        .unwrap()
        .into_inner();
    let account = signed_in.account.unwrap();
    assert_eq!(account.region, "amsterdam");
    let mut request = tonic::Request::new(v1::GetMemberRequest {
        id: account.member_id.clone(),
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", signed_in.session).parse().unwrap(),
    );
    request.metadata_mut().insert(
        passage_proto::REGION_METADATA_KEY,
        "amsterdam".parse().unwrap(),
    );
    let own = MemberServiceClient::new(channel)
        .get_member(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        own.regional.unwrap().role,
        v1::MemberRole::Newcomer as i32,
        "the demo's member is a newcomer"
    );
    text
}

/// The region's members as its chapter admin exports them: the CSV of every page.
async fn export_members(channel: Channel, region: &str) -> String {
    let mut client = v1::spreadsheet_service_client::SpreadsheetServiceClient::new(channel);
    let mut text = String::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .export_records(to(
                region,
                v1::ExportRecordsRequest {
                    kind: v1::ExportKind::Members as i32,
                    page_token,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        text.push_str(std::str::from_utf8(&page.csv).unwrap());
        if page.next_page_token.is_empty() {
            return text;
        }
        page_token = page.next_page_token;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_seeds_every_region_once_and_reuses_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let options = DemoOptions {
        data_dir: dir.path().to_owned(),
        port_base: 0,
        history_members: 0,
    };

    let first = demo::start(&options).await.unwrap();
    let channel = first.federation.gateway_channel().await.unwrap();
    let mut counts = Vec::new();
    let mut communities = Vec::new();
    for (region, _, _) in demo::REGIONS {
        let report = first.seeded.iter().find(|r| r.region == region).unwrap();
        assert!(!report.reused);
        let (members, roles, statuses) = count_members(channel.clone(), region).await;
        assert!(members >= 24, "{region}: dozens of members, got {members}");
        assert_eq!(members, report.members);
        assert_eq!(roles.len(), 3, "{region}: every role");
        assert!(statuses.len() >= 3, "{region}: several residence statuses");
        let (opportunities, kinds, published) = opportunity_kinds(channel.clone(), region).await;
        assert!(opportunities >= 24, "{region}: dozens of opportunities");
        assert!(
            published >= opportunities / 3,
            "{region}: newcomers' reviews published many, got {published} of {opportunities}"
        );
        assert_eq!(kinds.len(), 6, "{region}: every kind of opportunity");
        // Today's records came in through the spreadsheet import: the region's
        // export names each member by the external_id of the demo's file.
        let exported = export_members(channel.clone(), region).await;
        let file =
            std::fs::read_to_string(format!("src/demo/sheets/{region}/members.csv")).unwrap();
        for line in file.lines().skip(1) {
            let external_id = line.split(',').next().unwrap();
            assert!(
                exported
                    .lines()
                    .any(|row| row.split(',').any(|cell| cell == external_id)),
                "{region}: {external_id} of members.csv is in the export"
            );
        }
        let community = community_life(channel.clone(), region).await;
        communities.push(community);
        counts.push((members, opportunities));
    }
    let accounts = check_accounts(&first, channel.clone()).await;
    // The demo's people have made-up addresses: what concerned them while the
    // demo was made is mail to open, as .eml files in `data/mail/`.
    let mail = dir.path().join("mail");
    common::eventually("the demo's mail is written", || {
        let mail = mail.clone();
        async move {
            std::fs::read_dir(&mail).is_ok_and(|members| {
                members.flatten().any(|member| {
                    std::fs::read_dir(member.path()).is_ok_and(|mut files| files.next().is_some())
                })
            })
        }
    })
    .await;
    // The web app answers in front of the gateway.
    let (status, page) = web_page(first.web, "/sign-in").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<h1>Sign in</h1>"), "{page}");
    first.shutdown().await.unwrap();

    let second = demo::start(&options).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(&second.accounts_file).unwrap(),
        accounts,
        "a second run keeps the demo's accounts and passphrases"
    );
    assert!(second.seeded.iter().all(|r| r.reused));
    let channel = second.federation.gateway_channel().await.unwrap();
    for ((region, _, _), expected) in demo::REGIONS.iter().zip(counts) {
        let (members, _, _) = count_members(channel.clone(), region).await;
        let (opportunities, _, _) = opportunity_kinds(channel.clone(), region).await;
        assert_eq!(
            (members, opportunities),
            expected,
            "{region} kept, not doubled"
        );
    }
    for ((region, _, _), expected) in demo::REGIONS.iter().zip(communities) {
        assert_eq!(
            community_life(channel.clone(), region).await,
            expected,
            "{region}: groups and events kept, not doubled"
        );
    }
    second.shutdown().await.unwrap();
}

/// The tables of the central team's dashboard, each with at least one published
/// count in the total row (a category's or all of them) somewhere in the last
/// year.
const CHARTED: [&str; 11] = [
    "members_joined",
    "applications_by_stage",
    "placements_by_kind",
    "retention_3_months",
    "retention_6_months",
    "reviews_by_verdict",
    "helpdesk_questions_by_status",
    "cohort_participants_by_outcome",
    "members_by_role",
    "opportunities_by_status",
    "buddy_pairs_by_status",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chapters_eighteen_months_come_in_after_ready() {
    let dir = tempfile::tempdir().unwrap();
    let options = DemoOptions {
        data_dir: dir.path().to_owned(),
        port_base: 0,
        history_members: 1_000,
    };

    // Act: the demo starts; its history follows in the background
    let mut first = demo::start(&options).await.unwrap();
    let history = first.history.take().unwrap().await.unwrap().unwrap();
    let channel = first.federation.gateway_channel().await.unwrap();

    // Assert: every region took its twelve files, and has its history's members
    assert_eq!(history.len(), 3);
    for region in &history {
        assert_eq!(region.files, 12, "{region:?}");
        assert!(region.written > 1_000, "{region:?}");
        let seeded = first
            .seeded
            .iter()
            .find(|r| r.region == region.region)
            .unwrap();
        let (members, _, _) = count_members(channel.clone(), &region.region).await;
        assert_eq!(members, seeded.members + 1_000, "{}", region.region);
        let file = dir
            .path()
            .join("history")
            .join(&region.region)
            .join("08-event-registrations.csv");
        let registrations = std::fs::read_to_string(&file).unwrap();
        assert!(registrations.starts_with("external_id,event_external_id,member_external_id,"));
    }
    // Assert: the central team's figures publish a count in every table
    let mut stats = v1::global_stats_service_client::GlobalStatsServiceClient::new(channel);
    let figures = stats
        .get_global_stats(
            passage::credentials::as_analyst(v1::GetGlobalStatsRequest::default()).unwrap(),
        )
        .await
        .unwrap()
        .into_inner();
    for table in CHARTED {
        let published = figures
            .tables
            .iter()
            .filter(|t| t.table == table)
            .filter_map(|t| t.total.as_ref())
            .flat_map(|total| total.cells.iter().chain(&total.row_total))
            .any(|cell| !cell.suppressed && cell.value > 0);
        assert!(
            published,
            "{table}: nothing published in {:?}",
            figures
                .tables
                .iter()
                .filter(|t| t.table == table)
                .map(|t| (&t.month, &t.total))
                .collect::<Vec<_>>()
        );
    }
    first.shutdown().await.unwrap();

    // Act: a second run on the same data
    let mut second = demo::start(&options).await.unwrap();
    let again = second.history.take().unwrap().await.unwrap().unwrap();

    // Assert: the same files again, nothing changed
    for region in &again {
        assert_eq!((region.files, region.written), (12, 0), "{region:?}");
        assert!(region.unchanged > 1_000, "{region:?}");
    }
    second.shutdown().await.unwrap();
}

/// `GET path` from the web app at `address`: the status and the body.
async fn web_page(address: std::net::SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, response)
}
