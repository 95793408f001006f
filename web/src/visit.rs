//! One visit of a page: who is asking (the session cookie, if any), from where,
//! in which language, and the form token that proves a form was ours. The cookies
//! are HttpOnly and SameSite=Lax, and Secure behind TLS; the session credential is
//! never put in a URL.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::App;
use crate::i18n::{Lang, Text};

pub const SESSION_COOKIE: &str = "passage_session";
pub const FORM_COOKIE: &str = "passage_form";
pub const LANG_COOKIE: &str = "passage_lang";

/// What every page knows of the person in front of it.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The gateway's session credential (`pss_…`), if signed in.
    pub session: Option<String>,
    /// The browser's address, passed on to the gateway for sign-in throttling.
    pub client_address: Option<String>,
    /// The language chosen on the page, if any.
    pub chosen_lang: Option<Lang>,
    /// The browser's preferred language, if the app speaks it.
    pub browser_lang: Option<Lang>,
    /// The form token (double-submit: cookie and hidden field must agree).
    pub form_token: String,
    /// Whether the form token was made on this visit (and must be set as a cookie).
    new_form_token: bool,
    /// The signed-in member's unread notifications, for the navigation; read
    /// when the visit is found signed in (`pages::signed_in`).
    pub unread: std::sync::Arc<std::sync::atomic::AtomicU32>,
    secure_cookies: bool,
}

impl Visit {
    /// The language of the page: the person's choice, then their account's, then
    /// the browser's, then English.
    pub fn lang(&self, account_language: Option<&str>) -> Lang {
        self.chosen_lang
            .or_else(|| account_language.and_then(Lang::from_code))
            .or(self.browser_lang)
            .unwrap_or(Lang::En)
    }

    /// The texts of a page for someone not signed in.
    /// `https` when the app sits behind TLS (its cookies are Secure), else `http`:
    /// for links the app gives out, such as an invitation.
    pub fn scheme(&self) -> &'static str {
        if self.secure_cookies { "https" } else { "http" }
    }

    pub fn text(&self) -> Text {
        Text::new(self.lang(None))
    }

    /// Whether a posted form token is the one in this browser's cookie.
    pub fn form_is_ours(&self, posted: &str) -> bool {
        !self.new_form_token
            && !posted.is_empty()
            && bool::from(posted.as_bytes().ct_eq(self.form_token.as_bytes()))
    }

    fn cookie(&self, name: &str, value: &str, max_age: Option<u64>) -> HeaderValue {
        let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
        if let Some(seconds) = max_age {
            cookie.push_str(&format!("; Max-Age={seconds}"));
        }
        if self.secure_cookies {
            cookie.push_str("; Secure");
        }
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// Headers every answer carries: the form token's cookie when new, and what
    /// keeps pages private and unframed.
    fn finish(&self, mut response: Response) -> Response {
        let headers = response.headers_mut();
        if self.new_form_token {
            headers.append(
                header::SET_COOKIE,
                self.cookie(FORM_COOKIE, &self.form_token, None),
            );
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        response
    }

    /// A page.
    pub fn page(&self, status: StatusCode, html: String) -> Response {
        self.finish(
            (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response(),
        )
    }

    /// A file to save, not to show: `name` as the browser should call it.
    pub fn download(
        &self,
        name: &str,
        content_type: &'static str,
        body: impl Into<axum::body::Body>,
    ) -> Response {
        let disposition = format!("attachment; filename=\"{name}\"");
        self.finish(
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&disposition)
                            .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
                    ),
                ],
                body.into(),
            )
                .into_response(),
        )
    }

    /// Post/Redirect/Get: on to `to` (a path of this app).
    pub fn redirect(&self, to: &str) -> Response {
        let to = safe_path(to);
        self.finish((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response())
    }

    /// On to `to`, signed in with `session` (a fresh cookie and a fresh form token).
    pub fn signed_in(&self, session: &str, to: &str) -> Response {
        let mut response = self.redirect(to);
        let headers = response.headers_mut();
        headers.append(
            header::SET_COOKIE,
            self.cookie(SESSION_COOKIE, session, None),
        );
        headers.append(
            header::SET_COOKIE,
            self.cookie(FORM_COOKIE, &new_token(), None),
        );
        response
    }

    /// On to `to`, signed out: the session cookie is gone.
    pub fn signed_out(&self, to: &str) -> Response {
        let mut response = self.redirect(to);
        response
            .headers_mut()
            .append(header::SET_COOKIE, self.cookie(SESSION_COOKIE, "", Some(0)));
        response
    }

    /// On to `to`, with `lang` chosen for this browser (a year).
    pub fn language_chosen(&self, lang: Lang, to: &str) -> Response {
        let mut response = self.redirect(to);
        response.headers_mut().append(
            header::SET_COOKIE,
            self.cookie(LANG_COOKIE, lang.code(), Some(365 * 24 * 3600)),
        );
        response
    }
}

/// A local path to go back to; anything else (another site, a scheme) is home.
pub fn safe_path(to: &str) -> String {
    if to.starts_with('/') && !to.starts_with("//") && !to.contains('\\') {
        to.to_owned()
    } else {
        "/".to_owned()
    }
}

/// A new random token, 32 bytes in hexadecimal.
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    // Without randomness no form could be trusted: fail loudly rather than weakly.
    if getrandom::fill(&mut bytes).is_err() {
        tracing::error!("the system's random source failed; a form token is not random");
    }
    hex::encode(bytes)
}

/// The value of cookie `name`, if the request has it.
fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name && !value.is_empty()).then_some(value)
        })
}

impl<S> FromRequestParts<S> for Visit
where
    S: Send + Sync,
    App: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = App::from_ref(state);
        let headers = &parts.headers;
        let session = cookie_value(headers, SESSION_COOKIE)
            .filter(|value| value.starts_with(passage_proto::SESSION_PREFIX))
            .map(str::to_owned);
        let form_cookie = cookie_value(headers, FORM_COOKIE)
            .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()));
        let (form_token, new_form_token) = match form_cookie {
            Some(token) => (token.to_owned(), false),
            None => (new_token(), true),
        };
        let client_address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip().to_string());
        Ok(Visit {
            session,
            client_address,
            chosen_lang: cookie_value(headers, LANG_COOKIE).and_then(Lang::from_code),
            browser_lang: headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok())
                .and_then(Lang::from_accept_language),
            form_token,
            new_form_token,
            unread: Default::default(),
            secure_cookies: app.secure_cookies,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_app_are_gone_back_to() {
        assert_eq!(safe_path("/profile?x=1"), "/profile?x=1");
        assert_eq!(safe_path("//evil.example/"), "/");
        assert_eq!(safe_path("https://evil.example/"), "/");
        assert_eq!(safe_path("/\\evil.example"), "/");
    }
}
