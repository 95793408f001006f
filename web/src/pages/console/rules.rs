//! The rules in force in the chapter's region: each rule as the node loaded it —
//! what it says (in the page's language where a translation exists), its effect,
//! the days it is in force, when it was last checked against its source and when
//! it is due again (a rule past that day is marked) — and the file they come from
//! with the cases it carries. Reloading reads the file again: the node swaps the
//! new rules in only when they compile and every case passes, else it keeps the
//! old ones and the page shows its refusal, with the file, line and rule.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::{chapter_admin, enum_word};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::when::moment;
use crate::pages::{Frame, refusal, render};
use crate::visit::Visit;

const HERE: &str = "/console/rules";

/// One rule as the page shows it.
pub struct RuleView {
    pub id: String,
    pub description: String,
    pub effect: String,
    pub explanation: String,
    /// The explanation's language: the page's, or English when it has no
    /// translation.
    pub explanation_lang: String,
    pub in_force: String,
    pub checked: String,
    pub stale: bool,
    pub source: String,
}

#[derive(Template)]
#[template(path = "console_rules.html")]
struct RulesPage {
    frame: Frame,
    file: String,
    version: String,
    loaded: String,
    cases: String,
    rules: Vec<RuleView>,
    /// How many rules are past their check, in words; empty when none.
    stale: String,
    notice: String,
    refused: String,
}

fn rule_view(text: Text, rule: &v1::Rule) -> RuleView {
    let effect = v1::RuleEffect::try_from(rule.effect).unwrap_or(v1::RuleEffect::Unspecified);
    let in_force = if rule.effective_until.is_empty() {
        text.t1("rules-in-force-from", "from", &rule.effective_from)
    } else {
        text.t_with(
            "rules-in-force-between",
            &[
                ("from", &rule.effective_from),
                ("until", &rule.effective_until),
            ],
        )
    };
    let checked = match (rule.reviewed_on.as_str(), rule.review_by.as_str()) {
        ("", _) => text.t("rules-never-checked"),
        (on, "") => text.t1("rules-checked-on", "date", on),
        (on, by) => text.t_with("rules-checked-due", &[("date", on), ("due", by)]),
    };
    RuleView {
        id: rule.id.clone(),
        description: rule.description.clone(),
        effect: enum_word(text, effect.as_str_name(), "RULE_EFFECT_", "rules-effect"),
        explanation: rule
            .translations
            .get(text.code())
            .cloned()
            .unwrap_or_else(|| rule.explanation.clone()),
        explanation_lang: if rule.translations.contains_key(text.code()) {
            text.code().to_owned()
        } else {
            "en".to_owned()
        },
        in_force,
        checked,
        stale: rule.stale,
        source: rule.source.clone(),
    }
}

async fn page(
    app: &App,
    visit: &Visit,
    region: &str,
    text: Text,
    notice: String,
    refused: String,
) -> Response {
    let listed = app
        .gateway
        .rules()
        .list_rules(call(visit, Some(region), v1::ListRulesRequest::default()))
        .await;
    let listed = match listed {
        Ok(listed) => listed.into_inner(),
        Err(status) => return refusal(visit, text, HERE, &status),
    };
    let rules: Vec<RuleView> = listed
        .rules
        .iter()
        .map(|rule| rule_view(text, rule))
        .collect();
    let page = RulesPage {
        frame: Frame::chapter(visit, text, HERE),
        file: listed.file,
        version: listed.version,
        loaded: listed
            .loaded_time
            .as_ref()
            .map(|t| moment(text, t.seconds))
            .unwrap_or_default(),
        cases: text.t1("rules-cases", "count", &listed.cases.to_string()),
        stale: match rules.iter().filter(|rule| rule.stale).count() {
            0 => String::new(),
            count => text.t1("rules-stale-count", "count", &count.to_string()),
        },
        rules,
        notice,
        refused: refused.clone(),
    };
    let code = if refused.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    render(visit, code, &page)
}

/// `GET /console/rules`.
pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    page(
        &app,
        &visit,
        &account.region,
        text,
        String::new(),
        String::new(),
    )
    .await
}

#[derive(Debug, Deserialize, Default)]
pub struct ReloadForm {
    #[serde(default)]
    form_token: String,
}

/// `POST /console/rules/reload`: read the file again, run its cases, and swap the
/// rules in if they pass; the page says which.
pub async fn reload(
    State(app): State<App>,
    visit: Visit,
    Form(form): Form<ReloadForm>,
) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(HERE);
    }
    let reloaded = app
        .gateway
        .rules()
        .reload(call(
            &visit,
            Some(&account.region),
            v1::ReloadRulesRequest {},
        ))
        .await;
    match reloaded {
        Ok(reloaded) => {
            let reloaded = reloaded.into_inner();
            let notice = text.t_with(
                "rules-reloaded",
                &[
                    ("version", &reloaded.version),
                    ("rules", &reloaded.rules.to_string()),
                    ("cases", &reloaded.cases.to_string()),
                ],
            );
            page(&app, &visit, &account.region, text, notice, String::new()).await
        }
        Err(status) if status.code() == tonic::Code::FailedPrecondition => {
            let refused = status.message().to_owned();
            page(&app, &visit, &account.region, text, String::new(), refused).await
        }
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}
