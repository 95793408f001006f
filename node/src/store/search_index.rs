//! Search within the region: word indexes of the region's own members and of its
//! opportunities, kept in the node's own tables (`member_term`,
//! `opportunity_term`) in the transaction of every write that changes an indexed
//! field. Each field is cut into words by `crate::words` (case folding, accents
//! ignored) and each word is stored once per member or opportunity with its
//! weight: the weights of the fields it occurs in, added up. A search ranks by
//! the number of query words matched, then the weight, then the id, with plain
//! integer aggregates, so SQLite and PostgreSQL rank alike.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::sea_query::{Alias, Asterisk, Condition, Expr, ExprTrait, Order, Query};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder,
    TransactionTrait,
};
use uuid::Uuid;

use super::entity::{member, opportunity, search_index_version};
use super::strings_from_json;
use crate::error::Result;
use crate::words::{Folding, words};

/// The version of the word cutting the indexes are built with; raising it makes
/// every node rebuild its indexes at start-up ([`rebuild_if_outdated`]).
pub const VERSION: i32 = 1;
/// The row of `search_index_version` that holds [`VERSION`].
const VERSION_ROW: &str = "words";

/// Weights of a member's fields: a word of the name counts most.
const MEMBER_FIELDS: [(&str, i32); 5] = [
    ("display_name", 8),
    ("profession", 4),
    ("skills", 2),
    ("sectors", 2),
    ("languages", 1),
];
/// Weights of an opportunity's fields.
const OPPORTUNITY_FIELDS: [(&str, i32); 4] = [
    ("title", 4),
    ("skills", 2),
    ("sector", 2),
    ("description", 1),
];

/// Rows per statement, under every database's limit on bound parameters.
const CHUNK: usize = 300;

/// The two indexes: which table, and the column naming what is indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexed {
    Members,
    Opportunities,
}

impl Indexed {
    fn table(self) -> Alias {
        Alias::new(match self {
            Indexed::Members => "member_term",
            Indexed::Opportunities => "opportunity_term",
        })
    }

    fn owner(self) -> Alias {
        Alias::new(match self {
            Indexed::Members => "member_id",
            Indexed::Opportunities => "opportunity_id",
        })
    }
}

/// The words of a query (or of a field), folded, each once.
pub fn query_words(text: &str) -> BTreeSet<String> {
    words(text, Folding::CaseAndAccents).into_iter().collect()
}

/// Each word of the fields with its weight: the weights of the fields it occurs
/// in, added up (a word counts once per field).
fn weigh<'a>(fields: impl IntoIterator<Item = (i32, Vec<&'a str>)>) -> BTreeMap<String, i32> {
    let mut weights = BTreeMap::new();
    for (weight, texts) in fields {
        let field: BTreeSet<String> = texts.into_iter().flat_map(query_words).collect();
        for word in field {
            *weights.entry(word).or_insert(0) += weight;
        }
    }
    weights
}

/// The indexed words of a member, with their weights.
pub fn member_words(row: &member::Model) -> BTreeMap<String, i32> {
    let skills = strings_from_json(&row.skills);
    let sectors = strings_from_json(&row.sectors);
    let languages = strings_from_json(&row.languages);
    let texts = |field: &str| -> Vec<&str> {
        match field {
            "display_name" => vec![row.display_name.as_str()],
            "profession" => vec![row.profession.as_str()],
            "skills" => skills.iter().map(String::as_str).collect(),
            "sectors" => sectors.iter().map(String::as_str).collect(),
            _ => languages.iter().map(String::as_str).collect(),
        }
    };
    weigh(MEMBER_FIELDS.map(|(field, weight)| (weight, texts(field))))
}

/// The indexed words of an opportunity, with their weights.
pub fn opportunity_words(row: &opportunity::Model) -> BTreeMap<String, i32> {
    let skills = strings_from_json(&row.skills);
    let texts = |field: &str| -> Vec<&str> {
        match field {
            "title" => vec![row.title.as_str()],
            "skills" => skills.iter().map(String::as_str).collect(),
            "sector" => vec![row.sector.as_str()],
            _ => vec![row.description.as_str()],
        }
    };
    weigh(OPPORTUNITY_FIELDS.map(|(field, weight)| (weight, texts(field))))
}

/// Removes the index entries of `ids`.
pub async fn remove(db: &impl ConnectionTrait, indexed: Indexed, ids: &[Uuid]) -> Result<()> {
    for chunk in ids.chunks(CHUNK) {
        let delete = Query::delete()
            .from_table(indexed.table())
            .and_where(Expr::col(indexed.owner()).is_in(chunk.iter().copied()))
            .to_owned();
        db.execute(&delete).await?;
    }
    Ok(())
}

/// Replaces the index entries of each `(id, words)`.
async fn replace(
    db: &impl ConnectionTrait,
    indexed: Indexed,
    entries: &[(Uuid, BTreeMap<String, i32>)],
) -> Result<()> {
    let ids: Vec<Uuid> = entries.iter().map(|(id, _)| *id).collect();
    remove(db, indexed, &ids).await?;
    let rows: Vec<(Uuid, &str, i32)> = entries
        .iter()
        .flat_map(|(id, words)| {
            words
                .iter()
                .map(|(word, weight)| (*id, word.as_str(), *weight))
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        let mut insert = Query::insert()
            .into_table(indexed.table())
            .columns([indexed.owner(), Alias::new("term"), Alias::new("weight")])
            .to_owned();
        for (id, word, weight) in chunk {
            insert.values_panic([(*id).into(), (*word).into(), (*weight).into()]);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Indexes members as they are now (created, changed, arrived), replacing what
/// the index held of them.
pub async fn index_members(db: &impl ConnectionTrait, rows: &[member::Model]) -> Result<()> {
    let entries: Vec<_> = rows.iter().map(|row| (row.id, member_words(row))).collect();
    replace(db, Indexed::Members, &entries).await
}

/// Indexes opportunities as they are now, replacing what the index held of them.
pub async fn index_opportunities(
    db: &impl ConnectionTrait,
    rows: &[opportunity::Model],
) -> Result<()> {
    let entries: Vec<_> = rows
        .iter()
        .map(|row| (row.id, opportunity_words(row)))
        .collect();
    replace(db, Indexed::Opportunities, &entries).await
}

/// One member or opportunity a search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub id: Uuid,
    /// How many of the query's words it has.
    pub matched: i32,
    /// The weights of those words, added up.
    pub score: i32,
}

/// The page of the ranking that follows `after` (from the top when `None`), at
/// most `limit` hits: everything that has at least one of `query` (folded
/// words), most words matched first, then the highest score, then the lowest id.
/// Counted, added up and ordered by the database with nothing but `COUNT`,
/// `SUM`, `GROUP BY` and `ORDER BY` over integers and ids (which SQLite and
/// PostgreSQL both order by their bytes), so both rank alike.
pub async fn search(
    db: &impl ConnectionTrait,
    indexed: Indexed,
    query: &BTreeSet<String>,
    after: Option<Hit>,
    limit: u64,
) -> Result<Vec<Hit>> {
    if query.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let matched = || Expr::col(Asterisk).count();
    let score = || Expr::col(Alias::new("weight")).sum();
    let mut select = Query::select()
        .column(indexed.owner())
        .expr(matched())
        .expr(score())
        .from(indexed.table())
        .and_where(Expr::col(Alias::new("term")).is_in(query.iter().cloned()))
        .group_by_col(indexed.owner())
        .order_by_expr(matched(), Order::Desc)
        .order_by_expr(score(), Order::Desc)
        .order_by(indexed.owner(), Order::Asc)
        .limit(limit)
        .to_owned();
    if let Some(after) = after {
        select.cond_having(
            Condition::any()
                .add(matched().lt(after.matched))
                .add(
                    Condition::all()
                        .add(matched().eq(after.matched))
                        .add(score().lt(after.score)),
                )
                .add(
                    Condition::all()
                        .add(matched().eq(after.matched))
                        .add(score().eq(after.score))
                        .add(Expr::col(indexed.owner()).gt(after.id)),
                ),
        );
    }
    let mut hits = Vec::new();
    for row in db.query_all(&select).await? {
        let matched: i64 = row.try_get_by_index(1)?;
        let score: i64 = row.try_get_by_index(2)?;
        hits.push(Hit {
            id: row.try_get_by_index(0)?,
            matched: i32::try_from(matched).unwrap_or(i32::MAX),
            score: i32::try_from(score).unwrap_or(i32::MAX),
        });
    }
    Ok(hits)
}

/// Builds both indexes afresh when they were built with another version of the
/// word cutting than [`VERSION`] (or never): at start-up, before the node serves.
/// Returns how many members and opportunities it indexed.
pub async fn rebuild_if_outdated(db: &DatabaseConnection) -> Result<Option<(usize, usize)>> {
    let built = search_index_version::Entity::find_by_id(VERSION_ROW.to_owned())
        .one(db)
        .await?;
    if built.is_some_and(|row| row.version == VERSION) {
        return Ok(None);
    }
    let txn = db.begin().await?;
    for indexed in [Indexed::Members, Indexed::Opportunities] {
        txn.execute(&Query::delete().from_table(indexed.table()).to_owned())
            .await?;
    }
    let mut members = 0;
    let mut pages = member::Entity::find()
        .order_by_asc(member::Column::Id)
        .paginate(&txn, 1_000);
    while let Some(rows) = pages.fetch_and_next().await? {
        members += rows.len();
        index_members(&txn, &rows).await?;
    }
    let mut opportunities = 0;
    let mut pages = opportunity::Entity::find()
        .order_by_asc(opportunity::Column::Id)
        .paginate(&txn, 1_000);
    while let Some(rows) = pages.fetch_and_next().await? {
        opportunities += rows.len();
        index_opportunities(&txn, &rows).await?;
    }
    search_index_version::Entity::delete_by_id(VERSION_ROW.to_owned())
        .exec(&txn)
        .await?;
    search_index_version::Entity::insert(search_index_version::ActiveModel {
        name: Set(VERSION_ROW.to_owned()),
        version: Set(VERSION),
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(Some((members, opportunities)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_weighs_the_fields_it_occurs_in_once_each() {
        let weights = weigh([
            (8, vec!["Zoë Nurse"]),
            (4, vec!["nurse"]),
            (2, vec!["patient care", "nurse", "NURSE"]),
        ]);
        assert_eq!(weights["zoe"], 8);
        assert_eq!(weights["nurse"], 8 + 4 + 2);
        assert_eq!(weights["care"], 2);
    }
}
