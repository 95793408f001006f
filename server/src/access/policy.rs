//! The policy table: who may call each RPC of Passage, and the check of one caller
//! against it for the region a call is for.

use super::{Caller, Role};

/// Who may call an RPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Anyone, without a token: health checks and reflection (the API's shape,
    /// which is public).
    Open,
    /// A region's node over mTLS, checked by the sync hub against its certificate.
    RegionCertificate,
    /// Operators: the federation's sync state and log.
    Operator,
    /// The central team's aggregate statistics (central analysts and operators).
    Statistics,
    /// A region's counted figures: the gateway, or that region's chapter admin.
    RegionFigures,
    /// The chapter admin of the region the call is for.
    ChapterAdmin,
    /// The chapter admin of the region, or a member of it acting for themself
    /// (the handler checks that it is themself, with [`Caller::may_act_for`]) or in
    /// a community role its node knows them by (the node's handler checks the role).
    MemberSelf,
    /// An organisation's own business: the chapter admin of the region, or an
    /// organisation's contact of it (the handler holds them to their own
    /// organisation, with [`Caller::may_act_for_organisation`]).
    OrganisationOwn,
    /// The parties of the region's market: its chapter admin, a member of it for
    /// themself, or an organisation's contact of it for its own organisation —
    /// applications (the member's own; those to the organisation's opportunities,
    /// without residence status, permit or rule verdict) and the region's events,
    /// which name no member. The handler decides what each sees.
    Parties,
    /// Moving home: the chapter admin of the new region (the one the call is for),
    /// or a member asking that region to take them in — a member of the region they
    /// leave, so their token names that one (the handler checks it is themself and
    /// that the region is their home).
    MemberMoving,
    /// A member's records: the chapter admin of the region, or a member asking for
    /// their own records in any region — their home, a region they left, one that
    /// holds their shared profile — so their token may name another region (the
    /// handler checks it is themself).
    MemberRecords,
    /// A member of the region acting for themself at the gateway, and no one else:
    /// confirming their own move.
    MemberOnly,
    /// Anyone, without a credential: the calls that give one (signing in,
    /// accepting an invitation). The gateway's handler slows and locks.
    SigningIn,
    /// The holder of a session (a person signed in), whatever their role; a token
    /// is not a session.
    Session,
    /// Account administration at the gateway: operators, and chapter admins for
    /// their own region's accounts (the handler checks the account's region, which
    /// the request names, not the call).
    AccountAdmin,
    /// The gateway itself, with its own seal, telling a member's home node of
    /// what happened at the gateway (her move declined, an invitation made for
    /// her); never a token holder nor a person signed in.
    TheGateway,
}

impl Policy {
    /// Whether calls under this policy are about one region's data.
    pub fn is_regional(self) -> bool {
        matches!(
            self,
            Policy::RegionFigures
                | Policy::ChapterAdmin
                | Policy::MemberSelf
                | Policy::OrganisationOwn
                | Policy::Parties
                | Policy::MemberMoving
                | Policy::MemberRecords
                | Policy::MemberOnly
                | Policy::TheGateway
        )
    }

    /// The roles the policy admits (regional roles only for their own region).
    pub fn admits(self, role: Role) -> bool {
        match self {
            Policy::Open => true,
            Policy::RegionCertificate => false,
            Policy::Operator => role == Role::Operator,
            Policy::Statistics => matches!(role, Role::CentralAnalyst | Role::Operator),
            Policy::RegionFigures => matches!(role, Role::Gateway | Role::ChapterAdmin),
            Policy::ChapterAdmin => role == Role::ChapterAdmin,
            Policy::MemberSelf | Policy::MemberMoving | Policy::MemberRecords => {
                matches!(role, Role::ChapterAdmin | Role::Member)
            }
            Policy::OrganisationOwn => matches!(role, Role::ChapterAdmin | Role::Organisation),
            Policy::Parties => {
                matches!(role, Role::ChapterAdmin | Role::Member | Role::Organisation)
            }
            Policy::MemberOnly => role == Role::Member,
            Policy::SigningIn => true,
            Policy::Session => role != Role::Gateway,
            Policy::AccountAdmin => matches!(role, Role::ChapterAdmin | Role::Operator),
            Policy::TheGateway => role == Role::Gateway,
        }
    }
}

/// Methods a member may call for themself (the handler holds her to her own
/// record, registrations, groups, questions and pairs); and reads of their
/// region's events, groups, meetings and knowledge base, which name no member.
const MEMBER_SELF: [&str; 23] = [
    "/passage.v1.MemberService/GetMember",
    "/passage.v1.MemberService/UpdateMember",
    "/passage.v1.MemberService/DeleteMember",
    "/passage.v1.MatchService/MatchOpportunities",
    "/passage.v1.PlacementService/Apply",
    "/passage.v1.PlacementService/WithdrawApplication",
    "/passage.v1.PlacementService/ShareEmployerConditions",
    "/passage.v1.EventService/RegisterForEvent",
    "/passage.v1.EventService/CancelEventRegistration",
    "/passage.v1.EventService/ListEventRegistrations",
    "/passage.v1.GroupService/ListGroups",
    "/passage.v1.GroupService/GetGroup",
    "/passage.v1.GroupService/JoinGroup",
    "/passage.v1.GroupService/LeaveGroup",
    "/passage.v1.GroupService/ListMemberGroups",
    "/passage.v1.GroupService/ListMeetings",
    "/passage.v1.HelpdeskService/AskQuestion",
    "/passage.v1.HelpdeskService/GetQuestion",
    "/passage.v1.HelpdeskService/ListQuestions",
    "/passage.v1.HelpdeskService/SearchArticles",
    "/passage.v1.HelpdeskService/GetArticle",
    "/passage.v1.HelpdeskService/ListArticles",
    "/passage.v1.BuddyService/ListBuddyPairs",
];

/// Methods a member may call in a community role their home node knows them by
/// (a newcomer reviewer, a superlocal, a coach): the gateway only passes the member
/// on to their home node, whose handler decides from its own data
/// (`passage_node::community`) and holds them to their own queue, questions and
/// cohorts. The chapter admin of the region may call them too.
const MEMBER_COMMUNITY: [&str; 15] = [
    "/passage.v1.MemberService/GetMyCommunityRoles",
    "/passage.v1.ReviewService/ListOpportunitiesToReview",
    "/passage.v1.ReviewService/ReviewOpportunity",
    "/passage.v1.HelpdeskService/AnswerQuestion",
    "/passage.v1.HelpdeskService/CreateArticle",
    "/passage.v1.HelpdeskService/SetTranslation",
    "/passage.v1.CoachingService/ListCoachedCohorts",
    "/passage.v1.CoachingService/GetCohort",
    "/passage.v1.CoachingService/ListCohortParticipants",
    "/passage.v1.CoachingService/ListCoachingSessions",
    "/passage.v1.CoachingService/RecordSessionAttendance",
    "/passage.v1.CoachingService/RecordParticipantOutcome",
    "/passage.v1.CoachingService/GetCohortReport",
    "/passage.v1.CoachingService/RecordAftercareContact",
    "/passage.v1.CoachingService/ListAftercareContacts",
];

/// Methods an organisation's contact may call for their own organisation: its
/// opportunities (drafts written, edited and submitted for review), the
/// applications to them (moved on, rejected, accepted into a placement), the
/// members who match them, and its fair presentations.
const ORGANISATION_OWN: [&str; 11] = [
    "/passage.v1.MarketService/GetOrganisation",
    "/passage.v1.MarketService/CreateOpportunity",
    "/passage.v1.MarketService/GetOpportunity",
    "/passage.v1.MarketService/ListOpportunities",
    "/passage.v1.MarketService/UpdateOpportunity",
    "/passage.v1.ReviewService/SubmitForReview",
    "/passage.v1.PlacementService/MoveApplication",
    "/passage.v1.PlacementService/AcceptApplication",
    "/passage.v1.MatchService/MatchMembers",
    "/passage.v1.EventService/AddFairPresentation",
    "/passage.v1.EventService/ListFairPresentations",
];

/// Methods for the market's parties: applications, shown to the member who
/// applied and to the organisation whose opportunity it is; and the region's
/// events (an organisation presents at its fairs).
const PARTIES: [&str; 4] = [
    "/passage.v1.PlacementService/GetApplication",
    "/passage.v1.PlacementService/ListApplications",
    "/passage.v1.EventService/ListEvents",
    "/passage.v1.EventService/GetEvent",
];

/// Methods the gateway serves itself for the chapter admin of the region the call
/// is for: the moves waiting to be accepted there (and declining one), and her
/// region's own line of the sync status.
const CHAPTER_AT_THE_GATEWAY: [&str; 3] = [
    "/passage.v1.MoveService/ListIncomingMoves",
    "/passage.v1.MoveService/DeclineMove",
    "/passage.v1.FederationAdminService/GetRegionSyncStatus",
];

/// Services whose every method is one region's business: its chapter admin's.
const REGIONAL_SERVICES: [&str; 14] = [
    "passage.v1.MemberService",
    "passage.v1.MarketService",
    "passage.v1.ReviewService",
    "passage.v1.BuddyService",
    "passage.v1.RulesService",
    "passage.v1.MatchService",
    "passage.v1.GroupService",
    "passage.v1.EventService",
    "passage.v1.CoachingService",
    "passage.v1.ExpertPoolService",
    "passage.v1.CaseService",
    "passage.v1.PlacementService",
    "passage.v1.HelpdeskService",
    "passage.v1.SpreadsheetService",
];

/// The policy of the method at `path` (`/package.Service/Method`); `None` for a
/// path that names no method of Passage, which is refused.
pub fn policy(path: &str) -> Option<Policy> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    if method.is_empty() || method.contains('/') {
        return None;
    }
    if MEMBER_SELF.contains(&path) || MEMBER_COMMUNITY.contains(&path) {
        return Some(Policy::MemberSelf);
    }
    if ORGANISATION_OWN.contains(&path) {
        return Some(Policy::OrganisationOwn);
    }
    if PARTIES.contains(&path) {
        return Some(Policy::Parties);
    }
    if path == "/passage.v1.MemberService/TransferMember" {
        return Some(Policy::MemberMoving);
    }
    if CHAPTER_AT_THE_GATEWAY.contains(&path) {
        return Some(Policy::ChapterAdmin);
    }
    if path == "/passage.v1.MemberService/ExportMemberRecords" {
        return Some(Policy::MemberRecords);
    }
    if service == "passage.v1.PersonalDataService" {
        return match method {
            "ExportMyData" | "EraseMe" => Some(Policy::Session),
            "GetErasureReceipt" => Some(Policy::Open),
            _ => None,
        };
    }
    if service == "passage.v1.NotificationService" {
        return notification_policy(method);
    }
    if service == "passage.v1.AccountService" {
        return match method {
            "SignIn" | "AcceptInvitation" => Some(Policy::SigningIn),
            "SignOut" | "GetMyAccount" | "SetMyLanguage" => Some(Policy::Session),
            "InviteAccount" | "UnlockAccount" | "ListAccounts" | "RevokeAccount" => {
                Some(Policy::AccountAdmin)
            }
            _ => None,
        };
    }
    match service {
        "grpc.health.v1.Health"
        | "grpc.reflection.v1.ServerReflection"
        | "grpc.reflection.v1alpha.ServerReflection" => Some(Policy::Open),
        "passage.v1.FederationService" => Some(Policy::RegionCertificate),
        "passage.v1.MoveService" => Some(Policy::MemberOnly),
        "passage.v1.FederationAdminService" => Some(Policy::Operator),
        "passage.v1.GlobalStatsService" => Some(Policy::Statistics),
        "passage.v1.RegionStatsService" => Some(Policy::RegionFigures),
        "passage.v1.AuditService" => Some(Policy::ChapterAdmin),
        service if REGIONAL_SERVICES.contains(&service) => Some(Policy::ChapterAdmin),
        _ => None,
    }
}

/// `NotificationService`: the member herself (or her chapter admin) for her
/// settings; the inbox of a member for herself or of an organisation for its
/// contacts (the node's handler holds each to their own); anyone for the
/// one-click unsubscribe of a mail, whose signed token the node checks (RFC 8058:
/// a mail client posts it unsigned-in); the region's chapter admin for its mail
/// queue and her chapter's inbox; the gateway alone for what it tells a member's home (a move declined,
/// an invitation to mail) and a move's destination (a member waiting).
fn notification_policy(method: &str) -> Option<Policy> {
    match method {
        "GetNotificationSettings" | "UpdateNotificationSettings" => Some(Policy::MemberSelf),
        "ListNotifications" | "MarkNotificationsRead" => Some(Policy::Parties),
        "Unsubscribe" => Some(Policy::Open),
        "GetMailQueue" | "ListChapterNotifications" => Some(Policy::ChapterAdmin),
        "TellMoveDeclined" | "SendInvitation" | "TellMoveWaiting" => Some(Policy::TheGateway),
        _ => None,
    }
}

/// Checks `caller` against the policy of `path`, for a call about `region` (the
/// region the gateway routes it to, or the node's own).
pub fn authorise(
    caller: &Caller,
    policy: Policy,
    path: &str,
    region: Option<&str>,
) -> Result<(), tonic::Status> {
    let method = path.trim_start_matches('/');
    if !policy.admits(caller.role) {
        return Err(tonic::Status::permission_denied(format!(
            "{} may not call {method}",
            caller.describe()
        )));
    }
    if policy == Policy::Session && !caller.token_id.starts_with(passage_proto::SESSION_PREFIX) {
        return Err(tonic::Status::permission_denied(format!(
            "{method} is for a person signed in (a session, {}…); {} holds a token",
            passage_proto::SESSION_PREFIX,
            caller.describe()
        )));
    }
    if policy.is_regional() {
        let Some(region) = region else {
            return Err(tonic::Status::invalid_argument(format!(
                "{}: missing; name the region the call is for",
                passage_proto::REGION_METADATA_KEY
            )));
        };
        // A member asks another region to take them in, or for their records
        // there: their token is their present region's.
        let elsewhere = matches!(policy, Policy::MemberMoving | Policy::MemberRecords)
            && caller.role == Role::Member;
        if !elsewhere && caller.region.as_deref() != Some(region) {
            return Err(tonic::Status::permission_denied(format!(
                "{} may not call {method} in region {region}",
                caller.describe()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn amsterdam_admin() -> Caller {
        Caller {
            role: Role::ChapterAdmin,
            region: Some("amsterdam".into()),
            member_id: None,
            organisation_id: None,
            token_id: "0011223344556677".into(),
        }
    }

    #[test]
    fn every_service_has_a_policy_and_unknown_paths_have_none() {
        use prost::Message;
        let files = prost_types::FileDescriptorSet::decode(passage_proto::FILE_DESCRIPTOR_SET)
            .expect("descriptors");
        for file in &files.file {
            for service in &file.service {
                for method in &service.method {
                    let path = format!("/{}.{}/{}", file.package(), service.name(), method.name());
                    assert!(policy(&path).is_some(), "{path} has no policy");
                }
            }
        }
        assert_eq!(policy("/passage.v1.Unknown/Method"), None);
        assert_eq!(policy("/passage.v1.MemberService/"), None);
        assert_eq!(policy("no-slash"), None);
    }

    #[test]
    fn a_chapter_admin_is_held_to_their_region() {
        let admin = amsterdam_admin();
        let path = "/passage.v1.CaseService/ListCases";
        assert!(authorise(&admin, Policy::ChapterAdmin, path, Some("amsterdam")).is_ok());
        let elsewhere = authorise(&admin, Policy::ChapterAdmin, path, Some("miami")).unwrap_err();
        assert_eq!(elsewhere.code(), tonic::Code::PermissionDenied);
        assert!(elsewhere.message().contains("region miami"));
        let stats = authorise(&admin, Policy::Statistics, "/x.Y/Z", None).unwrap_err();
        assert_eq!(stats.code(), tonic::Code::PermissionDenied);
    }
}
