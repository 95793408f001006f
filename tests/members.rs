//! A chapter admin registers, finds, pages through and corrects members — through
//! the gateway, and straight at the node — on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, Cluster, amira, member_named, to};
use passage_proto::v1::{self, member_service_client::MemberServiceClient};
use prost_types::FieldMask;
use tonic::Code;

on_both_backends!(
    a_member_created_in_amsterdam_reads_back_through_the_gateway_and_the_node,
    the_member_list_pages_through_everyone_exactly_once,
    an_update_changes_only_the_masked_fields,
    bad_member_input_is_rejected_naming_the_field_and_nothing_is_written,
    a_deleted_member_is_gone,
    updates_made_at_the_same_time_each_stand_or_fall_on_their_own,
    a_chapter_admin_records_an_asylum_seekers_nationality_and_reception_centre,
);

async fn a_member_created_in_amsterdam_reads_back_through_the_gateway_and_the_node(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let mut gateway = cluster.members_via_gateway().await;

    let created = gateway
        .create_member(to(
            "amsterdam",
            v1::CreateMemberRequest {
                member: Some(amira()),
            },
        ))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(
        uuid::Uuid::parse_str(&created.id)
            .unwrap()
            .get_version_num(),
        7
    );
    let profile = created.profile.clone().unwrap();
    assert_eq!(profile.display_name, "Amira Haddad");
    assert_eq!(profile.home_region, "amsterdam");
    assert!(created.create_time.is_some());

    let via_gateway = gateway
        .get_member(to(
            "amsterdam",
            v1::GetMemberRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(via_gateway, created);

    let mut node = MemberServiceClient::new(cluster.node("amsterdam").await);
    let direct = node
        .get_member(cluster.sealed("amsterdam").request(
            "/passage.v1.MemberService/GetMember",
            v1::GetMemberRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(direct, created);

    // Miami holds her shared profile at most, never her region-local record.
    if let Ok(elsewhere) = gateway
        .get_member(to(
            "miami",
            v1::GetMemberRequest {
                id: created.id.clone(),
            },
        ))
        .await
    {
        assert_eq!(elsewhere.into_inner().regional, None);
    }
    cluster.stop().await;
}

async fn the_member_list_pages_through_everyone_exactly_once(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut gateway = cluster.members_via_gateway().await;
    let mut created = Vec::new();
    for index in 0..7 {
        let role = if index % 3 == 0 {
            v1::MemberRole::Local
        } else {
            v1::MemberRole::Newcomer
        };
        let member = gateway
            .create_member(to(
                "washington-dc",
                v1::CreateMemberRequest {
                    member: Some(member_named(&format!("Member {index}"), role)),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        created.push(member.id);
    }

    let mut seen = Vec::new();
    let mut page_sizes = Vec::new();
    let mut token = String::new();
    loop {
        let page = gateway
            .list_members(to(
                "washington-dc",
                v1::ListMembersRequest {
                    page_size: 3,
                    page_token: token.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        page_sizes.push(page.members.len());
        seen.extend(page.members.into_iter().map(|m| m.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(page_sizes, vec![3, 3, 1]);
    assert_eq!(seen, created, "every member once, in order of registration");

    let locals = gateway
        .list_members(to(
            "washington-dc",
            v1::ListMembersRequest {
                role: v1::MemberRole::Local as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(locals.members.len(), 3);
    assert!(locals.next_page_token.is_empty());

    let forged = gateway
        .list_members(to(
            "washington-dc",
            v1::ListMembersRequest {
                page_token: "not-a-token".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(forged.code(), Code::InvalidArgument);
    assert!(
        forged.message().contains("page_token"),
        "{}",
        forged.message()
    );
    cluster.stop().await;
}

async fn an_update_changes_only_the_masked_fields(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut gateway = cluster.members_via_gateway().await;
    let created = gateway
        .create_member(to(
            "amsterdam",
            v1::CreateMemberRequest {
                member: Some(amira()),
            },
        ))
        .await
        .unwrap()
        .into_inner();

    // The request carries other changes too; only the masked ones may land.
    let mut change = amira();
    change.id = created.id.clone();
    let profile = change.profile.as_mut().unwrap();
    profile.available_hours_per_week = 32;
    profile.display_name = "Not This Name".into();
    profile.skills = vec!["Revit".into()];
    let regional = change.regional.as_mut().unwrap();
    regional.civic_integration = v1::CivicIntegration::Completed as i32;
    regional.residence_status = v1::ResidenceStatus::Other as i32;

    let updated = gateway
        .update_member(to(
            "amsterdam",
            v1::UpdateMemberRequest {
                member: Some(change),
                update_mask: Some(FieldMask {
                    paths: vec![
                        "profile.available_hours_per_week".into(),
                        "regional.civic_integration".into(),
                    ],
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();

    let mut expected = created.clone();
    expected.profile.as_mut().unwrap().available_hours_per_week = 32;
    expected.regional.as_mut().unwrap().civic_integration = v1::CivicIntegration::Completed as i32;
    expected.update_time = updated.update_time;
    assert_eq!(updated, expected);

    let reread = gateway
        .get_member(to("amsterdam", v1::GetMemberRequest { id: created.id }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reread, updated);

    let no_mask = gateway
        .update_member(to(
            "amsterdam",
            v1::UpdateMemberRequest {
                member: Some(reread.clone()),
                update_mask: None,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(no_mask.code(), Code::InvalidArgument);
    assert!(no_mask.message().contains("update_mask"));

    let unknown_path = gateway
        .update_member(to(
            "amsterdam",
            v1::UpdateMemberRequest {
                member: Some(reread),
                update_mask: Some(FieldMask {
                    paths: vec!["profile.home_region".into()],
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(unknown_path.code(), Code::InvalidArgument);
    assert!(unknown_path.message().contains("profile.home_region"));
    cluster.stop().await;
}

async fn bad_member_input_is_rejected_naming_the_field_and_nothing_is_written(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut gateway = cluster.members_via_gateway().await;
    let existing = gateway
        .create_member(to(
            "miami",
            v1::CreateMemberRequest {
                member: Some(amira()),
            },
        ))
        .await
        .unwrap()
        .into_inner();

    let mut empty_name = amira();
    empty_name.profile.as_mut().unwrap().display_name = "   ".into();
    let mut unknown_status = amira();
    unknown_status.regional.as_mut().unwrap().residence_status = 42;
    let mut negative_hours = amira();
    negative_hours
        .profile
        .as_mut()
        .unwrap()
        .available_hours_per_week = -5;
    let mut bad_language = amira();
    bad_language.profile.as_mut().unwrap().languages = vec!["Arabic".into()];
    let mut future_application = amira();
    future_application
        .regional
        .as_mut()
        .unwrap()
        .asylum_application_date = "2999-01-01".into();
    let mut no_role = amira();
    no_role.regional.as_mut().unwrap().role = 0;
    let mut country_name = amira();
    country_name.regional.as_mut().unwrap().nationality = "Syria".into();
    let mut unknown_country = amira();
    unknown_country.regional.as_mut().unwrap().nationality = "QQ".into();
    let mut too_many_buddies = member_named("Sanne de Vries", v1::MemberRole::Local);
    too_many_buddies.regional.as_mut().unwrap().buddy_capacity = 11;
    // Her clock cannot have stopped for longer than she has been waiting.
    let mut clock_stopped_too_long = amira();
    let regional = clock_stopped_too_long.regional.as_mut().unwrap();
    regional.residence_status = v1::ResidenceStatus::AsylumSeeker as i32;
    regional.asylum_application_date = (chrono::Utc::now().date_naive() - chrono::Days::new(10))
        .format("%Y-%m-%d")
        .to_string();
    regional.asylum_clock_stopped_days = 30;

    let cases = [
        (empty_name, "member.profile.display_name"),
        (unknown_status, "member.regional.residence_status"),
        (negative_hours, "member.profile.available_hours_per_week"),
        (bad_language, "member.profile.languages[0]"),
        (
            future_application,
            "member.regional.asylum_application_date",
        ),
        (no_role, "member.regional.role"),
        (country_name.clone(), "member.regional.nationality"),
        (unknown_country, "member.regional.nationality"),
        (too_many_buddies, "member.regional.buddy_capacity"),
        (
            clock_stopped_too_long,
            "member.regional.asylum_clock_stopped_days",
        ),
    ];
    for (member, field) in cases {
        let error = gateway
            .create_member(to(
                "miami",
                v1::CreateMemberRequest {
                    member: Some(member),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::InvalidArgument, "{field}");
        assert!(
            error.message().starts_with(field),
            "expected {field} in {:?}",
            error.message()
        );
    }
    let country_name = gateway
        .create_member(to(
            "miami",
            v1::CreateMemberRequest {
                member: Some(country_name),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        country_name.message(),
        "member.regional.nationality: must be an ISO 3166-1 alpha-2 code such as SY, \
         got \"Syria\""
    );
    // Through the gateway, the refusal also carries its kind, for the web app to
    // word in its reader's language.
    let detail = <v1::RefusedLine as prost::Message>::decode(country_name.details())
        .expect("a refused field of a known kind comes with its detail");
    assert_eq!(
        (detail.column.as_str(), detail.kind(), detail.value.as_str()),
        (
            "member.regional.nationality",
            v1::RefusalKind::NotACountry,
            "Syria"
        )
    );

    // A bad update is refused whole: the valid masked field does not land either.
    let mut bad_update = existing.clone();
    bad_update.profile.as_mut().unwrap().profession = "nurse".into();
    bad_update.profile.as_mut().unwrap().experience_years = -1;
    let error = gateway
        .update_member(to(
            "miami",
            v1::UpdateMemberRequest {
                member: Some(bad_update),
                update_mask: Some(FieldMask {
                    paths: vec![
                        "profile.profession".into(),
                        "profile.experience_years".into(),
                    ],
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    assert!(error.message().contains("member.profile.experience_years"));

    // Amsterdam's chapter admin names a region the federation does not have.
    let mut to_atlantis = to(
        "amsterdam",
        v1::CreateMemberRequest {
            member: Some(amira()),
        },
    );
    to_atlantis.metadata_mut().insert(
        passage_proto::REGION_METADATA_KEY,
        "atlantis".parse().unwrap(),
    );
    let unknown_region = gateway.create_member(to_atlantis).await.unwrap_err();
    assert_eq!(unknown_region.code(), Code::InvalidArgument);
    assert!(unknown_region.message().contains("x-passage-region"));
    assert!(unknown_region.message().contains("atlantis"));

    let mut without_region = to(
        "amsterdam",
        v1::CreateMemberRequest {
            member: Some(amira()),
        },
    );
    without_region
        .metadata_mut()
        .remove(passage_proto::REGION_METADATA_KEY);
    let without_region = gateway.create_member(without_region).await.unwrap_err();
    assert_eq!(without_region.code(), Code::InvalidArgument);
    assert!(without_region.message().contains("x-passage-region"));

    let everyone = gateway
        .list_members(to("miami", v1::ListMembersRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(everyone.members, vec![existing], "nothing else was written");
    for region in ["amsterdam", "washington-dc"] {
        let others = gateway
            .list_members(to(region, v1::ListMembersRequest::default()))
            .await
            .unwrap()
            .into_inner();
        assert!(others.members.is_empty(), "{region} got nothing");
    }
    cluster.stop().await;
}

async fn a_deleted_member_is_gone(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut gateway = cluster.members_via_gateway().await;
    let created = gateway
        .create_member(to(
            "amsterdam",
            v1::CreateMemberRequest {
                member: Some(amira()),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    gateway
        .delete_member(to(
            "amsterdam",
            v1::DeleteMemberRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap();
    let error = gateway
        .get_member(to(
            "amsterdam",
            v1::GetMemberRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::NotFound);
    let again = gateway
        .delete_member(to("amsterdam", v1::DeleteMemberRequest { id: created.id }))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::NotFound);
    cluster.stop().await;
}

/// Two chapter admins correct many members at once (the node commits concurrent
/// updates together); one of them types an impossible number of hours. Only that
/// update is refused; every other one is saved.
async fn updates_made_at_the_same_time_each_stand_or_fall_on_their_own(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut gateway = cluster.members_via_gateway().await;
    let mut ids = Vec::new();
    for index in 0..40 {
        let member = member_named(&format!("Member {index}"), v1::MemberRole::Newcomer);
        let created = gateway
            .create_member(to(
                "amsterdam",
                v1::CreateMemberRequest {
                    member: Some(member),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        ids.push(created.id);
    }
    let mut calls = tokio::task::JoinSet::new();
    for (index, id) in ids.iter().enumerate() {
        let mut client = gateway.clone();
        let id = id.clone();
        let hours = if index == 17 { 500 } else { index as i32 + 1 };
        calls.spawn(async move {
            let outcome = client
                .update_member(to(
                    "amsterdam",
                    v1::UpdateMemberRequest {
                        member: Some(v1::Member {
                            id: id.clone(),
                            profile: Some(v1::SharedProfile {
                                available_hours_per_week: hours,
                                ..Default::default()
                            }),
                            ..Default::default()
                        }),
                        update_mask: Some(FieldMask {
                            paths: vec!["profile.available_hours_per_week".into()],
                        }),
                    },
                ))
                .await;
            (index, id, outcome)
        });
    }
    while let Some(done) = calls.join_next().await {
        let (index, id, outcome) = done.unwrap();
        let stored = gateway
            .get_member(to("amsterdam", v1::GetMemberRequest { id }))
            .await
            .unwrap()
            .into_inner()
            .profile
            .unwrap()
            .available_hours_per_week;
        if index == 17 {
            let refused = outcome.unwrap_err();
            assert_eq!(refused.code(), Code::InvalidArgument);
            assert!(
                refused
                    .message()
                    .starts_with("member.profile.available_hours_per_week"),
                "{}",
                refused.message()
            );
            assert_ne!(stored, 500, "the refused update wrote nothing");
        } else {
            outcome.unwrap();
            assert_eq!(stored, index as i32 + 1, "member {index} saved");
        }
    }
    cluster.stop().await;
}

/// A chapter admin in Amsterdam registers Senait, an Eritrean asylum seeker who lives
/// in a reception centre (typing her nationality in lower case), reads her record
/// back through the gateway and from the node, and later notes that she has moved
/// out; nothing else about her changes.
async fn a_chapter_admin_records_an_asylum_seekers_nationality_and_reception_centre(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let mut gateway = cluster.members_via_gateway().await;
    let mut senait = member_named("Senait Tesfay", v1::MemberRole::Newcomer);
    let regional = senait.regional.as_mut().unwrap();
    regional.residence_status = v1::ResidenceStatus::AsylumSeeker as i32;
    regional.asylum_application_date = "2025-09-15".into();
    regional.civic_integration = v1::CivicIntegration::None as i32;
    regional.nationality = "er".into();
    regional.in_reception_centre = true;
    let created = gateway
        .create_member(to(
            "amsterdam",
            v1::CreateMemberRequest {
                member: Some(senait),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let regional = created.regional.clone().unwrap();
    assert_eq!(regional.nationality, "ER", "stored upper case");
    assert!(regional.in_reception_centre);
    assert!(!regional.safe_country_national);
    assert_eq!(regional.asylum_clock_stopped_days, 0);
    assert_eq!(regional.buddy_capacity, 0);

    let read = gateway
        .get_member(to(
            "amsterdam",
            v1::GetMemberRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, created);
    let direct = MemberServiceClient::new(cluster.node("amsterdam").await)
        .get_member(cluster.sealed("amsterdam").request(
            "/passage.v1.MemberService/GetMember",
            v1::GetMemberRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(direct, created);

    // She moves out of the reception centre; the request's other values (no
    // nationality) are not masked and do not land.
    let moved_out = gateway
        .update_member(to(
            "amsterdam",
            v1::UpdateMemberRequest {
                member: Some(v1::Member {
                    id: created.id.clone(),
                    regional: Some(v1::RegionalRecord {
                        in_reception_centre: false,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["regional.in_reception_centre".into()],
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut expected = created.clone();
    expected.regional.as_mut().unwrap().in_reception_centre = false;
    expected.update_time = moved_out.update_time;
    assert_eq!(moved_out, expected);

    // A local who buddies two newcomers at a time.
    let mut sanne = member_named("Sanne de Vries", v1::MemberRole::Local);
    let regional = sanne.regional.as_mut().unwrap();
    regional.residence_status = v1::ResidenceStatus::CitizenOrResident as i32;
    regional.asylum_application_date = String::new();
    regional.nationality = "NL".into();
    regional.buddy_capacity = 2;
    let sanne = gateway
        .create_member(to(
            "amsterdam",
            v1::CreateMemberRequest {
                member: Some(sanne),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let updated = gateway
        .update_member(to(
            "amsterdam",
            v1::UpdateMemberRequest {
                member: Some(v1::Member {
                    id: sanne.id.clone(),
                    regional: Some(v1::RegionalRecord {
                        buddy_capacity: 3,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["regional.buddy_capacity".into()],
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let regional = updated.regional.unwrap();
    assert_eq!(regional.buddy_capacity, 3);
    assert_eq!(regional.nationality, "NL");
    cluster.stop().await;
}
