//! A month's median from its samples (`stat_sample`), kept in `stat_median` so a
//! call reads one row per month whatever the number of records.

use passage_proto::months::Month;
use sea_orm_migration::sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm_migration::sea_orm::{ConnectionTrait, DbErr};

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

/// Reads the month's samples and writes its median (or removes it when none
/// is left), dropping the amounts no record has any more.
pub async fn refresh(db: &impl ConnectionTrait, tally: &str, month: Month) -> Result<(), DbErr> {
    let month = month.to_string();
    let of_month = || {
        Expr::col("tally")
            .eq(tally)
            .and(Expr::col("month").eq(month.as_str()))
    };
    let select = Query::select()
        .columns(["amount", "value"])
        .from("stat_sample")
        .and_where(of_month())
        .and_where(Expr::col("value").gt(0))
        .order_by("amount", sea_orm_migration::sea_orm::Order::Asc)
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
            let upsert = Query::insert()
                .into_table("stat_median")
                .columns(["tally", "month", "median", "records"])
                .values_panic([
                    tally.into(),
                    month.as_str().into(),
                    median.into(),
                    records.into(),
                ])
                .on_conflict(
                    OnConflict::columns(["tally", "month"])
                        .update_columns(["median", "records"])
                        .to_owned(),
                )
                .to_owned();
            db.execute(&upsert).await?;
        }
        None => {
            let gone = Query::delete()
                .from_table("stat_median")
                .and_where(of_month())
                .to_owned();
            db.execute(&gone).await?;
        }
    }
    Ok(())
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
