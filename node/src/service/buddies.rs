//! `passage.v1.BuddyService`: buddy pairs of this region, proposed by the node and
//! confirmed, declined or ended by a chapter admin.

use std::collections::HashMap;

use chrono::Utc;
use passage_proto::v1::{self, buddy_service_server::BuddyService};
use passage_server::access::with_subject;
use sea_orm::ConnectionTrait;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::context::NodeContext;
use crate::convert::{self, enums, json_strings, strings_from_json};
use crate::error::{Error, Result};
use crate::matching::buddies::{self as buddy_proposal, Buddy, Candidate};
use crate::membership::{self, Absence};
use crate::store::{
    PageRequest, buddies,
    entity::{buddy_pair, member},
    rows,
};
use crate::validate;

/// Pairs a proposal makes when the caller asks for no particular number.
const DEFAULT_MAX_PAIRS: usize = 50;
/// The most pairs one proposal makes, whatever the caller asks for.
const MAX_PAIRS: usize = 500;
/// The most locals one proposal considers: those with room left and the fewest
/// buddies, twice as many as the most pairs it makes, so that a chapter of any
/// size is proposed from in bounded memory and volunteers without a buddy come
/// first.
const LOCALS_CONSIDERED: u64 = 2 * MAX_PAIRS as u64;

/// Serves `BuddyService` from the node's database.
pub struct BuddyApi {
    context: NodeContext,
}

impl BuddyApi {
    pub fn new(context: NodeContext) -> Self {
        BuddyApi { context }
    }

    /// Reads the pair, checks it is in status `from` (for doing `what`), and moves
    /// it to `to`, in one transaction.
    async fn transition(
        &self,
        id: Uuid,
        from: &str,
        to: &str,
        what: &str,
        end_reason: Option<String>,
    ) -> Result<buddy_pair::Model> {
        let (_turn, txn) = self.context.begin_write().await?;
        let row = rows::find::<buddy_pair::Entity>(&txn, id, "buddy pair").await?;
        if row.status != from {
            let article = if from.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            return Err(Error::FailedPrecondition(format!(
                "buddy pair {id} is {}; only {article} {from} pair can be {what}",
                row.status
            )));
        }
        if to == "active" {
            for member_id in [row.newcomer_member_id, row.local_member_id] {
                check_still_here(&txn, &self.context.region, member_id).await?;
            }
        }
        let saved = buddies::set_status(&txn, row, to, end_reason, Utc::now()).await?;
        if to == "active" {
            crate::store::notifications::hooks::pair_confirmed(&txn, &saved).await?;
        }
        txn.commit().await?;
        self.context.mail_ready.notify_one();
        tracing::info!(pair_id = %id, status = to, "buddy pair {what}");
        Ok(saved)
    }

    /// One pair as the API gives it, with the two members' names.
    async fn to_wire(&self, row: &buddy_pair::Model) -> Result<v1::BuddyPair> {
        let names = buddies::names_of(&self.context.db, std::slice::from_ref(row)).await?;
        Ok(convert::buddies::pair_to_wire(row, &names))
    }
}

/// A pair can only become active while both members are members of this region.
async fn check_still_here(db: &impl ConnectionTrait, region: &str, id: Uuid) -> Result<()> {
    match membership::presence(db, id).await? {
        Ok(_) => Ok(()),
        Err(Absence::Unknown) => Err(Error::FailedPrecondition(format!(
            "member {id} is no longer a member of {region}; decline this pair"
        ))),
        Err(absence) => Err(absence.refusal("", id, "decline this pair")),
    }
}

fn candidate(row: &member::Model) -> Candidate {
    Candidate::new(
        row.id,
        &row.profession,
        strings_from_json(&row.sectors),
        strings_from_json(&row.languages),
    )
}

#[tonic::async_trait]
impl BuddyService for BuddyApi {
    async fn propose_buddy_pairs(
        &self,
        request: Request<v1::ProposeBuddyPairsRequest>,
    ) -> Result<Response<v1::ProposeBuddyPairsResponse>, Status> {
        let max_pairs = match request.into_inner().max_pairs {
            n if n < 0 => return Err(Error::invalid("max_pairs", "must not be negative").into()),
            0 => DEFAULT_MAX_PAIRS,
            n => (n as usize).min(MAX_PAIRS),
        };
        let (_turn, txn) = self.context.begin_write().await?;
        // The locals with room left, at most LOCALS_CONSIDERED, those with the
        // fewest buddies first; then the newcomers without a buddy, a page at a
        // time, oldest first, until the proposals are made: one page of
        // newcomers in memory, however many wait, and only their own earlier
        // pairs.
        let mut names: HashMap<Uuid, String> = HashMap::new();
        let mut locals: Vec<Buddy> = Vec::new();
        for (m, held) in buddies::locals_with_room(&txn, LOCALS_CONSIDERED).await? {
            let capacity = u32::try_from(m.buddy_capacity).unwrap_or(0);
            let room = capacity.saturating_sub(held);
            if room > 0 {
                names.insert(m.id, m.display_name.clone());
                locals.push(Buddy {
                    candidate: candidate(&m),
                    room,
                });
            }
        }
        let mut proposals = Vec::new();
        let mut after = None;
        while proposals.len() < max_pairs && locals.iter().any(|local| local.room > 0) {
            let page = buddies::newcomers_without_buddy(&txn, after).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = Some(last.id);
            let ids: Vec<Uuid> = page.iter().map(|m| m.id).collect();
            let paired_before = buddies::paired_before(&txn, &ids).await?;
            let newcomers: Vec<Candidate> = page.iter().map(candidate).collect();
            let made = buddy_proposal::propose(
                &newcomers,
                &mut locals,
                &paired_before,
                max_pairs - proposals.len(),
            );
            for proposal in &made {
                if let Some(m) = page.iter().find(|m| m.id == proposal.newcomer) {
                    names.insert(m.id, m.display_name.clone());
                }
            }
            proposals.extend(made);
        }
        let now = Utc::now();
        let rows: Vec<buddy_pair::Model> = proposals
            .into_iter()
            .map(|proposal| buddy_pair::Model {
                id: Uuid::now_v7(),
                newcomer_member_id: proposal.newcomer,
                local_member_id: proposal.local,
                status: "proposed".into(),
                reasons: json_strings(&proposal.reasons),
                end_reason: String::new(),
                created_at: now,
                updated_at: now,
                external_id: None,
            })
            .collect();
        buddies::insert_all(&txn, rows.clone()).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(proposed = rows.len(), "buddy pairs proposed");
        Ok(Response::new(v1::ProposeBuddyPairsResponse {
            pairs: rows
                .iter()
                .map(|row| convert::buddies::pair_to_wire(row, &names))
                .collect(),
        }))
    }

    async fn confirm_buddy_pair(
        &self,
        request: Request<v1::ConfirmBuddyPairRequest>,
    ) -> Result<Response<v1::BuddyPair>, Status> {
        let id = validate::id("id", &request.into_inner().id)?;
        let saved = self
            .transition(id, "proposed", "active", "confirmed", None)
            .await?;
        Ok(with_subject(
            Response::new(self.to_wire(&saved).await?),
            id.to_string(),
        ))
    }

    async fn decline_buddy_pair(
        &self,
        request: Request<v1::DeclineBuddyPairRequest>,
    ) -> Result<Response<v1::BuddyPair>, Status> {
        let id = validate::id("id", &request.into_inner().id)?;
        let saved = self
            .transition(id, "proposed", "declined", "declined", None)
            .await?;
        Ok(with_subject(
            Response::new(self.to_wire(&saved).await?),
            id.to_string(),
        ))
    }

    async fn end_buddy_pair(
        &self,
        request: Request<v1::EndBuddyPairRequest>,
    ) -> Result<Response<v1::BuddyPair>, Status> {
        let request = request.into_inner();
        let id = validate::id("id", &request.id)?;
        let reason = validate::required_text("reason", &request.reason, 500)?;
        let saved = self
            .transition(id, "active", "ended", "ended", Some(reason))
            .await?;
        Ok(with_subject(
            Response::new(self.to_wire(&saved).await?),
            id.to_string(),
        ))
    }

    async fn list_buddy_pairs(
        &self,
        request: Request<v1::ListBuddyPairsRequest>,
    ) -> Result<Response<v1::ListBuddyPairsResponse>, Status> {
        let limited_to = crate::access::member_limit(&request)?;
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let status = enums::filter::<v1::BuddyPairStatus>("status", request.status)?;
        let asked_for = match request.member_id.trim() {
            "" => None,
            id => Some(validate::id("member_id", id)?),
        };
        let member_id = match (limited_to, asked_for) {
            (None, asked_for) => asked_for,
            (Some(own), None) => Some(own),
            (Some(own), Some(asked_for)) if own == asked_for => Some(own),
            (Some(_), Some(_)) => {
                return Err(Error::PermissionDenied(
                    "member_id: a member may only list their own buddy pairs".into(),
                )
                .into());
            }
        };
        let page = buddies::list(&self.context.db, page, status.as_deref(), member_id).await?;
        let names = buddies::names_of(&self.context.db, &page.items).await?;
        let response = Response::new(v1::ListBuddyPairsResponse {
            next_page_token: page.next_page_token(),
            pairs: page
                .items
                .iter()
                .map(|row| convert::buddies::pair_to_wire(row, &names))
                .collect(),
        });
        Ok(match member_id {
            Some(member_id) => with_subject(response, member_id.to_string()),
            None => response,
        })
    }
}
