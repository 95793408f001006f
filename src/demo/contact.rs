//! The demo's people hear from Passage: each member the demo makes gets a
//! made-up address (at `example.org`, which reaches no one), her region's time
//! zone and mail on for every kind, so a person trying the demo finds the mail
//! as `.eml` files in `data/mail/`.

use passage_proto::v1::{self, notification_service_client::NotificationServiceClient};
use tonic::transport::Channel;

use super::in_region;

/// The time zone of a demo region.
fn time_zone(region: &str) -> &'static str {
    match region {
        "amsterdam" => "Europe/Amsterdam",
        _ => "America/New_York",
    }
}

/// `amira.haddad.amsterdam@example.org` for Amira Haddad of Amsterdam.
pub fn address(display_name: &str, region: &str) -> String {
    let local: String = display_name
        .to_lowercase()
        .split_whitespace()
        .map(|word| {
            word.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
        })
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(".");
    let local = if local.is_empty() {
        "member".into()
    } else {
        local
    };
    format!("{local}.{region}@example.org")
}

/// Gives demo member `member` of `region` an address, mail on, in the first of
/// her languages that Passage writes mail in.
pub async fn give(channel: Channel, region: &str, member: &v1::Member) -> anyhow::Result<()> {
    let profile = member.profile.clone().unwrap_or_default();
    let language = profile
        .languages
        .iter()
        .find(|code| ["en", "nl", "ar", "uk", "es"].contains(&code.as_str()))
        .cloned()
        .unwrap_or_else(|| "en".into());
    NotificationServiceClient::new(channel)
        .update_notification_settings(in_region(
            region,
            v1::UpdateNotificationSettingsRequest {
                settings: Some(v1::NotificationSettings {
                    member_id: member.id.clone(),
                    email: address(&profile.display_name, region),
                    time_zone: time_zone(region).into(),
                    language,
                    digest: v1::DigestFrequency::Immediate as i32,
                    ..Default::default()
                }),
            },
        )?)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_demo_address_is_made_from_the_name() {
        assert_eq!(
            address("Amira Haddad", "amsterdam"),
            "amira.haddad.amsterdam@example.org"
        );
        assert_eq!(
            address("Olena Kovalenko-Ş", "miami"),
            "olena.kovalenko.miami@example.org"
        );
    }
}
