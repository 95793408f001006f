//! A chapter admin asks the region's labour-market rules whether a member may take
//! an opportunity and sees why; matching offers only what the rules allow; and the
//! rules change without a release — a bad edit is refused and the old rules stay.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, Cluster, create, member_named, shipped_rules, to};
use passage::rules_cli;
use passage_node::rules::{ActiveRules, active::load_checked, file};
use passage_proto::v1::{
    self, market_service_client::MarketServiceClient, match_service_client::MatchServiceClient,
    member_service_client::MemberServiceClient, review_service_client::ReviewServiceClient,
    rules_service_client::RulesServiceClient,
};
use tonic::Code;

on_both_backends!(
    the_same_asylum_seeker_is_decided_differently_in_amsterdam_and_miami,
    matching_offers_only_published_opportunities_the_rules_allow_with_reasons,
    a_bad_rules_file_is_refused_on_reload_and_the_old_rules_stay_in_force,
);

/// The day every decision below is made for.
const DECISION_DAY: &str = "2026-11-24";

/// Yusuf applied for asylum in March 2026: eight months before the decision day.
fn yusuf() -> v1::Member {
    let mut member = member_named("Yusuf Rahimi", v1::MemberRole::Newcomer);
    let profile = member.profile.as_mut().unwrap();
    profile.profession = "welder".into();
    profile.sectors = vec!["construction".into()];
    profile.skills = vec!["welding".into(), "metalwork".into()];
    profile.languages = vec!["fa".into(), "en".into()];
    profile.available_hours_per_week = 32;
    profile.share_across_regions = false;
    let regional = member.regional.as_mut().unwrap();
    regional.residence_status = v1::ResidenceStatus::AsylumSeeker as i32;
    regional.asylum_application_date = "2026-03-10".into();
    regional.civic_integration = v1::CivicIntegration::None as i32;
    regional.nationality = "AF".into();
    member
}

fn employer(name: &str) -> v1::Organisation {
    v1::Organisation {
        name: name.into(),
        kind: v1::OrganisationKind::Employer as i32,
        sector: "construction".into(),
        location: "Harbour".into(),
        ..Default::default()
    }
}

/// A paid welding job at a wage above both regions' minimum wage.
fn welding_job(organisation_id: &str, cents: i64) -> v1::Opportunity {
    v1::Opportunity {
        organisation_id: organisation_id.into(),
        title: "Welder, shipyard".into(),
        description: "MIG/TIG welding on hull sections.".into(),
        kind: v1::OpportunityKind::Job as i32,
        sector: "construction".into(),
        skills: vec!["welding".into()],
        languages: vec!["en".into()],
        hours_per_week: 32,
        paid: true,
        hourly_wage_cents: cents,
        location: "Harbour".into(),
        ..Default::default()
    }
}

/// Registers the organisation and its opportunity (a draft) in `region`.
async fn offer(
    market: &mut MarketServiceClient<tonic::transport::Channel>,
    region: &str,
    organisation: v1::Organisation,
    opportunity: impl FnOnce(&str) -> v1::Opportunity,
) -> v1::Opportunity {
    let organisation = market
        .create_organisation(to(
            region,
            v1::CreateOrganisationRequest {
                organisation: Some(organisation),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    market
        .create_opportunity(to(
            region,
            v1::CreateOpportunityRequest {
                opportunity: Some(opportunity(&organisation.id)),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

/// Submits a draft for community review and has enough newcomers approve it.
async fn publish(cluster: &Cluster, region: &str, id: &str) {
    let gateway = cluster.gateway().await;
    let mut review = ReviewServiceClient::new(gateway.clone());
    let mut members = MemberServiceClient::new(gateway);
    review
        .submit_for_review(to(
            region,
            v1::SubmitForReviewRequest {
                opportunity_id: id.into(),
            },
        ))
        .await
        .unwrap();
    let policy = review
        .get_review_policy(to(region, v1::GetReviewPolicyRequest {}))
        .await
        .unwrap()
        .into_inner();
    for n in 0..policy.approvals_to_publish {
        let mut reviewer = member_named(&format!("Reviewer {n}"), v1::MemberRole::Newcomer);
        reviewer.profile.as_mut().unwrap().share_across_regions = false;
        let reviewer = create(&mut members, region, reviewer).await;
        review
            .review_opportunity(to(
                region,
                v1::ReviewOpportunityRequest {
                    opportunity_id: id.into(),
                    reviewer_member_id: reviewer.id,
                    verdict: v1::ReviewVerdict::Approve as i32,
                    comment: String::new(),
                },
            ))
            .await
            .unwrap();
    }
}

fn fired(decision: &v1::Decision) -> Vec<&str> {
    decision.fired.iter().map(|f| f.rule_id.as_str()).collect()
}

async fn the_same_asylum_seeker_is_decided_differently_in_amsterdam_and_miami(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let gateway = cluster.gateway().await;
    let mut members = MemberServiceClient::new(gateway.clone());
    let mut market = MarketServiceClient::new(gateway.clone());
    let mut rules = RulesServiceClient::new(gateway);

    let mut decisions = Vec::new();
    for (region, cents) in [("amsterdam", 1_800), ("miami", 1_800)] {
        let member = create(&mut members, region, yusuf()).await;
        let job = offer(&mut market, region, employer("Harbour Works"), |org| {
            welding_job(org, cents)
        })
        .await;
        let decision = rules
            .evaluate(to(
                region,
                v1::EvaluateRequest {
                    member_id: member.id.clone(),
                    opportunity_id: job.id.clone(),
                    date: DECISION_DAY.into(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        decisions.push(decision);
    }
    let (amsterdam, miami) = (&decisions[0], &decisions[1]);

    // Amsterdam: eight months after applying he may work for pay; the employer
    // needs a TWV from UWV first.
    assert!(amsterdam.eligible, "{amsterdam:?}");
    assert!(fired(amsterdam).contains(&"nl-asylum-employer-needs-twv"));
    assert!(
        amsterdam.conditions.iter().any(|c| c.contains("TWV")),
        "{amsterdam:?}"
    );
    assert!(amsterdam.denials.is_empty());
    assert_eq!(amsterdam.evaluated_on, DECISION_DAY);
    let twv = amsterdam
        .fired
        .iter()
        .find(|f| f.rule_id == "nl-asylum-employer-needs-twv")
        .unwrap();
    assert!(twv.source.contains("Wet arbeid vreemdelingen"));
    assert_eq!(twv.effect, v1::RuleEffect::Require as i32);
    // The member sees the day the rule was last checked.
    assert!(!twv.reviewed_on.is_empty(), "{twv:?}");
    assert!(
        twv.explanation
            .ends_with(&format!("(rule checked on {})", twv.reviewed_on)),
        "{twv:?}"
    );

    // Miami: without an EAD he may not work for pay, but his asylum clock is past
    // 150 days, so he may apply for one now.
    assert!(!miami.eligible, "{miami:?}");
    assert!(fired(miami).contains(&"us-asylum-work-without-ead-may-apply"));
    assert!(miami.denials.iter().any(|d| d.contains("EAD")));

    // A day before his application, or a malformed day, is named.
    let refused = rules
        .evaluate(to(
            "miami",
            v1::EvaluateRequest {
                member_id: "not-an-id".into(),
                opportunity_id: String::new(),
                date: DECISION_DAY.into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("member_id"), "{refused:?}");
    cluster.stop().await;
}

async fn matching_offers_only_published_opportunities_the_rules_allow_with_reasons(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let gateway = cluster.gateway().await;
    let mut members = MemberServiceClient::new(gateway.clone());
    let mut market = MarketServiceClient::new(gateway.clone());
    let mut matching = MatchServiceClient::new(gateway);

    // Four months after applying: no paid work in Amsterdam yet, volunteering is fine.
    let mut newcomer = yusuf();
    newcomer.regional.as_mut().unwrap().asylum_application_date = "2026-07-20".into();
    let newcomer = create(&mut members, "amsterdam", newcomer).await;

    let paid = offer(&mut market, "amsterdam", employer("Werf Noord"), |org| {
        welding_job(org, 1_800)
    })
    .await;
    let volunteering = |org: &str| v1::Opportunity {
        title: "Repair café volunteer".into(),
        kind: v1::OpportunityKind::Volunteer as i32,
        paid: false,
        hourly_wage_cents: 0,
        hours_per_week: 6,
        skills: vec!["welding".into(), "repairs".into()],
        languages: vec!["en".into(), "nl".into()],
        ..welding_job(org, 0)
    };
    let ngo = v1::Organisation {
        kind: v1::OrganisationKind::Ngo as i32,
        ..employer("Repair Café Oost")
    };
    let volunteer = offer(&mut market, "amsterdam", ngo.clone(), volunteering).await;
    let draft = offer(&mut market, "amsterdam", ngo, volunteering).await;
    publish(&cluster, "amsterdam", &paid.id).await;
    publish(&cluster, "amsterdam", &volunteer.id).await;

    let found = matching
        .match_opportunities(to(
            "amsterdam",
            v1::MatchOpportunitiesRequest {
                member_id: newcomer.id.clone(),
                page_size: 10,
                date: DECISION_DAY.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = found
        .matches
        .iter()
        .map(|m| m.opportunity.as_ref().unwrap().id.as_str())
        .collect();
    assert_eq!(ids, vec![volunteer.id.as_str()], "{found:?}");
    assert!(
        !ids.contains(&draft.id.as_str()),
        "drafts are never matched"
    );
    assert_eq!(
        found.considered, 2,
        "only the published ones are considered"
    );
    assert_eq!(found.eligible, 1);
    let best = &found.matches[0];
    assert!(best.score > 0.5);
    assert!(
        best.reasons
            .iter()
            .any(|r| r.contains("1 of 2 skills: welding")),
        "{:?}",
        best.reasons
    );
    assert!(
        best.reasons
            .iter()
            .any(|r| r.contains("shared language: en"))
    );
    let decision = best.decision.as_ref().unwrap();
    assert!(
        fired(decision).contains(&"nl-asylum-volunteer-statement"),
        "the organisation needs a volunteer statement: {decision:?}"
    );

    // The organisation's view: he may take the volunteering, not (yet) the paid job.
    let for_volunteering = matching
        .match_members(to(
            "amsterdam",
            v1::MatchMembersRequest {
                opportunity_id: volunteer.id.clone(),
                page_size: 0,
                date: DECISION_DAY.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let offered = for_volunteering
        .matches
        .iter()
        .find(|m| m.member_id == newcomer.id)
        .expect("he may take the volunteering");
    // The organisation learns why he fits, never what his papers say.
    for reason in &offered.reasons {
        assert!(!reason.contains("capped"), "{reason}");
        assert!(!reason.to_lowercase().contains("asylum"), "{reason}");
    }
    let for_paid = matching
        .match_members(to(
            "amsterdam",
            v1::MatchMembersRequest {
                opportunity_id: paid.id.clone(),
                page_size: 0,
                date: DECISION_DAY.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!for_paid.matches.iter().any(|m| m.member_id == newcomer.id));
    let unpublished = matching
        .match_members(to(
            "amsterdam",
            v1::MatchMembersRequest {
                opportunity_id: draft.id.clone(),
                page_size: 0,
                date: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(unpublished.code(), Code::FailedPrecondition);
    cluster.stop().await;
}

/// An organisation matching members for its job learns nothing of their residence:
/// two newcomers who differ only in residence status — one a status holder whose
/// civic integration the rules give an hours cap, one a resident — get the same
/// score, the same reasons and the same counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_sees_the_same_match_whatever_a_members_residence_status() {
    let cluster = Cluster::start(Backend::Sqlite).await;
    let gateway = cluster.gateway().await;
    let mut members = MemberServiceClient::new(gateway.clone());
    let mut market = MarketServiceClient::new(gateway.clone());
    let mut matching = MatchServiceClient::new(gateway);
    let job = offer(&mut market, "amsterdam", employer("Werf Noord"), |org| {
        welding_job(org, 1_800)
    })
    .await;
    publish(&cluster, "amsterdam", &job.id).await;

    let mut seen = Vec::new();
    for status in [
        v1::ResidenceStatus::StatusHolder,
        v1::ResidenceStatus::CitizenOrResident,
    ] {
        let mut member = yusuf();
        let regional = member.regional.as_mut().unwrap();
        regional.residence_status = status as i32;
        regional.asylum_application_date = String::new();
        regional.civic_integration = v1::CivicIntegration::InProgress as i32;
        let created = create(&mut members, "amsterdam", member).await;
        let found = matching
            .match_members(to(
                "amsterdam",
                v1::MatchMembersRequest {
                    opportunity_id: job.id.clone(),
                    page_size: 0,
                    date: DECISION_DAY.into(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        let matched = found
            .matches
            .iter()
            .find(|m| m.member_id == created.id)
            .unwrap_or_else(|| panic!("{status:?} may take the job: {found:?}"));
        seen.push((
            matched.score,
            matched.reasons.clone(),
            found.considered,
            found.eligible,
        ));
        members
            .delete_member(to(
                "amsterdam",
                v1::DeleteMemberRequest {
                    id: created.id.clone(),
                },
            ))
            .await
            .unwrap();
    }
    assert_eq!(
        seen[0], seen[1],
        "the match told the organisation something"
    );
    cluster.stop().await;
}

async fn a_bad_rules_file_is_refused_on_reload_and_the_old_rules_stay_in_force(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut rules = RulesServiceClient::new(cluster.gateway().await);
    let before = rules
        .list_rules(to("amsterdam", v1::ListRulesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(before.rules.len() > 10);
    assert_eq!(before.country, "NL");
    // Every shipped rule says when it was last checked and when it is due again.
    for rule in &before.rules {
        assert_eq!(rule.reviewed_on.len(), 10, "{rule:?}");
        assert_eq!(rule.review_by.len(), 10, "{rule:?}");
        assert!(rule.review_by >= rule.reviewed_on, "{rule:?}");
    }

    // A chapter admin mistypes a field in one rule.
    let path = cluster.rules_file("amsterdam");
    let good = std::fs::read_to_string(&path).unwrap();
    let broken = good.replacen(
        "member.months_since_asylum_application < 6",
        "member.months_since_asylum_aplication < 6",
        1,
    );
    assert_ne!(good, broken);
    std::fs::write(&path, &broken).unwrap();
    let refused = rules
        .reload(to("amsterdam", v1::ReloadRulesRequest {}))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused
            .message()
            .contains("rule nl-asylum-paid-work-waiting-period"),
        "{refused:?}"
    );
    assert!(refused.message().contains("months_since_asylum_aplication"));
    let line = broken
        .lines()
        .position(|l| l.contains("asylum_aplication"))
        .unwrap()
        + 1;
    assert!(
        refused.message().contains(&format!(":{line}:")),
        "names line {line}: {refused:?}"
    );
    let still = rules
        .list_rules(to("amsterdam", v1::ListRulesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(still.version, before.version, "the old rules stay in force");

    // She fixes it and adds a rule of the region's own, with its case.
    let edited = format!(
        "{good}\n[[rule]]\nid = \"ams-night-shifts-warning\"\ndescription = \"Amsterdam's own: night shifts need a word with the coach.\"\nsource = \"Amsterdam chapter, 2026\"\neffective_from = \"2026-01-01\"\nwhen = 'opportunity.sector == \"night-logistics\"'\neffect = \"warn\"\nmessage = \"Long weeks: talk it through with the job coach first.\"\n\n[[case]]\nname = \"a local on a 40-hour week gets the coach's warning\"\ndate = \"2026-11-24\"\nmember = {{ role = \"local\", residence_status = \"citizen_or_resident\" }}\nopportunity = {{ kind = \"job\", paid = true, hours_per_week = 40, hourly_wage = 20.0, sector = \"night-logistics\" }}\nexpect = {{ eligible = true, fired = [\"ams-night-shifts-warning\"] }}\n"
    );
    std::fs::write(&path, edited).unwrap();
    let reloaded = rules
        .reload(to("amsterdam", v1::ReloadRulesRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reloaded.rules as usize, before.rules.len() + 1);
    assert_ne!(reloaded.version, before.version);
    // Other regions keep their own rules.
    let miami = rules
        .list_rules(to("miami", v1::ListRulesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(miami.country, "US");
    cluster.stop().await;
}

#[test]
fn every_shipped_rules_file_passes_its_cases_and_every_rule_has_one() {
    for region in ["amsterdam", "washington-dc", "miami", "berlin"] {
        let (table, passed) = rules_cli::test(&shipped_rules(region)).unwrap();
        assert!(passed, "{table}");
        assert!(table.contains(" passed, 0 failed"), "{table}");
        let rules = file::load(&shipped_rules(region)).unwrap();
        assert!(rules.rules.len() >= 10, "{region}: {}", rules.rules.len());
        for rule in &rules.rules {
            assert!(
                !rule.source.is_empty(),
                "{region}: {} has no source",
                rule.id
            );
        }
    }
}

#[test]
fn a_node_refuses_rules_whose_case_fails_naming_the_rule_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("amsterdam.rules.toml");
    let text = std::fs::read_to_string(shipped_rules("amsterdam")).unwrap();
    // Somebody shortens the waiting period without updating the cases.
    let edited = text.replacen(
        "member.months_since_asylum_application < 6",
        "member.months_since_asylum_application < 3",
        1,
    );
    std::fs::write(&path, edited).unwrap();
    let refused = load_checked(&path, "amsterdam").unwrap_err();
    assert_eq!(
        refused.rule.as_deref(),
        Some("nl-asylum-paid-work-waiting-period")
    );
    assert!(refused.line > 0);
    assert!(refused.message.contains("fails"), "{refused}");
    assert!(ActiveRules::load(&path, "amsterdam").is_err());
    let (table, passed) = rules_cli::test(&path).unwrap();
    assert!(!passed);
    assert!(table.contains("FAIL"), "{table}");

    // The file of another region is refused too.
    assert!(
        load_checked(&shipped_rules("miami"), "amsterdam")
            .unwrap_err()
            .message
            .contains("this node serves \"amsterdam\"")
    );
}

#[test]
fn rules_that_do_not_compile_are_named_with_their_line() {
    let text = r#"region = "amsterdam"
country = "NL"

[[rule]]
id = "nl-typo"
description = "A typo in an operator."
source = "test"
effective_from = "2026-01-01"
when = '''
  member.residence_status == "asylum_seeker"
  && opportunity.paid ==
'''
effect = "deny"
reason = "never"
"#;
    let refused = file::parse("amsterdam.rules.toml", text).err().unwrap();
    assert_eq!(refused.rule.as_deref(), Some("nl-typo"));
    assert!(refused.message.contains("does not compile"), "{refused}");
    assert!((10..=12).contains(&refused.line), "{refused}");

    let wrong_type = text.replace(
        "opportunity.paid ==",
        "opportunity.hours_per_week + \"h\" == \"32h\"",
    );
    let refused = file::parse("amsterdam.rules.toml", &wrong_type)
        .err()
        .unwrap();
    assert_eq!(refused.rule.as_deref(), Some("nl-typo"));

    let bad_effect = text
        .replace("opportunity.paid ==", "opportunity.paid")
        .replace("effect = \"deny\"", "effect = \"forbid\"");
    let refused = file::parse("amsterdam.rules.toml", &bad_effect)
        .err()
        .unwrap();
    assert!(refused.message.contains("forbid"), "{refused}");
    assert_eq!(refused.line, 13);
}

#[test]
fn a_condition_falls_on_the_member_or_on_the_employer_and_on_nobody_else() {
    let text = r#"region = "amsterdam"
country = "NL"

[[rule]]
id = "nl-employer-permit"
description = "The employer needs a permit."
source = "test"
effective_from = "2026-01-01"
when = 'opportunity.paid'
effect = "require"
condition = "The employer applies for a permit."
falls_on = "employer"
"#;
    let rules = file::parse("amsterdam.rules.toml", text).unwrap();
    assert!(matches!(
        rules.rules[0].effect,
        passage_node::rules::Effect::Require {
            on_employer: true,
            ..
        }
    ));

    let nobody = text.replace("falls_on = \"employer\"", "falls_on = \"the chapter\"");
    let refused = file::parse("amsterdam.rules.toml", &nobody).err().unwrap();
    assert!(refused.message.contains("falls_on"), "{refused}");
    assert_eq!(refused.line, 12);

    let on_a_denial = text
        .replace("effect = \"require\"", "effect = \"deny\"")
        .replace("condition = ", "reason = ");
    let refused = file::parse("amsterdam.rules.toml", &on_a_denial)
        .err()
        .unwrap();
    assert!(
        refused.message.contains("only a \"require\" rule"),
        "{refused}"
    );

    // A slip in the effect itself is named as the mistake, not the `falls_on`
    // that only a "require" rule may have.
    let mistyped = text.replace("effect = \"require\"", "effect = \"#equire\"");
    let refused = file::parse("amsterdam.rules.toml", &mistyped)
        .err()
        .unwrap();
    assert!(
        refused
            .message
            .starts_with("effect: \"#equire\" is not one of"),
        "{refused}"
    );
    assert_eq!(refused.line, 10);
}

#[test]
fn matching_decides_exactly_as_a_single_evaluation_does() {
    // Matching evaluates the member's part of each rule once and memoises the
    // rest per kind of opportunity; every shipped case must decide the same way.
    for region in ["amsterdam", "washington-dc", "miami", "berlin"] {
        let rules = file::load(&shipped_rules(region)).unwrap();
        for case in &rules.cases {
            let single = rules
                .evaluate(&case.member, &case.opportunity, case.date)
                .unwrap();
            let mut prepared = rules.for_member(&case.member, case.date).unwrap();
            // Twice: the second answer comes from the memo.
            for _ in 0..2 {
                let matched = prepared.decide(&case.opportunity).unwrap();
                assert_eq!(matched, single, "{region}: case {:?}", case.name);
            }
            // And against every other case's opportunity too.
            for other in &rules.cases {
                let single = rules
                    .evaluate(&case.member, &other.opportunity, case.date)
                    .unwrap();
                assert_eq!(
                    prepared.decide(&other.opportunity).unwrap(),
                    single,
                    "{region}: {:?} with {:?}'s opportunity",
                    case.name,
                    other.name
                );
            }
        }
    }
}

#[test]
fn a_chapter_admin_tries_a_decision_before_the_rules_go_live() {
    let member = r#"residence_status = "asylum_seeker", asylum_application_date = "2026-03-10""#;
    let job = r#"kind = "job", paid = true, hours_per_week = 32, hourly_wage = 18.0"#;
    let amsterdam =
        rules_cli::explain(&shipped_rules("amsterdam"), DECISION_DAY, member, job).unwrap();
    assert!(
        amsterdam.starts_with("amsterdam (NL), 2026-11-24: eligible"),
        "{amsterdam}"
    );
    assert!(amsterdam.contains("nl-asylum-employer-needs-twv"));
    let miami = rules_cli::explain(&shipped_rules("miami"), DECISION_DAY, member, job).unwrap();
    assert!(
        miami.starts_with("miami (US), 2026-11-24: NOT eligible"),
        "{miami}"
    );
    let typo = rules_cli::explain(
        &shipped_rules("miami"),
        DECISION_DAY,
        r#"residence = "asylum_seeker""#,
        job,
    )
    .unwrap_err();
    assert!(format!("{typo:#}").contains("residence"), "{typo:#}");
}
