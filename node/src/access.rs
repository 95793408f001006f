//! The node's side of access control: a caller is whoever the gateway sealed
//! into the call with this region's key (`passage_server::access::CallerSeal`);
//! the shared policy decides, and the calls that touch the region's personal data
//! or change anything go to the audit log.

use std::sync::Arc;

use passage_server::access::{AuditRecord, BodyDigest, Caller, CallerSeal, Gatekeeper, SeenNonces};

use crate::audit::AuditTrail;

/// Reads of what is public in a region (its market, events, groups, articles,
/// programmes and rules), the gateway's counting, and the chapter's inbox, whose
/// notices name no one: not written to the audit log. Every other call is.
const NOT_AUDITED: [&str; 22] = [
    "/passage.v1.MarketService/GetOrganisation",
    "/passage.v1.MarketService/ListOrganisations",
    "/passage.v1.MarketService/GetOpportunity",
    "/passage.v1.MarketService/ListOpportunities",
    "/passage.v1.RulesService/ListRules",
    "/passage.v1.ReviewService/GetReviewPolicy",
    "/passage.v1.HelpdeskService/GetArticle",
    "/passage.v1.HelpdeskService/ListArticles",
    "/passage.v1.HelpdeskService/SearchArticles",
    "/passage.v1.HelpdeskService/ListStaleArticles",
    "/passage.v1.CoachingService/GetProgramme",
    "/passage.v1.CoachingService/ListProgrammes",
    "/passage.v1.EventService/GetEvent",
    "/passage.v1.EventService/ListEvents",
    "/passage.v1.EventService/ListFairPresentations",
    "/passage.v1.GroupService/GetGroup",
    "/passage.v1.GroupService/ListGroups",
    "/passage.v1.GroupService/ListMeetings",
    "/passage.v1.RegionStatsService/GetRegionStats",
    "/passage.v1.NotificationService/ListChapterNotifications",
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
];

/// Identifies callers by the gateway's seal for this region.
#[derive(Clone)]
pub struct SealGate {
    region: String,
    seal: CallerSeal,
    trail: AuditTrail,
    /// The nonces of the seals opened since the node started: each opens once.
    nonces: Arc<SeenNonces>,
}

impl SealGate {
    pub fn new(region: String, seal: CallerSeal, trail: AuditTrail) -> Self {
        SealGate {
            region,
            seal,
            trail,
            nonces: Arc::new(SeenNonces::since(passage_server::access::now_ms())),
        }
    }
}

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl Gatekeeper for SealGate {
    fn identify(
        &self,
        headers: &http::HeaderMap,
        path: &str,
        body: &BodyDigest,
    ) -> BoxFuture<Result<Option<Caller>, tonic::Status>> {
        let now = passage_server::access::now_ms();
        let opened = self
            .seal
            .open(headers, path, now, body)
            .and_then(|sealed| match sealed {
                Some(sealed) => {
                    self.nonces.admit(&sealed, now)?;
                    Ok(Some(sealed.caller))
                }
                None => Ok(None),
            })
            .map_err(|refusal| {
                tonic::Status::unauthenticated(format!(
                    "{}; a region's node takes calls only through the gateway",
                    refusal.message()
                ))
            });
        Box::pin(async move {
            match opened {
                Ok(None) => Err(tonic::Status::unauthenticated(
                    "no caller identity: call the gateway with `authorization: Bearer <token>`; \
                     a region's node takes calls only through it",
                )),
                other => other,
            }
        })
    }

    fn region_of(&self, _headers: &http::HeaderMap) -> Result<Option<String>, tonic::Status> {
        Ok(Some(self.region.clone()))
    }

    fn pass_on(
        &self,
        _caller: Option<&Caller>,
        _region: Option<&str>,
        _path: &str,
        _body: &BodyDigest,
        _headers: &mut http::HeaderMap,
    ) {
    }

    fn audits(&self, path: &str) -> bool {
        !path.starts_with("/grpc.") && !NOT_AUDITED.contains(&path)
    }

    fn audit(&self, record: AuditRecord) -> BoxFuture<()> {
        let trail = self.trail.clone();
        Box::pin(async move { trail.record(record).await })
    }
}

/// Checks that the caller of `request` may act for member `member`: a chapter
/// admin for any member of the region, a member only for themself.
pub fn acts_for<T>(request: &tonic::Request<T>, member: uuid::Uuid) -> Result<(), tonic::Status> {
    Caller::of(request)?.may_act_for(&member.to_string())
}

/// The member a member's call is limited to; `None` for a chapter admin, who sees
/// every member of the region.
pub fn member_limit<T>(request: &tonic::Request<T>) -> Result<Option<uuid::Uuid>, tonic::Status> {
    let caller = Caller::of(request)?;
    match caller.role {
        passage_server::access::Role::Member => caller
            .member_id
            .as_deref()
            .and_then(|id| uuid::Uuid::try_parse(id).ok())
            .map(Some)
            .ok_or_else(|| tonic::Status::permission_denied("the member token names no member")),
        _ => Ok(None),
    }
}

/// The organisation an organisation's call is limited to; `None` for a chapter
/// admin (every organisation of the region) and for a member.
pub fn organisation_limit<T>(
    request: &tonic::Request<T>,
) -> Result<Option<uuid::Uuid>, tonic::Status> {
    let caller = Caller::of(request)?;
    match caller.role {
        passage_server::access::Role::Organisation => caller
            .organisation_id
            .as_deref()
            .and_then(|id| uuid::Uuid::try_parse(id).ok())
            .map(Some)
            .ok_or_else(|| {
                tonic::Status::permission_denied("the organisation's token names no organisation")
            }),
        _ => Ok(None),
    }
}

/// Checks that the caller of `request` may act for organisation `organisation`:
/// a chapter admin for any of the region, an organisation's contact only for
/// their own.
pub fn acts_for_organisation<T>(
    request: &tonic::Request<T>,
    organisation: uuid::Uuid,
) -> Result<(), tonic::Status> {
    Caller::of(request)?.may_act_for_organisation(&organisation.to_string())
}
