//! Central statistics, as the central team reads them: every region's figures and
//! their totals through the gateway, small counts hidden so that no one can work
//! them back from the totals, a region that is down marked with the time of the
//! figures shown for it, and the exact figures only ever between node and gateway.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, Cluster, create, member_named, to};
use passage_proto::v1::{
    self, global_stats_service_client::GlobalStatsServiceClient,
    market_service_client::MarketServiceClient, member_service_client::MemberServiceClient,
    region_stats_service_client::RegionStatsServiceClient,
    review_service_client::ReviewServiceClient,
};
use tonic::Code;
use tonic::transport::Channel;

on_both_backends!(
    the_central_team_sees_totals_that_add_up_and_small_counts_hidden,
    a_node_counts_its_own_members_reviews_and_review_time_exactly,
    a_region_that_is_down_is_marked_and_its_last_good_figures_stand_in,
    a_bad_month_or_region_is_refused_naming_the_field,
    two_ranges_of_months_differ_by_whole_months_only,
);

/// Registers `count` members of `role` in `region`.
async fn register(
    members: &mut MemberServiceClient<Channel>,
    region: &str,
    role: v1::MemberRole,
    count: usize,
) {
    for index in 0..count {
        let name = format!("{region} {} {index}", role.as_str_name());
        create(members, region, member_named(&name, role)).await;
    }
}

/// Amsterdam: 12 newcomers, 11 locals and 10 internships in draft; Washington DC:
/// 15 newcomers; Miami: 3 newcomers.
async fn three_chapters(cluster: &Cluster) {
    let gateway = cluster.gateway().await;
    let mut members = MemberServiceClient::new(gateway.clone());
    register(&mut members, "amsterdam", v1::MemberRole::Newcomer, 12).await;
    register(&mut members, "amsterdam", v1::MemberRole::Local, 11).await;
    register(&mut members, "washington-dc", v1::MemberRole::Newcomer, 15).await;
    register(&mut members, "miami", v1::MemberRole::Newcomer, 3).await;
    let mut market = MarketServiceClient::new(gateway);
    let employer = market
        .create_organisation(to(
            "amsterdam",
            v1::CreateOrganisationRequest {
                organisation: Some(v1::Organisation {
                    name: "Zorggroep Amstel".into(),
                    kind: v1::OrganisationKind::Employer as i32,
                    sector: "healthcare".into(),
                    location: "Amsterdam-Oost".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    for index in 0..10 {
        market
            .create_opportunity(to(
                "amsterdam",
                v1::CreateOpportunityRequest {
                    opportunity: Some(internship(&employer.id, index)),
                },
            ))
            .await
            .unwrap();
    }
}

fn internship(organisation_id: &str, index: usize) -> v1::Opportunity {
    v1::Opportunity {
        organisation_id: organisation_id.into(),
        title: format!("Internship on ward {index}"),
        description: "Three months alongside our nurses.".into(),
        kind: v1::OpportunityKind::Internship as i32,
        sector: "healthcare".into(),
        languages: vec!["nl".into()],
        hours_per_week: 24,
        paid: true,
        location: "Amsterdam-Oost".into(),
        ..Default::default()
    }
}

async fn global(cluster: &Cluster, request: v1::GetGlobalStatsRequest) -> v1::GlobalStats {
    GlobalStatsServiceClient::new(cluster.gateway().await)
        .get_global_stats(common::analyst(request))
        .await
        .unwrap()
        .into_inner()
}

fn table<'a>(stats: &'a v1::GlobalStats, name: &str, month: &str) -> &'a v1::PublishedTable {
    stats
        .tables
        .iter()
        .find(|t| t.table == name && t.month == month)
        .unwrap_or_else(|| panic!("no table {name} {month}"))
}

fn row<'a>(table: &'a v1::PublishedTable, region: &str) -> &'a v1::RegionRow {
    table.rows.iter().find(|r| r.region == region).unwrap()
}

fn cell<'a>(row: &'a v1::RegionRow, category: &str) -> &'a v1::PublishedCell {
    row.cells.iter().find(|c| c.category == category).unwrap()
}

/// The lines of a published table as the attacker sees them: each region's row
/// with its total, the total row, each category's column with its total, and the
/// row totals with the grand total. Every line must add up where all of it is
/// published, and no line may have exactly one suppressed entry (it would give
/// that entry away).
fn check_lines(table: &v1::PublishedTable) {
    let total = table.total.as_ref().unwrap();
    let mut rows: Vec<&v1::RegionRow> = table.rows.iter().collect();
    rows.push(total);
    let entries = |row: &v1::RegionRow| -> Vec<v1::PublishedCell> {
        let mut all = row.cells.clone();
        all.push(row.row_total.clone().unwrap());
        all
    };
    let grid: Vec<Vec<v1::PublishedCell>> = rows.iter().map(|r| entries(r)).collect();
    let width = grid[0].len();
    let mut lines: Vec<Vec<&v1::PublishedCell>> = grid.iter().map(|r| r.iter().collect()).collect();
    for column in 0..width {
        lines.push(grid.iter().map(|r| &r[column]).collect());
    }
    for line in lines {
        let hidden = line.iter().filter(|c| c.suppressed).count();
        assert_ne!(
            hidden, 1,
            "{} {}: a line with one suppressed entry gives it away",
            table.table, table.month
        );
        if hidden == 0 {
            let (last, parts) = line.split_last().unwrap();
            assert_eq!(
                parts.iter().map(|c| c.value).sum::<i64>(),
                last.value,
                "{} {}: a published line does not add up",
                table.table,
                table.month
            );
        }
    }
}

async fn the_central_team_sees_totals_that_add_up_and_small_counts_hidden(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    three_chapters(&cluster).await;
    let stats = global(&cluster, v1::GetGlobalStatsRequest::default()).await;
    assert_eq!(stats.threshold, 10);
    assert!(stats.regions.iter().all(|r| r.answered && !r.stale));
    for table in &stats.tables {
        check_lines(table);
    }

    // Miami's three newcomers are a small count: shown as "<10", and so are the
    // figures that would give them away.
    let roles = table(&stats, "members_by_role", "");
    let miami = row(roles, "miami");
    assert!(cell(miami, "newcomer").suppressed);
    assert!(miami.row_total.as_ref().unwrap().suppressed);
    assert!(cell(row(roles, "amsterdam"), "newcomer").suppressed);
    // All 41 members in all.
    let total = roles.total.as_ref().unwrap().row_total.as_ref().unwrap();
    assert_eq!((total.value, total.suppressed), (41, false));
    // Zeros are published as zeros.
    let coaches = cell(miami, "volunteer_coach");
    assert_eq!((coaches.value, coaches.suppressed), (0, false));

    // Amsterdam's ten internships are safe to publish, and the total agrees.
    let kinds = table(&stats, "opportunities_by_kind", "");
    let internships = cell(row(kinds, "amsterdam"), "internship");
    assert_eq!((internships.value, internships.suppressed), (10, false));
    let all_internships = cell(kinds.total.as_ref().unwrap(), "internship");
    assert_eq!(
        (all_internships.value, all_internships.suppressed),
        (10, false)
    );

    // Every table is there, now or for each of the last 12 months.
    let months = stats.months.clone().unwrap();
    for name in [
        "members_by_residence_class",
        "members_by_civic_integration",
        "opportunities_by_status",
        "buddy_pairs_by_status",
    ] {
        table(&stats, name, "");
    }
    table(&stats, "members_joined", &months.to_month);
    table(&stats, "reviews_by_verdict", &months.from_month);

    // The admin's table and the dashboard's JSON say the same.
    let printed = passage::admin::stats_tables(&stats).unwrap();
    assert!(printed.contains("<10"), "{printed}");
    let json = passage_gateway::stats::stats_json(&stats);
    let miami_json = json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "members_by_role")
        .unwrap()["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "miami")
        .unwrap()
        .clone();
    assert_eq!(miami_json["cells"][0]["shown"], "<10");
    assert!(miami_json["cells"][0]["value"].is_null());

    // The exact figures are for the gateway alone: it does not forward the nodes'
    // statistics service to clients.
    let asked = RegionStatsServiceClient::new(cluster.gateway().await)
        .get_region_stats(to("miami", v1::GetRegionStatsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(asked.code(), Code::Unimplemented, "{asked:?}");
    cluster.stop().await;
}

async fn a_node_counts_its_own_members_reviews_and_review_time_exactly(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    three_chapters(&cluster).await;
    let gateway = cluster.gateway().await;
    // Two Amsterdam newcomers approve one internship: it is published.
    let mut market = MarketServiceClient::new(gateway.clone());
    let draft = market
        .list_opportunities(to(
            "amsterdam",
            v1::ListOpportunitiesRequest {
                page_size: 1,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .opportunities
        .remove(0);
    let mut review = ReviewServiceClient::new(gateway.clone());
    review
        .submit_for_review(to(
            "amsterdam",
            v1::SubmitForReviewRequest {
                opportunity_id: draft.id.clone(),
            },
        ))
        .await
        .unwrap();
    let mut members = MemberServiceClient::new(gateway);
    for name in ["Reviewer Samira", "Reviewer Yonas"] {
        let reviewer = create(
            &mut members,
            "amsterdam",
            member_named(name, v1::MemberRole::Newcomer),
        )
        .await;
        review
            .review_opportunity(to(
                "amsterdam",
                v1::ReviewOpportunityRequest {
                    opportunity_id: draft.id.clone(),
                    reviewer_member_id: reviewer.id,
                    verdict: v1::ReviewVerdict::Approve as i32,
                    comment: String::new(),
                },
            ))
            .await
            .unwrap();
    }

    let exact = RegionStatsServiceClient::new(cluster.node("amsterdam").await)
        .get_region_stats(cluster.sealed("amsterdam").request(
            "/passage.v1.RegionStatsService/GetRegionStats",
            v1::GetRegionStatsRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(exact.region, "amsterdam");
    let count = |table: &str, month: &str, category: &str| {
        exact
            .counts
            .iter()
            .find(|c| c.table == table && c.month == month && c.category == category)
            .unwrap_or_else(|| panic!("no count {table} {month} {category}"))
            .value
    };
    let this_month = chrono::Utc::now().format("%Y-%m").to_string();
    assert_eq!(count("members_by_role", "", "newcomer"), 14);
    assert_eq!(count("members_by_role", "", "local"), 11);
    assert_eq!(count("members_by_role", "", "volunteer_coach"), 0);
    // Every test member is a status holder: protection status, wherever they live.
    assert_eq!(
        count("members_by_residence_class", "", "protection_status"),
        25
    );
    assert_eq!(
        count("members_by_residence_class", "", "asylum_procedure"),
        0
    );
    assert_eq!(count("members_by_civic_integration", "", "in_progress"), 25);
    assert_eq!(count("members_joined", &this_month, "all"), 25);
    assert_eq!(count("opportunities_by_kind", "", "internship"), 10);
    assert_eq!(count("opportunities_by_status", "", "draft"), 9);
    assert_eq!(count("opportunities_by_status", "", "published"), 1);
    assert_eq!(count("reviews_by_verdict", &this_month, "approve"), 2);
    assert_eq!(count("reviews_by_verdict", &this_month, "reject"), 0);
    assert_eq!(count("buddy_pairs_by_status", "", "active"), 0);
    let hours = exact
        .medians
        .iter()
        .find(|m| m.table == "review_hours" && m.month == this_month)
        .unwrap();
    assert_eq!(hours.records, 1);
    assert!((0.0..0.1).contains(&hours.median), "{hours:?}");

    // Through the gateway: one publication is too few for a median.
    let stats = global(&cluster, v1::GetGlobalStatsRequest::default()).await;
    let median = stats
        .medians
        .iter()
        .find(|m| m.region == "amsterdam" && m.table == "review_hours")
        .unwrap();
    assert!(median.suppressed);
    let verdicts = table(&stats, "reviews_by_verdict", &this_month);
    assert!(cell(row(verdicts, "amsterdam"), "approve").suppressed);
    cluster.stop().await;
}

async fn a_region_that_is_down_is_marked_and_its_last_good_figures_stand_in(backend: Backend) {
    let mut cluster = Cluster::start(backend).await;
    three_chapters(&cluster).await;
    let before = global(&cluster, v1::GetGlobalStatsRequest::default()).await;
    let miami_before = before.regions.iter().find(|r| r.region == "miami").unwrap();
    assert!(miami_before.answered);

    cluster.federation.stop_region("miami").await.unwrap();
    let after = global(&cluster, v1::GetGlobalStatsRequest::default()).await;
    let miami = after.regions.iter().find(|r| r.region == "miami").unwrap();
    assert!(!miami.answered, "{miami:?}");
    assert!(miami.stale);
    assert!(!miami.reason.is_empty());
    assert_eq!(miami.figures_time, miami_before.figures_time);
    assert!(
        after
            .regions
            .iter()
            .filter(|r| r.region != "miami")
            .all(|r| r.answered)
    );
    // Its last good figures are in the tables, so the totals are the same.
    let total = |stats: &v1::GlobalStats| {
        table(stats, "members_by_role", "")
            .total
            .clone()
            .unwrap()
            .row_total
            .unwrap()
            .value
    };
    assert_eq!(total(&after), 41);
    assert!(row(table(&after, "members_by_role", ""), "miami").cells[0].suppressed);
    let printed = passage::admin::stats_tables(&after).unwrap();
    assert!(printed.contains("miami (as of "), "{printed}");

    // For months it never reported, there is nothing to stand in: the region is
    // marked and left out.
    let other = global(
        &cluster,
        v1::GetGlobalStatsRequest {
            months: Some(v1::MonthRange {
                from_month: "2024-01".into(),
                to_month: "2024-06".into(),
            }),
            regions: vec![],
        },
    )
    .await;
    let miami = other.regions.iter().find(|r| r.region == "miami").unwrap();
    assert!(!miami.answered && !miami.stale && miami.figures_time.is_none());
    assert!(
        table(&other, "members_by_role", "")
            .rows
            .iter()
            .all(|r| r.region != "miami")
    );
    assert_eq!(total(&other), 38);
    cluster.stop().await;
}

async fn a_bad_month_or_region_is_refused_naming_the_field(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut client = GlobalStatsServiceClient::new(cluster.gateway().await);
    let refused = |from: &str, to: &str, regions: &[&str]| v1::GetGlobalStatsRequest {
        months: Some(v1::MonthRange {
            from_month: from.into(),
            to_month: to.into(),
        }),
        regions: regions.iter().map(|r| (*r).to_owned()).collect(),
    };
    let error = client
        .get_global_stats(common::analyst(refused("2026-13", "2026-12", &[])))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    assert_eq!(
        error.message(),
        "months.from_month: \"2026-13\" is not a month (YYYY-MM)"
    );
    let error = client
        .get_global_stats(common::analyst(refused("2026-06", "2026-01", &[])))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    assert!(
        error.message().starts_with("months.to_month: "),
        "{}",
        error.message()
    );
    let error = client
        .get_global_stats(common::analyst(refused("2010-01", "2026-01", &[])))
        .await
        .unwrap_err();
    assert!(
        error.message().contains("at most 120"),
        "{}",
        error.message()
    );
    let error = client
        .get_global_stats(common::analyst(refused("", "", &["amsterdam", "berlin"])))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    assert!(
        error
            .message()
            .starts_with("regions[1]: unknown region \"berlin\""),
        "{}",
        error.message()
    );

    // The node refuses the same way when asked directly.
    let error = RegionStatsServiceClient::new(cluster.node("miami").await)
        .get_region_stats(cluster.sealed("miami").request(
            "/passage.v1.RegionStatsService/GetRegionStats",
            v1::GetRegionStatsRequest {
                months: Some(v1::MonthRange {
                    from_month: "2026-13".into(),
                    to_month: "2026-12".into(),
                }),
                by_month: false,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    assert_eq!(
        error.message(),
        "months.from_month: \"2026-13\" is not a month (YYYY-MM)"
    );
    common::chapter::refusal_of(
        &error,
        "months.from_month",
        v1::RefusalKind::NotAMonth,
        "2026-13",
    );

    // Only the regions asked for.
    let one = client
        .get_global_stats(common::analyst(refused("", "", &["miami"])))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(one.regions.len(), 1);
    assert_eq!(table(&one, "members_by_role", "").rows.len(), 1);
    cluster.stop().await;
}

/// The review's second finding: retention for January to June, less retention for
/// January to May, was June's retention, small counts and all. Every month now
/// stands on its own: a month's table is the same in every answer it is part of,
/// and no table is a total over the months asked.
async fn two_ranges_of_months_differ_by_whole_months_only(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    three_chapters(&cluster).await;
    let range = |from: &str, to: &str| v1::GetGlobalStatsRequest {
        months: Some(v1::MonthRange {
            from_month: from.into(),
            to_month: to.into(),
        }),
        regions: vec![],
    };
    let to_june = global(&cluster, range("2025-01", "2025-06")).await;
    let to_may = global(&cluster, range("2025-01", "2025-05")).await;
    for stats in [&to_june, &to_may] {
        for name in [
            "retention_3_months",
            "retention_6_months",
            "retention_12_months",
        ] {
            assert!(
                stats
                    .tables
                    .iter()
                    .all(|t| t.table != name || !t.month.is_empty()),
                "{name} is published as a total over the months asked"
            );
        }
    }
    for month in ["2025-01", "2025-03", "2025-05"] {
        assert_eq!(
            table(&to_june, "retention_3_months", month),
            table(&to_may, "retention_3_months", month),
            "{month} is published differently in the two answers"
        );
    }
    table(&to_june, "retention_12_months", "2025-06");
    assert!(
        to_may.tables.iter().all(|t| t.month != "2025-06"),
        "June is in the answer for January to May"
    );
    // Whatever does not depend on the months asked is the same in both.
    for published in to_june.tables.iter().filter(|t| t.month.is_empty()) {
        assert_eq!(
            Some(published),
            to_may
                .tables
                .iter()
                .find(|t| t.table == published.table && t.month.is_empty()),
            "{} differs between the two ranges",
            published.table
        );
    }
    cluster.stop().await;
}

#[test]
fn a_stats_setting_out_of_range_or_misspelt_is_named_with_its_line() {
    use passage::settings_file::load;
    use passage_gateway::GatewaySettings;
    let shipped = std::fs::read_to_string("deploy/gateway.toml").unwrap();
    let loaded = |text: String| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway.toml");
        std::fs::write(&path, text).unwrap();
        load::<GatewaySettings>(
            &path,
            &std::collections::HashMap::new(),
            &[],
            GatewaySettings::check,
        )
        .map_err(|e| e.to_string())
    };
    let settings = loaded(shipped.clone()).unwrap();
    assert_eq!(
        settings.stats,
        passage_gateway::settings::StatsSettings::default()
    );
    let line_of = |key: &str| {
        shipped
            .lines()
            .position(|line| line.starts_with(key))
            .unwrap()
            + 1
    };
    let error = loaded(shipped.replace("rounding = 0", "rounding = 3")).unwrap_err();
    assert!(error.contains("stats.rounding"), "{error}");
    assert!(error.contains("must be 0 (exact) or 5, got 3"), "{error}");
    assert!(
        error.contains(&format!("gateway.toml:{}", line_of("rounding"))),
        "{error}"
    );
    let error = loaded(shipped.replace("threshold = 10", "threshold = 1")).unwrap_err();
    assert!(error.contains("stats.threshold"), "{error}");
    let error = loaded(shipped.replace("deadline_ms = 2000", "deadlin_ms = 2000")).unwrap_err();
    assert!(error.contains("deadlin_ms"), "{error}");
}
