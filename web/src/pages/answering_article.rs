//! Making an answered question a knowledge-base article, and translating it: the
//! superlocal's forms on the question page (`answering.rs`).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use passage_proto::v1;

use super::FieldError;
use super::answering::{
    ArticleForm, HERE, Showing, expired, missing_or_long, question_page, refused_on_form,
};
use super::refusal;
use super::roles::member;
use crate::App;
use crate::gateway::call;
use crate::i18n::{Lang, Text};
use crate::visit::Visit;

/// Longest article title and body, in characters (as the region allows).
const MAX_TITLE: usize = 200;
const MAX_BODY: usize = 20_000;

/// The article or translation form's errors.
fn check_article(text: Text, form: &ArticleForm) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if Lang::ALL.iter().all(|lang| lang.code() != form.language) {
        errors.push(FieldError {
            field: "language".into(),
            message: text.t("answering-language-missing"),
        });
    }
    missing_or_long(text, &mut errors, "title", &form.title, MAX_TITLE);
    missing_or_long(text, &mut errors, "body", &form.body, MAX_BODY);
    errors
}

/// `POST /answering/{id}/article`: I make my answer a knowledge-base article.
pub async fn article(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<ArticleForm>,
) -> Response {
    write_article(app, visit, id, form, false).await
}

/// `POST /answering/{id}/translation`: I add or replace a translation of the
/// article made from my answer.
pub async fn translation(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<ArticleForm>,
) -> Response {
    write_article(app, visit, id, form, true).await
}

async fn write_article(
    app: App,
    visit: Visit,
    id: String,
    form: ArticleForm,
    translating: bool,
) -> Response {
    let here = format!("{HERE}/{}", super::encode_component(&id));
    let (account, text) = match member(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let mut errors = if visit.form_is_ours(&form.form_token) {
        check_article(text, &form)
    } else {
        expired(text, "title")
    };
    if errors.is_empty() {
        let region = Some(account.region.as_str());
        let mut helpdesk = app.gateway.helpdesk();
        let written = if translating {
            let question = helpdesk
                .get_question(call(
                    &visit,
                    region,
                    v1::GetQuestionRequest { id: id.clone() },
                ))
                .await;
            match question {
                Ok(question) => helpdesk
                    .set_translation(call(
                        &visit,
                        region,
                        v1::SetTranslationRequest {
                            article_id: question.into_inner().article_id,
                            language: form.language.clone(),
                            title: form.title.trim().to_owned(),
                            body: form.body.trim().to_owned(),
                        },
                    ))
                    .await
                    .map(|_| ()),
                Err(status) => Err(status),
            }
        } else {
            helpdesk
                .create_article(call(
                    &visit,
                    region,
                    v1::CreateArticleRequest {
                        question_id: id.clone(),
                        language: form.language.clone(),
                        title: form.title.trim().to_owned(),
                        body: form.body.trim().to_owned(),
                    },
                ))
                .await
                .map(|_| ())
        };
        match written {
            Ok(()) => {
                let done = if translating {
                    "translation"
                } else {
                    "article"
                };
                return visit.redirect(&format!("{here}?done={done}#translations-title"));
            }
            Err(status) if status.code() == tonic::Code::InvalidArgument => {
                errors = refused_on_form(text, &status, &["language", "title", "body"], "title");
            }
            Err(status) => return refusal(&visit, text, &here, &status),
        }
    }
    let showing = Showing {
        article: form,
        errors,
        ..Default::default()
    };
    question_page(&app, &visit, &account, text, &id, showing).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_without_a_title_is_refused_naming_the_title() {
        let arabic = Text::new(Lang::Ar);
        let errors = check_article(
            arabic,
            &ArticleForm {
                language: "ar".into(),
                body: "نص".into(),
                ..Default::default()
            },
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "title");
        assert_eq!(errors[0].message, arabic.t("answering-title-missing"));
    }
}
