//! A month's median from its samples (`stat_sample`), kept in `stat_median` so a
//! call reads one row per month whatever the number of records.
//!
//! A write does not read the month's samples again: `stat_median` also keeps
//! where the middle is — the amount of the lower middle record (`low_amount`)
//! and how many records lie below that amount (`low_before`) — and a change of
//! n records moves that position by at most n, one neighbouring amount at a
//! time ([`update`]). The cost of a write is bounded by its own records, not by
//! the month's (a region answering its ten-thousandth question of the month
//! pays what it paid for the first). A month without a kept position (new, or
//! kept before positions were) is read once in full ([`refresh`]).

use passage_proto::months::Month;
use sea_orm_migration::sea_orm::sea_query::{Expr, ExprTrait, JoinType, OnConflict, Query};
use sea_orm_migration::sea_orm::{ConnectionTrait, DbErr, Order};

use super::Sample;

/// The median of a month's samples ((amount, records) in ascending amount): the
/// middle one, or the mean of the middle two, as shown; `None` without records.
pub fn median_of(tally: &str, samples: &[(i64, i64)]) -> Option<(f64, i64)> {
    let records: i64 = samples.iter().map(|(_, n)| n).sum();
    if records <= 0 {
        return None;
    }
    // The amount at a 0-based position of the sorted records.
    let at = |position: i64| {
        let mut before = 0;
        for (amount, n) in samples {
            before += n;
            if position < before {
                return Sample::shown(tally, *amount);
            }
        }
        0.0
    };
    let middle = records / 2;
    let median = if records % 2 == 1 {
        at(middle)
    } else {
        (at(middle - 1) + at(middle)) / 2.0
    };
    Some((median, records))
}

/// The 0-based position of the lower middle record of `records` (the middle
/// one when odd).
fn lower_middle(records: i64) -> i64 {
    (records - 1) / 2
}

fn of_month(tally: &str, month: &str) -> Expr {
    Expr::col("tally")
        .eq(tally)
        .and(Expr::col("month").eq(month))
}

/// Reads the month's samples and writes its median (or removes it when none
/// is left), dropping the amounts no record has any more.
pub async fn refresh(db: &impl ConnectionTrait, tally: &str, month: Month) -> Result<(), DbErr> {
    let month = month.to_string();
    let of_month = || of_month(tally, &month);
    let select = Query::select()
        .columns(["amount", "value"])
        .from("stat_sample")
        .and_where(of_month())
        .and_where(Expr::col("value").gt(0))
        .order_by("amount", Order::Asc)
        .to_owned();
    let mut samples = Vec::new();
    for row in db.query_all(&select).await? {
        samples.push((
            row.try_get::<i64>("", "amount")?,
            row.try_get::<i64>("", "value")?,
        ));
    }
    let gone = Query::delete()
        .from_table("stat_sample")
        .and_where(of_month())
        .and_where(Expr::col("value").lte(0))
        .to_owned();
    db.execute(&gone).await?;
    match median_of(tally, &samples) {
        Some((median, records)) => {
            let target = lower_middle(records);
            let mut low = Position {
                amount: 0,
                before: 0,
            };
            for (amount, n) in &samples {
                low.amount = *amount;
                if target < low.before + n {
                    break;
                }
                low.before += n;
            }
            keep(db, tally, &month, median, records, low).await
        }
        None => forget(db, tally, &month).await,
    }
}

/// Where a month's lower middle record lies: its amount, and how many records
/// lie below that amount.
#[derive(Debug, Clone, Copy)]
struct Position {
    amount: i64,
    before: i64,
}

async fn keep(
    db: &impl ConnectionTrait,
    tally: &str,
    month: &str,
    median: f64,
    records: i64,
    low: Position,
) -> Result<(), DbErr> {
    let upsert = Query::insert()
        .into_table("stat_median")
        .columns([
            "tally",
            "month",
            "median",
            "records",
            "low_amount",
            "low_before",
        ])
        .values_panic([
            tally.into(),
            month.into(),
            median.into(),
            records.into(),
            low.amount.into(),
            low.before.into(),
        ])
        .on_conflict(
            OnConflict::columns(["tally", "month"])
                .update_columns(["median", "records", "low_amount", "low_before"])
                .to_owned(),
        )
        .to_owned();
    db.execute(&upsert).await?;
    Ok(())
}

async fn forget(db: &impl ConnectionTrait, tally: &str, month: &str) -> Result<(), DbErr> {
    let gone = Query::delete()
        .from_table("stat_median")
        .and_where(of_month(tally, month))
        .to_owned();
    db.execute(&gone).await?;
    Ok(())
}

/// The month's median after `changes` ((amount, records added or, negative,
/// removed)) were added to its samples in this transaction: the kept position
/// moved past the neighbouring amounts, a few indexed reads whatever the
/// month's size. Falls back to [`refresh`] where no position is kept.
pub async fn update(
    db: &impl ConnectionTrait,
    tally: &str,
    month: Month,
    changes: &[(i64, i64)],
) -> Result<(), DbErr> {
    let month_text = month.to_string();
    let month_ = month_text.as_str();
    // Only a removal can leave an amount without records.
    for (amount, _) in changes.iter().filter(|(_, n)| *n < 0) {
        let gone = Query::delete()
            .from_table("stat_sample")
            .and_where(of_month(tally, month_))
            .and_where(Expr::col("amount").eq(*amount))
            .and_where(Expr::col("value").lte(0))
            .to_owned();
        db.execute(&gone).await?;
    }
    // The kept position, with the records now at its amount, in one read.
    let kept = Query::select()
        .expr_as(Expr::col(("m", "records")), "records")
        .expr_as(Expr::col(("m", "low_amount")), "low_amount")
        .expr_as(Expr::col(("m", "low_before")), "low_before")
        .expr_as(Expr::col(("s", "value")), "here")
        .from_as("stat_median", "m")
        .join_as(
            JoinType::LeftJoin,
            "stat_sample",
            "s",
            Expr::col(("s", "tally"))
                .equals(("m", "tally"))
                .and(Expr::col(("s", "month")).equals(("m", "month")))
                .and(Expr::col(("s", "amount")).equals(("m", "low_amount"))),
        )
        .and_where(Expr::col(("m", "tally")).eq(tally))
        .and_where(Expr::col(("m", "month")).eq(month_))
        .to_owned();
    let Some(row) = db.query_one(&kept).await? else {
        return refresh(db, tally, month).await;
    };
    let (Some(amount), Some(before)) = (
        row.try_get::<Option<i64>>("", "low_amount")?,
        row.try_get::<Option<i64>>("", "low_before")?,
    ) else {
        return refresh(db, tally, month).await;
    };
    let mut here = Ord::max(row.try_get::<Option<i64>>("", "here")?.unwrap_or(0), 0);
    let records = row.try_get::<i64>("", "records")? + changes.iter().map(|(_, n)| n).sum::<i64>();
    if records <= 0 {
        return forget(db, tally, month_).await;
    }
    let mut low = Position {
        amount,
        before: before
            + changes
                .iter()
                .filter(|(changed, _)| *changed < amount)
                .map(|(_, n)| n)
                .sum::<i64>(),
    };
    let target = lower_middle(records);
    while target < low.before {
        let Some((amount, n)) = neighbour(db, tally, month_, low.amount, Side::Below).await? else {
            return refresh(db, tally, month).await;
        };
        low = Position {
            amount,
            before: low.before - n,
        };
        here = n;
    }
    while target >= low.before + here {
        let Some((amount, n)) = neighbour(db, tally, month_, low.amount, Side::Above).await? else {
            return refresh(db, tally, month).await;
        };
        low = Position {
            amount,
            before: low.before + here,
        };
        here = n;
    }
    let lower = Sample::shown(tally, low.amount);
    // With an even count, the upper middle record is the next one: of the
    // same amount, or the next amount up.
    let median = if records % 2 == 1 || target + 1 < low.before + here {
        lower
    } else {
        let Some((upper, _)) = neighbour(db, tally, month_, low.amount, Side::Above).await? else {
            return refresh(db, tally, month).await;
        };
        (lower + Sample::shown(tally, upper)) / 2.0
    };
    keep(db, tally, month_, median, records, low).await
}

enum Side {
    Below,
    Above,
}

/// The nearest amount below or above `amount` that some record of the month
/// took, and how many did.
async fn neighbour(
    db: &impl ConnectionTrait,
    tally: &str,
    month: &str,
    amount: i64,
    side: Side,
) -> Result<Option<(i64, i64)>, DbErr> {
    let (beyond, order) = match side {
        Side::Below => (Expr::col("amount").lt(amount), Order::Desc),
        Side::Above => (Expr::col("amount").gt(amount), Order::Asc),
    };
    let select = Query::select()
        .columns(["amount", "value"])
        .from("stat_sample")
        .and_where(of_month(tally, month))
        .and_where(beyond)
        .and_where(Expr::col("value").gt(0))
        .order_by("amount", order)
        .limit(1)
        .to_owned();
    Ok(match db.query_one(&select).await? {
        Some(row) => Some((row.try_get("", "amount")?, row.try_get("", "value")?)),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::median_of;

    #[test]
    fn the_median_counts_every_record_of_an_amount() {
        let days = super::super::DAYS_TO_FIRST_PLACEMENT;
        assert_eq!(median_of(days, &[]), None);
        assert_eq!(median_of(days, &[(5, 1)]), Some((5.0, 1)));
        assert_eq!(median_of(days, &[(1, 1), (4, 1), (9, 1)]), Some((4.0, 3)));
        assert_eq!(median_of(days, &[(2, 1), (4, 1), (8, 2)]), Some((6.0, 4)));
        assert_eq!(median_of(days, &[(2, 3), (8, 1)]), Some((2.0, 4)));
        let hours = super::super::REVIEW_HOURS;
        assert_eq!(median_of(hours, &[(5_400_000, 1)]), Some((1.5, 1)));
    }
}
