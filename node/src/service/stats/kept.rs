//! The region's figures read from what it keeps as it writes (`store::tally`):
//! the counters of today's rows and of the span's months, the span's medians, and
//! retention from the placements kept per start day and marks reached. The work
//! per call grows with the months asked for, not with the rows.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use passage_migrations::tallies::{
    self, APPLICATIONS, BUDDY_PAIRS, COHORT_OUTCOMES, Counter, DAYS_TO_FIRST_PLACEMENT,
    HOURS_TO_ANSWER, MARKS, MEMBERS, MEMBERS_JOINED, OPPORTUNITIES, PLACEMENT_STAYS, PLACEMENTS,
    QUESTIONS, REVIEW_HOURS, REVIEWS,
};
use passage_proto::months::{Month, MonthSpan};
use sea_orm::sea_query::{Expr, ExprTrait, Query, QueryStatementBuilder};
use sea_orm::{ConnectionTrait, DatabaseBackend};

use super::{Counted, cohort_outcome};
use crate::error::{Error, Result};
use crate::retention::MarkFigure;

/// The kept figures for `span`, as of `today`.
pub async fn kept(db: &impl ConnectionTrait, span: MonthSpan, today: NaiveDate) -> Result<Counted> {
    let (from, to) = (span.from.to_string(), span.to.to_string());
    let in_span = || {
        Expr::col("month")
            .gte(from.as_str())
            .and(Expr::col("month").lte(to.as_str()))
    };
    // The counters and the medians come back as two texts in one row, built by
    // the database in one statement: a row each would cost more in the driver
    // than all the counting here, and a query each a round trip. Each record is
    // its fields joined by the unit separator, the records joined by the record
    // separator: PostgreSQL builds that in under half the time of a JSON array
    // of arrays (0.15 against 0.37 ms for a region's 203 counters and 54 medians,
    // `EXPLAIN ANALYZE`; `json_build_array` looks up each argument's type on
    // every row).
    // The stored values are codes (statuses, kinds, months), never a person's
    // words; a field holding a separator would fail the reading, not shift it.
    let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
    let (character, aggregate) = if postgres {
        ("chr", "string_agg")
    } else {
        ("char", "group_concat")
    };
    let (unit, record) = (UNIT as u32, RECORD as u32);
    // Every column is NOT NULL: no field drops out of a record.
    let joined = |fields: &[&str]| {
        format!(
            "COALESCE({aggregate}({}, {character}({record})), '')",
            fields.join(&format!(" || {character}({unit}) || "))
        )
    };
    let counters = Query::select()
        .expr(Expr::cust(joined(&[
            "tally",
            "month",
            "category",
            "CAST(value AS TEXT)",
        ])))
        .from("stat_tally")
        .cond_where(Expr::col("month").eq("").or(in_span()))
        .and_where(Expr::col("value").ne(0))
        .to_owned();
    // A median goes as text with every digit it needs to come back the same.
    let median_text = if postgres {
        "median::text"
    } else {
        "printf('%!.17g', median)"
    };
    let medians = Query::select()
        .expr(Expr::cust(joined(&[
            "tally",
            "month",
            median_text,
            "CAST(records AS TEXT)",
        ])))
        .from("stat_median")
        .cond_where(in_span())
        .to_owned();
    let select = Query::select()
        .expr_as(
            Expr::SubQuery(None, Box::new(counters.into_sub_query_statement())),
            "counters",
        )
        .expr_as(
            Expr::SubQuery(None, Box::new(medians.into_sub_query_statement())),
            "medians",
        )
        .to_owned();
    // A select without FROM has its one row, whatever the tables hold.
    let row = db
        .query_one(&select)
        .await?
        .ok_or_else(|| Error::Internal("the kept figures' query gave no row".into()))?;
    let counters_text: String = row.try_get("", "counters")?;
    let medians_text: String = row.try_get("", "medians")?;
    let counters = records(&counters_text, "counters")?;
    let medians = records(&medians_text, "medians")?;
    let mut counted = Counted::default();
    let mut marks = MARKS.map(|months| MarkFigure {
        months,
        ..MarkFigure::default()
    });
    let mut months: BTreeMap<Month, [MarkFigure; 3]> = BTreeMap::new();
    for [tally, month_text, category, value] in counters {
        let value: i64 = value.parse().map_err(|error| {
            Error::Internal(format!(
                "a kept counter read back unreadable ({value:?}): {error}"
            ))
        })?;
        let category = category.to_owned();
        let month = Month::parse(month_text);
        let in_month = |map: &mut BTreeMap<(Month, String), i64>| {
            if let Some(month) = month {
                *map.entry((month, category.clone())).or_insert(0) += value;
            }
        };
        match tally {
            MEMBERS => {
                let mut parts = category.splitn(3, '/').map(str::to_owned);
                let (role, status, civic) = (parts.next(), parts.next(), parts.next());
                if let (Some(role), Some(status), Some(civic)) = (role, status, civic) {
                    counted.members.push((role, status, civic, value));
                }
            }
            OPPORTUNITIES => {
                if let Some((kind, status)) = category.split_once('/') {
                    let row = (kind.to_owned(), status.to_owned(), value);
                    counted.opportunities.push(row);
                }
            }
            BUDDY_PAIRS => counted.pairs.push((category, value)),
            APPLICATIONS => counted.stages.push((category, value)),
            COHORT_OUTCOMES => counted.outcomes.push((cohort_outcome(&category), value)),
            MEMBERS_JOINED => {
                if let Some(month) = month {
                    *counted.joined.entry(month).or_insert(0) += value;
                }
            }
            REVIEWS => in_month(&mut counted.verdicts),
            PLACEMENTS => in_month(&mut counted.started),
            QUESTIONS => in_month(&mut counted.asked),
            PLACEMENT_STAYS => {
                if let Some((start, reached)) = Counter::stay_of(&category) {
                    add_stays(&mut marks, start, reached, value, today);
                    if let Some(month) = month {
                        let of_month = months.entry(month).or_insert_with(|| {
                            MARKS.map(|months| MarkFigure {
                                months,
                                ..MarkFigure::default()
                            })
                        });
                        add_stays(of_month, start, reached, value, today);
                    }
                }
            }
            _ => {}
        }
    }
    counted.retention = marks.to_vec();
    counted.retention_by_month = months
        .into_iter()
        .map(|(month, marks)| (month, marks.to_vec()))
        .collect();

    for [tally, month_text, median, records] in medians {
        let Some(month) = Month::parse(month_text) else {
            continue;
        };
        let records: i64 = records.parse().map_err(|error| {
            Error::Internal(format!(
                "a kept median's records read back unreadable ({records:?}): {error}"
            ))
        })?;
        let median: f64 = median.parse().map_err(|error| {
            Error::Internal(format!(
                "a kept median read back unreadable ({median:?}): {error}"
            ))
        })?;
        let medians = match tally {
            REVIEW_HOURS => &mut counted.review_hours,
            DAYS_TO_FIRST_PLACEMENT => &mut counted.days_to_first,
            HOURS_TO_ANSWER => &mut counted.answer_hours,
            _ => continue,
        };
        medians.insert(month, (median, records));
    }
    Ok(counted)
}

/// The separators of the kept figures' records: ASCII's unit and record
/// separators, which no stored code holds.
const UNIT: char = '\u{1f}';
const RECORD: char = '\u{1e}';

/// The records of one of the kept figures' texts, four fields each.
fn records<'a>(text: &'a str, what: &str) -> Result<Vec<[&'a str; 4]>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(RECORD)
        .map(|line| {
            let mut fields = line.split(UNIT);
            let mut four = [""; 4];
            for field in &mut four {
                *field = fields.next().ok_or_else(|| {
                    Error::Internal(format!("a kept {what} record has too few fields: {line:?}"))
                })?;
            }
            if fields.next().is_some() {
                return Err(Error::Internal(format!(
                    "a kept {what} record has too many fields: {line:?}"
                )));
            }
            Ok(four)
        })
        .collect()
}

/// Counts `placements` that started on `start` and were still going at
/// `reached` of the marks, at each mark that has passed by `today`.
fn add_stays(
    marks: &mut [MarkFigure; 3],
    start: NaiveDate,
    reached: usize,
    placements: i64,
    today: NaiveDate,
) {
    let placements = u32::try_from(placements).unwrap_or(0);
    for (index, mark) in marks.iter_mut().enumerate() {
        let due = start
            .checked_add_months(Months::new(mark.months))
            .is_some_and(|at| at <= today);
        if due {
            mark.due += placements;
            if reached > index {
                mark.retained += placements;
            }
        }
    }
}

/// Counts every kept figure again from the rows (a repair, and what a node whose
/// review policy changed does at start), in one transaction.
pub async fn count_again(
    db: &sea_orm::DatabaseConnection,
    approvals_to_publish: i32,
) -> Result<()> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await?;
    tallies::refill(&txn, approvals_to_publish).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::retention::{Stay, retention};

    /// The records come back field by field; one whose field held a separator
    /// is refused whole, never read shifted.
    #[test]
    fn kept_records_are_read_field_by_field_and_a_stray_separator_is_refused() {
        let (unit, record) = (UNIT, RECORD);
        let text = format!(
            "reviews{unit}2026-11{unit}approved{unit}3{record}members{unit}{unit}newcomer/asylum/none{unit}7"
        );
        assert_eq!(
            records(&text, "counters").unwrap(),
            vec![
                ["reviews", "2026-11", "approved", "3"],
                ["members", "", "newcomer/asylum/none", "7"]
            ]
        );
        assert!(records("", "counters").unwrap().is_empty());
        let stray = format!("reviews{unit}2026-11{unit}appro{unit}ved{unit}3");
        assert!(records(&stray, "counters").is_err());
        let split = format!("reviews{unit}2026-11{unit}appro{record}ved{unit}3");
        assert!(records(&split, "counters").is_err());
    }

    /// The stays kept per start day give the retention counted from placements.
    #[test]
    fn kept_stays_give_the_retention_of_the_placements() {
        let day = |text: &str| text.parse::<NaiveDate>().unwrap();
        let today = day("2026-12-05");
        let stays = [
            ("2025-08-31", None),
            ("2025-08-31", Some("2025-11-29")),
            ("2025-11-30", Some("2026-02-28")),
            ("2026-06-05", Some("2026-09-05")),
            ("2026-06-05", Some("2026-09-04")),
            ("2026-09-06", None),
            ("2026-01-31", Some("2026-04-30")),
        ];
        let placements: Vec<Stay> = stays
            .iter()
            .map(|(start, end)| Stay {
                kind: "paid_job".into(),
                start: day(start),
                end: end.map(day),
            })
            .collect();
        let (expected, _) = retention(&placements, today);
        let mut marks = MARKS.map(|months| MarkFigure {
            months,
            ..MarkFigure::default()
        });
        for stay in &placements {
            let counter = Counter::stay(stay.start, stay.end).unwrap();
            let (start, reached) = Counter::stay_of(&counter.category).unwrap();
            add_stays(&mut marks, start, reached, 1, today);
        }
        assert_eq!(marks, expected.marks);
        assert!(
            marks
                .iter()
                .any(|mark| mark.retained > 0 && mark.retained < mark.due)
        );
    }
}
