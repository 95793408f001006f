//! A draft of ours: written new, or edited while it is a draft (also after the
//! reviewers sent it back). One form; a refused field is named at the top and
//! next to the field, and what was typed stays.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::contact;
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::matches::kind_name;
use crate::pages::refused::reason;
use crate::pages::{FieldError, Frame, refusal, refused_field, render};
use crate::visit::Visit;

/// The kinds an organisation offers, in the form's order.
const KINDS: [v1::OpportunityKind; 6] = [
    v1::OpportunityKind::Job,
    v1::OpportunityKind::Internship,
    v1::OpportunityKind::TasterInternship,
    v1::OpportunityKind::Volunteer,
    v1::OpportunityKind::LearnWork,
    v1::OpportunityKind::Project,
];

/// The fields of the form, as the API names them.
const FIELDS: [&str; 9] = [
    "title",
    "description",
    "kind",
    "sector",
    "skills",
    "languages",
    "hours_per_week",
    "paid",
    "location",
];

/// The draft as the form shows it (what was stored, or what was typed).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct DraftForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// `OPPORTUNITY_KIND_…`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub sector: String,
    #[serde(default)]
    pub skills: String,
    #[serde(default)]
    pub languages: String,
    #[serde(default)]
    pub hours_per_week: String,
    /// "yes" or "no".
    #[serde(default)]
    pub paid: String,
    #[serde(default)]
    pub location: String,
}

impl DraftForm {
    fn from_opportunity(opportunity: &v1::Opportunity) -> Self {
        DraftForm {
            form_token: String::new(),
            title: opportunity.title.clone(),
            description: opportunity.description.clone(),
            kind: v1::OpportunityKind::try_from(opportunity.kind)
                .unwrap_or(v1::OpportunityKind::Unspecified)
                .as_str_name()
                .to_owned(),
            sector: opportunity.sector.clone(),
            skills: opportunity.skills.join(", "),
            languages: opportunity.languages.join(", "),
            hours_per_week: opportunity.hours_per_week.to_string(),
            paid: if opportunity.paid { "yes" } else { "no" }.into(),
            location: opportunity.location.clone(),
        }
    }
}

/// One kind the form offers.
pub struct KindChoice {
    pub value: &'static str,
    pub name: String,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "organisation/draft.html")]
struct DraftPage {
    frame: Frame,
    /// Where the form posts.
    action: String,
    /// A new draft, or an edit of one.
    new: bool,
    form: DraftForm,
    kinds: Vec<KindChoice>,
    errors: Vec<FieldError>,
}

impl DraftPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }
}

fn kinds(text: Text, chosen: &str) -> Vec<KindChoice> {
    KINDS
        .into_iter()
        .map(|kind| KindChoice {
            value: kind.as_str_name(),
            name: kind_name(text, kind as i32),
            chosen: kind.as_str_name() == chosen,
        })
        .collect()
}

fn page(
    visit: &Visit,
    text: Text,
    action: &str,
    form: DraftForm,
    errors: Vec<FieldError>,
) -> Response {
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DraftPage {
        frame: Frame::organisation(visit, text, action),
        action: action.to_owned(),
        new: action == "/our-opportunities/new",
        kinds: kinds(text, &form.kind),
        form,
        errors,
    };
    render(visit, code, &page)
}

/// A comma-separated list as its items.
fn items(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The opportunity the form describes, or the fields it lacks (in the page's
/// language); the region checks the rest and names what it refuses.
fn opportunity_of(
    text: Text,
    form: &DraftForm,
    organisation_id: &str,
) -> Result<v1::Opportunity, Vec<FieldError>> {
    let mut errors = Vec::new();
    if form.title.trim().is_empty() {
        errors.push(FieldError {
            field: "title".into(),
            message: text.t("our-draft-title-missing"),
        });
    }
    let kind = v1::OpportunityKind::from_str_name(&form.kind)
        .filter(|kind| KINDS.contains(kind))
        .unwrap_or_else(|| {
            errors.push(FieldError {
                field: "kind".into(),
                message: text.t("our-draft-kind-missing"),
            });
            v1::OpportunityKind::Unspecified
        });
    let hours = match form.hours_per_week.trim().parse::<i32>() {
        Ok(hours) if (1..=60).contains(&hours) => hours,
        _ => {
            errors.push(FieldError {
                field: "hours_per_week".into(),
                message: text.t("our-draft-hours-range"),
            });
            0
        }
    };
    if !matches!(form.paid.as_str(), "yes" | "no") {
        errors.push(FieldError {
            field: "paid".into(),
            message: text.t("our-draft-paid-missing"),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(v1::Opportunity {
        organisation_id: organisation_id.to_owned(),
        title: form.title.trim().to_owned(),
        description: form.description.trim().to_owned(),
        kind: kind as i32,
        sector: form.sector.trim().to_lowercase(),
        skills: items(&form.skills),
        languages: items(&form.languages)
            .into_iter()
            .map(|code| code.to_ascii_lowercase())
            .collect(),
        hours_per_week: hours,
        paid: form.paid == "yes",
        location: form.location.trim().to_owned(),
        status: v1::OpportunityStatus::Draft as i32,
        ..Default::default()
    })
}

/// A refusal from the region as the form's error, on the field it names.
fn refused(text: Text, status: &tonic::Status) -> Vec<FieldError> {
    let field = refused_field(status, &FIELDS).unwrap_or("title");
    vec![FieldError {
        field: field.into(),
        message: text.t1("our-draft-refused", "reason", &reason(text, status)),
    }]
}

/// `GET /our-opportunities/new`.
pub async fn new(State(app): State<App>, visit: Visit) -> Response {
    let here = "/our-opportunities/new";
    let (_, text) = match contact(&app, &visit, here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let form = DraftForm {
        paid: "yes".into(),
        ..DraftForm::default()
    };
    page(&visit, text, here, form, Vec::new())
}

/// `POST /our-opportunities/new`.
pub async fn create(State(app): State<App>, visit: Visit, Form(form): Form<DraftForm>) -> Response {
    let here = "/our-opportunities/new";
    let (account, text) = match contact(&app, &visit, here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        let expired = vec![FieldError {
            field: "title".into(),
            message: text.t("form-expired"),
        }];
        return page(&visit, text, here, form, expired);
    }
    let opportunity = match opportunity_of(text, &form, &account.organisation_id) {
        Ok(opportunity) => opportunity,
        Err(errors) => return page(&visit, text, here, form, errors),
    };
    match app
        .gateway
        .market()
        .create_opportunity(call(
            &visit,
            Some(&account.region),
            v1::CreateOpportunityRequest {
                opportunity: Some(opportunity),
            },
        ))
        .await
    {
        Ok(_) => visit.redirect("/our-opportunities?created=1"),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            page(&visit, text, here, form, refused(text, &status))
        }
        Err(status) => refusal(&visit, text, here, &status),
    }
}

/// `GET /our-opportunities/{id}/edit`.
pub async fn edit(State(app): State<App>, visit: Visit, Path(id): Path<String>) -> Response {
    let here = format!("/our-opportunities/{id}/edit");
    let (account, text) = match contact(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    match app
        .gateway
        .market()
        .get_opportunity(call(
            &visit,
            Some(&account.region),
            v1::GetOpportunityRequest { id },
        ))
        .await
    {
        Ok(found) => {
            let form = DraftForm::from_opportunity(&found.into_inner());
            page(&visit, text, &here, form, Vec::new())
        }
        Err(status) => refusal(&visit, text, &here, &status),
    }
}

/// `POST /our-opportunities/{id}/edit`: the draft's content changes (the region
/// refuses it once the draft is in review or published).
pub async fn save(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<DraftForm>,
) -> Response {
    let here = format!("/our-opportunities/{id}/edit");
    let (account, text) = match contact(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        let expired = vec![FieldError {
            field: "title".into(),
            message: text.t("form-expired"),
        }];
        return page(&visit, text, &here, form, expired);
    }
    let opportunity = match opportunity_of(text, &form, &account.organisation_id) {
        Ok(opportunity) => opportunity,
        Err(errors) => return page(&visit, text, &here, form, errors),
    };
    let mut paths: Vec<String> = FIELDS.iter().map(|field| (*field).to_owned()).collect();
    if !opportunity.paid {
        // Unpaid work has no wage.
        paths.push("hourly_wage_cents".into());
    }
    let update = v1::UpdateOpportunityRequest {
        opportunity: Some(v1::Opportunity { id, ..opportunity }),
        update_mask: Some(prost_types::FieldMask { paths }),
    };
    match app
        .gateway
        .market()
        .update_opportunity(call(&visit, Some(&account.region), update))
        .await
    {
        Ok(_) => visit.redirect("/our-opportunities?saved=1"),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            page(&visit, text, &here, form, refused(text, &status))
        }
        Err(status) => refusal(&visit, text, &here, &status),
    }
}
