//! A chapter's last eighteen months, written as the CSV files a chapter brings
//! when it moves to Passage (the spreadsheet import's format, one file per kind
//! of record): members joining month by month, the organisations that offered
//! work, their vacancies reviewed by newcomers, applications and the placements
//! they became (some ended), monthly information sessions and trainings with
//! who came, a coaching programme's cohorts with their outcomes, helpdesk
//! questions with their answers, and buddy pairs. `passage demo` writes these files to
//! `<data>/history/<region>/` and imports them through the gateway
//! (`history_import`), so the dashboard has figures to publish.
//!
//! Everything is made up, and the same for the same region, size and day: a
//! small generator seeded by the region's name. No date is later than
//! yesterday; the files hold no residence status beyond the member's class, and
//! no one's own words but made-up questions.

use chrono::{Datelike, Days, NaiveDate};
use passage_node::spreadsheets::csv_file::CsvOut;
use passage_proto::v1::ImportKind;

/// How far back the history goes.
pub const MONTHS: u32 = 18;

/// The files of a chapter's history, in the order they are imported.
pub const FILES: [(ImportKind, &str); 12] = [
    (ImportKind::Members, "01-members.csv"),
    (ImportKind::Organisations, "02-organisations.csv"),
    (ImportKind::Opportunities, "03-opportunities.csv"),
    (ImportKind::Reviews, "04-reviews.csv"),
    (ImportKind::Applications, "05-applications.csv"),
    (ImportKind::Placements, "06-placements.csv"),
    (ImportKind::Events, "07-events.csv"),
    (ImportKind::EventRegistrations, "08-event-registrations.csv"),
    (ImportKind::Cohorts, "09-cohorts.csv"),
    (ImportKind::CohortParticipants, "10-cohort-participants.csv"),
    (ImportKind::HelpdeskQuestions, "11-helpdesk-questions.csv"),
    (ImportKind::BuddyPairs, "12-buddy-pairs.csv"),
];

/// One file of a chapter's history, in import order.
#[derive(Debug, Clone)]
pub struct HistoryFile {
    pub kind: ImportKind,
    /// The file's name in `<data>/history/<region>/`.
    pub name: &'static str,
    pub csv: Vec<u8>,
    /// Records in the file (its lines after the header).
    pub records: usize,
}

/// The region's people and places, as the generator names them.
struct Flavour {
    newcomer_first: &'static [&'static str],
    newcomer_last: &'static [&'static str],
    local_first: &'static [&'static str],
    local_last: &'static [&'static str],
    newcomer_languages: &'static [&'static str],
    local_language: &'static str,
    city: &'static str,
}

fn flavour(region: &str) -> Flavour {
    match region {
        "washington-dc" => Flavour {
            newcomer_first: &[
                "Ahmad", "Farida", "Zarghuna", "Mateo", "Lucía", "Abebe", "Hirut", "Nasrin",
                "Omid", "Yesenia", "Jorge", "Selam", "Wahid", "Marwa",
            ],
            newcomer_last: &[
                "Rahimi",
                "Popal",
                "Haidari",
                "González",
                "Ramírez",
                "Tesfaye",
                "Bekele",
                "Sultani",
                "Noori",
                "Morales",
                "Alemu",
                "Karimi",
            ],
            local_first: &[
                "Emily", "James", "Keisha", "Michael", "Sarah", "David", "Tanya",
            ],
            local_last: &["Johnson", "Williams", "Brown", "Davis", "Miller", "Carter"],
            newcomer_languages: &["ps", "fa", "es", "am"],
            local_language: "en",
            city: "Washington DC",
        },
        "miami" => Flavour {
            newcomer_first: &[
                "Jean",
                "Marie",
                "Wislande",
                "Daniela",
                "Luis",
                "Yulia",
                "Oksana",
                "Carlos",
                "Nadège",
                "Valentina",
                "Andriy",
                "Rosemond",
            ],
            newcomer_last: &[
                "Pierre",
                "Joseph",
                "Baptiste",
                "Hernández",
                "Pérez",
                "Kovalenko",
                "Bondar",
                "Rodríguez",
                "Charles",
                "Medina",
                "Shevchuk",
            ],
            local_first: &["Ashley", "Robert", "Gabriela", "Kevin", "Monique", "Brian"],
            local_last: &["Smith", "García", "Thompson", "Lopez", "Jackson", "Rivera"],
            newcomer_languages: &["ht", "es", "uk"],
            local_language: "en",
            city: "Miami",
        },
        _ => Flavour {
            newcomer_first: &[
                "Amal", "Yonas", "Olena", "Mohammed", "Rahwa", "Hassan", "Iryna", "Samira",
                "Dawit", "Layla", "Omar", "Tetiana", "Fatima", "Kidane",
            ],
            newcomer_last: &[
                "Yousef",
                "Tesfay",
                "Kovalenko",
                "Al-Hassan",
                "Gebremedhin",
                "Haddad",
                "Melnyk",
                "Osman",
                "Berhane",
                "Nasser",
                "Shevchenko",
                "Rahimi",
            ],
            local_first: &["Pieter", "Sanne", "Joost", "Femke", "Ruud", "Lotte", "Bram"],
            local_last: &["de Vries", "Bakker", "Visser", "Smit", "Meijer", "de Boer"],
            newcomer_languages: &["ar", "ti", "uk", "fa"],
            local_language: "nl",
            city: "Amsterdam",
        },
    }
}

/// Sectors, with a kind of organisation and the vacancies each offers.
const SECTORS: [(&str, &str, &[&str]); 8] = [
    (
        "healthcare",
        "Care",
        &["Care assistant", "Nursing aide", "Home care worker"],
    ),
    (
        "construction",
        "Building",
        &["Construction worker", "Carpenter", "Site assistant"],
    ),
    (
        "logistics",
        "Logistics",
        &["Warehouse worker", "Delivery driver", "Order picker"],
    ),
    (
        "hospitality",
        "Hospitality",
        &["Kitchen assistant", "Host", "Housekeeping"],
    ),
    (
        "it",
        "Digital",
        &["IT support", "Junior developer", "Data entry"],
    ),
    (
        "retail",
        "Retail",
        &["Shop assistant", "Cashier", "Stock clerk"],
    ),
    (
        "education",
        "Learning",
        &[
            "Teaching assistant",
            "Language buddy",
            "After-school helper",
        ],
    ),
    (
        "community",
        "Community",
        &["Community host", "Food bank helper", "Event volunteer"],
    ),
];

/// Helpdesk topics and a made-up question for each.
const TOPICS: [(&str, &str); 8] = [
    (
        "work permit",
        "May I work while my permit is being renewed?",
    ),
    ("housing", "Who helps with the deposit for a rented room?"),
    (
        "language course",
        "Where can I learn the language in the evening?",
    ),
    ("diploma recognition", "How do I get my diploma recognised?"),
    ("taxes", "Do I file a tax return in my first year?"),
    ("health insurance", "Which health insurance must I take?"),
    ("childcare", "Is there help with the cost of childcare?"),
    (
        "volunteering",
        "Does volunteering count for my integration?",
    ),
];

/// A small generator: the same numbers for the same seed.
struct Dice(u64);

impl Dice {
    fn seeded(region: &str) -> Self {
        let seed = region
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
            });
        Dice(seed)
    }

    /// SplitMix64.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next() % n as u64) as usize
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len())]
    }
}

/// One member as the history knows them.
struct Person {
    id: String,
    newcomer: bool,
    joined: NaiveDate,
    language: &'static str,
    /// How many newcomers a local may be buddy to at once.
    buddies: u64,
}

/// A day `days` after `date`.
fn plus(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days)).unwrap_or(date)
}

/// A day `days` before `date`.
fn minus(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days)).unwrap_or(date)
}

/// The files of `region`'s history with `members` members, up to yesterday
/// (`today` excluded), in the order they are imported; `programme` is the
/// coaching programme its cohorts belong to (made in the console first).
pub fn chapter(
    region: &str,
    members: usize,
    today: NaiveDate,
    programme: &str,
) -> Vec<HistoryFile> {
    let mut dice = Dice::seeded(region);
    let flavour = flavour(region);
    let yesterday = minus(today, 1);
    let start = today
        .checked_sub_months(chrono::Months::new(MONTHS))
        .unwrap_or(today);
    let span = (yesterday - start).num_days().max(1) as u64;
    let mut files = Vec::new();

    // Members, more of them joining as the chapter grows.
    let mut people: Vec<Person> = (0..members)
        .map(|index| {
            let u = (dice.next() % 10_000) as f64 / 10_000.0;
            let day = (u.sqrt() * span as f64) as u64;
            let newcomer = dice.chance(72);
            Person {
                id: format!("m-{:05}", index + 1),
                newcomer,
                joined: plus(start, day.min(span)),
                language: flavour.local_language,
                buddies: if !newcomer && dice.chance(60) {
                    dice.between(1, 3)
                } else {
                    0
                },
            }
        })
        .collect();
    people.sort_by_key(|person| person.joined);
    let mut sheet = Sheet::new(&[
        "external_id",
        "display_name",
        "role",
        "residence_status",
        "civic_integration",
        "languages",
        "sectors",
        "share_across_regions",
        "joined_on",
        "buddy_capacity",
    ]);
    for (index, person) in people.iter_mut().enumerate() {
        person.id = format!("m-{:05}", index + 1);
        let (first, last, role, status, languages) = if person.newcomer {
            person.language = *dice.pick(flavour.newcomer_languages);
            let status = match dice.below(100) {
                0..55 => "status_holder",
                55..75 => "asylum_seeker",
                75..90 => "temporary_protection",
                90..95 => "tolerated",
                _ => "other",
            };
            (
                *dice.pick(flavour.newcomer_first),
                *dice.pick(flavour.newcomer_last),
                "newcomer",
                status,
                format!("{}|{}|en", person.language, flavour.local_language),
            )
        } else {
            let role = if dice.chance(15) {
                "volunteer_coach"
            } else {
                "local"
            };
            (
                *dice.pick(flavour.local_first),
                *dice.pick(flavour.local_last),
                role,
                "citizen_or_resident",
                format!("{}|en", flavour.local_language),
            )
        };
        let civic = match (person.newcomer, dice.below(3)) {
            (false, _) => "exempt",
            (true, 0) => "none",
            (true, 1) => "in_progress",
            (true, _) => "completed",
        };
        let sector = dice.pick(&SECTORS).0;
        sheet.row(&[
            &person.id,
            &format!("{first} {last}"),
            role,
            status,
            civic,
            &languages,
            sector,
            if dice.chance(10) { "yes" } else { "no" },
            &person.joined.to_string(),
            &person.buddies.to_string(),
        ]);
    }
    files.push(sheet.file(FILES[0]));
    let newcomers: Vec<&Person> = people.iter().filter(|p| p.newcomer).collect();
    let locals: Vec<&Person> = people.iter().filter(|p| !p.newcomer).collect();
    // Those who joined by `day`, among `of` (sorted by joining).
    let joined_by = |of: &[&Person], day: NaiveDate| of.partition_point(|p| p.joined <= day);

    // Organisations, a few per sector.
    let organisations = (members / 50).max(8);
    let mut sheet = Sheet::new(&["external_id", "name", "kind", "sector", "location"]);
    let mut sector_of = Vec::new();
    for index in 0..organisations {
        let (sector, noun, _) = SECTORS[index % SECTORS.len()];
        let kind = if sector == "community" || dice.chance(10) {
            "ngo"
        } else {
            "employer"
        };
        sheet.row(&[
            &format!("o-{:03}", index + 1),
            &format!("{} {noun} {}", dice.pick(flavour.local_last), index + 1),
            kind,
            sector,
            flavour.city,
        ]);
        sector_of.push(index % SECTORS.len());
    }
    files.push(sheet.file(FILES[1]));

    // Vacancies of the past, filled or closed, each reviewed by two newcomers
    // before it was posted; applications to them, and the placements.
    let vacancies = (members / 3).max(12);
    let mut opportunities = Sheet::new(&[
        "external_id",
        "organisation_external_id",
        "title",
        "kind",
        "sector",
        "hours_per_week",
        "status",
        "posted_on",
        "closed_on",
    ]);
    let mut reviews = Sheet::new(&[
        "external_id",
        "opportunity_external_id",
        "reviewer_external_id",
        "verdict",
        "reviewed_on",
        "round",
        "submitted_on",
        "comment",
    ]);
    let mut applications = Sheet::new(&[
        "external_id",
        "member_external_id",
        "opportunity_external_id",
        "stage",
        "applied_on",
        "decided_on",
    ]);
    let mut placements = Sheet::new(&[
        "external_id",
        "application_external_id",
        "start_date",
        "end_date",
        "end_reason",
    ]);
    let latest_post = span.saturating_sub(45).max(20);
    for index in 0..vacancies {
        let id = format!("v-{:04}", index + 1);
        let organisation = dice.below(organisations);
        let (sector, _, titles) = SECTORS[sector_of[organisation]];
        let kind = match dice.below(100) {
            0..50 => "job",
            50..65 => "internship",
            65..80 => "volunteer",
            80..90 => "learn_work",
            90..95 => "taster_internship",
            _ => "project",
        };
        let posted = plus(start, dice.between(14, latest_post));
        let filled = dice.chance(70);
        let closed = plus(posted, dice.between(30, 75)).min(yesterday);
        opportunities.row(&[
            &id,
            &format!("o-{:03}", organisation + 1),
            *dice.pick(titles),
            kind,
            sector,
            &dice.between(8, 38).to_string(),
            if filled { "filled" } else { "closed" },
            &posted.to_string(),
            &closed.to_string(),
        ]);

        let reviewers = joined_by(&newcomers, minus(posted, 4));
        if reviewers >= 3 {
            let first = dice.below(reviewers);
            let second = (first + 1 + dice.below(reviewers - 1)) % reviewers;
            let sent_back = dice.chance(15);
            let round = if sent_back { 2 } else { 1 };
            if sent_back {
                let third = (second + 1 + dice.below(reviewers - 1)) % reviewers;
                reviews.row(&[
                    &format!("{id}-r0"),
                    &id,
                    &newcomers[third].id,
                    "request_changes",
                    &minus(posted, 3).to_string(),
                    "1",
                    &minus(posted, 4).to_string(),
                    "Please say which language level the work needs.",
                ]);
            }
            for (n, reviewer) in [first, second].into_iter().enumerate() {
                reviews.row(&[
                    &format!("{id}-r{}", n + 1),
                    &id,
                    &newcomers[reviewer].id,
                    "approve",
                    &minus(posted, 1 - n.min(1) as u64).to_string(),
                    &round.to_string(),
                    &minus(posted, 2).to_string(),
                    "",
                ]);
            }
        }

        let applicants = joined_by(&newcomers, plus(posted, 10));
        if applicants == 0 {
            continue;
        }
        let count = dice.between(2, 5) as usize;
        let mut chosen: Vec<usize> = Vec::new();
        for _ in 0..count.min(applicants) {
            let candidate = dice.below(applicants);
            if !chosen.contains(&candidate) {
                chosen.push(candidate);
            }
        }
        for (n, applicant) in chosen.iter().enumerate() {
            let person = newcomers[*applicant];
            let application = format!("{id}-a{}", n + 1);
            let applied =
                plus(posted.max(person.joined), dice.between(1, 20)).min(minus(yesterday, 2));
            let decided = plus(applied, dice.between(7, 25)).min(minus(yesterday, 1));
            let stage = match (n, filled) {
                (0, true) => "accepted",
                _ if dice.chance(20) => "withdrawn",
                _ => "rejected",
            };
            applications.row(&[
                &application,
                &person.id,
                &id,
                stage,
                &applied.to_string(),
                &decided.to_string(),
            ]);
            if stage != "accepted" {
                continue;
            }
            let started = plus(decided, dice.between(7, 21)).min(yesterday);
            let ended = plus(started, dice.between(60, 400));
            let (end, reason) = if dice.chance(35) && ended < yesterday {
                let reason = match dice.below(100) {
                    0..40 => "contract_ended",
                    40..65 => "completed",
                    65..90 => "left_for_other_job",
                    _ => "moved_away",
                };
                (ended.to_string(), reason)
            } else {
                (String::new(), "")
            };
            placements.row(&[
                &format!("{application}-p"),
                &application,
                &started.to_string(),
                &end,
                reason,
            ]);
        }
    }
    files.push(opportunities.file(FILES[2]));
    files.push(reviews.file(FILES[3]));
    files.push(applications.file(FILES[4]));
    files.push(placements.file(FILES[5]));

    // Every month an information session and a training; every third month an
    // opportunity fair. Who registered, and who came.
    let mut events = Sheet::new(&[
        "external_id",
        "kind",
        "title",
        "starts_at",
        "ends_at",
        "place",
        "capacity",
        "languages",
    ]);
    let mut registrations = Sheet::new(&[
        "external_id",
        "event_external_id",
        "member_external_id",
        "status",
        "registered_on",
    ]);
    for month in 0..MONTHS {
        let first = start
            .checked_add_months(chrono::Months::new(month))
            .unwrap_or(start)
            .with_day(1)
            .unwrap_or(start);
        let mut planned = vec![
            (
                "information_session",
                "Work and your residence permit",
                10,
                40,
            ),
            ("training", "Applying: your CV and the interview", 20, 20),
        ];
        if month % 3 == 1 {
            planned.push(("opportunity_fair", "Opportunity fair", 15, 150));
        }
        for (n, (kind, title, day, capacity)) in planned.into_iter().enumerate() {
            let Some(date) = first.with_day(day) else {
                continue;
            };
            if date >= yesterday {
                continue;
            }
            let id = format!("e-{:02}-{}", month + 1, n + 1);
            events.row(&[
                &id,
                kind,
                &format!("{title} ({} {})", month_name(date.month()), date.year()),
                &format!("{date} 17:00"),
                &format!("{date} 19:00"),
                &format!("Community centre, {}", flavour.city),
                &capacity.to_string(),
                &format!("{}|en", flavour.local_language),
            ]);
            let eligible = joined_by(&newcomers, minus(date, 1));
            let wanted = (capacity as usize * dice.between(55, 95) as usize / 100).min(eligible);
            let mut taken: Vec<usize> = Vec::new();
            while taken.len() < wanted {
                let candidate = dice.below(eligible);
                if !taken.contains(&candidate) {
                    taken.push(candidate);
                }
            }
            for (k, member) in taken.into_iter().enumerate() {
                let person = newcomers[member];
                let status = match dice.below(100) {
                    0..65 => "attended",
                    65..85 => "no_show",
                    _ => "cancelled",
                };
                let registered = minus(date, dice.between(1, 14)).max(person.joined);
                registrations.row(&[
                    &format!("{id}-{}", k + 1),
                    &id,
                    &person.id,
                    status,
                    &registered.to_string(),
                ]);
            }
        }
    }
    files.push(events.file(FILES[6]));
    files.push(registrations.file(FILES[7]));

    // A cohort a year of the chapter's coaching programme: where they went.
    let mut cohorts = Sheet::new(&[
        "external_id",
        "programme",
        "starts_on",
        "ends_on",
        "capacity",
    ]);
    let mut participants = Sheet::new(&[
        "external_id",
        "cohort_external_id",
        "member_external_id",
        "enrolled_on",
        "outcome",
        "outcome_recorded_on",
    ]);
    for offset in [120_u64, 490] {
        let starts = plus(start, offset);
        if starts >= minus(yesterday, 30) {
            continue;
        }
        let ends = plus(starts, 270);
        let id = format!("c-{}", starts.year());
        let capacity = 30;
        cohorts.row(&[
            &id,
            programme,
            &starts.to_string(),
            &ends.to_string(),
            &capacity.to_string(),
        ]);
        let eligible = joined_by(&newcomers, minus(starts, 1));
        let wanted = (capacity - 4).min(eligible);
        let mut taken: Vec<usize> = Vec::new();
        while taken.len() < wanted {
            let candidate = dice.below(eligible);
            if !taken.contains(&candidate) {
                taken.push(candidate);
            }
        }
        let recorded = plus(ends, dice.between(7, 30));
        for (k, member) in taken.into_iter().enumerate() {
            let person = newcomers[member];
            let (outcome, on) = if recorded < yesterday {
                let outcome = match dice.below(100) {
                    0..45 => "paid_job",
                    45..65 => "unpaid_role",
                    65..80 => "education",
                    _ => "none",
                };
                (outcome, recorded.to_string())
            } else {
                ("", String::new())
            };
            participants.row(&[
                &format!("{id}-{}", k + 1),
                &id,
                &person.id,
                &minus(starts, dice.between(0, 14))
                    .max(person.joined)
                    .to_string(),
                outcome,
                &on,
            ]);
        }
    }
    files.push(cohorts.file(FILES[8]));
    files.push(participants.file(FILES[9]));

    // Helpdesk questions in the asker's language, most answered within days by
    // a local.
    let mut questions = Sheet::new(&[
        "external_id",
        "asker_external_id",
        "language",
        "topic",
        "text",
        "asked_on",
        "answer",
        "answered_on",
        "answerer_external_id",
    ]);
    for index in 0..(members / 5).max(10) {
        let u = (dice.next() % 10_000) as f64 / 10_000.0;
        let asked = plus(start, (u.sqrt() * span as f64) as u64).min(yesterday);
        let askers = joined_by(&newcomers, asked);
        let answerers = joined_by(&locals, asked);
        if askers == 0 {
            continue;
        }
        let asker = newcomers[dice.below(askers)];
        let (topic, text) = *dice.pick(&TOPICS);
        let answered = plus(asked, dice.between(0, 3));
        let row_answer = if answerers > 0 && answered < yesterday && dice.chance(92) {
            Some((
                "The chapter's helpdesk answered this in person; see the knowledge base.",
                answered.to_string(),
                locals[dice.below(answerers)].id.clone(),
            ))
        } else {
            None
        };
        let (answer, on, by) = row_answer.unwrap_or(("", String::new(), String::new()));
        questions.row(&[
            &format!("q-{:05}", index + 1),
            &asker.id,
            asker.language,
            topic,
            text,
            &asked.to_string(),
            answer,
            &on,
            &by,
        ]);
    }
    files.push(questions.file(FILES[10]));
    files.push(buddy_pairs(&mut dice, &newcomers, &locals, yesterday));
    files
}

/// Newcomers paired with a local a few weeks after joining: pairs declined,
/// active, or ended after months; at most one pair a newcomer, and no local
/// holding more than their `buddy_capacity` at the end.
fn buddy_pairs(
    dice: &mut Dice,
    newcomers: &[&Person],
    locals: &[&Person],
    yesterday: NaiveDate,
) -> HistoryFile {
    let mut pairs = Sheet::new(&[
        "external_id",
        "newcomer_external_id",
        "local_external_id",
        "status",
        "proposed_on",
        "ended_on",
        "end_reason",
    ]);
    let mut holding = vec![0_u64; locals.len()];
    for newcomer in newcomers {
        if !dice.chance(45) {
            continue;
        }
        let proposed = plus(newcomer.joined, dice.between(7, 30));
        if proposed >= yesterday {
            continue;
        }
        let available = locals.partition_point(|local| local.joined <= proposed);
        let Some(local) = (0..available.min(40))
            .map(|_| dice.below(available))
            .find(|l| holding[*l] < locals[*l].buddies)
        else {
            continue;
        };
        let settled = proposed < minus(yesterday, 14);
        let ended = plus(proposed, dice.between(90, 300));
        let (status, ended_on, reason) = match dice.below(100) {
            0..20 if settled => (
                "declined",
                plus(proposed, dice.between(1, 7)).to_string(),
                "",
            ),
            20..45 if settled && ended < yesterday => (
                "ended",
                ended.to_string(),
                "The year together came to its end.",
            ),
            _ if settled => ("active", String::new(), ""),
            _ => ("proposed", String::new(), ""),
        };
        if matches!(status, "active" | "proposed") {
            holding[local] += 1;
        }
        pairs.row(&[
            &format!("b-{}", newcomer.id),
            &newcomer.id,
            &locals[local].id,
            status,
            &proposed.to_string(),
            &ended_on,
            reason,
        ]);
    }
    pairs.file(FILES[11])
}

fn month_name(month: u32) -> &'static str {
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ][(month.clamp(1, 12) - 1) as usize]
}

/// One file being written: its header, then its rows.
struct Sheet {
    out: CsvOut,
    records: usize,
}

impl Sheet {
    fn new(header: &[&str]) -> Self {
        let mut out = CsvOut::default();
        out.row(header);
        Sheet { out, records: 0 }
    }

    fn row(&mut self, cells: &[&str]) {
        self.out.row(cells);
        self.records += 1;
    }

    fn file(self, (kind, name): (ImportKind, &'static str)) -> HistoryFile {
        HistoryFile {
            kind,
            name,
            csv: self.out.into_bytes(),
            records: self.records,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
    }

    #[test]
    fn the_same_region_size_and_day_make_the_same_files() {
        let first = chapter("amsterdam", 300, today(), "Werkfit");
        let again = chapter("amsterdam", 300, today(), "Werkfit");
        let other = chapter("miami", 300, today(), "Werkfit");
        let made: Vec<(ImportKind, &str)> = first.iter().map(|f| (f.kind, f.name)).collect();
        assert_eq!(made, FILES, "every file, in the order of FILES");
        for (a, b) in first.iter().zip(&again) {
            assert_eq!(a.csv, b.csv, "{}", a.name);
        }
        assert_ne!(first[0].csv, other[0].csv);
    }

    #[test]
    fn eighteen_months_of_a_chapter_of_fifteen_hundred() {
        let files = chapter("washington-dc", 1_500, today(), "Career Pathways");
        let records = |name: &str| files.iter().find(|f| f.name == name).unwrap().records;
        assert_eq!(records("01-members.csv"), 1_500);
        assert!(
            records("05-applications.csv") > 500,
            "{}",
            records("05-applications.csv")
        );
        assert!(records("06-placements.csv") > 100);
        assert!(records("08-event-registrations.csv") > 500);
        assert!(records("10-cohort-participants.csv") >= 40);
        assert!(records("11-helpdesk-questions.csv") >= 250);
        assert!(
            records("12-buddy-pairs.csv") >= 200,
            "{}",
            records("12-buddy-pairs.csv")
        );
        // No date later than yesterday, and the members joined over the whole span.
        let text = String::from_utf8(files[0].csv.clone()).unwrap();
        let joined: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|line| line.rsplit(',').nth(1).unwrap())
            .collect();
        assert!(joined.iter().all(|day| *day < "2026-12-06"));
        assert!(joined.iter().any(|day| *day < "2025-07-01"));
        assert!(joined.iter().any(|day| *day > "2026-11-01"));
    }
}
