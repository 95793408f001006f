//! Buddies: the node proposes a local of the same profession or sector who speaks a
//! language the newcomer speaks, within the local's capacity; a chapter admin
//! confirms or declines; a pair can end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::chapter::{Chapter, refused};
use common::{Backend, Cluster, import_members, to};
use passage_proto::v1::{self, BuddyPairStatus, MemberRole};
use prost_types::FieldMask;
use tonic::Code;

on_both_backends!(
    a_nurse_who_speaks_arabic_is_proposed_to_an_arabic_speaking_local_nurse_within_her_capacity,
    a_declined_pair_is_not_proposed_again,
    an_active_pair_ends_with_a_reason,
    a_pair_goes_with_a_newcomer_who_asks_to_be_forgotten,
    volunteers_without_a_buddy_come_first_in_a_chapter_of_a_thousand,
);

/// A member of Amsterdam as a chapter admin registers them for buddying.
fn person(
    name: &str,
    role: MemberRole,
    profession: &str,
    sectors: &[&str],
    languages: &[&str],
    buddy_capacity: i32,
) -> v1::Member {
    let owned = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
    v1::Member {
        profile: Some(v1::SharedProfile {
            display_name: name.into(),
            profession: profession.into(),
            sectors: owned(sectors),
            languages: owned(languages),
            available_hours_per_week: 8,
            ..Default::default()
        }),
        regional: Some(v1::RegionalRecord {
            role: role as i32,
            residence_status: if role == MemberRole::Newcomer {
                v1::ResidenceStatus::StatusHolder as i32
            } else {
                v1::ResidenceStatus::CitizenOrResident as i32
            },
            buddy_capacity,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The chapter's buddy pairing, and the two members every story here starts with.
impl Chapter {
    /// Amal: a nurse from Syria who speaks Arabic and English.
    async fn amal(&mut self) -> String {
        self.register_member(person(
            "Amal Darwish",
            MemberRole::Newcomer,
            "nurse",
            &["healthcare"],
            &["ar", "en"],
            0,
        ))
        .await
    }

    /// Fatima: a local nurse who speaks Dutch and Arabic, buddy to one at a time.
    async fn fatima(&mut self) -> String {
        self.register_member(person(
            "Fatima el Amrani",
            MemberRole::Local,
            "Nurse",
            &["healthcare"],
            &["nl", "ar"],
            1,
        ))
        .await
    }

    async fn propose(&mut self) -> Vec<v1::BuddyPair> {
        self.buddies
            .propose_buddy_pairs(to("amsterdam", v1::ProposeBuddyPairsRequest::default()))
            .await
            .unwrap()
            .into_inner()
            .pairs
    }

    async fn confirm(&mut self, id: &str) -> Result<v1::BuddyPair, tonic::Status> {
        self.buddies
            .confirm_buddy_pair(to(
                "amsterdam",
                v1::ConfirmBuddyPairRequest { id: id.into() },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn decline(&mut self, id: &str) -> Result<v1::BuddyPair, tonic::Status> {
        self.buddies
            .decline_buddy_pair(to(
                "amsterdam",
                v1::DeclineBuddyPairRequest { id: id.into() },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn end(&mut self, id: &str, reason: &str) -> Result<v1::BuddyPair, tonic::Status> {
        self.buddies
            .end_buddy_pair(to(
                "amsterdam",
                v1::EndBuddyPairRequest {
                    id: id.into(),
                    reason: reason.into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn list(&mut self, status: BuddyPairStatus, member_id: &str) -> Vec<v1::BuddyPair> {
        self.buddies
            .list_buddy_pairs(to(
                "amsterdam",
                v1::ListBuddyPairsRequest {
                    status: status as i32,
                    member_id: member_id.into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .pairs
    }
}

fn couple(pair: &v1::BuddyPair) -> (&str, &str) {
    (&pair.newcomer_member_id, &pair.local_member_id)
}

async fn a_nurse_who_speaks_arabic_is_proposed_to_an_arabic_speaking_local_nurse_within_her_capacity(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let amal = chapter.amal().await;
    let fatima = chapter.fatima().await;
    // A nurse without a language in common, a baker who speaks Arabic, and an
    // Arabic-speaking nurse who has no room for a buddy: none of them fits.
    chapter
        .register_member(person(
            "Jan Visser",
            MemberRole::Local,
            "nurse",
            &["healthcare"],
            &["nl"],
            3,
        ))
        .await;
    chapter
        .register_member(person(
            "Karim Benali",
            MemberRole::Local,
            "baker",
            &["hospitality"],
            &["ar", "nl"],
            2,
        ))
        .await;
    chapter
        .register_member(person(
            "Noor Haddad",
            MemberRole::VolunteerCoach,
            "nurse",
            &["healthcare"],
            &["ar"],
            0,
        ))
        .await;

    let proposed = chapter.propose().await;
    assert_eq!(proposed.len(), 1, "{proposed:?}");
    let pair = &proposed[0];
    assert_eq!(couple(pair), (amal.as_str(), fatima.as_str()));
    assert_eq!(pair.status, BuddyPairStatus::Proposed as i32);
    assert_eq!(
        pair.reasons,
        [
            "same profession: nurse",
            "shared sector: healthcare",
            "shared language: ar"
        ]
    );

    // A second Arabic-speaking nurse arrives: Fatima's one place is taken, and
    // Amal, who has a proposed pair, is not proposed twice.
    let hadi = chapter
        .register_member(person(
            "Hadi Mansour",
            MemberRole::Newcomer,
            "nurse",
            &["healthcare"],
            &["ar"],
            0,
        ))
        .await;
    assert!(chapter.propose().await.is_empty());

    // Fatima makes room for one more; now Hadi is proposed to her.
    chapter
        .members
        .update_member(to(
            "amsterdam",
            v1::UpdateMemberRequest {
                member: Some(v1::Member {
                    id: fatima.clone(),
                    regional: Some(v1::RegionalRecord {
                        buddy_capacity: 2,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["regional.buddy_capacity".into()],
                }),
            },
        ))
        .await
        .unwrap();
    let second = chapter.propose().await;
    assert_eq!(second.len(), 1, "{second:?}");
    assert_eq!(couple(&second[0]), (hadi.as_str(), fatima.as_str()));

    let fatimas = chapter.list(BuddyPairStatus::Unspecified, &fatima).await;
    assert_eq!(fatimas.len(), 2);
    assert_eq!(
        chapter.list(BuddyPairStatus::Proposed, &amal).await.len(),
        1
    );
    cluster.stop().await;
}

async fn a_declined_pair_is_not_proposed_again(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let amal = chapter.amal().await;
    let fatima = chapter.fatima().await;
    // A care worker in healthcare who speaks Arabic: a fit, but a weaker one.
    let salma = chapter
        .register_member(person(
            "Salma Idrissi",
            MemberRole::Local,
            "care worker",
            &["healthcare"],
            &["ar"],
            1,
        ))
        .await;

    let first = chapter.propose().await;
    assert_eq!(first.len(), 1);
    assert_eq!(couple(&first[0]), (amal.as_str(), fatima.as_str()));
    let declined = chapter.decline(&first[0].id).await.unwrap();
    assert_eq!(declined.status, BuddyPairStatus::Declined as i32);
    refused(
        chapter.confirm(&first[0].id).await,
        Code::FailedPrecondition,
        "is declined; only a proposed pair can be confirmed",
    );
    refused(
        chapter.decline(&first[0].id).await,
        Code::FailedPrecondition,
        "is declined",
    );

    let again = chapter.propose().await;
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(
        couple(&again[0]),
        (amal.as_str(), salma.as_str()),
        "not Fatima again"
    );
    assert_eq!(
        again[0].reasons,
        ["shared sector: healthcare", "shared language: ar"]
    );
    let confirmed = chapter.confirm(&again[0].id).await.unwrap();
    assert_eq!(confirmed.status, BuddyPairStatus::Active as i32);
    assert!(chapter.propose().await.is_empty());
    cluster.stop().await;
}

async fn an_active_pair_ends_with_a_reason(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let amal = chapter.amal().await;
    chapter.fatima().await;
    let proposed = chapter.propose().await;
    let id = proposed[0].id.clone();

    refused(
        chapter.end(&id, "Amal found work").await,
        Code::FailedPrecondition,
        "is proposed; only an active pair can be ended",
    );
    let active = chapter.confirm(&id).await.unwrap();
    assert_eq!(active.status, BuddyPairStatus::Active as i32);
    refused(
        chapter.confirm(&id).await,
        Code::FailedPrecondition,
        "is active",
    );
    refused(
        chapter.end(&id, "  ").await,
        Code::InvalidArgument,
        "reason",
    );
    let ended = chapter
        .end(&id, "Amal started as a nurse in Zaandam")
        .await
        .unwrap();
    assert_eq!(ended.status, BuddyPairStatus::Ended as i32);
    assert_eq!(ended.end_reason, "Amal started as a nurse in Zaandam");
    refused(
        chapter.end(&id, "again").await,
        Code::FailedPrecondition,
        "is ended",
    );
    assert_eq!(
        chapter.list(BuddyPairStatus::Ended, &amal).await,
        vec![ended]
    );
    assert!(
        chapter.propose().await.is_empty(),
        "two who were buddies are not proposed again"
    );
    refused(
        chapter.confirm(&uuid::Uuid::now_v7().to_string()).await,
        Code::NotFound,
        "buddy pair",
    );
    cluster.stop().await;
}

async fn a_pair_goes_with_a_newcomer_who_asks_to_be_forgotten(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let amal = chapter.amal().await;
    let fatima = chapter.fatima().await;
    let proposed = chapter.propose().await;
    // Amal asks to be forgotten: the proposal naming her goes with her.
    chapter
        .members
        .delete_member(to(
            "amsterdam",
            v1::DeleteMemberRequest { id: amal.clone() },
        ))
        .await
        .unwrap();
    refused(
        chapter.confirm(&proposed[0].id).await,
        Code::NotFound,
        &format!("buddy pair {} not found", proposed[0].id),
    );
    assert!(
        chapter
            .list(BuddyPairStatus::Unspecified, &fatima)
            .await
            .is_empty(),
        "Fatima's list still shows a pair with Amal"
    );
    cluster.stop().await;
}

/// A chapter with more volunteers than one proposal considers (1,000, the
/// fewest buddies first): Fatima, already buddy to Noor, has a place left and
/// fits Amal best, but the thousand care workers who have no buddy yet come
/// first, and Amal is proposed one of them.
async fn volunteers_without_a_buddy_come_first_in_a_chapter_of_a_thousand(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let noor = chapter
        .register_member(person(
            "Noor Haddad",
            MemberRole::Newcomer,
            "nurse",
            &["healthcare"],
            &["ar"],
            0,
        ))
        .await;
    let fatima = chapter
        .register_member(person(
            "Fatima el Amrani",
            MemberRole::Local,
            "Nurse",
            &["healthcare"],
            &["nl", "ar"],
            2,
        ))
        .await;
    let first = chapter.propose().await;
    assert_eq!(couple(&first[0]), (noor.as_str(), fatima.as_str()));
    chapter.confirm(&first[0].id).await.unwrap();

    let mut file = String::from(
        "external_id;display_name;role;residence_status;profession;sectors;languages;buddy_capacity\r\n",
    );
    for index in 0..1_000 {
        file += &format!(
            "care-{index:04};Care worker {index};local;citizen_or_resident;care worker;healthcare;ar;1\r\n"
        );
    }
    let report = import_members(cluster.gateway().await, "amsterdam", file).await;
    assert_eq!(report.created.len(), 1_000);
    let amal = chapter.amal().await;

    let proposed = chapter.propose().await;
    assert_eq!(proposed.len(), 1, "{proposed:?}");
    assert_eq!(proposed[0].newcomer_member_id, amal);
    assert_ne!(
        proposed[0].local_member_id, fatima,
        "Fatima already has a buddy and lies beyond the thousand considered"
    );
    assert_eq!(
        proposed[0].reasons,
        ["shared sector: healthcare", "shared language: ar"]
    );
    cluster.stop().await;
}
