//! An application's stages and the moves between them: APPLIED → SCREENING →
//! INTERVIEW → OFFER, moved on one stage at a time by the organisation; from any
//! open stage it may be REJECTED (by the organisation) or WITHDRAWN (by the
//! member); from OFFER it is ACCEPTED into a placement. A closed application moves
//! no more. The handlers of `PlacementService` ask here whether a move is allowed.
//! Every move but the member's own withdrawal tells her, in the move's transaction.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, IntoActiveModel};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::store::entity::application;
use crate::store::placements::OPEN_STAGES;

/// Whether application `id` at `stage` may move to `target` (a stored stage name:
/// the next stage, `rejected`, `withdrawn` or `accepted`); the refusal says what it
/// could do instead.
pub fn check_move(id: Uuid, stage: &str, target: &str) -> Result<()> {
    let allowed = match target {
        "rejected" | "withdrawn" => OPEN_STAGES.contains(&stage),
        "accepted" => stage == "offer",
        next => next_stage(stage) == Some(next),
    };
    if allowed {
        Ok(())
    } else {
        Err(wrong_move(id, stage, target))
    }
}

/// The stage an open application moves to next, by the organisation.
pub fn next_stage(stage: &str) -> Option<&'static str> {
    match stage {
        "applied" => Some("screening"),
        "screening" => Some("interview"),
        "interview" => Some("offer"),
        _ => None,
    }
}

/// Refuses a move of an application at `stage` with what it could do instead.
fn wrong_move(id: Uuid, stage: &str, asked: &str) -> Error {
    if !OPEN_STAGES.contains(&stage) {
        return Error::FailedPrecondition(format!(
            "application {id} is at stage {stage} and can no longer move (asked: {asked})"
        ));
    }
    let next = match stage {
        "offer" => "accepted (AcceptApplication), rejected or withdrawn".to_owned(),
        other => format!(
            "{}, rejected or withdrawn",
            next_stage(other).unwrap_or("rejected")
        ),
    };
    Error::FailedPrecondition(format!(
        "application {id} is at stage {stage}: it can move to {next}, not {asked}"
    ))
}

/// Sets an application's stage (and note), and its update time.
pub async fn set_stage(
    db: &impl ConnectionTrait,
    row: application::Model,
    stage: &str,
    note: Option<String>,
) -> Result<application::Model> {
    let was = row.clone();
    let mut active = row.into_active_model();
    active.stage = Set(stage.to_owned());
    if let Some(note) = note {
        active.stage_note = Set(note);
    }
    active.updated_at = Set(Utc::now());
    let saved = active.update(db).await?;
    crate::store::tally::application(db, Some(&was), Some(&saved)).await?;
    crate::store::notifications::hooks::application_moved(db, &saved).await?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn an_application_moves_one_stage_at_a_time() {
        assert_eq!(next_stage("applied"), Some("screening"));
        assert_eq!(next_stage("interview"), Some("offer"));
        assert_eq!(next_stage("offer"), None);
        let id = Uuid::now_v7();
        let error = wrong_move(id, "applied", "offer").to_string();
        assert!(
            error.contains("at stage applied: it can move to screening"),
            "{error}"
        );
        let closed = wrong_move(id, "rejected", "screening").to_string();
        assert!(
            closed.contains("at stage rejected and can no longer move"),
            "{closed}"
        );
    }

    #[test]
    fn only_an_offer_is_accepted_and_only_open_applications_close() {
        let id = Uuid::now_v7();
        assert!(check_move(id, "offer", "accepted").is_ok());
        assert!(check_move(id, "interview", "accepted").is_err());
        assert!(check_move(id, "screening", "rejected").is_ok());
        assert!(check_move(id, "applied", "withdrawn").is_ok());
        assert!(check_move(id, "accepted", "withdrawn").is_err());
        assert!(check_move(id, "applied", "screening").is_ok());
        assert!(check_move(id, "applied", "interview").is_err());
    }
}
