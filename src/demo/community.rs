//! Demo community life for every region: Refugee Start Force's coffee groups and
//! sector expert groups with their members, past meetings with attendance and the
//! next one planned; and Movisie-style events — an opportunity fair where the
//! region's employers present their published opportunities, an information session
//! about the right to work, a training that is full with a waiting list, and one
//! under way with attendance recorded. Built through the public API from the
//! members, organisations and opportunities the seed created; everyone and
//! everything here is fictional.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveTime, Utc};
use passage_proto::v1::{
    self, EventKind, GroupKind, MemberRole, RegistrationStatus,
    event_service_client::EventServiceClient, group_service_client::GroupServiceClient,
    market_service_client::MarketServiceClient, member_service_client::MemberServiceClient,
};
use tonic::transport::Channel;

use super::in_region;

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

/// A group of a region, with the topics of its two past meetings and the next.
struct GroupPlan {
    kind: GroupKind,
    name: &'static str,
    description: &'static str,
    sector: &'static str,
    languages: &'static [&'static str],
    place: &'static str,
    topics: [&'static str; 3],
}

/// An event of a region; days from today (negative: started before today), the
/// local hour it starts, how many hours it lasts.
struct EventPlan {
    kind: EventKind,
    title: &'static str,
    description: &'static str,
    days_from_today: i64,
    local_hour: u32,
    hours: i64,
    place: &'static str,
    capacity: i32,
    languages: &'static [&'static str],
}

/// Everything a region's community life is made of.
struct Plan {
    /// Hours the region's clock is ahead of UTC (in November).
    utc_offset: i64,
    groups: &'static [GroupPlan],
    /// In order: the fair, the information session, the training that fills up,
    /// the training under way.
    events: [EventPlan; 4],
}

/// Fills `region` with groups, meetings, events and registrations.
pub async fn seed(channel: Channel, region: &str) -> anyhow::Result<()> {
    let plan = plan(region);
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
    spec: &GroupPlan,
    index: usize,
    people: &[Person],
) -> anyhow::Result<()> {
    let group = groups
        .create_group(in_region(
            region,
            v1::CreateGroupRequest {
                group: Some(v1::Group {
                    kind: spec.kind as i32,
                    name: spec.name.into(),
                    description: spec.description.into(),
                    sector: spec.sector.into(),
                    languages: spec.languages.iter().map(|l| (*l).to_owned()).collect(),
                    meeting_place: spec.place.into(),
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
            .filter(|p| p.sectors.iter().any(|s| s == spec.sector))
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
    for (turn, (days, topic)) in [-21, -7, 7].into_iter().zip(spec.topics).enumerate() {
        let meeting = groups
            .schedule_meeting(in_region(
                region,
                v1::ScheduleMeetingRequest {
                    meeting: Some(v1::GroupMeeting {
                        group_id: group.id.clone(),
                        start_time: Some(at(plan, days, 18)),
                        topic: topic.into(),
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
    let mut found = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_members(in_region(
                region,
                v1::ListMembersRequest {
                    page_size: 500,
                    page_token,
                    ..Default::default()
                },
            )?)
            .await?
            .into_inner();
        found.extend(page.members.into_iter().map(|member| {
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
        }));
        if page.next_page_token.is_empty() {
            return Ok(found);
        }
        page_token = page.next_page_token;
    }
}

fn event_message(plan: &Plan, event: &EventPlan) -> v1::Event {
    v1::Event {
        kind: event.kind as i32,
        title: event.title.into(),
        description: event.description.into(),
        start_time: Some(at(plan, event.days_from_today, event.local_hour)),
        end_time: Some(at(
            plan,
            event.days_from_today,
            event.local_hour + u32::try_from(event.hours).unwrap_or(1),
        )),
        place: event.place.into(),
        capacity: event.capacity,
        languages: event.languages.iter().map(|l| (*l).to_owned()).collect(),
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

fn plan(region: &str) -> Plan {
    match region {
        "amsterdam" => AMSTERDAM,
        "washington-dc" => WASHINGTON_DC,
        "miami" => MIAMI,
        _ => ELSEWHERE,
    }
}

const AMSTERDAM: Plan = Plan {
    utc_offset: 1,
    groups: &[
        GroupPlan {
            kind: GroupKind::Coffee,
            name: "Koffiegroep Amsterdam-Oost",
            description: "Every other week: coffee with people of your own profession, Dutch practice and tips about work in Oost.",
            sector: "",
            languages: &["nl", "ar", "ti"],
            place: "OBA Javaplein, Javaplein 2, Amsterdam-Oost",
            topics: [
                "Kennismaken: who are we, what did we do before?",
                "Your CV the Dutch way",
                "Visiting the Dappermarkt entrepreneurs",
            ],
        },
        GroupPlan {
            kind: GroupKind::Coffee,
            name: "Koffiegroep Zuidoost",
            description: "Coffee and conversation in Zuidoost; locals and newcomers, every profession welcome.",
            sector: "",
            languages: &["nl", "en", "ti"],
            place: "Bijlmer Parktheater, café, Anton de Komplein 240",
            topics: [
                "Volunteering during inburgering: what counts?",
                "Stories from the first job",
                "Networking without a network",
            ],
        },
        GroupPlan {
            kind: GroupKind::Expert,
            name: "Expertgroep ICT",
            description: "Developers, testers and system administrators: Dutch tech jobs, certificates and getting your diploma valued.",
            sector: "it",
            languages: &["en", "nl"],
            place: "Startup Village, Science Park 608",
            topics: [
                "Diploma evaluation at Nuffic/IDW",
                "Mock technical interviews",
                "Cloud certificates: which are worth it?",
            ],
        },
        GroupPlan {
            kind: GroupKind::Expert,
            name: "Expertgroep Zorg",
            description: "Nurses, doctors and carers: BIG registration, language requirements and working in Dutch care.",
            sector: "healthcare",
            languages: &["nl", "ar"],
            place: "OLVG Oost, ontmoetingsruimte, Oosterpark 9",
            topics: [
                "The BIG registration route, step by step",
                "Medical Dutch: practising handovers",
                "Traineeships in elderly care",
            ],
        },
    ],
    events: [
        EventPlan {
            kind: EventKind::OpportunityFair,
            title: "Kansenbeurs Amsterdam-Oost",
            description: "Employers and volunteer organisations present their vacancies, internships and volunteer work; newcomers tell what they can bring.",
            days_from_today: 14,
            local_hour: 13,
            hours: 4,
            place: "Studio K, Timorplein 62, Amsterdam",
            capacity: 150,
            languages: &["nl", "en", "ar", "ti"],
        },
        EventPlan {
            kind: EventKind::InformationSession,
            title: "Informatiebijeenkomst: werken met een verblijfsvergunning",
            description: "What your residence permit allows, when an employer needs a TWV, and how work and inburgering fit together.",
            days_from_today: 5,
            local_hour: 19,
            hours: 2,
            place: "Stadsloket Oost, Oranje-Vrijstaatplein 2",
            capacity: 40,
            languages: &["nl", "ar", "ti"],
        },
        EventPlan {
            kind: EventKind::Training,
            title: "Training: solliciteren in Nederland",
            description: "A small group: your CV, your motivation letter and a practice interview with a recruiter.",
            days_from_today: 10,
            local_hour: 10,
            hours: 3,
            place: "Buurthuis Oost, Pretoriusstraat 43",
            capacity: 6,
            languages: &["nl"],
        },
        EventPlan {
            kind: EventKind::Training,
            title: "Digitale vaardigheden voor werk (week 1)",
            description: "DigiD, e-mail, online applications and video calls, every morning for a week.",
            days_from_today: -2,
            local_hour: 9,
            hours: 24 * 6,
            place: "OBA Oosterdok, Oosterdokskade 143",
            capacity: 12,
            languages: &["nl", "en"],
        },
    ],
};

const WASHINGTON_DC: Plan = Plan {
    utc_offset: -5,
    groups: &[
        GroupPlan {
            kind: GroupKind::Coffee,
            name: "Coffee & Careers Columbia Heights",
            description: "Newcomers and DC locals of the same trade meet over coffee: work, English practice, the city.",
            sector: "",
            languages: &["en", "es"],
            place: "Mount Pleasant Library, 3160 16th St NW",
            topics: [
                "Introductions: what we did back home",
                "Reading a US job posting",
                "Informational interviews: how to ask",
            ],
        },
        GroupPlan {
            kind: GroupKind::Coffee,
            name: "Dari & Pashto Coffee Circle",
            description: "Coffee for Afghan newcomers and their neighbours, in Dari, Pashto and English.",
            sector: "",
            languages: &["fa", "ps", "en"],
            place: "Shepherd Park Library, 7420 Georgia Ave NW",
            topics: [
                "Your EAD: what comes next",
                "First jobs that use your skills",
                "Driving licences and commuting",
            ],
        },
        GroupPlan {
            kind: GroupKind::Expert,
            name: "DC Tech Expert Group",
            description: "IT professionals: US certifications, federal contractors, and résumés for tech recruiters.",
            sector: "it",
            languages: &["en"],
            place: "MLK Jr. Memorial Library, Labs, 901 G St NW",
            topics: [
                "Security clearances and who can get them",
                "CompTIA or cloud: where to start",
                "Portfolio reviews",
            ],
        },
        GroupPlan {
            kind: GroupKind::Expert,
            name: "Healthcare Professionals DC",
            description: "Doctors, nurses and pharmacists: licensing in DC, Maryland and Virginia, and bridge jobs in care.",
            sector: "healthcare",
            languages: &["en", "fa"],
            place: "Unity Health Care, community room, 1220 12th St SE",
            topics: [
                "Foreign-trained nurses: the NCLEX route",
                "Medical interpreting as a first job",
                "Community health worker certificates",
            ],
        },
    ],
    events: [
        EventPlan {
            kind: EventKind::OpportunityFair,
            title: "Opportunity Fair: Jobs and Volunteering for New Americans",
            description: "Employers and nonprofits of the District present jobs, internships and volunteer roles open to refugees and asylees.",
            days_from_today: 14,
            local_hour: 12,
            hours: 4,
            place: "MLK Jr. Memorial Library, Great Hall, 901 G St NW",
            capacity: 150,
            languages: &["en", "es", "fa"],
        },
        EventPlan {
            kind: EventKind::InformationSession,
            title: "Information session: your EAD and the right to work",
            description: "Who may work when, the asylum EAD clock, renewals, and what an employer may ask for (Form I-9).",
            days_from_today: 5,
            local_hour: 18,
            hours: 2,
            place: "Columbia Heights Community Center, 1480 Girard St NW",
            capacity: 40,
            languages: &["en", "es", "fa", "ps"],
        },
        EventPlan {
            kind: EventKind::Training,
            title: "Interview skills workshop",
            description: "A small group: telling your story in a US interview, with practice rounds and feedback.",
            days_from_today: 10,
            local_hour: 10,
            hours: 3,
            place: "Mount Pleasant Library, meeting room",
            capacity: 6,
            languages: &["en"],
        },
        EventPlan {
            kind: EventKind::Training,
            title: "Digital skills for work (week 1)",
            description: "Email, online applications, Login.gov and video interviews, every morning for a week.",
            days_from_today: -2,
            local_hour: 9,
            hours: 24 * 6,
            place: "MLK Jr. Memorial Library, Digital Commons",
            capacity: 12,
            languages: &["en", "es"],
        },
    ],
};

const MIAMI: Plan = Plan {
    utc_offset: -5,
    groups: &[
        GroupPlan {
            kind: GroupKind::Coffee,
            name: "Café con Empleo — Little Havana",
            description: "Cafecito y conversación: recién llegados y vecinos del mismo oficio, en español e inglés.",
            sector: "",
            languages: &["es", "en"],
            place: "Little Havana Branch Library, 1200 SW 1st St",
            topics: [
                "Presentaciones: ¿qué hacías en tu país?",
                "Tu currículum en formato americano",
                "Trabajos de temporada en hoteles",
            ],
        },
        GroupPlan {
            kind: GroupKind::Coffee,
            name: "Kafe Kominote — Little Haiti",
            description: "Kafe ak konvèsasyon pou nouvo arivan ak vwazen yo: travay, angle, lavi nan Miami.",
            sector: "",
            languages: &["ht", "fr", "en"],
            place: "Little Haiti Cultural Complex, 212 NE 59th Terrace",
            topics: [
                "Prezantasyon: ki travay ou te fè ann Ayiti?",
                "TPS ak otorizasyon travay",
                "Jwenn premye travay ou",
            ],
        },
        GroupPlan {
            kind: GroupKind::Expert,
            name: "Healthcare Expert Group Miami",
            description: "Nurses, doctors and home health aides: Florida licensing, CNA and HHA certificates, bilingual care jobs.",
            sector: "healthcare",
            languages: &["en", "es", "ht"],
            place: "Jackson Memorial, education center, 1611 NW 12th Ave",
            topics: [
                "From nurse abroad to CNA: the fast track",
                "Medical English and Spanish",
                "Home health agencies that hire newcomers",
            ],
        },
        GroupPlan {
            kind: GroupKind::Expert,
            name: "Tech Expert Group Miami",
            description: "Developers and IT technicians: Miami's tech scene, bootcamps and bilingual support jobs.",
            sector: "it",
            languages: &["en", "es"],
            place: "The LAB Miami, 400 NW 26th St",
            topics: [
                "Help desk jobs as a way in",
                "Bootcamps: which ones are worth it",
                "Portfolio night",
            ],
        },
    ],
    events: [
        EventPlan {
            kind: EventKind::OpportunityFair,
            title: "Feria de Oportunidades / Opportunity Fair Miami",
            description: "Employers and community organisations present jobs, internships and volunteer roles; bring your résumé.",
            days_from_today: 14,
            local_hour: 11,
            hours: 4,
            place: "Miami Dade College, Wolfson Campus, 300 NE 2nd Ave",
            capacity: 150,
            languages: &["en", "es", "ht"],
        },
        EventPlan {
            kind: EventKind::InformationSession,
            title: "Sesyon enfòmasyon: TPS, EAD ak dwa pou travay",
            description: "Information session in Haitian Creole and Spanish: TPS, parole and asylum EADs, renewals and what employers may ask.",
            days_from_today: 5,
            local_hour: 18,
            hours: 2,
            place: "Little Haiti Cultural Complex, auditorium",
            capacity: 40,
            languages: &["ht", "es", "en"],
        },
        EventPlan {
            kind: EventKind::Training,
            title: "Taller de entrevistas / Interview workshop",
            description: "A small group: practice interviews in English for hospitality and healthcare jobs.",
            days_from_today: 10,
            local_hour: 10,
            hours: 3,
            place: "Little Havana Branch Library, meeting room",
            capacity: 6,
            languages: &["es", "en"],
        },
        EventPlan {
            kind: EventKind::Training,
            title: "Digital skills for work (week 1)",
            description: "Email, online applications and video interviews, every morning for a week.",
            days_from_today: -2,
            local_hour: 9,
            hours: 24 * 6,
            place: "Miami-Dade Main Library, 101 W Flagler St",
            capacity: 12,
            languages: &["en", "es", "ht"],
        },
    ],
};

const ELSEWHERE: Plan = Plan {
    utc_offset: 0,
    groups: &[
        GroupPlan {
            kind: GroupKind::Coffee,
            name: "Newcomers' coffee group",
            description: "Coffee with people of your own profession: work, language practice and the city.",
            sector: "",
            languages: &["en", "ar", "uk"],
            place: "Central library, café",
            topics: [
                "Introductions",
                "Your CV for this country",
                "Visiting local employers",
            ],
        },
        GroupPlan {
            kind: GroupKind::Expert,
            name: "ICT expert group",
            description: "IT professionals: certificates, diplomas and the local tech market.",
            sector: "it",
            languages: &["en"],
            place: "Central library, lab",
            topics: ["Diploma recognition", "Mock interviews", "Portfolio night"],
        },
        GroupPlan {
            kind: GroupKind::Expert,
            name: "Healthcare expert group",
            description: "Care professionals: registration, language requirements and bridge jobs.",
            sector: "healthcare",
            languages: &["en"],
            place: "City hospital, meeting room",
            topics: [
                "Registration routes",
                "Medical language",
                "Traineeships in care",
            ],
        },
    ],
    events: [
        EventPlan {
            kind: EventKind::OpportunityFair,
            title: "Opportunity fair",
            description: "Employers and volunteer organisations present their opportunities.",
            days_from_today: 14,
            local_hour: 13,
            hours: 4,
            place: "City hall, main hall",
            capacity: 150,
            languages: &["en"],
        },
        EventPlan {
            kind: EventKind::InformationSession,
            title: "Information session: your right to work",
            description: "What your status allows, work permits and what an employer needs to do.",
            days_from_today: 5,
            local_hour: 18,
            hours: 2,
            place: "City hall, room 2",
            capacity: 40,
            languages: &["en"],
        },
        EventPlan {
            kind: EventKind::Training,
            title: "Interview training",
            description: "A small group practising job interviews.",
            days_from_today: 10,
            local_hour: 10,
            hours: 3,
            place: "Community centre",
            capacity: 6,
            languages: &["en"],
        },
        EventPlan {
            kind: EventKind::Training,
            title: "Digital skills for work (week 1)",
            description: "Email, online applications and video calls, every morning for a week.",
            days_from_today: -2,
            local_hour: 9,
            hours: 24 * 6,
            place: "Central library",
            capacity: 12,
            languages: &["en"],
        },
    ],
};
