//! Statistical disclosure control for one published table: regions × categories,
//! each region's row total, each category's column total (the total row) and the
//! grand total. Pure functions, so the rules can be read and tested on their own.
//!
//! 1. **Primary suppression.** Every count from 1 to `threshold - 1` is suppressed
//!    (shown as `<10`), totals included. A **zero is published as 0**, as the ONS and
//!    Eurostat do: it points at no one (there is no person behind it to single out),
//!    and hiding zeros would hide most of a sparse table for no protection. Zeros are
//!    never used as complementary suppressions either, since hiding a zero that other
//!    figures already imply protects nothing.
//! 2. **Secondary suppression.** Every line of the table (each region's row with its
//!    total, the total row, each category's column with its total, and the column of
//!    row totals with the grand total) is an equation: the cells add up to the total.
//!    A suppressed cell that is the only unknown of a line can be solved from it; so,
//!    until nothing changes, every line with exactly one suppressed entry gets its
//!    smallest other published non-zero entry (cell or total) suppressed too. That
//!    alone does not stop an attacker who combines lines: the unknowns form a graph
//!    (lines are vertices, a suppressed entry joins its row and its column), every
//!    cycle of it can shift values without changing a total, and an entry is
//!    determined by the published figures exactly when it lies on no cycle — when it
//!    is a *bridge*. So every bridge is broken too, by suppressing the smallest
//!    published non-zero entry that closes a cycle through it. With every non-zero
//!    entry suppressed no bridge is left (all known figures would be zero, forcing a
//!    bridge to zero), so the loop ends.
//! 3. **Rounding** (optional, to a multiple of 5): every published count is rounded
//!    half up after suppression, each total on its own from its exact value.

/// What a published table shows; `None` is a suppressed count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    /// Per region, per category.
    pub cells: Vec<Vec<Option<i64>>>,
    /// Per region.
    pub row_totals: Vec<Option<i64>>,
    /// Per category: the total row.
    pub column_totals: Vec<Option<i64>>,
    pub total: Option<i64>,
}

/// The table with its margins: `rows + 1` lines of `columns + 1` entries, the last
/// row being the column totals and the last column the row totals.
struct Extended {
    values: Vec<Vec<i64>>,
    hidden: Vec<Vec<bool>>,
}

impl Extended {
    fn new(cells: &[Vec<i64>], columns: usize) -> Extended {
        let rows = cells.len();
        let mut values = vec![vec![0i64; columns + 1]; rows + 1];
        for (r, row) in cells.iter().enumerate() {
            for c in 0..columns {
                let value = row.get(c).copied().unwrap_or(0);
                values[r][c] = value;
                values[r][columns] += value;
                values[rows][c] += value;
                values[rows][columns] += value;
            }
        }
        let hidden = vec![vec![false; columns + 1]; rows + 1];
        Extended { values, hidden }
    }

    fn height(&self) -> usize {
        self.values.len()
    }

    fn width(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    /// Every line as its entries' positions: rows first, then columns.
    fn lines(&self) -> Vec<Vec<(usize, usize)>> {
        let (height, width) = (self.height(), self.width());
        let rows = (0..height).map(|r| (0..width).map(|c| (r, c)).collect());
        let columns = (0..width).map(|c| (0..height).map(|r| (r, c)).collect());
        rows.chain(columns).collect()
    }

    /// Whether `(r, c)` may be suppressed to protect another entry: published and
    /// not zero.
    fn candidate(&self, (r, c): (usize, usize)) -> bool {
        !self.hidden[r][c] && self.values[r][c] != 0
    }

    /// The smallest candidate of `positions`; ties go to a cell before a total, then
    /// to the first.
    fn smallest(&self, positions: impl Iterator<Item = (usize, usize)>) -> Option<(usize, usize)> {
        let (last_row, last_column) = (self.height() - 1, self.width() - 1);
        positions
            .filter(|p| self.candidate(*p))
            .min_by_key(|&(r, c)| (self.values[r][c], r == last_row || c == last_column))
    }

    /// One sweep of the line rule: every line with exactly one suppressed entry
    /// gets a second one. False when every line was safe already.
    fn protect_a_lone_entry(&mut self) -> bool {
        let mut changed = false;
        for line in self.lines() {
            let hidden = line.iter().filter(|(r, c)| self.hidden[*r][*c]).count();
            if hidden == 1
                && let Some((r, c)) = self.smallest(line.iter().copied())
            {
                self.hidden[r][c] = true;
                changed = true;
            }
        }
        changed
    }

    /// The graph of suppressed entries: vertex `r` is row line `r`, vertex
    /// `height + c` is column line `c`; an edge per suppressed entry.
    fn graph(&self) -> Vec<Vec<(usize, (usize, usize))>> {
        let height = self.height();
        let mut adjacent = vec![Vec::new(); height + self.width()];
        for (r, row) in self.hidden.iter().enumerate() {
            for (c, hidden) in row.iter().enumerate() {
                if *hidden {
                    adjacent[r].push((height + c, (r, c)));
                    adjacent[height + c].push((r, (r, c)));
                }
            }
        }
        adjacent
    }

    /// One round of the bridge rule: finds a suppressed entry the published figures
    /// determine and suppresses one more entry to put it on a cycle. False when no
    /// suppressed entry is determined.
    fn protect_a_bridge(&mut self) -> bool {
        let graph = self.graph();
        let Some(bridge) = bridges(&graph).into_iter().next() else {
            return false;
        };
        let height = self.height();
        // The two sides the bridge joins, once it is taken away.
        let side = |from: usize| reachable(&graph, from, bridge);
        let (row_side, column_side) = (side(bridge.0), side(height + bridge.1));
        let all = (0..height).flat_map(|r| (0..self.width()).map(move |c| (r, c)));
        let closes_a_cycle = |&(r, c): &(usize, usize)| {
            (row_side[r] && column_side[height + c]) || (column_side[r] && row_side[height + c])
        };
        let choice = self
            .smallest(all.clone().filter(closes_a_cycle))
            .or_else(|| {
                let (br, bc) = bridge;
                let row = (0..self.width()).map(move |c| (br, c));
                let column = (0..height).map(move |r| (r, bc));
                self.smallest(row.chain(column))
            })
            .or_else(|| self.smallest(all));
        match choice {
            Some((r, c)) => {
                self.hidden[r][c] = true;
                true
            }
            None => false,
        }
    }
}

/// The suppressed entries that lie on no cycle (Tarjan's bridges), as positions.
fn bridges(graph: &[Vec<(usize, (usize, usize))>]) -> Vec<(usize, usize)> {
    struct Search<'a> {
        graph: &'a [Vec<(usize, (usize, usize))>],
        order: Vec<usize>,
        low: Vec<usize>,
        counter: usize,
        found: Vec<(usize, usize)>,
    }
    impl Search<'_> {
        fn visit(&mut self, vertex: usize, through: Option<(usize, usize)>) {
            self.counter += 1;
            self.order[vertex] = self.counter;
            self.low[vertex] = self.counter;
            for &(next, edge) in &self.graph[vertex] {
                if Some(edge) == through {
                    continue;
                }
                if self.order[next] == 0 {
                    self.visit(next, Some(edge));
                    self.low[vertex] = self.low[vertex].min(self.low[next]);
                    if self.low[next] > self.order[vertex] {
                        self.found.push(edge);
                    }
                } else {
                    self.low[vertex] = self.low[vertex].min(self.order[next]);
                }
            }
        }
    }
    let mut search = Search {
        graph,
        order: vec![0; graph.len()],
        low: vec![0; graph.len()],
        counter: 0,
        found: Vec::new(),
    };
    for vertex in 0..graph.len() {
        if search.order[vertex] == 0 {
            search.visit(vertex, None);
        }
    }
    search.found.sort();
    search.found
}

/// Which vertices `from` reaches without crossing `removed`.
fn reachable(
    graph: &[Vec<(usize, (usize, usize))>],
    from: usize,
    removed: (usize, usize),
) -> Vec<bool> {
    let mut seen = vec![false; graph.len()];
    let mut stack = vec![from];
    seen[from] = true;
    while let Some(vertex) = stack.pop() {
        for &(next, edge) in &graph[vertex] {
            if edge != removed && !seen[next] {
                seen[next] = true;
                stack.push(next);
            }
        }
    }
    seen
}

/// Rounds half up to a multiple of `base` (0 or 1: unchanged).
pub fn round_to(value: i64, base: i64) -> i64 {
    if base <= 1 {
        return value;
    }
    (value + base / 2).div_euclid(base) * base
}

/// Whether a count is too small to publish: 1 to `threshold - 1`.
pub fn too_small(value: i64, threshold: i64) -> bool {
    (1..threshold).contains(&value)
}

/// What may be published of `cells` (rows: regions, columns: `columns` categories;
/// a missing cell counts 0): primary and secondary suppression, then rounding to
/// `rounding` (0 for exact counts).
pub fn publish(cells: &[Vec<i64>], columns: usize, threshold: i64, rounding: i64) -> Disclosure {
    let mut table = Extended::new(cells, columns);
    table.suppress_small(threshold);
    while table.protect_a_lone_entry() || table.protect_a_bridge() {}
    table.disclosure(rounding)
}

/// Publishes tables that count the same things by different categories (members by
/// role, by residence class, by civic integration): they share each region's total
/// and the grand total, so a total hidden in one must be hidden in all, or another
/// table would hand the attacker the value. Each table is protected as by
/// [`publish`]; then every shared total hidden in any of them is hidden in all, and
/// the tables are protected again, until nothing changes. `tables` are (cells,
/// columns), with the same regions in the same order.
pub fn publish_linked(
    tables: &[(Vec<Vec<i64>>, usize)],
    threshold: i64,
    rounding: i64,
) -> Vec<Disclosure> {
    let mut extended: Vec<Extended> = tables
        .iter()
        .map(|(cells, columns)| {
            let mut table = Extended::new(cells, *columns);
            table.suppress_small(threshold);
            table
        })
        .collect();
    loop {
        for table in &mut extended {
            while table.protect_a_lone_entry() || table.protect_a_bridge() {}
        }
        let height = extended.first().map_or(0, Extended::height);
        let mut changed = false;
        for r in 0..height {
            let hidden_somewhere = extended.iter().any(|t| {
                t.hidden
                    .get(r)
                    .and_then(|row| row.last())
                    .copied()
                    .unwrap_or(false)
            });
            if !hidden_somewhere {
                continue;
            }
            for table in &mut extended {
                let last = table.width() - 1;
                if let Some(total) = table.hidden.get_mut(r).and_then(|row| row.get_mut(last))
                    && !*total
                {
                    *total = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    extended.iter().map(|t| t.disclosure(rounding)).collect()
}

impl Extended {
    /// Primary suppression.
    fn suppress_small(&mut self, threshold: i64) {
        for r in 0..self.height() {
            for c in 0..self.width() {
                self.hidden[r][c] = too_small(self.values[r][c], threshold);
            }
        }
    }

    /// What the table shows, published counts rounded to `rounding`.
    fn disclosure(&self, rounding: i64) -> Disclosure {
        let (rows, columns) = (self.height() - 1, self.width() - 1);
        let shown = |r: usize, c: usize| {
            (!self.hidden[r][c]).then(|| round_to(self.values[r][c], rounding))
        };
        Disclosure {
            cells: (0..rows)
                .map(|r| (0..columns).map(|c| shown(r, c)).collect())
                .collect(),
            row_totals: (0..rows).map(|r| shown(r, columns)).collect(),
            column_totals: (0..columns).map(|c| shown(rows, c)).collect(),
            total: shown(rows, columns),
        }
    }
}

/// Whether a median over `records` records may be published.
pub fn median_publishable(records: i64, threshold: i64) -> bool {
    records >= threshold
}

#[cfg(test)]
mod tests {
    // The attacker works on grid positions, where indices read best.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::needless_range_loop)]

    use super::*;
    use proptest::prelude::*;

    /// The attacker: knows every published figure and that each line adds up, and
    /// tries to recover suppressed entries. Returns every entry (as a position of the
    /// extended table) that it recovers, with the value it finds.
    fn attack(published: &Disclosure) -> Vec<((usize, usize), f64)> {
        let rows = published.cells.len();
        let columns = published.column_totals.len();
        // The extended table as the attacker sees it.
        let mut known: Vec<Vec<Option<f64>>> = vec![vec![None; columns + 1]; rows + 1];
        for r in 0..rows {
            for c in 0..columns {
                known[r][c] = published.cells[r][c].map(|v| v as f64);
            }
            known[r][columns] = published.row_totals[r].map(|v| v as f64);
        }
        for c in 0..columns {
            known[rows][c] = published.column_totals[c].map(|v| v as f64);
        }
        known[rows][columns] = published.total.map(|v| v as f64);
        let mut recovered = Vec::new();
        // 1. Line by line: a line with one unknown gives it away; repeat as unknowns
        // are solved.
        let mut solved = known.clone();
        let lines: Vec<Vec<(usize, usize)>> = (0..=rows)
            .map(|r| (0..=columns).map(|c| (r, c)).collect())
            .chain((0..=columns).map(|c| (0..=rows).map(|r| (r, c)).collect()))
            .collect();
        loop {
            let mut progress = false;
            for line in &lines {
                let unknown: Vec<_> = line
                    .iter()
                    .filter(|(r, c)| solved[*r][*c].is_none())
                    .collect();
                if let [position] = unknown.as_slice() {
                    let (r, c) = **position;
                    // The last entry of a line is its total; the others add up to it.
                    let (total, parts) = line.split_last().unwrap();
                    let sum_of_parts: f64 = parts
                        .iter()
                        .filter(|p| **p != (r, c))
                        .map(|(pr, pc)| solved[*pr][*pc].unwrap())
                        .sum();
                    let value = if (r, c) == *total {
                        sum_of_parts
                    } else {
                        solved[total.0][total.1].unwrap() - sum_of_parts
                    };
                    solved[r][c] = Some(value);
                    recovered.push(((r, c), value));
                    progress = true;
                }
            }
            if !progress {
                break;
            }
        }
        // 2. All lines at once: an unknown is determined when its unit vector lies in
        // the row space of the equations over the unknowns.
        let unknowns: Vec<(usize, usize)> = (0..=rows)
            .flat_map(|r| (0..=columns).map(move |c| (r, c)))
            .filter(|(r, c)| known[*r][*c].is_none())
            .collect();
        let equations: Vec<Vec<f64>> = lines
            .iter()
            .map(|line| {
                let total = *line.last().unwrap();
                unknowns
                    .iter()
                    .map(|u| {
                        if *u == total {
                            -1.0
                        } else if line.contains(u) {
                            1.0
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        let base_rank = rank(equations.clone());
        for (index, unknown) in unknowns.iter().enumerate() {
            let mut with_unit = equations.clone();
            let mut unit = vec![0.0; unknowns.len()];
            unit[index] = 1.0;
            with_unit.push(unit);
            if rank(with_unit) == base_rank {
                recovered.push((*unknown, f64::NAN));
            }
        }
        recovered
    }

    fn rank(mut matrix: Vec<Vec<f64>>) -> usize {
        let width = matrix.first().map_or(0, Vec::len);
        let mut rank = 0;
        for column in 0..width {
            let Some(pivot) = (rank..matrix.len()).find(|&r| matrix[r][column].abs() > 1e-9) else {
                continue;
            };
            matrix.swap(rank, pivot);
            let lead = matrix[rank][column];
            for value in matrix[rank].iter_mut() {
                *value /= lead;
            }
            for r in 0..matrix.len() {
                if r != rank && matrix[r][column].abs() > 1e-9 {
                    let factor = matrix[r][column];
                    let pivot_row = matrix[rank].clone();
                    for (value, p) in matrix[r].iter_mut().zip(pivot_row) {
                        *value -= factor * p;
                    }
                }
            }
            rank += 1;
        }
        rank
    }

    /// Every figure in `published` that is not suppressed equals the exact one
    /// (rounding off), and every primary-suppressed count is hidden.
    fn check_consistent(
        cells: &[Vec<i64>],
        columns: usize,
        threshold: i64,
        published: &Disclosure,
    ) {
        let table = Extended::new(cells, columns);
        let rows = cells.len();
        let entry = |r: usize, c: usize| {
            if r == rows && c == columns {
                published.total
            } else if r == rows {
                published.column_totals[c]
            } else if c == columns {
                published.row_totals[r]
            } else {
                published.cells[r][c]
            }
        };
        for r in 0..=rows {
            for c in 0..=columns {
                let exact = table.values[r][c];
                match entry(r, c) {
                    Some(shown) => {
                        assert_eq!(shown, exact, "({r},{c}) published wrong");
                        assert!(
                            !too_small(exact, threshold),
                            "({r},{c}) = {exact} published"
                        );
                    }
                    None => assert_ne!(exact, 0, "({r},{c}): a zero was suppressed"),
                }
            }
        }
    }

    #[test]
    fn a_small_count_is_suppressed_and_cannot_be_worked_back_from_the_totals() {
        // Three regions' newcomers by residence class; Miami has 3 tolerated.
        let cells = vec![vec![40, 25, 12], vec![30, 18, 11], vec![22, 15, 3]];
        let published = publish(&cells, 3, 10, 0);
        assert_eq!(published.cells[2][2], None);
        assert_eq!(published.total, Some(176));
        check_consistent(&cells, 3, 10, &published);
        assert_eq!(attack(&published), vec![]);
        // Without the second suppression, Miami's total gives the 3 away.
        let hidden = published
            .cells
            .iter()
            .flatten()
            .filter(|c| c.is_none())
            .count()
            + published.row_totals.iter().filter(|c| c.is_none()).count()
            + published
                .column_totals
                .iter()
                .filter(|c| c.is_none())
                .count();
        assert!(
            hidden >= 4,
            "a lone suppression needs partners in its row and column"
        );
    }

    #[test]
    fn zeros_are_published_and_a_row_of_one_small_count_hides_its_total() {
        let cells = vec![vec![0, 0], vec![7, 0], vec![25, 30]];
        let published = publish(&cells, 2, 10, 0);
        assert_eq!(published.cells[0], vec![Some(0), Some(0)]);
        assert_eq!(published.row_totals[0], Some(0));
        assert_eq!(published.cells[1][0], None);
        assert_eq!(published.row_totals[1], None, "the total is the 7 itself");
        assert_eq!(attack(&published), vec![]);
        check_consistent(&cells, 2, 10, &published);
    }

    #[test]
    fn two_blocks_of_small_counts_joined_by_a_third_are_protected_together() {
        let cells = vec![
            vec![3, 4, 50, 50],
            vec![5, 6, 7, 50],
            vec![50, 50, 8, 9],
            vec![50, 50, 6, 5],
        ];
        let published = publish(&cells, 4, 10, 0);
        assert_eq!(attack(&published), vec![]);
        check_consistent(&cells, 4, 10, &published);
    }

    #[test]
    fn the_attacker_finds_what_weaker_suppression_leaves_open() {
        // Primary suppression alone: Miami's 3 is its row total minus the rest.
        let cells = vec![vec![40, 25, 12], vec![30, 18, 11], vec![22, 15, 3]];
        let mut table = Extended::new(&cells, 3);
        table.suppress_small(10);
        let found = attack(&table.disclosure(0));
        assert!(found.contains(&((2, 2), 3.0)), "{found:?}");
        // The line rule alone is not enough: two blocks of hidden cells joined by
        // one hidden cell (Amsterdam's 7) leave every line with two unknowns or
        // more, yet adding up the lines of one block gives the joining cell away.
        let cells = vec![
            vec![3, 4, 50, 50],
            vec![5, 6, 7, 50],
            vec![50, 50, 8, 9],
            vec![50, 50, 6, 5],
        ];
        let mut table = Extended::new(&cells, 4);
        for (r, c) in [
            (0, 0),
            (0, 1),
            (1, 0),
            (1, 1),
            (1, 2),
            (2, 2),
            (2, 3),
            (3, 2),
            (3, 3),
        ] {
            table.hidden[r][c] = true;
        }
        assert!(!table.protect_a_lone_entry());
        let found = attack(&table.disclosure(0));
        assert!(found.iter().any(|(p, _)| *p == (1, 2)), "{found:?}");
        assert!(table.protect_a_bridge());
    }

    #[test]
    fn rounding_to_five_goes_half_up_and_rounds_each_total_on_its_own() {
        assert_eq!(round_to(12, 5), 10);
        assert_eq!(round_to(13, 5), 15);
        assert_eq!(round_to(15, 5), 15);
        assert_eq!(round_to(0, 5), 0);
        assert_eq!(round_to(13, 0), 13);
        let published = publish(&[vec![12, 13], vec![11, 14]], 2, 10, 5);
        assert_eq!(
            published.cells,
            vec![vec![Some(10), Some(15)], vec![Some(10), Some(15)]]
        );
        assert_eq!(published.row_totals, vec![Some(25), Some(25)]);
        assert_eq!(published.column_totals, vec![Some(25), Some(25)]);
        assert_eq!(published.total, Some(50));
    }

    #[test]
    fn medians_need_as_many_records_as_the_threshold() {
        assert!(!median_publishable(9, 10));
        assert!(median_publishable(10, 10));
    }

    fn small_tables() -> impl Strategy<Value = (Vec<Vec<i64>>, usize)> {
        (1usize..6, 1usize..5).prop_flat_map(|(rows, columns)| {
            let value = prop_oneof![3 => Just(0i64), 4 => 1i64..10, 3 => 10i64..60];
            (
                proptest::collection::vec(proptest::collection::vec(value, columns), rows),
                Just(columns),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn no_suppressed_count_can_be_recovered((cells, columns) in small_tables()) {
            let published = publish(&cells, columns, 10, 0);
            check_consistent(&cells, columns, 10, &published);
            prop_assert_eq!(attack(&published), vec![]);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Members by role and members by residence class share every region's
        /// total: an attacker who takes the totals one table publishes and puts
        /// them into the other must still recover nothing.
        #[test]
        fn tables_that_share_totals_do_not_give_each_other_away(
            (cells, columns) in small_tables(),
            split in proptest::collection::vec(0i64..=100, 6),
        ) {
            let other: Vec<Vec<i64>> = cells
                .iter()
                .enumerate()
                .map(|(r, row)| {
                    let sum: i64 = row.iter().sum();
                    let part = sum * split[r % split.len()] / 100;
                    vec![part, sum - part]
                })
                .collect();
            let shown = publish_linked(&[(cells.clone(), columns), (other.clone(), 2)], 10, 0);
            check_consistent(&cells, columns, 10, &shown[0]);
            check_consistent(&other, 2, 10, &shown[1]);
            for (mine, theirs) in [(&shown[0], &shown[1]), (&shown[1], &shown[0])] {
                let mut helped = mine.clone();
                for (r, total) in helped.row_totals.iter_mut().enumerate() {
                    if total.is_none() {
                        *total = theirs.row_totals[r];
                    }
                }
                if helped.total.is_none() {
                    helped.total = theirs.total;
                }
                prop_assert_eq!(attack(&helped), vec![]);
            }
        }
    }
}
