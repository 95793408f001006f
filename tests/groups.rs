//! Groups, as Refugee Start Force runs them: informal coffee groups where newcomers
//! and locals meet, and expert groups of one sector. Members of the region join and
//! leave, meetings are held, attendance is recorded for the group's members, and a
//! member's groups show in her profile view.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::chapter::{Chapter, in_minutes, refused, refused_as};
use common::{Backend, Cluster, to};
use passage_proto::v1;
use tonic::Code;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

on_both_backends!(
    a_newcomer_joins_the_oost_coffee_group_attends_its_meeting_and_sees_the_group_in_her_profile_view,
    an_ict_expert_group_needs_a_sector,
);

/// The chapter's groups: coffee groups and expert groups, their meetings.
impl Chapter {
    async fn try_create(&mut self, group: v1::Group) -> Result<v1::Group, tonic::Status> {
        self.groups
            .create_group(to(
                "amsterdam",
                v1::CreateGroupRequest { group: Some(group) },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn join(&mut self, group: &str, member: &str) -> Result<v1::GroupMember, tonic::Status> {
        self.groups
            .join_group(to(
                "amsterdam",
                v1::JoinGroupRequest {
                    group_id: group.into(),
                    member_id: member.into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn leave(&mut self, group: &str, member: &str) -> Result<(), tonic::Status> {
        self.groups
            .leave_group(to(
                "amsterdam",
                v1::LeaveGroupRequest {
                    group_id: group.into(),
                    member_id: member.into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn schedule(&mut self, group: &str, starts_in: i64, topic: &str) -> v1::GroupMeeting {
        self.groups
            .schedule_meeting(to(
                "amsterdam",
                v1::ScheduleMeetingRequest {
                    meeting: Some(v1::GroupMeeting {
                        group_id: group.into(),
                        start_time: Some(in_minutes(starts_in)),
                        topic: topic.into(),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    async fn record(
        &mut self,
        meeting: &str,
        members: &[&str],
    ) -> Result<v1::GroupMeeting, tonic::Status> {
        self.groups
            .record_meeting_attendance(to(
                "amsterdam",
                v1::RecordMeetingAttendanceRequest {
                    meeting_id: meeting.into(),
                    member_ids: members.iter().map(|m| (*m).to_owned()).collect(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    /// The groups part of the member's profile view.
    async fn groups_of(&mut self, member: &str) -> Vec<v1::Group> {
        self.groups
            .list_member_groups(to(
                "amsterdam",
                v1::ListMemberGroupsRequest {
                    member_id: member.into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .groups
    }

    async fn list(&mut self, request: v1::ListGroupsRequest) -> v1::ListGroupsResponse {
        self.groups
            .list_groups(to("amsterdam", request))
            .await
            .unwrap()
            .into_inner()
    }
}

fn coffee_group_oost() -> v1::Group {
    v1::Group {
        kind: v1::GroupKind::Coffee as i32,
        name: "Koffiegroep Amsterdam-Oost".into(),
        description: "Every other Saturday: coffee, Dutch practice and work tips.".into(),
        languages: vec!["nl".into(), "ar".into(), "en".into()],
        meeting_place: "OBA Javaplein, Amsterdam-Oost".into(),
        ..Default::default()
    }
}

fn ict_expert_group() -> v1::Group {
    v1::Group {
        kind: v1::GroupKind::Expert as i32,
        name: "Expertgroep ICT".into(),
        description: "Developers, testers and system administrators.".into(),
        languages: vec!["en".into(), "nl".into()],
        meeting_place: "Startup Village, Science Park".into(),
        ..Default::default()
    }
}

async fn a_newcomer_joins_the_oost_coffee_group_attends_its_meeting_and_sees_the_group_in_her_profile_view(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let oost = chapter.try_create(coffee_group_oost()).await.unwrap();
    assert_eq!(oost.kind, v1::GroupKind::Coffee as i32);
    assert_eq!(oost.member_count, 0);
    let ict = chapter
        .try_create(v1::Group {
            sector: "it".into(),
            ..ict_expert_group()
        })
        .await
        .unwrap();
    let amira = chapter.newcomer("Amira Haddad").await;
    let sanne = chapter.local("Sanne de Vries").await;
    let joost = chapter.local("Joost Bakker").await;

    let joined = chapter.join(&oost.id, &amira).await.unwrap();
    assert_eq!(
        (joined.group_id.as_str(), joined.member_id.as_str()),
        (oost.id.as_str(), amira.as_str())
    );
    refused(
        chapter.join(&oost.id, &amira).await,
        Code::AlreadyExists,
        "already in group",
    );
    chapter.join(&oost.id, &sanne).await.unwrap();
    refused(
        chapter
            .join(&oost.id, &uuid::Uuid::now_v7().to_string())
            .await,
        Code::NotFound,
        "member",
    );
    // A newcomer of Miami, whose shared profile Amsterdam holds, joins Miami's
    // groups, not Amsterdam's.
    let miami = chapter.newcomer_in("miami", "Jean-Baptiste Pierre").await;
    chapter.until_amsterdam_holds(&miami).await;
    refused(
        chapter.join(&oost.id, &miami).await,
        Code::FailedPrecondition,
        "belongs to region miami",
    );

    // Saturday's meeting took place an hour ago, at the library as usual.
    let saturday = chapter
        .schedule(&oost.id, -60, "CV tips from a recruiter")
        .await;
    assert_eq!(saturday.place, "OBA Javaplein, Amsterdam-Oost");
    refused(
        chapter.record(&saturday.id, &[&amira, &joost]).await,
        Code::FailedPrecondition,
        "member_ids[1]",
    );
    let recorded = chapter.record(&saturday.id, &[&amira]).await.unwrap();
    assert_eq!(
        recorded.attendee_count, 1,
        "nothing of the refused call stays"
    );
    let again = chapter
        .record(&saturday.id, &[&amira, &sanne])
        .await
        .unwrap();
    assert_eq!(again.attendee_count, 2, "Amira is counted once");
    let next = chapter.schedule(&oost.id, 60 * 24 * 14, "").await;
    refused(
        chapter.record(&next.id, &[&amira]).await,
        Code::FailedPrecondition,
        "once it has started",
    );

    let attendees = chapter
        .groups
        .list_meeting_attendees(to(
            "amsterdam",
            v1::ListMeetingAttendeesRequest {
                meeting_id: saturday.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .member_ids;
    assert_eq!(attendees, [amira.clone(), sanne.clone()]);
    let meetings = chapter
        .groups
        .list_meetings(to(
            "amsterdam",
            v1::ListMeetingsRequest {
                group_id: oost.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .meetings;
    let counts: Vec<(String, i32)> = meetings
        .iter()
        .map(|m| (m.id.clone(), m.attendee_count))
        .collect();
    assert_eq!(counts, [(saturday.id.clone(), 2), (next.id.clone(), 0)]);

    // Her profile view: the groups she is in.
    let hers = chapter.groups_of(&amira).await;
    assert_eq!(hers.len(), 1);
    assert_eq!(hers[0].name, "Koffiegroep Amsterdam-Oost");
    assert_eq!(hers[0].member_count, 2);
    chapter.join(&ict.id, &amira).await.unwrap();
    let names: Vec<String> = chapter
        .groups_of(&amira)
        .await
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(names, ["Koffiegroep Amsterdam-Oost", "Expertgroep ICT"]);
    let members = chapter
        .groups
        .list_group_members(to(
            "amsterdam",
            v1::ListGroupMembersRequest {
                group_id: oost.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .members;
    let ids: Vec<&str> = members.iter().map(|m| m.member_id.as_str()).collect();
    assert_eq!(ids, [amira.as_str(), sanne.as_str()]);

    // She moves on to the expert group only; her attendance stays on record.
    chapter.leave(&oost.id, &amira).await.unwrap();
    refused(
        chapter.leave(&oost.id, &amira).await,
        Code::FailedPrecondition,
        "is not in group",
    );
    let names: Vec<String> = chapter
        .groups_of(&amira)
        .await
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(names, ["Expertgroep ICT"]);
    let oost_now = chapter
        .groups
        .get_group(to(
            "amsterdam",
            v1::GetGroupRequest {
                id: oost.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(oost_now.member_count, 1);
    refused(
        chapter.record(&saturday.id, &[&amira]).await,
        Code::FailedPrecondition,
        "is not in group",
    );
    cluster.stop().await;
}

async fn an_ict_expert_group_needs_a_sector(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    // The gateway and the node both serve groups and events.
    for channel in [cluster.gateway().await, cluster.node("amsterdam").await] {
        let mut health = HealthClient::new(channel);
        for service in ["passage.v1.GroupService", "passage.v1.EventService"] {
            let status = health
                .check(HealthCheckRequest {
                    service: service.into(),
                })
                .await
                .unwrap()
                .into_inner()
                .status;
            assert_eq!(status, ServingStatus::Serving as i32, "{service}");
        }
    }
    refused(
        chapter.try_create(ict_expert_group()).await,
        Code::InvalidArgument,
        "group.sector: an expert group is for one sector",
    );
    refused(
        chapter
            .try_create(v1::Group {
                sector: "ICT & data".into(),
                ..ict_expert_group()
            })
            .await,
        Code::InvalidArgument,
        "group.sector",
    );
    refused(
        chapter
            .try_create(v1::Group {
                sector: "it".into(),
                languages: vec![],
                ..ict_expert_group()
            })
            .await,
        Code::InvalidArgument,
        "group.languages",
    );
    refused_as(
        chapter
            .try_create(v1::Group {
                sector: "it".into(),
                languages: vec![],
                ..ict_expert_group()
            })
            .await,
        "group.languages",
        v1::RefusalKind::Missing,
        "",
    );
    refused(
        chapter
            .try_create(v1::Group {
                kind: v1::GroupKind::Unspecified as i32,
                ..coffee_group_oost()
            })
            .await,
        Code::InvalidArgument,
        "group.kind",
    );
    let ict = chapter
        .try_create(v1::Group {
            sector: "it".into(),
            ..ict_expert_group()
        })
        .await
        .unwrap();
    assert_eq!(ict.sector, "it");
    let care = chapter
        .try_create(v1::Group {
            kind: v1::GroupKind::Expert as i32,
            name: "Expertgroep Zorg".into(),
            sector: "healthcare".into(),
            languages: vec!["nl".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    // A coffee group is for everyone: no sector needed.
    let oost = chapter.try_create(coffee_group_oost()).await.unwrap();
    assert_eq!(oost.sector, "");

    let it_groups = chapter
        .list(v1::ListGroupsRequest {
            sector: "it".into(),
            ..Default::default()
        })
        .await
        .groups;
    assert_eq!(it_groups.len(), 1);
    assert_eq!(it_groups[0].id, ict.id);
    let expert = chapter
        .list(v1::ListGroupsRequest {
            kind: v1::GroupKind::Expert as i32,
            page_size: 1,
            ..Default::default()
        })
        .await;
    assert_eq!(expert.groups[0].id, ict.id);
    assert!(!expert.next_page_token.is_empty());
    let rest = chapter
        .list(v1::ListGroupsRequest {
            kind: v1::GroupKind::Expert as i32,
            page_size: 1,
            page_token: expert.next_page_token,
            ..Default::default()
        })
        .await;
    assert_eq!(rest.groups[0].id, care.id);
    assert_eq!(rest.next_page_token, "");
    let coffee = chapter
        .list(v1::ListGroupsRequest {
            kind: v1::GroupKind::Coffee as i32,
            ..Default::default()
        })
        .await
        .groups;
    assert_eq!(coffee.len(), 1);
    assert_eq!(coffee[0].id, oost.id);
    cluster.stop().await;
}
