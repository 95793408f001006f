//! Region certificates the federation no longer trusts, by serial number. A
//! region's key that leaked, or a node that was retired, is revoked here: a `Sync`
//! stream (or a move request) presenting that certificate is refused, and an open
//! stream is closed within [`REVOCATION_POLL`]. The list lives in the gateway's
//! database, so every replica reads it; the settings' `federation.revoked_serials`
//! are added to it at start-up, and `passage admin certs revoke` adds to it while the
//! gateway runs.

use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, sea_query::OnConflict};

use crate::error::{Error, Result};
use crate::store::entity::revoked_certificate;

/// How often every gateway replica reads the list, to close revoked streams.
pub const REVOCATION_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// A serial number as the list keeps it: lowercase hexadecimal without separators
/// or leading zeros (`01:A3:ff` → `1a3ff`), so that every way of writing it matches.
pub fn normalise(serial: &str) -> std::result::Result<String, String> {
    let digits: String = serial
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect::<String>()
        .to_ascii_lowercase();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "{serial:?} is not a certificate serial number (hexadecimal, as `passage certs issue` prints it)"
        ));
    }
    if digits.len() > 42 {
        return Err(format!(
            "{serial:?} is longer than a serial number (20 bytes)"
        ));
    }
    let trimmed = digits.trim_start_matches('0');
    Ok(if trimmed.is_empty() { "0" } else { trimmed }.to_owned())
}

/// The serial number of a DER certificate, normalised.
pub fn serial_of(der: &[u8]) -> Option<String> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der).ok()?;
    normalise(&hex_of(certificate.tbs_certificate.raw_serial())).ok()
}

/// The serial number of the first certificate in a PEM text, normalised.
pub fn serial_of_pem(pem: &[u8]) -> Option<String> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem).ok()?;
    serial_of(&block.contents)
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Revokes `serial` (already normalised) for `reason`; `false` when it was revoked
/// before (the first reason stays).
pub async fn revoke(db: &impl ConnectionTrait, serial: &str, reason: &str) -> Result<bool> {
    let inserted = revoked_certificate::Entity::insert(revoked_certificate::ActiveModel {
        serial: Set(serial.to_owned()),
        reason: Set(reason.to_owned()),
        revoked_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(revoked_certificate::Column::Serial)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted > 0)
}

/// Adds the serials the settings list (`federation.revoked_serials`).
pub async fn register(db: &impl ConnectionTrait, serials: &[String]) -> Result<()> {
    for (index, serial) in serials.iter().enumerate() {
        let serial = normalise(serial).map_err(|reason| Error::Settings {
            field: format!("federation.revoked_serials[{index}]"),
            reason,
        })?;
        revoke(db, &serial, "listed in federation.revoked_serials").await?;
    }
    Ok(())
}

/// Whether `serial` (normalised) is revoked.
pub async fn is_revoked(db: &impl ConnectionTrait, serial: &str) -> Result<bool> {
    Ok(revoked_certificate::Entity::find_by_id(serial.to_owned())
        .one(db)
        .await?
        .is_some())
}

/// Every revoked serial.
pub async fn revoked(db: &impl ConnectionTrait) -> Result<BTreeSet<String>> {
    Ok(revoked_certificate::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.serial)
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_serial_matches_however_it_is_written() {
        assert_eq!(normalise("01:A3:ff").unwrap(), "1a3ff");
        assert_eq!(normalise("1a3ff").unwrap(), "1a3ff");
        assert_eq!(normalise("00").unwrap(), "0");
        assert!(normalise("").is_err());
        assert!(
            normalise("zz:01")
                .unwrap_err()
                .contains("not a certificate serial")
        );
    }
}
