//! From every region's exact figures to the published tables: one grid per table
//! and month, suppressed as a whole (`suppression::publish`), and each region's
//! medians shown only when taken over enough records.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use passage_proto::v1;

use super::suppression::{self, Disclosure};

/// A table to publish: (table, month) and its categories.
type Grid = ((String, String), Vec<String>);

/// The figures of one region that go into the tables (fresh or its last good ones).
pub struct RegionFigures<'a> {
    pub region: &'a str,
    pub stats: &'a v1::RegionStats,
}

/// Every table of `regions`' figures, in the order the first region lists them,
/// snapshot tables first as nodes send them, then one table per month.
pub fn tables(
    regions: &[RegionFigures<'_>],
    threshold: i64,
    rounding: i64,
) -> Vec<v1::PublishedTable> {
    // (table, month) in first-seen order, with their categories in first-seen order.
    let mut grids: Vec<Grid> = Vec::new();
    let mut grid_of: HashMap<(&str, &str), usize> = HashMap::new();
    for figures in regions {
        for count in &figures.stats.counts {
            let key = (count.table.as_str(), count.month.as_str());
            let index = *grid_of.entry(key).or_insert_with(|| {
                grids.push(((key.0.to_owned(), key.1.to_owned()), Vec::new()));
                grids.len() - 1
            });
            let categories = &mut grids[index].1;
            if !categories.contains(&count.category) {
                categories.push(count.category.clone());
            }
        }
    }
    let values: Vec<HashMap<(&str, &str, &str), i64>> = regions
        .iter()
        .map(|figures| {
            let mut values = HashMap::new();
            for c in &figures.stats.counts {
                *values
                    .entry((c.table.as_str(), c.month.as_str(), c.category.as_str()))
                    .or_insert(0) += c.value.max(0);
            }
            values
        })
        .collect();
    let grid_cells = |table: &str, month: &str, categories: &[String]| -> Vec<Vec<i64>> {
        values
            .iter()
            .map(|values| {
                categories
                    .iter()
                    .map(|category| {
                        values
                            .get(&(table, month, category.as_str()))
                            .copied()
                            .unwrap_or(0)
                    })
                    .collect()
            })
            .collect()
    };
    // Tables that count the same records by other categories share their totals
    // and are protected together.
    let mut shown: Vec<Option<Disclosure>> = vec![None; grids.len()];
    for group in LINKED {
        let members: Vec<usize> = grids
            .iter()
            .enumerate()
            .filter(|(_, ((table, _), _))| group.contains(&table.as_str()))
            .map(|(index, _)| index)
            .collect();
        if members.len() < 2 {
            continue;
        }
        let tables: Vec<(Vec<Vec<i64>>, usize)> = members
            .iter()
            .map(|index| {
                let ((table, month), categories) = &grids[*index];
                (grid_cells(table, month, categories), categories.len())
            })
            .collect();
        for (index, disclosure) in members
            .iter()
            .zip(suppression::publish_linked(&tables, threshold, rounding))
        {
            shown[*index] = Some(disclosure);
        }
    }
    // Each table is suppressed on its own: the machine's cores take the tables
    // one at a time, the next whenever one is done, as they differ in cost.
    let work: Vec<_> = grids.iter().zip(shown).collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 16)
        .min(work.len().max(1));
    let publish_one = |(((table, month), categories), linked): &(&Grid, Option<Disclosure>)| {
        let shown = linked.clone().unwrap_or_else(|| {
            suppression::publish(
                &grid_cells(table, month, categories),
                categories.len(),
                threshold,
                rounding,
            )
        });
        table_to_wire(table, month, regions, categories, &shown)
    };
    if threads == 1 {
        return work.iter().map(publish_one).collect();
    }
    let next = AtomicUsize::new(0);
    let take_tables = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            match work.get(index) {
                Some(one) => done.push((index, publish_one(one))),
                None => return done,
            }
        }
    };
    let mut published: Vec<(usize, v1::PublishedTable)> = std::thread::scope(|scope| {
        let running: Vec<_> = (0..threads).map(|_| scope.spawn(take_tables)).collect();
        running
            .into_iter()
            .flat_map(|thread| match thread.join() {
                Ok(tables) => tables,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    published.sort_by_key(|(index, _)| *index);
    published.into_iter().map(|(_, table)| table).collect()
}

/// Tables that count the same records (and so share every region's total).
const LINKED: [&[&str]; 2] = [
    &[
        "members_by_role",
        "members_by_residence_class",
        "members_by_civic_integration",
    ],
    &["opportunities_by_kind", "opportunities_by_status"],
];

fn cell(category: &str, month: &str, shown: Option<i64>) -> v1::PublishedCell {
    v1::PublishedCell {
        category: category.into(),
        month: month.into(),
        value: shown.unwrap_or(0),
        suppressed: shown.is_none(),
    }
}

fn table_to_wire(
    table: &str,
    month: &str,
    regions: &[RegionFigures<'_>],
    categories: &[String],
    shown: &Disclosure,
) -> v1::PublishedTable {
    let row = |region: &str, cells: &[Option<i64>], total: Option<i64>| v1::RegionRow {
        region: region.into(),
        cells: categories
            .iter()
            .zip(cells)
            .map(|(category, value)| cell(category, month, *value))
            .collect(),
        row_total: Some(cell("", month, total)),
    };
    v1::PublishedTable {
        table: table.into(),
        month: month.into(),
        rows: regions
            .iter()
            .enumerate()
            .map(|(index, figures)| {
                row(figures.region, &shown.cells[index], shown.row_totals[index])
            })
            .collect(),
        total: Some(row("total", &shown.column_totals, shown.total)),
    }
}

/// Every region's medians; one over fewer than `threshold` records is suppressed.
/// Shown to a tenth of an hour.
pub fn medians(regions: &[RegionFigures<'_>], threshold: i64) -> Vec<v1::RegionMedian> {
    regions
        .iter()
        .flat_map(|figures| {
            figures.stats.medians.iter().map(move |median| {
                let shown = suppression::median_publishable(median.records, threshold);
                v1::RegionMedian {
                    region: figures.region.into(),
                    table: median.table.clone(),
                    month: median.month.clone(),
                    median: if shown {
                        (median.median * 10.0).round() / 10.0
                    } else {
                        0.0
                    },
                    suppressed: !shown,
                }
            })
        })
        .collect()
}
