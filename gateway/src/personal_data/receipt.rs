//! A member erases themself (GDPR art. 17): their home region's node deletes them
//! and everything it holds about them (`MemberService.DeleteMember`, asked as the
//! member), whose tombstone tells every other region through the change log; then
//! the gateway deletes their account, sessions, invitations and tokens at once,
//! without waiting for the tombstone. The member is given a receipt code — twenty
//! letters and digits, shown once, kept only as its hash — with which anyone can
//! follow, without signing in, which regions have erased: the home region at
//! once, every other when it has applied the tombstone. The receipt names no one:
//! it holds the erased member's id, which after the erasure leads to nothing but
//! the change log's erasure entry, kept as proof.

use std::time::Duration;

use chrono::Utc;
use passage_proto::v1::{self, member_service_client::MemberServiceClient};
use passage_server::access::Caller;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::route::RegionRouter;
use crate::store::entity::{change_log, erasure_receipt};
use crate::sync::SyncHub;

/// How long the home region's node may take to erase.
const ERASE_DEADLINE: Duration = Duration::from_secs(30);

/// Crockford's base 32: no I, L, O or U to misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a receipt code (100 random bits).
const CODE_CHARS: usize = 20;

/// A new receipt code, in groups of four: `K7QM-2XHD-…`.
fn new_code() -> Result<String> {
    let mut random = [0u8; CODE_CHARS];
    getrandom::fill(&mut random).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    let chars: Vec<char> = random
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(byte % 32)]))
        .collect();
    Ok(chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// The code as typed, read as Crockford's base 32 reads it (any case, hyphens
/// and spaces ignored, O as 0, I and L as 1); `None` if it cannot be a code.
fn normalise(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    (code.len() == CODE_CHARS && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// What the database keeps of a code.
fn hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.as_bytes()))
}

/// Erases the member `caller` is, at their home region and then here; returns the
/// receipt's code.
pub async fn erase(
    router: &RegionRouter,
    db: &sea_orm::DatabaseConnection,
    caller: &Caller,
    member: Uuid,
    login: &str,
) -> std::result::Result<String, tonic::Status> {
    let home = caller
        .region
        .clone()
        .ok_or_else(|| Error::PermissionDenied("the session names no home region".into()))?;
    let route = router.region(&home).ok_or_else(|| Error::UnknownRegion {
        key: passage_proto::REGION_METADATA_KEY,
        region: home.clone(),
        known: router
            .regions()
            .map(|r| r.slug.clone())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    let path = "/passage.v1.MemberService/DeleteMember";
    let mut request = tonic::Request::new(v1::DeleteMemberRequest {
        id: member.to_string(),
    });
    request.set_timeout(ERASE_DEADLINE);
    route.seal_call_as(caller, &mut request, path);
    MemberServiceClient::new(route.channel())
        .delete_member(request)
        .await?;
    let code = new_code()?;
    let kept = normalise(&code)
        .ok_or_else(|| Error::Internal(format!("a new receipt code does not read back: {code}")))?;
    let txn = db.begin().await.map_err(Error::from)?;
    erasure_receipt::Entity::insert(erasure_receipt::ActiveModel {
        code_hash: Set(hash(&kept)),
        member_id: Set(member),
        home_region: Set(home.clone()),
        requested_at: Set(Utc::now()),
    })
    .exec(&txn)
    .await
    .map_err(Error::from)?;
    crate::sync::erasure::erase_member(&txn, member).await?;
    txn.commit().await.map_err(Error::from)?;
    tracing::info!(%login, region = %home, "a member erased themself; their account is deleted");
    Ok(code)
}

/// How the erasure with receipt `typed` stands in every region.
pub async fn progress(
    router: &RegionRouter,
    hub: &SyncHub,
    typed: &str,
) -> Result<v1::ErasureReceipt> {
    let unknown = || {
        Error::NotFound(
            "receipt_code: no erasure has this receipt code; check what was typed".into(),
        )
    };
    let code = normalise(typed).ok_or_else(|| Error::InvalidField {
        field: "receipt_code",
        reason: format!(
            "a receipt code has {CODE_CHARS} letters and digits, in groups of four (K7QM-2XHD-…)"
        ),
    })?;
    let db = hub.db();
    let receipt = erasure_receipt::Entity::find_by_id(hash(&code))
        .one(db)
        .await?
        .ok_or_else(unknown)?;
    // The erasure's entry in the change log, once the home region's tombstone
    // has reached the gateway.
    let entry = change_log::Entity::find()
        .filter(change_log::Column::MemberId.eq(receipt.member_id))
        .filter(change_log::Column::Erasure.eq(true))
        .order_by_asc(change_log::Column::Sequence)
        .one(db)
        .await?;
    let cursors: std::collections::BTreeMap<String, i64> = crate::sync::log::cursors(db)
        .await?
        .into_iter()
        .map(|row| (row.region, row.applied_sequence))
        .collect();
    let mut regions: Vec<v1::RegionErasure> = hub
        .regions()
        .into_iter()
        .map(|slug| {
            let home = slug == receipt.home_region;
            let done = home
                || entry
                    .as_ref()
                    .is_some_and(|e| cursors.get(&slug).is_some_and(|c| *c >= e.sequence));
            v1::RegionErasure {
                name: router
                    .region(&slug)
                    .map_or_else(|| slug.clone(), |route| route.name.clone()),
                region: slug,
                done,
                home,
            }
        })
        .collect();
    regions.sort_by_key(|region| !region.home);
    Ok(v1::ErasureReceipt {
        requested_time: Some(crate::accounts::timestamp(receipt.requested_at)),
        complete: regions.iter().all(|region| region.done),
        regions,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_receipt_code_reads_back_however_it_is_typed() {
        let code = new_code().unwrap();
        assert_eq!(code.len(), CODE_CHARS + 4, "five groups of four: {code}");
        let plain = normalise(&code).unwrap();
        assert_eq!(normalise(&code.to_lowercase()).unwrap(), plain);
        assert_eq!(normalise(&code.replace('-', " ")).unwrap(), plain);
        assert_eq!(
            normalise("oill-0000-0000-0000-0000").unwrap(),
            "01110000000000000000"
        );
        assert_eq!(normalise("too short"), None);
        assert_eq!(
            normalise("UUUU-0000-0000-0000-0000"),
            None,
            "no U in the alphabet"
        );
    }
}
