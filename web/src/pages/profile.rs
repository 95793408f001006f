//! My profile: the shared fields I edit myself, my consent to share them with
//! other regions in plain words, the record my region keeps about me (read only:
//! a chapter admin records it), and the language Passage speaks to me.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::{FieldError, Frame, problem, refusal, refused_field, render, signed_in};
use crate::App;
use crate::gateway::call;
use crate::i18n::{Lang, Text};
use crate::visit::Visit;

const HERE: &str = "/profile";

/// The profile as the form shows it (what was stored, or what was typed).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct ProfileForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub profession: String,
    #[serde(default)]
    pub skills: String,
    #[serde(default)]
    pub languages: String,
    #[serde(default)]
    pub experience_years: String,
    #[serde(default)]
    pub available_hours_per_week: String,
    /// "yes" or "no".
    #[serde(default)]
    pub share: String,
    #[serde(default)]
    pub account_language: String,
}

impl ProfileForm {
    fn from_member(member: &v1::Member, account_language: &str) -> Self {
        let profile = member.profile.clone().unwrap_or_default();
        ProfileForm {
            form_token: String::new(),
            display_name: profile.display_name,
            profession: profile.profession,
            skills: profile.skills.join(", "),
            languages: profile.languages.join(", "),
            experience_years: profile.experience_years.to_string(),
            available_hours_per_week: profile.available_hours_per_week.to_string(),
            share: if profile.share_across_regions {
                "yes"
            } else {
                "no"
            }
            .into(),
            account_language: account_language.to_owned(),
        }
    }
}

/// One line of the region's record, as shown.
pub struct RecordLine {
    pub label: String,
    pub value: String,
}

/// One language the account may choose.
pub struct LanguageChoice {
    pub code: &'static str,
    pub name: &'static str,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    frame: Frame,
    form: ProfileForm,
    record: Vec<RecordLine>,
    region: String,
    choices: Vec<LanguageChoice>,
    errors: Vec<FieldError>,
    saved: bool,
}

impl ProfilePage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    saved: Option<String>,
}

/// The member the account is, as their home region holds them.
async fn member_of(
    app: &App,
    visit: &Visit,
    account: &v1::Account,
) -> Result<v1::Member, tonic::Status> {
    app.gateway
        .members()
        .get_member(call(
            visit,
            Some(&account.region),
            v1::GetMemberRequest {
                id: account.member_id.clone(),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

fn record_of(text: Text, member: &v1::Member) -> Vec<RecordLine> {
    let Some(regional) = &member.regional else {
        return Vec::new();
    };
    let role = v1::MemberRole::try_from(regional.role).unwrap_or(v1::MemberRole::Unspecified);
    let residence = v1::ResidenceStatus::try_from(regional.residence_status)
        .unwrap_or(v1::ResidenceStatus::Unspecified);
    let mut lines = vec![
        RecordLine {
            label: text.t("record-role"),
            value: text.t(&format!(
                "role-{}",
                enum_key(role.as_str_name(), "MEMBER_ROLE_")
            )),
        },
        RecordLine {
            label: text.t("record-residence-status"),
            value: text.t(&format!(
                "residence-{}",
                enum_key(residence.as_str_name(), "RESIDENCE_STATUS_")
            )),
        },
    ];
    if !regional.asylum_application_date.is_empty() {
        lines.push(RecordLine {
            label: text.t("record-asylum-application-date"),
            value: regional.asylum_application_date.clone(),
        });
    }
    if !regional.nationality.is_empty() {
        lines.push(RecordLine {
            label: text.t("record-nationality"),
            value: regional.nationality.clone(),
        });
    }
    lines
}

/// `RESIDENCE_STATUS_ASYLUM_SEEKER` → `asylum-seeker`.
fn enum_key(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix)
        .to_ascii_lowercase()
        .replace('_', "-")
}

fn choices(chosen: &str) -> Vec<LanguageChoice> {
    Lang::ALL
        .into_iter()
        .map(|lang| LanguageChoice {
            code: lang.code(),
            name: lang.native_name(),
            chosen: lang.code() == chosen,
        })
        .collect()
}

/// `GET /profile`.
pub async fn show(State(app): State<App>, visit: Visit, Query(shown): Query<Shown>) -> Response {
    let (account, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if account.member_id.is_empty() {
        return problem(
            &visit,
            text,
            HERE,
            StatusCode::NOT_FOUND,
            "problem-no-profile",
            "problem-no-profile-explained",
        );
    }
    let member = match member_of(&app, &visit, &account).await {
        Ok(member) => member,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let page = ProfilePage {
        frame: Frame::new(&visit, text, HERE, true),
        form: ProfileForm::from_member(&member, &account.language),
        record: record_of(text, &member),
        region: account.region_name.clone(),
        choices: choices(&account.language),
        errors: Vec::new(),
        saved: shown.saved.is_some(),
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

/// The fields a member edits, as the API names them.
const EDITABLE: [&str; 7] = [
    "display_name",
    "profession",
    "skills",
    "languages",
    "experience_years",
    "available_hours_per_week",
    "share_across_regions",
];

/// `POST /profile`.
pub async fn save(State(app): State<App>, visit: Visit, Form(form): Form<ProfileForm>) -> Response {
    let (account, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if account.member_id.is_empty() {
        return visit.redirect("/");
    }
    let again = |errors: Vec<FieldError>, record: Vec<RecordLine>| {
        let page = ProfilePage {
            frame: Frame::new(&visit, text, HERE, true),
            form: form.clone(),
            record,
            region: account.region_name.clone(),
            choices: choices(&form.account_language),
            errors,
            saved: false,
        };
        render(&visit, StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    let stored = match member_of(&app, &visit, &account).await {
        Ok(member) => member,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let record = record_of(text, &stored);
    if !visit.form_is_ours(&form.form_token) {
        return again(
            vec![FieldError {
                field: "display_name".into(),
                message: text.t("form-expired"),
            }],
            record,
        );
    }
    let mut errors = Vec::new();
    let mut number = |field: &str, value: &str, most: i32| -> i32 {
        match value.trim().parse::<i32>() {
            Ok(n) if (0..=most).contains(&n) => n,
            _ => {
                errors.push(FieldError {
                    field: field.into(),
                    message: text.t1("profile-number-range", "most", &most.to_string()),
                });
                0
            }
        }
    };
    let experience_years = number("experience_years", &form.experience_years, 70);
    let available_hours_per_week = number(
        "available_hours_per_week",
        &form.available_hours_per_week,
        80,
    );
    if form.display_name.trim().is_empty() {
        errors.push(FieldError {
            field: "display_name".into(),
            message: text.t("profile-name-missing"),
        });
    }
    if !matches!(form.share.as_str(), "yes" | "no") {
        errors.push(FieldError {
            field: "share".into(),
            message: text.t("profile-share-missing"),
        });
    }
    if !errors.is_empty() {
        return again(errors, record);
    }
    let mut profile = stored.profile.clone().unwrap_or_default();
    profile.display_name = form.display_name.trim().to_owned();
    profile.profession = form.profession.trim().to_owned();
    profile.skills = items(&form.skills);
    profile.languages = items(&form.languages)
        .into_iter()
        .map(|code| code.to_ascii_lowercase())
        .collect();
    profile.experience_years = experience_years;
    profile.available_hours_per_week = available_hours_per_week;
    profile.share_across_regions = form.share == "yes";
    let update = v1::UpdateMemberRequest {
        member: Some(v1::Member {
            id: account.member_id.clone(),
            profile: Some(profile),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: EDITABLE.iter().map(|f| format!("profile.{f}")).collect(),
        }),
    };
    if let Err(status) = app
        .gateway
        .members()
        .update_member(call(&visit, Some(&account.region), update))
        .await
    {
        if status.code() == tonic::Code::InvalidArgument {
            let field = refused_field(&status, &EDITABLE).unwrap_or("display_name");
            let field = if field == "share_across_regions" {
                "share"
            } else {
                field
            };
            let reason = super::refused::reason(text, &status);
            return again(
                vec![FieldError {
                    field: field.into(),
                    message: text.t1("profile-refused", "reason", &reason),
                }],
                record,
            );
        }
        return refusal(&visit, text, HERE, &status);
    }
    if form.account_language != account.language
        && let Some(lang) = Lang::from_code(&form.account_language)
        && let Err(status) = app
            .gateway
            .accounts()
            .set_my_language(call(
                &visit,
                None,
                v1::SetMyLanguageRequest {
                    language: lang.code().into(),
                },
            ))
            .await
    {
        return refusal(&visit, text, HERE, &status);
    }
    match Lang::from_code(&form.account_language) {
        // The page is shown in the newly chosen language from now on.
        Some(lang) if visit.chosen_lang.is_some() => {
            visit.language_chosen(lang, "/profile?saved=1")
        }
        _ => visit.redirect("/profile?saved=1"),
    }
}
