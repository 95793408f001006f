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
    // (table, month) in first-seen order, with their categories in first-seen
    // order. A node sends each table's counts together, so the grid of the
    // count before is tried first.
    let mut grids: Vec<Grid> = Vec::new();
    let mut grid_of: HashMap<(&str, &str), usize> = HashMap::new();
    // Per region, per count: its grid and its category's column there.
    let mut places: Vec<Vec<(usize, usize)>> = Vec::with_capacity(regions.len());
    for figures in regions {
        let mut last: Option<((&str, &str), usize)> = None;
        let mut placed = Vec::with_capacity(figures.stats.counts.len());
        for count in &figures.stats.counts {
            let key = (count.table.as_str(), count.month.as_str());
            let index = match last {
                Some((last_key, index)) if last_key == key => index,
                _ => *grid_of.entry(key).or_insert_with(|| {
                    grids.push(((key.0.to_owned(), key.1.to_owned()), Vec::new()));
                    grids.len() - 1
                }),
            };
            last = Some((key, index));
            let categories = &mut grids[index].1;
            let column = match categories.iter().position(|c| *c == count.category) {
                Some(column) => column,
                None => {
                    categories.push(count.category.clone());
                    categories.len() - 1
                }
            };
            placed.push((index, column));
        }
        places.push(placed);
    }
    // Per grid, per region, per category: the count (0 where none was sent).
    let mut cells: Vec<Vec<Vec<i64>>> = grids
        .iter()
        .map(|(_, categories)| vec![vec![0; categories.len()]; regions.len()])
        .collect();
    for (r, (figures, placed)) in regions.iter().zip(&places).enumerate() {
        for (count, (grid, column)) in figures.stats.counts.iter().zip(placed) {
            cells[*grid][r][*column] += count.value.max(0);
        }
    }
    // Tables that count the same records by other categories share their totals
    // and are protected together: each such group is one job, every other
    // table a job of its own, the groups first as they take longest.
    let mut jobs: Vec<Vec<usize>> = Vec::new();
    let mut in_group = vec![false; grids.len()];
    for group in LINKED {
        let members: Vec<usize> = grids
            .iter()
            .enumerate()
            .filter(|(_, ((table, _), _))| group.contains(&table.as_str()))
            .map(|(index, _)| index)
            .collect();
        if members.len() >= 2 {
            for index in &members {
                in_group[*index] = true;
            }
            jobs.push(members);
        }
    }
    jobs.extend((0..grids.len()).filter(|i| !in_group[*i]).map(|i| vec![i]));
    let publish_job = |job: &Vec<usize>| -> Vec<(usize, v1::PublishedTable)> {
        let shown = match job.as_slice() {
            [one] => vec![suppression::publish(
                &cells[*one],
                grids[*one].1.len(),
                threshold,
                rounding,
            )],
            group => {
                let tables: Vec<(Vec<Vec<i64>>, usize)> = group
                    .iter()
                    .map(|index| (cells[*index].clone(), grids[*index].1.len()))
                    .collect();
                suppression::publish_linked(&tables, threshold, rounding)
            }
        };
        job.iter()
            .zip(shown)
            .map(|(index, shown)| {
                let ((table, month), categories) = &grids[*index];
                (
                    *index,
                    table_to_wire(table, month, regions, categories, &shown),
                )
            })
            .collect()
    };
    // The machine's cores take the jobs one at a time, the next whenever one
    // is done, as they differ in cost.
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 16)
        .min(jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let take_jobs = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            match jobs.get(index) {
                Some(job) => done.extend(publish_job(job)),
                None => return done,
            }
        }
    };
    let mut published: Vec<(usize, v1::PublishedTable)> = if threads == 1 {
        take_jobs()
    } else {
        std::thread::scope(|scope| {
            let running: Vec<_> = (0..threads).map(|_| scope.spawn(take_jobs)).collect();
            running
                .into_iter()
                .flat_map(|thread| match thread.join() {
                    Ok(tables) => tables,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    };
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
