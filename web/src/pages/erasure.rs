//! Erase me (GDPR art. 17): after the member confirms with their passphrase, their
//! home region deletes them and every record about them, then the gateway their
//! account; they are signed out and given a receipt code. The receipt's page
//! (`/erasure/<code>`) needs no sign-in: it shows, region by region, whether the
//! erasure is done, and names no one.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::{FieldError, Frame, encode_component, problem, refusal, render, signed_in};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::visit::Visit;

const HERE: &str = "/erase";

#[derive(Template)]
#[template(path = "erase.html")]
struct ErasePage {
    frame: Frame,
    errors: Vec<FieldError>,
    understood: bool,
}

/// `GET /erase`.
pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    let (_, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let page = ErasePage {
        frame: Frame::new(&visit, text, HERE, true),
        errors: Vec::new(),
        understood: false,
    };
    render(&visit, StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    passphrase: String,
    #[serde(default)]
    understood: Option<String>,
}

/// `POST /erase`.
pub async fn erase(State(app): State<App>, visit: Visit, Form(form): Form<EraseForm>) -> Response {
    let (_, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(HERE);
    }
    let understood = form.understood.is_some();
    let refused = |errors: Vec<FieldError>| {
        let page = ErasePage {
            frame: Frame::new(&visit, text, HERE, true),
            errors,
            understood,
        };
        render(&visit, StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    let mut errors = Vec::new();
    if !understood {
        errors.push(FieldError {
            field: "understood".into(),
            message: text.t("erase-understood-required"),
        });
    }
    if form.passphrase.is_empty() {
        errors.push(FieldError {
            field: "passphrase".into(),
            message: text.t("erase-passphrase-required"),
        });
    }
    if !errors.is_empty() {
        return refused(errors);
    }
    let erased = app
        .gateway
        .personal_data()
        .erase_me(call(
            &visit,
            None,
            v1::EraseMeRequest {
                passphrase: form.passphrase,
            },
        ))
        .await;
    match erased {
        Ok(erased) => {
            let code = erased.into_inner().receipt_code;
            visit.signed_out(&format!("/erasure/{}?new=1", encode_component(&code)))
        }
        Err(status) if status.code() == tonic::Code::InvalidArgument => refused(vec![FieldError {
            field: "passphrase".into(),
            message: text.t("erase-passphrase-wrong"),
        }]),
        Err(status) if status.code() == tonic::Code::ResourceExhausted => {
            refused(vec![FieldError {
                field: "passphrase".into(),
                message: text.t("erase-locked"),
            }])
        }
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}

/// One region's line on the receipt.
pub struct RegionLine {
    pub name: String,
    pub done: bool,
    pub home: bool,
}

#[derive(Template)]
#[template(path = "erasure_receipt.html")]
struct ReceiptPage {
    frame: Frame,
    code: String,
    new: bool,
    requested: String,
    regions: Vec<RegionLine>,
    complete: bool,
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    new: Option<String>,
}

/// `GET /erasure/{code}`: the receipt, for anyone holding its code.
pub async fn receipt(
    State(app): State<App>,
    visit: Visit,
    Path(code): Path<String>,
    Query(shown): Query<Shown>,
) -> Response {
    let text = visit.text();
    let here = format!("/erasure/{}", encode_component(&code));
    let answer = app
        .gateway
        .personal_data()
        .get_erasure_receipt(call(
            &visit,
            None,
            v1::GetErasureReceiptRequest {
                receipt_code: code.clone(),
            },
        ))
        .await;
    let receipt = match answer {
        Ok(receipt) => receipt.into_inner(),
        Err(status)
            if matches!(
                status.code(),
                tonic::Code::NotFound | tonic::Code::InvalidArgument
            ) =>
        {
            return problem(
                &visit,
                text,
                &here,
                StatusCode::NOT_FOUND,
                "receipt-unknown",
                "receipt-unknown-explained",
            );
        }
        Err(status) => return refusal(&visit, text, &here, &status),
    };
    let page = ReceiptPage {
        frame: Frame::new(&visit, text, &here, visit.session.is_some()),
        code,
        new: shown.new.is_some(),
        requested: receipt
            .requested_time
            .as_ref()
            .map(|at| super::when::moment(text, at.seconds))
            .unwrap_or_default(),
        regions: receipt
            .regions
            .into_iter()
            .map(|region| RegionLine {
                name: region.name,
                done: region.done,
                home: region.home,
            })
            .collect(),
        complete: receipt.complete,
    };
    render(&visit, StatusCode::OK, &page)
}

#[derive(Deserialize, Default)]
pub struct Lookup {
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "erasure_lookup.html")]
struct LookupPage {
    frame: Frame,
}

/// `GET /erasure`: a form to type a receipt's code; with `?code=`, on to its page.
pub async fn lookup(visit: Visit, Query(lookup): Query<Lookup>) -> Response {
    let code = lookup.code.trim();
    if !code.is_empty() {
        return visit.redirect(&format!("/erasure/{}", encode_component(code)));
    }
    let text: Text = visit.text();
    let page = LookupPage {
        frame: Frame::new(&visit, text, "/erasure", visit.session.is_some()),
    };
    render(&visit, StatusCode::OK, &page)
}
