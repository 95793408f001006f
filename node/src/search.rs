//! `MemberService.SearchMembers` and `MarketService.SearchOpportunities`: the
//! query checked and cut into words, the ranked hits of the region's word index
//! (`store::search_index`), one page of them with what the caller sees of each.
//!
//! A page token names the rank of the last hit of the previous page (words
//! matched, score, id), not its position: the next page starts after that rank
//! in the ranking as it is now, so a member added, changed or erased between two
//! pages neither repeats a hit nor skips one that stayed.

use std::collections::BTreeSet;

use passage_proto::v1;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::convert;
use crate::error::{Error, Refusal, Result};
use crate::store::PageRequest;
use crate::store::entity::{member, opportunity};
use crate::store::search_index::{self, Hit, Indexed};
use crate::validate;

/// Longest query, in characters.
const MAX_QUERY: usize = 200;
/// Most different words a query may have.
const MAX_QUERY_WORDS: usize = 10;
const TOKEN_PREFIX: &str = "s1.";

/// A checked search: its words and the page asked for.
struct Search {
    words: BTreeSet<String>,
    size: usize,
    after: Option<Hit>,
}

impl Search {
    fn parse(query: &str, page_size: i32, page_token: &str) -> Result<Self> {
        let query = validate::required_text("query", query, MAX_QUERY)?;
        let words = search_index::query_words(&query);
        if words.is_empty() {
            return Err(Error::refused(
                "query",
                "has no letters or digits to search for",
                Refusal::of(v1::RefusalKind::NothingToSearch, &query, []),
            ));
        }
        if words.len() > MAX_QUERY_WORDS {
            return Err(Error::refused(
                "query",
                format!(
                    "at most {MAX_QUERY_WORDS} different words, got {}",
                    words.len()
                ),
                Refusal::of(
                    v1::RefusalKind::TooManyWords,
                    &words.len().to_string(),
                    [MAX_QUERY_WORDS.to_string()],
                ),
            ));
        }
        let size = PageRequest::parse(page_size, "")?.size;
        Ok(Search {
            words,
            size: usize::try_from(size).unwrap_or(usize::MAX),
            after: decode_token(page_token)?,
        })
    }

    /// The page this search asks for from `indexed`, and the next page's token.
    async fn page(
        &self,
        db: &impl ConnectionTrait,
        indexed: Indexed,
    ) -> Result<(Vec<Hit>, String)> {
        let limit = u64::try_from(self.size)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let mut page = search_index::search(db, indexed, &self.words, self.after, limit).await?;
        let more = page.len() > self.size;
        page.truncate(self.size);
        let token = match page.last() {
            Some(last) if more => encode_token(last),
            _ => String::new(),
        };
        Ok((page, token))
    }
}

fn encode_token(hit: &Hit) -> String {
    format!(
        "{TOKEN_PREFIX}{}.{}.{}",
        hit.matched,
        hit.score,
        hit.id.simple()
    )
}

fn decode_token(token: &str) -> Result<Option<Hit>> {
    if token.is_empty() {
        return Ok(None);
    }
    let parsed = token.strip_prefix(TOKEN_PREFIX).and_then(|rest| {
        let mut parts = rest.split('.');
        let hit = Hit {
            matched: parts.next()?.parse().ok()?,
            score: parts.next()?.parse().ok()?,
            id: Uuid::try_parse(parts.next()?).ok()?,
        };
        parts.next().is_none().then_some(hit)
    });
    parsed.map(Some).ok_or_else(|| {
        Error::invalid(
            "page_token",
            "not a token from a previous page of this search",
        )
    })
}

/// The rows of `ids`, in the order of `ids`.
fn in_order<T>(ids: &[Hit], rows: Vec<T>, id: impl Fn(&T) -> Uuid) -> Vec<(Hit, T)> {
    let mut rows: std::collections::HashMap<Uuid, T> =
        rows.into_iter().map(|row| (id(&row), row)).collect();
    ids.iter()
        .filter_map(|hit| rows.remove(&hit.id).map(|row| (*hit, row)))
        .collect()
}

pub async fn search_members(
    db: &impl ConnectionTrait,
    request: &v1::SearchMembersRequest,
) -> Result<v1::SearchMembersResponse> {
    let search = Search::parse(&request.query, request.page_size, &request.page_token)?;
    let (page, next_page_token) = search.page(db, Indexed::Members).await?;
    let rows = member::Entity::find()
        .filter(member::Column::Id.is_in(page.iter().map(|hit| hit.id)))
        .all(db)
        .await?;
    Ok(v1::SearchMembersResponse {
        matches: in_order(&page, rows, |row| row.id)
            .into_iter()
            .map(|(hit, row)| v1::MemberSearchHit {
                id: row.id.to_string(),
                display_name: row.display_name,
                profession: row.profession,
                matched_words: hit.matched,
                score: hit.score,
            })
            .collect(),
        next_page_token,
    })
}

pub async fn search_opportunities(
    db: &impl ConnectionTrait,
    request: &v1::SearchOpportunitiesRequest,
) -> Result<v1::SearchOpportunitiesResponse> {
    let search = Search::parse(&request.query, request.page_size, &request.page_token)?;
    let (page, next_page_token) = search.page(db, Indexed::Opportunities).await?;
    let rows = opportunity::Entity::find()
        .filter(opportunity::Column::Id.is_in(page.iter().map(|hit| hit.id)))
        .all(db)
        .await?;
    Ok(v1::SearchOpportunitiesResponse {
        matches: in_order(&page, rows, |row| row.id)
            .into_iter()
            .map(|(hit, row)| v1::OpportunitySearchHit {
                opportunity: Some(convert::market::opportunity_to_wire(&row)),
                matched_words: hit.matched,
                score: hit.score,
            })
            .collect(),
        next_page_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_the_rank_of_the_last_hit() {
        let hit = Hit {
            id: Uuid::now_v7(),
            matched: 2,
            score: 13,
        };
        let search = Search::parse("nurse", 3, &encode_token(&hit)).unwrap();
        assert_eq!(search.after, Some(hit));
        assert_eq!(search.size, 3);
    }

    #[test]
    fn a_bad_query_or_token_names_its_field() {
        for (query, token, field) in [
            ("", "", "query"),
            ("  ", "", "query"),
            ("— …", "", "query"),
            ("a b c d e f g h i j k", "", "query"),
            ("nurse", "p1.nonsense", "page_token"),
        ] {
            let error = Search::parse(query, 10, token).err().unwrap();
            assert!(error.to_string().starts_with(field), "{error}");
        }
        let long = "x".repeat(MAX_QUERY + 1);
        assert!(Search::parse(&long, 10, "").is_err());
    }
}
