//! Wire enums ↔ the lowercase names stored in the database (`newcomer`,
//! `asylum_seeker`), and the checks every enum field of a request gets.

use passage_proto::v1;

use crate::error::{Error, Refusal, Result};

/// A `passage.v1` enum whose value names share a prefix (`MEMBER_ROLE_`).
pub trait WireEnum: Sized + Copy + Default + PartialEq {
    const PREFIX: &'static str;
    fn name(self) -> &'static str;
    fn from_name(name: &str) -> Option<Self>;
    fn from_number(number: i32) -> Option<Self>;
}

macro_rules! wire_enum {
    ($($type:ty => $prefix:literal),* $(,)?) => {$(
        impl WireEnum for $type {
            const PREFIX: &'static str = $prefix;
            fn name(self) -> &'static str {
                self.as_str_name()
            }
            fn from_name(name: &str) -> Option<Self> {
                Self::from_str_name(name)
            }
            fn from_number(number: i32) -> Option<Self> {
                Self::try_from(number).ok()
            }
        }
    )*};
}

wire_enum! {
    v1::MemberRole => "MEMBER_ROLE_",
    v1::ResidenceStatus => "RESIDENCE_STATUS_",
    v1::CivicIntegration => "CIVIC_INTEGRATION_",
    v1::EducationLevel => "EDUCATION_LEVEL_",
    v1::OrganisationKind => "ORGANISATION_KIND_",
    v1::OpportunityKind => "OPPORTUNITY_KIND_",
    v1::OpportunityStatus => "OPPORTUNITY_STATUS_",
    v1::ReviewVerdict => "REVIEW_VERDICT_",
    v1::BuddyPairStatus => "BUDDY_PAIR_STATUS_",
    v1::CoachingComponent => "COACHING_COMPONENT_",
    v1::CoachingOutcome => "COACHING_OUTCOME_",
    v1::CohortPhase => "COHORT_PHASE_",
    v1::CaseStatus => "CASE_STATUS_",
    v1::GroupKind => "GROUP_KIND_",
    v1::EventKind => "EVENT_KIND_",
    v1::RegistrationStatus => "REGISTRATION_STATUS_",
    v1::ApplicationStage => "APPLICATION_STAGE_",
    v1::PlacementKind => "PLACEMENT_KIND_",
    v1::PlacementEndReason => "PLACEMENT_END_REASON_",
    v1::PlacementState => "PLACEMENT_STATE_",
    v1::QuestionStatus => "QUESTION_STATUS_",
}

/// The stored name of a value: `MEMBER_ROLE_NEWCOMER` → `newcomer`.
pub fn stored<E: WireEnum>(value: E) -> String {
    value
        .name()
        .strip_prefix(E::PREFIX)
        .unwrap_or(value.name())
        .to_ascii_lowercase()
}

/// The value a stored name stands for; nothing stored (a value not yet recorded,
/// such as a coaching outcome) is unspecified. A name this build does not know
/// reads as unspecified rather than failing the whole read, and is logged as an
/// error (a corrupt row, or a value written by a newer build).
pub fn from_stored<E: WireEnum>(stored: &str) -> E {
    if stored.is_empty() {
        return E::default();
    }
    E::from_name(&format!("{}{}", E::PREFIX, stored.to_ascii_uppercase())).unwrap_or_else(|| {
        tracing::error!(
            stored,
            kind = E::PREFIX,
            "a stored value names no known enum value; read as unspecified"
        );
        E::default()
    })
}

/// The names of `E`'s values after its prefix (`NEWCOMER`), the unspecified zero
/// left out, for a refusal to list.
fn known_names<E: WireEnum>() -> Vec<String> {
    (1..=100)
        .filter_map(E::from_number)
        .map(|value| value.name().trim_start_matches(E::PREFIX).to_owned())
        .collect()
}

/// The wire value of `field`, which must be a known value and, when `required`, not
/// the `_UNSPECIFIED` zero.
pub fn parse<E: WireEnum>(field: &str, number: i32, required: bool) -> Result<E> {
    let value = E::from_number(number).ok_or_else(|| {
        Error::refused(
            field,
            format!("{number} is not a known value"),
            Refusal::of(
                passage_proto::v1::RefusalKind::NotOneOf,
                &number.to_string(),
                known_names::<E>(),
            ),
        )
    })?;
    if required && value == E::default() {
        return Err(Error::refused(
            field,
            format!("must be set (one of the {}* values)", E::PREFIX),
            Refusal::of(passage_proto::v1::RefusalKind::Missing, "", []),
        ));
    }
    Ok(value)
}

/// A filter in a list request: `None` when unspecified.
pub fn filter<E: WireEnum>(field: &str, number: i32) -> Result<Option<String>> {
    let value: E = parse(field, number, false)?;
    Ok((value != E::default()).then(|| stored(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_read_back_as_the_same_value() {
        for role in [
            v1::MemberRole::Newcomer,
            v1::MemberRole::Local,
            v1::MemberRole::VolunteerCoach,
        ] {
            assert_eq!(from_stored::<v1::MemberRole>(&stored(role)), role);
        }
        assert_eq!(stored(v1::ResidenceStatus::AsylumSeeker), "asylum_seeker");
        assert_eq!(stored(v1::ResidenceStatus::Tolerated), "tolerated");
        assert_eq!(
            from_stored::<v1::ResidenceStatus>("tolerated"),
            v1::ResidenceStatus::Tolerated
        );
        assert_eq!(
            from_stored::<v1::OpportunityKind>("taster_internship"),
            v1::OpportunityKind::TasterInternship
        );
    }

    #[test]
    fn a_required_enum_must_be_known_and_set() {
        let unset = parse::<v1::MemberRole>("member.regional.role", 0, true).unwrap_err();
        assert!(
            unset
                .to_string()
                .starts_with("member.regional.role: must be set")
        );
        let unknown = parse::<v1::MemberRole>("member.regional.role", 17, false).unwrap_err();
        assert!(unknown.to_string().contains("17 is not a known value"));
        // The page words it from its kind, listing the values there are.
        let Error::InvalidArgument { refusal, .. } = unknown else {
            panic!("{unknown}")
        };
        assert_eq!(refusal.kind, v1::RefusalKind::NotOneOf);
        assert_eq!(refusal.value, "17");
        assert_eq!(
            refusal.allowed,
            ["NEWCOMER", "LOCAL", "VOLUNTEER_COACH"].map(String::from)
        );
        assert_eq!(filter::<v1::MemberRole>("role", 0).unwrap(), None);
    }
}
