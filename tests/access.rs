//! Who may call what. The authorisation matrix: every RPC of every Passage service,
//! called by every kind of caller — no token, a member, Amsterdam's chapter admin,
//! Miami's chapter admin calling Amsterdam, an Amsterdam employer's contact (with a
//! token and signed in), the central analyst, the operator, an
//! expired, a revoked and a made-up token — through the gateway, and straight at
//! Amsterdam's node with a token or with another region's seal — and a member
//! signed in with a session rather than a token. The expected
//! outcome of each cell comes from the table below, written from the roles as the
//! chapter admins and the central team know them; the test checks the table covers
//! every method the API has.
//!
//! Then the stories around it: a member reads and changes only their own profile,
//! applications, event registrations, group memberships, helpdesk questions and buddy
//! pairs, a revoked token stops working at once, the chapter admin reads
//! who looked at a member's record in the audit log, and no token ever reaches a
//! log line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use common::{Backend, Cluster, amira, create, to};
use passage_gateway::tokens::{TokenGrant, TokenStore};
use passage_proto::v1::{
    self, audit_service_client::AuditServiceClient, buddy_service_client::BuddyServiceClient,
    case_service_client::CaseServiceClient, event_service_client::EventServiceClient,
    group_service_client::GroupServiceClient, helpdesk_service_client::HelpdeskServiceClient,
    member_service_client::MemberServiceClient, placement_service_client::PlacementServiceClient,
};
use passage_server::access::Role;
use prost::Message;
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;

/// What a call gets from the access layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The layer let it through; the service answered (OK or its own error).
    Admitted,
    /// `UNAUTHENTICATED`: no caller could be established.
    Unauthenticated,
    /// `PERMISSION_DENIED`: a known caller who may not make this call.
    Denied,
}
use Outcome::{Admitted, Denied, Unauthenticated};

/// Who a service is for, as the people running Passage describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    /// One region's data and rules: its chapter admin.
    Chapter,
    /// The federation's machinery: the operator.
    Operators,
    /// Aggregate figures: the central analyst (and the operator).
    CentralTeam,
    /// A region's exact counts: the gateway, or that region's chapter admin.
    RegionCounts,
    /// Nodes over mTLS only, never a token holder.
    RegionNodes,
    /// The member themself, and nobody else: confirming their own move.
    TheMemberOnly,
    /// The gateway itself, telling a member's home node what happened at the
    /// gateway (a move declined, an invitation to mail): no token holder, no
    /// person signed in, not even a chapter admin.
    TheGateway,
    /// People's accounts at the gateway: signing in is open (it is how one gets a
    /// credential), one's own account needs a session, and inviting and unlocking
    /// are for chapter admins (their own region's accounts, which the handler
    /// checks) and operators.
    People,
}

/// Every service and who it is for.
const SERVICES: [(&str, Audience); 24] = [
    ("passage.v1.MemberService", Audience::Chapter),
    ("passage.v1.MarketService", Audience::Chapter),
    ("passage.v1.ReviewService", Audience::Chapter),
    ("passage.v1.BuddyService", Audience::Chapter),
    ("passage.v1.RulesService", Audience::Chapter),
    ("passage.v1.MatchService", Audience::Chapter),
    ("passage.v1.GroupService", Audience::Chapter),
    ("passage.v1.EventService", Audience::Chapter),
    ("passage.v1.CoachingService", Audience::Chapter),
    ("passage.v1.ExpertPoolService", Audience::Chapter),
    ("passage.v1.CaseService", Audience::Chapter),
    ("passage.v1.PlacementService", Audience::Chapter),
    ("passage.v1.HelpdeskService", Audience::Chapter),
    ("passage.v1.AuditService", Audience::Chapter),
    ("passage.v1.SpreadsheetService", Audience::Chapter),
    ("passage.v1.NotificationService", Audience::Chapter),
    ("passage.v1.FederationAdminService", Audience::Operators),
    ("passage.v1.GlobalStatsService", Audience::CentralTeam),
    ("passage.v1.RegionStatsService", Audience::RegionCounts),
    ("passage.v1.FederationService", Audience::RegionNodes),
    ("passage.v1.MoveService", Audience::TheMemberOnly),
    ("passage.v1.AccountService", Audience::People),
    ("passage.v1.PersonalDataService", Audience::People),
    ("grpc.health.v1.Health", Audience::Chapter),
];

/// What a member may do for themself: their profile, their matches, their
/// What a member may do for themself: their profile, their matches, their
/// applications, their region's events (registering and cancelling) and groups
/// (joining and leaving, seeing meetings), their helpdesk questions and the
/// knowledge base, their buddy pairs, their notifications and preferences, asking another region to take them in when
/// they move, reading every region's records about them, and erasing themself.
const MEMBER_OWN: [&str; 33] = [
    "passage.v1.MemberService/GetMember",
    "passage.v1.MemberService/UpdateMember",
    "passage.v1.MemberService/DeleteMember",
    "passage.v1.MemberService/TransferMember",
    "passage.v1.MemberService/ExportMemberRecords",
    "passage.v1.MatchService/MatchOpportunities",
    "passage.v1.PlacementService/Apply",
    "passage.v1.PlacementService/GetApplication",
    "passage.v1.PlacementService/WithdrawApplication",
    "passage.v1.PlacementService/ShareEmployerConditions",
    "passage.v1.PlacementService/ListApplications",
    "passage.v1.EventService/ListEvents",
    "passage.v1.EventService/GetEvent",
    "passage.v1.EventService/RegisterForEvent",
    "passage.v1.EventService/CancelEventRegistration",
    "passage.v1.EventService/ListEventRegistrations",
    "passage.v1.GroupService/ListGroups",
    "passage.v1.GroupService/GetGroup",
    "passage.v1.GroupService/JoinGroup",
    "passage.v1.GroupService/LeaveGroup",
    "passage.v1.GroupService/ListMemberGroups",
    "passage.v1.GroupService/ListMeetings",
    "passage.v1.HelpdeskService/AskQuestion",
    "passage.v1.HelpdeskService/GetQuestion",
    "passage.v1.HelpdeskService/ListQuestions",
    "passage.v1.HelpdeskService/SearchArticles",
    "passage.v1.HelpdeskService/GetArticle",
    "passage.v1.HelpdeskService/ListArticles",
    "passage.v1.BuddyService/ListBuddyPairs",
    "passage.v1.NotificationService/GetNotificationSettings",
    "passage.v1.NotificationService/UpdateNotificationSettings",
    "passage.v1.NotificationService/ListNotifications",
    "passage.v1.NotificationService/MarkNotificationsRead",
];

/// What a member may call in a community role (newcomer reviewer, superlocal,
/// coach): the layer lets a member through to their home node, whose handler
/// decides from its own data whether they hold the role.
const MEMBER_COMMUNITY: [&str; 15] = [
    "passage.v1.MemberService/GetMyCommunityRoles",
    "passage.v1.ReviewService/ListOpportunitiesToReview",
    "passage.v1.ReviewService/ReviewOpportunity",
    "passage.v1.HelpdeskService/AnswerQuestion",
    "passage.v1.HelpdeskService/CreateArticle",
    "passage.v1.HelpdeskService/SetTranslation",
    "passage.v1.CoachingService/ListCoachedCohorts",
    "passage.v1.CoachingService/GetCohort",
    "passage.v1.CoachingService/ListCohortParticipants",
    "passage.v1.CoachingService/ListCoachingSessions",
    "passage.v1.CoachingService/RecordSessionAttendance",
    "passage.v1.CoachingService/RecordParticipantOutcome",
    "passage.v1.CoachingService/GetCohortReport",
    "passage.v1.CoachingService/RecordAftercareContact",
    "passage.v1.CoachingService/ListAftercareContacts",
];

/// What an organisation's contact may do for their own organisation: read it,
/// write, edit and submit its opportunities, see and move the applications to
/// them, match members to them, present them at the region's fairs (and read
/// its events), read its inbox; the handlers hold them to their own organisation.
const ORGANISATION_OWN: [&str; 17] = [
    "passage.v1.MarketService/GetOrganisation",
    "passage.v1.MarketService/CreateOpportunity",
    "passage.v1.MarketService/GetOpportunity",
    "passage.v1.MarketService/ListOpportunities",
    "passage.v1.MarketService/UpdateOpportunity",
    "passage.v1.ReviewService/SubmitForReview",
    "passage.v1.PlacementService/GetApplication",
    "passage.v1.PlacementService/ListApplications",
    "passage.v1.PlacementService/MoveApplication",
    "passage.v1.PlacementService/AcceptApplication",
    "passage.v1.MatchService/MatchMembers",
    "passage.v1.EventService/ListEvents",
    "passage.v1.EventService/GetEvent",
    "passage.v1.EventService/AddFairPresentation",
    "passage.v1.EventService/ListFairPresentations",
    "passage.v1.NotificationService/ListNotifications",
    "passage.v1.NotificationService/MarkNotificationsRead",
];

/// What the gateway alone tells a region's node, with its own seal: a member's
/// home that her move was declined or that she was invited, a move's destination
/// that a member waits.
const THE_GATEWAYS_OWN: [&str; 3] = [
    "passage.v1.NotificationService/TellMoveDeclined",
    "passage.v1.NotificationService/SendInvitation",
    "passage.v1.NotificationService/TellMoveWaiting",
];

/// What the gateway serves a region's chapter admin itself, in services that are
/// otherwise the member's or the operators': the moves waiting to be accepted in
/// her region (and declining one), and her region's own line of the sync status.
const CHAPTER_AT_THE_GATEWAY: [&str; 3] = [
    "passage.v1.MoveService/ListIncomingMoves",
    "passage.v1.MoveService/DeclineMove",
    "passage.v1.FederationAdminService/GetRegionSyncStatus",
];

/// The callers of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    NoToken,
    Member,
    /// Amira signed in: her session, not a token.
    MemberSession,
    /// A token of a contact of an Amsterdam employer.
    Organisation,
    /// That employer's contact signed in: their session.
    OrganisationSession,
    AmsterdamAdmin,
    MiamiAdminInAmsterdam,
    CentralAnalyst,
    Operator,
    ExpiredToken,
    RevokedToken,
    MadeUpToken,
    /// Amsterdam's chapter admin token, sent straight to Amsterdam's node.
    TokenAtTheNode,
    /// A chapter admin sealed with Miami's key, sent to Amsterdam's node.
    MiamiSealAtAmsterdam,
}

const EVERYONE: [Who; 14] = [
    Who::NoToken,
    Who::Member,
    Who::MemberSession,
    Who::Organisation,
    Who::OrganisationSession,
    Who::AmsterdamAdmin,
    Who::MiamiAdminInAmsterdam,
    Who::CentralAnalyst,
    Who::Operator,
    Who::ExpiredToken,
    Who::RevokedToken,
    Who::MadeUpToken,
    Who::TokenAtTheNode,
    Who::MiamiSealAtAmsterdam,
];

/// The expected outcome of `who` calling `method` of `service`.
fn expected(service: &str, method: &str, who: Who) -> Outcome {
    let audience = SERVICES
        .iter()
        .find(|(name, _)| *name == service)
        .map(|(_, audience)| *audience)
        .unwrap_or_else(|| panic!("{service} is missing from the table"));
    let audience = if CHAPTER_AT_THE_GATEWAY.contains(&format!("{service}/{method}").as_str()) {
        Audience::Chapter
    } else if THE_GATEWAYS_OWN.contains(&format!("{service}/{method}").as_str()) {
        Audience::TheGateway
    } else {
        audience
    };
    if service == "grpc.health.v1.Health" {
        return Admitted; // probes need no token
    }
    if service == "passage.v1.NotificationService" && method == "Unsubscribe" {
        return Admitted; // a mail's one-click link: the node checks its signature
    }
    if audience == Audience::People {
        return people(method, who);
    }
    match who {
        // A node serves no sync hub: the layer passes the call on to UNIMPLEMENTED.
        Who::TokenAtTheNode | Who::MiamiSealAtAmsterdam if audience == Audience::RegionNodes => {
            Admitted
        }
        Who::NoToken
        | Who::ExpiredToken
        | Who::RevokedToken
        | Who::MadeUpToken
        | Who::TokenAtTheNode
        | Who::MiamiSealAtAmsterdam => Unauthenticated,
        // A token opens no node's sync stream or move: the region certificate does.
        _ if audience == Audience::RegionNodes => Unauthenticated,
        Who::Member | Who::MemberSession => {
            let path = format!("{service}/{method}");
            if audience == Audience::TheMemberOnly
                || MEMBER_OWN.contains(&path.as_str())
                || MEMBER_COMMUNITY.contains(&path.as_str())
            {
                Admitted
            } else {
                Denied
            }
        }
        Who::Organisation | Who::OrganisationSession => {
            if ORGANISATION_OWN.contains(&format!("{service}/{method}").as_str()) {
                Admitted
            } else {
                Denied
            }
        }
        Who::AmsterdamAdmin => match audience {
            Audience::Chapter | Audience::RegionCounts => Admitted,
            _ => Denied,
        },
        Who::MiamiAdminInAmsterdam => Denied,
        Who::CentralAnalyst => match audience {
            Audience::CentralTeam => Admitted,
            _ => Denied,
        },
        Who::Operator => match audience {
            Audience::Operators | Audience::CentralTeam => Admitted,
            _ => Denied,
        },
    }
}

/// The expected outcome of `who` calling `method` of `AccountService`.
fn people(method: &str, who: Who) -> Outcome {
    let no_caller = matches!(
        who,
        Who::NoToken
            | Who::ExpiredToken
            | Who::RevokedToken
            | Who::MadeUpToken
            | Who::TokenAtTheNode
            | Who::MiamiSealAtAmsterdam
    );
    match method {
        // Open: the handler answers (here: the empty request lacks its fields).
        "SignIn" | "AcceptInvitation" | "GetErasureReceipt" => Admitted,
        // A person's own: a session (the handler checks it is a member's).
        "SignOut" | "GetMyAccount" | "SetMyLanguage" => match who {
            Who::MemberSession | Who::OrganisationSession => Admitted,
            _ if no_caller => Unauthenticated,
            // A token is not a session.
            _ => Denied,
        },
        // A member's own data: the handler refuses other kinds of account.
        "ExportMyData" | "EraseMe" => match who {
            Who::MemberSession => Admitted,
            _ if no_caller => Unauthenticated,
            // A token is not a session.
            _ => Denied,
        },
        "InviteAccount" | "UnlockAccount" | "ListAccounts" | "RevokeAccount" => match who {
            // The handler holds a chapter admin to their region's accounts.
            Who::AmsterdamAdmin | Who::MiamiAdminInAmsterdam | Who::Operator => Admitted,
            _ if no_caller => Unauthenticated,
            _ => Denied,
        },
        _ => panic!("{method} of the people's services is missing from the table"),
    }
}

/// Sends and receives message bytes as they are: every request of the matrix is
/// the empty message, which every request type decodes.
#[derive(Debug, Clone, Copy, Default)]
struct RawBytes;

impl Codec for RawBytes {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawBytes;
    type Decoder = RawBytes;
    fn encoder(&mut self) -> RawBytes {
        RawBytes
    }
    fn decoder(&mut self) -> RawBytes {
        RawBytes
    }
}

impl Encoder for RawBytes {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        bytes::BufMut::put_slice(dst, &item);
        Ok(())
    }
}

impl Decoder for RawBytes {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        let remaining = bytes::Buf::remaining(src);
        Ok(Some(bytes::Buf::copy_to_bytes(src, remaining).to_vec()))
    }
}

/// Every method of the API: service, method, and whether the client streams.
fn every_method() -> Vec<(String, String, bool)> {
    let files = prost_types::FileDescriptorSet::decode(passage_proto::FILE_DESCRIPTOR_SET).unwrap();
    let mut methods = Vec::new();
    for file in &files.file {
        for service in &file.service {
            for method in &service.method {
                methods.push((
                    format!("{}.{}", file.package(), service.name()),
                    method.name().to_owned(),
                    method.client_streaming(),
                ));
            }
        }
    }
    methods.push(("grpc.health.v1.Health".into(), "Check".into(), false));
    methods
}

/// The outcome class of a call's status.
fn outcome_of(result: Result<(), tonic::Status>) -> (Outcome, String) {
    match result {
        Ok(()) => (Admitted, "OK".into()),
        Err(status) => {
            let outcome = match status.code() {
                Code::Unauthenticated => Unauthenticated,
                Code::PermissionDenied => Denied,
                _ => Admitted,
            };
            (
                outcome,
                format!("{:?}: {}", status.code(), status.message()),
            )
        }
    }
}

/// Makes one call with an empty message and returns how it came back.
async fn call(
    channel: Channel,
    path: &str,
    streaming: bool,
    metadata: &[(&'static str, String)],
) -> Result<(), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let path = http::uri::PathAndQuery::from_str(path).unwrap();
    fn fill<T>(request: &mut tonic::Request<T>, metadata: &[(&'static str, String)]) {
        for (key, value) in metadata {
            request.metadata_mut().insert(*key, value.parse().unwrap());
        }
    }
    if streaming {
        // The sync stream opens with a node's hello.
        let hello = v1::SyncFromNode {
            message: Some(v1::sync_from_node::Message::Hello(v1::NodeHello {
                region: "amsterdam".into(),
            })),
        };
        let mut request = tonic::Request::new(tokio_stream::iter(vec![hello.encode_to_vec()]));
        fill(&mut request, metadata);
        let mut answers = grpc.streaming(request, path, RawBytes).await?.into_inner();
        answers.message().await?;
        Ok(())
    } else {
        let mut request = tonic::Request::new(Vec::new());
        fill(&mut request, metadata);
        grpc.unary(request, path, RawBytes).await.map(|_| ())
    }
}

/// The passphrase of the employer's contact in the matrix.
const ORGANISATION_PASSPHRASE: &str = "cranes over the ij at dawn";

/// The tokens of the matrix's callers.
struct Callers {
    tokens: BTreeMap<Who, String>,
}

async fn token_store(cluster: &Cluster) -> TokenStore {
    let db = passage_migrations::connect::<passage_migrations::GatewayMigrator>(
        &cluster.database_urls["gateway"],
        1,
    )
    .await
    .unwrap();
    TokenStore::new(db)
}

fn regions() -> Vec<String> {
    passage::demo::REGIONS
        .iter()
        .map(|r| r.0.to_owned())
        .collect()
}

fn grant(role: Role, region: Option<&str>, member: Option<&str>) -> TokenGrant {
    TokenGrant {
        role,
        region: region.map(str::to_owned),
        member_id: member.map(str::to_owned),
        organisation_id: None,
        label: format!("{role} in the authorisation matrix"),
        expires_at: chrono::Utc::now() + chrono::Duration::days(1),
    }
}

/// Amsterdam's audit log as its chapter admin reads it.
async fn audit_entries(
    audit: &AuditServiceClient<Channel>,
    request: v1::ListAuditEntriesRequest,
) -> Vec<v1::AuditEntry> {
    audit
        .clone()
        .list_audit_entries(to("amsterdam", request))
        .await
        .unwrap()
        .into_inner()
        .entries
}

/// Registers Amira in Amsterdam and makes every caller's token.
async fn callers(cluster: &Cluster) -> Callers {
    let mut members = MemberServiceClient::new(cluster.gateway().await);
    let member = create(&mut members, "amsterdam", amira()).await;
    let store = token_store(cluster).await;
    let demo = passage::credentials::demo();
    let mut tokens = BTreeMap::new();
    tokens.insert(
        Who::Member,
        store
            .issue(
                grant(Role::Member, Some("amsterdam"), Some(&member.id)),
                &regions(),
            )
            .await
            .unwrap()
            .token,
    );
    tokens.insert(Who::MemberSession, session_of(cluster, &member.id).await);
    let employer = common::chapter::Chapter::open(cluster)
        .await
        .organisation(common::chapter::employer("Bouwbedrijf Oost"))
        .await;
    tokens.insert(
        Who::Organisation,
        cluster.organisation_token("amsterdam", &employer).await,
    );
    tokens.insert(
        Who::OrganisationSession,
        cluster
            .amsterdam_organisation_session("bouwbedrijf", &employer, ORGANISATION_PASSPHRASE)
            .await,
    );
    tokens.insert(Who::AmsterdamAdmin, demo.chapter_admin("amsterdam"));
    tokens.insert(Who::TokenAtTheNode, demo.chapter_admin("amsterdam"));
    tokens.insert(Who::MiamiAdminInAmsterdam, demo.chapter_admin("miami"));
    tokens.insert(Who::CentralAnalyst, demo.central_analyst().to_owned());
    tokens.insert(Who::Operator, demo.operator().to_owned());
    let mut soon = grant(Role::ChapterAdmin, Some("amsterdam"), None);
    soon.expires_at = chrono::Utc::now() + chrono::Duration::milliseconds(500);
    tokens.insert(
        Who::ExpiredToken,
        store.issue(soon, &regions()).await.unwrap().token,
    );
    let revoked = store
        .issue(
            grant(Role::ChapterAdmin, Some("amsterdam"), None),
            &regions(),
        )
        .await
        .unwrap();
    store.revoke(&revoked.id).await.unwrap();
    tokens.insert(Who::RevokedToken, revoked.token);
    tokens.insert(
        Who::MadeUpToken,
        format!("psg_{}_{}", "0".repeat(16), "1".repeat(64)),
    );
    // Let the short-lived token expire.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    Callers { tokens }
}

/// Member `member_id` of Amsterdam, invited by the chapter admin, accepts and is
/// signed in: her session.
async fn session_of(cluster: &Cluster, member_id: &str) -> String {
    cluster
        .amsterdam_member_session("amira", member_id, "tulips along the amstel in may")
        .await
}

async fn the_authorisation_matrix_holds_for_every_rpc_and_caller(backend: Backend) {
    let cluster = Cluster::start_secured(backend).await;
    let mut callers = callers(&cluster).await;
    let gateway = cluster.gateway().await;
    let node = cluster.node("amsterdam").await;
    let miami_seal = cluster.sealed("miami");

    let methods = every_method();
    assert!(methods.len() > 100, "only {} methods found", methods.len());
    let mut wrong = Vec::new();
    let mut cells = 0;
    for (service, method, streaming) in &methods {
        let path = format!("/{service}/{method}");
        for who in EVERYONE {
            let want = expected(service, method, who);
            let mut metadata = vec![(passage_proto::REGION_METADATA_KEY, "amsterdam".to_owned())];
            if let Some(token) = callers.tokens.get(&who) {
                metadata.push(("authorization", format!("Bearer {token}")));
            }
            let result = match who {
                Who::TokenAtTheNode => call(node.clone(), &path, *streaming, &metadata).await,
                Who::MiamiSealAtAmsterdam => {
                    let sealed = miami_seal.request(&path, ());
                    let mut seal_metadata = Vec::new();
                    for key in [
                        passage_server::access::CALLER_HEADER,
                        passage_server::access::SEAL_HEADER,
                    ] {
                        let value = sealed.metadata().get(key).unwrap().to_str().unwrap();
                        seal_metadata.push((key, value.to_owned()));
                    }
                    call(node.clone(), &path, *streaming, &seal_metadata).await
                }
                _ => call(gateway.clone(), &path, *streaming, &metadata).await,
            };
            if path == "/passage.v1.AccountService/SignOut" && who == Who::OrganisationSession {
                let signed_in =
                    passage_proto::v1::account_service_client::AccountServiceClient::new(
                        gateway.clone(),
                    )
                    .sign_in(v1::SignInRequest {
                        login: "bouwbedrijf".into(),
                        passphrase: ORGANISATION_PASSPHRASE.into(),
                    })
                    .await
                    .unwrap()
                    .into_inner();
                callers
                    .tokens
                    .insert(Who::OrganisationSession, signed_in.session);
            }
            if path == "/passage.v1.AccountService/SignOut" && who == Who::MemberSession {
                // She signed out: she signs in again for the cells still to come.
                let signed_in =
                    passage_proto::v1::account_service_client::AccountServiceClient::new(
                        gateway.clone(),
                    )
                    .sign_in(v1::SignInRequest {
                        login: "amira".into(),
                        passphrase: "tulips along the amstel in may".into(),
                    })
                    .await
                    .unwrap()
                    .into_inner();
                callers.tokens.insert(Who::MemberSession, signed_in.session);
            }
            let (got, detail) = outcome_of(result);
            cells += 1;
            if got != want {
                wrong.push(format!(
                    "{path} by {who:?}: expected {want:?}, got {detail}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    cluster.stop().await;
}

/// A member's own token: her profile, her applications, nothing of anyone else.
async fn a_member_sees_and_changes_only_her_own_record(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut admin_members = MemberServiceClient::new(cluster.gateway().await);
    let amira = create(&mut admin_members, "amsterdam", amira()).await;
    let yusuf = create(
        &mut admin_members,
        "amsterdam",
        common::member_named("Yusuf Rahimi", v1::MemberRole::Newcomer),
    )
    .await;
    let store = token_store(&cluster).await;
    let token = store
        .issue(
            grant(Role::Member, Some("amsterdam"), Some(&amira.id)),
            &regions(),
        )
        .await
        .unwrap()
        .token;
    fn with_token<T>(token: &str, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert(
            passage_proto::REGION_METADATA_KEY,
            "amsterdam".parse().unwrap(),
        );
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        request
    }
    let mut members = MemberServiceClient::new(cluster.gateway().await);

    // Her own profile, with what the chapter admin recorded about her.
    let own = members
        .get_member(with_token(
            &token,
            v1::GetMemberRequest {
                id: amira.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own, amira);
    // Not Yusuf's.
    let other = members
        .get_member(with_token(
            &token,
            v1::GetMemberRequest {
                id: yusuf.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(other.code(), Code::PermissionDenied);

    // She adds a skill to her profile…
    let mut changed = amira.clone();
    if let Some(profile) = changed.profile.as_mut() {
        profile.skills.push("BIM".into());
    }
    let updated = members
        .update_member(with_token(
            &token,
            v1::UpdateMemberRequest {
                member: Some(changed.clone()),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["profile.skills".into()],
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(updated.profile.unwrap().skills.contains(&"BIM".to_owned()));
    // …but cannot record her own residence status: the rules read it.
    let status = members
        .update_member(with_token(
            &token,
            v1::UpdateMemberRequest {
                member: Some(changed),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["regional.residence_status".into()],
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(status.message().contains("regional.residence_status"));

    // Her applications are hers alone.
    let mut placements = PlacementServiceClient::new(cluster.gateway().await);
    let listed = placements
        .list_applications(with_token(&token, v1::ListApplicationsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.applications.is_empty());
    let others = placements
        .list_applications(with_token(
            &token,
            v1::ListApplicationsRequest {
                member_id: yusuf.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(others.code(), Code::PermissionDenied);
    let apply_for_yusuf = placements
        .apply(with_token(
            &token,
            v1::ApplyRequest {
                member_id: yusuf.id.clone(),
                opportunity_id: uuid::Uuid::now_v7().to_string(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(apply_for_yusuf.code(), Code::PermissionDenied);

    // Her seats at events and her groups are hers too: she cannot register Yusuf
    // for an event, cancel his seat, put him in a group or take him out, nor read
    // his registrations or his groups.
    let mut events = EventServiceClient::new(cluster.gateway().await);
    let event = events
        .create_event(to(
            "amsterdam",
            v1::CreateEventRequest {
                event: Some(v1::Event {
                    kind: v1::EventKind::InformationSession as i32,
                    title: "Werken met een vergunning".into(),
                    start_time: Some(common::chapter::in_minutes(60 * 24)),
                    end_time: Some(common::chapter::in_minutes(60 * 26)),
                    place: "Openbare Bibliotheek Amsterdam".into(),
                    capacity: 10,
                    languages: vec!["nl".into(), "ar".into()],
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let register = |member: &str| {
        with_token(
            &token,
            v1::RegisterForEventRequest {
                event_id: event.id.clone(),
                member_id: member.into(),
            },
        )
    };
    let refused = events
        .register_for_event(register(&yusuf.id))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let refused = events
        .cancel_event_registration(with_token(
            &token,
            v1::CancelEventRegistrationRequest {
                event_id: event.id.clone(),
                member_id: yusuf.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let seat = events
        .register_for_event(register(&amira.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seat.status, v1::RegistrationStatus::Registered as i32);
    let hers = events
        .list_event_registrations(with_token(
            &token,
            v1::ListEventRegistrationsRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(hers.registrations.len(), 1);
    assert_eq!(hers.registrations[0].member_id, amira.id);
    let others = events
        .list_event_registrations(with_token(
            &token,
            v1::ListEventRegistrationsRequest {
                member_id: yusuf.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(others.code(), Code::PermissionDenied);
    let mut groups = GroupServiceClient::new(cluster.gateway().await);
    let group = groups
        .create_group(to(
            "amsterdam",
            v1::CreateGroupRequest {
                group: Some(v1::Group {
                    kind: v1::GroupKind::Coffee as i32,
                    name: "Koffiegroep Amsterdam-Oost".into(),
                    languages: vec!["nl".into()],
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let refused = groups
        .join_group(with_token(
            &token,
            v1::JoinGroupRequest {
                group_id: group.id.clone(),
                member_id: yusuf.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let refused = groups
        .leave_group(with_token(
            &token,
            v1::LeaveGroupRequest {
                group_id: group.id.clone(),
                member_id: yusuf.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let refused = groups
        .list_member_groups(with_token(
            &token,
            v1::ListMemberGroupsRequest {
                member_id: yusuf.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    groups
        .join_group(with_token(
            &token,
            v1::JoinGroupRequest {
                group_id: group.id.clone(),
                member_id: amira.id.clone(),
            },
        ))
        .await
        .unwrap();
    cluster.stop().await;
}

/// Amira asks the helpdesk for herself and reads her own questions; Yusuf's
/// question and his buddy pair are not hers to read, list or ask in his name.
async fn a_member_reads_only_her_own_questions_and_buddy_pairs(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut admin_members = MemberServiceClient::new(cluster.gateway().await);
    // Yusuf first: the proposal pairs the oldest newcomer with the one local.
    let yusuf = create(
        &mut admin_members,
        "amsterdam",
        common::member_named("Yusuf Rahimi", v1::MemberRole::Newcomer),
    )
    .await;
    let amira = create(&mut admin_members, "amsterdam", amira()).await;
    let mut pieter = common::member_named("Pieter de Vries", v1::MemberRole::Local);
    if let Some(regional) = pieter.regional.as_mut() {
        regional.buddy_capacity = 1;
    }
    create(&mut admin_members, "amsterdam", pieter).await;
    let mut admin_helpdesk = HelpdeskServiceClient::new(cluster.gateway().await);
    let his_question = admin_helpdesk
        .ask_question(to(
            "amsterdam",
            v1::AskQuestionRequest {
                asker_member_id: yusuf.id.clone(),
                language: "en".into(),
                topic: "housing".into(),
                text: "How do I register at my new address?".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let proposed = BuddyServiceClient::new(cluster.gateway().await)
        .propose_buddy_pairs(to("amsterdam", v1::ProposeBuddyPairsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .pairs;
    assert_eq!(proposed.len(), 1);
    assert_eq!(proposed[0].newcomer_member_id, yusuf.id);
    assert_eq!(proposed[0].local_display_name, "Pieter de Vries");

    let token = cluster.member_token("amsterdam", &amira.id).await;
    fn with_token<T>(token: &str, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert(
            passage_proto::REGION_METADATA_KEY,
            "amsterdam".parse().unwrap(),
        );
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        request
    }
    let mut helpdesk = HelpdeskServiceClient::new(cluster.gateway().await);

    // She asks for herself, and her list holds her question alone.
    let hers = helpdesk
        .ask_question(with_token(
            &token,
            v1::AskQuestionRequest {
                asker_member_id: amira.id.clone(),
                language: "ar".into(),
                topic: "work".into(),
                text: "هل أحتاج إلى تصريح عمل؟".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let listed = helpdesk
        .list_questions(with_token(&token, v1::ListQuestionsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .questions;
    assert_eq!(
        listed.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(),
        [hers.id.as_str()]
    );
    // Not Yusuf's: not read, not listed, not asked in his name.
    let read = helpdesk
        .get_question(with_token(
            &token,
            v1::GetQuestionRequest {
                id: his_question.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(read.code(), Code::PermissionDenied);
    let listed_his = helpdesk
        .list_questions(with_token(
            &token,
            v1::ListQuestionsRequest {
                asker_member_id: yusuf.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(listed_his.code(), Code::PermissionDenied);
    let asked_for_him = helpdesk
        .ask_question(with_token(
            &token,
            v1::AskQuestionRequest {
                asker_member_id: yusuf.id.clone(),
                language: "en".into(),
                topic: "housing".into(),
                text: "Asked in his name".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(asked_for_him.code(), Code::PermissionDenied);

    // His buddy pair is not in her list, nor hers to list.
    let mut buddies = BuddyServiceClient::new(cluster.gateway().await);
    let pairs = buddies
        .list_buddy_pairs(with_token(&token, v1::ListBuddyPairsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .pairs;
    assert!(pairs.is_empty(), "{pairs:?}");
    let his_pairs = buddies
        .list_buddy_pairs(with_token(
            &token,
            v1::ListBuddyPairsRequest {
                member_id: yusuf.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(his_pairs.code(), Code::PermissionDenied);
    cluster.stop().await;
}

/// A chapter admin's laptop is stolen: the operator revokes her token and it stops
/// working with the next call; the audit log shows what it was used for.
async fn a_revoked_token_stops_at_once_and_the_audit_log_shows_its_use(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let store = token_store(&cluster).await;
    let laptop = store
        .issue(
            grant(Role::ChapterAdmin, Some("amsterdam"), None),
            &regions(),
        )
        .await
        .unwrap();
    let with_laptop = |message: v1::GetMemberRequest| {
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert(
            passage_proto::REGION_METADATA_KEY,
            "amsterdam".parse().unwrap(),
        );
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {}", laptop.token).parse().unwrap(),
        );
        request
    };
    let mut members = MemberServiceClient::new(cluster.gateway().await);
    let amira = create(&mut members, "amsterdam", amira()).await;
    members
        .get_member(with_laptop(v1::GetMemberRequest {
            id: amira.id.clone(),
        }))
        .await
        .unwrap();

    store.revoke(&laptop.id).await.unwrap();
    let refused = members
        .get_member(with_laptop(v1::GetMemberRequest {
            id: amira.id.clone(),
        }))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert!(
        refused.message().contains("revoked"),
        "{}",
        refused.message()
    );
    assert!(!refused.message().contains(&laptop.token));

    // The chapter admin (with her new token) reads what the laptop's token did.
    let audit = AuditServiceClient::new(cluster.gateway().await);
    let entries_of_laptop = || {
        audit_entries(
            &audit,
            v1::ListAuditEntriesRequest {
                token_id: laptop.id.clone(),
                ..Default::default()
            },
        )
    };
    common::eventually("the audit log holds the laptop's read", || async {
        !entries_of_laptop().await.is_empty()
    })
    .await;
    let entries = entries_of_laptop().await;
    let read = &entries[0];
    assert_eq!(read.method, "passage.v1.MemberService/GetMember");
    assert_eq!(read.caller_role, "chapter_admin");
    assert_eq!(read.caller_region, "amsterdam");
    assert_eq!(read.subject, amira.id);
    assert_eq!(read.outcome, "OK");
    assert!(read.time.is_some());

    // Everything about Amira, whoever asked.
    let about_amira = audit_entries(
        &audit,
        v1::ListAuditEntriesRequest {
            subject: amira.id.clone(),
            ..Default::default()
        },
    )
    .await;
    let methods: Vec<&str> = about_amira.iter().map(|e| e.method.as_str()).collect();
    assert!(
        methods.contains(&"passage.v1.MemberService/CreateMember"),
        "{methods:?}"
    );
    assert!(methods.contains(&"passage.v1.MemberService/GetMember"));
    cluster.stop().await;
}

/// Amira asks the chapter who has looked at her case. The chapter admin opened it
/// and read its notes; the audit log, asked about Amira, shows both calls.
async fn the_audit_log_shows_who_opened_and_read_amiras_case(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut members = MemberServiceClient::new(cluster.gateway().await);
    let amira = create(&mut members, "amsterdam", amira()).await;
    let mut cases = CaseServiceClient::new(cluster.gateway().await);
    let case = cases
        .open_case(to(
            "amsterdam",
            v1::OpenCaseRequest {
                r#case: Some(v1::Case {
                    subject: Some(v1::case::Subject::MemberId(amira.id.clone())),
                    title: "Housing after the asylum centre".into(),
                    caseworker: "Sanne Visser".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    cases
        .list_case_notes(to(
            "amsterdam",
            v1::ListCaseNotesRequest {
                case_id: case.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();

    let audit = AuditServiceClient::new(cluster.gateway().await);
    let about_amira = || {
        audit_entries(
            &audit,
            v1::ListAuditEntriesRequest {
                subject: amira.id.clone(),
                ..Default::default()
            },
        )
    };
    let case_calls = |entries: &[v1::AuditEntry]| -> Vec<String> {
        entries
            .iter()
            .filter(|e| e.method.starts_with("passage.v1.CaseService/"))
            .map(|e| e.method.clone())
            .collect()
    };
    common::eventually(
        "the audit log holds both calls about Amira's case",
        || async { case_calls(&about_amira().await).len() >= 2 },
    )
    .await;
    let entries = about_amira().await;
    let mut methods = case_calls(&entries);
    methods.sort();
    assert_eq!(
        methods,
        [
            "passage.v1.CaseService/ListCaseNotes",
            "passage.v1.CaseService/OpenCase"
        ]
    );
    for entry in entries
        .iter()
        .filter(|e| e.method.starts_with("passage.v1.CaseService/"))
    {
        assert_eq!(entry.subject, amira.id);
        assert_eq!(entry.caller_role, "chapter_admin");
        assert_eq!(entry.caller_region, "amsterdam");
        assert_eq!(entry.outcome, "OK");
    }
    cluster.stop().await;
}

/// Every line the servers log while tokens are used and refused, at debug level:
/// no token and no seal appears in any of them.
#[test]
fn tokens_and_seals_never_reach_the_logs() {
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_writer(move || writer.clone())
        .finish();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // For the whole process: the servers' tasks run on the runtime's worker threads.
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let secrets = {
        runtime.block_on(async {
            let cluster = Cluster::start(Backend::Sqlite).await;
            let callers = callers(&cluster).await;
            let gateway = cluster.gateway().await;
            let mut secrets = Vec::new();
            for token in callers.tokens.values() {
                for path in [
                    "/passage.v1.MemberService/GetMember",
                    "/passage.v1.CaseService/ListCases",
                    "/passage.v1.GlobalStatsService/GetGlobalStats",
                ] {
                    let metadata = vec![
                        (passage_proto::REGION_METADATA_KEY, "amsterdam".to_owned()),
                        ("authorization", format!("Bearer {token}")),
                    ];
                    let _ = call(gateway.clone(), path, false, &metadata).await;
                }
                secrets.push(token.rsplit('_').next().unwrap().to_owned());
            }
            cluster.stop().await;
            secrets
        })
    };
    let logged = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(
        logged.lines().count() > 10,
        "the servers logged too little to judge:\n{logged}"
    );
    for secret in secrets {
        assert!(!logged.contains(&secret), "a token's secret was logged");
    }
    assert!(!logged.contains(passage_server::access::SEAL_HEADER));
    assert!(!logged.to_lowercase().contains("bearer "));
}

/// Amira moves from Amsterdam to Miami and asks Miami herself, with her own
/// (Amsterdam) token: Miami takes her in. She cannot ask for Yusuf.
async fn a_member_asks_her_new_region_to_take_her_in(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut admin_members = MemberServiceClient::new(cluster.gateway().await);
    let amira = create(&mut admin_members, "amsterdam", amira()).await;
    let yusuf = create(
        &mut admin_members,
        "amsterdam",
        common::member_named("Yusuf Rahimi", v1::MemberRole::Newcomer),
    )
    .await;
    for id in [&amira.id, &yusuf.id] {
        common::eventually("her shared profile reaches Miami", || {
            let mut members = admin_members.clone();
            let id = id.clone();
            async move {
                common::profile_in(&mut members, "miami", &id)
                    .await
                    .is_some()
            }
        })
        .await;
    }
    let token = token_store(&cluster)
        .await
        .issue(
            grant(Role::Member, Some("amsterdam"), Some(&amira.id)),
            &regions(),
        )
        .await
        .unwrap()
        .token;
    let ask_miami = |member_id: &str| {
        let mut request = tonic::Request::new(v1::TransferMemberRequest {
            member_id: member_id.to_owned(),
            requested_by: "the member herself".into(),
            regional: amira.regional.clone(),
        });
        request
            .metadata_mut()
            .insert(passage_proto::REGION_METADATA_KEY, "miami".parse().unwrap());
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        request
    };
    let mut members = MemberServiceClient::new(cluster.gateway().await);
    let for_yusuf = members
        .transfer_member(ask_miami(&yusuf.id))
        .await
        .unwrap_err();
    assert_eq!(for_yusuf.code(), Code::PermissionDenied, "{for_yusuf:?}");
    cluster
        .member_confirms_move("amsterdam", &amira.id, "miami")
        .await
        .unwrap();
    let moved = members
        .transfer_member(ask_miami(&amira.id))
        .await
        .unwrap()
        .into_inner();
    let transfer = moved.transfer.unwrap();
    assert_eq!(
        (transfer.from_region.as_str(), transfer.to_region.as_str()),
        ("amsterdam", "miami")
    );
    assert_eq!(transfer.requested_by, "the member herself");
    cluster.stop().await;
}

on_both_backends!(
    the_authorisation_matrix_holds_for_every_rpc_and_caller,
    a_member_sees_and_changes_only_her_own_record,
    a_member_reads_only_her_own_questions_and_buddy_pairs,
    a_revoked_token_stops_at_once_and_the_audit_log_shows_its_use,
    the_audit_log_shows_who_opened_and_read_amiras_case,
    a_member_asks_her_new_region_to_take_her_in,
);

/// Someone on the network between the gateway and Amsterdam's node captures a
/// sealed call — a chapter admin reading Amira's record — and tries to use it: with
/// another body (another member's record) it is refused, and sent again as it was it
/// is refused too. The original call goes through once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captured_seal_opens_for_no_other_body_and_only_once() {
    let cluster = Cluster::start(Backend::Sqlite).await;
    let mut members = MemberServiceClient::new(cluster.gateway().await);
    let amira = create(&mut members, "amsterdam", amira()).await;
    let yusuf = create(
        &mut members,
        "amsterdam",
        common::member_named("Yusuf Rahimi", v1::MemberRole::Newcomer),
    )
    .await;
    let path = "/passage.v1.MemberService/GetMember";
    let captured = cluster.sealed("amsterdam").request(
        path,
        v1::GetMemberRequest {
            id: amira.id.clone(),
        },
    );
    let mut node = MemberServiceClient::new(cluster.node("amsterdam").await);
    let with_body = |id: &str| {
        tonic::Request::from_parts(
            captured.metadata().clone(),
            Default::default(),
            v1::GetMemberRequest { id: id.to_owned() },
        )
    };

    let other_body = node.get_member(with_body(&yusuf.id)).await.unwrap_err();
    assert_eq!(other_body.code(), Code::Unauthenticated);
    assert!(
        other_body.message().contains("another request body"),
        "{other_body:?}"
    );

    let original = node.get_member(with_body(&amira.id)).await.unwrap();
    assert_eq!(original.into_inner().id, amira.id);
    let replayed = node.get_member(with_body(&amira.id)).await.unwrap_err();
    assert_eq!(replayed.code(), Code::Unauthenticated);
    assert!(replayed.message().contains("used before"), "{replayed:?}");
    cluster.stop().await;
}

/// Amsterdam's node, in a federation with certificates (as the demo runs), answers
/// only the gateway. Miami's node holds a certificate of the same CA but is refused,
/// naming the certificate it showed; a caller without a certificate and a plaintext
/// caller do not get a word out of it. A health probe may show the node's own
/// certificate; a chapter admin's call passed on by the gateway still goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_gateway_reaches_a_regions_node() {
    let cluster = Cluster::start_secured(Backend::Sqlite).await;
    let mut members = MemberServiceClient::new(cluster.gateway().await);
    let amira = create(&mut members, "amsterdam", amira()).await;
    let certs = cluster.certs();
    let read_amira = |sealed: &passage::credentials::SealedChapterAdmin| {
        sealed.request(
            "/passage.v1.MemberService/GetMember",
            v1::GetMemberRequest {
                id: amira.id.clone(),
            },
        )
    };

    // Miami's node, with Miami's certificate and even Amsterdam's caller key.
    let as_miami = cluster
        .federation
        .node_endpoint_showing("amsterdam", Some(&certs.region("miami")))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let refused = MemberServiceClient::new(as_miami.clone())
        .get_member(read_amira(&cluster.sealed("amsterdam")))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(
        refused.message().contains("gateway.passage")
            && refused.message().contains("miami.region.passage"),
        "{refused:?}"
    );

    // No certificate: the handshake itself fails, so no call is answered.
    let anonymous = match cluster
        .federation
        .node_endpoint_showing("amsterdam", None)
        .unwrap()
        .connect()
        .await
    {
        Ok(channel) => MemberServiceClient::new(channel)
            .get_member(read_amira(&cluster.sealed("amsterdam")))
            .await
            .map(|_| ()),
        Err(error) => Err(tonic::Status::unavailable(error.to_string())),
    };
    assert!(
        anonymous.is_err(),
        "a caller without a certificate was answered"
    );

    // Plaintext: the node speaks TLS only.
    let address = cluster
        .federation
        .node_endpoint("amsterdam")
        .unwrap()
        .replace("https://", "http://");
    let plaintext = match tonic::transport::Endpoint::from_shared(address)
        .unwrap()
        .connect()
        .await
    {
        Ok(channel) => MemberServiceClient::new(channel)
            .get_member(read_amira(&cluster.sealed("amsterdam")))
            .await
            .map(|_| ()),
        Err(error) => Err(tonic::Status::unavailable(error.to_string())),
    };
    assert!(plaintext.is_err(), "a plaintext caller was answered");

    // A probe with the node's own certificate learns it serves, and nothing else.
    let probe = cluster
        .federation
        .node_endpoint_showing("amsterdam", Some(&certs.region("amsterdam")))
        .unwrap();
    assert!(passage::federation::is_serving(probe).await);

    // The gateway's certificate, with the gateway's seal, is answered.
    let through = MemberServiceClient::new(cluster.node("amsterdam").await)
        .get_member(read_amira(&cluster.sealed("amsterdam")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(through.id, amira.id);
    cluster.stop().await;
}
