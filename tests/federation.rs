//! Members who move between regions keep their profile: a shared profile created or
//! edited in its home region reaches every other region through the gateway, only with
//! the member's consent, never with region-local data, and an erasure reaches
//! everywhere. Runs on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    Backend, Cluster, amira, create, eventually, import_members, member_named, profile_in, to,
    until_region_status,
};
use passage_proto::v1::{
    self, ChangeBatch, NodeHello, ProfileState, SharedProfile, SyncFromNode,
    federation_admin_service_client::FederationAdminServiceClient,
    federation_service_client::FederationServiceClient, member_service_client::MemberServiceClient,
    sync_from_gateway, sync_from_node,
};
use prost_types::FieldMask;
use sea_orm::{ConnectionTrait, Database, Statement};
use tonic::Code;
use tonic::transport::Channel;

on_both_backends!(
    a_shared_profile_reaches_every_region_and_follows_edits,
    without_consent_a_profile_stays_home_and_withdrawing_clears_it_elsewhere,
    an_erasure_reaches_every_region,
    the_gateway_holds_no_region_local_data,
    a_region_that_was_down_catches_up_from_its_cursor,
    a_restarted_region_stamps_above_every_stored_stamp_however_many_members,
);

async fn a_shared_profile_reaches_every_region_and_follows_edits(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut client = cluster.members_via_gateway().await;
    let created = create(&mut client, "amsterdam", amira()).await;

    for region in ["washington-dc", "miami"] {
        eventually(&format!("Amira's profile reaches {region}"), || {
            let mut client = client.clone();
            let id = created.id.clone();
            async move { profile_in(&mut client, region, &id).await.is_some() }
        })
        .await;
        let copy = profile_in(&mut client, region, &created.id).await.unwrap();
        assert_eq!(
            copy.profile, created.profile,
            "{region} holds the same profile"
        );
        assert_eq!(copy.regional, None, "{region} holds nothing region-local");
    }

    let mut change = created.clone();
    change.profile.as_mut().unwrap().skills = vec!["BIM".into(), "Revit".into()];
    edit(&mut client, "amsterdam", change, "profile.skills").await;
    eventually("the new skills reach Miami", || {
        let mut client = client.clone();
        let id = created.id.clone();
        async move {
            profile_in(&mut client, "miami", &id)
                .await
                .and_then(|m| m.profile)
                .is_some_and(|p| p.skills == ["BIM", "Revit"])
        }
    })
    .await;
    cluster.stop().await;
}

async fn without_consent_a_profile_stays_home_and_withdrawing_clears_it_elsewhere(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let mut client = cluster.members_via_gateway().await;
    let mut private = member_named("Private Person", v1::MemberRole::Newcomer);
    private.profile.as_mut().unwrap().share_across_regions = false;
    let private = create(&mut client, "amsterdam", private).await;
    // A consenting member created afterwards: once it has arrived, so would have the
    // private one, had it been sent.
    let marker = create(&mut client, "amsterdam", amira()).await;
    eventually("the marker reaches Miami", || {
        let mut client = client.clone();
        let id = marker.id.clone();
        async move { profile_in(&mut client, "miami", &id).await.is_some() }
    })
    .await;
    let status = client
        .get_member(to(
            "miami",
            v1::GetMemberRequest {
                id: private.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    let mut withdraw = marker.clone();
    withdraw.profile.as_mut().unwrap().share_across_regions = false;
    edit(
        &mut client,
        "amsterdam",
        withdraw,
        "profile.share_across_regions",
    )
    .await;
    eventually("Miami no longer shows the withdrawn profile", || {
        let mut client = client.clone();
        let id = marker.id.clone();
        async move { profile_in(&mut client, "miami", &id).await.is_none() }
    })
    .await;
    let miami = Database::connect(cluster.database_urls["miami"].as_str())
        .await
        .unwrap();
    let rows = miami
        .query_all_raw(Statement::from_string(
            miami.get_database_backend(),
            "SELECT state FROM remote_profile",
        ))
        .await
        .unwrap();
    for row in rows {
        let state: Vec<u8> = row.try_get("", "state").unwrap();
        let state = <ProfileState as prost::Message>::decode(state.as_slice()).unwrap();
        let profile = state.profile.unwrap_or_default();
        assert_eq!(
            profile,
            SharedProfile::default(),
            "nothing of the profile is kept"
        );
    }
    cluster.stop().await;
}

/// A member who withdraws consent leaves the gateway too: no entry of the log and
/// no state in the directory still holds what their profile said.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawn_consent_purges_the_members_earlier_entries_from_the_gateways_log() {
    let cluster = Cluster::start(Backend::Sqlite).await;
    let mut client = cluster.members_via_gateway().await;
    let created = create(&mut client, "amsterdam", amira()).await;
    let mut renamed = created.clone();
    renamed.profile.as_mut().unwrap().display_name = "Amira H. Haddad".into();
    let mut withdrawn = renamed.clone();
    withdrawn.profile.as_mut().unwrap().share_across_regions = false;
    edit(&mut client, "amsterdam", renamed, "profile.display_name").await;
    eventually("Miami holds the renamed profile", || {
        let mut client = client.clone();
        let id = created.id.clone();
        async move {
            profile_in(&mut client, "miami", &id)
                .await
                .is_some_and(|m| m.profile.unwrap().display_name == "Amira H. Haddad")
        }
    })
    .await;
    edit(
        &mut client,
        "amsterdam",
        withdrawn,
        "profile.share_across_regions",
    )
    .await;
    eventually("Miami lets go of the withdrawn profile", || {
        let mut client = client.clone();
        let id = created.id.clone();
        async move { profile_in(&mut client, "miami", &id).await.is_none() }
    })
    .await;

    let gateway = Database::connect(cluster.database_urls["gateway"].as_str())
        .await
        .unwrap();
    let rows = gateway
        .query_all_raw(Statement::from_string(
            gateway.get_database_backend(),
            "SELECT state FROM change_log UNION ALL SELECT state FROM directory",
        ))
        .await
        .unwrap();
    assert!(!rows.is_empty(), "the withdrawal itself is in the log");
    for row in rows {
        let bytes: Vec<u8> = row.try_get("", "state").unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("Amira"),
            "the withdrawn profile is still in the gateway"
        );
    }
    cluster.stop().await;
}

async fn an_erasure_reaches_every_region(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut client = cluster.members_via_gateway().await;
    let created = create(&mut client, "miami", amira()).await;
    eventually("the profile reaches Amsterdam", || {
        let mut client = client.clone();
        let id = created.id.clone();
        async move { profile_in(&mut client, "amsterdam", &id).await.is_some() }
    })
    .await;
    client
        .delete_member(to(
            "miami",
            v1::DeleteMemberRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap();
    for region in ["amsterdam", "washington-dc"] {
        eventually(&format!("{region} erases the profile"), || {
            let mut client = client.clone();
            let id = created.id.clone();
            async move { profile_in(&mut client, region, &id).await.is_none() }
        })
        .await;
    }
    for region in ["amsterdam", "washington-dc"] {
        let stored = Database::connect(cluster.database_urls[region].as_str())
            .await
            .unwrap();
        let rows = stored
            .query_all_raw(Statement::from_string(
                stored.get_database_backend(),
                "SELECT state FROM remote_profile",
            ))
            .await
            .unwrap();
        for row in rows {
            let bytes: Vec<u8> = row.try_get("", "state").unwrap();
            let state = <ProfileState as prost::Message>::decode(bytes.as_slice()).unwrap();
            assert!(
                state.erased.is_some() && state.profile.is_none(),
                "{region} keeps nothing"
            );
        }
    }

    // The operator sees the erasure confirmed by every region.
    let mut admin = FederationAdminServiceClient::new(cluster.gateway().await);
    eventually("every region confirms the erasure", || {
        let mut admin = admin.clone();
        async move {
            let page = admin
                .list_erasures(common::operator(v1::ListErasuresRequest::default()))
                .await
                .unwrap()
                .into_inner();
            page.erasures.len() == 1 && page.erasures[0].pending_regions.is_empty()
        }
    })
    .await;
    let erasure = admin
        .list_erasures(common::operator(v1::ListErasuresRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .erasures
        .remove(0);
    assert_eq!(erasure.member_id, created.id);
    assert_eq!(erasure.home_region, "miami");
    assert_eq!(
        erasure.confirmed_regions,
        ["amsterdam", "miami", "washington-dc"]
    );
    let table = passage::admin::erasures_table(
        passage::admin::link(
            cluster.gateway().await,
            passage::credentials::demo().operator(),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    assert!(table.contains("none: erased everywhere"), "{table}");

    let status = admin
        .get_sync_status(common::operator(v1::GetSyncStatusRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.regions.len(), 3);
    assert!(status.regions.iter().all(|r| r.connected), "{status:?}");
    // Miami's chapter admin reads her region's own line, and not the others'.
    let miami = admin
        .get_region_sync_status(common::to("miami", v1::GetRegionSyncStatusRequest {}))
        .await
        .unwrap()
        .into_inner();
    let line = miami.status.unwrap();
    assert_eq!(line.region, "miami");
    assert!(line.connected && line.last_seen.is_some(), "{line:?}");
    assert!(miami.log_head >= line.cursor);
    let everyone = admin
        .get_sync_status(common::to("miami", v1::GetSyncStatusRequest {}))
        .await
        .unwrap_err();
    assert_eq!(everyone.code(), tonic::Code::PermissionDenied);

    // The same figures as Prometheus metrics.
    let metrics = scrape(&cluster.federation.metrics_endpoint().unwrap()).await;
    for region in ["amsterdam", "miami", "washington-dc"] {
        assert!(
            metrics.contains(&format!("passage_sync_connected{{region=\"{region}\"}} 1")),
            "{metrics}"
        );
        assert!(metrics.contains(&format!("passage_sync_backlog{{region=\"{region}\"}}")));
    }
    assert!(metrics.contains(&format!("passage_sync_log_head {}", status.log_head)));
    cluster.stop().await;
}

async fn the_gateway_holds_no_region_local_data(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut client = cluster.members_via_gateway().await;
    let mut member = amira();
    let regional = member.regional.as_mut().unwrap();
    regional.asylum_application_date = "2021-07-19".into();
    regional.permits = vec![v1::Permit {
        kind: "TWV-SECRET-PERMIT".into(),
        valid_until: "2027-01-31".into(),
    }];
    regional.nationality = "ER".into();
    regional.in_reception_centre = true;
    regional.asylum_clock_stopped_days = 17;
    let created = create(&mut client, "amsterdam", member).await;
    eventually("the profile reaches Washington DC", || {
        let mut client = client.clone();
        let id = created.id.clone();
        async move {
            profile_in(&mut client, "washington-dc", &id)
                .await
                .is_some()
        }
    })
    .await;
    let replica = profile_in(&mut client, "washington-dc", &created.id)
        .await
        .unwrap();
    assert_eq!(
        replica.regional, None,
        "Washington DC holds no region-local record"
    );

    let gateway = Database::connect(cluster.database_urls["gateway"].as_str())
        .await
        .unwrap();
    let rows = gateway
        .query_all_raw(Statement::from_string(
            gateway.get_database_backend(),
            // The log, and the latest state the directory keeps for snapshots.
            "SELECT state FROM change_log UNION ALL SELECT state FROM directory",
        ))
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let bytes: Vec<u8> = row.try_get("", "state").unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in [
            "2021-07-19",
            "TWV-SECRET-PERMIT",
            "2027-01-31",
            "status_holder",
        ] {
            assert!(!text.contains(secret), "{secret} reached the gateway");
        }
        // Her nationality: two letters could turn up by chance in binary, so look
        // for them as an encoded protobuf string (length 2, then "ER").
        assert!(
            !bytes.windows(3).any(|w| w == [2, b'E', b'R']),
            "her nationality reached the gateway"
        );
        let state = <ProfileState as prost::Message>::decode(bytes.as_slice()).unwrap();
        assert_eq!(state.member_id, created.id);
        assert!(
            !format!("{state:?}").contains("\"ER\""),
            "her nationality reached the gateway: {state:?}"
        );
    }
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_cannot_rewrite_another_regions_member() {
    let cluster = Cluster::start(Backend::Sqlite).await;
    let mut client = cluster.members_via_gateway().await;
    let created = create(&mut client, "amsterdam", amira()).await;
    eventually("the profile reaches Miami", || {
        let mut client = client.clone();
        let id = created.id.clone();
        async move { profile_in(&mut client, "miami", &id).await.is_some() }
    })
    .await;

    // Miami's side of a sync stream tries to rename Amsterdam's member.
    let refused = first_refusal(
        cluster.gateway().await,
        rename_attempt(&created.id, "miami"),
    )
    .await;
    assert!(
        refused.reason.contains("belongs to region amsterdam"),
        "{}",
        refused.reason
    );

    let washington = profile_in(&mut client, "washington-dc", &created.id)
        .await
        .unwrap();
    assert_eq!(washington.profile.unwrap().display_name, "Amira Haddad");
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_far_future_stamp_is_refused_and_a_later_consent_withdrawal_still_reaches_every_region() {
    let cluster = Cluster::start(Backend::Sqlite).await;
    let mut client = cluster.members_via_gateway().await;
    let created = create(&mut client, "miami", amira()).await;
    for region in ["amsterdam", "washington-dc"] {
        eventually(&format!("the profile reaches {region}"), || {
            let mut client = client.clone();
            let id = created.id.clone();
            async move { profile_in(&mut client, region, &id).await.is_some() }
        })
        .await;
    }

    // A rogue (or broken) Miami sends an edit of its own member stamped at the very
    // end of time: had it been taken, no later edit could ever win over it.
    let refused = first_refusal(
        cluster.gateway().await,
        rename_attempt(&created.id, "miami"),
    )
    .await;
    assert!(
        refused.reason.contains("stamps.display_name") && refused.reason.contains("allowed skew"),
        "{}",
        refused.reason
    );

    // The member withdraws consent: every other region lets go of the profile.
    let mut withdraw = created.clone();
    withdraw.profile.as_mut().unwrap().share_across_regions = false;
    edit(
        &mut client,
        "miami",
        withdraw,
        "profile.share_across_regions",
    )
    .await;
    for region in ["amsterdam", "washington-dc"] {
        eventually(
            &format!("{region} lets go of the withdrawn profile"),
            || {
                let mut client = client.clone();
                let id = created.id.clone();
                async move { profile_in(&mut client, region, &id).await.is_none() }
            },
        )
        .await;
    }
    let washington = client
        .get_member(to(
            "washington-dc",
            v1::GetMemberRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(washington.code(), Code::NotFound);
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_mtls_profiles_sync_and_a_stream_without_a_region_certificate_is_refused() {
    let cluster = Cluster::start_secured(Backend::Sqlite).await;
    let mut client = cluster.members_via_gateway().await;
    let created = create(&mut client, "washington-dc", amira()).await;
    eventually("the profile reaches Amsterdam over mTLS", || {
        let mut client = client.clone();
        let id = created.id.clone();
        async move { profile_in(&mut client, "amsterdam", &id).await.is_some() }
    })
    .await;

    // A client with no region certificate claims to be Miami in its hello.
    let hello = SyncFromNode {
        message: Some(sync_from_node::Message::Hello(NodeHello {
            region: "miami".into(),
        })),
    };
    let refused = FederationServiceClient::new(cluster.gateway().await)
        .sync(tokio_stream::iter(vec![hello]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert!(
        refused.message().contains("client certificate"),
        "{}",
        refused.message()
    );
    // One that sends nothing at all is refused before any message, not kept open.
    let silent = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        FederationServiceClient::new(cluster.gateway().await)
            .sync(tokio_stream::pending::<SyncFromNode>()),
    )
    .await
    .expect("refused at once, without waiting for a hello")
    .unwrap_err();
    assert_eq!(silent.code(), Code::Unauthenticated);

    // Miami's own certificate, saying "amsterdam" in its hello, still speaks for
    // Miami: it cannot rewrite Washington DC's member.
    let certs = passage::certs::CertDir(
        std::path::PathBuf::from(cluster.database_urls["gateway"].trim_start_matches("sqlite://"))
            .parent()
            .unwrap()
            .join("certs"),
    );
    let miami = certs.region("miami");
    let tls = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(
            std::fs::read(certs.ca().cert).unwrap(),
        ))
        .identity(tonic::transport::Identity::from_pem(
            std::fs::read(miami.cert).unwrap(),
            std::fs::read(miami.key).unwrap(),
        ))
        .domain_name(passage_proto::GATEWAY_TLS_NAME);
    let channel = tonic::transport::Endpoint::from_shared(cluster.federation.gateway_endpoint())
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let refusal = first_refusal(channel, rename_attempt(&created.id, "amsterdam")).await;
    assert!(
        refusal
            .reason
            .contains("belongs to region washington-dc, not miami"),
        "{}",
        refusal.reason
    );
    cluster.stop().await;
}

/// A region's key leaked: the operator revokes Miami's certificate. Miami's open
/// sync stream is closed, a new one with that certificate is refused, and the other
/// regions sync on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_region_certificate_closes_its_stream_and_is_refused() {
    let cluster = Cluster::start_secured(Backend::Sqlite).await;
    let gateway = cluster.gateway().await;
    until_region_status(&gateway, "miami", "Miami is connected", |s| s.connected).await;
    let certs = passage::certs::CertDir(
        std::path::PathBuf::from(cluster.database_urls["gateway"].trim_start_matches("sqlite://"))
            .parent()
            .unwrap()
            .join("certs"),
    );
    let miami = certs.region("miami");
    let serial =
        passage_gateway::revocations::serial_of_pem(&std::fs::read(&miami.cert).unwrap()).unwrap();
    let db = Database::connect(cluster.database_urls["gateway"].as_str())
        .await
        .unwrap();
    assert!(
        passage_gateway::revocations::revoke(&db, &serial, "the Miami node's key leaked")
            .await
            .unwrap()
    );
    until_region_status(&gateway, "miami", "Miami's stream is closed", |s| {
        !s.connected
    })
    .await;

    let tls = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(
            std::fs::read(certs.ca().cert).unwrap(),
        ))
        .identity(tonic::transport::Identity::from_pem(
            std::fs::read(&miami.cert).unwrap(),
            std::fs::read(&miami.key).unwrap(),
        ))
        .domain_name(passage_proto::GATEWAY_TLS_NAME);
    let channel = tonic::transport::Endpoint::from_shared(cluster.federation.gateway_endpoint())
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let refused = FederationServiceClient::new(channel)
        .sync(tokio_stream::pending::<SyncFromNode>())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert!(refused.message().contains("revoked"), "{refused:?}");

    let mut client = cluster.members_via_gateway().await;
    let created = create(&mut client, "amsterdam", amira()).await;
    eventually("Amsterdam's member still reaches Washington DC", || {
        let mut client = client.clone();
        let id = created.id.clone();
        async move {
            profile_in(&mut client, "washington-dc", &id)
                .await
                .is_some()
        }
    })
    .await;
    cluster.stop().await;
}

/// A sync stream that never says hello is closed after a few seconds rather than
/// held open (the gateway here is the insecure kind, which waits for the hello).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_stream_without_a_hello_is_closed() {
    let cluster = Cluster::start(Backend::Sqlite).await;
    let closed = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        FederationServiceClient::new(cluster.gateway().await)
            .sync(tokio_stream::pending::<SyncFromNode>()),
    )
    .await
    .expect("the gateway closes a stream that says nothing")
    .unwrap_err();
    assert_eq!(closed.code(), Code::InvalidArgument);
    assert!(closed.message().contains("no hello within"), "{closed:?}");
    cluster.stop().await;
}

/// One enormous change cannot stop sync: Miami's stream sends a 4 MiB profile; the
/// gateway refuses that change by name, the stream goes on, and every region keeps
/// syncing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_four_mebibyte_profile_is_refused_by_name_and_sync_goes_on() {
    use tokio_stream::StreamExt as _;
    let cluster = Cluster::start(Backend::Sqlite).await;
    let mut client = cluster.members_via_gateway().await;
    let created = create(&mut client, "miami", amira()).await;
    let mut huge = ProfileState {
        member_id: created.id.clone(),
        profile: Some(SharedProfile {
            display_name: "x".repeat(4 << 20),
            ..Default::default()
        }),
        ..Default::default()
    };
    huge.stamps.insert(
        "display_name".into(),
        v1::Stamp {
            hlc: passage_proto::hlc::Hlc::new(passage_proto::hlc::wall_millis(), 0).as_u64(),
            region: "miami".into(),
        },
    );
    let messages = vec![
        SyncFromNode {
            message: Some(sync_from_node::Message::Hello(NodeHello {
                region: "miami".into(),
            })),
        },
        SyncFromNode {
            message: Some(sync_from_node::Message::Changes(ChangeBatch {
                last_outbox_id: 1,
                changes: vec![huge],
            })),
        },
    ];
    let mut answers = FederationServiceClient::new(cluster.gateway().await)
        .sync(tokio_stream::iter(messages).chain(tokio_stream::pending()))
        .await
        .unwrap()
        .into_inner();
    let (mut refused, mut accepted) = (None, false);
    while refused.is_none() || !accepted {
        match answers.message().await.unwrap().and_then(|a| a.message) {
            Some(sync_from_gateway::Message::Refused(refusal)) => refused = Some(refusal),
            Some(sync_from_gateway::Message::Accepted(_)) => accepted = true,
            Some(_) => {}
            None => panic!("the stream ended"),
        }
    }
    let refused = refused.unwrap();
    assert_eq!(refused.member_id, created.id);
    assert!(
        refused.reason.starts_with("change: ") && refused.reason.contains("at most 65536"),
        "{}",
        refused.reason
    );
    drop(answers);

    // Every region syncs on: Amsterdam's new member reaches Washington DC, and Miami's
    // own stream still carries her edits.
    let later = create(
        &mut client,
        "amsterdam",
        member_named("Later Arrival", v1::MemberRole::Local),
    )
    .await;
    eventually("Amsterdam's member reaches Washington DC", || {
        let mut client = client.clone();
        let id = later.id.clone();
        async move {
            profile_in(&mut client, "washington-dc", &id)
                .await
                .is_some()
        }
    })
    .await;
    eventually("Miami's member is in Amsterdam as she is", || {
        let mut client = client.clone();
        let id = created.id.clone();
        async move {
            profile_in(&mut client, "amsterdam", &id)
                .await
                .is_some_and(|m| m.profile.unwrap().display_name == "Amira Haddad")
        }
    })
    .await;
    cluster.stop().await;
}

/// The chapter admin of `region` changes the field at `path` of `member` to the
/// value `member` holds.
async fn edit(
    client: &mut MemberServiceClient<Channel>,
    region: &str,
    member: v1::Member,
    path: &str,
) {
    client
        .update_member(to(
            region,
            v1::UpdateMemberRequest {
                member: Some(member),
                update_mask: Some(FieldMask {
                    paths: vec![path.into()],
                }),
            },
        ))
        .await
        .unwrap();
}

/// A sync stream that says hello as `claimed_region` and renames `member_id`.
fn rename_attempt(member_id: &str, claimed_region: &str) -> Vec<SyncFromNode> {
    let mut forged = ProfileState {
        member_id: member_id.to_owned(),
        profile: Some(SharedProfile {
            display_name: "Rewritten".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    forged.stamps.insert(
        "display_name".into(),
        v1::Stamp {
            hlc: u64::MAX,
            region: claimed_region.to_owned(),
        },
    );
    vec![
        SyncFromNode {
            message: Some(sync_from_node::Message::Hello(NodeHello {
                region: claimed_region.to_owned(),
            })),
        },
        SyncFromNode {
            message: Some(sync_from_node::Message::Changes(ChangeBatch {
                last_outbox_id: 1,
                changes: vec![forged],
            })),
        },
    ]
}

/// Sends `messages` on a sync stream and returns the gateway's first refusal.
async fn first_refusal(channel: Channel, messages: Vec<SyncFromNode>) -> v1::Refused {
    let mut answers = FederationServiceClient::new(channel)
        .sync(tokio_stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    while let Some(answer) = answers.message().await.unwrap() {
        if let Some(sync_from_gateway::Message::Refused(refused)) = answer.message {
            return refused;
        }
    }
    panic!("the gateway accepted the change without refusing it");
}

async fn a_region_that_was_down_catches_up_from_its_cursor(backend: Backend) {
    let mut cluster = Cluster::start(backend).await;
    let mut client = cluster.members_via_gateway().await;
    let before = create(&mut client, "amsterdam", amira()).await;
    eventually("the first profile reaches Miami", || {
        let mut client = client.clone();
        let id = before.id.clone();
        async move { profile_in(&mut client, "miami", &id).await.is_some() }
    })
    .await;

    cluster.federation.stop_region("miami").await.unwrap();
    let mut while_away = Vec::new();
    for index in 0..25 {
        let member = member_named(
            &format!("Joined while Miami was away {index}"),
            v1::MemberRole::Newcomer,
        );
        while_away.push(create(&mut client, "amsterdam", member).await.id);
    }
    let mut renamed = before.clone();
    renamed.profile.as_mut().unwrap().display_name = "Amira H.".into();
    edit(&mut client, "amsterdam", renamed, "profile.display_name").await;

    cluster.federation.restart_region("miami").await.unwrap();
    eventually("Miami catches up on everything it missed", || {
        let mut client = client.clone();
        let ids = while_away.clone();
        let first = before.id.clone();
        async move {
            for id in &ids {
                if profile_in(&mut client, "miami", id).await.is_none() {
                    return false;
                }
            }
            profile_in(&mut client, "miami", &first)
                .await
                .and_then(|m| m.profile)
                .is_some_and(|p| p.display_name == "Amira H.")
        }
    })
    .await;

    let gateway = cluster.gateway().await;
    until_region_status(&gateway, "miami", "Miami reports no backlog", |r| {
        r.connected && r.backlog == 0 && r.cursor > 0
    })
    .await;
    cluster.stop().await;
}

/// A chapter of 1,050 members restarts: its sync clock starts above every
/// stamp stored, read a thousand members at a time, so an edit after the
/// restart wins over one made before it, even one a clock ran ahead for.
async fn a_restarted_region_stamps_above_every_stored_stamp_however_many_members(backend: Backend) {
    let mut cluster = Cluster::start(backend).await;
    let mut file = String::from("external_id;display_name;role;residence_status\r\n");
    for index in 0..1_050 {
        file += &format!("clock-{index:04};Member {index};local;citizen_or_resident\r\n");
    }
    let report = import_members(cluster.gateway().await, "amsterdam", file).await;
    assert_eq!(report.created.len(), 1_050);

    // While Amsterdam is down, the member last in the order the clock's start
    // reads them comes to hold a stamp a minute ahead (within the allowed skew),
    // as a clock running ahead would have left it.
    cluster.federation.stop_region("amsterdam").await.unwrap();
    use passage_node::store::entity::member;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};
    let db = Database::connect(cluster.database_urls["amsterdam"].as_str())
        .await
        .unwrap();
    let first = member::Entity::find()
        .order_by_asc(member::Column::Id)
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let last = member::Entity::find()
        .order_by_desc(member::Column::Id)
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let ahead = passage_proto::hlc::Hlc::new(passage_proto::hlc::wall_millis() + 60_000, 0);
    member::ActiveModel {
        id: Set(last),
        profile_stamps: Set(format!("{{\"display_name\":{}}}", ahead.as_u64())),
        ..Default::default()
    }
    .update(&db)
    .await
    .unwrap();

    cluster
        .federation
        .restart_region("amsterdam")
        .await
        .unwrap();
    let mut client_after = cluster.members_via_gateway().await;
    let mut renamed = client_after
        .get_member(to(
            "amsterdam",
            v1::GetMemberRequest {
                id: first.to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    renamed.profile.as_mut().unwrap().display_name = "Renamed after the restart".into();
    edit(
        &mut client_after,
        "amsterdam",
        renamed,
        "profile.display_name",
    )
    .await;

    let stored = member::Entity::find_by_id(first)
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .profile_stamps;
    let stamps: std::collections::BTreeMap<String, u64> = serde_json::from_str(&stored).unwrap();
    assert!(
        stamps["display_name"] > ahead.as_u64(),
        "the edit after the restart is stamped {}, below the stored {}",
        stamps["display_name"],
        ahead.as_u64()
    );
    cluster.stop().await;
}

/// GET a metrics page over plain HTTP/1.1 and return its body.
async fn scrape(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response.split_once("\r\n\r\n").unwrap().1.to_owned()
}
