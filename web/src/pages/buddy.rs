//! My buddy: the local (or the newcomer) the region paired her with — who, since
//! when, why, and where the pairing stands. The node proposes pairs and the
//! chapter confirms or declines them, so this page only shows; it says so while a
//! pair waits for the chapter.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;

use super::when::day;
use super::{Frame, refusal, render, signed_in};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::visit::Visit;

const HERE: &str = "/buddy";

/// One pair as the page shows it.
pub struct PairView {
    /// The other person's name, as the region gives it.
    pub name: String,
    pub status: String,
    /// The status's class in the stylesheet: `proposed`, `active`, ….
    pub state: String,
    /// "Buddies since …", "Proposed on …".
    pub since: String,
    /// What happens next, in plain words; empty when nothing does.
    pub next: String,
    pub reasons: Vec<String>,
    pub end_reason: String,
}

#[derive(Template)]
#[template(path = "buddy.html")]
struct BuddyPage {
    frame: Frame,
    pairs: Vec<PairView>,
}

/// A reason the node gives ("same profession: nurse", "shared language: ar") in
/// the page's language.
fn reason(text: Text, reason: &str) -> String {
    let Some((kind, what)) = reason.split_once(": ") else {
        return reason.to_owned();
    };
    let key = match kind {
        "same profession" => "buddy-reason-profession",
        "shared sector" => "buddy-reason-sector",
        "shared language" => "buddy-reason-language",
        _ => return reason.to_owned(),
    };
    let what = match (kind, crate::i18n::Lang::from_code(what)) {
        ("shared language", Some(lang)) if lang.code() == what => lang.native_name(),
        _ => what,
    };
    text.t1(key, "what", what)
}

fn pair_view(text: Text, me: &str, pair: v1::BuddyPair) -> PairView {
    let other = if pair.newcomer_member_id == me {
        pair.local_display_name
    } else {
        pair.newcomer_display_name
    };
    let status =
        v1::BuddyPairStatus::try_from(pair.status).unwrap_or(v1::BuddyPairStatus::Unspecified);
    let state = status
        .as_str_name()
        .trim_start_matches("BUDDY_PAIR_STATUS_")
        .to_ascii_lowercase();
    let (since, next) = match status {
        v1::BuddyPairStatus::Proposed => (
            text.t1(
                "buddy-proposed-on",
                "date",
                &day(text, pair.create_time.as_ref()),
            ),
            text.t("buddy-proposed-next"),
        ),
        v1::BuddyPairStatus::Active => (
            text.t1(
                "buddy-active-since",
                "date",
                &day(text, pair.update_time.as_ref()),
            ),
            String::new(),
        ),
        _ => (
            text.t1(
                "buddy-closed-on",
                "date",
                &day(text, pair.update_time.as_ref()),
            ),
            String::new(),
        ),
    };
    PairView {
        name: if other.is_empty() {
            text.t("buddy-name-unknown")
        } else {
            other
        },
        status: text.t(&format!("buddy-status-{state}")),
        state,
        since,
        next,
        reasons: pair.reasons.iter().map(|r| reason(text, r)).collect(),
        end_reason: pair.end_reason,
    }
}

/// `GET /buddy`.
pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    let (account, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if account.member_id.is_empty() {
        return super::helpdesk::members_only(&visit, text, HERE);
    }
    let listed = app
        .gateway
        .buddies()
        .list_buddy_pairs(call(
            &visit,
            Some(&account.region),
            v1::ListBuddyPairsRequest {
                page_size: 100,
                member_id: account.member_id.clone(),
                ..Default::default()
            },
        ))
        .await;
    let pairs = match listed {
        Ok(listed) => listed.into_inner().pairs,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let page = BuddyPage {
        frame: Frame::new(&visit, text, HERE, true),
        // Newest first: the pair that matters now on top.
        pairs: pairs
            .into_iter()
            .rev()
            .map(|pair| pair_view(text, &account.member_id, pair))
            .collect(),
    };
    render(&visit, StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn the_region_s_reasons_read_in_her_language() {
        let english = Text::new(Lang::En);
        assert_eq!(
            reason(english, "shared language: ar"),
            "You both speak العربية"
        );
        assert_eq!(
            reason(english, "same profession: nurse"),
            "You have the same profession: nurse"
        );
        assert_eq!(reason(english, "something new"), "something new");
    }
}
