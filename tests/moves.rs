//! Members move: Amira, at home in Amsterdam, moves to Washington DC. The DC chapter
//! asks for her; Amsterdam hands her over with every edit it had made; DC becomes
//! the only region that changes her; Amsterdam answers edits with "moved to
//! washington-dc"; the move is recorded and she can move back. A region that was
//! away while the log was compacted gets a snapshot instead. Runs on SQLite and
//! PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    Backend, Cluster, amira, create, eventually, member_named, profile_in, to, until_region_status,
};
use passage_proto::v1::{
    self, federation_admin_service_client::FederationAdminServiceClient,
    federation_service_client::FederationServiceClient, member_service_client::MemberServiceClient,
    move_service_client::MoveServiceClient,
};
use prost::Message;
use prost_types::FieldMask;
use tonic::Code;
use tonic::transport::Channel;

on_both_backends!(
    the_destination_sees_the_moves_waiting_and_declines_one,
    a_move_needs_the_members_own_confirmation,
    a_member_moves_to_another_region_and_back,
    a_move_is_refused_with_a_reason,
    a_region_behind_a_compacted_log_gets_a_snapshot,
    the_old_home_holds_her_until_the_new_home_has_her,
    a_member_who_never_shared_moves_too,
);

async fn set_skills(
    client: &mut MemberServiceClient<Channel>,
    region: &str,
    member: &v1::Member,
    skills: &[&str],
) -> Result<v1::Member, tonic::Status> {
    let mut change = member.clone();
    change.profile.as_mut().unwrap().skills = skills.iter().map(|s| (*s).into()).collect();
    client
        .update_member(to(
            region,
            v1::UpdateMemberRequest {
                member: Some(change),
                update_mask: Some(FieldMask {
                    paths: vec!["profile.skills".into()],
                }),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

fn intake(residence: v1::ResidenceStatus) -> v1::RegionalRecord {
    v1::RegionalRecord {
        role: v1::MemberRole::Newcomer as i32,
        residence_status: residence as i32,
        ..Default::default()
    }
}

async fn transfer(
    client: &mut MemberServiceClient<Channel>,
    region: &str,
    id: &str,
    regional: Option<v1::RegionalRecord>,
) -> Result<v1::TransferMemberResponse, tonic::Status> {
    client
        .transfer_member(to(
            region,
            v1::TransferMemberRequest {
                member_id: id.into(),
                regional,
                requested_by: format!("chapter admin of {region}"),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn until_in(client: &MemberServiceClient<Channel>, region: &'static str, id: &str) {
    eventually(&format!("the profile reaches {region}"), || {
        let mut client = client.clone();
        let id = id.to_owned();
        async move { profile_in(&mut client, region, &id).await.is_some() }
    })
    .await;
}

async fn a_member_moves_to_another_region_and_back(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut client = cluster.members_via_gateway().await;
    let amira = create(&mut client, "amsterdam", amira()).await;
    until_in(&client, "washington-dc", &amira.id).await;

    // Amsterdam's last edit, acknowledged just before the move, must travel with her.
    set_skills(&mut client, "amsterdam", &amira, &["BIM", "AutoCAD"])
        .await
        .unwrap();
    // She confirms the move herself, then the DC chapter takes her in.
    cluster
        .member_confirms_move("amsterdam", &amira.id, "washington-dc")
        .await
        .unwrap();
    let moved = transfer(
        &mut client,
        "washington-dc",
        &amira.id,
        Some(intake(v1::ResidenceStatus::AsylumSeeker)),
    )
    .await
    .unwrap();
    let member = moved.member.unwrap();
    let profile = member.profile.clone().unwrap();
    assert_eq!(profile.home_region, "washington-dc");
    assert_eq!(
        profile.skills,
        ["BIM", "AutoCAD"],
        "no acknowledged edit lost"
    );
    assert_eq!(
        member.regional.as_ref().unwrap().residence_status,
        v1::ResidenceStatus::AsylumSeeker as i32,
        "DC keeps its own intake record"
    );
    let record = moved.transfer.unwrap();
    assert_eq!(
        (
            record.from_region.as_str(),
            record.to_region.as_str(),
            record.epoch
        ),
        ("amsterdam", "washington-dc", 2)
    );
    assert_eq!(record.requested_by, "chapter admin of washington-dc");
    assert!(record.completed_time.is_some());

    // Amsterdam no longer changes her, and says where she went.
    let refused = set_skills(&mut client, "amsterdam", &member, &["Stale"])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("moved to washington-dc"),
        "{}",
        refused.message()
    );
    let deleted = client
        .delete_member(to(
            "amsterdam",
            v1::DeleteMemberRequest {
                id: amira.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(deleted.code(), Code::FailedPrecondition);

    // DC writes now, and every region follows, Amsterdam included.
    set_skills(&mut client, "washington-dc", &member, &["BIM", "Revit"])
        .await
        .unwrap();
    for region in ["amsterdam", "miami"] {
        eventually(&format!("DC's edit reaches {region}"), || {
            let mut client = client.clone();
            let id = amira.id.clone();
            async move {
                profile_in(&mut client, region, &id)
                    .await
                    .and_then(|m| m.profile)
                    .is_some_and(|p| {
                        p.skills == ["BIM", "Revit"] && p.home_region == "washington-dc"
                    })
            }
        })
        .await;
    }
    let amsterdam_copy = profile_in(&mut client, "amsterdam", &amira.id)
        .await
        .unwrap();
    assert_eq!(
        amsterdam_copy.regional, None,
        "Amsterdam's region-local record went when she left"
    );

    // She moves back to Amsterdam: a new move, confirmed anew.
    cluster
        .member_confirms_move("washington-dc", &amira.id, "amsterdam")
        .await
        .unwrap();
    let back = transfer(
        &mut client,
        "amsterdam",
        &amira.id,
        Some(intake(v1::ResidenceStatus::StatusHolder)),
    )
    .await
    .unwrap();
    assert_eq!(back.transfer.unwrap().epoch, 3);
    let home_again = back.member.unwrap();
    assert_eq!(
        home_again.profile.as_ref().unwrap().skills,
        ["BIM", "Revit"]
    );
    set_skills(
        &mut client,
        "amsterdam",
        &home_again,
        &["BIM", "Revit", "Dutch B1"],
    )
    .await
    .unwrap();
    let refused = set_skills(&mut client, "washington-dc", &home_again, &["Stale"])
        .await
        .unwrap_err();
    assert!(
        refused.message().contains("moved to amsterdam"),
        "{}",
        refused.message()
    );
    eventually("Amsterdam's edit reaches DC", || {
        let mut client = client.clone();
        let id = amira.id.clone();
        async move {
            profile_in(&mut client, "washington-dc", &id)
                .await
                .and_then(|m| m.profile)
                .is_some_and(|p| p.skills.len() == 3 && p.home_region == "amsterdam")
        }
    })
    .await;

    let mut admin = FederationAdminServiceClient::new(cluster.gateway().await);
    let history = admin
        .list_transfers(common::operator(v1::ListTransfersRequest {
            member_id: amira.id.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .transfers;
    let moves: Vec<_> = history
        .iter()
        .map(|t| (t.from_region.as_str(), t.to_region.as_str(), t.epoch))
        .collect();
    assert_eq!(
        moves,
        [
            ("amsterdam", "washington-dc", 2),
            ("washington-dc", "amsterdam", 3)
        ]
    );
    cluster.stop().await;
}

/// Nobody moves a member but the member. The Miami chapter asks to take Amira in
/// on its own: refused. Miami's node, asking the gateway directly: refused. A
/// chapter admin cannot confirm for her. Once she confirms, Miami takes her in —
/// and her confirmation is used up.
async fn incoming(
    cluster: &Cluster,
    region: &str,
    page_size: i32,
    page_token: &str,
) -> Result<v1::ListIncomingMovesResponse, tonic::Status> {
    MoveServiceClient::new(cluster.gateway().await)
        .list_incoming_moves(to(
            region,
            v1::ListIncomingMovesRequest {
                page_size,
                page_token: page_token.to_owned(),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// Amira (who shares her profile) and Yara (who does not) confirm moves from
/// Amsterdam to Miami. Miami's chapter admin sees both waiting — Amira by name,
/// Yara by id only — with where they come from and until when; Amsterdam's sees
/// none. She declines Yara's (whose confirmation is then gone, so no one can move
/// her) and accepts Amira's, after which nothing waits.
async fn the_destination_sees_the_moves_waiting_and_declines_one(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut client = cluster.members_via_gateway().await;
    let amira = create(&mut client, "amsterdam", amira()).await;
    let mut yara = member_named("Yara Saleh", v1::MemberRole::Newcomer);
    yara.profile.as_mut().unwrap().share_across_regions = false;
    let yara = create(&mut client, "amsterdam", yara).await;
    until_in(&client, "miami", &amira.id).await;
    for member in [&amira, &yara] {
        cluster
            .member_confirms_move("amsterdam", &member.id, "miami")
            .await
            .unwrap();
    }

    let first = incoming(&cluster, "miami", 1, "").await.unwrap();
    assert_eq!(first.moves.len(), 1);
    assert!(!first.next_page_token.is_empty(), "a second page follows");
    let second = incoming(&cluster, "miami", 1, &first.next_page_token)
        .await
        .unwrap();
    assert_eq!(second.moves.len(), 1);
    assert!(second.next_page_token.is_empty());
    let waiting: Vec<v1::IncomingMove> = first.moves.into_iter().chain(second.moves).collect();
    let of = |id: &str| waiting.iter().find(|m| m.member_id == id).unwrap().clone();
    let (amiras, yaras) = (of(&amira.id), of(&yara.id));
    assert_eq!(amiras.display_name, "Amira Haddad");
    assert_eq!(
        yaras.display_name, "",
        "Yara shares nothing beyond Amsterdam"
    );
    for waiting in [&amiras, &yaras] {
        assert_eq!(waiting.from_region, "amsterdam");
        let (confirmed, expires) = (
            waiting.confirm_time.unwrap().seconds,
            waiting.expire_time.unwrap().seconds,
        );
        assert_eq!(expires - confirmed, 7 * 24 * 3600, "a week to accept it");
    }
    assert_eq!(first.region_names["amsterdam"], "Amsterdam");
    assert!(
        incoming(&cluster, "amsterdam", 0, "")
            .await
            .unwrap()
            .moves
            .is_empty(),
        "nothing moves to Amsterdam"
    );
    let bad_token = incoming(&cluster, "miami", 0, "page 2").await.unwrap_err();
    assert_eq!(bad_token.code(), Code::InvalidArgument);
    assert!(bad_token.message().contains("page_token"));

    // Miami declines Yara's move: her confirmation is withdrawn.
    let mut moves = MoveServiceClient::new(cluster.gateway().await);
    let decline = |id: &str, region: &str| {
        to(
            region,
            v1::DeclineMoveRequest {
                member_id: id.to_owned(),
            },
        )
    };
    let not_ours = moves
        .decline_move(decline(&yara.id, "washington-dc"))
        .await
        .unwrap_err();
    assert_eq!(not_ours.code(), Code::NotFound, "DC has no move of hers");
    let no_id = moves.decline_move(decline("", "miami")).await.unwrap_err();
    assert_eq!(no_id.code(), Code::InvalidArgument);
    assert!(no_id.message().contains("member_id"));
    moves
        .decline_move(decline(&yara.id, "miami"))
        .await
        .unwrap();
    let refused = transfer(
        &mut client,
        "miami",
        &yara.id,
        Some(intake(v1::ResidenceStatus::AsylumSeeker)),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");

    transfer(
        &mut client,
        "miami",
        &amira.id,
        Some(intake(v1::ResidenceStatus::StatusHolder)),
    )
    .await
    .unwrap();
    assert!(
        incoming(&cluster, "miami", 0, "")
            .await
            .unwrap()
            .moves
            .is_empty(),
        "nothing waits any more"
    );
    cluster.stop().await;
}

async fn a_move_needs_the_members_own_confirmation(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut client = cluster.members_via_gateway().await;
    let amira = create(&mut client, "amsterdam", amira()).await;
    until_in(&client, "miami", &amira.id).await;

    let asked_alone = transfer(
        &mut client,
        "miami",
        &amira.id,
        Some(intake(v1::ResidenceStatus::StatusHolder)),
    )
    .await
    .unwrap_err();
    assert_eq!(
        asked_alone.code(),
        Code::PermissionDenied,
        "{asked_alone:?}"
    );
    assert!(
        asked_alone
            .message()
            .contains("has not confirmed a move to miami"),
        "{asked_alone:?}"
    );

    // Miami's side of the federation asks the gateway itself.
    let forged = FederationServiceClient::new(cluster.gateway().await)
        .request_transfer(v1::RequestTransferRequest {
            member_id: amira.id.clone(),
            requested_by: "miami's node".into(),
            region: "miami".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(forged.code(), Code::PermissionDenied, "{forged:?}");

    // Amsterdam's chapter admin cannot confirm on her behalf.
    let on_her_behalf = MoveServiceClient::new(cluster.gateway().await)
        .confirm_move(to(
            "amsterdam",
            v1::ConfirmMoveRequest {
                destination_region: "miami".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(on_her_behalf.code(), Code::PermissionDenied);
    let still_home = profile_in(&mut client, "amsterdam", &amira.id)
        .await
        .unwrap();
    assert!(still_home.regional.is_some(), "Amsterdam still holds her");

    let confirmed = cluster
        .member_confirms_move("amsterdam", &amira.id, "miami")
        .await
        .unwrap();
    assert_eq!(confirmed.destination_region, "miami");
    let moved = transfer(
        &mut client,
        "miami",
        &amira.id,
        Some(intake(v1::ResidenceStatus::StatusHolder)),
    )
    .await
    .unwrap();
    assert_eq!(moved.member.unwrap().profile.unwrap().home_region, "miami");
    let again = transfer(
        &mut client,
        "washington-dc",
        &amira.id,
        Some(intake(v1::ResidenceStatus::StatusHolder)),
    )
    .await
    .unwrap_err();
    assert_eq!(
        again.code(),
        Code::PermissionDenied,
        "her confirmation was used"
    );
    cluster.stop().await;
}

async fn a_move_is_refused_with_a_reason(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut client = cluster.members_via_gateway().await;
    let amira = create(&mut client, "amsterdam", amira()).await;
    until_in(&client, "miami", &amira.id).await;

    let missing = transfer(&mut client, "miami", &amira.id, None)
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::InvalidArgument);
    assert!(
        missing.message().starts_with("regional"),
        "{}",
        missing.message()
    );

    let unspecified = transfer(&mut client, "miami", &amira.id, Some(Default::default()))
        .await
        .unwrap_err();
    assert_eq!(unspecified.code(), Code::InvalidArgument);
    assert!(
        unspecified.message().starts_with("regional.role"),
        "{}",
        unspecified.message()
    );

    let already_home = transfer(
        &mut client,
        "amsterdam",
        &amira.id,
        Some(intake(v1::ResidenceStatus::StatusHolder)),
    )
    .await
    .unwrap_err();
    assert_eq!(already_home.code(), Code::FailedPrecondition);

    // A member who does not share their profile is in the gateway's directory too
    // (her home, nothing else): without her own confirmation she is not moved.
    let mut private = member_named("Private Person", v1::MemberRole::Newcomer);
    private.profile.as_mut().unwrap().share_across_regions = false;
    let private = create(&mut client, "amsterdam", private).await;
    eventually(
        "the directory knows her home and wants her own word",
        || {
            let (mut client, id) = (client.clone(), private.id.clone());
            async move {
                let refused = transfer(
                    &mut client,
                    "miami",
                    &id,
                    Some(intake(v1::ResidenceStatus::Other)),
                )
                .await
                .unwrap_err();
                refused.code() == Code::PermissionDenied
                    && refused.message().contains("has not confirmed a move")
            }
        },
    )
    .await;
    let never_heard_of = transfer(
        &mut client,
        "miami",
        &uuid::Uuid::now_v7().to_string(),
        Some(intake(v1::ResidenceStatus::Other)),
    )
    .await
    .unwrap_err();
    assert_eq!(never_heard_of.code(), Code::NotFound, "{never_heard_of:?}");

    // Amsterdam is away: the move waits for nobody and changes nothing.
    let mut cluster = cluster;
    cluster.federation.stop_region("amsterdam").await.unwrap();
    let gateway = cluster.gateway().await;
    until_region_status(
        &gateway,
        "amsterdam",
        "the gateway sees Amsterdam gone",
        |r| !r.connected,
    )
    .await;
    cluster
        .member_confirms_move("amsterdam", &amira.id, "miami")
        .await
        .unwrap();
    let away = transfer(
        &mut client,
        "miami",
        &amira.id,
        Some(intake(v1::ResidenceStatus::Other)),
    )
    .await
    .unwrap_err();
    assert_eq!(away.code(), Code::Unavailable, "{}", away.message());
    assert!(away.message().contains("amsterdam"), "{}", away.message());
    cluster
        .federation
        .restart_region("amsterdam")
        .await
        .unwrap();
    until_region_status(
        &gateway,
        "amsterdam",
        "the gateway shows Amsterdam reconnected",
        |r| r.connected && r.streams_opened >= 2,
    )
    .await;
    let still_home = profile_in(&mut client, "amsterdam", &amira.id)
        .await
        .unwrap();
    assert!(still_home.regional.is_some(), "Amsterdam still holds her");
    cluster.stop().await;
}

async fn a_region_behind_a_compacted_log_gets_a_snapshot(backend: Backend) {
    let mut cluster = Cluster::start(backend).await;
    let mut client = cluster.members_via_gateway().await;
    let first = create(&mut client, "amsterdam", amira()).await;
    until_in(&client, "miami", &first.id).await;

    cluster.federation.stop_region("miami").await.unwrap();
    let mut joined = Vec::new();
    for index in 0..30 {
        let member = member_named(&format!("Joined later {index}"), v1::MemberRole::Local);
        joined.push(create(&mut client, "washington-dc", member).await);
    }
    let erased = joined.pop().unwrap();
    client
        .delete_member(to(
            "washington-dc",
            v1::DeleteMemberRequest {
                id: erased.id.clone(),
            },
        ))
        .await
        .unwrap();
    let renamed = set_skills(&mut client, "amsterdam", &first, &["Welding"])
        .await
        .unwrap();

    let gateway = cluster.gateway().await;
    let mut admin = FederationAdminServiceClient::new(gateway.clone());
    until_region_status(
        &gateway,
        "amsterdam",
        "Amsterdam has applied everything",
        |r| r.backlog == 0 && r.cursor > 0,
    )
    .await;
    // Amsterdam's own change is in the log once another region has it.
    eventually("Washington DC has Amsterdam's change", || {
        let mut client = client.clone();
        let first = first.id.clone();
        async move {
            profile_in(&mut client, "washington-dc", &first)
                .await
                .and_then(|m| m.profile)
                .is_some_and(|p| p.skills.iter().any(|s| s == "Welding"))
        }
    })
    .await;
    let bad = admin
        .compact_log(common::operator(v1::CompactLogRequest { keep_seconds: -1 }))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().starts_with("keep_seconds"));
    let compacted = admin
        .compact_log(common::operator(v1::CompactLogRequest { keep_seconds: 0 }))
        .await
        .unwrap()
        .into_inner();
    assert!(compacted.removed_entries >= 30, "{compacted:?}");

    cluster.federation.restart_region("miami").await.unwrap();
    eventually("Miami rebuilds from the snapshot", || {
        let mut client = client.clone();
        let joined = joined.clone();
        let first = first.id.clone();
        async move {
            for member in &joined {
                if profile_in(&mut client, "miami", &member.id).await.is_none() {
                    return false;
                }
            }
            profile_in(&mut client, "miami", &first)
                .await
                .and_then(|m| m.profile)
                .is_some_and(|p| p.skills == ["Welding"])
        }
    })
    .await;
    assert!(
        profile_in(&mut client, "miami", &erased.id).await.is_none(),
        "the erased member stays erased"
    );
    assert_eq!(renamed.profile.unwrap().skills, ["Welding"]);
    until_region_status(
        &gateway,
        "miami",
        "Miami is past the compaction point",
        |r| r.cursor >= compacted.compacted_through,
    )
    .await;
    cluster.stop().await;
}

async fn connect(cluster: &Cluster, region: &str) -> sea_orm::DatabaseConnection {
    sea_orm::Database::connect(cluster.database_urls[region].as_str())
        .await
        .unwrap()
}

/// How many of `member`'s case notes a region's database holds.
async fn case_notes_of(db: &sea_orm::DatabaseConnection, member: &str) -> usize {
    use passage_node::store::entity::{case_file, case_note};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let id = uuid::Uuid::parse_str(member).unwrap();
    let cases: Vec<uuid::Uuid> = case_file::Entity::find()
        .filter(case_file::Column::MemberId.eq(id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|case| case.id)
        .collect();
    case_note::Entity::find()
        .filter(case_note::Column::CaseId.is_in(cases))
        .all(db)
        .await
        .unwrap()
        .len()
}

/// The departure a region keeps of `member`, if any.
async fn departure_of(
    db: &sea_orm::DatabaseConnection,
    member: &str,
) -> Option<passage_node::store::entity::departure::Model> {
    use sea_orm::EntityTrait;
    passage_node::store::entity::departure::Entity::find_by_id(
        uuid::Uuid::parse_str(member).unwrap(),
    )
    .one(db)
    .await
    .unwrap()
}

/// Amira confirms her move to Miami, and Miami's node records her arrival with its
/// intake record and asks the gateway — then crashes before the hand-over reaches
/// it. Amsterdam has handed her over, and the directory names Miami, but
/// Amsterdam still holds her record and her case: she is in no danger of being in
/// no region. When Miami is back it takes her on from its cursor and tells
/// Amsterdam, which only then lets go of her case.
async fn the_old_home_holds_her_until_the_new_home_has_her(backend: Backend) {
    let mut cluster = Cluster::start(backend).await;
    let mut client = cluster.members_via_gateway().await;
    let amira = create(&mut client, "amsterdam", amira()).await;
    until_in(&client, "miami", &amira.id).await;
    common::case_with_note(
        &cluster.gateway().await,
        "amsterdam",
        &amira.id,
        "Interview at the IND on 3 March.",
    )
    .await;
    cluster
        .member_confirms_move("amsterdam", &amira.id, "miami")
        .await
        .unwrap();

    // Miami records her arrival, asks, and crashes before the hand-over arrives.
    cluster.federation.stop_region("miami").await.unwrap();
    let miami_db = connect(&cluster, "miami").await;
    passage_node::federation::moves::expect(
        &miami_db,
        uuid::Uuid::parse_str(&amira.id).unwrap(),
        &intake(v1::ResidenceStatus::StatusHolder),
        "chapter admin of miami",
    )
    .await
    .unwrap();
    let handed_over = FederationServiceClient::new(cluster.gateway().await)
        .request_transfer(v1::RequestTransferRequest {
            member_id: amira.id.clone(),
            requested_by: "chapter admin of miami".into(),
            region: "miami".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let transfer = handed_over.transfer.unwrap();
    assert_eq!(
        (transfer.from_region.as_str(), transfer.to_region.as_str()),
        ("amsterdam", "miami")
    );

    // Handed over, not arrived: Amsterdam keeps her record and her case.
    let amsterdam_db = connect(&cluster, "amsterdam").await;
    let departed = departure_of(&amsterdam_db, &amira.id).await.unwrap();
    assert_eq!(departed.moved_to, "miami");
    assert!(departed.arrived_at.is_none());
    let kept = v1::Member::decode(departed.kept_record.as_deref().unwrap()).unwrap();
    assert_eq!(kept.profile.unwrap().display_name, "Amira Haddad");
    assert!(kept.regional.is_some(), "her record as Amsterdam held it");
    assert_eq!(case_notes_of(&amsterdam_db, &amira.id).await, 1);
    let edit = set_skills(&mut client, "amsterdam", &amira, &["pharmacy"])
        .await
        .unwrap_err();
    assert!(
        edit.message().contains("moved to miami"),
        "Amsterdam no longer changes her: {edit:?}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        case_notes_of(&amsterdam_db, &amira.id).await,
        1,
        "nobody has confirmed her arrival: Amsterdam keeps her case"
    );

    // Miami is back: it takes her on, and Amsterdam lets go of her case.
    cluster.federation.restart_region("miami").await.unwrap();
    eventually("Miami holds Amira with its intake record", || {
        let (mut client, id) = (client.clone(), amira.id.clone());
        async move {
            profile_in(&mut client, "miami", &id)
                .await
                .and_then(|member| member.regional)
                .is_some_and(|regional| {
                    regional.residence_status == v1::ResidenceStatus::StatusHolder as i32
                })
        }
    })
    .await;
    eventually("Amsterdam hears she arrived", || {
        let (db, id) = (amsterdam_db.clone(), amira.id.clone());
        async move {
            departure_of(&db, &id)
                .await
                .is_some_and(|departed| departed.arrived_at.is_some())
        }
    })
    .await;
    assert_eq!(case_notes_of(&amsterdam_db, &amira.id).await, 0);
    let departed = departure_of(&amsterdam_db, &amira.id).await.unwrap();
    assert!(departed.kept_record.is_none(), "her old record is let go");
    let edit = set_skills(&mut client, "amsterdam", &amira, &["pharmacy"])
        .await
        .unwrap_err();
    assert!(edit.message().contains("moved to miami"), "{edit:?}");
    cluster.stop().await;
}

/// Yara never shared her profile beyond Amsterdam. The directory knows only her
/// home, so she can move to Miami too: with her own confirmation, her profile goes
/// to Miami alone with the hand-over. Washington DC never sees it, the gateway
/// keeps no copy once she arrived, and Amsterdam lets go of her case.
async fn a_member_who_never_shared_moves_too(backend: Backend) {
    use passage_gateway::store::entity::{change_log, directory};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let cluster = Cluster::start(backend).await;
    let mut client = cluster.members_via_gateway().await;
    let mut yara = member_named("Yara Saleh", v1::MemberRole::Newcomer);
    yara.profile.as_mut().unwrap().share_across_regions = false;
    yara.profile.as_mut().unwrap().profession = "pharmacist".into();
    let yara = create(&mut client, "amsterdam", yara).await;
    common::case_with_note(
        &cluster.gateway().await,
        "amsterdam",
        &yara.id,
        "Diploma evaluation at Nuffic.",
    )
    .await;
    let id = uuid::Uuid::parse_str(&yara.id).unwrap();
    let gateway_db = connect(&cluster, "gateway").await;
    eventually("the directory knows Yara's home", || {
        let db = gateway_db.clone();
        async move {
            directory::Entity::find_by_id(id)
                .one(&db)
                .await
                .unwrap()
                .is_some_and(|entry| entry.home_region == "amsterdam" && entry.state.is_none())
        }
    })
    .await;

    cluster
        .member_confirms_move("amsterdam", &yara.id, "miami")
        .await
        .unwrap();
    let moved = transfer(
        &mut client,
        "miami",
        &yara.id,
        Some(intake(v1::ResidenceStatus::AsylumSeeker)),
    )
    .await
    .unwrap();
    let member = moved.member.unwrap();
    let profile = member.profile.unwrap();
    assert_eq!(profile.display_name, "Yara Saleh");
    assert_eq!(profile.profession, "pharmacist");
    assert!(!profile.share_across_regions, "her choice travels with her");
    assert_eq!(
        member.regional.unwrap().residence_status,
        v1::ResidenceStatus::AsylumSeeker as i32
    );

    // Amsterdam hears she arrived and lets go of her case.
    let amsterdam_db = connect(&cluster, "amsterdam").await;
    eventually("Amsterdam hears Yara arrived", || {
        let (db, id) = (amsterdam_db.clone(), yara.id.clone());
        async move {
            departure_of(&db, &id)
                .await
                .is_some_and(|departed| departed.arrived_at.is_some())
        }
    })
    .await;
    assert_eq!(case_notes_of(&amsterdam_db, &yara.id).await, 0);

    // Nobody else holds her profile: not Washington DC, not Amsterdam's replicas,
    // not the gateway's log or directory.
    for region in ["washington-dc", "amsterdam"] {
        let db = connect(&cluster, region).await;
        let replica = passage_node::store::entity::remote_profile::Entity::find_by_id(id)
            .one(&db)
            .await
            .unwrap();
        assert!(replica.is_none(), "{region} holds a copy of her profile");
    }
    eventually("the gateway's log keeps nothing of her profile", || {
        let db = gateway_db.clone();
        async move {
            change_log::Entity::find()
                .filter(change_log::Column::MemberId.eq(id))
                .all(&db)
                .await
                .unwrap()
                .iter()
                .all(|row| {
                    v1::ProfileState::decode(row.state.as_slice())
                        .unwrap()
                        .profile
                        .is_none()
                })
        }
    })
    .await;
    let entry = directory::Entity::find_by_id(id)
        .one(&gateway_db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.home_region, "miami");
    assert_eq!(entry.epoch, 2);
    assert!(entry.state.is_none(), "the directory keeps her home only");
    cluster.stop().await;
}
