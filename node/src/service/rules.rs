//! `passage.v1.RulesService`: decisions under the region's labour-market rules, the
//! rules in force, and reloading them.

use chrono::{NaiveDate, Utc};
use passage_proto::v1::{self, rules_service_server::RulesService};
use passage_server::access::with_subject;
use tonic::{Request, Response, Status};

use crate::context::NodeContext;
use crate::convert::timestamp;
use crate::error::{Error, Result};
use crate::rules::{Decision, Effect, MemberFacts, OpportunityFacts, Rule, RuleSet};
use crate::store::entity::{member, opportunity, organisation};
use crate::store::rows;
use crate::validate;

/// Serves `RulesService` from the node's active rules.
pub struct RulesApi {
    context: NodeContext,
}

impl RulesApi {
    pub fn new(context: NodeContext) -> Self {
        RulesApi { context }
    }
}

/// The day a request decides for: `date`, or today.
pub(crate) fn decision_date(field: &str, date: &str) -> Result<NaiveDate> {
    Ok(validate::optional_date(field, date)?.unwrap_or_else(|| Utc::now().date_naive()))
}

/// A stored member's facts; a member whose home is elsewhere is not here.
pub(crate) async fn member_facts(
    context: &NodeContext,
    field: &str,
    id: &str,
) -> Result<(member::Model, MemberFacts)> {
    let id = validate::id(field, id)?;
    let row = rows::find::<member::Entity>(&context.db, id, "member").await?;
    let facts = MemberFacts::from_row(&row);
    Ok((row, facts))
}

/// A stored opportunity's facts, with its organisation's kind.
pub(crate) async fn opportunity_facts(
    context: &NodeContext,
    field: &str,
    id: &str,
) -> Result<(opportunity::Model, OpportunityFacts)> {
    let id = validate::id(field, id)?;
    let row = rows::find::<opportunity::Entity>(&context.db, id, "opportunity").await?;
    let (kind, headcount) =
        match rows::find::<organisation::Entity>(&context.db, row.organisation_id, "organisation")
            .await
        {
            Ok(organisation) => (organisation.kind, i64::from(organisation.headcount)),
            Err(Error::NotFound { .. }) => ("unspecified".to_owned(), 0),
            Err(other) => return Err(other),
        };
    let facts = OpportunityFacts::from_row(&row, &kind, headcount);
    Ok((row, facts))
}

fn effect_to_wire(effect: &Effect) -> v1::RuleEffect {
    match effect {
        Effect::Deny { .. } => v1::RuleEffect::Deny,
        Effect::Require { .. } => v1::RuleEffect::Require,
        Effect::CapHours { .. } => v1::RuleEffect::CapHours,
        Effect::Warn { .. } => v1::RuleEffect::Warn,
    }
}

/// A decision as the API answers it, every fired rule explained.
pub fn decision_to_wire(rules: &RuleSet, decision: &Decision, date: NaiveDate) -> v1::Decision {
    let mut wire = v1::Decision {
        eligible: decision.eligible,
        hours_cap: decision.hours_cap.unwrap_or(0),
        evaluated_on: date.format("%Y-%m-%d").to_string(),
        rules_version: rules.version.clone(),
        ..Default::default()
    };
    for index in &decision.fired {
        let rule = rules.rule(*index);
        match &rule.effect {
            Effect::Deny { reason } => wire.denials.push(reason.clone()),
            Effect::Require {
                condition,
                on_employer,
            } => {
                wire.conditions.push(condition.clone());
                if *on_employer {
                    wire.employer_conditions.push(condition.clone());
                }
            }
            Effect::Warn { message } => wire.warnings.push(message.clone()),
            Effect::CapHours { .. } => {}
        }
        wire.fired.push(v1::FiredRule {
            rule_id: rule.id.clone(),
            effect: effect_to_wire(&rule.effect) as i32,
            explanation: rule.explanation(),
            source: rule.source.clone(),
            description: rule.description.clone(),
            reviewed_on: day(rule.review.reviewed_on),
            translations: rule.translations.clone().into_iter().collect(),
        });
    }
    wire
}

/// A day as the API writes it; empty when there is none.
fn day(date: Option<NaiveDate>) -> String {
    date.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn rule_to_wire(rule: &Rule, today: NaiveDate) -> v1::Rule {
    v1::Rule {
        id: rule.id.clone(),
        description: rule.description.clone(),
        source: rule.source.clone(),
        effective_from: rule.effective_from.format("%Y-%m-%d").to_string(),
        effective_until: day(rule.effective_until),
        when: rule.when.clone(),
        effect: effect_to_wire(&rule.effect) as i32,
        explanation: rule.effect.explanation(),
        line: i32::try_from(rule.line).unwrap_or(i32::MAX),
        reviewed_on: day(rule.review.reviewed_on),
        review_by: day(rule.review.review_by),
        stale: rule.stale(today),
        translations: rule.translations.clone().into_iter().collect(),
    }
}

#[tonic::async_trait]
impl RulesService for RulesApi {
    async fn evaluate(
        &self,
        request: Request<v1::EvaluateRequest>,
    ) -> Result<Response<v1::Decision>, Status> {
        let request = request.into_inner();
        let date = decision_date("date", &request.date)?;
        let (row, member) = member_facts(&self.context, "member_id", &request.member_id).await?;
        let (_, opportunity) =
            opportunity_facts(&self.context, "opportunity_id", &request.opportunity_id).await?;
        let rules = self.context.rules.current();
        let decision = rules
            .evaluate(&member, &opportunity, date)
            .map_err(|e| Error::FailedPrecondition(e.to_string()))?;
        Ok(with_subject(
            Response::new(decision_to_wire(&rules, &decision, date)),
            row.id.to_string(),
        ))
    }

    async fn list_rules(
        &self,
        request: Request<v1::ListRulesRequest>,
    ) -> Result<Response<v1::ListRulesResponse>, Status> {
        let request = request.into_inner();
        let in_force_on = validate::optional_date("in_force_on", &request.in_force_on)?;
        let rules = self.context.rules.current();
        let today = Utc::now().date_naive();
        Ok(Response::new(v1::ListRulesResponse {
            rules: rules
                .rules
                .iter()
                .filter(|rule| in_force_on.is_none_or(|date| rule.in_force(date)))
                .map(|rule| rule_to_wire(rule, today))
                .collect(),
            file: rules.path.clone(),
            version: rules.version.clone(),
            loaded_time: Some(timestamp(self.context.rules.loaded_at())),
            country: rules.country.clone(),
            currency: rules.currency.clone(),
            cases: i32::try_from(rules.cases.len()).unwrap_or(i32::MAX),
        }))
    }

    async fn reload(
        &self,
        _request: Request<v1::ReloadRulesRequest>,
    ) -> Result<Response<v1::ReloadRulesResponse>, Status> {
        let active = self.context.rules.clone();
        let reloaded = tokio::task::spawn_blocking(move || active.reload())
            .await
            .map_err(|e| Error::Internal(format!("reloading the rules: {e}")))?;
        let rules = reloaded.map_err(|error| {
            tracing::warn!(%error, "rules reload refused; the old rules stay in force");
            Error::FailedPrecondition(format!(
                "the new rules were refused and the old ones stay in force: {error}"
            ))
        })?;
        tracing::info!(file = %rules.path, version = %rules.version, rules = rules.rules.len(), "rules reloaded");
        Ok(Response::new(v1::ReloadRulesResponse {
            file: rules.path.clone(),
            version: rules.version.clone(),
            rules: i32::try_from(rules.rules.len()).unwrap_or(i32::MAX),
            cases: i32::try_from(rules.cases.len()).unwrap_or(i32::MAX),
            loaded_time: Some(timestamp(self.context.rules.loaded_at())),
        }))
    }
}
