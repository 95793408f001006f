//! The community roles of a `member` caller, decided here from this node's own
//! data and nowhere else (the gateway only passes a member on to their home
//! node): a **newcomer reviewer** is a member whose region-local role is newcomer;
//! a **superlocal** is a member registered as a helpdesk answerer; a **coach** is
//! a member a chapter admin assigned to a cohort. Every handler a member may call
//! for a community role asks [`require`] (or [`coached_cohorts`]); a member without
//! the role is refused with `PERMISSION_DENIED`, saying which role it takes.

use passage_proto::v1;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::convert::strings_from_json;
use crate::error::{Error, Result};
use crate::store::entity::{cohort_coach, helpdesk_answerer, member};

/// A role in the region's community, beside being a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommunityRole {
    /// A newcomer, who reviews opportunities before they are published.
    NewcomerReviewer,
    /// A registered helpdesk answerer.
    Superlocal,
    /// The coach of this cohort.
    CoachOf(Uuid),
}

/// Whom a call acts as, for the community roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acting {
    /// The region's chapter admin, who holds every role's powers.
    ChapterAdmin,
    /// A member, by id, who holds only the roles this node knows them by.
    Member(Uuid),
}

impl Acting {
    /// Who makes `request`: a member (by their token's member id) or the chapter
    /// admin (the access layer admits no one else to these calls).
    pub fn of<T>(request: &tonic::Request<T>) -> std::result::Result<Acting, tonic::Status> {
        Ok(match crate::access::member_limit(request)? {
            Some(member) => Acting::Member(member),
            None => Acting::ChapterAdmin,
        })
    }

    /// The member acting, checked to be the one the request names in `field`
    /// (a member acts for themself only); `None` for the chapter admin.
    pub fn named(self, field: &str, named: Uuid) -> Result<Option<Uuid>> {
        match self {
            Acting::ChapterAdmin => Ok(None),
            Acting::Member(member) if member == named => Ok(Some(member)),
            Acting::Member(_) => Err(Error::PermissionDenied(format!(
                "{field}: a member acts only for themself"
            ))),
        }
    }
}

/// Whether member `id` holds `role` in this region.
pub async fn holds(db: &impl ConnectionTrait, id: Uuid, role: CommunityRole) -> Result<bool> {
    Ok(match role {
        CommunityRole::NewcomerReviewer => member::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some_and(|row| row.role == "newcomer"),
        CommunityRole::Superlocal => helpdesk_answerer::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some(),
        CommunityRole::CoachOf(cohort) => cohort_coach::Entity::find_by_id((cohort, id))
            .one(db)
            .await?
            .is_some(),
    })
}

/// Refuses `acting` unless it is the chapter admin or a member holding `role`.
pub async fn require(db: &impl ConnectionTrait, acting: Acting, role: CommunityRole) -> Result<()> {
    let Acting::Member(id) = acting else {
        return Ok(());
    };
    if holds(db, id, role).await? {
        return Ok(());
    }
    Err(Error::PermissionDenied(match role {
        CommunityRole::NewcomerReviewer => format!(
            "member {id} is not a newcomer of this region; only newcomers review opportunities"
        ),
        CommunityRole::Superlocal => format!(
            "member {id} does not answer this region's helpdesk; only its answerers (superlocals) do"
        ),
        CommunityRole::CoachOf(cohort) => {
            format!("member {id} does not coach cohort {cohort}; only its coaches see it")
        }
    }))
}

/// The cohorts member `id` coaches, in the order they were assigned.
pub async fn coached_cohorts(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Uuid>> {
    Ok(cohort_coach::Entity::find()
        .filter(cohort_coach::Column::CoachMemberId.eq(id))
        .order_by_asc(cohort_coach::Column::AssignedAt)
        .order_by_asc(cohort_coach::Column::CohortId)
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.cohort_id)
        .collect())
}

/// Every community role member `id` holds here, as the wire shows them.
pub async fn roles(db: &impl ConnectionTrait, id: Uuid) -> Result<v1::CommunityRoles> {
    let answerer = helpdesk_answerer::Entity::find_by_id(id).one(db).await?;
    Ok(v1::CommunityRoles {
        member_id: id.to_string(),
        newcomer_reviewer: holds(db, id, CommunityRole::NewcomerReviewer).await?,
        superlocal: answerer.is_some(),
        answer_languages: answerer
            .map(|row| strings_from_json(&row.languages))
            .unwrap_or_default(),
        coached_cohort_ids: coached_cohorts(db, id)
            .await?
            .iter()
            .map(Uuid::to_string)
            .collect(),
    })
}
