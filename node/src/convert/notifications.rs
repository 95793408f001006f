//! Notification settings and inbox rows ↔ the wire. Building settings from the
//! wire validates them, each refusal naming its field.

use chrono::Utc;
use passage_proto::v1;
use passage_proto::v1::RefusalKind;
use uuid::Uuid;

use crate::convert::timestamp;
use crate::error::{Error, Refusal, Result};
use crate::store::entity::{contact_details, mail_queue, notification};
use crate::store::notifications::{self, Kind, Settings};

/// The longest mail address (RFC 5321's path limit).
const MAX_EMAIL: usize = 254;

/// Settings as the API gives them.
pub fn settings_to_wire(settings: &Settings) -> v1::NotificationSettings {
    let details = &settings.details;
    v1::NotificationSettings {
        member_id: details.member_id.to_string(),
        email: details.email.clone(),
        time_zone: details.time_zone.clone(),
        language: details.language.clone(),
        digest: digest_to_wire(&details.digest) as i32,
        quiet_from: details.quiet_from_minute.map(clock).unwrap_or_default(),
        quiet_until: details.quiet_until_minute.map(clock).unwrap_or_default(),
        kinds: settings
            .email_kinds
            .iter()
            .map(|(kind, email)| v1::KindPreference {
                kind: kind.name.to_owned(),
                email: *email,
            })
            .collect(),
    }
}

fn digest_to_wire(digest: &str) -> v1::DigestFrequency {
    match digest {
        "daily" => v1::DigestFrequency::Daily,
        "weekly" => v1::DigestFrequency::Weekly,
        _ => v1::DigestFrequency::Immediate,
    }
}

/// `HH:MM` of a minute after midnight.
fn clock(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// The minute after midnight of `HH:MM`, naming `field` when it is not one.
fn minute_of(field: &str, value: &str) -> Result<i32> {
    let refused = || {
        Error::refused(
            field,
            "must be a time of day as HH:MM, such as 22:00",
            Refusal::of(RefusalKind::NotATimeOfDay, value.trim(), []),
        )
    };
    let (hours, minutes) = value.trim().split_once(':').ok_or_else(refused)?;
    let hours: i32 = hours.parse().map_err(|_| refused())?;
    let minutes: i32 = minutes.parse().map_err(|_| refused())?;
    if !(0..24).contains(&hours) || !(0..60).contains(&minutes) {
        return Err(refused());
    }
    Ok(hours * 60 + minutes)
}

/// The contact details and mail choices of `wire` for member `member_id`,
/// validated.
pub fn settings_from_wire(
    member_id: Uuid,
    wire: &v1::NotificationSettings,
) -> Result<(contact_details::Model, Vec<(Kind, bool)>)> {
    let email = wire.email.trim();
    if email.chars().count() > MAX_EMAIL {
        return Err(Error::refused(
            "settings.email",
            format!("must be at most {MAX_EMAIL} characters"),
            Refusal::of(RefusalKind::TooLong, email, [MAX_EMAIL.to_string()]),
        ));
    }
    if !email.is_empty() && email.parse::<lettre::Address>().is_err() {
        return Err(Error::refused(
            "settings.email",
            "is not a mail address such as name@example.org",
            Refusal::of(RefusalKind::NotAnEmail, email, []),
        ));
    }
    let time_zone = match wire.time_zone.trim() {
        "" => "UTC".to_owned(),
        zone => zone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| {
                Error::refused(
                    "settings.time_zone",
                    "is not an IANA time zone name such as Europe/Amsterdam",
                    Refusal::of(RefusalKind::NotATimeZone, zone, []),
                )
            })?
            .name()
            .to_owned(),
    };
    let language = match wire.language.trim() {
        "" => notifications::LANGUAGES[0].to_owned(),
        code if notifications::LANGUAGES.contains(&code) => code.to_owned(),
        code => {
            return Err(Error::refused(
                "settings.language",
                format!("must be one of {}", notifications::LANGUAGES.join(", ")),
                Refusal::of(
                    RefusalKind::NotOneOf,
                    code,
                    notifications::LANGUAGES.iter().map(|code| code.to_string()),
                ),
            ));
        }
    };
    let digest = match v1::DigestFrequency::try_from(wire.digest) {
        Ok(v1::DigestFrequency::Unspecified | v1::DigestFrequency::Immediate) => "immediate",
        Ok(v1::DigestFrequency::Daily) => "daily",
        Ok(v1::DigestFrequency::Weekly) => "weekly",
        Err(_) => {
            return Err(Error::refused(
                "settings.digest",
                "must be IMMEDIATE, DAILY or WEEKLY",
                Refusal::of(
                    RefusalKind::NotOneOf,
                    &wire.digest.to_string(),
                    ["IMMEDIATE", "DAILY", "WEEKLY"].map(String::from),
                ),
            ));
        }
    };
    let (quiet_from_minute, quiet_until_minute) =
        match (wire.quiet_from.trim(), wire.quiet_until.trim()) {
            ("", "") => (None, None),
            (_, "") => {
                return Err(Error::missing(
                    "settings.quiet_until",
                    "must be set when quiet hours start",
                ));
            }
            ("", _) => {
                return Err(Error::missing(
                    "settings.quiet_from",
                    "must be set when quiet hours end",
                ));
            }
            (from, until) => (
                Some(minute_of("settings.quiet_from", from)?),
                Some(minute_of("settings.quiet_until", until)?),
            ),
        };
    let mut email_kinds = Vec::new();
    for (index, chosen) in wire.kinds.iter().enumerate() {
        let kind = notifications::kind(&chosen.kind).ok_or_else(|| {
            let names = notifications::KINDS.iter().map(|kind| kind.name);
            Error::refused(
                format!("settings.kinds[{index}].kind"),
                format!(
                    "is not a kind of notification; the kinds are {}",
                    names.clone().collect::<Vec<_>>().join(", ")
                ),
                Refusal::of(RefusalKind::NotOneOf, &chosen.kind, names.map(String::from)),
            )
        })?;
        email_kinds.push((kind, chosen.email));
    }
    Ok((
        contact_details::Model {
            member_id,
            email: email.to_owned(),
            time_zone,
            language,
            digest: digest.to_owned(),
            quiet_from_minute,
            quiet_until_minute,
            updated_at: Utc::now(),
        },
        email_kinds,
    ))
}

/// A notification as the API gives it.
pub fn notification_to_wire(row: &notification::Model) -> v1::Notification {
    v1::Notification {
        id: row.id.to_string(),
        kind: row.kind.clone(),
        link: row.link.clone(),
        created_at: Some(timestamp(row.created_at)),
        read_at: row.read_at.map(timestamp),
    }
}

/// A queued mail as its chapter admin sees it: the address masked, any address
/// in the server's answer too, and nothing of the mail's contents.
pub fn queued_mail_to_wire(row: &mail_queue::Model, channel: &str) -> v1::QueuedMail {
    v1::QueuedMail {
        notification_id: row.notification_id.to_string(),
        kind: row.kind.clone(),
        channel: channel.to_owned(),
        masked_address: super::masked::address(&row.to_address),
        attempts: row.attempts.max(0) as u32,
        due_time: Some(timestamp(row.next_attempt_at)),
        queued_time: Some(timestamp(row.created_at)),
        last_error: super::masked::addresses_in(&row.last_error),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn wire() -> v1::NotificationSettings {
        v1::NotificationSettings {
            email: "amal@example.org".into(),
            time_zone: "Europe/Amsterdam".into(),
            language: "ar".into(),
            digest: v1::DigestFrequency::Daily as i32,
            quiet_from: "22:00".into(),
            quiet_until: "07:30".into(),
            ..Default::default()
        }
    }

    #[test]
    fn good_settings_are_kept_and_bad_ones_name_their_field() {
        let (details, _) = settings_from_wire(Uuid::now_v7(), &wire()).unwrap();
        assert_eq!(details.time_zone, "Europe/Amsterdam");
        assert_eq!(
            (details.quiet_from_minute, details.quiet_until_minute),
            (Some(1320), Some(450))
        );
        type Change = fn(&mut v1::NotificationSettings);
        let cases: [(Change, &str, RefusalKind, &str); 7] = [
            (
                |w| w.time_zone = "Mars/Olympus".into(),
                "settings.time_zone",
                RefusalKind::NotATimeZone,
                "Mars/Olympus",
            ),
            (
                |w| w.email = "not an address".into(),
                "settings.email",
                RefusalKind::NotAnEmail,
                "not an address",
            ),
            (
                |w| w.language = "de".into(),
                "settings.language",
                RefusalKind::NotOneOf,
                "de",
            ),
            (
                |w| w.quiet_from = "25:00".into(),
                "settings.quiet_from",
                RefusalKind::NotATimeOfDay,
                "25:00",
            ),
            (
                |w| w.quiet_until = String::new(),
                "settings.quiet_until",
                RefusalKind::Missing,
                "",
            ),
            (
                |w| w.digest = 9,
                "settings.digest",
                RefusalKind::NotOneOf,
                "9",
            ),
            (
                |w| {
                    w.kinds = vec![v1::KindPreference {
                        kind: "gossip".into(),
                        email: true,
                    }]
                },
                "settings.kinds[0].kind",
                RefusalKind::NotOneOf,
                "gossip",
            ),
        ];
        for (change, field, kind, value) in cases {
            let mut bad = wire();
            change(&mut bad);
            let error = settings_from_wire(Uuid::now_v7(), &bad).unwrap_err();
            // The page words each refusal from its kind, quoting the value.
            assert!(
                matches!(
                    &error,
                    Error::InvalidArgument { field: named, refusal, .. }
                        if named == field && refusal.kind == kind && refusal.value == value
                ),
                "{field}: {error:?}"
            );
        }
        let language = settings_from_wire(Uuid::now_v7(), &{
            let mut bad = wire();
            bad.language = "de".into();
            bad
        })
        .unwrap_err();
        let Error::InvalidArgument { refusal, .. } = language else {
            panic!("{language}")
        };
        assert_eq!(refusal.allowed, notifications::LANGUAGES.map(String::from));
    }
}
