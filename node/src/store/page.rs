//! Paging as AIP-158 describes it: `page_size` and an opaque `page_token` that
//! continues after the last item of the previous page (keyset paging on UUIDv7 ids,
//! so pages stay stable while rows are added).

use uuid::Uuid;

use crate::error::{Error, Result};

/// Page size when the caller asks for none.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// The largest page a caller gets, whatever it asks for.
pub const MAX_PAGE_SIZE: u64 = 500;

/// A validated page request.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub size: u64,
    /// Continue after this id.
    pub after: Option<Uuid>,
}

impl PageRequest {
    /// Validates `page_size` and `page_token` as they come off the wire.
    pub fn parse(page_size: i32, page_token: &str) -> Result<Self> {
        let size = match page_size {
            size if size < 0 => {
                return Err(Error::invalid("page_size", "must not be negative"));
            }
            0 => DEFAULT_PAGE_SIZE,
            size => (size as u64).min(MAX_PAGE_SIZE),
        };
        let after = if page_token.is_empty() {
            None
        } else {
            Some(decode_token(page_token)?)
        };
        Ok(PageRequest { size, after })
    }
}

/// One page of results.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next_after: Option<Uuid>,
}

impl<T> Page<T> {
    /// Builds a page from up to `size + 1` rows: the extra row only tells that there
    /// is a next page.
    pub fn from_rows(mut rows: Vec<T>, size: u64, id: impl Fn(&T) -> Uuid) -> Self {
        let has_more = rows.len() as u64 > size;
        rows.truncate(size as usize);
        let next_after = if has_more { rows.last().map(id) } else { None };
        Page {
            items: rows,
            next_after,
        }
    }

    /// The `next_page_token` to send: empty on the last page.
    pub fn next_page_token(&self) -> String {
        self.next_after.map(encode_token).unwrap_or_default()
    }
}

const TOKEN_PREFIX: &str = "p1.";

/// The token of a page that continues after `after`, for lists paged by hand.
pub fn token_after(after: Uuid) -> String {
    encode_token(after)
}

fn encode_token(after: Uuid) -> String {
    format!("{TOKEN_PREFIX}{}", after.simple())
}

fn decode_token(token: &str) -> Result<Uuid> {
    token
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|rest| Uuid::try_parse(rest).ok())
        .ok_or_else(|| {
            Error::invalid(
                "page_token",
                "not a token from a previous page of this list",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_defaults_caps_and_refuses_negatives() {
        assert_eq!(PageRequest::parse(0, "").unwrap().size, DEFAULT_PAGE_SIZE);
        assert_eq!(PageRequest::parse(10_000, "").unwrap().size, MAX_PAGE_SIZE);
        let negative = PageRequest::parse(-1, "").unwrap_err();
        assert!(negative.to_string().starts_with("page_size"));
    }

    #[test]
    fn a_token_continues_after_the_last_item_of_a_full_page() {
        let ids: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
        let page = Page::from_rows(ids.clone(), 3, |id| *id);
        assert_eq!(page.items, ids[..3]);
        let next = PageRequest::parse(3, &page.next_page_token()).unwrap();
        assert_eq!(next.after, Some(ids[2]));
        let last = Page::from_rows(ids[..2].to_vec(), 3, |id| *id);
        assert_eq!(last.next_page_token(), "");
        assert!(PageRequest::parse(3, "p1.nonsense").is_err());
    }
}
