//! `passage.v1.MatchService`: published opportunities a member may take under the
//! region's rules, best first, and the reverse for an organisation.

use std::collections::HashMap;

use passage_proto::v1::{self, match_service_server::MatchService};
use passage_server::access::with_subject;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tonic::{Request, Response, Status};

use super::rules::{decision_date, decision_to_wire, member_facts, opportunity_facts};
use crate::context::NodeContext;
use crate::convert::{self, strings_from_json};
use crate::error::{Error, Result};
use crate::matching::{self, rank::Fit};
use crate::rules::MemberFacts;
use crate::store::entity::{member, opportunity};

/// Matches when a request names no page size, and the most it may ask for.
const DEFAULT_MATCHES: usize = 20;
const MAX_MATCHES: usize = 100;

/// Serves `MatchService` from the node's catalogue and rules.
pub struct MatchApi {
    context: NodeContext,
}

impl MatchApi {
    pub fn new(context: NodeContext) -> Self {
        MatchApi { context }
    }
}

fn page_size(requested: i32) -> Result<usize> {
    match requested {
        0 => Ok(DEFAULT_MATCHES),
        n if n < 0 => Err(Error::invalid(
            "page_size",
            format!("must not be negative, got {n}"),
        )),
        n => Ok((n as usize).min(MAX_MATCHES)),
    }
}

/// How a member and an opportunity fit, with words as strings (for reasons).
fn fit<'a>(
    member: &'a MemberFacts,
    skills: &'a [String],
    sector: &'a String,
    languages: &'a [String],
    hours: i32,
    hours_cap: Option<i32>,
) -> Fit<'a, String> {
    Fit {
        member_skills: &member.skills,
        member_sectors: &member.sectors,
        member_languages: &member.languages,
        member_hours: i32::try_from(member.available_hours_per_week).unwrap_or(0),
        skills,
        sector,
        languages,
        hours,
        hours_cap,
    }
}

/// Lower-cased, as rules and the catalogue compare words.
fn lower(words: Vec<String>) -> Vec<String> {
    words.into_iter().map(|w| w.trim().to_lowercase()).collect()
}

#[tonic::async_trait]
impl MatchService for MatchApi {
    async fn match_opportunities(
        &self,
        request: Request<v1::MatchOpportunitiesRequest>,
    ) -> Result<Response<v1::MatchOpportunitiesResponse>, Status> {
        let started = std::time::Instant::now();
        let member_id = crate::validate::id("member_id", &request.get_ref().member_id)?;
        crate::access::acts_for(&request, member_id)?;
        let request = request.into_inner();
        let limit = page_size(request.page_size)?;
        let date = decision_date("date", &request.date)?;
        let (_, mut member) = member_facts(&self.context, "member_id", &request.member_id).await?;
        let read_member = started.elapsed();
        member.skills = lower(std::mem::take(&mut member.skills));
        member.sectors = lower(std::mem::take(&mut member.sectors));
        member.languages = lower(std::mem::take(&mut member.languages));
        self.context
            .catalogue
            .reload_if_stale(&self.context.db)
            .await?;
        let rules = self.context.rules.current();
        let catalogue = self.context.catalogue.clone();
        let (decided_with, facts) = (rules.clone(), member.clone());
        let found = tokio::task::spawn_blocking(move || {
            let listing = catalogue.read();
            matching::opportunities_for(&decided_with, &listing, &facts, date, limit)
        })
        .await
        .map_err(|e| Error::Internal(format!("matching: {e}")))?
        .map_err(|e| Error::FailedPrecondition(e.to_string()))?;
        let ranked = started.elapsed();

        let ids: Vec<uuid::Uuid> = found.best.iter().map(|r| r.id).collect();
        // Read by id alone, so the primary key finds them: with `status` in the
        // query SQLite walks the status index over every published opportunity.
        let mut rows: HashMap<uuid::Uuid, opportunity::Model> = opportunity::Entity::find()
            .filter(opportunity::Column::Id.is_in(ids))
            .all(&self.context.db)
            .await
            .map_err(Error::from)?
            .into_iter()
            .filter(|row| row.status == "published")
            .map(|row| (row.id, row))
            .collect();
        let mut matches = Vec::with_capacity(found.best.len());
        for ranked in &found.best {
            // Unpublished since it was ranked: it is no longer offered.
            let Some(row) = rows.remove(&ranked.id) else {
                continue;
            };
            let skills = lower(strings_from_json(&row.skills));
            let languages = lower(strings_from_json(&row.languages));
            let sector = row.sector.to_lowercase();
            let fit = fit(
                &member,
                &skills,
                &sector,
                &languages,
                row.hours_per_week,
                ranked.decision.hours_cap,
            )
            .fit_reasons();
            matches.push(v1::OpportunityMatch {
                opportunity: Some(convert::market::opportunity_to_wire(&row)),
                score: ranked.score,
                reasons: fit.iter().map(crate::matching::rank::in_english).collect(),
                fit,
                decision: Some(decision_to_wire(&rules, &ranked.decision, date)),
            });
        }
        tracing::debug!(
            read_member_ms = read_member.as_secs_f64() * 1e3,
            ranked_ms = ranked.as_secs_f64() * 1e3,
            total_ms = started.elapsed().as_secs_f64() * 1e3,
            considered = found.considered,
            evaluations = found.evaluations,
            "opportunities matched"
        );
        Ok(with_subject(
            Response::new(v1::MatchOpportunitiesResponse {
                matches,
                considered: i32::try_from(found.considered).unwrap_or(i32::MAX),
                eligible: i32::try_from(found.eligible).unwrap_or(i32::MAX),
            }),
            member_id.to_string(),
        ))
    }

    async fn match_members(
        &self,
        request: Request<v1::MatchMembersRequest>,
    ) -> Result<Response<v1::MatchMembersResponse>, Status> {
        let organisation = crate::access::organisation_limit(&request)?;
        let request = request.into_inner();
        let limit = page_size(request.page_size)?;
        let date = decision_date("date", &request.date)?;
        let (row, opportunity) =
            opportunity_facts(&self.context, "opportunity_id", &request.opportunity_id).await?;
        if let Some(own) = organisation
            && row.organisation_id != own
        {
            return Err(Error::PermissionDenied(format!(
                "opportunity_id: opportunity {} is not your organisation's",
                row.id
            ))
            .into());
        }
        if row.status != "published" {
            return Err(Error::FailedPrecondition(format!(
                "opportunity {} is {}: only published opportunities are matched",
                row.id, row.status
            ))
            .into());
        }
        let rules = self.context.rules.current();
        let skills = lower(strings_from_json(&row.skills));
        let languages = lower(strings_from_json(&row.languages));
        let sector = row.sector.to_lowercase();
        // The region's newcomers are read a page at a time and only the best
        // `limit` kept: one page and the answer in memory, however large the
        // region.
        let mut ranked: Vec<Candidate> = Vec::new();
        let (mut considered, mut eligible) = (0, 0);
        let mut after = None;
        loop {
            let mut select = member::Entity::find().filter(member::Column::Role.eq("newcomer"));
            if let Some(after) = after {
                select = select.filter(member::Column::Id.gt(after));
            }
            let page = select
                .order_by_asc(member::Column::Id)
                .limit(NEWCOMERS_PAGE)
                .all(&self.context.db)
                .await
                .map_err(Error::from)?;
            considered += page.len();
            after = page.last().map(|candidate| candidate.id);
            let full = page.len() as u64 == NEWCOMERS_PAGE;
            for candidate in page {
                let mut facts = MemberFacts::from_row(&candidate);
                facts.skills = lower(std::mem::take(&mut facts.skills));
                facts.sectors = lower(std::mem::take(&mut facts.sectors));
                facts.languages = lower(std::mem::take(&mut facts.languages));
                let decision = rules
                    .evaluate(&facts, &opportunity, date)
                    .map_err(|e| Error::FailedPrecondition(e.to_string()))?;
                if !decision.eligible {
                    continue;
                }
                eligible += 1;
                // Ranked and explained as if no rule had capped the hours or set a
                // condition: what the rules decide about a member follows from their
                // residence status, which the organisation must not learn, not even as
                // a lower score or a different order.
                let fit = fit(
                    &facts,
                    &skills,
                    &sector,
                    &languages,
                    row.hours_per_week,
                    None,
                );
                ranked.push(Candidate {
                    score: fit.score(),
                    reasons: fit.fit_reasons(),
                    member: candidate,
                });
            }
            ranked.sort_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then_with(|| b.member.id.cmp(&a.member.id))
            });
            ranked.truncate(limit);
            if !full {
                break;
            }
        }
        let matches = ranked
            .into_iter()
            .map(
                |Candidate {
                     score,
                     reasons,
                     member: candidate,
                 }| v1::MemberMatch {
                    member_id: candidate.id.to_string(),
                    display_name: candidate.display_name.clone(),
                    profession: candidate.profession.clone(),
                    score,
                    reasons: reasons
                        .iter()
                        .map(crate::matching::rank::in_english)
                        .collect(),
                    fit: reasons,
                },
            )
            .collect();
        // An organisation is not told how many members the rules bar.
        let counted = |count: usize| match organisation {
            Some(_) => 0,
            None => i32::try_from(count).unwrap_or(i32::MAX),
        };
        Ok(Response::new(v1::MatchMembersResponse {
            matches,
            considered: counted(considered),
            eligible: counted(eligible),
        }))
    }
}

/// Newcomers read at once by `MatchMembers`.
const NEWCOMERS_PAGE: u64 = 1_000;

/// A newcomer eligible for an opportunity, with her fit.
struct Candidate {
    score: f64,
    reasons: Vec<v1::FitReason>,
    member: member::Model,
}
