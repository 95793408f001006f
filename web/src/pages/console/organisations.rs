//! The console's organisations: the region's employers, NGOs, municipalities and
//! schools; adding one (with its headcount, which the region's rules read — in
//! Florida, E-Verify from 25 employees); and each organisation's page with its
//! opportunities and the contacts who sign in for it, where the chapter admin
//! invites one.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::members::{Choice, error_for};
use super::{chapter_admin, count, enum_word, invitation_link};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::{FieldError, Frame, refusal, refused_field, render};
use crate::visit::Visit;

const HERE: &str = "/console/organisations";
const NEW_HERE: &str = "/console/organisations/new";

/// One organisation in the list.
pub struct OrganisationRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub sector: String,
    pub location: String,
}

#[derive(Template)]
#[template(path = "console_organisations.html")]
struct OrganisationsPage {
    frame: Frame,
    organisations: Vec<OrganisationRow>,
    count: String,
}

fn kind_name(text: Text, kind: i32) -> String {
    let kind = v1::OrganisationKind::try_from(kind).unwrap_or(v1::OrganisationKind::Unspecified);
    enum_word(
        text,
        kind.as_str_name(),
        "ORGANISATION_KIND_",
        "organisation-kind",
    )
}

/// `GET /console/organisations`.
pub async fn list(State(app): State<App>, visit: Visit) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let listed = app
        .gateway
        .market()
        .list_organisations(call(
            &visit,
            Some(&account.region),
            v1::ListOrganisationsRequest {
                page_size: 500,
                ..Default::default()
            },
        ))
        .await;
    let listed = match listed {
        Ok(listed) => listed.into_inner(),
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let page = OrganisationsPage {
        frame: Frame::chapter(&visit, text, HERE),
        count: count(
            text,
            listed.organisations.len(),
            !listed.next_page_token.is_empty(),
        ),
        organisations: listed
            .organisations
            .into_iter()
            .map(|organisation| OrganisationRow {
                kind: kind_name(text, organisation.kind),
                id: organisation.id,
                name: organisation.name,
                sector: organisation.sector,
                location: organisation.location,
            })
            .collect(),
    };
    render(&visit, StatusCode::OK, &page)
}

/// The new-organisation form, as typed.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct OrganisationForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub sector: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub headcount: String,
}

#[derive(Template)]
#[template(path = "console_organisation_new.html")]
struct NewOrganisationPage {
    frame: Frame,
    form: OrganisationForm,
    kinds: Vec<Choice>,
    errors: Vec<FieldError>,
}

impl NewOrganisationPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn kind_choices(text: Text, chosen: &str) -> Vec<Choice> {
    [
        v1::OrganisationKind::Employer,
        v1::OrganisationKind::Ngo,
        v1::OrganisationKind::Municipality,
        v1::OrganisationKind::Education,
    ]
    .into_iter()
    .map(|kind| {
        let value = kind
            .as_str_name()
            .trim_start_matches("ORGANISATION_KIND_")
            .to_ascii_lowercase();
        Choice {
            label: kind_name(text, kind as i32),
            chosen: value == chosen,
            value,
        }
    })
    .collect()
}

/// `GET /console/organisations/new`.
pub async fn new_organisation(State(app): State<App>, visit: Visit) -> Response {
    let (_, text) = match chapter_admin(&app, &visit, NEW_HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let form = OrganisationForm {
        kind: "employer".into(),
        ..Default::default()
    };
    let page = NewOrganisationPage {
        frame: Frame::chapter(&visit, text, NEW_HERE),
        kinds: kind_choices(text, &form.kind),
        form,
        errors: Vec::new(),
    };
    render(&visit, StatusCode::OK, &page)
}

/// The fields of an organisation, as the API names them.
const FIELDS: [&str; 6] = ["name", "kind", "sector", "location", "website", "headcount"];

/// `POST /console/organisations/new`.
pub async fn create(
    State(app): State<App>,
    visit: Visit,
    Form(form): Form<OrganisationForm>,
) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, NEW_HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(NEW_HERE);
    }
    let again = |errors: Vec<FieldError>| {
        let page = NewOrganisationPage {
            frame: Frame::chapter(&visit, text, NEW_HERE),
            kinds: kind_choices(text, &form.kind),
            form: form.clone(),
            errors,
        };
        render(&visit, StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    let headcount = match form.headcount.trim() {
        "" => 0,
        typed => match typed.parse::<i32>() {
            Ok(n) => n,
            Err(_) => {
                return again(vec![FieldError {
                    field: "headcount".into(),
                    message: text.t("console-not-a-number"),
                }]);
            }
        },
    };
    let organisation = v1::Organisation {
        name: form.name.trim().to_owned(),
        kind: v1::OrganisationKind::from_str_name(&format!(
            "ORGANISATION_KIND_{}",
            form.kind.to_ascii_uppercase()
        ))
        .map_or(0, |kind| kind as i32),
        sector: form.sector.trim().to_owned(),
        location: form.location.trim().to_owned(),
        website: form.website.trim().to_owned(),
        headcount,
        ..Default::default()
    };
    let created = app
        .gateway
        .market()
        .create_organisation(call(
            &visit,
            Some(&account.region),
            v1::CreateOrganisationRequest {
                organisation: Some(organisation),
            },
        ))
        .await;
    match created {
        Ok(created) => visit.redirect(&format!("{HERE}/{}", created.into_inner().id)),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let field = refused_field(&status, &FIELDS).unwrap_or("name");
            again(vec![FieldError {
                field: field.into(),
                message: text.t1(
                    "console-refused",
                    "reason",
                    &crate::pages::refused::named(text, &status),
                ),
            }])
        }
        Err(status) => refusal(&visit, text, NEW_HERE, &status),
    }
}

/// One of the organisation's opportunities.
pub struct OpportunityRow {
    pub title: String,
    pub status: String,
}

/// One contact who signs in for the organisation.
pub struct ContactRow {
    pub login: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "console_organisation.html")]
struct OrganisationPage {
    frame: Frame,
    id: String,
    name: String,
    facts: Vec<(String, String)>,
    opportunities: Vec<OpportunityRow>,
    contacts: Vec<ContactRow>,
    errors: Vec<FieldError>,
    notice: String,
    invitation: String,
}

/// The state of an account, in words.
pub fn account_state(text: Text, account: &v1::Account) -> String {
    if account.locked_until.is_some() {
        text.t("console-account-locked")
    } else if account.active {
        text.t("console-account-active")
    } else {
        text.t("console-account-invited")
    }
}

/// What the organisation's page shows besides the organisation: a refused
/// invitation, a notice, an invitation link made just now.
#[derive(Default)]
struct Showing {
    errors: Vec<FieldError>,
    notice: String,
    invitation: String,
}

async fn organisation_page(
    app: &App,
    visit: &Visit,
    region: &str,
    text: Text,
    id: &str,
    showing: Showing,
) -> Response {
    let Showing {
        errors,
        notice,
        invitation,
    } = showing;
    let here = format!("{HERE}/{id}");
    let region = Some(region);
    let organisation = match app
        .gateway
        .market()
        .get_organisation(call(
            visit,
            region,
            v1::GetOrganisationRequest { id: id.into() },
        ))
        .await
    {
        Ok(found) => found.into_inner(),
        Err(status) => return refusal(visit, text, &here, &status),
    };
    let opportunities = match app
        .gateway
        .market()
        .list_opportunities(call(
            visit,
            region,
            v1::ListOpportunitiesRequest {
                page_size: 200,
                organisation_id: id.into(),
                ..Default::default()
            },
        ))
        .await
    {
        Ok(listed) => listed.into_inner().opportunities,
        Err(status) => return refusal(visit, text, &here, &status),
    };
    let contacts = match app
        .gateway
        .accounts()
        .list_accounts(call(
            visit,
            None,
            v1::ListAccountsRequest {
                kind: v1::AccountKind::Organisation as i32,
                organisation_id: id.into(),
                page_size: 200,
                ..Default::default()
            },
        ))
        .await
    {
        Ok(listed) => listed.into_inner().accounts,
        Err(status) => return refusal(visit, text, &here, &status),
    };
    let mut facts = vec![(
        text.t("console-organisation-kind"),
        kind_name(text, organisation.kind),
    )];
    for (key, value) in [
        ("console-organisation-sector", &organisation.sector),
        ("console-organisation-location", &organisation.location),
        ("console-organisation-website", &organisation.website),
    ] {
        if !value.is_empty() {
            facts.push((text.t(key), value.clone()));
        }
    }
    if organisation.headcount > 0 {
        facts.push((
            text.t("console-organisation-headcount"),
            organisation.headcount.to_string(),
        ));
    }
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = OrganisationPage {
        frame: Frame::chapter(visit, text, &here),
        id: id.into(),
        name: organisation.name,
        facts,
        opportunities: opportunities
            .into_iter()
            .map(|opportunity| {
                let status = v1::OpportunityStatus::try_from(opportunity.status)
                    .unwrap_or(v1::OpportunityStatus::Unspecified);
                OpportunityRow {
                    title: opportunity.title,
                    status: enum_word(
                        text,
                        status.as_str_name(),
                        "OPPORTUNITY_STATUS_",
                        "opportunity-status",
                    ),
                }
            })
            .collect(),
        contacts: contacts
            .iter()
            .map(|contact| ContactRow {
                login: contact.login.clone(),
                state: account_state(text, contact),
            })
            .collect(),
        errors,
        notice,
        invitation,
    };
    render(visit, code, &page)
}

/// `GET /console/organisations/{id}`.
pub async fn show(State(app): State<App>, visit: Visit, Path(id): Path<String>) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, &format!("{HERE}/{id}")).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    organisation_page(&app, &visit, &account.region, text, &id, Showing::default()).await
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct ContactForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    pub login: String,
}

/// `POST /console/organisations/{id}/invite`: a contact of the organisation is
/// invited to sign in for it; the link is shown once.
pub async fn invite(
    State(app): State<App>,
    visit: Visit,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ContactForm>,
) -> Response {
    let here = format!("{HERE}/{id}");
    let (account, text) = match chapter_admin(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(&here);
    }
    let invited = app
        .gateway
        .accounts()
        .invite_account(call(
            &visit,
            None,
            v1::InviteAccountRequest {
                login: form.login.trim().to_owned(),
                kind: v1::AccountKind::Organisation as i32,
                region: account.region.clone(),
                member_id: String::new(),
                language: String::new(),
                organisation_id: id.clone(),
            },
        ))
        .await;
    let showing = match invited {
        Ok(invited) => Showing {
            errors: Vec::new(),
            notice: text.t1("console-invited", "login", form.login.trim()),
            invitation: invitation_link(&visit, &headers, &invited.into_inner().invitation_code),
        },
        Err(status) if status.code() == tonic::Code::InvalidArgument => Showing {
            errors: vec![FieldError {
                field: "login".into(),
                message: text.t1(
                    "console-refused",
                    "reason",
                    &crate::pages::refused::named(text, &status),
                ),
            }],
            ..Showing::default()
        },
        Err(status) => return refusal(&visit, text, &here, &status),
    };
    organisation_page(&app, &visit, &account.region, text, &id, showing).await
}
