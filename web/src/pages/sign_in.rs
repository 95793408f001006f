//! Signing in, accepting an invitation (choosing a passphrase) and signing out.
//! The passphrase fields carry the `autocomplete` values password managers know.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::{FieldError, Frame, refusal, render};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::visit::{Visit, safe_path};

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    frame: Frame,
    back: String,
    login: String,
    errors: Vec<FieldError>,
}

#[derive(Deserialize, Default)]
pub struct Back {
    #[serde(default)]
    back: String,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    passphrase: String,
    #[serde(default)]
    back: String,
}

/// `GET /sign-in`.
pub async fn show(visit: Visit, Query(back): Query<Back>) -> Response {
    let text = visit.text();
    sign_in_page(&visit, text, &back.back, String::new(), Vec::new())
}

fn sign_in_page(
    visit: &Visit,
    text: Text,
    back: &str,
    login: String,
    errors: Vec<FieldError>,
) -> Response {
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SignInPage {
        frame: Frame::new(visit, text, "/sign-in", false),
        back: safe_path(back),
        login,
        errors,
    };
    render(visit, code, &page)
}

/// `POST /sign-in`.
pub async fn submit(
    State(app): State<App>,
    visit: Visit,
    Form(form): Form<SignInForm>,
) -> Response {
    let text = visit.text();
    if !visit.form_is_ours(&form.form_token) {
        return stale_form(&visit, text, &form.back, form.login);
    }
    let mut errors = Vec::new();
    if form.login.trim().is_empty() {
        errors.push(FieldError {
            field: "login".into(),
            message: text.t("sign-in-login-missing"),
        });
    }
    if form.passphrase.is_empty() {
        errors.push(FieldError {
            field: "passphrase".into(),
            message: text.t("sign-in-passphrase-missing"),
        });
    }
    if !errors.is_empty() {
        return sign_in_page(&visit, text, &form.back, form.login, errors);
    }
    let answer = app
        .gateway
        .accounts()
        .sign_in(call(
            &visit,
            None,
            v1::SignInRequest {
                login: form.login.trim().to_owned(),
                passphrase: form.passphrase,
            },
        ))
        .await;
    match answer {
        Ok(signed) => {
            let signed = signed.into_inner();
            visit.signed_in(&signed.session, &safe_path(&form.back))
        }
        Err(status) => {
            let message = match status.code() {
                tonic::Code::Unauthenticated | tonic::Code::InvalidArgument => {
                    text.t("sign-in-wrong")
                }
                tonic::Code::ResourceExhausted | tonic::Code::FailedPrecondition => {
                    text.t("sign-in-locked")
                }
                _ => return refusal(&visit, text, "/sign-in", &status),
            };
            sign_in_page(
                &visit,
                text,
                &form.back,
                form.login,
                vec![FieldError {
                    field: "passphrase".into(),
                    message,
                }],
            )
        }
    }
}

/// A form whose token is not this browser's (a stale tab, or a page elsewhere
/// posting here): shown again, nothing done.
fn stale_form(visit: &Visit, text: Text, back: &str, login: String) -> Response {
    sign_in_page(
        visit,
        text,
        back,
        login,
        vec![FieldError {
            field: "login".into(),
            message: text.t("form-expired"),
        }],
    )
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    frame: Frame,
    code: String,
    errors: Vec<FieldError>,
}

#[derive(Deserialize)]
pub struct InvitationForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    passphrase: String,
    #[serde(default)]
    passphrase_again: String,
}

/// `GET /invitation/{code}`: choose a passphrase.
pub async fn invitation(visit: Visit, Path(code): Path<String>) -> Response {
    let text = visit.text();
    invitation_page(&visit, text, code, Vec::new())
}

fn invitation_page(visit: &Visit, text: Text, code: String, errors: Vec<FieldError>) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = InvitationPage {
        frame: Frame::new(visit, text, &format!("/invitation/{code}"), false),
        code,
        errors,
    };
    render(visit, status, &page)
}

/// `POST /invitation/{code}`.
pub async fn accept(
    State(app): State<App>,
    visit: Visit,
    Path(code): Path<String>,
    Form(form): Form<InvitationForm>,
) -> Response {
    let text = visit.text();
    let refuse = |message: String| {
        invitation_page(
            &visit,
            text,
            code.clone(),
            vec![FieldError {
                field: "passphrase".into(),
                message,
            }],
        )
    };
    if !visit.form_is_ours(&form.form_token) {
        return refuse(text.t("form-expired"));
    }
    if form.passphrase != form.passphrase_again {
        return invitation_page(
            &visit,
            text,
            code.clone(),
            vec![FieldError {
                field: "passphrase_again".into(),
                message: text.t("invitation-passphrases-differ"),
            }],
        );
    }
    let answer = app
        .gateway
        .accounts()
        .accept_invitation(call(
            &visit,
            None,
            v1::AcceptInvitationRequest {
                invitation_code: code.clone(),
                passphrase: form.passphrase,
            },
        ))
        .await;
    match answer {
        Ok(signed) => visit.signed_in(&signed.into_inner().session, "/"),
        Err(status) => match status.code() {
            tonic::Code::InvalidArgument if status.message().starts_with("passphrase") => {
                let message = if status.message().contains("common") {
                    text.t("invitation-passphrase-common")
                } else {
                    text.t("invitation-passphrase-short")
                };
                refuse(message)
            }
            tonic::Code::InvalidArgument | tonic::Code::NotFound | tonic::Code::Unauthenticated => {
                refuse(text.t("invitation-unknown"))
            }
            _ => refusal(&visit, text, "/", &status),
        },
    }
}

#[derive(Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    form_token: String,
}

/// `POST /sign-out`: ends the session at the gateway and forgets the cookie.
pub async fn sign_out(
    State(app): State<App>,
    visit: Visit,
    Form(form): Form<SignOutForm>,
) -> Response {
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect("/");
    }
    if visit.session.is_some()
        && let Err(status) = app
            .gateway
            .accounts()
            .sign_out(call(&visit, None, v1::SignOutRequest {}))
            .await
        && status.code() != tonic::Code::Unauthenticated
    {
        tracing::warn!(%status, "signing out at the gateway failed; the cookie is forgotten anyway");
    }
    visit.signed_out("/sign-in")
}
