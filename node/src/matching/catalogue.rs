//! The region's published opportunities, held in memory for matching: a member is
//! matched against every one of them, and reading 100,000 rows per request would
//! take longer than deciding. Every write that can change what is published calls
//! [`Catalogue::refresh`] after its commit, so the catalogue follows the database.
//!
//! What rules read of each opportunity (kind, paid, hours, sector,
//! self-employment, wage, organisation kind and headcount) is kept as small interned ids, so a
//! member's rules are decided once per combination of the values each rule reads,
//! not once per opportunity.

use std::collections::HashMap;
use std::sync::RwLock;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::Result;
use crate::rules::OpportunityFacts;
use crate::rules::facts::OPPORTUNITY_FIELDS;
use crate::store::entity::{opportunity, organisation};

/// A published opportunity as matching sees it; words and rule facts are interned.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: Uuid,
    /// What the rules read of it: per field of [`OPPORTUNITY_FIELDS`], the id of
    /// its value in [`Listing::facts`].
    pub facts: [u32; FIELDS],
    pub sector: u32,
    pub skills: Box<[u32]>,
    pub languages: Box<[u32]>,
    pub hours_per_week: i32,
}

/// How many opportunity fields rules read.
pub const FIELDS: usize = OPPORTUNITY_FIELDS.len();

/// What matching looks at first of each opportunity, kept apart from [`Listed`]
/// (and beside it, index for index) so that a pass over a million of them reads
/// a few megabytes: whether it can fit a member better than one that matches
/// neither a skill nor the sector, and its class of rule facts.
#[derive(Debug, Clone, Copy)]
pub struct Screen {
    /// A bit per skill it asks (word id modulo 64): two that share no bit share
    /// no skill.
    pub skill_bits: u64,
    pub asks_no_skills: bool,
    pub sector: u32,
    /// Its class: the index in [`Listing::classes`] of its rule facts.
    pub class: u32,
}

/// The bit of a word in [`Screen::skill_bits`].
pub fn skill_bit(word: u32) -> u64 {
    1 << (word % 64)
}

impl Screen {
    /// Whether the opportunity may fit a member with these skills (as bits) and
    /// sectors better than one that shares neither a skill nor the sector can.
    pub fn may_fit(&self, skill_bits: u64, sectors: &[u32]) -> bool {
        self.asks_no_skills || self.skill_bits & skill_bits != 0 || sectors.contains(&self.sector)
    }
}

/// One value of an opportunity field that rules read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FactValue {
    Text(String),
    Number(i64),
    Flag(bool),
    /// An hourly wage, by its bits.
    Wage(u64),
}

/// The values each rule-read field takes across the catalogue, interned.
#[derive(Debug, Default)]
pub struct FactValues {
    values: [Vec<FactValue>; FIELDS],
    ids: [HashMap<FactValue, u32>; FIELDS],
}

impl FactValues {
    fn intern(&mut self, field: usize, value: FactValue) -> u32 {
        if let Some(id) = self.ids[field].get(&value) {
            return *id;
        }
        let id = self.values[field].len() as u32;
        self.ids[field].insert(value.clone(), id);
        self.values[field].push(value);
        id
    }

    fn intern_all(&mut self, facts: &OpportunityFacts) -> [u32; FIELDS] {
        [
            self.intern(0, FactValue::Text(facts.kind.clone())),
            self.intern(1, FactValue::Flag(facts.paid)),
            self.intern(2, FactValue::Number(facts.hours_per_week)),
            self.intern(3, FactValue::Text(facts.sector.clone())),
            self.intern(4, FactValue::Flag(facts.self_employment)),
            self.intern(5, FactValue::Wage(facts.hourly_wage.to_bits())),
            self.intern(6, FactValue::Text(facts.organisation_kind.clone())),
            self.intern(7, FactValue::Number(facts.employer_headcount)),
        ]
    }

    /// How many values `field` takes.
    pub fn cardinality(&self, field: usize) -> usize {
        self.values[field].len()
    }

    /// The facts an opportunity with these value ids has.
    pub fn facts(&self, ids: &[u32; FIELDS]) -> OpportunityFacts {
        let text = |field: usize| match self.values[field].get(ids[field] as usize) {
            Some(FactValue::Text(text)) => text.clone(),
            _ => String::new(),
        };
        let number = |field: usize| match self.values[field].get(ids[field] as usize) {
            Some(FactValue::Number(n)) => *n,
            _ => 0,
        };
        let flag = |field: usize| {
            matches!(
                self.values[field].get(ids[field] as usize),
                Some(FactValue::Flag(true))
            )
        };
        let wage = match self.values[5].get(ids[5] as usize) {
            Some(FactValue::Wage(bits)) => f64::from_bits(*bits),
            _ => 0.0,
        };
        OpportunityFacts {
            kind: text(0),
            paid: flag(1),
            hours_per_week: number(2),
            sector: text(3),
            self_employment: flag(4),
            hourly_wage: wage,
            organisation_kind: text(6),
            employer_headcount: number(7),
        }
    }
}

/// Lower-cased words (skills, languages, sectors) as small numbers.
#[derive(Debug, Default)]
pub struct Words {
    ids: HashMap<String, u32>,
    words: Vec<String>,
}

impl Words {
    fn intern(&mut self, word: &str) -> u32 {
        let word = word.trim().to_lowercase();
        if let Some(id) = self.ids.get(&word) {
            return *id;
        }
        let id = self.words.len() as u32;
        self.ids.insert(word.clone(), id);
        self.words.push(word);
        id
    }

    /// The id of `word`, if any opportunity uses it.
    pub fn find(&self, word: &str) -> Option<u32> {
        self.ids.get(&word.trim().to_lowercase()).copied()
    }

    pub fn word(&self, id: u32) -> &str {
        self.words
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// The published opportunities of a region.
#[derive(Debug, Default)]
pub struct Listing {
    pub opportunities: Vec<Listed>,
    /// Each opportunity's [`Screen`], at the same index.
    pub screens: Vec<Screen>,
    by_id: HashMap<Uuid, usize>,
    pub facts: FactValues,
    pub words: Words,
    /// Every combination of rule facts seen (a class), and how many listed
    /// opportunities have it now: a member's rules are decided once per class.
    pub classes: Vec<[u32; FIELDS]>,
    pub class_sizes: Vec<u32>,
    class_ids: HashMap<[u32; FIELDS], u32>,
}

impl Listing {
    fn upsert(&mut self, row: &opportunity::Model, organisation: &Employer) {
        let facts = OpportunityFacts::from_row(row, &organisation.kind, organisation.headcount);
        let strings = crate::convert::strings_from_json;
        let listed = Listed {
            id: row.id,
            facts: self.facts.intern_all(&facts),
            sector: self.words.intern(&row.sector),
            skills: strings(&row.skills)
                .iter()
                .map(|s| self.words.intern(s))
                .collect(),
            languages: strings(&row.languages)
                .iter()
                .map(|s| self.words.intern(s))
                .collect(),
            hours_per_week: row.hours_per_week,
        };
        let screen = Screen {
            skill_bits: listed.skills.iter().fold(0, |bits, s| bits | skill_bit(*s)),
            asks_no_skills: listed.skills.is_empty(),
            sector: listed.sector,
            class: self.class_of(listed.facts),
        };
        self.class_sizes[screen.class as usize] += 1;
        match self.by_id.get(&row.id) {
            Some(index) => {
                let before = self.screens[*index].class as usize;
                self.class_sizes[before] -= 1;
                self.opportunities[*index] = listed;
                self.screens[*index] = screen;
            }
            None => {
                self.by_id.insert(row.id, self.opportunities.len());
                self.opportunities.push(listed);
                self.screens.push(screen);
            }
        }
    }

    /// The class of an opportunity with these rule facts (a new one if none has
    /// had them).
    fn class_of(&mut self, facts: [u32; FIELDS]) -> u32 {
        if let Some(class) = self.class_ids.get(&facts) {
            return *class;
        }
        let class = self.classes.len() as u32;
        self.class_ids.insert(facts, class);
        self.classes.push(facts);
        self.class_sizes.push(0);
        class
    }

    pub(crate) fn remove(&mut self, id: Uuid) {
        let Some(index) = self.by_id.remove(&id) else {
            return;
        };
        self.opportunities.swap_remove(index);
        let screen = self.screens.swap_remove(index);
        self.class_sizes[screen.class as usize] -= 1;
        if let Some(moved) = self.opportunities.get(index) {
            self.by_id.insert(moved.id, index);
        }
    }

    /// About how many bytes the listing holds in memory (the opportunities, their
    /// screens, words, rule facts and classes), for the benchmark to print.
    pub fn approximate_bytes(&self) -> usize {
        use std::mem::size_of;
        let boxed: usize = self
            .opportunities
            .iter()
            .map(|o| (o.skills.len() + o.languages.len()) * size_of::<u32>())
            .sum();
        let words: usize = self.words.words.iter().map(|w| w.len() * 2 + 48).sum();
        self.opportunities.capacity() * size_of::<Listed>()
            + boxed
            + self.screens.capacity() * size_of::<Screen>()
            + self.by_id.capacity() * (size_of::<Uuid>() + size_of::<usize>() + 1)
            + self.classes.capacity() * (size_of::<[u32; FIELDS]>() * 2 + 4 + 4 + 1)
            + words
    }
}

/// The catalogue a node matches against.
#[derive(Debug, Default)]
pub struct Catalogue {
    listing: RwLock<Listing>,
    /// Set when following a committed write failed: the next match reads every
    /// published opportunity again.
    stale: std::sync::atomic::AtomicBool,
}

impl Catalogue {
    /// Reads every published opportunity of the region.
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self> {
        let kinds = organisation_kinds(db, None).await?;
        let rows = opportunity::Entity::find()
            .filter(opportunity::Column::Status.eq("published"))
            .all(db)
            .await?;
        let mut listing = Listing::default();
        for row in &rows {
            listing.upsert(row, &Employer::of(&kinds, row.organisation_id));
        }
        Ok(Catalogue {
            listing: RwLock::new(listing),
            stale: Default::default(),
        })
    }

    /// Follows a committed write to the opportunities `ids`. The write stands
    /// whatever happens here: when reading them fails, the catalogue is marked
    /// stale and read whole before the next match.
    pub async fn follow(&self, db: &impl ConnectionTrait, ids: &[Uuid]) {
        if let Err(error) = self.refresh(db, ids).await {
            self.mark_stale(&error);
        }
    }

    /// Follows a committed change of `organisation`'s kind or headcount (see
    /// [`Self::follow`]).
    pub async fn follow_organisation(&self, db: &impl ConnectionTrait, organisation: Uuid) {
        if let Err(error) = self.refresh_organisation(db, organisation).await {
            self.mark_stale(&error);
        }
    }

    fn mark_stale(&self, error: &crate::Error) {
        tracing::error!(%error, "matching's catalogue could not follow a write; it is read again before the next match");
        self.stale.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Reads every published opportunity again when following a write failed.
    pub async fn reload_if_stale(&self, db: &impl ConnectionTrait) -> Result<()> {
        if self.stale.swap(false, std::sync::atomic::Ordering::SeqCst) {
            match Catalogue::load(db).await {
                Ok(fresh) => {
                    let listing = match fresh.listing.into_inner() {
                        Ok(listing) => listing,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                    *self.write() = listing;
                }
                Err(error) => {
                    self.stale.store(true, std::sync::atomic::Ordering::SeqCst);
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    /// Reads the opportunities `ids` again after a write: published ones are
    /// listed as they are now, others leave the catalogue.
    async fn refresh(&self, db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<()> {
        let rows = opportunity::Entity::find()
            .filter(opportunity::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?;
        let organisations: Vec<Uuid> = rows.iter().map(|r| r.organisation_id).collect();
        let kinds = organisation_kinds(db, Some(&organisations)).await?;
        let mut listing = self.write();
        for id in ids {
            match rows.iter().find(|row| row.id == *id) {
                Some(row) if row.status == "published" => {
                    listing.upsert(row, &Employer::of(&kinds, row.organisation_id));
                }
                _ => listing.remove(*id),
            }
        }
        Ok(())
    }

    /// Reads again every published opportunity of `organisation` (its kind or
    /// headcount changed).
    async fn refresh_organisation(
        &self,
        db: &impl ConnectionTrait,
        organisation: Uuid,
    ) -> Result<()> {
        let ids: Vec<Uuid> = opportunity::Entity::find()
            .filter(opportunity::Column::OrganisationId.eq(organisation))
            .filter(opportunity::Column::Status.eq("published"))
            .all(db)
            .await?
            .into_iter()
            .map(|row| row.id)
            .collect();
        self.refresh(db, &ids).await
    }

    /// Reads the catalogue; keep the guard only while matching.
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Listing> {
        match self.listing.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub(crate) fn write(&self) -> std::sync::RwLockWriteGuard<'_, Listing> {
        match self.listing.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Lists `rows` (published opportunities offered by organisations of the kinds
    /// given), as the bench fills a catalogue without a database.
    pub fn from_rows(rows: &[(opportunity::Model, String)]) -> Self {
        let mut listing = Listing::default();
        for (row, kind) in rows {
            if row.status == "published" {
                let employer = Employer {
                    kind: kind.clone(),
                    headcount: 0,
                };
                listing.upsert(row, &employer);
            }
        }
        Catalogue {
            listing: RwLock::new(listing),
            stale: Default::default(),
        }
    }
}

/// What rules read of the organisation that offers an opportunity.
#[derive(Debug, Clone)]
struct Employer {
    kind: String,
    headcount: i64,
}

impl Employer {
    /// The organisation `id` of `known`; one not found is of kind unspecified.
    fn of(known: &HashMap<Uuid, Employer>, id: Uuid) -> Employer {
        known.get(&id).cloned().unwrap_or_else(|| Employer {
            kind: "unspecified".to_owned(),
            headcount: 0,
        })
    }
}

async fn organisation_kinds(
    db: &impl ConnectionTrait,
    only: Option<&[Uuid]>,
) -> Result<HashMap<Uuid, Employer>> {
    let mut select = organisation::Entity::find();
    if let Some(ids) = only {
        select = select.filter(organisation::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(select
        .all(db)
        .await?
        .into_iter()
        .map(|o| {
            let employer = Employer {
                kind: o.kind,
                headcount: i64::from(o.headcount),
            };
            (o.id, employer)
        })
        .collect())
}
