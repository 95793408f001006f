//! What a region erases of a member when they are deleted (the right to erasure),
//! beyond the member row and the shared profile: their cases with every note and
//! next step, their helpdesk questions, registrations, group and meeting records,
//! coaching enrolments and attendance, and buddy pairs. Applications and placements
//! stay for the region's figures (placements, retention) but are unlinked: each
//! gets a new random member id that names no one, and the free text the member or
//! the chapter wrote about them (motivation, stage and end notes) is cleared.
//!
//! A household case that lists the member among others stays with the household.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::error::Result;
use crate::store::entity::{
    application, buddy_pair, case_file, case_next_step, case_note, coaching_attendance,
    coaching_enrolment, event_registration, group_membership, helpdesk_question,
    meeting_attendance, placement,
};

/// How many records of each kind an erasure removed or unlinked.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Erased {
    pub cases: u64,
    pub questions: u64,
    pub applications_unlinked: u64,
    pub other_records: u64,
}

/// Erases member `id`'s region-local records, inside the caller's transaction.
pub async fn erase_member_records(db: &impl ConnectionTrait, id: Uuid) -> Result<Erased> {
    let mut erased = Erased::default();

    let cases: Vec<Uuid> = case_file::Entity::find()
        .select_only()
        .column(case_file::Column::Id)
        .filter(case_file::Column::MemberId.eq(id))
        .into_tuple()
        .all(db)
        .await?;
    if !cases.is_empty() {
        case_note::Entity::delete_many()
            .filter(case_note::Column::CaseId.is_in(cases.iter().copied()))
            .exec(db)
            .await?;
        case_next_step::Entity::delete_many()
            .filter(case_next_step::Column::CaseId.is_in(cases.iter().copied()))
            .exec(db)
            .await?;
        erased.cases = case_file::Entity::delete_many()
            .filter(case_file::Column::Id.is_in(cases.iter().copied()))
            .exec(db)
            .await?
            .rows_affected;
    }

    erased.questions = helpdesk_question::Entity::delete_many()
        .filter(helpdesk_question::Column::AskerMemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    // Answers they gave stay with the question, no longer naming them.
    helpdesk_question::Entity::update_many()
        .col_expr(
            helpdesk_question::Column::AnswererMemberId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(helpdesk_question::Column::AnswererMemberId.eq(id))
        .exec(db)
        .await?;

    let mut other = 0;
    other += event_registration::Entity::delete_many()
        .filter(event_registration::Column::MemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    other += group_membership::Entity::delete_many()
        .filter(group_membership::Column::MemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    other += meeting_attendance::Entity::delete_many()
        .filter(meeting_attendance::Column::MemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    other += coaching_attendance::Entity::delete_many()
        .filter(coaching_attendance::Column::MemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    other += coaching_enrolment::Entity::delete_many()
        .filter(coaching_enrolment::Column::MemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    other += buddy_pair::Entity::delete_many()
        .filter(
            Condition::any()
                .add(buddy_pair::Column::NewcomerMemberId.eq(id))
                .add(buddy_pair::Column::LocalMemberId.eq(id)),
        )
        .exec(db)
        .await?
        .rows_affected;
    erased.other_records = other;

    // Each application (and its placement) gets its own id that names no one.
    let applications: Vec<Uuid> = application::Entity::find()
        .select_only()
        .column(application::Column::Id)
        .filter(application::Column::MemberId.eq(id))
        .into_tuple()
        .all(db)
        .await?;
    for application_id in &applications {
        let nobody = Uuid::now_v7();
        application::Entity::update_many()
            .col_expr(application::Column::MemberId, Expr::value(nobody))
            .col_expr(application::Column::Motivation, Expr::value(""))
            .col_expr(application::Column::StageNote, Expr::value(""))
            .filter(application::Column::Id.eq(*application_id))
            .exec(db)
            .await?;
        placement::Entity::update_many()
            .col_expr(placement::Column::MemberId, Expr::value(nobody))
            .col_expr(placement::Column::EndNote, Expr::value(""))
            .filter(placement::Column::ApplicationId.eq(*application_id))
            .exec(db)
            .await?;
    }
    erased.applications_unlinked = applications.len() as u64;
    Ok(erased)
}
