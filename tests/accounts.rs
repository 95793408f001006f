//! People's accounts and sessions at the gateway (`AccountService`): a chapter
//! admin invites a member, who chooses a passphrase (not a short or a common one)
//! and is signed in; the session is checked on every call as a token is and opens
//! her own record only; wrong passphrases lock the account until a chapter admin
//! unlocks it; signing out and a new invitation end sessions; her session follows
//! her move and ends with her erasure; the database keeps no session's secret; a
//! browser's address is locked after many wrong passphrases, and only the web app
//! can name that address.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, Cluster, amira, create, eventually, member_named, operator, to};
use passage_proto::v1::{
    self, account_service_client::AccountServiceClient, member_service_client::MemberServiceClient,
};
use sea_orm::EntityTrait;
use tonic::Code;
use tonic::transport::Channel;

const PASSPHRASE: &str = "tulips along the amstel in may";

/// A request carrying `credential` (a session or a token), for `region` if named.
fn bearer<T>(credential: &str, region: Option<&str>, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {credential}").parse().unwrap(),
    );
    if let Some(region) = region {
        request
            .metadata_mut()
            .insert(passage_proto::REGION_METADATA_KEY, region.parse().unwrap());
    }
    request
}

fn accounts(channel: &Channel) -> AccountServiceClient<Channel> {
    AccountServiceClient::new(channel.clone())
}

/// Amsterdam's chapter admin invites member `member_id` as `login`; waits until
/// the directory knows the member (a moment after she was registered).
async fn invite(channel: &Channel, login: &str, member_id: &str) -> v1::InviteAccountResponse {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let request = v1::InviteAccountRequest {
            login: login.into(),
            kind: v1::AccountKind::Member as i32,
            region: "amsterdam".into(),
            member_id: member_id.into(),
            language: "nl".into(),
            organisation_id: String::new(),
        };
        match accounts(channel)
            .invite_account(to("amsterdam", request))
            .await
        {
            Ok(response) => return response.into_inner(),
            Err(status) if status.code() == Code::NotFound => {
                assert!(tokio::time::Instant::now() < deadline, "{status:?}");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(status) => panic!("inviting {login}: {status:?}"),
        }
    }
}

async fn accept(
    channel: &Channel,
    code: &str,
    passphrase: &str,
) -> Result<v1::SignInResponse, tonic::Status> {
    accounts(channel)
        .accept_invitation(v1::AcceptInvitationRequest {
            invitation_code: code.into(),
            passphrase: passphrase.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn sign_in(
    channel: &Channel,
    login: &str,
    passphrase: &str,
) -> Result<v1::SignInResponse, tonic::Status> {
    accounts(channel)
        .sign_in(v1::SignInRequest {
            login: login.into(),
            passphrase: passphrase.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn my_account(channel: &Channel, session: &str) -> Result<v1::Account, tonic::Status> {
    accounts(channel)
        .get_my_account(bearer(session, None, v1::GetMyAccountRequest {}))
        .await
        .map(tonic::Response::into_inner)
}

async fn get_member(
    channel: &Channel,
    session: &str,
    region: &str,
    id: &str,
) -> Result<v1::Member, tonic::Status> {
    MemberServiceClient::new(channel.clone())
        .get_member(bearer(
            session,
            Some(region),
            v1::GetMemberRequest { id: id.into() },
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// Amira, registered in Amsterdam, with an account she accepted: her id and session.
async fn amira_signed_up(cluster: &Cluster, channel: &Channel) -> (String, String) {
    let mut members = cluster.members_via_gateway().await;
    let amira = create(&mut members, "amsterdam", amira()).await;
    let invitation = invite(channel, "amira", &amira.id).await;
    let signed_in = accept(channel, &invitation.invitation_code, PASSPHRASE)
        .await
        .unwrap();
    (amira.id, signed_in.session)
}

fn refused<T: std::fmt::Debug>(result: Result<T, tonic::Status>, code: Code, says: &str) -> String {
    let status = result.expect_err("refused");
    assert_eq!(status.code(), code, "{status:?}");
    assert!(
        status.message().contains(says),
        "{:?} does not say {says:?}",
        status.message()
    );
    status.message().to_owned()
}

async fn an_invited_member_signs_up_and_sees_only_her_own_record(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let channel = cluster.gateway().await;
    let mut members = cluster.members_via_gateway().await;
    let amira = create(&mut members, "amsterdam", amira()).await;
    let bashir = create(
        &mut members,
        "amsterdam",
        member_named("Bashir Rahimi", v1::MemberRole::Newcomer),
    )
    .await;

    let invitation = invite(&channel, "Amira.Haddad", &amira.id).await;
    assert!(invitation.invitation_code.starts_with("psi_"));
    let account = invitation.account.unwrap();
    assert_eq!(account.login, "amira.haddad", "logins are kept lowercase");
    assert!(!account.active);

    // Short and common passphrases are refused, naming the field.
    let code = &invitation.invitation_code;
    refused(
        accept(&channel, code, "too short").await,
        Code::InvalidArgument,
        "passphrase: must be at least 12",
    );
    refused(
        accept(&channel, code, "Password1234").await,
        Code::InvalidArgument,
        "passphrase:",
    );
    refused(
        accept(&channel, code, "qwertyuiopasdfgh").await,
        Code::InvalidArgument,
        "common",
    );

    let signed_in = accept(&channel, code, PASSPHRASE).await.unwrap();
    assert!(signed_in.session.starts_with(passage_proto::SESSION_PREFIX));
    let account = signed_in.account.unwrap();
    assert!(account.active);
    assert_eq!(
        (account.region.as_str(), account.language.as_str()),
        ("amsterdam", "nl")
    );
    refused(
        accept(&channel, code, PASSPHRASE).await,
        Code::Unauthenticated,
        "used already",
    );

    // Her session opens her own record, and no one else's.
    let session = &signed_in.session;
    let own = get_member(&channel, session, "amsterdam", &amira.id)
        .await
        .unwrap();
    assert_eq!(own.id, amira.id);
    refused(
        get_member(&channel, session, "amsterdam", &bashir.id).await,
        Code::PermissionDenied,
        "own",
    );
    refused(
        get_member(&channel, session, "miami", &amira.id).await,
        Code::PermissionDenied,
        "region miami",
    );

    // Her account, in her language.
    let changed = accounts(&channel)
        .set_my_language(bearer(
            session,
            None,
            v1::SetMyLanguageRequest {
                language: "ar".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(changed.language, "ar");
    assert_eq!(my_account(&channel, session).await.unwrap().language, "ar");
    // A token is not a session.
    refused(
        accounts(&channel)
            .get_my_account(operator(v1::GetMyAccountRequest {}))
            .await,
        Code::PermissionDenied,
        "session",
    );
    // A made-up session is refused without its secret in the message.
    let made_up = format!("pss_{}_{}", "0".repeat(16), "1".repeat(64));
    let message = refused(
        my_account(&channel, &made_up).await,
        Code::Unauthenticated,
        "not known",
    );
    assert!(!message.contains(&"1".repeat(64)));

    // The database keeps no session's secret.
    let db = passage_migrations::connect::<passage_migrations::GatewayMigrator>(
        &cluster.database_urls["gateway"],
        1,
    )
    .await
    .unwrap();
    let secret = session.rsplit('_').next().unwrap();
    let rows = passage_gateway::store::entity::account_session::Entity::find()
        .all(&db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(
        !format!("{rows:?}").contains(secret),
        "a session's secret is stored"
    );
    let accounts_rows = passage_gateway::store::entity::account::Entity::find()
        .all(&db)
        .await
        .unwrap();
    assert!(
        accounts_rows[0]
            .passphrase_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2id$")
    );
    assert!(!format!("{accounts_rows:?}").contains(PASSPHRASE));
    cluster.stop().await;
}

async fn wrong_passphrases_lock_the_account_until_a_chapter_admin_unlocks_it(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let channel = cluster.gateway().await;
    let (_, session) = amira_signed_up(&cluster, &channel).await;

    // Wrong passphrases say nothing of whether the login exists.
    let unknown = refused(
        sign_in(&channel, "nobody", "not her passphrase at all").await,
        Code::Unauthenticated,
        "not right",
    );
    for _ in 0..4 {
        let wrong = refused(
            sign_in(&channel, "amira", "not her passphrase at all").await,
            Code::Unauthenticated,
            "not right",
        );
        assert_eq!(wrong, unknown);
    }
    // The fifth locks her account, and then even her passphrase is refused.
    let locked = refused(
        sign_in(&channel, "amira", "not her passphrase at all").await,
        Code::ResourceExhausted,
        "locked",
    );
    assert!(
        locked.contains("until") && locked.contains("chapter admin"),
        "{locked}"
    );
    refused(
        sign_in(&channel, "amira", PASSPHRASE).await,
        Code::ResourceExhausted,
        "chapter admin can unlock",
    );
    let account = my_account(&channel, &session).await.unwrap();
    assert!(
        account.locked_until.is_some(),
        "her session still works and shows the lock"
    );

    // Miami's chapter admin cannot unlock her; her own session cannot either.
    let unlock = || v1::UnlockAccountRequest {
        login: "amira".into(),
    };
    refused(
        accounts(&channel)
            .unlock_account(to("miami", unlock()))
            .await,
        Code::PermissionDenied,
        "not an account of their region",
    );
    refused(
        accounts(&channel)
            .unlock_account(bearer(&session, None, unlock()))
            .await,
        Code::PermissionDenied,
        "member",
    );
    let unlocked = accounts(&channel)
        .unlock_account(to("amsterdam", unlock()))
        .await
        .unwrap()
        .into_inner();
    assert!(unlocked.locked_until.is_none());
    let again = sign_in(&channel, "amira", PASSPHRASE).await.unwrap();
    assert_ne!(again.session, session, "every sign-in makes a new session");

    // A lock also ends by itself, after `[accounts] lock_seconds`.
    for _ in 0..5 {
        let _ = sign_in(&channel, "amira", "not her passphrase at all").await;
    }
    refused(
        sign_in(&channel, "amira", PASSPHRASE).await,
        Code::ResourceExhausted,
        "locked",
    );
    tokio::time::sleep(std::time::Duration::from_secs(common::TEST_LOCK_SECONDS)).await;
    sign_in(&channel, "amira", PASSPHRASE).await.unwrap();
    cluster.stop().await;
}

async fn signing_out_and_a_new_invitation_end_sessions(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let channel = cluster.gateway().await;
    let (amira_id, first) = amira_signed_up(&cluster, &channel).await;
    let second = sign_in(&channel, "amira", PASSPHRASE)
        .await
        .unwrap()
        .session;

    // Signing out ends that session only.
    accounts(&channel)
        .sign_out(bearer(&second, None, v1::SignOutRequest {}))
        .await
        .unwrap();
    refused(
        my_account(&channel, &second).await,
        Code::Unauthenticated,
        "ended",
    );
    my_account(&channel, &first).await.unwrap();

    // She forgot her passphrase: a new invitation ends every session of hers.
    let invitation = invite(&channel, "amira", &amira_id).await;
    refused(
        my_account(&channel, &first).await,
        Code::Unauthenticated,
        "ended",
    );
    // Her new passphrase replaces the old one.
    let new_passphrase = "herring with onions at the market";
    let third = accept(&channel, &invitation.invitation_code, new_passphrase)
        .await
        .unwrap();
    my_account(&channel, &third.session).await.unwrap();
    refused(
        sign_in(&channel, "amira", PASSPHRASE).await,
        Code::Unauthenticated,
        "not right",
    );
    sign_in(&channel, "amira", new_passphrase).await.unwrap();
    cluster.stop().await;
}

async fn her_session_follows_her_move_and_ends_with_her_erasure(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let channel = cluster.gateway().await;
    let (amira_id, session) = amira_signed_up(&cluster, &channel).await;
    let mut members = cluster.members_via_gateway().await;
    eventually("her profile reaches Washington DC", || {
        let mut members = members.clone();
        let id = amira_id.clone();
        async move {
            common::profile_in(&mut members, "washington-dc", &id)
                .await
                .is_some()
        }
    })
    .await;

    // She confirms her move with her own session; DC's chapter admin takes her in.
    passage_proto::v1::move_service_client::MoveServiceClient::new(channel.clone())
        .confirm_move(bearer(
            &session,
            Some("amsterdam"),
            v1::ConfirmMoveRequest {
                destination_region: "washington-dc".into(),
            },
        ))
        .await
        .unwrap();
    members
        .transfer_member(to(
            "washington-dc",
            v1::TransferMemberRequest {
                member_id: amira_id.clone(),
                regional: Some(v1::RegionalRecord {
                    role: v1::MemberRole::Newcomer as i32,
                    residence_status: v1::ResidenceStatus::StatusHolder as i32,
                    ..Default::default()
                }),
                requested_by: "chapter admin of washington-dc".into(),
            },
        ))
        .await
        .unwrap();
    eventually("her session speaks for her in her new home", || {
        let channel = channel.clone();
        let session = session.clone();
        async move { my_account(&channel, &session).await.unwrap().region == "washington-dc" }
    })
    .await;
    get_member(&channel, &session, "washington-dc", &amira_id)
        .await
        .unwrap();
    refused(
        get_member(&channel, &session, "amsterdam", &amira_id).await,
        Code::PermissionDenied,
        "region amsterdam",
    );

    // Washington DC erases her: her session, account and login are gone.
    members
        .delete_member(to(
            "washington-dc",
            v1::DeleteMemberRequest {
                id: amira_id.clone(),
            },
        ))
        .await
        .unwrap();
    eventually("her session ends with her erasure", || {
        let channel = channel.clone();
        let session = session.clone();
        async move {
            matches!(my_account(&channel, &session).await, Err(status) if status.code() == Code::Unauthenticated)
        }
    })
    .await;
    refused(
        sign_in(&channel, "amira", PASSPHRASE).await,
        Code::Unauthenticated,
        "not right",
    );
    cluster.stop().await;
}

/// A channel to the gateway showing the web app's certificate (`web.passage`).
async fn as_the_web_app(cluster: &Cluster) -> Channel {
    use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
    let certs = cluster.certs();
    let web = certs.web();
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(
            std::fs::read(certs.ca().cert).unwrap(),
        ))
        .domain_name(passage_proto::GATEWAY_TLS_NAME)
        .identity(Identity::from_pem(
            std::fs::read(web.cert).unwrap(),
            std::fs::read(web.key).unwrap(),
        ));
    Endpoint::from_shared(cluster.federation.gateway_endpoint())
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .unwrap()
}

async fn sign_in_from(
    channel: &Channel,
    address: &str,
    login: &str,
    passphrase: &str,
) -> Result<v1::SignInResponse, tonic::Status> {
    let mut request = tonic::Request::new(v1::SignInRequest {
        login: login.into(),
        passphrase: passphrase.into(),
    });
    request.metadata_mut().insert(
        passage_proto::CLIENT_ADDRESS_METADATA_KEY,
        address.parse().unwrap(),
    );
    accounts(channel)
        .sign_in(request)
        .await
        .map(tonic::Response::into_inner)
}

/// Wrong passphrases from one browser lock that browser's address, whatever the
/// logins; the gateway takes the address the web app passes only from the web
/// app's certificate, so no other client can pin its failures on someone else.
async fn a_browsers_address_is_locked_and_only_the_web_app_names_it(backend: Backend) {
    let cluster = Cluster::start_secured(backend).await;
    let channel = cluster.gateway().await;
    let (_, _) = amira_signed_up(&cluster, &channel).await;
    let web = as_the_web_app(&cluster).await;
    let max = passage_gateway::settings::AccountSettings::default().max_failures_per_address;
    let attacker = "203.0.113.7";
    for attempt in 1..max {
        refused(
            sign_in_from(
                &web,
                attacker,
                &format!("guess{attempt}"),
                "not anyones passphrase",
            )
            .await,
            Code::Unauthenticated,
            "not right",
        );
    }
    refused(
        sign_in_from(&web, attacker, "guess", "not anyones passphrase").await,
        Code::ResourceExhausted,
        "this address",
    );
    // Even Amira's own passphrase is refused from that address...
    refused(
        sign_in_from(&web, attacker, "amira", PASSPHRASE).await,
        Code::ResourceExhausted,
        "this address",
    );
    // ...but not from another browser behind the web app,
    sign_in_from(&web, "198.51.100.20", "amira", PASSPHRASE)
        .await
        .unwrap();
    // and a client without the web app's certificate cannot name an address: its
    // own (127.0.0.1) counts, which is not locked.
    sign_in_from(&channel, attacker, "amira", PASSPHRASE)
        .await
        .unwrap();
    cluster.stop().await;
}

/// Amsterdam's chapter admin looks after her region's accounts: she lists them
/// (Miami's are not hers to see), and revokes Amira's, which ends her session at
/// once and stops her passphrase; Miami's chapter admin may not revoke it; a new
/// invitation lets Amira in again.
async fn a_chapter_admin_lists_and_revokes_her_regions_accounts(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let channel = cluster.gateway().await;
    let (_, session) = amira_signed_up(&cluster, &channel).await;
    let mut members = cluster.members_via_gateway().await;
    let rosa = create(
        &mut members,
        "miami",
        member_named("Rosa Jean-Louis", v1::MemberRole::Newcomer),
    )
    .await;
    cluster.invite_member("miami", "rosa", &rosa.id, "es").await;

    let listed = accounts(&channel)
        .list_accounts(to("amsterdam", v1::ListAccountsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let logins: Vec<&str> = listed.accounts.iter().map(|a| a.login.as_str()).collect();
    assert_eq!(logins, ["amira"], "Amsterdam's accounts only");
    assert!(listed.accounts[0].active);
    assert_eq!(listed.accounts[0].region, "amsterdam");
    let miami = accounts(&channel)
        .list_accounts(to(
            "miami",
            v1::ListAccountsRequest {
                kind: v1::AccountKind::Member as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(miami.accounts.len(), 1);
    assert_eq!(miami.accounts[0].login, "rosa");
    assert!(
        !miami.accounts[0].active,
        "Rosa has not chosen a passphrase yet"
    );
    refused(
        accounts(&channel)
            .list_accounts(to(
                "amsterdam",
                v1::ListAccountsRequest {
                    organisation_id: "not-an-id".into(),
                    ..Default::default()
                },
            ))
            .await,
        Code::InvalidArgument,
        "organisation_id",
    );

    refused(
        accounts(&channel)
            .revoke_account(to(
                "miami",
                v1::RevokeAccountRequest {
                    login: "amira".into(),
                },
            ))
            .await,
        Code::PermissionDenied,
        "not an account of their region",
    );
    my_account(&channel, &session).await.unwrap();
    let revoked = accounts(&channel)
        .revoke_account(to(
            "amsterdam",
            v1::RevokeAccountRequest {
                login: "Amira".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!revoked.active);
    refused(
        my_account(&channel, &session).await,
        Code::Unauthenticated,
        "ended",
    );
    refused(
        sign_in(&channel, "amira", PASSPHRASE).await,
        Code::Unauthenticated,
        "not right",
    );
    refused(
        accounts(&channel)
            .revoke_account(to(
                "amsterdam",
                v1::RevokeAccountRequest {
                    login: "nobody-here".into(),
                },
            ))
            .await,
        Code::NotFound,
        "login",
    );

    // Invited again, she chooses a passphrase and is in.
    let amira_id = revoked.member_id.clone();
    let invitation = invite(&channel, "amira", &amira_id).await;
    accept(&channel, &invitation.invitation_code, PASSPHRASE)
        .await
        .unwrap();
    sign_in(&channel, "amira", PASSPHRASE).await.unwrap();
    cluster.stop().await;
}

on_both_backends!(
    a_chapter_admin_lists_and_revokes_her_regions_accounts,
    a_browsers_address_is_locked_and_only_the_web_app_names_it,
    an_invited_member_signs_up_and_sees_only_her_own_record,
    wrong_passphrases_lock_the_account_until_a_chapter_admin_unlocks_it,
    signing_out_and_a_new_invitation_end_sessions,
    her_session_follows_her_move_and_ends_with_her_erasure,
);

/// `passage admin account invite|unlock` on the gateway's host, against its
/// database: the invitation code is printed once, the invited person accepts it,
/// and a lock is lifted by login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_host_invites_and_unlocks_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("gateway.db").display()
    );
    let config = dir.path().join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[database]\nurl = \"{database}\"\n\
             [[regions]]\nslug = \"amsterdam\"\nname = \"Amsterdam\"\nendpoint = \"http://127.0.0.1:1\"\n\
             [auth]\ncaller_key_file = \"caller.key\"\n[accounts]\nlock_seconds = 60\n"
        ),
    )
    .unwrap();
    let passage = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_passage"))
            .args(args)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let config = config.to_str().unwrap();
    let (ok, printed, errors) = passage(&[
        "admin",
        "account",
        "invite",
        "--config",
        config,
        "--login",
        "fatima",
        "--kind",
        "chapter_admin",
        "--region",
        "amsterdam",
    ]);
    assert!(ok, "{errors}");
    let code = printed.lines().last().unwrap();
    assert!(code.starts_with("psi_"), "{printed}");

    // A chapter admin account names its region.
    let (ok, _, errors) = passage(&[
        "admin",
        "account",
        "invite",
        "--config",
        config,
        "--login",
        "nadia",
        "--kind",
        "chapter_admin",
    ]);
    assert!(!ok && errors.contains("region"), "{errors}");

    let db = passage_migrations::connect::<passage_migrations::GatewayMigrator>(&database, 1)
        .await
        .unwrap();
    let store = passage_gateway::accounts::AccountStore::new(
        db,
        passage_gateway::settings::AccountSettings {
            failure_delay_ms: 0,
            ..Default::default()
        },
        vec!["amsterdam".into()],
    );
    let (_, account) = store.accept(code, PASSPHRASE).await.unwrap();
    assert_eq!(account.region.as_deref(), Some("amsterdam"));
    for _ in 0..5 {
        let _ = store
            .sign_in("fatima", "not her passphrase at all", "192.0.2.1")
            .await;
    }
    let locked = store
        .sign_in("fatima", PASSPHRASE, "192.0.2.2")
        .await
        .unwrap_err();
    assert!(locked.to_string().contains("locked"), "{locked}");

    let (ok, printed, errors) = passage(&[
        "admin", "account", "unlock", "--config", config, "--login", "fatima",
    ]);
    assert!(ok, "{errors}");
    assert!(printed.contains("unlocked"), "{printed}");
    store
        .sign_in("fatima", PASSPHRASE, "192.0.2.2")
        .await
        .unwrap();
}
