//! Demo data for `passage demo`: the members, organisations and opportunities a
//! chapter of the network would have, for Amsterdam, Washington DC and Miami, and a
//! generic international mix for any other region slug.
//!
//! Everything is built from small tables with a tiny deterministic pseudo-random
//! generator seeded from the region slug, so a region always gets the same data.
//! Every record passes the node's validation; the node assigns ids, times and the
//! home region.

use std::collections::HashSet;
use std::fmt;

use passage_proto::v1;
use passage_proto::v1::{
    CivicIntegration, EducationLevel, MemberRole, OpportunityKind, OpportunityStatus,
    OrganisationKind, ResidenceStatus,
};

/// Members of a region: about 40 newcomers, locals and volunteer coaches, of every
/// role and residence status, with the region's permits, civic-integration states,
/// nationalities and reception, and the buddy capacity of its locals.
pub fn members(region: &str) -> Vec<v1::Member> {
    let region = Region::new(region);
    let mut rng = Rng::new(&region.slug, 1);
    let mut book = NameBook {
        full: names_in_earlier_regions(&region.slug),
        ..NameBook::default()
    };
    let mut members = Vec::new();
    for cohort in region.chapter.cohorts {
        for _ in 0..cohort.count {
            members.extend(newcomer(&region, cohort, &mut rng, &mut book));
        }
    }
    members.extend(peer_coach(&region, &mut rng, &mut book));
    for role in RESIDENT_ROLES {
        members.extend(resident(&region, role, &mut rng, &mut book));
    }
    rng.shuffle(&mut members);
    for (index, member) in members.iter_mut().enumerate() {
        if let Some(profile) = member.profile.as_mut() {
            profile.share_across_regions = index % 7 != 3;
        }
    }
    members
}

/// The demo regions in the order they are seeded. Each one avoids the display
/// names of those before it, and any other region avoids those of all three, so
/// that no one appears twice in federated results.
const DEMO_ORDER: [&str; 3] = ["amsterdam", "washington-dc", "miami"];

fn names_in_earlier_regions(slug: &str) -> HashSet<String> {
    DEMO_ORDER
        .into_iter()
        .take_while(|earlier| *earlier != slug)
        .flat_map(members)
        .filter_map(|member| member.profile.map(|profile| profile.display_name))
        .collect()
}

/// Organisations of a region: 12 fictional employers, NGOs, the municipality and
/// schools. The opportunities of [`opportunities`] index into this list.
pub fn organisations(region: &str) -> Vec<v1::Organisation> {
    let region = Region::new(region);
    region
        .chapter
        .organisations
        .iter()
        .map(|spec| organisation(&region, spec))
        .collect()
}

/// Opportunities for a region: 37 of every kind, each with the index of the
/// organisation in [`organisations`] that offers it and the status it should reach.
/// `organisation_id` is empty and `status` unset: new opportunities start in DRAFT.
pub fn opportunities(region: &str) -> Vec<(usize, v1::Opportunity, v1::OpportunityStatus)> {
    let region = Region::new(region);
    let offset = Rng::new(&region.slug, 2).below(STATUS_CYCLE.len());
    OPPORTUNITIES
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            let status = STATUS_CYCLE[(index + offset) % STATUS_CYCLE.len()];
            (spec.organisation, opportunity(&region, spec), status)
        })
        .collect()
}

// ---------------------------------------------------------------------------------
// Regions

/// The country whose rules shape a region's permits and civic integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Country {
    Netherlands,
    UnitedStates,
    Other,
}

/// Everything that differs between the demo regions.
struct Chapter {
    country: Country,
    /// Empty: derived from the region slug.
    city: &'static str,
    /// Name of the local language, for texts ("Dutch").
    language_name: &'static str,
    /// What the usual work authorisation is called ("TWV", "EAD").
    permit_name: &'static str,
    /// What a learning-work trajectory is called.
    learn_work: &'static str,
    /// What a taster internship is called.
    taster: &'static str,
    /// Languages people in the region speak, the first one always.
    local_languages: &'static [&'static str],
    /// Other languages locals may speak.
    extra_languages: &'static [&'static str],
    /// Languages the work is done in.
    work_languages: &'static [&'static str],
    /// The main languages of the region's newcomers.
    community_languages: &'static [&'static str],
    locals: Names,
    /// The nationality of the region's locals (ISO 3166-1 alpha-2); empty: unknown.
    local_nationality: &'static str,
    /// Countries of origin the region's authorities list as safe (ISO 3166-1
    /// alpha-2): their nationals' asylum claims take a faster track.
    safe_countries: &'static [&'static str],
    /// The statutory minimum hourly wage, in cents of the region's currency.
    minimum_wage_cents: i64,
    cohorts: &'static [Cohort],
    /// One organisation per slot ([`CARE`] to [`LANGUAGE_SCHOOL`]), in slot order.
    organisations: &'static [OrganisationSpec],
}

/// A demo region: its chapter data and the names that come from the slug.
struct Region {
    slug: String,
    city: String,
    chapter: &'static Chapter,
}

impl Region {
    fn new(slug: &str) -> Self {
        let chapter = match slug {
            "amsterdam" => &AMSTERDAM,
            "washington-dc" => &WASHINGTON_DC,
            "miami" => &MIAMI,
            _ => &GENERIC,
        };
        let city = if chapter.city.is_empty() {
            city_from_slug(slug)
        } else {
            chapter.city.to_owned()
        };
        Self {
            slug: slug.to_owned(),
            city,
            chapter,
        }
    }

    /// `text` with the region's words in place of `{city}`, `{slug}`, `{language}`,
    /// `{permit}`, `{learn_work}` and `{taster}`.
    fn fill(&self, text: &str) -> String {
        if !text.contains('{') {
            return text.to_owned();
        }
        let chapter = self.chapter;
        text.replace("{city}", &self.city)
            .replace("{slug}", &self.slug)
            .replace("{language}", chapter.language_name)
            .replace("{permit}", chapter.permit_name)
            .replace("{learn_work}", chapter.learn_work)
            .replace("{taster}", chapter.taster)
    }

    /// "Area, City", or the city alone.
    fn location(&self, area: &str) -> String {
        if area.is_empty() {
            self.city.clone()
        } else {
            format!("{area}, {}", self.city)
        }
    }
}

/// "new-york" → "New York".
fn city_from_slug(slug: &str) -> String {
    let words: Vec<String> = slug
        .split(['-', '_'])
        .filter(|word| !word.is_empty())
        .map(capitalise)
        .collect();
    if words.is_empty() {
        "Demo City".to_owned()
    } else {
        words.join(" ")
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
    }
}

// ---------------------------------------------------------------------------------
// Deterministic randomness and dates

/// A 64-bit linear congruential generator: tiny, deterministic, good enough to
/// shuffle demo tables.
struct Rng(u64);

impl Rng {
    /// A generator seeded from `seed` (FNV-1a) and a stream number.
    fn new(seed: &str, stream: u64) -> Self {
        let hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        let mut rng = Self(hash ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        rng.next_u32();
        rng
    }

    fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    /// A number in `0..n`; 0 when `n` is 0.
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.next_u32() as usize % n
        }
    }

    /// A number in `low..=high`.
    fn range(&mut self, low: i32, high: i32) -> i32 {
        if high <= low {
            return low;
        }
        let span = high.abs_diff(low) + 1;
        low.saturating_add_unsigned(self.next_u32() % span)
    }

    /// True `percent` times out of a hundred.
    fn chance(&mut self, percent: u32) -> bool {
        self.next_u32() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }

    /// One of `items`; empty when there are none.
    fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        self.pick(items).copied().unwrap_or_default()
    }

    /// `min..=max` distinct entries of `items` (fewer if it is shorter).
    fn some_of(&mut self, items: &[&str], min: usize, max: usize) -> Vec<String> {
        let count = (min + self.below(max.saturating_sub(min) + 1)).min(items.len());
        let start = self.below(items.len());
        items
            .iter()
            .cycle()
            .skip(start)
            .take(count)
            .copied()
            .map(String::from)
            .collect()
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for index in (1..items.len()).rev() {
            let other = self.below(index + 1);
            items.swap(index, other);
        }
    }

    /// A day in the months `from..=to`, each given as (year, month).
    fn date(&mut self, from: (i32, i32), to: (i32, i32)) -> Day {
        let first = from.0 * 12 + from.1 - 1;
        let last = to.0 * 12 + to.1 - 1;
        let month = self.range(first, last);
        Day::new(month / 12, month % 12 + 1, self.range(1, 28))
    }
}

/// A calendar day, shown as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Day {
    year: i32,
    month: i32,
    day: i32,
}

impl Day {
    const fn new(year: i32, month: i32, day: i32) -> Self {
        Self { year, month, day }
    }

    const fn years_later(self, years: i32) -> Self {
        Self::new(self.year + years, self.month, self.day)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The last month an asylum application in the demo can date from (the demo's
/// "now" is November 2026).
const LATEST_APPLICATION: (i32, i32) = (2026, 10);

/// Applications up to this day have passed the six-month (NL) or 150+30-day (US)
/// waiting period before work is allowed.
const WORK_CLOCK_CUTOFF: Day = Day::new(2026, 4, 30);

/// End of the EU temporary protection for people fleeing Ukraine.
const TEMPORARY_PROTECTION_END: Day = Day::new(2027, 3, 4);

// ---------------------------------------------------------------------------------
// Members

/// Roles of the locals and volunteer coaches, after the newcomers and the peer coach.
const RESIDENT_ROLES: [MemberRole; 10] = [
    MemberRole::Local,
    MemberRole::Local,
    MemberRole::VolunteerCoach,
    MemberRole::Local,
    MemberRole::VolunteerCoach,
    MemberRole::Local,
    MemberRole::Local,
    MemberRole::VolunteerCoach,
    MemberRole::Local,
    MemberRole::VolunteerCoach,
];

/// Given and family names to combine.
struct Names {
    first: &'static [&'static str],
    last: &'static [&'static str],
}

/// A country of origin: names and languages.
struct Origin {
    /// ISO 3166-1 alpha-2.
    country: &'static str,
    names: Names,
    /// The first is always spoken, the others often.
    languages: &'static [&'static str],
}

/// `count` newcomers from `origin` with residence status `status`.
struct Cohort {
    origin: &'static Origin,
    status: ResidenceStatus,
    count: usize,
}

const fn cohort(origin: &'static Origin, status: ResidenceStatus, count: usize) -> Cohort {
    Cohort {
        origin,
        status,
        count,
    }
}

/// A profession with its sectors, skills, usual education and years of experience.
struct Profession {
    title: &'static str,
    sectors: &'static [&'static str],
    skills: &'static [&'static str],
    education: EducationLevel,
    experience: (i32, i32),
}

/// The shared half of a member, before it becomes a `SharedProfile`.
struct Person {
    name: String,
    profession: &'static Profession,
    skills: Vec<String>,
    languages: Vec<String>,
    experience: i32,
    hours: i32,
}

/// The regional half of a member, before it becomes a `RegionalRecord`.
struct Standing {
    role: MemberRole,
    status: ResidenceStatus,
    applied: Option<Day>,
    permits: Vec<v1::Permit>,
    civic: CivicIntegration,
    nationality: &'static str,
    safe_country: bool,
    reception_centre: bool,
    clock_stopped_days: i32,
    buddy_capacity: i32,
}

fn member(person: Person, standing: Standing) -> v1::Member {
    v1::Member {
        profile: Some(v1::SharedProfile {
            display_name: person.name,
            profession: person.profession.title.to_owned(),
            sectors: strings(person.profession.sectors),
            skills: person.skills,
            languages: person.languages,
            education_level: person.profession.education as i32,
            experience_years: person.experience,
            available_hours_per_week: person.hours,
            share_across_regions: true,
            ..Default::default()
        }),
        regional: Some(v1::RegionalRecord {
            role: standing.role as i32,
            residence_status: standing.status as i32,
            asylum_application_date: standing
                .applied
                .map(|day| day.to_string())
                .unwrap_or_default(),
            permits: standing.permits,
            civic_integration: standing.civic as i32,
            nationality: standing.nationality.to_owned(),
            safe_country_national: standing.safe_country,
            in_reception_centre: standing.reception_centre,
            asylum_clock_stopped_days: standing.clock_stopped_days,
            buddy_capacity: standing.buddy_capacity,
        }),
        ..Default::default()
    }
}

/// A newcomer of `cohort`.
fn newcomer(
    region: &Region,
    cohort: &Cohort,
    rng: &mut Rng,
    book: &mut NameBook,
) -> Option<v1::Member> {
    let country = region.chapter.country;
    let status = cohort.status;
    let profession = rng.pick(NEWCOMER_PROFESSIONS)?;
    let name = unique_name(&cohort.origin.names, rng, book);
    let applied = asylum_date(country, status, rng);
    let permits = permits(country, status, applied, rng);
    let civic = civic_integration(country, status, applied, rng);
    let can_work = status != ResidenceStatus::AsylumSeeker || !permits.is_empty();
    let mut skills = rng.some_of(profession.skills, 2, 4);
    if rng.chance(50) {
        push_unique(&mut skills, rng.pick_str(EXTRA_SKILLS));
    }
    let person = Person {
        name,
        profession,
        skills,
        languages: newcomer_languages(region, cohort.origin, civic, rng),
        experience: rng.range(profession.experience.0, profession.experience.1),
        hours: newcomer_hours(civic, can_work, rng),
    };
    let nationality = cohort.origin.country;
    let standing = Standing {
        role: MemberRole::Newcomer,
        status,
        applied,
        safe_country: region.chapter.safe_countries.contains(&nationality),
        reception_centre: in_reception_centre(country, status, applied, rng),
        clock_stopped_days: clock_stopped_days(country, status, applied, &permits, rng),
        permits,
        civic,
        nationality,
        buddy_capacity: 0,
    };
    Some(member(person, standing))
}

/// A volunteer coach who came to the region as a refugee some years ago.
fn peer_coach(region: &Region, rng: &mut Rng, book: &mut NameBook) -> Option<v1::Member> {
    let country = region.chapter.country;
    let origin = region.chapter.cohorts.first()?.origin;
    let profession = rng.pick(NEWCOMER_PROFESSIONS)?;
    let status = ResidenceStatus::StatusHolder;
    let applied = Some(rng.date((2019, 1), (2020, 12)));
    let civic = civic_integration(country, status, applied, rng);
    let mut skills = rng.some_of(profession.skills, 2, 3);
    for skill in rng.some_of(COACH_SKILLS, 2, 2) {
        push_unique(&mut skills, &skill);
    }
    let person = Person {
        name: unique_name(&origin.names, rng, book),
        profession,
        skills,
        languages: newcomer_languages(region, origin, civic, rng),
        experience: rng.range(profession.experience.0, profession.experience.1),
        hours: rng.range(4, 10),
    };
    let standing = Standing {
        role: MemberRole::VolunteerCoach,
        status,
        applied,
        permits: permits(country, status, applied, rng),
        civic,
        nationality: origin.country,
        safe_country: region.chapter.safe_countries.contains(&origin.country),
        reception_centre: false,
        clock_stopped_days: 0,
        buddy_capacity: 0,
    };
    Some(member(person, standing))
}

/// A local buddy or volunteer coach who lives in the region.
fn resident(
    region: &Region,
    role: MemberRole,
    rng: &mut Rng,
    book: &mut NameBook,
) -> Option<v1::Member> {
    let (professions, support, hours) = if role == MemberRole::VolunteerCoach {
        (COACH_PROFESSIONS, COACH_SKILLS, (4, 12))
    } else {
        (LOCAL_PROFESSIONS, BUDDY_SKILLS, (2, 8))
    };
    let profession = rng.pick(professions)?;
    let name = unique_name(&region.chapter.locals, rng, book);
    let mut skills = rng.some_of(profession.skills, 2, 3);
    for skill in rng.some_of(support, 1, 2) {
        push_unique(&mut skills, &skill);
    }
    let person = Person {
        name,
        profession,
        skills,
        languages: resident_languages(region, rng),
        experience: rng.range(profession.experience.0, profession.experience.1),
        hours: rng.range(hours.0, hours.1),
    };
    // Locals buddy one to three newcomers at a time; coaches coach instead.
    let buddy_capacity = if role == MemberRole::Local {
        rng.range(1, 3)
    } else {
        0
    };
    let standing = Standing {
        role,
        status: ResidenceStatus::CitizenOrResident,
        applied: None,
        permits: Vec::new(),
        civic: CivicIntegration::Exempt,
        nationality: region.chapter.local_nationality,
        safe_country: false,
        reception_centre: false,
        clock_stopped_days: 0,
        buddy_capacity,
    };
    Some(member(person, standing))
}

/// The names given out in a region so far, to keep display names distinct and
/// given and family names varied.
#[derive(Default)]
struct NameBook {
    full: HashSet<String>,
    given: HashSet<&'static str>,
    family: HashSet<&'static str>,
}

impl NameBook {
    fn take(&mut self, (first, last): (&'static str, &'static str)) -> String {
        let name = format!("{first} {last}");
        self.given.insert(first);
        self.family.insert(last);
        self.full.insert(name.clone());
        name
    }
}

/// A "first last" name from `names` that no one in `book` has yet, preferring
/// given and family names that are not in use either.
fn unique_name(names: &Names, rng: &mut Rng, book: &mut NameBook) -> String {
    let mut spare = None;
    for _ in 0..40 {
        let pair = (rng.pick_str(names.first), rng.pick_str(names.last));
        if book.full.contains(&format!("{} {}", pair.0, pair.1)) {
            continue;
        }
        let fresh_given = !book.given.contains(pair.0);
        if fresh_given && !book.family.contains(pair.1) {
            return book.take(pair);
        }
        if fresh_given || spare.is_none() {
            spare = Some(pair);
        }
    }
    if let Some(pair) = spare {
        return book.take(pair);
    }
    let last_count = names.last.len().max(1);
    let pair_at = |index: usize| {
        let first = names
            .first
            .get(index / last_count)
            .copied()
            .unwrap_or_default();
        let last = names
            .last
            .get(index % last_count)
            .copied()
            .unwrap_or_default();
        (first, last)
    };
    let total = names.first.len() * names.last.len();
    let unused = (0..total)
        .map(pair_at)
        .find(|(first, last)| !book.full.contains(&format!("{first} {last}")));
    match unused {
        Some(pair) => book.take(pair),
        None => {
            let name = format!("Member {}", book.full.len() + 1);
            book.full.insert(name.clone());
            name
        }
    }
}

fn asylum_date(country: Country, status: ResidenceStatus, rng: &mut Rng) -> Option<Day> {
    match status {
        ResidenceStatus::AsylumSeeker if country == Country::UnitedStates => {
            Some(rng.date((2021, 1), LATEST_APPLICATION))
        }
        ResidenceStatus::AsylumSeeker => Some(rng.date((2023, 6), LATEST_APPLICATION)),
        ResidenceStatus::StatusHolder => Some(rng.date((2019, 1), (2025, 6))),
        _ => None,
    }
}

fn permits(
    country: Country,
    status: ResidenceStatus,
    applied: Option<Day>,
    rng: &mut Rng,
) -> Vec<v1::Permit> {
    let permit = match country {
        Country::Netherlands => dutch_permit(status, applied, rng),
        Country::UnitedStates => american_permit(status, applied, rng),
        Country::Other => generic_permit(status, applied, rng),
    };
    permit.into_iter().collect()
}

fn permit(kind: &str, valid_until: Option<Day>) -> v1::Permit {
    v1::Permit {
        kind: kind.to_owned(),
        valid_until: valid_until.map(|day| day.to_string()).unwrap_or_default(),
    }
}

/// Whether an asylum seeker who applied on `applied` is past the waiting period.
fn past_work_clock(applied: Option<Day>) -> bool {
    applied.is_some_and(|day| day <= WORK_CLOCK_CUTOFF)
}

/// TWV for asylum seekers past six months (the employer applies), the asylum
/// residence permit for status holders, the sticker for Ukrainians.
fn dutch_permit(
    status: ResidenceStatus,
    applied: Option<Day>,
    rng: &mut Rng,
) -> Option<v1::Permit> {
    match status {
        ResidenceStatus::AsylumSeeker => (past_work_clock(applied) && rng.chance(60))
            .then(|| permit("TWV", Some(rng.date((2027, 1), (2027, 12))))),
        ResidenceStatus::StatusHolder => applied.map(|day| {
            if day.year <= 2021 {
                permit("Verblijfsvergunning asiel onbepaalde tijd", None)
            } else {
                permit(
                    "Verblijfsvergunning asiel bepaalde tijd",
                    Some(day.years_later(5)),
                )
            }
        }),
        ResidenceStatus::TemporaryProtection => Some(permit(
            "Verblijfssticker tijdelijke bescherming",
            Some(TEMPORARY_PROTECTION_END),
        )),
        ResidenceStatus::Other => Some(permit(
            "Verblijfsvergunning gezinshereniging",
            Some(rng.date((2027, 1), (2031, 6))),
        )),
        _ => None,
    }
}

/// EADs for asylum applicants past the work clock, TPS holders and parolees; a
/// green card for refugees and asylees who have adjusted status.
fn american_permit(
    status: ResidenceStatus,
    applied: Option<Day>,
    rng: &mut Rng,
) -> Option<v1::Permit> {
    match status {
        ResidenceStatus::AsylumSeeker => (past_work_clock(applied) && rng.chance(85))
            .then(|| permit("EAD", Some(rng.date((2026, 12), (2030, 6))))),
        ResidenceStatus::StatusHolder => applied
            .filter(|day| day.year <= 2023)
            .map(|day| permit("Permanent resident card", Some(day.years_later(11)))),
        ResidenceStatus::TemporaryProtection => {
            Some(permit("EAD", Some(rng.date((2026, 11), (2027, 10)))))
        }
        ResidenceStatus::Other => Some(permit("EAD", Some(rng.date((2026, 11), (2028, 6))))),
        _ => None,
    }
}

fn generic_permit(
    status: ResidenceStatus,
    applied: Option<Day>,
    rng: &mut Rng,
) -> Option<v1::Permit> {
    match status {
        ResidenceStatus::AsylumSeeker => (past_work_clock(applied) && rng.chance(50))
            .then(|| permit("work permit", Some(rng.date((2027, 1), (2027, 12))))),
        ResidenceStatus::StatusHolder => applied.map(|day| {
            if day.year <= 2021 {
                permit("permanent residence permit", None)
            } else {
                permit("residence permit (asylum)", Some(day.years_later(5)))
            }
        }),
        ResidenceStatus::TemporaryProtection => Some(permit(
            "temporary protection permit",
            Some(TEMPORARY_PROTECTION_END),
        )),
        ResidenceStatus::Other => Some(permit(
            "residence permit (family reunification)",
            Some(rng.date((2027, 1), (2030, 12))),
        )),
        _ => None,
    }
}

/// Civic integration ("inburgering"): not a thing in the US; for asylum seekers
/// it has not started, for status holders it depends on how long they have been here.
fn civic_integration(
    country: Country,
    status: ResidenceStatus,
    applied: Option<Day>,
    rng: &mut Rng,
) -> CivicIntegration {
    if country == Country::UnitedStates {
        return CivicIntegration::Unspecified;
    }
    match status {
        ResidenceStatus::AsylumSeeker => CivicIntegration::None,
        ResidenceStatus::StatusHolder => status_holder_civic(applied, rng),
        ResidenceStatus::TemporaryProtection if rng.chance(40) => CivicIntegration::InProgress,
        ResidenceStatus::Other => CivicIntegration::InProgress,
        _ => CivicIntegration::Exempt,
    }
}

fn status_holder_civic(applied: Option<Day>, rng: &mut Rng) -> CivicIntegration {
    if rng.chance(8) {
        return CivicIntegration::Exempt;
    }
    match applied.map_or(2024, |day| day.year) {
        ..=2021 => CivicIntegration::Completed,
        2022 | 2023 if rng.chance(50) => CivicIntegration::Completed,
        2022 | 2023 => CivicIntegration::InProgress,
        _ if rng.chance(15) => CivicIntegration::None,
        _ => CivicIntegration::InProgress,
    }
}

/// Whether a newcomer lives in a reception centre: most asylum seekers in Europe do,
/// and so do many recent status holders still waiting for a home; the US has none.
fn in_reception_centre(
    country: Country,
    status: ResidenceStatus,
    applied: Option<Day>,
    rng: &mut Rng,
) -> bool {
    match status {
        _ if country == Country::UnitedStates => false,
        ResidenceStatus::AsylumSeeker => rng.chance(85),
        ResidenceStatus::StatusHolder => {
            applied.is_some_and(|day| day.year >= 2025) && rng.chance(50)
        }
        _ => false,
    }
}

/// Days a US asylum applicant's own delays (a rescheduled interview, late evidence)
/// stopped the EAD clock: what keeps some past the waiting period without an EAD,
/// and a few days for some who got theirs. Only for applications well past the
/// waiting period, so they never exceed the days since the application.
fn clock_stopped_days(
    country: Country,
    status: ResidenceStatus,
    applied: Option<Day>,
    permits: &[v1::Permit],
    rng: &mut Rng,
) -> i32 {
    if country != Country::UnitedStates
        || status != ResidenceStatus::AsylumSeeker
        || !past_work_clock(applied)
    {
        return 0;
    }
    if permits.is_empty() {
        rng.range(45, 150)
    } else if applied.is_some_and(|day| day.year <= 2025) && rng.chance(25) {
        rng.range(5, 30)
    } else {
        0
    }
}

/// Hours a week: civic integration leaves 16 to 24, waiting for a permit means
/// volunteering a few hours.
fn newcomer_hours(civic: CivicIntegration, can_work: bool, rng: &mut Rng) -> i32 {
    if civic == CivicIntegration::InProgress {
        rng.range(16, 24)
    } else if can_work {
        rng.range(20, 40)
    } else {
        rng.range(4, 16)
    }
}

fn newcomer_languages(
    region: &Region,
    origin: &Origin,
    civic: CivicIntegration,
    rng: &mut Rng,
) -> Vec<String> {
    let mut languages = Vec::new();
    for (index, code) in origin.languages.iter().enumerate() {
        if index == 0 || rng.chance(50) {
            push_unique(&mut languages, code);
        }
    }
    let learning = matches!(
        civic,
        CivicIntegration::InProgress | CivicIntegration::Completed
    );
    for (index, code) in region.chapter.local_languages.iter().enumerate() {
        let odds = match (index, learning) {
            (0, true) => 95,
            (0, false) => 55,
            _ => 45,
        };
        if rng.chance(odds) {
            push_unique(&mut languages, code);
        }
    }
    if rng.chance(40) {
        push_unique(&mut languages, "en");
    }
    languages
}

fn resident_languages(region: &Region, rng: &mut Rng) -> Vec<String> {
    let mut languages = Vec::new();
    for (index, code) in region.chapter.local_languages.iter().enumerate() {
        if index == 0 || rng.chance(75) {
            push_unique(&mut languages, code);
        }
    }
    if rng.chance(35) {
        let extra = rng.pick_str(region.chapter.extra_languages);
        push_unique(&mut languages, extra);
    }
    languages
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !item.is_empty() && !list.iter().any(|existing| existing == item) {
        list.push(item.to_owned());
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().copied().map(String::from).collect()
}

// ---------------------------------------------------------------------------------
// Organisations and opportunities

/// An organisation of a chapter; `{city}` and `{slug}` are filled in.
struct OrganisationSpec {
    name: &'static str,
    kind: OrganisationKind,
    sector: &'static str,
    area: &'static str,
    website: &'static str,
}

const fn org(
    name: &'static str,
    kind: OrganisationKind,
    sector: &'static str,
    area: &'static str,
    website: &'static str,
) -> OrganisationSpec {
    OrganisationSpec {
        name,
        kind,
        sector,
        area,
        website,
    }
}

fn organisation(region: &Region, spec: &OrganisationSpec) -> v1::Organisation {
    v1::Organisation {
        name: region.fill(spec.name),
        kind: spec.kind as i32,
        sector: spec.sector.to_owned(),
        location: region.location(spec.area),
        website: region.fill(spec.website),
        ..Default::default()
    }
}

// Every chapter lists its organisations in this order, so that one table of
// opportunities serves them all.
const CARE: usize = 0;
const BUILDER: usize = 1;
const SOFTWARE: usize = 2;
const HOTEL: usize = 3;
const WAREHOUSE: usize = 4;
const SHOP: usize = 5;
const INSTALLER: usize = 6;
const WORK_NGO: usize = 7;
const COMMUNITY_NGO: usize = 8;
const MUNICIPALITY: usize = 9;
const COLLEGE: usize = 10;
const LANGUAGE_SCHOOL: usize = 11;

/// The languages an opportunity is done in.
#[derive(Debug, Clone, Copy)]
enum Langs {
    /// The region's work languages.
    Local,
    English,
    LocalEnglish,
    /// The region's work languages and its newcomers' main languages.
    LocalCommunity,
    EnglishCommunity,
}

/// An opportunity; `{city}`, `{language}`, `{permit}`, `{learn_work}` and
/// `{taster}` in its texts are filled in.
struct OpportunitySpec {
    organisation: usize,
    kind: OpportunityKind,
    title: &'static str,
    description: &'static str,
    sector: &'static str,
    skills: &'static [&'static str],
    languages: Langs,
    hours: i32,
    paid: bool,
    /// The gross hourly wage as a percentage of the region's minimum wage (never
    /// below 100 for paid work); 0 for unpaid work.
    wage: i64,
    /// Done as self-employed: a freelancer who invoices the organisation.
    self_employed: bool,
    /// Empty: the organisation's location.
    location: &'static str,
}

fn opportunity(region: &Region, spec: &OpportunitySpec) -> v1::Opportunity {
    let location = if spec.location.is_empty() {
        region
            .chapter
            .organisations
            .get(spec.organisation)
            .map_or_else(
                || region.city.clone(),
                |organisation| region.location(organisation.area),
            )
    } else {
        region.fill(spec.location)
    };
    v1::Opportunity {
        title: region.fill(spec.title),
        description: region.fill(spec.description),
        kind: spec.kind as i32,
        sector: spec.sector.to_owned(),
        skills: strings(spec.skills),
        languages: opportunity_languages(region, spec.languages),
        hours_per_week: spec.hours,
        paid: spec.paid,
        location,
        self_employment: spec.self_employed,
        hourly_wage_cents: hourly_wage_cents(region, spec),
        ..Default::default()
    }
}

/// The spec's share of the region's minimum wage, rounded up to 5 cents; 0 when
/// the work is unpaid.
fn hourly_wage_cents(region: &Region, spec: &OpportunitySpec) -> i64 {
    if !spec.paid {
        return 0;
    }
    let cents = region.chapter.minimum_wage_cents * spec.wage / 100;
    (cents + 4) / 5 * 5
}

fn opportunity_languages(region: &Region, langs: Langs) -> Vec<String> {
    let chapter = region.chapter;
    let groups: [&[&str]; 2] = match langs {
        Langs::Local => [chapter.work_languages, &[]],
        Langs::English => [&["en"], &[]],
        Langs::LocalEnglish => [chapter.work_languages, &["en"]],
        Langs::LocalCommunity => [chapter.work_languages, chapter.community_languages],
        Langs::EnglishCommunity => [&["en"], chapter.community_languages],
    };
    let mut languages = Vec::new();
    for code in groups.into_iter().flatten() {
        push_unique(&mut languages, code);
    }
    languages
}

/// Target statuses, rotated per region: six in ten published.
const STATUS_CYCLE: [OpportunityStatus; 10] = [
    OpportunityStatus::Published,
    OpportunityStatus::Published,
    OpportunityStatus::InReview,
    OpportunityStatus::Published,
    OpportunityStatus::Draft,
    OpportunityStatus::Published,
    OpportunityStatus::Filled,
    OpportunityStatus::Published,
    OpportunityStatus::Closed,
    OpportunityStatus::Published,
];

// ---------------------------------------------------------------------------------
// Tables: professions and skills

static NEWCOMER_PROFESSIONS: &[Profession] = &[
    Profession {
        title: "civil engineer",
        sectors: &["engineering", "construction"],
        skills: &[
            "structural calculations",
            "AutoCAD",
            "site supervision",
            "Revit",
            "cost estimation",
            "concrete design",
        ],
        education: EducationLevel::Bachelor,
        experience: (2, 20),
    },
    Profession {
        title: "nurse",
        sectors: &["healthcare"],
        skills: &[
            "wound care",
            "patient observation",
            "medication administration",
            "elderly care",
            "triage",
            "infection prevention",
        ],
        education: EducationLevel::Bachelor,
        experience: (1, 20),
    },
    Profession {
        title: "pharmacist",
        sectors: &["healthcare"],
        skills: &[
            "dispensing",
            "pharmacology",
            "patient counselling",
            "stock management",
            "compounding",
        ],
        education: EducationLevel::Master,
        experience: (1, 18),
    },
    Profession {
        title: "software developer",
        sectors: &["it"],
        skills: &["Python", "JavaScript", "SQL", "REST APIs", "Git", "React"],
        education: EducationLevel::Bachelor,
        experience: (1, 15),
    },
    Profession {
        title: "primary school teacher",
        sectors: &["education"],
        skills: &[
            "lesson planning",
            "classroom management",
            "child development",
            "language teaching",
            "parent communication",
        ],
        education: EducationLevel::Bachelor,
        experience: (1, 20),
    },
    Profession {
        title: "accountant",
        sectors: &["finance"],
        skills: &[
            "bookkeeping",
            "financial reporting",
            "Excel",
            "payroll",
            "tax returns",
        ],
        education: EducationLevel::Bachelor,
        experience: (1, 18),
    },
    Profession {
        title: "electrician",
        sectors: &["construction"],
        skills: &[
            "electrical installation",
            "reading wiring diagrams",
            "fault finding",
            "solar panel installation",
        ],
        education: EducationLevel::Vocational,
        experience: (2, 20),
    },
    Profession {
        title: "chef",
        sectors: &["hospitality"],
        skills: &[
            "menu planning",
            "food safety (HACCP)",
            "kitchen management",
            "pastry",
            "catering for large groups",
        ],
        education: EducationLevel::Vocational,
        experience: (2, 18),
    },
    Profession {
        title: "truck driver",
        sectors: &["logistics"],
        skills: &[
            "heavy goods vehicle driving",
            "route planning",
            "loading and securing cargo",
            "vehicle checks",
        ],
        education: EducationLevel::Secondary,
        experience: (2, 25),
    },
    Profession {
        title: "lawyer",
        sectors: &["legal"],
        skills: &[
            "contract law",
            "legal research",
            "human rights law",
            "mediation",
            "legal drafting",
        ],
        education: EducationLevel::Master,
        experience: (1, 15),
    },
    Profession {
        title: "agronomist",
        sectors: &["agriculture"],
        skills: &[
            "crop management",
            "irrigation systems",
            "soil analysis",
            "greenhouse cultivation",
        ],
        education: EducationLevel::Bachelor,
        experience: (1, 15),
    },
    Profession {
        title: "shop manager",
        sectors: &["retail"],
        skills: &[
            "sales",
            "stock control",
            "customer service",
            "cash handling",
            "team leadership",
        ],
        education: EducationLevel::Secondary,
        experience: (2, 15),
    },
    Profession {
        title: "dentist",
        sectors: &["healthcare"],
        skills: &[
            "general dentistry",
            "oral hygiene education",
            "patient care",
            "dental radiography",
        ],
        education: EducationLevel::Master,
        experience: (1, 15),
    },
    Profession {
        title: "carpenter",
        sectors: &["construction"],
        skills: &[
            "furniture making",
            "timber framing",
            "measuring and cutting",
            "reading construction drawings",
        ],
        education: EducationLevel::Vocational,
        experience: (2, 25),
    },
    Profession {
        title: "welder",
        sectors: &["engineering", "construction"],
        skills: &[
            "MIG welding",
            "TIG welding",
            "metal fabrication",
            "reading technical drawings",
        ],
        education: EducationLevel::Vocational,
        experience: (1, 20),
    },
    Profession {
        title: "data analyst",
        sectors: &["it", "finance"],
        skills: &["SQL", "Power BI", "Excel", "statistics", "Python"],
        education: EducationLevel::Bachelor,
        experience: (0, 10),
    },
    Profession {
        title: "mechanical engineer",
        sectors: &["engineering"],
        skills: &[
            "SolidWorks",
            "maintenance planning",
            "HVAC systems",
            "technical drawing",
        ],
        education: EducationLevel::Master,
        experience: (1, 18),
    },
    Profession {
        title: "warehouse worker",
        sectors: &["logistics"],
        skills: &[
            "order picking",
            "forklift operation",
            "inventory scanning",
            "packing",
        ],
        education: EducationLevel::Primary,
        experience: (0, 10),
    },
    Profession {
        title: "cook",
        sectors: &["hospitality"],
        skills: &[
            "food preparation",
            "food safety (HACCP)",
            "grill station",
            "baking bread",
        ],
        education: EducationLevel::Secondary,
        experience: (1, 12),
    },
    Profession {
        title: "hairdresser",
        sectors: &["personal-care"],
        skills: &[
            "cutting and styling",
            "colouring",
            "barbering",
            "customer service",
        ],
        education: EducationLevel::Vocational,
        experience: (1, 15),
    },
    Profession {
        title: "farmer",
        sectors: &["agriculture"],
        skills: &[
            "livestock care",
            "tractor driving",
            "harvesting",
            "greenhouse work",
        ],
        education: EducationLevel::Primary,
        experience: (3, 30),
    },
    Profession {
        title: "tailor",
        sectors: &["textiles", "retail"],
        skills: &[
            "sewing",
            "pattern making",
            "alterations",
            "industrial sewing machines",
        ],
        education: EducationLevel::Vocational,
        experience: (2, 25),
    },
    Profession {
        title: "interpreter",
        sectors: &["legal", "healthcare"],
        skills: &[
            "consecutive interpreting",
            "translation",
            "community interpreting",
            "cultural mediation",
        ],
        education: EducationLevel::Bachelor,
        experience: (1, 12),
    },
    Profession {
        title: "journalist",
        sectors: &["media"],
        skills: &["reporting", "interviewing", "video editing", "social media"],
        education: EducationLevel::Bachelor,
        experience: (1, 12),
    },
    Profession {
        title: "physician",
        sectors: &["healthcare"],
        skills: &[
            "internal medicine",
            "patient consultation",
            "emergency care",
            "medical diagnosis",
        ],
        education: EducationLevel::Master,
        experience: (2, 20),
    },
    Profession {
        title: "university lecturer",
        sectors: &["education"],
        skills: &[
            "research",
            "curriculum design",
            "academic writing",
            "teaching adults",
        ],
        education: EducationLevel::Doctorate,
        experience: (3, 20),
    },
    Profession {
        title: "caregiver",
        sectors: &["healthcare"],
        skills: &[
            "personal care",
            "elderly care",
            "first aid",
            "household support",
        ],
        education: EducationLevel::Secondary,
        experience: (0, 10),
    },
    Profession {
        title: "student",
        sectors: &["education"],
        skills: &[
            "mathematics",
            "computer skills",
            "presentation skills",
            "teamwork",
        ],
        education: EducationLevel::Secondary,
        experience: (0, 1),
    },
    Profession {
        title: "cleaner",
        sectors: &["facility-services"],
        skills: &[
            "cleaning",
            "hygiene standards",
            "time management",
            "working independently",
        ],
        education: EducationLevel::None,
        experience: (0, 10),
    },
    Profession {
        title: "mobile phone technician",
        sectors: &["it", "retail"],
        skills: &[
            "smartphone repair",
            "soldering",
            "customer service",
            "fault finding",
        ],
        education: EducationLevel::Secondary,
        experience: (1, 10),
    },
];

static LOCAL_PROFESSIONS: &[Profession] = &[
    Profession {
        title: "HR advisor",
        sectors: &["human-resources"],
        skills: &["recruitment", "onboarding", "employment law basics"],
        education: EducationLevel::Bachelor,
        experience: (3, 30),
    },
    Profession {
        title: "project manager",
        sectors: &["it"],
        skills: &["planning", "stakeholder management", "Agile"],
        education: EducationLevel::Master,
        experience: (5, 30),
    },
    Profession {
        title: "nurse",
        sectors: &["healthcare"],
        skills: &["patient care", "wound care", "team coordination"],
        education: EducationLevel::Bachelor,
        experience: (2, 35),
    },
    Profession {
        title: "civil engineer",
        sectors: &["engineering"],
        skills: &["structural design", "project supervision", "building codes"],
        education: EducationLevel::Master,
        experience: (3, 35),
    },
    Profession {
        title: "secondary school teacher",
        sectors: &["education"],
        skills: &["teaching", "mentoring teenagers", "exam preparation"],
        education: EducationLevel::Bachelor,
        experience: (2, 35),
    },
    Profession {
        title: "software engineer",
        sectors: &["it"],
        skills: &["Java", "cloud infrastructure", "code review"],
        education: EducationLevel::Master,
        experience: (2, 25),
    },
    Profession {
        title: "restaurant owner",
        sectors: &["hospitality"],
        skills: &["kitchen management", "hiring staff", "menu planning"],
        education: EducationLevel::Vocational,
        experience: (5, 30),
    },
    Profession {
        title: "social work student",
        sectors: &["social-work"],
        skills: &["case work", "active listening", "community work"],
        education: EducationLevel::Secondary,
        experience: (0, 2),
    },
    Profession {
        title: "accountant",
        sectors: &["finance"],
        skills: &["bookkeeping", "tax returns", "financial planning"],
        education: EducationLevel::Bachelor,
        experience: (3, 35),
    },
    Profession {
        title: "architect",
        sectors: &["construction"],
        skills: &["building design", "planning permits", "sketching"],
        education: EducationLevel::Master,
        experience: (3, 30),
    },
    Profession {
        title: "graphic designer",
        sectors: &["media"],
        skills: &["branding", "Adobe Illustrator", "print design"],
        education: EducationLevel::Bachelor,
        experience: (2, 20),
    },
    Profession {
        title: "librarian",
        sectors: &["education"],
        skills: &[
            "information literacy",
            "reading programmes",
            "digital skills training",
        ],
        education: EducationLevel::Master,
        experience: (3, 35),
    },
];

static COACH_PROFESSIONS: &[Profession] = &[
    Profession {
        title: "retired HR manager",
        sectors: &["human-resources"],
        skills: &["CV review", "recruitment", "career guidance"],
        education: EducationLevel::Bachelor,
        experience: (20, 40),
    },
    Profession {
        title: "career coach",
        sectors: &["employment"],
        skills: &[
            "career guidance",
            "job interview practice",
            "job search strategies",
        ],
        education: EducationLevel::Bachelor,
        experience: (5, 25),
    },
    Profession {
        title: "retired civil engineer",
        sectors: &["engineering"],
        skills: &[
            "mentoring engineers",
            "building codes",
            "project supervision",
        ],
        education: EducationLevel::Master,
        experience: (25, 40),
    },
    Profession {
        title: "recruiter",
        sectors: &["human-resources"],
        skills: &["recruitment", "LinkedIn profiles", "salary negotiation"],
        education: EducationLevel::Bachelor,
        experience: (3, 20),
    },
    Profession {
        title: "social worker",
        sectors: &["social-work"],
        skills: &[
            "case management",
            "trauma-informed support",
            "navigating local services",
        ],
        education: EducationLevel::Bachelor,
        experience: (5, 30),
    },
    Profession {
        title: "retired teacher",
        sectors: &["education"],
        skills: &[
            "language coaching",
            "study choice guidance",
            "homework support",
        ],
        education: EducationLevel::Master,
        experience: (25, 40),
    },
    Profession {
        title: "retired bank manager",
        sectors: &["finance"],
        skills: &["budgeting", "financial literacy", "small business advice"],
        education: EducationLevel::Bachelor,
        experience: (25, 40),
    },
];

static EXTRA_SKILLS: &[&str] = &[
    "driving licence",
    "first aid certificate",
    "Microsoft Office",
    "customer contact",
    "working in multicultural teams",
    "social media",
    "childcare experience",
    "volunteer experience",
];

static COACH_SKILLS: &[&str] = &[
    "CV review",
    "job interview practice",
    "LinkedIn profile",
    "job search strategies",
    "professional networking",
    "trauma-informed listening",
];

static BUDDY_SKILLS: &[&str] = &[
    "language practice",
    "showing the neighbourhood",
    "professional networking",
    "help with paperwork",
    "sports buddy",
    "cooking together",
];

// ---------------------------------------------------------------------------------
// Tables: countries of origin

static SYRIA: Origin = Origin {
    country: "SY",
    names: Names {
        first: &[
            "Rami", "Lina", "Omar", "Rasha", "Khaled", "Nour", "Yousef", "Hiba", "Mazen", "Dima",
        ],
        last: &[
            "Al-Hassan",
            "Haddad",
            "Khalil",
            "Nasser",
            "Darwish",
            "Sabbagh",
            "Kassem",
            "Hamdan",
        ],
    },
    languages: &["ar"],
};

static ERITREA: Origin = Origin {
    country: "ER",
    names: Names {
        first: &[
            "Senait", "Yonas", "Filmon", "Helen", "Semhar", "Dawit", "Mehret", "Abel", "Luwam",
            "Robel",
        ],
        last: &[
            "Tesfay",
            "Gebremedhin",
            "Haile",
            "Tekle",
            "Berhane",
            "Kidane",
            "Weldemichael",
            "Yohannes",
        ],
    },
    languages: &["ti", "ar"],
};

static AFGHANISTAN: Origin = Origin {
    country: "AF",
    names: Names {
        first: &[
            "Farid", "Mariam", "Hamid", "Zarghona", "Najib", "Fereshta", "Wahid", "Shabnam",
            "Sohail", "Marzia",
        ],
        last: &[
            "Ahmadzai", "Popal", "Noori", "Sultani", "Hakimi", "Wardak", "Safi", "Rahmani",
        ],
    },
    languages: &["fa", "ps"],
};

static UKRAINE: Origin = Origin {
    country: "UA",
    names: Names {
        first: &[
            "Olena",
            "Andriy",
            "Iryna",
            "Oleksandr",
            "Kateryna",
            "Dmytro",
            "Yulia",
            "Serhiy",
            "Oksana",
            "Taras",
        ],
        last: &[
            "Kovalenko",
            "Shevchenko",
            "Bondarenko",
            "Melnyk",
            "Tkachenko",
            "Kravchuk",
            "Boyko",
            "Lysenko",
        ],
    },
    languages: &["uk", "ru"],
};

static IRAN: Origin = Origin {
    country: "IR",
    names: Names {
        first: &[
            "Reza", "Niloofar", "Babak", "Shirin", "Arash", "Maryam", "Kaveh", "Parisa",
        ],
        last: &[
            "Ahmadi", "Hosseini", "Karimi", "Rezaei", "Moradi", "Jafari", "Tehrani", "Rahimi",
        ],
    },
    languages: &["fa"],
};

static SOMALIA: Origin = Origin {
    country: "SO",
    names: Names {
        first: &[
            "Hodan",
            "Abdirahman",
            "Faadumo",
            "Mohamed",
            "Ayaan",
            "Liban",
            "Sahra",
            "Abdi",
        ],
        last: &[
            "Warsame",
            "Farah",
            "Hassan",
            "Osman",
            "Jama",
            "Abdullahi",
            "Nur",
            "Egal",
        ],
    },
    languages: &["so", "ar"],
};

static VENEZUELA: Origin = Origin {
    country: "VE",
    names: Names {
        first: &[
            "Andreína",
            "Luis",
            "Carolina",
            "Jesús",
            "Gabriela",
            "Oswaldo",
            "Mariángel",
            "Rafael",
            "Yelitza",
            "Daniel",
        ],
        last: &[
            "González",
            "Rodríguez",
            "Pérez",
            "Hernández",
            "Mendoza",
            "Briceño",
            "Castillo",
            "Rojas",
        ],
    },
    languages: &["es"],
};

static HAITI: Origin = Origin {
    country: "HT",
    names: Names {
        first: &[
            "Widline",
            "Jean-Claude",
            "Mackenson",
            "Nadège",
            "Wilner",
            "Fabiola",
            "Ricardo",
            "Rose-Marie",
            "Stanley",
            "Guerline",
        ],
        last: &[
            "Pierre",
            "Joseph",
            "Jean-Louis",
            "Charles",
            "Étienne",
            "Désir",
            "Toussaint",
            "Baptiste",
        ],
    },
    languages: &["ht", "fr"],
};

static CUBA: Origin = Origin {
    country: "CU",
    names: Names {
        first: &[
            "Yunior", "Yanelis", "Osmany", "Dayana", "Yoandri", "Lisandra", "Alexei", "Yamilé",
            "Yasmany", "Mailén",
        ],
        last: &[
            "Fernández",
            "Suárez",
            "Valdés",
            "Cabrera",
            "Betancourt",
            "Llanes",
            "Quintana",
            "Portal",
        ],
    },
    languages: &["es"],
};

static TURKEY: Origin = Origin {
    country: "TR",
    names: Names {
        first: &[
            "Elif", "Mehmet", "Zeynep", "Emre", "Ayşe", "Burak", "Selin", "Kerem",
        ],
        last: &[
            "Yılmaz", "Demir", "Kaya", "Çelik", "Şahin", "Aydın", "Öztürk", "Arslan",
        ],
    },
    languages: &["tr"],
};

static YEMEN: Origin = Origin {
    country: "YE",
    names: Names {
        first: &[
            "Abdullah", "Amal", "Fuad", "Samira", "Nabil", "Huda", "Tariq", "Arwa",
        ],
        last: &[
            "Saleh",
            "Al-Ansi",
            "Qasem",
            "Al-Hamdani",
            "Mansour",
            "Al-Sharabi",
            "Ghaleb",
            "Noman",
        ],
    },
    languages: &["ar"],
};

static ETHIOPIA: Origin = Origin {
    country: "ET",
    names: Names {
        first: &[
            "Selamawit",
            "Biniam",
            "Meron",
            "Tewodros",
            "Hana",
            "Yared",
            "Bethlehem",
            "Abebe",
        ],
        last: &[
            "Alemu", "Bekele", "Tadesse", "Girma", "Mekonnen", "Assefa", "Worku", "Desta",
        ],
    },
    languages: &["am", "om"],
};

static EL_SALVADOR: Origin = Origin {
    country: "SV",
    names: Names {
        first: &[
            "Jorge", "Karla", "Wilfredo", "Yesenia", "Mauricio", "Roxana", "Nelson", "Marisol",
        ],
        last: &[
            "Hernández",
            "Martínez",
            "Flores",
            "Rivas",
            "Portillo",
            "Ramírez",
            "Argueta",
            "Chicas",
        ],
    },
    languages: &["es"],
};

static NICARAGUA: Origin = Origin {
    country: "NI",
    names: Names {
        first: &[
            "Danilo", "Ivania", "Ernesto", "Xiomara", "Félix", "Scarleth", "Álvaro", "Rosibel",
        ],
        last: &[
            "Lacayo",
            "Chamorro",
            "Espinoza",
            "Téllez",
            "Obando",
            "Aráuz",
            "Somarriba",
            "Úbeda",
        ],
    },
    languages: &["es"],
};

static COLOMBIA: Origin = Origin {
    country: "CO",
    names: Names {
        first: &[
            "Andrés",
            "Paola",
            "Juan Camilo",
            "Natalia",
            "Sebastián",
            "Lorena",
            "Camilo",
            "Diana",
        ],
        last: &[
            "Restrepo",
            "Gómez",
            "Cárdenas",
            "Ospina",
            "Vargas",
            "Moreno",
            "Jaramillo",
            "Quintero",
        ],
    },
    languages: &["es"],
};

static SUDAN: Origin = Origin {
    country: "SD",
    names: Names {
        first: &[
            "Mohamed", "Amna", "Osman", "Rawan", "Hamza", "Malaz", "Elfatih", "Tasneem",
        ],
        last: &[
            "Abdalla", "Suliman", "Ibrahim", "Elamin", "Babiker", "Khalid", "Mustafa", "Elnour",
        ],
    },
    languages: &["ar"],
};

static MOROCCO: Origin = Origin {
    country: "MA",
    names: Names {
        first: &[
            "Youssef", "Fatima", "Hamza", "Khadija", "Mehdi", "Salma", "Ayoub", "Imane", "Anass",
            "Zineb",
        ],
        last: &[
            "El Idrissi",
            "Benali",
            "Bouzid",
            "Ouahbi",
            "Tahiri",
            "Chraibi",
            "Lahlou",
            "Bennani",
        ],
    },
    languages: &["ar", "fr"],
};

static GEORGIA: Origin = Origin {
    country: "GE",
    names: Names {
        first: &[
            "Giorgi", "Nino", "Levan", "Tamar", "Davit", "Mariam", "Irakli", "Ana", "Luka",
            "Salome",
        ],
        last: &[
            "Beridze",
            "Kapanadze",
            "Gelashvili",
            "Maisuradze",
            "Lomidze",
            "Tsiklauri",
            "Javakhishvili",
            "Kvaratskhelia",
        ],
    },
    languages: &["ka", "ru"],
};

// ---------------------------------------------------------------------------------
// Tables: chapters

static AMSTERDAM: Chapter = Chapter {
    country: Country::Netherlands,
    city: "Amsterdam",
    language_name: "Dutch",
    permit_name: "TWV",
    learn_work: "Learn-work trajectory",
    taster: "Taster internship",
    local_languages: &["nl", "en"],
    extra_languages: &["de", "fr", "es", "ar", "tr"],
    work_languages: &["nl"],
    community_languages: &["ar", "ti"],
    locals: Names {
        first: &[
            "Sanne", "Jeroen", "Marieke", "Bas", "Fleur", "Thijs", "Anouk", "Joost", "Lotte",
            "Wouter", "Naima", "Soufiane", "Shanti", "Ruud", "Ingrid", "Daan",
        ],
        last: &[
            "de Vries",
            "Jansen",
            "Bakker",
            "Visser",
            "Smit",
            "Meijer",
            "de Boer",
            "Mulder",
            "van Dijk",
            "Bos",
            "El Amrani",
            "Ramdin",
            "Hendriks",
            "Kok",
        ],
    },
    local_nationality: "NL",
    // The Dutch list of safe countries of origin (a selection).
    safe_countries: &[
        "AL", "BA", "DZ", "GE", "GH", "IN", "MA", "ME", "MK", "MN", "RS", "SN", "TN", "XK",
    ],
    // Wettelijk minimumloon from 1 January 2026: €14.71 an hour.
    minimum_wage_cents: 1471,
    cohorts: &[
        cohort(&SYRIA, ResidenceStatus::StatusHolder, 5),
        cohort(&SYRIA, ResidenceStatus::AsylumSeeker, 1),
        cohort(&SYRIA, ResidenceStatus::Other, 1),
        cohort(&ERITREA, ResidenceStatus::StatusHolder, 4),
        cohort(&ERITREA, ResidenceStatus::AsylumSeeker, 1),
        cohort(&AFGHANISTAN, ResidenceStatus::StatusHolder, 3),
        cohort(&AFGHANISTAN, ResidenceStatus::AsylumSeeker, 2),
        cohort(&UKRAINE, ResidenceStatus::TemporaryProtection, 5),
        cohort(&IRAN, ResidenceStatus::StatusHolder, 2),
        cohort(&TURKEY, ResidenceStatus::AsylumSeeker, 2),
        cohort(&TURKEY, ResidenceStatus::StatusHolder, 1),
        cohort(&SOMALIA, ResidenceStatus::StatusHolder, 1),
        cohort(&YEMEN, ResidenceStatus::AsylumSeeker, 1),
        cohort(&MOROCCO, ResidenceStatus::AsylumSeeker, 1),
        cohort(&GEORGIA, ResidenceStatus::AsylumSeeker, 1),
    ],
    organisations: &[
        org(
            "Zorggroep Amstelhof",
            OrganisationKind::Employer,
            "healthcare",
            "Oost",
            "https://amstelhof-zorg.example",
        ),
        org(
            "Bouwbedrijf Van der Meer & Zonen",
            OrganisationKind::Employer,
            "construction",
            "Noord",
            "https://vandermeer-bouw.example",
        ),
        org(
            "Grachtwerk Software",
            OrganisationKind::Employer,
            "it",
            "West",
            "https://grachtwerk.example",
        ),
        org(
            "Hotel De Zeven Bruggen",
            OrganisationKind::Employer,
            "hospitality",
            "Centrum",
            "https://zevenbruggen-hotel.example",
        ),
        org(
            "Westpoort Distributie",
            OrganisationKind::Employer,
            "logistics",
            "Westpoort",
            "https://westpoort-distributie.example",
        ),
        org(
            "Buurtsuper Dagvers",
            OrganisationKind::Employer,
            "retail",
            "Nieuw-West",
            "https://dagvers.example",
        ),
        org(
            "Installatietechniek Noorderlicht",
            OrganisationKind::Employer,
            "engineering",
            "Noord",
            "https://noorderlicht-installatie.example",
        ),
        org(
            "Stichting Nieuwe Start Amsterdam",
            OrganisationKind::Ngo,
            "employment",
            "Oost",
            "https://nieuwestart.example",
        ),
        org(
            "Buurthuis De Meeuw",
            OrganisationKind::Ngo,
            "community",
            "Zuidoost",
            "https://buurthuis-demeeuw.example",
        ),
        org(
            "Gemeente Amsterdam – Team Werk & Statushouders",
            OrganisationKind::Municipality,
            "public-administration",
            "Centrum",
            "https://gemeente-amsterdam.example",
        ),
        org(
            "Vakcollege IJoever",
            OrganisationKind::Education,
            "education",
            "Noord",
            "https://vakcollege-ijoever.example",
        ),
        org(
            "Amstel Talenacademie",
            OrganisationKind::Education,
            "education",
            "Zuid",
            "https://amstel-talen.example",
        ),
    ],
};

static WASHINGTON_DC: Chapter = Chapter {
    country: Country::UnitedStates,
    city: "Washington, DC",
    language_name: "English",
    permit_name: "EAD",
    learn_work: "Earn-and-learn apprenticeship",
    taster: "Job shadowing",
    local_languages: &["en"],
    extra_languages: &["es", "fr", "am", "ko"],
    work_languages: &["en"],
    community_languages: &["fa", "ps", "es"],
    locals: Names {
        first: &[
            "Emily", "Marcus", "Jennifer", "David", "Keisha", "Brian", "Laura", "Michael", "Sarah",
            "Andre", "Rachel", "Kevin", "Meron", "Luis",
        ],
        last: &[
            "Johnson",
            "Williams",
            "Brown",
            "Miller",
            "Davis",
            "Thompson",
            "Carter",
            "Nguyen",
            "Patel",
            "Robinson",
            "O'Brien",
            "Kim",
            "Alvarez",
            "Washington",
        ],
    },
    local_nationality: "US",
    // The US keeps no list of safe countries of origin.
    safe_countries: &[],
    // District of Columbia minimum wage from 1 July 2025: $17.95 an hour.
    minimum_wage_cents: 1795,
    cohorts: &[
        cohort(&AFGHANISTAN, ResidenceStatus::StatusHolder, 6),
        cohort(&AFGHANISTAN, ResidenceStatus::AsylumSeeker, 2),
        cohort(&ERITREA, ResidenceStatus::StatusHolder, 2),
        cohort(&ETHIOPIA, ResidenceStatus::AsylumSeeker, 2),
        cohort(&UKRAINE, ResidenceStatus::TemporaryProtection, 3),
        cohort(&UKRAINE, ResidenceStatus::Other, 2),
        cohort(&VENEZUELA, ResidenceStatus::AsylumSeeker, 3),
        cohort(&VENEZUELA, ResidenceStatus::TemporaryProtection, 2),
        cohort(&EL_SALVADOR, ResidenceStatus::TemporaryProtection, 2),
        cohort(&SYRIA, ResidenceStatus::StatusHolder, 2),
        cohort(&IRAN, ResidenceStatus::AsylumSeeker, 2),
        cohort(&SOMALIA, ResidenceStatus::StatusHolder, 1),
    ],
    organisations: &[
        org(
            "Capitol Crescent Health Partners",
            OrganisationKind::Employer,
            "healthcare",
            "Columbia Heights",
            "https://capitolcrescent-health.example",
        ),
        org(
            "Anacostia Builders Cooperative",
            OrganisationKind::Employer,
            "construction",
            "Anacostia",
            "https://anacostia-builders.example",
        ),
        org(
            "Potomac Byteworks",
            OrganisationKind::Employer,
            "it",
            "NoMa",
            "https://potomac-byteworks.example",
        ),
        org(
            "Larkspur House Hotel & Kitchen",
            OrganisationKind::Employer,
            "hospitality",
            "Dupont Circle",
            "https://larkspur-house.example",
        ),
        org(
            "Beltway Freightworks",
            OrganisationKind::Employer,
            "logistics",
            "Ivy City",
            "https://beltway-freightworks.example",
        ),
        org(
            "Rock Creek Market Co-op",
            OrganisationKind::Employer,
            "retail",
            "Petworth",
            "https://rockcreek-market.example",
        ),
        org(
            "District Mechanical & Energy Services",
            OrganisationKind::Employer,
            "engineering",
            "Navy Yard",
            "https://district-mechanical.example",
        ),
        org(
            "New Neighbors Work Network",
            OrganisationKind::Ngo,
            "employment",
            "Shaw",
            "https://newneighbors-work.example",
        ),
        org(
            "Capital Welcome Table",
            OrganisationKind::Ngo,
            "community",
            "Adams Morgan",
            "https://welcometable-dc.example",
        ),
        org(
            "DC Office of Newcomer Workforce Services",
            OrganisationKind::Municipality,
            "public-administration",
            "Downtown",
            "https://newcomer-workforce-dc.example",
        ),
        org(
            "Northeast Trades Institute",
            OrganisationKind::Education,
            "education",
            "Brookland",
            "https://ne-trades.example",
        ),
        org(
            "Federal City Adult Learning Center",
            OrganisationKind::Education,
            "education",
            "Mount Pleasant",
            "https://federalcity-learning.example",
        ),
    ],
};

static MIAMI: Chapter = Chapter {
    country: Country::UnitedStates,
    city: "Miami",
    language_name: "English",
    permit_name: "EAD",
    learn_work: "Earn-and-learn apprenticeship",
    taster: "Job shadowing",
    local_languages: &["en", "es"],
    extra_languages: &["ht", "fr", "pt"],
    work_languages: &["en", "es"],
    community_languages: &["es", "ht"],
    locals: Names {
        first: &[
            "Carlos",
            "Daniela",
            "Alejandro",
            "Isabel",
            "Ashley",
            "Chris",
            "Nicole",
            "Jonathan",
            "Gabriela",
            "Ryan",
            "Marie",
            "Stephanie",
            "Javier",
            "Tanya",
        ],
        last: &[
            "Martinez",
            "Garcia",
            "Lopez",
            "Smith",
            "Johnson",
            "Rivera",
            "Delgado",
            "Morales",
            "Brown",
            "Diaz",
            "Pierre-Louis",
            "Castillo",
            "Cohen",
            "Reyes",
        ],
    },
    local_nationality: "US",
    safe_countries: &[],
    // Florida minimum wage from 30 September 2025: $14.00 an hour.
    minimum_wage_cents: 1400,
    cohorts: &[
        cohort(&VENEZUELA, ResidenceStatus::AsylumSeeker, 4),
        cohort(&VENEZUELA, ResidenceStatus::TemporaryProtection, 4),
        cohort(&VENEZUELA, ResidenceStatus::Other, 1),
        cohort(&CUBA, ResidenceStatus::Other, 4),
        cohort(&CUBA, ResidenceStatus::AsylumSeeker, 2),
        cohort(&CUBA, ResidenceStatus::StatusHolder, 1),
        cohort(&HAITI, ResidenceStatus::TemporaryProtection, 4),
        cohort(&HAITI, ResidenceStatus::AsylumSeeker, 2),
        cohort(&HAITI, ResidenceStatus::Other, 1),
        cohort(&NICARAGUA, ResidenceStatus::Other, 2),
        cohort(&NICARAGUA, ResidenceStatus::AsylumSeeker, 1),
        cohort(&UKRAINE, ResidenceStatus::TemporaryProtection, 1),
        cohort(&COLOMBIA, ResidenceStatus::AsylumSeeker, 2),
    ],
    organisations: &[
        org(
            "Bayfront Care Network",
            OrganisationKind::Employer,
            "healthcare",
            "Allapattah",
            "https://bayfront-care.example",
        ),
        org(
            "Coral Way Constructors",
            OrganisationKind::Employer,
            "construction",
            "Flagami",
            "https://coralway-constructors.example",
        ),
        org(
            "Brickell Bay Digital",
            OrganisationKind::Employer,
            "it",
            "Brickell",
            "https://brickellbay-digital.example",
        ),
        org(
            "Seagrape Hotels & Kitchens",
            OrganisationKind::Employer,
            "hospitality",
            "Downtown",
            "https://seagrape-hotels.example",
        ),
        org(
            "Poinciana Cargo Services",
            OrganisationKind::Employer,
            "logistics",
            "Little River",
            "https://poinciana-cargo.example",
        ),
        org(
            "Mercado Calle Ocho Co-op",
            OrganisationKind::Employer,
            "retail",
            "Little Havana",
            "https://mercado-calleocho.example",
        ),
        org(
            "Manatee Marine & Aviation Maintenance",
            OrganisationKind::Employer,
            "engineering",
            "Grapeland Heights",
            "https://manatee-maintenance.example",
        ),
        org(
            "Puente Nuevo Workforce Alliance",
            OrganisationKind::Ngo,
            "employment",
            "Little Havana",
            "https://puentenuevo.example",
        ),
        org(
            "Konbit Lakay Community Center",
            OrganisationKind::Ngo,
            "community",
            "Little Haiti",
            "https://konbit-lakay.example",
        ),
        org(
            "City of Miami Newcomer Employment Desk",
            OrganisationKind::Municipality,
            "public-administration",
            "Downtown",
            "https://miami-newcomer-desk.example",
        ),
        org(
            "Mangrove Coast Technical College",
            OrganisationKind::Education,
            "education",
            "Wynwood",
            "https://mangrove-tech.example",
        ),
        org(
            "Sunrise English & Career Academy",
            OrganisationKind::Education,
            "education",
            "Coconut Grove",
            "https://sunrise-academy.example",
        ),
    ],
};

/// Any other region: an international mix, with the city named after the slug.
static GENERIC: Chapter = Chapter {
    country: Country::Other,
    city: "",
    language_name: "English",
    permit_name: "work permit",
    learn_work: "Learn-work trajectory",
    taster: "Taster internship",
    local_languages: &["en"],
    extra_languages: &["de", "fr", "es", "nl", "it"],
    work_languages: &["en"],
    community_languages: &["ar", "uk"],
    locals: Names {
        first: &[
            "Anna", "Thomas", "Sofia", "Lukas", "Marie", "Jonas", "Elena", "Martin", "Clara",
            "Pavel", "Ines", "Mikael",
        ],
        last: &[
            "Müller",
            "Novak",
            "Rossi",
            "Dubois",
            "Andersen",
            "Kowalski",
            "Horvat",
            "Schmidt",
            "Janssens",
            "Lindqvist",
            "Moreau",
            "Costa",
        ],
    },
    local_nationality: "",
    safe_countries: &[],
    // A stand-in: a real region's minimum wage comes with its own chapter data.
    minimum_wage_cents: 1400,
    cohorts: &[
        cohort(&SYRIA, ResidenceStatus::StatusHolder, 4),
        cohort(&SYRIA, ResidenceStatus::AsylumSeeker, 1),
        cohort(&UKRAINE, ResidenceStatus::TemporaryProtection, 4),
        cohort(&AFGHANISTAN, ResidenceStatus::StatusHolder, 3),
        cohort(&AFGHANISTAN, ResidenceStatus::AsylumSeeker, 2),
        cohort(&ERITREA, ResidenceStatus::StatusHolder, 2),
        cohort(&ERITREA, ResidenceStatus::AsylumSeeker, 1),
        cohort(&IRAN, ResidenceStatus::StatusHolder, 2),
        cohort(&SOMALIA, ResidenceStatus::AsylumSeeker, 2),
        cohort(&VENEZUELA, ResidenceStatus::AsylumSeeker, 2),
        cohort(&TURKEY, ResidenceStatus::AsylumSeeker, 2),
        cohort(&SUDAN, ResidenceStatus::StatusHolder, 2),
        cohort(&YEMEN, ResidenceStatus::Other, 1),
        cohort(&HAITI, ResidenceStatus::TemporaryProtection, 1),
    ],
    organisations: &[
        org(
            "{city} Riverside Care Group",
            OrganisationKind::Employer,
            "healthcare",
            "Riverside",
            "https://{slug}-care.example",
        ),
        org(
            "Meridian & Oak Builders",
            OrganisationKind::Employer,
            "construction",
            "Harbour District",
            "https://meridian-oak.example",
        ),
        org(
            "Lanternfish Software",
            OrganisationKind::Employer,
            "it",
            "Station Quarter",
            "https://lanternfish-software.example",
        ),
        org(
            "Harbourview Hotel & Dining",
            OrganisationKind::Employer,
            "hospitality",
            "Old Town",
            "https://harbourview-hotel.example",
        ),
        org(
            "Crossroads Distribution Centre",
            OrganisationKind::Employer,
            "logistics",
            "Industrial Park",
            "https://crossroads-distribution.example",
        ),
        org(
            "Corner Basket Supermarkets",
            OrganisationKind::Employer,
            "retail",
            "North",
            "https://cornerbasket.example",
        ),
        org(
            "Bluewire Technical Services",
            OrganisationKind::Employer,
            "engineering",
            "East",
            "https://bluewire-technical.example",
        ),
        org(
            "Open Doors Work Network {city}",
            OrganisationKind::Ngo,
            "employment",
            "City Centre",
            "https://opendoors-{slug}.example",
        ),
        org(
            "{city} Welcome House",
            OrganisationKind::Ngo,
            "community",
            "South",
            "https://{slug}-welcome.example",
        ),
        org(
            "{city} Municipal Employment Office",
            OrganisationKind::Municipality,
            "public-administration",
            "City Centre",
            "https://{slug}-city.example",
        ),
        org(
            "{city} Technical College",
            OrganisationKind::Education,
            "education",
            "West",
            "https://{slug}-techcollege.example",
        ),
        org(
            "Polyglot Adult Learning Centre",
            OrganisationKind::Education,
            "education",
            "City Centre",
            "https://polyglot-learning.example",
        ),
    ],
};

// ---------------------------------------------------------------------------------
// Tables: opportunities

static OPPORTUNITIES: &[OpportunitySpec] = &[
    // Jobs
    OpportunitySpec {
        organisation: CARE,
        kind: OpportunityKind::Job,
        title: "Care assistant in elderly care",
        description: "Support the residents of a small-scale living group in {city} with \
                      daily care and activities. You start with an experienced colleague as \
                      buddy, and we pay for a recognised care certificate after six months.",
        sector: "healthcare",
        skills: &["elderly care", "personal care", "patient observation"],
        languages: Langs::Local,
        hours: 24,
        paid: true,
        wage: 115,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: BUILDER,
        kind: OpportunityKind::Job,
        title: "Construction worker – formwork and concrete",
        description: "Join a crew building affordable housing. Safety training is given on \
                      the first day and experience from abroad counts. We check your work \
                      authorisation ({permit}) with you before the start.",
        sector: "construction",
        skills: &[
            "formwork",
            "reading construction drawings",
            "working safely at height",
        ],
        languages: Langs::Local,
        hours: 38,
        paid: true,
        wage: 130,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: SOFTWARE,
        kind: OpportunityKind::Job,
        title: "Junior back-end developer (Python)",
        description: "Build the booking platform used by local sports clubs, in a team of \
                      six. English is the working language; {language} is a plus, not a \
                      requirement. Foreign degrees and bootcamp certificates are both welcome.",
        sector: "it",
        skills: &["Python", "SQL", "REST APIs", "Git"],
        languages: Langs::English,
        hours: 36,
        paid: true,
        wage: 175,
        self_employed: false,
        location: "Hybrid, {city}",
    },
    OpportunitySpec {
        organisation: HOTEL,
        kind: OpportunityKind::Job,
        title: "Line cook",
        description: "Cook breakfast and lunch in a busy hotel kitchen with an international \
                      team. Fixed day shifts and no split shifts, so language classes fit \
                      around work.",
        sector: "hospitality",
        skills: &["food preparation", "food safety (HACCP)", "grill station"],
        languages: Langs::LocalEnglish,
        hours: 32,
        paid: true,
        wage: 112,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: WAREHOUSE,
        kind: OpportunityKind::Job,
        title: "Order picker, day shift",
        description: "Pick and pack orders for grocery deliveries across {city}. \
                      Instructions are visual and our team leads speak several languages.",
        sector: "logistics",
        skills: &["order picking", "inventory scanning", "teamwork"],
        languages: Langs::LocalCommunity,
        hours: 32,
        paid: true,
        wage: 104,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: WAREHOUSE,
        kind: OpportunityKind::Job,
        title: "Forklift driver",
        description: "Load and unload trucks at our distribution centre. A forklift \
                      certificate is needed; if yours is from abroad, we arrange and pay for \
                      a conversion course.",
        sector: "logistics",
        skills: &["forklift operation", "loading and securing cargo"],
        languages: Langs::Local,
        hours: 40,
        paid: true,
        wage: 115,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: SHOP,
        kind: OpportunityKind::Job,
        title: "Store assistant – fresh produce",
        description: "Keep the fruit and vegetable department fresh and help customers find \
                      what they need. Part-time hours that combine well with language classes.",
        sector: "retail",
        skills: &["customer service", "stock control", "cash handling"],
        languages: Langs::Local,
        hours: 20,
        paid: true,
        wage: 102,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: INSTALLER,
        kind: OpportunityKind::Job,
        title: "Electrical installation technician",
        description: "Install and maintain electrical systems in homes and offices around \
                      {city}. Electricians trained abroad get a certification route tailored \
                      to them, paid by us.",
        sector: "engineering",
        skills: &[
            "electrical installation",
            "fault finding",
            "reading wiring diagrams",
        ],
        languages: Langs::Local,
        hours: 40,
        paid: true,
        wage: 140,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: MUNICIPALITY,
        kind: OpportunityKind::Job,
        title: "Work coach for newcomers",
        description: "Guide newcomers in {city} from their first steps to a job or training, \
                      together with employers and volunteer coaches. Having been a refugee \
                      yourself is an asset in this role.",
        sector: "public-administration",
        skills: &["coaching", "case management", "intercultural communication"],
        languages: Langs::LocalCommunity,
        hours: 32,
        paid: true,
        wage: 150,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: CARE,
        kind: OpportunityKind::Job,
        title: "Pharmacy assistant",
        description: "Prepare prescriptions and advise patients at our outpatient pharmacy. \
                      Pharmacists trained abroad can work here while their diploma is being \
                      recognised.",
        sector: "healthcare",
        skills: &["dispensing", "patient counselling", "stock management"],
        languages: Langs::LocalEnglish,
        hours: 28,
        paid: true,
        wage: 120,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: CARE,
        kind: OpportunityKind::Job,
        title: "Freelance community interpreter",
        description: "Interpret between patients and staff at appointments in our clinics \
                      and care homes, on site or by phone, at short notice. You work as a \
                      freelancer and invoice the hours you interpret; we help you register \
                      your business and pay for a medical-terminology course.",
        sector: "healthcare",
        skills: &[
            "community interpreting",
            "consecutive interpreting",
            "cultural mediation",
        ],
        languages: Langs::LocalCommunity,
        hours: 12,
        paid: true,
        wage: 200,
        self_employed: true,
        location: "",
    },
    // Internships
    OpportunitySpec {
        organisation: INSTALLER,
        kind: OpportunityKind::Internship,
        title: "Engineering internship – HVAC design",
        description: "Six months in our design office calculating heating and ventilation \
                      for renovation projects. For mechanical engineers with a foreign degree \
                      who want local work experience.",
        sector: "engineering",
        skills: &["HVAC systems", "AutoCAD", "technical drawing"],
        languages: Langs::LocalEnglish,
        hours: 32,
        paid: true,
        wage: 100,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: SOFTWARE,
        kind: OpportunityKind::Internship,
        title: "Data analyst internship",
        description: "Turn booking data into dashboards for club managers, supervised by a \
                      senior analyst. Four months, with the option of a junior contract \
                      afterwards.",
        sector: "it",
        skills: &["SQL", "Power BI", "Excel"],
        languages: Langs::English,
        hours: 32,
        paid: true,
        wage: 105,
        self_employed: false,
        location: "Hybrid, {city}",
    },
    OpportunitySpec {
        organisation: MUNICIPALITY,
        kind: OpportunityKind::Internship,
        title: "Internship at the employment service desk",
        description: "Help residents with questions about work and income at the city's \
                      service desk, supervised by a senior adviser. Your own languages are an \
                      asset here.",
        sector: "public-administration",
        skills: &["customer contact", "administration", "Microsoft Office"],
        languages: Langs::LocalCommunity,
        hours: 24,
        paid: true,
        wage: 100,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: WORK_NGO,
        kind: OpportunityKind::Internship,
        title: "Communication internship",
        description: "Tell the stories of newcomers who found work, on our website and social \
                      media. Journalists and designers trained abroad are very welcome.",
        sector: "media",
        skills: &["social media", "writing", "photography"],
        languages: Langs::LocalEnglish,
        hours: 24,
        paid: false,
        wage: 0,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: BUILDER,
        kind: OpportunityKind::Internship,
        title: "Site engineering internship for foreign-trained engineers",
        description: "Work alongside our site engineers on a housing project for three months \
                      and learn the local building codes. Aimed at civil engineers whose \
                      diploma is being recognised.",
        sector: "construction",
        skills: &[
            "site supervision",
            "structural calculations",
            "safety awareness",
        ],
        languages: Langs::LocalEnglish,
        hours: 36,
        paid: true,
        wage: 110,
        self_employed: false,
        location: "",
    },
    // Taster internships
    OpportunitySpec {
        organisation: HOTEL,
        kind: OpportunityKind::TasterInternship,
        title: "{taster}: a week in a hotel kitchen",
        description: "Spend five mornings with our kitchen team to find out whether \
                      hospitality suits you. No experience needed; lunch is on us.",
        sector: "hospitality",
        skills: &["food preparation", "food safety (HACCP)"],
        languages: Langs::LocalEnglish,
        hours: 20,
        paid: false,
        wage: 0,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: CARE,
        kind: OpportunityKind::TasterInternship,
        title: "{taster} in a care home",
        description: "Join a care team for two weeks and find out what working in elderly \
                      care is like. Participants who like it can continue in our paid care \
                      training programme.",
        sector: "healthcare",
        skills: &["elderly care", "listening"],
        languages: Langs::Local,
        hours: 16,
        paid: false,
        wage: 0,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: SHOP,
        kind: OpportunityKind::TasterInternship,
        title: "{taster}: three days at the supermarket",
        description: "Get to know the shop floor, the stockroom and the checkout over three \
                      days. A good way to practise {language} with customers.",
        sector: "retail",
        skills: &["customer service", "stock control"],
        languages: Langs::Local,
        hours: 12,
        paid: false,
        wage: 0,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: WAREHOUSE,
        kind: OpportunityKind::TasterInternship,
        title: "{taster}: warehouse and logistics",
        description: "Two days in our distribution centre, including a supervised forklift \
                      try-out. Safety shoes are provided.",
        sector: "logistics",
        skills: &["order picking", "forklift operation"],
        languages: Langs::LocalCommunity,
        hours: 16,
        paid: false,
        wage: 0,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: COLLEGE,
        kind: OpportunityKind::TasterInternship,
        title: "{taster} at the technical college workshops",
        description: "Try welding, wiring and carpentry in our workshops for a day and talk \
                      to teachers about vocational courses. Interpreters are available on \
                      request.",
        sector: "education",
        skills: &["welding", "electrical installation", "carpentry"],
        languages: Langs::LocalEnglish,
        hours: 6,
        paid: false,
        wage: 0,
        self_employed: false,
        location: "",
    },
    // Volunteering
    OpportunitySpec {
        organisation: COMMUNITY_NGO,
        kind: OpportunityKind::Volunteer,
        title: "Language buddy: practise {language} with a newcomer",
        description: "Meet a newcomer once a week for coffee and conversation in {language}. \
                      We match you on shared interests or profession.",
        sector: "community",
        skills: &["conversation", "patience", "listening"],
        languages: Langs::Local,
        hours: 2,
        paid: false,
        wage: 0,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: COMMUNITY_NGO,
        kind: OpportunityKind::Volunteer,
        title: "Volunteer cook at the neighbourhood kitchen",
        description: "Cook a weekly dinner for sixty neighbours with a mixed team of locals \
                      and newcomers. Recipes from every country are welcome.",
        sector: "hospitality",
        skills: &["cooking for large groups", "food safety (HACCP)"],
        languages: Langs::LocalCommunity,
        hours: 6,
        paid: false,
        wage: 0,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: WORK_NGO,
        kind: OpportunityKind::Volunteer,
        title: "Volunteer job coach",
        description: "Coach one newcomer for a year towards work or study: CV, interviews, \
                      network. You get a three-part training and meet other coaches every \
                      month.",
        sector: "employment",
        skills: &["coaching", "CV review", "job interview practice"],
        languages: Langs::Local,
        hours: 4,
        paid: false,
        wage: 0,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: WORK_NGO,
        kind: OpportunityKind::Volunteer,
        title: "Peer interpreter at the welcome desk",
        description: "Help new arrivals at our weekly welcome desk by interpreting and \
                      explaining how things work in {city}. Volunteering counts as social \
                      participation and builds local references.",
        sector: "community",
        skills: &["interpreting", "cultural mediation"],
        languages: Langs::LocalCommunity,
        hours: 6,
        paid: false,
        wage: 0,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: LANGUAGE_SCHOOL,
        kind: OpportunityKind::Volunteer,
        title: "Homework support for children",
        description: "Help primary school children with their homework two afternoons a week. \
                      Teachers from abroad often find this a good way back into education.",
        sector: "education",
        skills: &["tutoring", "mathematics", "patience"],
        languages: Langs::Local,
        hours: 4,
        paid: false,
        wage: 0,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: COMMUNITY_NGO,
        kind: OpportunityKind::Volunteer,
        title: "Repair café volunteer: bikes and electronics",
        description: "Repair bikes, lamps and phones together with neighbours every other \
                      Saturday. Technicians and handy people of every background are welcome.",
        sector: "community",
        skills: &["bicycle repair", "soldering", "fault finding"],
        languages: Langs::LocalEnglish,
        hours: 4,
        paid: false,
        wage: 0,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: CARE,
        kind: OpportunityKind::Volunteer,
        title: "Activity companion for residents",
        description: "Take residents for walks, play games or make music together. A calm way \
                      to gain experience in care and to practise {language}.",
        sector: "healthcare",
        skills: &["organising activities", "listening", "elderly care"],
        languages: Langs::Local,
        hours: 4,
        paid: false,
        wage: 0,
        self_employed: false,
        location: "",
    },
    // Learning-work trajectories
    OpportunitySpec {
        organisation: CARE,
        kind: OpportunityKind::LearnWork,
        title: "{learn_work}: certified care worker",
        description: "Work three days a week in one of our care homes and study one day a week \
                      towards a recognised care diploma. You are paid from day one and have \
                      your own practice supervisor.",
        sector: "healthcare",
        skills: &["personal care", "medication administration", "elderly care"],
        languages: Langs::Local,
        hours: 32,
        paid: true,
        wage: 105,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: BUILDER,
        kind: OpportunityKind::LearnWork,
        title: "{learn_work}: carpenter",
        description: "Learn the trade on our building sites from a master carpenter, with one \
                      school day a week at the technical college. Two years, paid, ending with \
                      a recognised certificate.",
        sector: "construction",
        skills: &[
            "measuring and cutting",
            "timber framing",
            "reading construction drawings",
        ],
        languages: Langs::Local,
        hours: 36,
        paid: true,
        wage: 105,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: WAREHOUSE,
        kind: OpportunityKind::LearnWork,
        title: "{learn_work}: logistics employee with forklift certificate",
        description: "A paid one-year route to a logistics diploma, forklift certificate \
                      included. Work-related {language} lessons are part of the programme.",
        sector: "logistics",
        skills: &["forklift operation", "inventory scanning", "order picking"],
        languages: Langs::LocalCommunity,
        hours: 32,
        paid: true,
        wage: 102,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: COLLEGE,
        kind: OpportunityKind::LearnWork,
        title: "{learn_work}: installation technician",
        description: "With local installation companies we offer a paid two-year programme: \
                      four days at work, one day in our workshops. Open to newcomers with a \
                      technical background.",
        sector: "engineering",
        skills: &[
            "electrical installation",
            "solar panel installation",
            "safety awareness",
        ],
        languages: Langs::LocalEnglish,
        hours: 36,
        paid: true,
        wage: 105,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: HOTEL,
        kind: OpportunityKind::LearnWork,
        title: "{learn_work}: hospitality host",
        description: "Work front-of-house in our hotel restaurant while earning a hospitality \
                      certificate. Schedules are planned around language classes.",
        sector: "hospitality",
        skills: &[
            "customer service",
            "reservations",
            "food and beverage service",
        ],
        languages: Langs::LocalEnglish,
        hours: 28,
        paid: true,
        wage: 102,
        self_employed: false,
        location: "",
    },
    // Projects
    OpportunitySpec {
        organisation: MUNICIPALITY,
        kind: OpportunityKind::Project,
        title: "Newcomer review panel for the city's work programme",
        description: "Review new employment schemes and vacancy texts before the city \
                      publishes them, in four evening sessions. Panel members receive an \
                      allowance for every session.",
        sector: "public-administration",
        skills: &["giving feedback", "lived experience", "group discussion"],
        languages: Langs::LocalCommunity,
        hours: 4,
        paid: true,
        wage: 150,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: SOFTWARE,
        kind: OpportunityKind::Project,
        title: "Translate our onboarding app into newcomer languages",
        description: "A paid freelance project of about six weeks: translate and test the \
                      screens of our onboarding app. Native speakers of the main newcomer \
                      languages in {city} wanted.",
        sector: "it",
        skills: &["translation", "localisation", "proofreading"],
        languages: Langs::EnglishCommunity,
        hours: 8,
        paid: true,
        wage: 190,
        self_employed: true,
        location: "Remote",
    },
    OpportunitySpec {
        organisation: LANGUAGE_SCHOOL,
        kind: OpportunityKind::Project,
        title: "Develop a vocabulary course for construction workers",
        description: "Build a short, picture-based vocabulary course for newcomers starting on \
                      building sites. Language teachers and construction workers develop it \
                      together.",
        sector: "education",
        skills: &[
            "curriculum design",
            "language teaching",
            "construction vocabulary",
        ],
        languages: Langs::LocalEnglish,
        hours: 6,
        paid: true,
        wage: 160,
        self_employed: false,
        location: "",
    },
    OpportunitySpec {
        organisation: WORK_NGO,
        kind: OpportunityKind::Project,
        title: "Women and work: peer circle",
        description: "Bring together newcomer women who want to explore work, study or their \
                      own business, in eight monthly meetings with childcare provided. Led by \
                      two women who found their own way to work in {city}.",
        sector: "employment",
        skills: &["group facilitation", "peer support", "career orientation"],
        languages: Langs::LocalCommunity,
        hours: 4,
        paid: false,
        wage: 0,
        self_employed: false,
        location: "",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    const REGIONS: [&str; 5] = ["amsterdam", "washington-dc", "miami", "rotterdam", "x"];

    fn is_slug(text: &str) -> bool {
        (1..=60).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }

    fn is_language(code: &str) -> bool {
        (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())
    }

    fn is_skill(skill: &str) -> bool {
        (1..=60).contains(&skill.chars().count()) && !skill.chars().any(char::is_control)
    }

    fn is_date(text: &str) -> bool {
        text.len() == 10 && ("2019-01-01"..="2026-11-01").contains(&text)
    }

    #[test]
    fn members_are_valid_distinct_and_varied() {
        for region in REGIONS {
            let members = members(region);
            assert!((35..=45).contains(&members.len()), "{region}");
            let mut names = HashSet::new();
            let mut roles = HashSet::new();
            let mut statuses = HashSet::new();
            let mut sharing = 0;
            for member in &members {
                assert!(member.id.is_empty() && member.create_time.is_none());
                let profile = member.profile.as_ref().expect("profile");
                let regional = member.regional.as_ref().expect("regional");
                let name = &profile.display_name;
                assert!((1..=120).contains(&name.chars().count()), "{name}");
                assert!(names.insert(name.clone()), "duplicate {name} in {region}");
                assert!(profile.home_region.is_empty());
                assert!(profile.profession.chars().count() <= 120);
                assert!(!profile.sectors.is_empty() && profile.sectors.len() <= 20);
                assert!(profile.sectors.iter().all(|s| is_slug(s)), "{name}");
                assert!(!profile.skills.is_empty() && profile.skills.len() <= 50);
                assert!(profile.skills.iter().all(|s| is_skill(s)), "{name}");
                assert!(!profile.languages.is_empty() && profile.languages.len() <= 20);
                assert!(profile.languages.iter().all(|l| is_language(l)), "{name}");
                assert!((0..=40).contains(&profile.experience_years), "{name}");
                assert!((0..=40).contains(&profile.available_hours_per_week));
                assert!(profile.education_level != 0);
                assert!(regional.role != 0 && regional.residence_status != 0);
                let date = &regional.asylum_application_date;
                assert!(date.is_empty() || is_date(date), "{name}: {date}");
                for permit in &regional.permits {
                    assert!(!permit.kind.is_empty());
                    assert!(permit.valid_until.is_empty() || permit.valid_until.len() == 10);
                }
                let nationality = &regional.nationality;
                assert!(
                    nationality.is_empty()
                        || (nationality.len() == 2
                            && nationality.bytes().all(|b| b.is_ascii_uppercase())),
                    "{name}: {nationality}"
                );
                assert!((0..=150).contains(&regional.asylum_clock_stopped_days));
                assert!(regional.asylum_clock_stopped_days == 0 || date.as_str() <= "2026-04-30");
                assert!((0..=10).contains(&regional.buddy_capacity));
                roles.insert(regional.role);
                statuses.insert(regional.residence_status);
                sharing += usize::from(profile.share_across_regions);
            }
            assert_eq!(roles.len(), 3, "{region}");
            assert_eq!(statuses.len(), 5, "{region}");
            assert!(sharing > members.len() / 2 && sharing < members.len());
        }
    }

    #[test]
    fn organisations_are_valid() {
        for region in REGIONS {
            let organisations = organisations(region);
            assert_eq!(organisations.len(), LANGUAGE_SCHOOL + 1);
            let kinds: HashSet<i32> = organisations.iter().map(|o| o.kind).collect();
            assert_eq!(kinds.len(), 4);
            for organisation in &organisations {
                assert!((1..=200).contains(&organisation.name.chars().count()));
                assert!(!organisation.name.contains('{'), "{}", organisation.name);
                assert!(is_slug(&organisation.sector));
                assert!(organisation.location.chars().count() <= 120);
                assert!(organisation.website.starts_with("https://"));
                assert!(organisation.website.ends_with(".example"));
            }
        }
    }

    #[test]
    fn opportunities_are_valid_and_cover_every_kind() {
        for region in REGIONS {
            let organisations = organisations(region).len();
            let opportunities = opportunities(region);
            let kinds: HashSet<i32> = opportunities.iter().map(|(_, o, _)| o.kind).collect();
            assert_eq!(kinds.len(), 6);
            let published = opportunities
                .iter()
                .filter(|(_, _, status)| *status == OpportunityStatus::Published)
                .count();
            assert!(published * 2 > opportunities.len());
            for (index, opportunity, _) in &opportunities {
                assert!(*index < organisations);
                assert!(opportunity.organisation_id.is_empty() && opportunity.status == 0);
                let title = &opportunity.title;
                assert!((1..=200).contains(&title.chars().count()) && !title.contains('{'));
                assert!(opportunity.description.chars().count() <= 5000);
                assert!(!opportunity.description.contains('{'), "{title}");
                assert!(is_slug(&opportunity.sector));
                assert!(opportunity.skills.iter().all(|s| is_skill(s)));
                assert!(!opportunity.languages.is_empty());
                assert!(opportunity.languages.iter().all(|l| is_language(l)));
                assert!((1..=60).contains(&opportunity.hours_per_week));
                assert!(!opportunity.location.is_empty());
                let minimum = Region::new(region).chapter.minimum_wage_cents;
                if opportunity.paid {
                    assert!(
                        opportunity.hourly_wage_cents >= minimum,
                        "{title} in {region}"
                    );
                } else {
                    assert_eq!(opportunity.hourly_wage_cents, 0, "{title}");
                    assert!(!opportunity.self_employment, "{title}");
                }
            }
            let freelance = opportunities
                .iter()
                .filter(|(_, o, _)| o.self_employment)
                .count();
            assert_eq!(freelance, 2, "{region}");
        }
    }

    #[test]
    fn paid_work_pays_at_least_the_local_minimum_wage() {
        let wages = |region: &str| -> Vec<i64> {
            opportunities(region)
                .into_iter()
                .filter(|(_, o, _)| o.paid)
                .map(|(_, o, _)| o.hourly_wage_cents)
                .collect()
        };
        for (region, minimum) in [
            ("amsterdam", 1471),
            ("washington-dc", 1795),
            ("miami", 1400),
        ] {
            let wages = wages(region);
            assert!(!wages.is_empty());
            assert!(
                wages.iter().all(|&cents| cents >= minimum),
                "{region}: {wages:?}"
            );
            assert!(
                wages.iter().all(|&cents| cents % 5 == 0),
                "{region}: {wages:?}"
            );
        }
    }

    #[test]
    fn members_carry_the_facts_the_labour_market_rules_read() {
        for region in REGIONS {
            for member in members(region) {
                let regional = member.regional.expect("regional");
                let role = MemberRole::try_from(regional.role).expect("role");
                let status = ResidenceStatus::try_from(regional.residence_status).expect("status");
                if role == MemberRole::Newcomer {
                    assert!(
                        !regional.nationality.is_empty(),
                        "every newcomer's nationality"
                    );
                }
                assert_eq!(
                    regional.buddy_capacity > 0,
                    role == MemberRole::Local,
                    "locals buddy 1 to 3 newcomers"
                );
                assert!(regional.buddy_capacity <= 3);
                if status != ResidenceStatus::AsylumSeeker {
                    assert_eq!(regional.asylum_clock_stopped_days, 0);
                }
            }
        }
        let amsterdam = members("amsterdam");
        let regional = |member: &v1::Member| member.regional.clone().expect("regional");
        let safe: Vec<String> = amsterdam
            .iter()
            .map(regional)
            .filter(|r| r.safe_country_national)
            .map(|r| r.nationality)
            .collect();
        assert_eq!(safe.len(), 2, "{safe:?}");
        assert!(safe.contains(&"MA".to_owned()) && safe.contains(&"GE".to_owned()));
        let in_reception = amsterdam
            .iter()
            .map(regional)
            .filter(|r| r.in_reception_centre)
            .count();
        assert!(in_reception >= 3, "{in_reception} in a reception centre");
        for region in ["washington-dc", "miami"] {
            let members = members(region);
            assert!(members.iter().map(regional).all(|r| !r.in_reception_centre));
            assert!(
                members
                    .iter()
                    .map(regional)
                    .all(|r| !r.safe_country_national)
            );
            let clock_stopped = members
                .iter()
                .map(regional)
                .filter(|r| r.asylum_clock_stopped_days > 0)
                .count();
            assert!(clock_stopped >= 1, "{region}: some asylum clocks stopped");
        }
    }

    #[test]
    fn no_one_appears_in_two_regions() {
        let mut names = HashSet::new();
        for region in ["amsterdam", "washington-dc", "miami", "rotterdam"] {
            for member in members(region) {
                let name = member.profile.expect("profile").display_name;
                assert!(names.insert(name.clone()), "{name} twice");
            }
        }
    }

    #[test]
    fn seed_data_is_deterministic() {
        assert_eq!(members("miami"), members("miami"));
        assert_eq!(opportunities("amsterdam"), opportunities("amsterdam"));
        assert_ne!(members("amsterdam"), members("miami"));
    }
}
