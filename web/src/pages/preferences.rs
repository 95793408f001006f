//! My notification preferences: the address mail goes to (optional), my time
//! zone, each kind of notification by mail or only in the inbox, how often mail
//! comes, and quiet hours. Kept on my home node; a refused field is named in the
//! page's language.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::{FieldError, Frame, refusal, refused_field, render, signed_in};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::visit::Visit;

const HERE: &str = "/notifications/preferences";

/// One kind as the form shows it.
pub struct KindChoice {
    pub kind: String,
    pub title: String,
    pub email: bool,
}

/// The form as shown: what is stored, or what was typed.
#[derive(Debug, Clone, Default)]
pub struct PreferencesForm {
    pub email: String,
    pub time_zone: String,
    /// `immediate`, `daily` or `weekly`.
    pub digest: String,
    pub quiet_from: String,
    pub quiet_until: String,
    /// Kinds wanted by mail.
    pub email_kinds: Vec<String>,
}

#[derive(Template)]
#[template(path = "preferences.html")]
struct PreferencesPage {
    frame: Frame,
    form: PreferencesForm,
    kinds: Vec<KindChoice>,
    errors: Vec<FieldError>,
    saved: bool,
}

impl PreferencesPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }
}

const DIGESTS: [(&str, v1::DigestFrequency); 3] = [
    ("immediate", v1::DigestFrequency::Immediate),
    ("daily", v1::DigestFrequency::Daily),
    ("weekly", v1::DigestFrequency::Weekly),
];

fn form_of(settings: &v1::NotificationSettings) -> PreferencesForm {
    PreferencesForm {
        email: settings.email.clone(),
        time_zone: settings.time_zone.clone(),
        digest: DIGESTS
            .iter()
            .find(|(_, digest)| *digest as i32 == settings.digest)
            .map_or("immediate", |(name, _)| name)
            .to_owned(),
        quiet_from: settings.quiet_from.clone(),
        quiet_until: settings.quiet_until.clone(),
        email_kinds: settings
            .kinds
            .iter()
            .filter(|k| k.email)
            .map(|k| k.kind.clone())
            .collect(),
    }
}

fn kinds_of(
    text: Text,
    settings: &v1::NotificationSettings,
    form: &PreferencesForm,
) -> Vec<KindChoice> {
    settings
        .kinds
        .iter()
        .map(|k| KindChoice {
            title: text.t(&format!("notification-{}", k.kind)),
            email: form.email_kinds.contains(&k.kind),
            kind: k.kind.clone(),
        })
        .collect()
}

async fn stored(
    app: &App,
    visit: &Visit,
    account: &v1::Account,
) -> Result<v1::NotificationSettings, tonic::Status> {
    app.gateway
        .notifications()
        .get_notification_settings(call(
            visit,
            Some(&account.region),
            v1::GetNotificationSettingsRequest {
                member_id: account.member_id.clone(),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /notifications/preferences`.
pub async fn show(State(app): State<App>, visit: Visit, Query(shown): Query<Shown>) -> Response {
    let (account, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if account.member_id.is_empty() {
        return super::helpdesk::members_only(&visit, text, HERE);
    }
    let settings = match stored(&app, &visit, &account).await {
        Ok(settings) => settings,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let form = form_of(&settings);
    let page = PreferencesPage {
        frame: Frame::new(&visit, text, HERE, true),
        kinds: kinds_of(text, &settings, &form),
        form,
        errors: Vec::new(),
        saved: shown.saved.is_some(),
    };
    render(&visit, StatusCode::OK, &page)
}

/// The message for a refused field, in the page's language.
fn message_for(text: Text, field: &str) -> String {
    text.t(match field {
        "email" => "preferences-error-email",
        "time_zone" => "preferences-error-time-zone",
        "quiet_from" | "quiet_until" => "preferences-error-quiet",
        "digest" => "preferences-error-digest",
        _ => "preferences-error-other",
    })
}

/// `POST /notifications/preferences`: the form's fields as sent (each kind
/// wanted by mail is a checked `email_kind`).
pub async fn save(
    State(app): State<App>,
    visit: Visit,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (account, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if account.member_id.is_empty() {
        return visit.redirect("/");
    }
    let value = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim().to_owned())
            .unwrap_or_default()
    };
    let form = PreferencesForm {
        email: value("email"),
        time_zone: value("time_zone"),
        digest: value("digest"),
        quiet_from: value("quiet_from"),
        quiet_until: value("quiet_until"),
        email_kinds: fields
            .iter()
            .filter(|(key, _)| key == "email_kind")
            .map(|(_, kind)| kind.clone())
            .collect(),
    };
    let settings = match stored(&app, &visit, &account).await {
        Ok(settings) => settings,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let again = |errors: Vec<FieldError>| {
        let page = PreferencesPage {
            frame: Frame::new(&visit, text, HERE, true),
            kinds: kinds_of(text, &settings, &form),
            form: form.clone(),
            errors,
            saved: false,
        };
        render(&visit, StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    if !visit.form_is_ours(&value("form_token")) {
        return again(vec![FieldError {
            field: "email".into(),
            message: text.t("form-expired"),
        }]);
    }
    let Some((_, digest)) = DIGESTS.iter().find(|(name, _)| *name == form.digest) else {
        return again(vec![FieldError {
            field: "digest-immediate".into(),
            message: message_for(text, "digest"),
        }]);
    };
    let wanted = v1::NotificationSettings {
        member_id: account.member_id.clone(),
        email: form.email.clone(),
        time_zone: form.time_zone.clone(),
        language: text.lang.code().to_owned(),
        digest: *digest as i32,
        quiet_from: form.quiet_from.clone(),
        quiet_until: form.quiet_until.clone(),
        kinds: settings
            .kinds
            .iter()
            .map(|k| v1::KindPreference {
                kind: k.kind.clone(),
                email: form.email_kinds.contains(&k.kind),
            })
            .collect(),
    };
    let saved = app
        .gateway
        .notifications()
        .update_notification_settings(call(
            &visit,
            Some(&account.region),
            v1::UpdateNotificationSettingsRequest {
                settings: Some(wanted),
            },
        ))
        .await;
    match saved {
        Ok(_) => visit.redirect(&format!("{HERE}?saved=1")),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let field = refused_field(
                &status,
                &["email", "time_zone", "quiet_from", "quiet_until", "digest"],
            )
            .unwrap_or("email");
            let anchor = if field == "digest" {
                "digest-immediate"
            } else {
                field
            };
            again(vec![FieldError {
                field: anchor.into(),
                message: message_for(text, field),
            }])
        }
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}
