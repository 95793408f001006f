//! `passage.v1.PlacementService`: applications under the region's labour-market
//! rules, their stages, the placements they become, and retention.

use chrono::{Months, NaiveDate, Utc};
use passage_proto::v1::{self, placement_service_server::PlacementService};
use passage_server::access::{Caller, Role, with_subject};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, IntoActiveModel};

use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::decision_to_wire;
use crate::application_stages as stages;
use crate::context::NodeContext;
use crate::convert::{self, enums, json_strings, placements::placement_kind};
use crate::error::{Error, Refusal, Result};
use crate::membership::member_here;
use crate::retention;
use crate::rules::{MemberFacts, OpportunityFacts};
use crate::store::placements::{self as store, ApplicationFilter, PlacementFilter};
use crate::store::{
    PageRequest,
    entity::{application, opportunity, organisation, placement},
    review, rows,
};
use crate::validate;

/// Longest motivation, in characters.
const MAX_MOTIVATION: usize = 2000;
/// Longest note on a rejection, a withdrawal or an end.
const MAX_NOTE: usize = 500;

/// Serves `PlacementService` from the node's database and rules.
pub struct PlacementApi {
    context: NodeContext,
}

impl PlacementApi {
    pub fn new(context: NodeContext) -> Self {
        PlacementApi { context }
    }
}

fn figures_to_wire(kind: v1::PlacementKind, figures: &retention::Figures) -> v1::RetentionFigures {
    v1::RetentionFigures {
        kind: kind as i32,
        started: i32::try_from(figures.started).unwrap_or(i32::MAX),
        marks: figures
            .marks
            .iter()
            .map(|mark| v1::RetentionMark {
                months: i32::try_from(mark.months).unwrap_or(i32::MAX),
                due: i32::try_from(mark.due).unwrap_or(i32::MAX),
                retained: i32::try_from(mark.retained).unwrap_or(i32::MAX),
                rate: mark.rate(),
            })
            .collect(),
    }
}

/// How a caller sees an application: whole (the member who applied, the chapter
/// admin) or as the organisation whose opportunity it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Viewer {
    Whole,
    Organisation,
}

impl Viewer {
    fn show(self, wire: v1::Application) -> v1::Application {
        match self {
            Viewer::Whole => wire,
            Viewer::Organisation => convert::placements::application_for_organisation(wire),
        }
    }
}

/// Checks that `caller` may see or handle application `row`: a chapter admin any
/// of the region, a member their own, an organisation's contact those to its own
/// opportunities (`organisation_only`: only the organisation or the chapter
/// admin, for the organisation's moves).
async fn viewer_of(
    db: &impl ConnectionTrait,
    caller: &Caller,
    row: &application::Model,
    organisation_only: bool,
) -> Result<Viewer, Status> {
    match caller.role {
        Role::Organisation => {
            let offered =
                rows::find::<opportunity::Entity>(db, row.opportunity_id, "opportunity").await?;
            caller.may_act_for_organisation(&offered.organisation_id.to_string())?;
            Ok(Viewer::Organisation)
        }
        _ if organisation_only => {
            caller.may_act_for_organisation("")?;
            Ok(Viewer::Whole)
        }
        _ => {
            caller.may_act_for(&row.member_id.to_string())?;
            Ok(Viewer::Whole)
        }
    }
}

impl PlacementApi {
    /// The region's rules on `member` taking `opportunity` on `date`; a refusal
    /// naming every rule that denies it (`when` says when, for a later date).
    async fn rules_allow(
        &self,
        db: &impl ConnectionTrait,
        member: &crate::store::entity::member::Model,
        opportunity: &opportunity::Model,
        date: NaiveDate,
        when: &str,
    ) -> Result<v1::Decision> {
        let (organisation_kind, headcount) =
            organisation::Entity::find_by_id(opportunity.organisation_id)
                .one(db)
                .await?
                .map_or_else(
                    || ("unspecified".to_owned(), 0),
                    |o| (o.kind, i64::from(o.headcount)),
                );
        let rules = self.context.rules.current();
        let decision = rules
            .evaluate(
                &MemberFacts::from_row(member),
                &OpportunityFacts::from_row(opportunity, &organisation_kind, headcount),
                date,
            )
            .map_err(|e| Error::FailedPrecondition(e.to_string()))?;
        let decided = decision_to_wire(&rules, &decision, date);
        if !decided.eligible {
            let reasons: Vec<String> = decided
                .fired
                .iter()
                .filter(|fired| fired.effect == v1::RuleEffect::Deny as i32)
                .map(|fired| format!("{} [{}]", fired.explanation, fired.rule_id))
                .collect();
            return Err(Error::FailedPrecondition(format!(
                "the labour-market rules of {} do not allow member {} to take opportunity {}{when}: {}",
                self.context.region,
                member.id,
                opportunity.id,
                reasons.join("; ")
            )));
        }
        Ok(decided)
    }
}

#[tonic::async_trait]
impl PlacementService for PlacementApi {
    async fn apply(
        &self,
        request: Request<v1::ApplyRequest>,
    ) -> Result<Response<v1::Application>, Status> {
        let member_id = validate::id("member_id", &request.get_ref().member_id)?;
        crate::access::acts_for(&request, member_id)?;
        let request = request.into_inner();
        let opportunity_id = validate::id("opportunity_id", &request.opportunity_id)?;
        let motivation =
            validate::optional_text("motivation", &request.motivation, MAX_MOTIVATION)?;
        let region = &self.context.region;
        let today = Utc::now().date_naive();

        let (_turn, txn) = self.context.begin_write().await?;
        let member = member_here(
            &txn,
            region,
            "member_id",
            member_id,
            "apply to its opportunities",
        )
        .await?;
        let opportunity =
            rows::find::<opportunity::Entity>(&txn, opportunity_id, "opportunity").await?;
        if opportunity.status != "published" {
            return Err(Error::FailedPrecondition(format!(
                "opportunity {opportunity_id} is {}; only a published opportunity takes applications",
                opportunity.status.replace('_', " ")
            ))
            .into());
        }
        if let Some(open) = store::open_application(&txn, member_id, opportunity_id).await? {
            return Err(Error::AlreadyExists(format!(
                "member {member_id} already has an open application {} (stage {}) to opportunity {opportunity_id}",
                open.id, open.stage
            ))
            .into());
        }
        let decided = self
            .rules_allow(&txn, &member, &opportunity, today, "")
            .await?;
        let now = Utc::now();
        let rule_ids: Vec<String> = decided.fired.iter().map(|f| f.rule_id.clone()).collect();
        let saved = rows::insert::<application::Entity>(
            &txn,
            application::Model {
                id: Uuid::now_v7(),
                member_id,
                opportunity_id,
                stage: "applied".into(),
                motivation,
                conditions: json_strings(&decided.conditions),
                employer_conditions: Some(json_strings(&decided.employer_conditions)),
                share_employer_conditions: false,
                warnings: json_strings(&decided.warnings),
                rule_ids: json_strings(&rule_ids),
                hours_cap: decided.hours_cap,
                rules_version: decided.rules_version.clone(),
                evaluated_on: today,
                stage_note: String::new(),
                created_at: now,
                updated_at: now,
                external_id: None,
            },
        )
        .await?;
        crate::store::tally::application(&txn, None, Some(&saved)).await?;
        txn.commit().await.map_err(Error::from)?;
        // The rules that fired say something of the member's status: they are kept
        // with the application, never logged.
        tracing::info!(application_id = %saved.id, %opportunity_id, "application made");
        Ok(with_subject(
            Response::new(convert::placements::application_to_wire(&saved, None)),
            member_id.to_string(),
        ))
    }

    async fn get_application(
        &self,
        request: Request<v1::GetApplicationRequest>,
    ) -> Result<Response<v1::Application>, Status> {
        let id = validate::id("id", &request.get_ref().id)?;
        let row = rows::find::<application::Entity>(&self.context.db, id, "application").await?;
        let viewer = viewer_of(&self.context.db, Caller::of(&request)?, &row, false).await?;
        let placement = store::placement_of(&self.context.db, id).await?;
        Ok(with_subject(
            Response::new(viewer.show(convert::placements::application_to_wire(
                &row,
                placement.map(|p| p.id),
            ))),
            row.member_id.to_string(),
        ))
    }

    async fn move_application(
        &self,
        request: Request<v1::MoveApplicationRequest>,
    ) -> Result<Response<v1::Application>, Status> {
        let caller = Caller::of(&request)?.clone();
        let request = request.into_inner();
        let id = validate::id("id", &request.id)?;
        let target = enums::parse::<v1::ApplicationStage>("stage", request.stage, true)?;
        let note = validate::optional_text("note", &request.note, MAX_NOTE)?;
        match target {
            v1::ApplicationStage::Accepted => {
                return Err(Error::invalid(
                    "stage",
                    "ACCEPTED needs a start date: use AcceptApplication",
                )
                .into());
            }
            v1::ApplicationStage::Withdrawn => {
                return Err(Error::invalid(
                    "stage",
                    "only the member withdraws: use WithdrawApplication",
                )
                .into());
            }
            v1::ApplicationStage::Applied => {
                return Err(
                    Error::invalid("stage", "an application never moves back to APPLIED").into(),
                );
            }
            _ => {}
        }
        let target = enums::stored(target);
        let (_turn, txn) = self.context.begin_write().await?;
        let row = rows::find::<application::Entity>(&txn, id, "application").await?;
        let viewer = viewer_of(&txn, &caller, &row, true).await?;
        stages::check_move(id, &row.stage, &target)?;
        let saved =
            stages::set_stage(&txn, row, &target, (target == "rejected").then_some(note)).await?;
        txn.commit().await.map_err(Error::from)?;
        self.context.mail_ready.notify_one();
        tracing::info!(application_id = %id, stage = %target, "application moved");
        Ok(with_subject(
            Response::new(viewer.show(convert::placements::application_to_wire(&saved, None))),
            saved.member_id.to_string(),
        ))
    }

    async fn withdraw_application(
        &self,
        request: Request<v1::WithdrawApplicationRequest>,
    ) -> Result<Response<v1::Application>, Status> {
        let member_id = validate::id("member_id", &request.get_ref().member_id)?;
        crate::access::acts_for(&request, member_id)?;
        let request = request.into_inner();
        let id = validate::id("id", &request.id)?;
        let note = validate::optional_text("note", &request.note, MAX_NOTE)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let row = rows::find::<application::Entity>(&txn, id, "application").await?;
        if row.member_id != member_id {
            return Err(Error::FailedPrecondition(format!(
                "application {id} is member {}'s; only the member who applied withdraws it",
                row.member_id
            ))
            .into());
        }
        stages::check_move(id, &row.stage, "withdrawn")?;
        let saved = stages::set_stage(&txn, row, "withdrawn", Some(note)).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(application_id = %id, "application withdrawn");
        Ok(with_subject(
            Response::new(convert::placements::application_to_wire(&saved, None)),
            member_id.to_string(),
        ))
    }

    async fn share_employer_conditions(
        &self,
        request: Request<v1::ShareEmployerConditionsRequest>,
    ) -> Result<Response<v1::Application>, Status> {
        let member_id = validate::id("member_id", &request.get_ref().member_id)?;
        crate::access::acts_for(&request, member_id)?;
        let request = request.into_inner();
        let id = validate::id("id", &request.id)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let row = rows::find::<application::Entity>(&txn, id, "application").await?;
        if row.member_id != member_id {
            return Err(Error::FailedPrecondition(format!(
                "application {id} is member {}'s; only the member who applied decides what the organisation sees",
                row.member_id
            ))
            .into());
        }
        let placement = store::placement_of(&txn, id).await?;
        let mut changed = row.into_active_model();
        changed.share_employer_conditions = Set(request.share);
        changed.updated_at = Set(Utc::now());
        let saved = changed.update(&txn).await.map_err(Error::from)?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(application_id = %id, share = request.share, "employer conditions shared");
        Ok(with_subject(
            Response::new(convert::placements::application_to_wire(
                &saved,
                placement.map(|p| p.id),
            )),
            member_id.to_string(),
        ))
    }

    async fn accept_application(
        &self,
        request: Request<v1::AcceptApplicationRequest>,
    ) -> Result<Response<v1::AcceptApplicationResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let request = request.into_inner();
        let id = validate::id("id", &request.id)?;
        let today = Utc::now().date_naive();
        let start =
            validate::optional_date("start_date", &request.start_date)?.ok_or_else(|| {
                Error::missing("start_date", "must be set: the placement's first day")
            })?;
        let latest = today.checked_add_months(Months::new(12)).unwrap_or(today);
        let earliest = today.checked_sub_months(Months::new(120)).unwrap_or(today);
        if start > latest || start < earliest {
            return Err(Error::refused(
                "start_date",
                format!("must be within ten years back and one year ahead of today ({today}), got {start}"),
                Refusal::of(
                    v1::RefusalKind::OutOfRange,
                    &start.to_string(),
                    [earliest.to_string(), latest.to_string()],
                ),
            )
            .into());
        }

        let (_turn, txn) = self.context.begin_write().await?;
        let row = rows::find::<application::Entity>(&txn, id, "application").await?;
        let viewer = viewer_of(&txn, &caller, &row, true).await?;
        stages::check_move(id, &row.stage, "accepted")?;
        let opportunity =
            rows::find::<opportunity::Entity>(&txn, row.opportunity_id, "opportunity").await?;
        // The member must still live here, and the rules must allow the work on
        // its first day: a permit may have run out, or a rule come into force,
        // since the application.
        let member = member_here(
            &txn,
            &self.context.region,
            "id",
            row.member_id,
            "start a placement",
        )
        .await?;
        self.rules_allow(
            &txn,
            &member,
            &opportunity,
            start,
            &format!(" starting {start}"),
        )
        .await
        .map_err(|refused| match viewer {
            Viewer::Whole => refused,
            // Which rule bars the start would say the member's residence status.
            Viewer::Organisation => Error::FailedPrecondition(format!(
                "application {id} cannot start on {start} under the region's labour-market rules; ask the chapter"
            )),
        })?;
        let kind = placement_kind(&opportunity.kind).ok_or_else(|| {
            Error::FailedPrecondition(format!(
                "opportunity {} has kind {}, which no placement kind matches",
                opportunity.id, opportunity.kind
            ))
        })?;
        let opportunity_id = opportunity.id;
        let organisation_id = opportunity.organisation_id;
        let filled = request.fill_opportunity;
        if filled {
            if opportunity.status != "published" {
                return Err(Error::FailedPrecondition(format!(
                    "opportunity {opportunity_id} is {}; only a published opportunity can be filled",
                    opportunity.status.replace('_', " ")
                ))
                .into());
            }
            review::set_status(&txn, opportunity, "filled", Utc::now()).await?;
        }
        let member_id = row.member_id;
        let accepted = stages::set_stage(&txn, row, "accepted", None).await?;
        let now = Utc::now();
        let placement = rows::insert::<placement::Entity>(
            &txn,
            placement::Model {
                id: Uuid::now_v7(),
                application_id: id,
                member_id,
                opportunity_id,
                organisation_id,
                kind: kind.to_owned(),
                start_date: start,
                end_date: None,
                end_reason: String::new(),
                end_note: String::new(),
                created_at: now,
                updated_at: now,
                external_id: None,
            },
        )
        .await?;
        crate::store::tally::placement(&txn, None, Some(&placement)).await?;
        txn.commit().await.map_err(Error::from)?;
        self.context.mail_ready.notify_one();
        if filled {
            self.context
                .catalogue
                .follow(&self.context.db, &[opportunity_id])
                .await;
        }
        tracing::info!(application_id = %id, placement_id = %placement.id, kind, %start, filled, "application accepted");
        Ok(with_subject(
            Response::new(v1::AcceptApplicationResponse {
                application: Some(viewer.show(convert::placements::application_to_wire(
                    &accepted,
                    Some(placement.id),
                ))),
                placement: Some(convert::placements::placement_to_wire(&placement)),
            }),
            member_id.to_string(),
        ))
    }

    async fn list_applications(
        &self,
        request: Request<v1::ListApplicationsRequest>,
    ) -> Result<Response<v1::ListApplicationsResponse>, Status> {
        let limited_to = crate::access::member_limit(&request)?;
        let organisation = crate::access::organisation_limit(&request)?;
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let optional_id = |field: &str, value: &str| -> Result<Option<Uuid>> {
            if value.trim().is_empty() {
                Ok(None)
            } else {
                validate::id(field, value).map(Some)
            }
        };
        let asked_for = optional_id("member_id", &request.member_id)?;
        let member_id = match (limited_to, asked_for) {
            (None, asked_for) => asked_for,
            (Some(own), None) => Some(own),
            (Some(own), Some(asked_for)) if own == asked_for => Some(own),
            (Some(_), Some(_)) => {
                return Err(Error::PermissionDenied(
                    "member_id: a member may only list their own applications".into(),
                )
                .into());
            }
        };
        let filter = ApplicationFilter {
            member_id,
            opportunity_id: optional_id("opportunity_id", &request.opportunity_id)?,
            stage: enums::filter::<v1::ApplicationStage>("stage", request.stage)?,
        };
        let viewer = match organisation {
            None => Viewer::Whole,
            Some(organisation) => {
                // An organisation lists the applications to one of its own
                // opportunities at a time.
                let Some(opportunity_id) = filter.opportunity_id else {
                    return Err(Error::missing(
                        "opportunity_id",
                        "must be set: an organisation lists the applications to one of its opportunities",
                    )
                    .into());
                };
                let offered = rows::find::<opportunity::Entity>(
                    &self.context.db,
                    opportunity_id,
                    "opportunity",
                )
                .await?;
                if offered.organisation_id != organisation {
                    return Err(Error::PermissionDenied(format!(
                        "opportunity_id: opportunity {opportunity_id} is not your organisation's"
                    ))
                    .into());
                }
                Viewer::Organisation
            }
        };
        let page = store::list_applications(&self.context.db, page, &filter).await?;
        let accepted: Vec<Uuid> = page
            .items
            .iter()
            .filter(|a| a.stage == "accepted")
            .map(|a| a.id)
            .collect();
        let placements = store::placements_of(&self.context.db, &accepted).await?;
        let placement_of = |id: Uuid| {
            placements
                .iter()
                .find(|p| p.application_id == id)
                .map(|p| p.id)
        };
        let titles = store::opportunity_titles(
            &self.context.db,
            &page
                .items
                .iter()
                .map(|a| a.opportunity_id)
                .collect::<Vec<_>>(),
        )
        .await?;
        let response = Response::new(v1::ListApplicationsResponse {
            next_page_token: page.next_page_token(),
            applications: page
                .items
                .iter()
                .map(|a| {
                    viewer.show(v1::Application {
                        opportunity_title: titles
                            .get(&a.opportunity_id)
                            .cloned()
                            .unwrap_or_default(),
                        ..convert::placements::application_to_wire(a, placement_of(a.id))
                    })
                })
                .collect(),
        });
        Ok(match filter.member_id {
            Some(member_id) => with_subject(response, member_id.to_string()),
            None => response,
        })
    }

    async fn get_placement(
        &self,
        request: Request<v1::GetPlacementRequest>,
    ) -> Result<Response<v1::Placement>, Status> {
        let id = validate::id("id", &request.into_inner().id)?;
        let row = rows::find::<placement::Entity>(&self.context.db, id, "placement").await?;
        Ok(with_subject(
            Response::new(convert::placements::placement_to_wire(&row)),
            row.member_id.to_string(),
        ))
    }

    async fn end_placement(
        &self,
        request: Request<v1::EndPlacementRequest>,
    ) -> Result<Response<v1::Placement>, Status> {
        let request = request.into_inner();
        let id = validate::id("id", &request.id)?;
        let end = validate::optional_date("end_date", &request.end_date)?
            .ok_or_else(|| Error::missing("end_date", "must be set: the placement's last day"))?;
        let reason = enums::parse::<v1::PlacementEndReason>("reason", request.reason, true)?;
        let note = if reason == v1::PlacementEndReason::Other {
            validate::required_text("note", &request.note, MAX_NOTE).map_err(
                |error| match error {
                    Error::InvalidArgument { field, reason, .. }
                        if reason == "must not be empty" =>
                    {
                        Error::refused(
                            field,
                            "must say why when the reason is OTHER",
                            Refusal::of(v1::RefusalKind::NeedsAReason, "", []),
                        )
                    }
                    other => other,
                },
            )?
        } else {
            validate::optional_text("note", &request.note, MAX_NOTE)?
        };
        let today = Utc::now().date_naive();
        if end > today {
            return Err(Error::refused(
                "end_date",
                format!("must not be after today ({today}), got {end}"),
                Refusal::of(v1::RefusalKind::InTheFuture, &end.to_string(), []),
            )
            .into());
        }
        let (_turn, txn) = self.context.begin_write().await?;
        let row = rows::find::<placement::Entity>(&txn, id, "placement").await?;
        if let Some(ended) = row.end_date {
            return Err(Error::FailedPrecondition(format!(
                "placement {id} already ended on {ended} ({})",
                row.end_reason.replace('_', " ")
            ))
            .into());
        }
        if end < row.start_date {
            return Err(Error::refused(
                "end_date",
                format!(
                    "must be on or after the start date {}, got {end}",
                    row.start_date
                ),
                Refusal::of(
                    v1::RefusalKind::Before,
                    &end.to_string(),
                    [row.start_date.to_string()],
                ),
            )
            .into());
        }
        let was = row.clone();
        let mut active = row.into_active_model();
        active.end_date = Set(Some(end));
        active.end_reason = Set(enums::stored(reason));
        active.end_note = Set(note);
        active.updated_at = Set(Utc::now());
        let saved = active.update(&txn).await.map_err(Error::from)?;
        crate::store::tally::placement(&txn, Some(&was), Some(&saved)).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(placement_id = %id, %end, reason = %saved.end_reason, "placement ended");
        Ok(with_subject(
            Response::new(convert::placements::placement_to_wire(&saved)),
            saved.member_id.to_string(),
        ))
    }

    async fn list_placements(
        &self,
        request: Request<v1::ListPlacementsRequest>,
    ) -> Result<Response<v1::ListPlacementsResponse>, Status> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let member_id = if request.member_id.trim().is_empty() {
            None
        } else {
            Some(validate::id("member_id", &request.member_id)?)
        };
        let state = enums::parse::<v1::PlacementState>("state", request.state, false)?;
        let filter = PlacementFilter {
            member_id,
            active: match state {
                v1::PlacementState::Unspecified => None,
                v1::PlacementState::Active => Some(true),
                v1::PlacementState::Ended => Some(false),
            },
            kind: enums::filter::<v1::PlacementKind>("kind", request.kind)?,
        };
        let page = store::list_placements(&self.context.db, page, &filter).await?;
        let response = Response::new(v1::ListPlacementsResponse {
            next_page_token: page.next_page_token(),
            placements: page
                .items
                .iter()
                .map(convert::placements::placement_to_wire)
                .collect(),
        });
        Ok(match filter.member_id {
            Some(member_id) => with_subject(response, member_id.to_string()),
            None => response,
        })
    }

    async fn get_retention(
        &self,
        request: Request<v1::GetRetentionRequest>,
    ) -> Result<Response<v1::Retention>, Status> {
        let request = request.into_inner();
        let today = Utc::now().date_naive();
        let (from, to) = retention::requested_range(&request, today)?;
        let last_day = to
            .checked_add_months(Months::new(1))
            .and_then(|next| next.pred_opt())
            .unwrap_or(to);
        let mut tally = retention::Tally::default();
        let mut after = None;
        loop {
            let page =
                store::stays_started_between(&self.context.db, from, last_day, after).await?;
            for (_, kind, start, end) in &page {
                let stay = retention::Stay {
                    kind: kind.clone(),
                    start: *start,
                    end: *end,
                };
                tally.add(&stay, today);
            }
            after = page.last().map(|(id, ..)| *id);
            if (page.len() as u64) < store::STAYS_PAGE {
                break;
            }
        }
        let (all, by_kind) = (tally.all, tally.by_kind);
        let kinds = [
            v1::PlacementKind::PaidJob,
            v1::PlacementKind::Internship,
            v1::PlacementKind::Volunteering,
            v1::PlacementKind::LearnWork,
            v1::PlacementKind::Project,
        ];
        Ok(Response::new(v1::Retention {
            from_month: from.format("%Y-%m").to_string(),
            to_month: to.format("%Y-%m").to_string(),
            computed_on: convert::placements::day(today),
            all: Some(figures_to_wire(v1::PlacementKind::Unspecified, &all)),
            by_kind: kinds
                .into_iter()
                .filter_map(|kind| {
                    by_kind
                        .get(&enums::stored(kind))
                        .map(|figures| figures_to_wire(kind, figures))
                })
                .collect(),
        }))
    }
}
