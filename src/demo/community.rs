//! Demo community life for every region: Refugee Start Force's coffee groups and
//! sector expert groups with their members, past meetings with attendance and the
//! next one planned; and Movisie-style events — an opportunity fair where the
//! region's employers present their published opportunities, an information session
//! about the right to work, a training that is full with a waiting list, and one
//! under way with attendance recorded. Built through the public API from the
//! members, organisations and opportunities the seed created; everyone and
//! everything here is fictional. The groups and events themselves are rows of
//! `src/demo/sheets/groups.csv` and `events.csv` (see `sheet`).

use std::collections::BTreeMap;

use chrono::{Duration, NaiveTime, Utc};
use passage_proto::v1::{
    self, EventKind, GroupKind, MemberRole, RegistrationStatus,
    event_service_client::EventServiceClient, group_service_client::GroupServiceClient,
    market_service_client::MarketServiceClient, member_service_client::MemberServiceClient,
};
use tonic::transport::Channel;

use serde::Deserialize;

use super::in_region;
use super::sheet::{self, SheetRow, rows_of};

/// `src/demo/sheets/groups.csv`.
const GROUPS: &str = include_str!("sheets/groups.csv");
/// `src/demo/sheets/events.csv`.
const EVENTS: &str = include_str!("sheets/events.csv");

/// A group of a region, with the topics of its two past meetings and the next.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct GroupRow {
    region: String,
    #[serde(deserialize_with = "sheet::choice")]
    kind: GroupKind,
    name: String,
    description: String,
    /// An expert group's sector; empty for a coffee group.
    sector: String,
    #[serde(deserialize_with = "sheet::list")]
    languages: Vec<String>,
    meeting_place: String,
    #[serde(deserialize_with = "sheet::list")]
    meeting_topics: Vec<String>,
}

impl SheetRow for GroupRow {
    const COLUMNS: &'static [&'static str] = &[
        "region",
        "kind",
        "name",
        "description",
        "sector",
        "languages",
        "meeting_place",
        "meeting_topics",
    ];
}

/// An event of a region; days from today (negative: started before today), the
/// local hour it starts, how many hours it lasts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct EventRow {
    region: String,
    #[serde(deserialize_with = "sheet::choice")]
    kind: EventKind,
    title: String,
    description: String,
    #[serde(deserialize_with = "sheet::number")]
    days_from_today: i64,
    #[serde(deserialize_with = "sheet::number")]
    local_hour: u32,
    #[serde(deserialize_with = "sheet::number")]
    hours: i64,
    place: String,
    #[serde(deserialize_with = "sheet::number")]
    capacity: i32,
    #[serde(deserialize_with = "sheet::list")]
    languages: Vec<String>,
}

impl SheetRow for EventRow {
    const COLUMNS: &'static [&'static str] = &[
        "region",
        "kind",
        "title",
        "description",
        "days_from_today",
        "local_hour",
        "hours",
        "place",
        "capacity",
        "languages",
    ];
}

/// Most members a demo group gets.
const GROUP_SIZE: usize = 12;
/// Most organisations presenting at a demo fair, and opportunities each presents.
const PRESENTERS: usize = 6;
const PRESENTED_EACH: usize = 3;

/// A member of the region as the demo picks them for groups and events.
struct Person {
    id: String,
    role: MemberRole,
    sectors: Vec<String>,
    languages: Vec<String>,
}

/// Everything a region's community life is made of.
struct Plan {
    /// Hours the region's clock is ahead of UTC (in November).
    utc_offset: i64,
    groups: Vec<GroupRow>,
    /// In order: the fair, the information session, the training that fills up,
    /// the training under way.
    events: Vec<EventRow>,
}

/// Fills `region` with groups, meetings, events and registrations.
pub async fn seed(channel: Channel, region: &str) -> anyhow::Result<()> {
    let plan = plan(region)?;
    let people = own_members(&mut MemberServiceClient::new(channel.clone()), region).await?;
    let mut groups = GroupServiceClient::new(channel.clone());
    for (index, group) in plan.groups.iter().enumerate() {
        seed_group(&mut groups, region, &plan, group, index, &people).await?;
    }
    let mut events = EventServiceClient::new(channel.clone());
    let mut market = MarketServiceClient::new(channel);
    let newcomers: Vec<&Person> = people
        .iter()
        .filter(|p| p.role == MemberRole::Newcomer)
        .collect();
    for (index, event) in plan.events.iter().enumerate() {
        let created = events
            .create_event(in_region(
                region,
                v1::CreateEventRequest {
                    event: Some(event_message(&plan, event)),
                },
            )?)
            .await?
            .into_inner();
        if event.kind == EventKind::OpportunityFair {
            present_opportunities(&mut events, &mut market, region, &created.id).await?;
        }
        // Who registers: a different slice of the newcomers for each event.
        let wanted = match index {
            0 => newcomers.len() * 3 / 5,
            1 => newcomers.len() / 3,
            // The small training: half again its seats, so some wait.
            2 => usize::try_from(event.capacity).unwrap_or(0) * 3 / 2,
            _ => usize::try_from(event.capacity)
                .unwrap_or(0)
                .saturating_sub(2),
        };
        let registrants: Vec<&Person> = newcomers
            .iter()
            .cycle()
            .skip(index * 7)
            .take(wanted.min(newcomers.len()))
            .copied()
            .collect();
        for person in &registrants {
            events
                .register_for_event(in_region(
                    region,
                    v1::RegisterForEventRequest {
                        event_id: created.id.clone(),
                        member_id: person.id.clone(),
                    },
                )?)
                .await?;
        }
        match index {
            // Someone who got a seat at the full training cannot come after all:
            // the first on the waiting list moves up.
            2 => {
                if let Some(person) = registrants.get(1) {
                    events
                        .cancel_event_registration(in_region(
                            region,
                            v1::CancelEventRegistrationRequest {
                                event_id: created.id.clone(),
                                member_id: person.id.clone(),
                            },
                        )?)
                        .await?;
                }
            }
            // The training under way: most came to its first day.
            3 => {
                for (turn, person) in registrants.iter().enumerate() {
                    let status = if turn % 5 == 4 {
                        RegistrationStatus::NoShow
                    } else {
                        RegistrationStatus::Attended
                    };
                    events
                        .record_event_attendance(in_region(
                            region,
                            v1::RecordEventAttendanceRequest {
                                event_id: created.id.clone(),
                                member_id: person.id.clone(),
                                status: status as i32,
                            },
                        )?)
                        .await?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Creates one group, fills it with members who fit, and holds its meetings: two
/// in the past weeks with attendance, the next one in a week.
async fn seed_group(
    groups: &mut GroupServiceClient<Channel>,
    region: &str,
    plan: &Plan,
    spec: &GroupRow,
    index: usize,
    people: &[Person],
) -> anyhow::Result<()> {
    let group = groups
        .create_group(in_region(
            region,
            v1::CreateGroupRequest {
                group: Some(v1::Group {
                    kind: spec.kind as i32,
                    name: spec.name.clone(),
                    description: spec.description.clone(),
                    sector: spec.sector.clone(),
                    languages: spec.languages.clone(),
                    meeting_place: spec.meeting_place.clone(),
                    ..Default::default()
                }),
            },
        )?)
        .await?
        .into_inner();
    let speaks = |p: &Person| {
        spec.languages
            .iter()
            .any(|l| p.languages.iter().any(|m| m == l))
    };
    let members: Vec<&Person> = match spec.kind {
        GroupKind::Expert => people
            .iter()
            .filter(|p| p.sectors.contains(&spec.sector))
            .take(GROUP_SIZE)
            .collect(),
        // Coffee groups share out the people who speak their languages.
        _ => people
            .iter()
            .filter(|p| speaks(p))
            .skip(index)
            .step_by(2)
            .take(GROUP_SIZE)
            .collect(),
    };
    for person in &members {
        groups
            .join_group(in_region(
                region,
                v1::JoinGroupRequest {
                    group_id: group.id.clone(),
                    member_id: person.id.clone(),
                },
            )?)
            .await?;
    }
    for (turn, (days, topic)) in [-21, -7, 7]
        .into_iter()
        .zip(&spec.meeting_topics)
        .enumerate()
    {
        let meeting = groups
            .schedule_meeting(in_region(
                region,
                v1::ScheduleMeetingRequest {
                    meeting: Some(v1::GroupMeeting {
                        group_id: group.id.clone(),
                        start_time: Some(at(plan, days, 18)),
                        topic: topic.clone(),
                        ..Default::default()
                    }),
                },
            )?)
            .await?
            .into_inner();
        if days > 0 {
            continue;
        }
        let came: Vec<String> = members
            .iter()
            .enumerate()
            .filter(|(position, _)| (position + turn) % 3 != 2)
            .map(|(_, person)| person.id.clone())
            .collect();
        if came.is_empty() {
            continue;
        }
        groups
            .record_meeting_attendance(in_region(
                region,
                v1::RecordMeetingAttendanceRequest {
                    meeting_id: meeting.id,
                    member_ids: came,
                },
            )?)
            .await?;
    }
    Ok(())
}

/// The region's organisations present their published opportunities at the fair:
/// up to [`PRESENTERS`] of them, [`PRESENTED_EACH`] opportunities each.
async fn present_opportunities(
    events: &mut EventServiceClient<Channel>,
    market: &mut MarketServiceClient<Channel>,
    region: &str,
    fair_id: &str,
) -> anyhow::Result<()> {
    let mut by_organisation: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut page_token = String::new();
    loop {
        let page = market
            .list_opportunities(in_region(
                region,
                v1::ListOpportunitiesRequest {
                    page_size: 500,
                    page_token,
                    status: v1::OpportunityStatus::Published as i32,
                    ..Default::default()
                },
            )?)
            .await?
            .into_inner();
        for opportunity in page.opportunities {
            by_organisation
                .entry(opportunity.organisation_id)
                .or_default()
                .push(opportunity.id);
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    for (organisation_id, opportunities) in by_organisation.into_iter().take(PRESENTERS) {
        events
            .add_fair_presentation(in_region(
                region,
                v1::AddFairPresentationRequest {
                    event_id: fair_id.to_owned(),
                    organisation_id,
                    opportunity_ids: opportunities.into_iter().take(PRESENTED_EACH).collect(),
                },
            )?)
            .await?;
    }
    Ok(())
}

/// The region's own members, oldest first.
async fn own_members(
    client: &mut MemberServiceClient<Channel>,
    region: &str,
) -> anyhow::Result<Vec<Person>> {
    Ok(super::own_members(client, region, MemberRole::Unspecified)
        .await?
        .into_iter()
        .map(|member| {
            let profile = member.profile.unwrap_or_default();
            let role = member
                .regional
                .and_then(|r| MemberRole::try_from(r.role).ok())
                .unwrap_or_default();
            Person {
                id: member.id,
                role,
                sectors: profile.sectors,
                languages: profile.languages,
            }
        })
        .collect())
}

fn event_message(plan: &Plan, event: &EventRow) -> v1::Event {
    v1::Event {
        kind: event.kind as i32,
        title: event.title.clone(),
        description: event.description.clone(),
        start_time: Some(at(plan, event.days_from_today, event.local_hour)),
        end_time: Some(at(
            plan,
            event.days_from_today,
            event.local_hour + u32::try_from(event.hours).unwrap_or(1),
        )),
        place: event.place.clone(),
        capacity: event.capacity,
        languages: event.languages.clone(),
        ..Default::default()
    }
}

/// `local_hour` o'clock in the region, `days` from today. Hours past midnight run
/// on into the next days (a training of 24 * 6 hours).
fn at(plan: &Plan, days: i64, local_hour: u32) -> prost_types::Timestamp {
    let midnight = Utc::now().date_naive().and_time(NaiveTime::MIN).and_utc();
    let time = midnight + Duration::days(days) + Duration::hours(i64::from(local_hour))
        - Duration::hours(plan.utc_offset);
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: 0,
    }
}

/// The region's groups and events from the demo's sheets: each group with its three
/// meeting topics, and the four events in their order.
fn plan(region: &str) -> anyhow::Result<Plan> {
    let utc_offset = match region {
        "amsterdam" => 1,
        "washington-dc" | "miami" => -5,
        _ => 0,
    };
    let groups = rows_of("groups.csv", GROUPS, region, |row: &GroupRow| &row.region)?;
    for (line, group) in &groups {
        if group.meeting_topics.len() != 3 {
            return Err(sheet::SheetError::new(
                "src/demo/sheets/groups.csv",
                *line,
                "meeting_topics",
                "three topics: the two past meetings' and the next one's",
            )
            .into());
        }
    }
    let events = rows_of("events.csv", EVENTS, region, |row: &EventRow| &row.region)?;
    anyhow::ensure!(
        events.len() == 4 || (events.is_empty() && groups.is_empty()),
        "src/demo/sheets/events.csv: {region} has {} events; the demo plans four \
         (the fair, the information session, the training that fills up, the training \
         under way)",
        events.len()
    );
    Ok(Plan {
        utc_offset,
        groups: groups.into_iter().map(|(_, row)| row).collect(),
        events: events.into_iter().map(|(_, row)| row).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_region_has_its_groups_and_four_events() {
        for (region, _, _) in crate::demo::REGIONS {
            let plan = plan(region).unwrap();
            assert_eq!(plan.groups.len(), 4, "{region}");
            let kinds: Vec<EventKind> = plan.events.iter().map(|e| e.kind).collect();
            assert_eq!(
                kinds,
                [
                    EventKind::OpportunityFair,
                    EventKind::InformationSession,
                    EventKind::Training,
                    EventKind::Training
                ],
                "{region}"
            );
        }
        let elsewhere = plan("rotterdam").unwrap();
        assert!(elsewhere.groups.is_empty() && elsewhere.events.is_empty());
    }
}
