//! Amira's data is hers: she downloads everything Passage holds about her — her
//! account at the gateway, her profile and her case in Amsterdam, the copy of her
//! shared profile in Miami, who read her record — and nothing about anyone else;
//! then she erases herself, confirming with her passphrase, and follows the
//! erasure on a receipt that needs no sign-in until every region has erased her.
//! Her own token reads her records in any region, never Yusuf's, and cannot erase
//! him.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, Cluster, amira, case_with_note, create, eventually, profile_in};
use passage_proto::v1::{
    self, account_service_client::AccountServiceClient, member_service_client::MemberServiceClient,
    personal_data_service_client::PersonalDataServiceClient,
};
use tonic::Code;

const PASSPHRASE: &str = "tulips along the amstel in may";

/// A call with `credential` as bearer, for `region` when given.
fn with<T>(credential: &str, region: Option<&str>, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(region) = region {
        request
            .metadata_mut()
            .insert(passage_proto::REGION_METADATA_KEY, region.parse().unwrap());
    }
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {credential}").parse().unwrap(),
    );
    request
}

async fn amira_takes_her_data_and_erases_herself(backend: Backend) {
    let cluster = Cluster::start_secured(backend).await;
    let gateway = cluster.gateway().await;
    let mut members = MemberServiceClient::new(gateway.clone());
    let her = create(&mut members, "amsterdam", amira()).await;
    let yusuf = create(
        &mut members,
        "amsterdam",
        common::member_named("Yusuf Rahimi", v1::MemberRole::Newcomer),
    )
    .await;
    case_with_note(
        &gateway,
        "amsterdam",
        &her.id,
        "Interview at the IND on 12 March",
    )
    .await;
    let mut miami = members.clone();
    eventually("Miami holds her shared profile", || {
        let mut miami = miami.clone();
        let id = her.id.clone();
        async move { profile_in(&mut miami, "miami", &id).await.is_some() }
    })
    .await;
    let session = cluster
        .amsterdam_member_session("amira", &her.id, PASSPHRASE)
        .await;
    let mut personal = PersonalDataServiceClient::new(gateway.clone());

    // Everything about her, from every region, in one document.
    let exported = personal
        .export_my_data(with(&session, None, v1::ExportMyDataRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(exported.unavailable_regions.is_empty());
    let document: serde_json::Value = serde_json::from_str(&exported.json).unwrap();
    assert_eq!(document["member_id"], her.id.as_str());
    assert_eq!(document["account"]["login"], "amira");
    assert_eq!(document["gateway"]["account"][0]["login"], "amira");
    assert_eq!(
        document["gateway"]["account_session"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "the session she is using"
    );
    let amsterdam = &document["regions"]["amsterdam"];
    assert_eq!(amsterdam["member"][0]["display_name"], "Amira Haddad");
    assert_eq!(amsterdam["member"][0]["residence_status"], "status_holder");
    assert_eq!(amsterdam["case_file"].as_array().unwrap().len(), 1);
    assert_eq!(
        amsterdam["case_note"][0]["text"],
        "Interview at the IND on 12 March"
    );
    assert!(
        !amsterdam["audit_entry"].as_array().unwrap().is_empty(),
        "who opened her case and read her record"
    );
    let replica = &document["regions"]["miami"]["remote_profile"][0];
    assert_eq!(replica["state"]["profile"]["display_name"], "Amira Haddad");
    assert_eq!(
        document["gateway"]["directory"][0]["home_region"],
        "amsterdam"
    );
    for region in ["amsterdam", "miami", "washington-dc"] {
        assert!(
            document["regions"][region].is_object(),
            "{region} answered: {}",
            document["regions"]
        );
    }
    assert!(
        !exported.json.contains(&yusuf.id),
        "nothing about anyone else"
    );
    assert!(
        !exported.json.contains("_hash"),
        "no secret's hash leaves the gateway"
    );

    // Her own token reads her records anywhere, Yusuf's nowhere, and erases only her.
    let token = cluster.member_token("amsterdam", &her.id).await;
    let in_miami = members
        .export_member_records(with(
            &token,
            Some("miami"),
            v1::ExportMemberRecordsRequest {
                member_id: her.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(in_miami.region, "miami");
    assert!(in_miami.record_count >= 1);
    let not_hers = members
        .export_member_records(with(
            &token,
            Some("amsterdam"),
            v1::ExportMemberRecordsRequest {
                member_id: yusuf.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(not_hers.code(), Code::PermissionDenied);
    let erase_yusuf = members
        .delete_member(with(
            &token,
            Some("amsterdam"),
            v1::DeleteMemberRequest {
                id: yusuf.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(erase_yusuf.code(), Code::PermissionDenied);

    // Erasing herself needs her passphrase.
    let wrong = personal
        .erase_me(with(
            &session,
            None,
            v1::EraseMeRequest {
                passphrase: "not my passphrase at all".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::InvalidArgument);
    assert!(wrong.message().starts_with("passphrase"), "{wrong:?}");
    assert!(
        profile_in(&mut members, "amsterdam", &her.id)
            .await
            .is_some()
    );

    let receipt_code = personal
        .erase_me(with(
            &session,
            None,
            v1::EraseMeRequest {
                passphrase: PASSPHRASE.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .receipt_code;
    assert_eq!(
        receipt_code.len(),
        24,
        "five groups of four: {receipt_code}"
    );
    assert!(
        profile_in(&mut members, "amsterdam", &her.id)
            .await
            .is_none()
    );
    let gone = AccountServiceClient::new(gateway.clone())
        .get_my_account(with(&session, None, v1::GetMyAccountRequest {}))
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::Unauthenticated, "her session ended");

    // The receipt, without signing in, however the code is typed.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let receipt = loop {
        let answer = personal
            .get_erasure_receipt(v1::GetErasureReceiptRequest {
                receipt_code: receipt_code.to_lowercase().replace('-', " "),
            })
            .await
            .unwrap()
            .into_inner();
        if answer.complete {
            break answer;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not every region erased her: {answer:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(receipt.regions[0].region, "amsterdam");
    assert!(receipt.regions[0].home);
    assert_eq!(receipt.regions[0].name, "Amsterdam");
    assert_eq!(receipt.regions.len(), 3);
    assert!(receipt.regions.iter().all(|region| region.done));
    assert!(profile_in(&mut miami, "miami", &her.id).await.is_none());
    let unknown = personal
        .get_erasure_receipt(v1::GetErasureReceiptRequest {
            receipt_code: "0000-0000-0000-0000-0000".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    // Yusuf is untouched.
    assert!(
        profile_in(&mut members, "amsterdam", &yusuf.id)
            .await
            .is_some()
    );
    cluster.stop().await;
}

on_both_backends!(amira_takes_her_data_and_erases_herself);
