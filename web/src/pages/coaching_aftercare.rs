//! Recording an aftercare contact with a participant of a cohort I coach: the
//! form on the cohort's page (`coaching.rs`), a dated note per contact.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use passage_proto::v1;

use super::coaching::{ContactForm, HERE, cohort_page};
use super::refused::reason;
use super::roles::member;
use super::{FieldError, refusal, refused_field};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::visit::Visit;

/// Longest aftercare note, in characters (as the region allows).
const MAX_NOTE: usize = 2000;

/// What is wrong with the typed contact, field by field.
fn check(text: Text, form: &ContactForm) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if form.member_id.trim().is_empty() {
        errors.push(FieldError {
            field: "member_id".into(),
            message: text.t("coaching-participant-missing"),
        });
    }
    if chrono::NaiveDate::parse_from_str(form.contacted_on.trim(), "%Y-%m-%d").is_err() {
        errors.push(FieldError {
            field: "contacted_on".into(),
            message: text.t("coaching-date-missing"),
        });
    }
    let note = form.note.trim().chars().count();
    if note == 0 {
        errors.push(FieldError {
            field: "note".into(),
            message: text.t("coaching-note-missing"),
        });
    } else if note > MAX_NOTE {
        errors.push(FieldError {
            field: "note".into(),
            message: text.t1("coaching-note-too-long", "most", &MAX_NOTE.to_string()),
        });
    }
    errors
}

/// `POST /coaching/{cohort}/aftercare`: I record an aftercare contact, as myself.
pub async fn contact(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<ContactForm>,
) -> Response {
    let here = format!("{HERE}/{}", super::encode_component(&id));
    let (account, text) = match member(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let mut errors = if visit.form_is_ours(&form.form_token) {
        check(text, &form)
    } else {
        vec![FieldError {
            field: "note".into(),
            message: text.t("form-expired"),
        }]
    };
    if errors.is_empty() {
        let recorded = app
            .gateway
            .coaching()
            .record_aftercare_contact(call(
                &visit,
                Some(&account.region),
                v1::RecordAftercareContactRequest {
                    cohort_id: id.clone(),
                    member_id: form.member_id.trim().to_owned(),
                    coach_member_id: account.member_id.clone(),
                    contacted_on: form.contacted_on.trim().to_owned(),
                    note: form.note.trim().to_owned(),
                },
            ))
            .await;
        match recorded {
            Ok(_) => return visit.redirect(&format!("{here}?done=contact#aftercare-title")),
            Err(status) if status.code() == tonic::Code::InvalidArgument => {
                let field = refused_field(&status, &["member_id", "contacted_on", "note"])
                    .unwrap_or("note");
                errors = vec![FieldError {
                    field: field.into(),
                    message: text.t1("coaching-refused", "reason", &reason(text, &status)),
                }];
            }
            Err(status) => return refusal(&visit, text, &here, &status),
        }
    }
    cohort_page(
        &app,
        &visit,
        &account,
        text,
        &id,
        form,
        errors,
        String::new(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn a_contact_without_a_note_is_refused_naming_the_note() {
        let dutch = Text::new(Lang::Nl);
        let errors = check(
            dutch,
            &ContactForm {
                member_id: "0193a1b2-0000-7000-8000-000000000001".into(),
                contacted_on: "2026-12-01".into(),
                ..Default::default()
            },
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "note");
        assert_eq!(errors[0].message, dutch.t("coaching-note-missing"));
    }
}
