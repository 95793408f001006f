//! The region's published opportunities, held in memory for matching: a member is
//! matched against every one of them, and reading 100,000 rows per request would
//! take longer than deciding. Every write that can change what is published calls
//! [`Catalogue::refresh`] after its commit, so the catalogue follows the database.
//!
//! Opportunities that look the same to the rules (kind, paid, hours, sector,
//! self-employment, wage, organisation kind) share a *class*: a member's rules are
//! decided once per class, not once per opportunity.

use std::collections::HashMap;
use std::sync::RwLock;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::Result;
use crate::rules::OpportunityFacts;
use crate::store::entity::{opportunity, organisation};

/// A published opportunity as matching sees it; words are interned.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: Uuid,
    pub class: u32,
    pub sector: u32,
    pub skills: Box<[u32]>,
    pub languages: Box<[u32]>,
    pub hours_per_week: i32,
}

/// What the rules read of an opportunity, as a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClassKey {
    kind: String,
    paid: bool,
    hours_per_week: i64,
    sector: String,
    self_employment: bool,
    wage_bits: u64,
    organisation_kind: String,
}

impl ClassKey {
    fn of(facts: &OpportunityFacts) -> Self {
        ClassKey {
            kind: facts.kind.clone(),
            paid: facts.paid,
            hours_per_week: facts.hours_per_week,
            sector: facts.sector.clone(),
            self_employment: facts.self_employment,
            wage_bits: facts.hourly_wage.to_bits(),
            organisation_kind: facts.organisation_kind.clone(),
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
        self.words.get(id as usize).map(String::as_str).unwrap_or("")
    }
}

/// The published opportunities of a region.
#[derive(Debug, Default)]
pub struct Listing {
    pub opportunities: Vec<Listed>,
    by_id: HashMap<Uuid, usize>,
    pub classes: Vec<OpportunityFacts>,
    class_ids: HashMap<ClassKey, u32>,
    pub words: Words,
}

impl Listing {
    fn upsert(&mut self, row: &opportunity::Model, organisation_kind: &str) {
        let facts = OpportunityFacts::from_row(row, organisation_kind);
        let key = ClassKey::of(&facts);
        let class = match self.class_ids.get(&key) {
            Some(class) => *class,
            None => {
                let class = self.classes.len() as u32;
                self.classes.push(facts);
                self.class_ids.insert(key, class);
                class
            }
        };
        let strings = crate::convert::strings_from_json;
        let listed = Listed {
            id: row.id,
            class,
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
        match self.by_id.get(&row.id) {
            Some(index) => self.opportunities[*index] = listed,
            None => {
                self.by_id.insert(row.id, self.opportunities.len());
                self.opportunities.push(listed);
            }
        }
    }

    fn remove(&mut self, id: Uuid) {
        let Some(index) = self.by_id.remove(&id) else {
            return;
        };
        self.opportunities.swap_remove(index);
        if let Some(moved) = self.opportunities.get(index) {
            self.by_id.insert(moved.id, index);
        }
    }
}

/// The catalogue a node matches against.
#[derive(Debug, Default)]
pub struct Catalogue {
    listing: RwLock<Listing>,
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
            let kind = kinds
                .get(&row.organisation_id)
                .map(String::as_str)
                .unwrap_or("unspecified");
            listing.upsert(row, kind);
        }
        Ok(Catalogue {
            listing: RwLock::new(listing),
        })
    }

    /// Reads the opportunities `ids` again after a write: published ones are
    /// listed as they are now, others leave the catalogue.
    pub async fn refresh(&self, db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<()> {
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
                    let kind = kinds
                        .get(&row.organisation_id)
                        .map(String::as_str)
                        .unwrap_or("unspecified");
                    listing.upsert(row, kind);
                }
                _ => listing.remove(*id),
            }
        }
        Ok(())
    }

    /// Reads again every published opportunity of `organisation` (its kind changed).
    pub async fn refresh_organisation(
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

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Listing> {
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
                listing.upsert(row, kind);
            }
        }
        Catalogue {
            listing: RwLock::new(listing),
        }
    }
}

async fn organisation_kinds(
    db: &impl ConnectionTrait,
    only: Option<&[Uuid]>,
) -> Result<HashMap<Uuid, String>> {
    let mut select = organisation::Entity::find();
    if let Some(ids) = only {
        select = select.filter(organisation::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(select
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.kind))
        .collect())
}
