//! The language switcher: a link on every page, remembered for this browser. (The
//! account's own language is set on the profile page.)

use axum::extract::{Path, Query};
use axum::response::Response;
use serde::Deserialize;

use crate::i18n::Lang;
use crate::visit::Visit;

#[derive(Deserialize, Default)]
pub struct Back {
    #[serde(default)]
    back: String,
}

/// `GET /language/{code}?back=/path`.
pub async fn choose(visit: Visit, Path(code): Path<String>, Query(back): Query<Back>) -> Response {
    match Lang::from_code(&code) {
        Some(lang) => visit.language_chosen(lang, &back.back),
        None => visit.redirect(&back.back),
    }
}
