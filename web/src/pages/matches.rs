//! My matches: the published opportunities of my region that fit me best, with why
//! they rank where they do and what the region's labour-market rules say about me
//! taking them (may I, on what conditions, for how many hours); applying from here.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::{Frame, act, refusal, render, signed_in};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::visit::Visit;

const HERE: &str = "/matches";

/// One match as the page shows it.
pub struct MatchView {
    pub opportunity_id: String,
    pub title: String,
    pub kind: String,
    pub details: String,
    pub fit: String,
    pub reasons: Vec<String>,
    pub eligible: bool,
    pub hours_cap: String,
    pub conditions: Vec<String>,
    pub warnings: Vec<String>,
    pub denials: Vec<String>,
}

#[derive(Template)]
#[template(path = "matches.html")]
struct MatchesPage {
    frame: Frame,
    matches: Vec<MatchView>,
    summary: String,
}

/// `OPPORTUNITY_KIND_TASTER_INTERNSHIP` → the page's word for it.
pub fn kind_name(text: Text, kind: i32) -> String {
    let kind = v1::OpportunityKind::try_from(kind).unwrap_or(v1::OpportunityKind::Unspecified);
    let key = kind
        .as_str_name()
        .trim_start_matches("OPPORTUNITY_KIND_")
        .to_ascii_lowercase()
        .replace('_', "-");
    text.t(&format!("kind-{key}"))
}

fn view(text: Text, found: v1::OpportunityMatch) -> MatchView {
    let opportunity = found.opportunity.unwrap_or_default();
    let decision = found.decision.unwrap_or_default();
    let mut details = vec![text.t1(
        "match-hours",
        "hours",
        &opportunity.hours_per_week.to_string(),
    )];
    if !opportunity.location.is_empty() {
        details.push(opportunity.location.clone());
    }
    details.push(if opportunity.paid {
        text.t("match-paid")
    } else {
        text.t("match-unpaid")
    });
    MatchView {
        opportunity_id: opportunity.id,
        title: opportunity.title,
        kind: kind_name(text, opportunity.kind),
        details: details.join(" · "),
        fit: text.t1(
            "match-fit",
            "percent",
            &format!("{:.0}", (found.score * 100.0).clamp(0.0, 100.0)),
        ),
        reasons: found
            .fit
            .iter()
            .map(|reason| fit_reason(text, reason))
            .collect(),
        eligible: decision.eligible,
        hours_cap: if decision.hours_cap > 0 {
            text.t1("match-hours-cap", "hours", &decision.hours_cap.to_string())
        } else {
            String::new()
        },
        conditions: explained(text, &decision.fired, v1::RuleEffect::Require),
        warnings: explained(text, &decision.fired, v1::RuleEffect::Warn),
        denials: explained(text, &decision.fired, v1::RuleEffect::Deny),
    }
}

/// Why a match ranks where it does, in the page's language.
pub fn fit_reason(text: Text, reason: &v1::FitReason) -> String {
    use v1::FitReasonKind as Kind;
    let kind = Kind::try_from(reason.kind).unwrap_or(Kind::Unspecified);
    let values = match kind {
        Kind::LanguagesShared | Kind::NoLanguageShared => reason
            .values
            .iter()
            .map(|code| text.language(code))
            .collect::<Vec<_>>()
            .join(", "),
        _ => reason.values.join(", "),
    };
    let key = kind
        .as_str_name()
        .trim_start_matches("FIT_REASON_KIND_")
        .to_ascii_lowercase()
        .replace('_', "-");
    text.t_with(
        &format!("fit-{key}"),
        &[
            ("values", &values),
            ("count", &reason.count.to_string()),
            ("of", &reason.of.to_string()),
        ],
    )
}

/// What the rules of one effect say, in the page's language where the rules file
/// gives it (with the day each rule was checked), else in English, saying so.
pub fn explained(text: Text, fired: &[v1::FiredRule], effect: v1::RuleEffect) -> Vec<String> {
    fired
        .iter()
        .filter(|rule| rule.effect == effect as i32)
        .map(|rule| {
            if text.code() == "en" {
                return rule.explanation.clone();
            }
            match rule.translations.get(text.code()) {
                Some(translated) if rule.reviewed_on.is_empty() => translated.clone(),
                Some(translated) => format!(
                    "{translated} {}",
                    text.t1("match-rule-checked", "date", &rule.reviewed_on)
                ),
                None => format!("{} {}", rule.explanation, text.t("match-in-english")),
            }
        })
        .collect()
}

/// `GET /matches`.
pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    let (account, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let answer = app
        .gateway
        .matches()
        .match_opportunities(call(
            &visit,
            Some(&account.region),
            v1::MatchOpportunitiesRequest {
                member_id: account.member_id.clone(),
                page_size: 20,
                date: String::new(),
            },
        ))
        .await;
    let found = match answer {
        Ok(found) => found.into_inner(),
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let summary = text.t1(
        "matches-summary",
        "considered",
        &found.considered.to_string(),
    );
    let page = MatchesPage {
        frame: Frame::new(&visit, text, HERE, true),
        matches: found.matches.into_iter().map(|m| view(text, m)).collect(),
        summary,
    };
    render(&visit, StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    motivation: String,
}

/// `POST /matches/{opportunity}/apply`.
pub async fn apply(
    State(app): State<App>,
    visit: Visit,
    Path(opportunity): Path<String>,
    Form(form): Form<ApplyForm>,
) -> Response {
    let placements = app.gateway.placements();
    let asking = visit.clone();
    act(
        &app,
        &visit,
        HERE,
        &form.form_token,
        "/applications?applied=1",
        |account| async move {
            placements
                .clone()
                .apply(call(
                    &asking,
                    Some(&account.region),
                    v1::ApplyRequest {
                        member_id: account.member_id.clone(),
                        opportunity_id: opportunity,
                        motivation: form.motivation.trim().to_owned(),
                    },
                ))
                .await
                .map(|_| ())
        },
    )
    .await
}
