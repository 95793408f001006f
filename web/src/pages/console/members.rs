//! The console's members: find a member of the region by name, profession,
//! skills, sectors or languages; add one; open one to read her shared profile,
//! keep her region-local record (the facts the region's rules read: role,
//! residence status, permits, the asylum clock, a school programme, unclear
//! identity — which the member never sets herself), invite her to sign in or
//! invite her again when she forgot her passphrase, lift a lock, and see who read
//! her record.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::{chapter_admin, count, invitation_link};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::when::moment;
use crate::pages::{FieldError, Frame, refusal, refused_field, render};
use crate::visit::Visit;

const HERE: &str = "/console/members";
/// How many permits the record form offers rows for.
const PERMIT_ROWS: usize = 3;

/// A member found.
pub struct HitView {
    pub id: String,
    pub name: String,
    pub profession: String,
}

#[derive(Template)]
#[template(path = "console_members.html")]
struct MembersPage {
    frame: Frame,
    query: String,
    searched: bool,
    hits: Vec<HitView>,
    found: String,
    errors: Vec<FieldError>,
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// `GET /console/members[?q=…]`.
pub async fn search(
    State(app): State<App>,
    visit: Visit,
    Query(query): Query<SearchQuery>,
) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let words = query.q.trim().to_owned();
    let mut page = MembersPage {
        frame: Frame::chapter(&visit, text, HERE),
        searched: !words.is_empty(),
        query: words.clone(),
        hits: Vec::new(),
        found: String::new(),
        errors: Vec::new(),
    };
    if words.is_empty() {
        return render(&visit, StatusCode::OK, &page);
    }
    let answer = app
        .gateway
        .members()
        .search_members(call(
            &visit,
            Some(&account.region),
            v1::SearchMembersRequest {
                query: words,
                page_size: 50,
                page_token: String::new(),
            },
        ))
        .await;
    match answer {
        Ok(answer) => {
            let answer = answer.into_inner();
            page.found = text.t1(
                "console-members-found",
                "count",
                &count(
                    text,
                    answer.matches.len(),
                    !answer.next_page_token.is_empty(),
                ),
            );
            page.hits = answer
                .matches
                .into_iter()
                .map(|hit| HitView {
                    id: hit.id,
                    name: hit.display_name,
                    profession: hit.profession,
                })
                .collect();
            render(&visit, StatusCode::OK, &page)
        }
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            page.errors.push(FieldError {
                field: "q".into(),
                message: text.t1(
                    "console-search-refused",
                    "reason",
                    &crate::pages::refused::named(text, &status),
                ),
            });
            page.searched = false;
            render(&visit, StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}

/// A choice in a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub chosen: bool,
}

/// The choices of a select over an enum: each value its proto name without
/// `strip`, in lower case, labelled by the text `<key>-<value with dashes>`.
fn choices(text: Text, names: &[&str], strip: &str, key: &str, chosen: &str) -> Vec<Choice> {
    names
        .iter()
        .map(|name| {
            let value = name.trim_start_matches(strip).to_ascii_lowercase();
            Choice {
                label: text.t(&format!("{key}-{}", value.replace('_', "-"))),
                chosen: value == chosen,
                value,
            }
        })
        .collect()
}

pub(super) fn role_choices(text: Text, chosen: &str) -> Vec<Choice> {
    use v1::MemberRole as R;
    let names = [R::Newcomer, R::Local, R::VolunteerCoach].map(|role| role.as_str_name());
    choices(text, &names, "MEMBER_ROLE_", "role", chosen)
}

pub(super) fn residence_choices(text: Text, chosen: &str) -> Vec<Choice> {
    use v1::ResidenceStatus as S;
    let names = [
        S::Unspecified,
        S::AsylumSeeker,
        S::StatusHolder,
        S::TemporaryProtection,
        S::Tolerated,
        S::CitizenOrResident,
        S::Other,
    ]
    .map(|status| status.as_str_name());
    choices(text, &names, "RESIDENCE_STATUS_", "residence", chosen)
}

pub(super) fn civic_choices(text: Text, chosen: &str) -> Vec<Choice> {
    use v1::CivicIntegration as C;
    let names = [
        C::Unspecified,
        C::None,
        C::InProgress,
        C::Completed,
        C::Exempt,
    ]
    .map(|state| state.as_str_name());
    choices(text, &names, "CIVIC_INTEGRATION_", "civic", chosen)
}

/// The new-member form, as typed.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct NewMemberForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub residence_status: String,
    #[serde(default)]
    pub profession: String,
    #[serde(default)]
    pub languages: String,
    #[serde(default)]
    pub share_across_regions: Option<String>,
}

#[derive(Template)]
#[template(path = "console_member_new.html")]
struct NewMemberPage {
    frame: Frame,
    form: NewMemberForm,
    roles: Vec<Choice>,
    residences: Vec<Choice>,
    errors: Vec<FieldError>,
}

impl NewMemberPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

pub(super) fn error_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|error| error.field == field)
        .map(|error| error.message.as_str())
}

const NEW_HERE: &str = "/console/members/new";

/// `GET /console/members/new`.
pub async fn new_member(State(app): State<App>, visit: Visit) -> Response {
    let (_, text) = match chapter_admin(&app, &visit, NEW_HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let form = NewMemberForm {
        role: "newcomer".into(),
        ..Default::default()
    };
    let page = NewMemberPage {
        frame: Frame::chapter(&visit, text, NEW_HERE),
        roles: role_choices(text, &form.role),
        residences: residence_choices(text, &form.residence_status),
        form,
        errors: Vec::new(),
    };
    render(&visit, StatusCode::OK, &page)
}

/// A comma-separated list as its items.
fn items(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

fn residence_of(value: &str) -> i32 {
    v1::ResidenceStatus::from_str_name(&format!("RESIDENCE_STATUS_{}", value.to_ascii_uppercase()))
        .map_or(0, |status| status as i32)
}

fn role_of(value: &str) -> i32 {
    v1::MemberRole::from_str_name(&format!("MEMBER_ROLE_{}", value.to_ascii_uppercase()))
        .map_or(0, |role| role as i32)
}

/// `POST /console/members/new`.
pub async fn create(
    State(app): State<App>,
    visit: Visit,
    Form(form): Form<NewMemberForm>,
) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, NEW_HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(NEW_HERE);
    }
    let again = |errors: Vec<FieldError>| {
        let page = NewMemberPage {
            frame: Frame::chapter(&visit, text, NEW_HERE),
            roles: role_choices(text, &form.role),
            residences: residence_choices(text, &form.residence_status),
            form: form.clone(),
            errors,
        };
        render(&visit, StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    if form.display_name.trim().is_empty() {
        return again(vec![FieldError {
            field: "display_name".into(),
            message: text.t("console-name-missing"),
        }]);
    }
    let member = v1::Member {
        profile: Some(v1::SharedProfile {
            display_name: form.display_name.trim().to_owned(),
            profession: form.profession.trim().to_owned(),
            languages: items(&form.languages),
            share_across_regions: form.share_across_regions.is_some(),
            ..Default::default()
        }),
        regional: Some(v1::RegionalRecord {
            role: role_of(&form.role),
            residence_status: residence_of(&form.residence_status),
            ..Default::default()
        }),
        ..Default::default()
    };
    let created = app
        .gateway
        .members()
        .create_member(call(
            &visit,
            Some(&account.region),
            v1::CreateMemberRequest {
                member: Some(member),
            },
        ))
        .await;
    match created {
        Ok(created) => visit.redirect(&format!("{HERE}/{}?added=1", created.into_inner().id)),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let field = refused_field(
                &status,
                &[
                    "display_name",
                    "profession",
                    "languages",
                    "role",
                    "residence_status",
                ],
            )
            .unwrap_or("display_name");
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

/// The region-local record form, as typed (checkboxes are present when ticked).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct RecordForm {
    #[serde(default)]
    pub(super) form_token: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub residence_status: String,
    #[serde(default)]
    pub asylum_application_date: String,
    #[serde(default)]
    pub civic_integration: String,
    #[serde(default)]
    pub nationality: String,
    #[serde(default)]
    pub safe_country_national: Option<String>,
    #[serde(default)]
    pub in_reception_centre: Option<String>,
    #[serde(default)]
    pub asylum_clock_stopped_days: String,
    #[serde(default)]
    pub buddy_capacity: String,
    #[serde(default)]
    pub in_school_programme: Option<String>,
    #[serde(default)]
    pub identity_unclear: Option<String>,
    #[serde(default)]
    pub permit_kind_0: String,
    #[serde(default)]
    pub permit_until_0: String,
    #[serde(default)]
    pub permit_kind_1: String,
    #[serde(default)]
    pub permit_until_1: String,
    #[serde(default)]
    pub permit_kind_2: String,
    #[serde(default)]
    pub permit_until_2: String,
}

/// One permit row of the form.
pub struct PermitRow {
    pub index: usize,
    pub kind: String,
    pub until: String,
}

impl RecordForm {
    pub(super) fn from_record(record: &v1::RegionalRecord) -> Self {
        let lower = |name: &str, prefix: &str| name.trim_start_matches(prefix).to_ascii_lowercase();
        let role = v1::MemberRole::try_from(record.role).unwrap_or(v1::MemberRole::Unspecified);
        let residence = v1::ResidenceStatus::try_from(record.residence_status)
            .unwrap_or(v1::ResidenceStatus::Unspecified);
        let civic = v1::CivicIntegration::try_from(record.civic_integration)
            .unwrap_or(v1::CivicIntegration::Unspecified);
        let permit = |i: usize| record.permits.get(i).cloned().unwrap_or_default();
        let tick = |on: bool| on.then(|| "on".to_owned());
        RecordForm {
            form_token: String::new(),
            role: lower(role.as_str_name(), "MEMBER_ROLE_"),
            residence_status: lower(residence.as_str_name(), "RESIDENCE_STATUS_"),
            asylum_application_date: record.asylum_application_date.clone(),
            civic_integration: lower(civic.as_str_name(), "CIVIC_INTEGRATION_"),
            nationality: record.nationality.clone(),
            safe_country_national: tick(record.safe_country_national),
            in_reception_centre: tick(record.in_reception_centre),
            asylum_clock_stopped_days: record.asylum_clock_stopped_days.to_string(),
            buddy_capacity: record.buddy_capacity.to_string(),
            in_school_programme: tick(record.in_school_programme),
            identity_unclear: tick(record.identity_unclear),
            permit_kind_0: permit(0).kind,
            permit_until_0: permit(0).valid_until,
            permit_kind_1: permit(1).kind,
            permit_until_1: permit(1).valid_until,
            permit_kind_2: permit(2).kind,
            permit_until_2: permit(2).valid_until,
        }
    }

    pub(super) fn permit_rows(&self) -> Vec<PermitRow> {
        let rows = [
            (&self.permit_kind_0, &self.permit_until_0),
            (&self.permit_kind_1, &self.permit_until_1),
            (&self.permit_kind_2, &self.permit_until_2),
        ];
        rows.into_iter()
            .take(PERMIT_ROWS)
            .enumerate()
            .map(|(index, (kind, until))| PermitRow {
                index,
                kind: kind.clone(),
                until: until.clone(),
            })
            .collect()
    }

    /// The record the form says, or the fields that are not numbers.
    pub(super) fn record(&self, text: Text) -> Result<v1::RegionalRecord, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut number = |field: &str, value: &str| -> i32 {
            let value = value.trim();
            if value.is_empty() {
                return 0;
            }
            value.parse().unwrap_or_else(|_| {
                errors.push(FieldError {
                    field: field.into(),
                    message: text.t("console-not-a-number"),
                });
                0
            })
        };
        let stopped = number("asylum_clock_stopped_days", &self.asylum_clock_stopped_days);
        let capacity = number("buddy_capacity", &self.buddy_capacity);
        if !errors.is_empty() {
            return Err(errors);
        }
        let upper = |prefix: &str, value: &str| format!("{prefix}{}", value.to_ascii_uppercase());
        Ok(v1::RegionalRecord {
            role: role_of(&self.role),
            residence_status: residence_of(&self.residence_status),
            asylum_application_date: self.asylum_application_date.trim().to_owned(),
            permits: self
                .permit_rows()
                .into_iter()
                .filter(|row| !row.kind.trim().is_empty() || !row.until.trim().is_empty())
                .map(|row| v1::Permit {
                    kind: row.kind.trim().to_owned(),
                    valid_until: row.until.trim().to_owned(),
                })
                .collect(),
            civic_integration: v1::CivicIntegration::from_str_name(&upper(
                "CIVIC_INTEGRATION_",
                &self.civic_integration,
            ))
            .map_or(0, |state| state as i32),
            nationality: self.nationality.trim().to_owned(),
            safe_country_national: self.safe_country_national.is_some(),
            in_reception_centre: self.in_reception_centre.is_some(),
            asylum_clock_stopped_days: stopped,
            buddy_capacity: capacity,
            in_school_programme: self.in_school_programme.is_some(),
            identity_unclear: self.identity_unclear.is_some(),
        })
    }
}

/// The region-local record's fields, as the API names them.
const RECORD_FIELDS: [&str; 12] = [
    "role",
    "residence_status",
    "asylum_application_date",
    "permits",
    "civic_integration",
    "nationality",
    "safe_country_national",
    "in_reception_centre",
    "asylum_clock_stopped_days",
    "buddy_capacity",
    "in_school_programme",
    "identity_unclear",
];

/// The field of the region-local record a refusal names (`role` when it names
/// none). A permit's own fields (`permits[1].valid_until`) are the permits' rows.
pub(super) fn refused_record_field(status: &tonic::Status) -> &'static str {
    if status.message().contains("permits[") {
        "permits"
    } else {
        refused_field(status, &RECORD_FIELDS).unwrap_or("role")
    }
}

/// One audit entry as the page shows it.
pub struct ReadView {
    pub when: String,
    pub who: String,
    pub what: String,
    pub outcome: String,
}

#[derive(Template)]
#[template(path = "console_member.html")]
struct MemberPage {
    frame: Frame,
    id: String,
    name: String,
    profession: String,
    languages: String,
    shared: bool,
    form: RecordForm,
    permits: Vec<PermitRow>,
    roles: Vec<Choice>,
    residences: Vec<Choice>,
    civics: Vec<Choice>,
    errors: Vec<FieldError>,
    notice: String,
    invitation: String,
    reads: Vec<ReadView>,
}

impl MemberPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[derive(Deserialize, Default)]
pub struct MemberShown {
    #[serde(default)]
    added: Option<String>,
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    unlocked: Option<String>,
    #[serde(default)]
    arrived: Option<String>,
}

/// What the member page shows besides the member: the form as typed and its
/// errors, a notice, an invitation link made just now.
struct Showing {
    form: Option<RecordForm>,
    errors: Vec<FieldError>,
    notice: String,
    invitation: String,
}

async fn member_page(
    app: &App,
    visit: &Visit,
    region: &str,
    text: Text,
    id: &str,
    showing: Showing,
) -> Response {
    let here = format!("{HERE}/{id}");
    let member = match app
        .gateway
        .members()
        .get_member(call(
            visit,
            Some(region),
            v1::GetMemberRequest { id: id.into() },
        ))
        .await
    {
        Ok(member) => member.into_inner(),
        Err(status) => return refusal(visit, text, &here, &status),
    };
    let reads = match app
        .gateway
        .audit()
        .list_audit_entries(call(
            visit,
            Some(region),
            v1::ListAuditEntriesRequest {
                page_size: 20,
                subject: id.into(),
                ..Default::default()
            },
        ))
        .await
    {
        Ok(listed) => listed
            .into_inner()
            .entries
            .into_iter()
            .map(|entry| ReadView {
                when: entry
                    .time
                    .as_ref()
                    .map(|t| moment(text, t.seconds))
                    .unwrap_or_default(),
                who: if entry.caller_region.is_empty() {
                    entry.caller_role
                } else {
                    format!("{} ({})", entry.caller_role, entry.caller_region)
                },
                what: entry
                    .method
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                outcome: entry.outcome,
            })
            .collect(),
        Err(status) => return refusal(visit, text, &here, &status),
    };
    let profile = member.profile.clone().unwrap_or_default();
    let form = showing
        .form
        .unwrap_or_else(|| RecordForm::from_record(&member.regional.clone().unwrap_or_default()));
    let code = if showing.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = MemberPage {
        frame: Frame::chapter(visit, text, &here),
        id: id.into(),
        name: profile.display_name,
        profession: profile.profession,
        languages: profile
            .languages
            .iter()
            .map(|code| text.language(code))
            .collect::<Vec<_>>()
            .join(", "),
        shared: profile.share_across_regions,
        permits: form.permit_rows(),
        roles: role_choices(text, &form.role),
        residences: residence_choices(text, &form.residence_status),
        civics: civic_choices(text, &form.civic_integration),
        form,
        errors: showing.errors,
        notice: showing.notice,
        invitation: showing.invitation,
        reads,
    };
    render(visit, code, &page)
}

/// `GET /console/members/{id}`.
pub async fn show(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Query(shown): Query<MemberShown>,
) -> Response {
    let here = format!("{HERE}/{id}");
    let (account, text) = match chapter_admin(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let notice = if shown.added.is_some() {
        text.t("console-member-added")
    } else if shown.saved.is_some() {
        text.t("console-record-saved")
    } else if shown.unlocked.is_some() {
        text.t("console-unlocked")
    } else if shown.arrived.is_some() {
        text.t("console-move-arrived")
    } else {
        String::new()
    };
    let showing = Showing {
        form: None,
        errors: Vec::new(),
        notice,
        invitation: String::new(),
    };
    member_page(&app, &visit, &account.region, text, &id, showing).await
}

/// `POST /console/members/{id}/record`: her region-local record, as the form says.
pub async fn save_record(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<RecordForm>,
) -> Response {
    let here = format!("{HERE}/{id}");
    let (account, text) = match chapter_admin(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(&here);
    }
    let again = |form: RecordForm, errors: Vec<FieldError>| Showing {
        form: Some(form),
        errors,
        notice: String::new(),
        invitation: String::new(),
    };
    let record = match form.record(text) {
        Ok(record) => record,
        Err(errors) => {
            let showing = again(form, errors);
            return member_page(&app, &visit, &account.region, text, &id, showing).await;
        }
    };
    let mask = RECORD_FIELDS
        .iter()
        .map(|field| format!("regional.{field}"))
        .collect();
    let updated = app
        .gateway
        .members()
        .update_member(call(
            &visit,
            Some(&account.region),
            v1::UpdateMemberRequest {
                member: Some(v1::Member {
                    id: id.clone(),
                    regional: Some(record),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask { paths: mask }),
            },
        ))
        .await;
    match updated {
        Ok(_) => visit.redirect(&format!("{here}?saved=1")),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let field = refused_record_field(&status);
            let showing = again(
                form,
                vec![FieldError {
                    field: field.into(),
                    message: text.t1(
                        "console-refused",
                        "reason",
                        &crate::pages::refused::named(text, &status),
                    ),
                }],
            );
            member_page(&app, &visit, &account.region, text, &id, showing).await
        }
        Err(status) => refusal(&visit, text, &here, &status),
    }
}

/// The invitation and unlock forms.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub language: String,
}

/// `POST /console/members/{id}/invite`: an invitation for her to sign in (again),
/// its link shown once on her page.
pub async fn invite(
    State(app): State<App>,
    visit: Visit,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<LoginForm>,
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
                kind: v1::AccountKind::Member as i32,
                region: account.region.clone(),
                member_id: id.clone(),
                language: form.language.trim().to_owned(),
                organisation_id: String::new(),
            },
        ))
        .await;
    let showing = match invited {
        Ok(invited) => {
            let invited = invited.into_inner();
            let mut notice = text.t1("console-invited", "login", form.login.trim());
            if invited.invitation_mailed {
                notice = format!("{notice} {}", text.t("console-invitation-mailed"));
            }
            Showing {
                form: None,
                errors: Vec::new(),
                notice,
                invitation: invitation_link(&visit, &headers, &invited.invitation_code),
            }
        }
        Err(status) if status.code() == tonic::Code::InvalidArgument => Showing {
            form: None,
            errors: vec![FieldError {
                field: "login".into(),
                message: text.t1(
                    "console-refused",
                    "reason",
                    &crate::pages::refused::named(text, &status),
                ),
            }],
            notice: String::new(),
            invitation: String::new(),
        },
        Err(status) => return refusal(&visit, text, &here, &status),
    };
    member_page(&app, &visit, &account.region, text, &id, showing).await
}

/// `POST /console/members/{id}/unlock`: lifts the lock on her account.
pub async fn unlock(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<LoginForm>,
) -> Response {
    let here = format!("{HERE}/{id}");
    let (account, text) = match chapter_admin(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(&here);
    }
    let unlocked = app
        .gateway
        .accounts()
        .unlock_account(call(
            &visit,
            None,
            v1::UnlockAccountRequest {
                login: form.login.trim().to_owned(),
            },
        ))
        .await;
    match unlocked {
        Ok(_) => visit.redirect(&format!("{here}?unlocked=1")),
        Err(status)
            if matches!(
                status.code(),
                tonic::Code::InvalidArgument | tonic::Code::NotFound
            ) =>
        {
            let showing = Showing {
                form: None,
                errors: vec![FieldError {
                    field: "unlock_login".into(),
                    message: text.t1(
                        "console-refused",
                        "reason",
                        &crate::pages::refused::named(text, &status),
                    ),
                }],
                notice: String::new(),
                invitation: String::new(),
            };
            member_page(&app, &visit, &account.region, text, &id, showing).await
        }
        Err(status) => refusal(&visit, text, &here, &status),
    }
}
