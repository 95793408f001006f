//! Search within the region: a chapter admin finds the region's own members by
//! name, profession, skills, sectors and languages, and its opportunities by
//! title, description, skills and sector, whatever the case and the accents
//! ("Олена"/"олена", "Zoë"/"zoe"/"ZOE"); pages hold every hit once; other regions'
//! shared profiles and erased members are not found, a member who moves in is; a
//! bad query is refused naming the field.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::{Backend, Cluster, amira, create, eventually, member_named, profile_in, to};
use passage_proto::v1::{
    self, market_service_client::MarketServiceClient, member_service_client::MemberServiceClient,
};
use prost_types::FieldMask;
use tonic::Code;
use tonic::transport::Channel;

on_both_backends!(
    members_are_found_by_their_words_whatever_the_case_and_accents,
    pages_hold_every_hit_once_and_other_regions_members_are_not_found,
    opportunities_are_found_by_title_description_skill_and_sector,
);

fn person(
    name: &str,
    profession: &str,
    skills: &[&str],
    sectors: &[&str],
    languages: &[&str],
) -> v1::Member {
    let mut member = member_named(name, v1::MemberRole::Newcomer);
    let profile = member.profile.as_mut().unwrap();
    profile.profession = profession.into();
    profile.skills = skills.iter().map(|s| (*s).into()).collect();
    profile.sectors = sectors.iter().map(|s| (*s).into()).collect();
    profile.languages = languages.iter().map(|s| (*s).into()).collect();
    member
}

async fn search_members(
    members: &mut MemberServiceClient<Channel>,
    region: &str,
    query: &str,
) -> Vec<v1::MemberSearchHit> {
    members
        .search_members(to(
            region,
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

fn ids(hits: &[v1::MemberSearchHit]) -> Vec<String> {
    hits.iter().map(|hit| hit.id.clone()).collect()
}

async fn members_are_found_by_their_words_whatever_the_case_and_accents(backend: Backend) {
    // Arrange
    let cluster = Cluster::start(backend).await;
    let mut members = cluster.members_via_gateway().await;
    let olena = create(
        &mut members,
        "amsterdam",
        person(
            "Олена Коваленко",
            "nurse",
            &["patient care", "first aid"],
            &["healthcare"],
            &["uk", "en"],
        ),
    )
    .await;
    let zoe = create(
        &mut members,
        "amsterdam",
        person(
            "Zoë Dubois",
            "Électricienne",
            &["wiring"],
            &["construction"],
            &["fr"],
        ),
    )
    .await;
    let amira = create(&mut members, "amsterdam", amira()).await;

    // Act and assert: names, in any case, with or without accents.
    for query in ["Олена", "олена", "ОЛЕНА коваленко"] {
        assert_eq!(
            ids(&search_members(&mut members, "amsterdam", query).await),
            vec![olena.id.clone()],
            "{query}"
        );
    }
    for query in ["Zoë", "zoe", "ZOE", "zoe\u{0308}"] {
        let found = search_members(&mut members, "amsterdam", query).await;
        assert_eq!(ids(&found), vec![zoe.id.clone()], "{query}");
        assert_eq!(found[0].display_name, "Zoë Dubois");
        assert_eq!(found[0].profession, "Électricienne");
        assert_eq!((found[0].matched_words, found[0].score), (1, 8));
    }
    // Profession, skills, sectors, languages.
    for (query, who) in [
        ("nurse", &olena),
        ("electricienne", &zoe),
        ("FIRST AID", &olena),
        ("autocad", &amira),
        ("healthcare", &olena),
        ("uk", &olena),
        ("ar", &amira),
    ] {
        assert_eq!(
            ids(&search_members(&mut members, "amsterdam", query).await),
            vec![who.id.clone()],
            "{query}"
        );
    }
    // More of the query's words first, then where they occur.
    let found = search_members(&mut members, "amsterdam", "construction civil engineer").await;
    assert_eq!(ids(&found), [amira.id.clone(), zoe.id.clone()]);
    assert_eq!((found[0].matched_words, found[1].matched_words), (3, 1));
    assert!(
        search_members(&mut members, "amsterdam", "plumber")
            .await
            .is_empty()
    );

    // A change of profession changes what finds her, at once.
    let mut change = olena.clone();
    change.profile.as_mut().unwrap().profession = "midwife".into();
    members
        .update_member(to(
            "amsterdam",
            v1::UpdateMemberRequest {
                member: Some(change),
                update_mask: Some(FieldMask {
                    paths: vec!["profile.profession".into()],
                }),
            },
        ))
        .await
        .unwrap();
    assert!(
        search_members(&mut members, "amsterdam", "nurse")
            .await
            .is_empty()
    );
    assert_eq!(
        ids(&search_members(&mut members, "amsterdam", "Midwife").await),
        vec![olena.id.clone()]
    );

    // An erased member is not found.
    members
        .delete_member(to(
            "amsterdam",
            v1::DeleteMemberRequest { id: zoe.id.clone() },
        ))
        .await
        .unwrap();
    assert!(
        search_members(&mut members, "amsterdam", "zoe")
            .await
            .is_empty()
    );
    assert!(
        search_members(&mut members, "amsterdam", "electricienne")
            .await
            .is_empty()
    );

    // A bad query is refused naming the field.
    for (query, page_token, field) in [
        ("", "", "query"),
        ("   ", "", "query"),
        ("?!", "", "query"),
        (&"x".repeat(201) as &str, "", "query"),
        ("a b c d e f g h i j k", "", "query"),
        ("nurse", "p1.not-a-search-token", "page_token"),
    ] {
        let refused = members
            .search_members(to(
                "amsterdam",
                v1::SearchMembersRequest {
                    query: query.into(),
                    page_size: 10,
                    page_token: page_token.into(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{query:?}");
        assert!(
            refused.message().starts_with(field),
            "{}",
            refused.message()
        );
        // The page words each from its kind; only the page token stays English.
        let kind = match query {
            "" | "   " => Some((v1::RefusalKind::Missing, "")),
            "?!" => Some((v1::RefusalKind::NothingToSearch, "?!")),
            "a b c d e f g h i j k" => Some((v1::RefusalKind::TooManyWords, "11")),
            _ if page_token.is_empty() => Some((v1::RefusalKind::TooLong, &query[..40])),
            _ => None,
        };
        if let Some((kind, value)) = kind {
            common::chapter::refusal_of(&refused, "query", kind, value);
        } else {
            assert!(refused.details().is_empty(), "{query:?}");
        }
    }
    cluster.stop().await;
}

async fn pages_hold_every_hit_once_and_other_regions_members_are_not_found(backend: Backend) {
    // Arrange: seven welders in Amsterdam, one who shares her profile in Miami.
    let cluster = Cluster::start(backend).await;
    let mut members = cluster.members_via_gateway().await;
    let mut welders = BTreeSet::new();
    for n in 0..7 {
        let name = format!("Welder {n}");
        let skills: &[&str] = if n % 2 == 0 {
            &["welding", "metalwork"]
        } else {
            &["welding"]
        };
        let created = create(
            &mut members,
            "amsterdam",
            person(&name, "welder", skills, &["construction"], &["nl"]),
        )
        .await;
        welders.insert(created.id);
    }
    let mut in_miami = person(
        "Zoë Welder",
        "welder",
        &["welding"],
        &["construction"],
        &["es"],
    );
    in_miami.profile.as_mut().unwrap().share_across_regions = true;
    let in_miami = create(&mut members, "miami", in_miami).await;
    eventually("Amsterdam holds Miami's shared profile", || {
        let mut members = members.clone();
        let id = in_miami.id.clone();
        async move { profile_in(&mut members, "amsterdam", &id).await.is_some() }
    })
    .await;

    // Act: page through "welding metalwork" three at a time.
    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = members
            .search_members(to(
                "amsterdam",
                v1::SearchMembersRequest {
                    query: "welding metalwork".into(),
                    page_size: 3,
                    page_token: page_token.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(page.matches.len() <= 3);
        seen.extend(page.matches);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }

    // Assert: every welder once, those with both words first, and not Miami's.
    let found: Vec<String> = ids(&seen);
    assert_eq!(found.len(), 7, "{found:?}");
    assert_eq!(found.iter().cloned().collect::<BTreeSet<_>>(), welders);
    let matched: Vec<i32> = seen.iter().map(|hit| hit.matched_words).collect();
    assert_eq!(matched, [2, 2, 2, 2, 1, 1, 1]);
    assert!(
        search_members(&mut members, "amsterdam", "zoe")
            .await
            .is_empty()
    );
    assert_eq!(
        ids(&search_members(&mut members, "miami", "zoe").await),
        vec![in_miami.id.clone()]
    );

    // She moves to Amsterdam: found there from her arrival on, and no longer in Miami.
    cluster
        .member_confirms_move("miami", &in_miami.id, "amsterdam")
        .await
        .unwrap();
    members
        .transfer_member(to(
            "amsterdam",
            v1::TransferMemberRequest {
                member_id: in_miami.id.clone(),
                regional: amira().regional,
                requested_by: "chapter admin of amsterdam".into(),
            },
        ))
        .await
        .unwrap();
    assert_eq!(
        ids(&search_members(&mut members, "amsterdam", "zoe").await),
        vec![in_miami.id.clone()]
    );
    eventually("Miami no longer finds the member who left", || {
        let mut members = members.clone();
        async move {
            search_members(&mut members, "miami", "zoe")
                .await
                .is_empty()
        }
    })
    .await;
    cluster.stop().await;
}

async fn opportunities_are_found_by_title_description_skill_and_sector(backend: Backend) {
    // Arrange
    let cluster = Cluster::start(backend).await;
    let mut market: MarketServiceClient<Channel> = cluster.market_via_gateway().await;
    let organisation = market
        .create_organisation(to(
            "amsterdam",
            v1::CreateOrganisationRequest {
                organisation: Some(v1::Organisation {
                    name: "Café De Pijp".into(),
                    kind: v1::OrganisationKind::Employer as i32,
                    sector: "hospitality".into(),
                    location: "Amsterdam".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let offer = |title: &str, description: &str, skills: &[&str], sector: &str| {
        v1::CreateOpportunityRequest {
            opportunity: Some(v1::Opportunity {
                organisation_id: organisation.id.clone(),
                title: title.into(),
                description: description.into(),
                kind: v1::OpportunityKind::Job as i32,
                sector: sector.into(),
                skills: skills.iter().map(|s| (*s).into()).collect(),
                languages: vec!["nl".into()],
                hours_per_week: 20,
                paid: true,
                location: "Amsterdam".into(),
                ..Default::default()
            }),
        }
    };
    let barista = market
        .create_opportunity(to(
            "amsterdam",
            offer(
                "Barista in the Café",
                "Early shifts, Nederlands helpt.",
                &["latte art"],
                "hospitality",
            ),
        ))
        .await
        .unwrap()
        .into_inner();
    let baker = market
        .create_opportunity(to(
            "amsterdam",
            offer(
                "Baker's assistant",
                "Bread and pastry, café deliveries.",
                &["baking"],
                "food-production",
            ),
        ))
        .await
        .unwrap()
        .into_inner();
    let searching = market.clone();
    let search = |query: &str| {
        let mut market = searching.clone();
        let request = to(
            "amsterdam",
            v1::SearchOpportunitiesRequest {
                query: query.into(),
                ..Default::default()
            },
        );
        async move {
            market
                .search_opportunities(request)
                .await
                .unwrap()
                .into_inner()
                .matches
                .into_iter()
                .map(|hit| hit.opportunity.unwrap().id)
                .collect::<Vec<String>>()
        }
    };

    // Act and assert: title, skill, sector, description; the title weighs more.
    assert_eq!(search("BARISTA").await, vec![barista.id.clone()]);
    assert_eq!(search("baker").await, vec![baker.id.clone()]);
    assert_eq!(search("Latte").await, vec![barista.id.clone()]);
    assert_eq!(search("food production").await, vec![baker.id.clone()]);
    assert_eq!(search("pastry").await, vec![baker.id.clone()]);
    assert_eq!(search("cafe").await, [barista.id.clone(), baker.id.clone()]);

    // A changed draft is found by its new words only.
    market
        .update_opportunity(to(
            "amsterdam",
            v1::UpdateOpportunityRequest {
                opportunity: Some(v1::Opportunity {
                    id: baker.id.clone(),
                    title: "Pâtissier".into(),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["title".into()],
                }),
            },
        ))
        .await
        .unwrap();
    assert!(search("baker").await.is_empty());
    assert_eq!(search("patissier").await, vec![baker.id.clone()]);

    let refused = market
        .search_opportunities(to("amsterdam", v1::SearchOpportunitiesRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().starts_with("query"),
        "{}",
        refused.message()
    );
    cluster.stop().await;
}
