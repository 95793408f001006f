//! Statistical disclosure control for one published table: regions × categories,
//! each region's row total, each category's column total (the total row) and the
//! grand total. Pure functions, so the rules can be read and tested on their own.
//!
//! 1. **Primary suppression.** Every count from 1 to `threshold - 1` is suppressed
//!    (shown as `<10`), totals included. A **zero is published as 0**, as the ONS and
//!    Eurostat do: it points at no one, and hiding zeros would hide most of a sparse
//!    table for no protection. Zeros are never used as complementary suppressions.
//! 2. **Secondary suppression, with protection ranges.** The attacker knows every
//!    published figure, that every line adds up (each region's row with its total,
//!    the total row, each column with its total), and that a suppressed count is at
//!    least 1 (a zero would have been published). A chapter admin also knows their
//!    own region's row in full. From that, each suppressed count lies in a range
//!    `[min, max]` (what a linear program finds); every suppressed count must keep a
//!    range at least `threshold` wide, for the outsider and for every chapter admin
//!    (whose own row needs no protection from them, nor do the totals over regions,
//!    which hold their own row). The ranges are found without a solver: the
//!    suppressed entries are the edges of a graph (lines are vertices; an entry
//!    joins its row and its column) and, after flipping the sign of the totals, a
//!    change that keeps every line adding up is a circulation on it. An entry can
//!    rise as far as a maximum flow around it allows, where an entry can rise without
//!    limit and fall to 1 (its value minus 1); it can fall by as much as the flow the
//!    other way, and at most to 1. Where a range is too narrow, the cheapest path
//!    (least published count hidden) that closes a cycle through it with enough room
//!    is hidden too, until every range is wide enough. The tests check every range
//!    with a linear program (`good_lp`).
//! 3. **Tables that share totals** (members by role, by residence class, by civic
//!    integration: every region's total and the grand total are the same) are
//!    protected together: a shared total hidden in one is hidden in all, and a range
//!    may only count on a change of shared totals that every such table can follow.
//! 4. **Rounding** (optional, to a multiple of 5): every published count is rounded
//!    half up after suppression, each total on its own from its exact value.

use std::cell::RefCell;
use std::rc::Rc;

use super::flow_network::{Network, UNLIMITED, Without};

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

/// A position in the extended table: (line of the row, line of the column).
type Entry = (usize, usize);

/// How many times the threshold the outsider's changes are counted up to. The
/// room left over is what lets a chapter admin's range be known wide without a
/// flow of its own: the admin's changes are the outsider's that avoid their row.
const OUTSIDER_SPARE: i64 = 2;

/// The table with its margins: `rows + 1` lines of `columns + 1` entries, the last
/// row being the column totals and the last column the row totals.
struct Extended {
    values: Vec<Vec<i64>>,
    hidden: Vec<Vec<bool>>,
    /// The networks of the hidden entries of the moment, without and with row
    /// totals (a chapter admin's is one without their row's vertex); emptied
    /// whenever another entry is hidden.
    networks: RefCell<[Option<Rc<Network>>; 2]>,
}

/// How far an entry can rise and fall, and how much of those changes passes
/// through each row line.
struct Room {
    rise: i64,
    fall: i64,
    rise_through: Vec<i64>,
    fall_through: Vec<i64>,
}

impl Room {
    /// How far the entry can rise and fall at least for the chapter admin of row
    /// `r`, who knows that row: the changes that avoid it.
    fn without_row(&self, r: usize) -> i64 {
        (self.rise - self.rise_through[r]).max(0) + (self.fall - self.fall_through[r]).max(0)
    }
}

/// The ranges found wide, which stay wide as more is hidden: a mark per
/// attacker (the outsider, then each region's chapter admin), table and entry.
struct Marks {
    marked: Vec<bool>,
    tables: usize,
    height: usize,
    width: usize,
}

impl Marks {
    /// For `tables` tables of at most `height` row lines of `width` entries.
    fn new(tables: usize, height: usize, width: usize) -> Marks {
        Marks {
            marked: vec![false; (height + 1) * tables * height * width],
            tables,
            height,
            width,
        }
    }

    fn index(&self, attacker: Attacker, table: usize, (r, c): Entry) -> usize {
        let who = attacker.map_or(0, |own| own + 1);
        ((who * self.tables + table) * self.height + r) * self.width + c
    }

    fn contains(&self, attacker: Attacker, table: usize, entry: Entry) -> bool {
        self.marked[self.index(attacker, table, entry)]
    }

    fn insert(&mut self, attacker: Attacker, table: usize, entry: Entry) {
        let index = self.index(attacker, table, entry);
        self.marked[index] = true;
    }
}

/// Who attacks: an outsider (`None`), or the chapter admin of the region of row
/// `Some(r)`, who knows that row exactly.
type Attacker = Option<usize>;

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
        Extended {
            values,
            hidden,
            networks: RefCell::default(),
        }
    }

    fn height(&self) -> usize {
        self.values.len()
    }

    fn width(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    fn entries(&self) -> impl Iterator<Item = Entry> + use<> {
        let width = self.width();
        (0..self.height()).flat_map(move |r| (0..width).map(move |c| (r, c)))
    }

    /// The entry's number in the table, row by row.
    fn number(&self, (r, c): Entry) -> usize {
        r * self.width() + c
    }

    fn is_hidden(&self, (r, c): Entry) -> bool {
        self.hidden[r][c]
    }

    fn value(&self, (r, c): Entry) -> i64 {
        self.values[r][c]
    }

    fn hide(&mut self, (r, c): Entry) -> bool {
        let newly = !self.hidden[r][c];
        self.hidden[r][c] = true;
        if newly {
            *self.networks.get_mut() = [None, None];
        }
        newly
    }

    /// The vertex of row line `r` and of column line `c` in the graph.
    fn row_vertex(&self, r: usize) -> usize {
        r
    }

    fn column_vertex(&self, c: usize) -> usize {
        self.height() + c
    }

    /// The attackers worth trying: the outsider, and the chapter admin of every
    /// region whose row has a suppressed entry (of any other region, they know no
    /// more than the outsider).
    fn attackers(&self) -> Vec<Attacker> {
        let regions = self.height() - 1;
        let mut attackers = vec![None];
        attackers.extend(
            (0..regions)
                .filter(|r| self.hidden[*r].contains(&true))
                .map(Some),
        );
        attackers
    }

    /// The suppressed entries `attacker` must not narrow down: every one for the
    /// outsider; for a chapter admin, the other regions' counts and row totals.
    fn targets(&self, attacker: Attacker) -> Vec<Entry> {
        let regions = self.height() - 1;
        self.entries()
            .filter(|e| self.is_hidden(*e))
            .filter(|(r, _)| attacker.is_none_or(|own| *r != own && *r < regions))
            .collect()
    }

    /// Whether `entry` is a count or the grand total (it rises as a flow from its
    /// row to its column), rather than a row or column total (the other way).
    fn rises_row_to_column(&self, (r, c): Entry) -> bool {
        (r + 1 < self.height()) == (c + 1 < self.width())
    }

    /// The room of `entry` to rise and to fall, as arcs: (from, to, room).
    fn arcs(&self, entry: Entry) -> [(usize, usize, i64); 2] {
        let (row, column) = (self.row_vertex(entry.0), self.column_vertex(entry.1));
        let fall = (self.value(entry) - 1).max(0);
        if self.rises_row_to_column(entry) {
            [(row, column, UNLIMITED), (column, row, fall)]
        } else {
            [(column, row, UNLIMITED), (row, column, fall)]
        }
    }

    /// Where a flow that lets `entry` rise leaves and comes back: it rises along
    /// its own arc, so the rest of the graph carries it from the arc's end back to
    /// its start.
    fn rise_from_to(&self, entry: Entry) -> (usize, usize) {
        let [(from, to, _), _] = self.arcs(entry);
        (to, from)
    }

    /// The graph of the suppressed entries, without the column of row totals
    /// when `totals` is false; built once per hidden set.
    fn network(&self, totals: bool) -> Rc<Network> {
        let mut networks = self.networks.borrow_mut();
        let network = networks[usize::from(totals)].get_or_insert_with(|| {
            let vertices = self.height() + self.width();
            let regions = self.height() - 1;
            let mut network = Network::new(vertices, regions, self.height() * self.width());
            for e in self.entries() {
                if self.is_hidden(e) && self.usable(e, None, None, totals) {
                    network.add_entry(self.number(e), self.arcs(e));
                }
            }
            Rc::new(network)
        });
        Rc::clone(network)
    }

    /// What a change of `entry` may not use for `attacker`: the entry itself,
    /// and the row a chapter admin knows.
    fn without<'a>(&self, entry: Option<Entry>, attacker: &'a Attacker) -> Without<'a> {
        Without {
            entry: entry.map(|e| self.number(e)),
            rows: attacker.as_slice(),
        }
    }

    /// Whether `e` may take part in a change: not `except`, not known to
    /// `attacker`, and not a row total when `totals` is false.
    fn usable(&self, e: Entry, attacker: Attacker, except: Option<Entry>, totals: bool) -> bool {
        Some(e) != except && attacker != Some(e.0) && (totals || e.1 + 1 < self.width())
    }

    /// How far `entry` can rise and fall for `attacker`, by changes within this
    /// table (without touching row totals unless `totals`), counted up to `limit`
    /// together: the rise first, then the fall up to what the rise leaves. (A
    /// fall is at most the entry's value minus 1, so it is the rise that reaches
    /// the limit, and then the fall need not be found.)
    fn room(&self, entry: Entry, attacker: Attacker, totals: bool, limit: i64) -> (i64, i64) {
        let network = self.network(totals);
        let (from, to) = self.rise_from_to(entry);
        let without = self.without(Some(entry), &attacker);
        let rise = network.max_flow(from, to, limit, without);
        let fall_limit = (limit - rise).min(self.value(entry) - 1).max(0);
        let fall = network.max_flow(to, from, fall_limit, without);
        (rise, fall)
    }

    /// [`Extended::room`] for the outsider, without the rows `known`, with at
    /// most `per_row` of each change through any region's row, and how much
    /// passed through each: a chapter admin who knows another row can make the
    /// rest.
    fn room_through(
        &self,
        entry: Entry,
        known: &[usize],
        totals: bool,
        limit: i64,
        per_row: i64,
    ) -> Room {
        let network = self.network(totals);
        let (from, to) = self.rise_from_to(entry);
        let without = Without {
            entry: Some(self.number(entry)),
            rows: known,
        };
        let rise = network.max_flow_through(from, to, limit, without, per_row);
        let fall_limit = (limit - rise.value).min(self.value(entry) - 1).max(0);
        let fall = network.max_flow_through(to, from, fall_limit, without, per_row);
        Room {
            rise: rise.value,
            fall: fall.value,
            rise_through: rise.through,
            fall_through: fall.through,
        }
    }

    /// The outsider's room for `entry` ([`Extended::room_through`] up to
    /// `OUTSIDER_SPARE` times the threshold), found first with at most half the
    /// threshold through any one region's row (rising and falling each): when
    /// that reaches the limit, the changes that avoid any one row leave a range
    /// `threshold` wide, so every chapter admin is served by the one flow. Where
    /// the changes so spread are too few, the room without the cap, which is the
    /// outsider's range itself.
    fn outsider_room(&self, entry: Entry, totals: bool, threshold: i64) -> Room {
        let limit = threshold * OUTSIDER_SPARE;
        let spread = self.room_through(entry, &[], totals, limit, (threshold + 1) / 2);
        if spread.rise + spread.fall >= threshold {
            return spread;
        }
        self.room_through(entry, &[], totals, limit, UNLIMITED)
    }

    /// The chapter admins for whom `entry`'s range is wide by what the outsider's
    /// changes `room` leave them: those that avoid their row. Where the changes
    /// found crowd into a few rows, they are found again spread one unit a row;
    /// for the rows still crowded, once more avoiding all of them.
    fn wide_for_admins(
        &self,
        entry: Entry,
        room: &Room,
        threshold: i64,
        totals: bool,
    ) -> Vec<usize> {
        let regions = self.height() - 1;
        let others = (0..regions).filter(|r| *r != entry.0);
        let (wide, crowded): (Vec<usize>, Vec<usize>) =
            others.partition(|r| room.without_row(*r) >= threshold);
        if crowded.is_empty() {
            return wide;
        }
        let limit = threshold * OUTSIDER_SPARE;
        let spread = self.room_through(entry, &[], totals, limit, 1);
        let (spread_wide, still): (Vec<usize>, Vec<usize>) = crowded
            .into_iter()
            .partition(|r| spread.without_row(*r) >= threshold);
        let all_wide = !still.is_empty() && {
            let avoiding = self.room_through(entry, &still, totals, threshold, UNLIMITED);
            avoiding.rise + avoiding.fall >= threshold
        };
        wide.into_iter()
            .chain(spread_wide)
            .chain(still.into_iter().filter(|_| all_wide))
            .collect()
    }

    /// The cheapest path from vertex `from` to `to` over the non-zero entries
    /// `attacker` does not know (but `except`; row totals only when `totals`), each
    /// with at least `need` room in the direction taken: the entries on it, and
    /// what hiding them costs (the published counts among them).
    fn cheapest_path(
        &self,
        from: usize,
        to: usize,
        need: i64,
        attacker: Attacker,
        except: Option<Entry>,
        totals: bool,
    ) -> Option<(i64, Vec<Entry>)> {
        let vertices = self.height() + self.width();
        let mut arcs: Vec<Vec<(usize, i64, Entry)>> = vec![Vec::new(); vertices];
        for e in self.entries() {
            if self.value(e) == 0 || !self.usable(e, attacker, except, totals) {
                continue;
            }
            let cost = if self.is_hidden(e) { 0 } else { self.value(e) };
            for (a, b, room) in self.arcs(e) {
                if room >= need {
                    arcs[a].push((b, cost, e));
                }
            }
        }
        shortest_path(&arcs, from, to)
    }

    /// Primary suppression.
    fn suppress_small(&mut self, threshold: i64) {
        for r in 0..self.height() {
            for c in 0..self.width() {
                self.hidden[r][c] = too_small(self.values[r][c], threshold);
            }
        }
    }

    /// Hides the smallest published non-zero entry of `entry`'s lines, else of the
    /// table; false when every non-zero entry is hidden already.
    fn hide_smallest_near(&mut self, (r, c): Entry) -> bool {
        let smallest = |positions: Vec<Entry>| {
            positions
                .into_iter()
                .filter(|e| !self.is_hidden(*e) && self.value(*e) != 0)
                .min_by_key(|e| self.value(*e))
        };
        let lines: Vec<Entry> = (0..self.width())
            .map(|c2| (r, c2))
            .chain((0..self.height()).map(|r2| (r2, c)))
            .collect();
        match smallest(lines).or_else(|| smallest(self.entries().collect())) {
            Some(e) => self.hide(e),
            None => false,
        }
    }

    /// Secondary suppression of a table on its own: until every range is wide
    /// enough, a too narrow one gets the cheapest cycle with room enough. A range
    /// found wide stays wide as more is hidden, so it is not checked again; nor
    /// is it for a chapter admin when the outsider's changes that avoid their
    /// row are enough.
    fn protect(&mut self, threshold: i64) {
        let mut wide = Marks::new(1, self.height(), self.width());
        loop {
            let mut changed = false;
            for attacker in self.attackers() {
                for entry in self.targets(attacker) {
                    // A chapter admin's range is checked once the outsider's is
                    // wide: an entry the outsider has not judged since it was
                    // hidden, or just covered, waits for the next round.
                    let judged = attacker.is_none() || wide.contains(None, 0, entry);
                    if !judged || wide.contains(attacker, 0, entry) {
                        continue;
                    }
                    let (rise, fall) = match attacker {
                        None => {
                            let room = self.outsider_room(entry, true, threshold);
                            if room.rise + room.fall >= threshold {
                                for r in self.wide_for_admins(entry, &room, threshold, true) {
                                    wide.insert(Some(r), 0, entry);
                                }
                            }
                            (room.rise, room.fall)
                        }
                        Some(_) => self.room(entry, attacker, true, threshold),
                    };
                    if rise + fall >= threshold {
                        wide.insert(attacker, 0, entry);
                        continue;
                    }
                    let need = threshold - fall;
                    let (from, to) = self.rise_from_to(entry);
                    let path = self.cheapest_path(from, to, need, attacker, Some(entry), true);
                    let hid = match path {
                        Some((_, path)) => path.into_iter().fold(false, |h, e| self.hide(e) | h),
                        None => false,
                    };
                    if !(hid || self.hide_smallest_near(entry)) {
                        // Every count but the zeros is hidden already: no
                        // check left can change what is published.
                        return;
                    }
                    changed = true;
                }
            }
            if !changed {
                break;
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

/// Dijkstra over `arcs` (per vertex: (next, cost, entry)): the cheapest path's cost
/// and entries, fewest entries among equally cheap ones.
fn shortest_path(
    arcs: &[Vec<(usize, i64, Entry)>],
    from: usize,
    to: usize,
) -> Option<(i64, Vec<Entry>)> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut best: Vec<Option<(i64, usize)>> = vec![None; arcs.len()];
    let mut came_by: Vec<Option<(usize, Entry)>> = vec![None; arcs.len()];
    let mut queue = BinaryHeap::from([Reverse((0i64, 0usize, from))]);
    best[from] = Some((0, 0));
    while let Some(Reverse((cost, steps, vertex))) = queue.pop() {
        if best[vertex].is_some_and(|b| b < (cost, steps)) {
            continue;
        }
        if vertex == to {
            break;
        }
        for &(next, step_cost, entry) in &arcs[vertex] {
            let reached = (cost + step_cost, steps + 1);
            if best[next].is_none_or(|b| reached < b) {
                best[next] = Some(reached);
                came_by[next] = Some((vertex, entry));
                queue.push(Reverse((reached.0, reached.1, next)));
            }
        }
    }
    let (cost, _) = best[to]?;
    let mut entries = Vec::new();
    let mut vertex = to;
    while vertex != from {
        let (previous, entry) = came_by[vertex]?;
        entries.push(entry);
        vertex = previous;
    }
    Some((cost, entries))
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
    table.protect(threshold);
    table.disclosure(rounding)
}

/// Publishes tables that count the same things by different categories (members by
/// role, by residence class, by civic integration): they share each region's total
/// and the grand total, so a total hidden in one is hidden in all. A range in one
/// table may count on a change of its shared totals only where every other table
/// can follow that change through counts of its own. `tables` are (cells,
/// columns), with the same regions in the same order.
pub fn publish_linked(
    tables: &[(Vec<Vec<i64>>, usize)],
    threshold: i64,
    rounding: i64,
) -> Vec<Disclosure> {
    let mut group = Linked {
        tables: tables
            .iter()
            .map(|(cells, columns)| {
                let mut table = Extended::new(cells, *columns);
                table.suppress_small(threshold);
                table
            })
            .collect(),
    };
    group.protect(threshold);
    group
        .tables
        .iter()
        .map(|t| t.disclosure(rounding))
        .collect()
}

/// A way to cover an entry of linked tables: what it costs, the partner total,
/// and the entries to hide (table, entry).
type Choice = (i64, usize, Vec<(usize, Entry)>);

/// Tables with the same rows and the same row totals.
struct Linked {
    tables: Vec<Extended>,
}

impl Linked {
    fn height(&self) -> usize {
        self.tables.first().map_or(0, Extended::height)
    }

    /// The shared total of row line `r` in `table` (the grand total for the last).
    fn total(table: &Extended, r: usize) -> Entry {
        (r, table.width() - 1)
    }

    fn total_hidden(&self, r: usize) -> bool {
        self.tables.iter().any(|t| t.is_hidden(Self::total(t, r)))
    }

    fn total_value(&self, r: usize) -> i64 {
        self.tables
            .first()
            .map_or(0, |t| t.value(Self::total(t, r)))
    }

    /// Hides in every table the shared totals hidden in any; true when that
    /// changed something.
    fn share(&mut self) -> bool {
        let mut changed = false;
        for r in 0..self.height() {
            if self.total_hidden(r) {
                changed |= self.hide_total(r);
            }
        }
        changed
    }

    fn hide_total(&mut self, r: usize) -> bool {
        self.tables.iter_mut().fold(false, |changed, t| {
            let total = Self::total(t, r);
            t.hide(total) | changed
        })
    }

    fn attackers(&self) -> Vec<Attacker> {
        let mut attackers = vec![None];
        attackers.extend(
            (0..self.height() - 1)
                .filter(|r| self.tables.iter().any(|t| t.hidden[*r].contains(&true)))
                .map(Some),
        );
        attackers
    }

    /// Secondary suppression of the tables together; as [`Extended::protect`], a
    /// range found wide is not checked again.
    fn protect(&mut self, threshold: i64) {
        let width = self.tables.iter().map(Extended::width).max().unwrap_or(0);
        let mut wide = Marks::new(self.tables.len(), self.height(), width);
        loop {
            let mut changed = self.share();
            for attacker in self.attackers() {
                for k in 0..self.tables.len() {
                    for entry in self.tables[k].targets(attacker) {
                        let shared = entry.1 + 1 == self.tables[k].width();
                        // As for a table on its own: an admin's range once the
                        // outsider's is wide.
                        let judged = attacker.is_none() || wide.contains(None, k, entry);
                        if (shared && k > 0) || !judged || wide.contains(attacker, k, entry) {
                            continue;
                        }
                        if attacker.is_none() && !shared {
                            // Changes within the table that touch no row total
                            // serve every chapter admin whose row they miss.
                            let table = &self.tables[k];
                            let room = table.outsider_room(entry, false, threshold);
                            if room.rise + room.fall >= threshold {
                                for r in table.wide_for_admins(entry, &room, threshold, false) {
                                    wide.insert(Some(r), k, entry);
                                }
                                wide.insert(None, k, entry);
                                continue;
                            }
                        }
                        if self.wide_enough(k, entry, attacker, threshold) {
                            wide.insert(attacker, k, entry);
                            continue;
                        }
                        changed |= self.cover(k, entry, attacker, threshold);
                        self.share();
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// The maximum flow from row line `from` to row line `to` in every table but
    /// `skip`, by counts and column totals alone (no shared total), up to `limit`.
    fn flow_elsewhere(
        &self,
        skip: Option<usize>,
        from: usize,
        to: usize,
        attacker: Attacker,
        limit: i64,
    ) -> i64 {
        self.tables
            .iter()
            .enumerate()
            .filter(|(j, _)| Some(*j) != skip)
            .map(|(_, t)| {
                let without = t.without(None, &attacker);
                t.network(false).max_flow(from, to, limit, without)
            })
            .min()
            .unwrap_or(limit)
    }

    /// The room of the shared total of row line `b` to fall (when `falls`) or to
    /// rise: its value minus 1, or without limit.
    fn total_room(&self, b: usize, falls: bool) -> i64 {
        if falls {
            (self.total_value(b) - 1).max(0)
        } else {
            UNLIMITED
        }
    }

    /// The partners a change of shared total `a` can be balanced by: the other
    /// shared totals that are hidden and not known to `attacker`.
    fn partners(&self, a: usize, attacker: Attacker) -> Vec<usize> {
        (0..self.height())
            .filter(|b| *b != a && Some(*b) != attacker && self.total_hidden(*b))
            .collect()
    }

    /// Whether `entry` of table `k` keeps a range `threshold` wide for `attacker`.
    /// Rows are changed by counts of their own table, or with a pair of shared
    /// totals that every table follows (one rises, the other falls; or both rise
    /// when one is the grand total).
    fn wide_enough(&self, k: usize, entry: Entry, attacker: Attacker, threshold: i64) -> bool {
        let table = &self.tables[k];
        let grand = self.height() - 1;
        let (r, c) = entry;
        let shared = c + 1 == table.width();
        let (mut rise, mut fall) = if shared {
            (0, 0)
        } else {
            table.room(entry, attacker, false, threshold)
        };
        if rise + fall >= threshold {
            return true;
        }
        let own_fall = (table.value(entry) - 1).max(0);
        let column = table.column_vertex(c);
        if shared {
            for b in self.partners(r, attacker) {
                // A region's total rises with b's falling (or the grand total
                // rising); the grand total rises with a region's total rising.
                let (up, down) = if r < grand {
                    let up = self
                        .total_room(b, b < grand)
                        .min(self.flow_elsewhere(None, r, b, attacker, threshold));
                    let down = self
                        .total_room(b, b == grand)
                        .min(self.flow_elsewhere(None, b, r, attacker, threshold));
                    (up, down)
                } else {
                    let up = self.flow_elsewhere(None, b, r, attacker, threshold);
                    let down = self
                        .total_room(b, true)
                        .min(self.flow_elsewhere(None, r, b, attacker, threshold));
                    (up, down)
                };
                rise = rise.max(up);
                fall = fall.max(down.min(own_fall));
                if rise + fall >= threshold {
                    return true;
                }
            }
        } else if r < grand && self.total_hidden(r) {
            // A count: its row's total moves with it, balanced by shared total b.
            let network = table.network(false);
            let without = table.without(Some(entry), &attacker);
            for b in self.partners(r, attacker) {
                let up = self
                    .total_room(b, b < grand)
                    .min(network.max_flow(column, b, threshold, without))
                    .min(self.flow_elsewhere(Some(k), r, b, attacker, threshold));
                let down = self
                    .total_room(b, b == grand)
                    .min(self.total_room(r, true))
                    .min(network.max_flow(b, column, threshold, without))
                    .min(self.flow_elsewhere(Some(k), b, r, attacker, threshold));
                rise = rise.max(up);
                fall = fall.max(down.min(own_fall));
                if rise + fall >= threshold {
                    return true;
                }
            }
        } else if r == grand && self.total_hidden(grand) {
            // A column total: the grand total moves with it, balanced by b.
            let network = table.network(false);
            let without = table.without(Some(entry), &attacker);
            for b in self.partners(r, attacker) {
                let up = network
                    .max_flow(b, column, threshold, without)
                    .min(self.flow_elsewhere(Some(k), b, grand, attacker, threshold));
                let down = self
                    .total_room(b, true)
                    .min(self.total_room(grand, true))
                    .min(network.max_flow(column, b, threshold, without))
                    .min(self.flow_elsewhere(Some(k), grand, b, attacker, threshold));
                rise = rise.max(up);
                fall = fall.max(down.min(own_fall));
                if rise + fall >= threshold {
                    return true;
                }
            }
        }
        rise + fall >= threshold
    }

    /// Hides more so that `entry` of table `k` can rise by `threshold`: a cycle
    /// within its table if there is one, else the cheapest pair of shared totals
    /// with a path in every table. True when something new was hidden.
    fn cover(&mut self, k: usize, entry: Entry, attacker: Attacker, threshold: i64) -> bool {
        let grand = self.height() - 1;
        let (r, c) = entry;
        let shared = c + 1 == self.tables[k].width();
        if !shared {
            let table = &self.tables[k];
            let (_, fall) = table.room(entry, attacker, false, threshold);
            let (from, to) = table.rise_from_to(entry);
            let need = threshold - fall;
            if let Some((_, path)) =
                table.cheapest_path(from, to, need, attacker, Some(entry), false)
            {
                let hid = path
                    .into_iter()
                    .fold(false, |h, e| self.tables[k].hide(e) | h);
                if hid {
                    return true;
                }
            }
        }
        // The pair: the shared total `a` that moves with the entry, and a partner.
        let table = &self.tables[k];
        let a = if shared || r < grand { r } else { grand };
        if table.value(Self::total(table, a)) == 0 {
            return self.tables[k].hide_smallest_near(entry) | self.share();
        }
        let column = table.column_vertex(c);
        // (cost, partner, what to hide: table and entry)
        let mut best: Option<Choice> = None;
        for b in (0..self.height()).filter(|b| *b != a && Some(*b) != attacker) {
            if self.total_value(b) == 0 {
                continue;
            }
            // Which way each table's path runs, and the partner's room that way.
            let (from, to, partner_room) = if a < grand {
                (a, b, self.total_room(b, b < grand))
            } else {
                (b, a, UNLIMITED)
            };
            if partner_room < threshold {
                continue;
            }
            let mut cost = 0;
            for t in [a, b] {
                if !self.total_hidden(t) {
                    cost += self.total_value(t);
                }
            }
            let mut hide = Vec::new();
            let mut found = true;
            for (j, t) in self.tables.iter().enumerate() {
                let path = if j == k && !shared && r < grand {
                    t.cheapest_path(column, b, threshold, attacker, Some(entry), false)
                } else if j == k && !shared {
                    t.cheapest_path(b, column, threshold, attacker, Some(entry), false)
                } else {
                    t.cheapest_path(from, to, threshold, attacker, None, false)
                };
                match path {
                    Some((more, entries)) => {
                        cost += more;
                        hide.extend(entries.into_iter().map(|e| (j, e)));
                    }
                    None => {
                        found = false;
                        break;
                    }
                }
            }
            if found && best.as_ref().is_none_or(|(least, _, _)| cost < *least) {
                best = Some((cost, b, hide));
            }
        }
        match best {
            Some((_, b, hide)) => {
                let mut hid = self.hide_total(a) | self.hide_total(b);
                for (j, e) in hide {
                    hid |= self.tables[j].hide(e);
                }
                hid || self.tables[k].hide_smallest_near(entry) | self.share()
            }
            None => self.tables[k].hide_smallest_near(entry) | self.share(),
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
    use good_lp::{
        Expression, ProblemVariables, ResolutionError, Solution, SolverModel, constraint, microlp,
        variable,
    };
    use proptest::prelude::*;

    /// What the attacker sees of one entry: a figure, or an unknown (by number).
    #[derive(Clone, Copy)]
    enum Seen {
        Known(f64),
        Unknown(usize),
    }

    /// The attacker's linear program: the unknowns (each at least 1, since a zero
    /// would have been published) and the lines that must add up.
    struct Attack {
        unknowns: usize,
        lines: Vec<(Vec<(usize, f64)>, f64)>,
        /// Per unknown: (table, entry) it stands for, first table first.
        stands_for: Vec<(usize, Entry)>,
    }

    impl Attack {
        /// What `attacker` knows of `published` (tables of the same regions; when
        /// `linked`, they share every region's total and the grand total):
        /// everything published, and a chapter admin their region's row of every
        /// table (taken from `exact`).
        fn new(
            exact: &[Extended],
            published: &[Disclosure],
            linked: bool,
            attacker: Attacker,
        ) -> Attack {
            let mut stands_for = Vec::new();
            let mut seen: Vec<Vec<Vec<Seen>>> = Vec::new();
            for (k, (table, shown)) in exact.iter().zip(published).enumerate() {
                let (rows, columns) = (table.height() - 1, table.width() - 1);
                let mut grid = vec![vec![Seen::Known(0.0); columns + 1]; rows + 1];
                for r in 0..=rows {
                    for c in 0..=columns {
                        let figure = if r == rows && c == columns {
                            shown.total
                        } else if r == rows {
                            shown.column_totals[c]
                        } else if c == columns {
                            shown.row_totals[r]
                        } else {
                            shown.cells[r][c]
                        };
                        grid[r][c] = match figure {
                            _ if attacker == Some(r) => Seen::Known(table.values[r][c] as f64),
                            Some(value) => Seen::Known(value as f64),
                            None if linked && k > 0 && c == columns => {
                                seen[0][r][exact[0].width() - 1]
                            }
                            None => {
                                stands_for.push((k, (r, c)));
                                Seen::Unknown(stands_for.len() - 1)
                            }
                        };
                    }
                }
                seen.push(grid);
            }
            let mut lines = Vec::new();
            for grid in &seen {
                let (height, width) = (grid.len(), grid[0].len());
                let row_lines = (0..height).map(|r| (0..width).map(|c| grid[r][c]).collect());
                let column_lines = (0..width).map(|c| (0..height).map(|r| grid[r][c]).collect());
                for line in row_lines.chain(column_lines).collect::<Vec<Vec<Seen>>>() {
                    // The parts add up to the last entry, the line's total.
                    let mut terms = Vec::new();
                    let mut constant = 0.0;
                    for (i, entry) in line.iter().enumerate() {
                        let sign = if i + 1 == line.len() { -1.0 } else { 1.0 };
                        match entry {
                            Seen::Known(value) => constant += sign * value,
                            Seen::Unknown(u) => terms.push((*u, sign)),
                        }
                    }
                    lines.push((terms, -constant));
                }
            }
            Attack {
                unknowns: stands_for.len(),
                lines,
                stands_for,
            }
        }

        /// The least or the most unknown `target` can be (infinite when unbounded).
        fn bound(&self, target: usize, most: bool) -> f64 {
            let mut variables = ProblemVariables::new();
            let x: Vec<_> = (0..self.unknowns)
                .map(|_| variables.add(variable().min(1.0)))
                .collect();
            let objective: Expression = x[target].into();
            let problem = if most {
                variables.maximise(objective)
            } else {
                variables.minimise(objective)
            };
            let mut model = problem.using(microlp);
            for (terms, right) in &self.lines {
                let sum: Expression = terms.iter().map(|(u, sign)| *sign * x[*u]).sum();
                model = model.with(constraint::eq(sum, *right));
            }
            match model.solve() {
                Ok(solution) => solution.value(x[target]),
                Err(ResolutionError::Unbounded) => f64::INFINITY,
                Err(error) => panic!("the attacker's program failed: {error}"),
            }
        }

        /// Every unknown `attacker` must not narrow down, with its range [min, max].
        fn ranges(
            &self,
            exact: &[Extended],
            attacker: Attacker,
        ) -> Vec<((usize, Entry), f64, f64)> {
            (0..self.unknowns)
                .filter(|u| {
                    let (k, (r, _)) = self.stands_for[*u];
                    attacker.is_none() || r + 1 < exact[k].height()
                })
                .map(|u| {
                    (
                        self.stands_for[u],
                        self.bound(u, false),
                        self.bound(u, true),
                    )
                })
                .collect()
        }
    }

    /// Every suppressed entry of `published` whose range, for the outsider or for
    /// any region's chapter admin, is narrower than `threshold`: (attacker, table,
    /// entry, min, max).
    fn narrow(
        exact: &[Extended],
        published: &[Disclosure],
        linked: bool,
        threshold: i64,
    ) -> Vec<(Attacker, usize, Entry, f64, f64)> {
        // A chapter admin whose row is published in full knows what everyone knows.
        let regions = (0..exact[0].height() - 1).filter(|r| {
            published
                .iter()
                .any(|shown| shown.cells[*r].contains(&None) || shown.row_totals[*r].is_none())
        });
        let mut found = Vec::new();
        for attacker in std::iter::once(None).chain(regions.map(Some)) {
            let attack = Attack::new(exact, published, linked, attacker);
            for ((k, entry), min, max) in attack.ranges(exact, attacker) {
                if max - min < threshold as f64 - 1e-6 {
                    found.push((attacker, k, entry, min, max));
                }
            }
        }
        found
    }

    fn narrow_in(
        cells: &[Vec<i64>],
        columns: usize,
        published: &Disclosure,
    ) -> Vec<(Attacker, usize, Entry, f64, f64)> {
        narrow(
            &[Extended::new(cells, columns)],
            std::slice::from_ref(published),
            false,
            10,
        )
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
        assert_eq!(narrow_in(&cells, 3, &published), vec![]);
    }

    #[test]
    fn zeros_are_published_and_a_row_of_one_small_count_hides_its_total() {
        let cells = vec![vec![0, 0], vec![7, 0], vec![25, 30]];
        let published = publish(&cells, 2, 10, 0);
        assert_eq!(published.cells[0], vec![Some(0), Some(0)]);
        assert_eq!(published.row_totals[0], Some(0));
        assert_eq!(published.cells[1][0], None);
        assert_eq!(published.row_totals[1], None, "the total is the 7 itself");
        assert_eq!(narrow_in(&cells, 2, &published), vec![]);
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
        assert_eq!(narrow_in(&cells, 4, &published), vec![]);
        check_consistent(&cells, 4, 10, &published);
    }

    /// The review's first finding: four hidden 1s, each known to be at least 1,
    /// with every total published. Hiding a cycle of them is not enough, as no one
    /// of them can fall below 1: all four are given away.
    #[test]
    fn hidden_cells_known_to_be_at_least_one_do_not_give_each_other_away() {
        let cells = vec![vec![1, 1, 50], vec![1, 1, 50], vec![50, 50, 50]];
        // What the earlier rule published: the four 1s alone (they lie on a cycle,
        // which was thought enough).
        let mut cycle_only = Extended::new(&cells, 3);
        cycle_only.suppress_small(10);
        let found = narrow_in(&cells, 3, &cycle_only.disclosure(0));
        assert_eq!(found.len(), 4 * 2, "{found:?}");
        assert!(
            found
                .iter()
                .all(|(_, _, _, min, max)| *min == 1.0 && *max == 1.0)
        );

        let published = publish(&cells, 3, 10, 0);
        check_consistent(&cells, 3, 10, &published);
        assert_eq!(narrow_in(&cells, 3, &published), vec![]);
    }

    /// The review's third finding: Amsterdam's chapter admin knows Amsterdam's row,
    /// and with it the totals no longer hide Miami's and Washington DC's counts.
    #[test]
    fn a_chapter_admin_who_knows_their_own_row_learns_no_other_regions_count() {
        // Newcomers by role: Amsterdam, Washington DC, Miami.
        let cells = vec![vec![12, 3, 40], vec![4, 30, 25], vec![7, 60, 2]];
        let published = publish(&cells, 3, 10, 0);
        check_consistent(&cells, 3, 10, &published);
        assert_eq!(narrow_in(&cells, 3, &published), vec![]);

        // What the earlier rule published of a table like it: every count hidden,
        // every total shown. That keeps each outsider guessing (the column total,
        // 16, leaves each count a range of 13), but not Amsterdam: it knows its own
        // 5, so Washington DC's 4 and Miami's 7 make 11 together, and each is
        // pinned between 1 and 10 (Miami's admin does as well).
        let cells = [vec![5, 40], vec![4, 40], vec![7, 40]];
        let earlier = Disclosure {
            cells: vec![vec![None, None]; 3],
            row_totals: vec![Some(45), Some(44), Some(47)],
            column_totals: vec![Some(16), Some(120)],
            total: Some(136),
        };
        let found = narrow_in(&cells, 2, &earlier);
        assert!(
            found.iter().all(|(attacker, ..)| attacker.is_some()),
            "{found:?}"
        );
        assert!(
            found.contains(&(Some(0), 0, (1, 0), 1.0, 10.0)),
            "{found:?}"
        );
        let published = publish(&cells, 2, 10, 0);
        check_consistent(&cells, 2, 10, &published);
        assert_eq!(narrow_in(&cells, 2, &published), vec![]);
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
        (1usize..5, 1usize..4).prop_flat_map(|(rows, columns)| {
            let value = prop_oneof![3 => Just(0i64), 4 => 1i64..10, 3 => 10i64..60];
            (
                proptest::collection::vec(proptest::collection::vec(value, columns), rows),
                Just(columns),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// The linear-programming attacker (at least 1 per hidden count, every
        /// published figure, any one region's row) leaves every suppressed count a
        /// range at least the threshold wide.
        #[test]
        fn no_suppressed_count_can_be_narrowed_down((cells, columns) in small_tables()) {
            let published = publish(&cells, columns, 10, 0);
            check_consistent(&cells, columns, 10, &published);
            prop_assert_eq!(narrow_in(&cells, columns, &published), vec![]);
        }
    }

    /// Tables like a month of reviews by verdict across many regions: most counts
    /// small, most row totals just over the threshold, every column total large.
    fn regional_tables() -> impl Strategy<Value = (Vec<Vec<i64>>, usize)> {
        (6usize..10, 2usize..4).prop_flat_map(|(rows, columns)| {
            let value = prop_oneof![1 => Just(0i64), 8 => 1i64..10, 1 => 10i64..20];
            (
                proptest::collection::vec(proptest::collection::vec(value, columns), rows),
                Just(columns),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// With many regions, most chapter admins' ranges are found wide from
        /// the outsider's changes that avoid their row: the attacker who knows a
        /// row still narrows nothing down.
        #[test]
        fn no_chapter_admin_narrows_down_another_regions_count_in_a_wide_table(
            (cells, columns) in regional_tables(),
        ) {
            let published = publish(&cells, columns, 10, 0);
            check_consistent(&cells, columns, 10, &published);
            prop_assert_eq!(narrow_in(&cells, columns, &published), vec![]);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Members by role and members by residence class share every region's
        /// total: the attacker works on both at once.
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
            let exact = [Extended::new(&cells, columns), Extended::new(&other, 2)];
            prop_assert_eq!(narrow(&exact, &shown, true, 10), vec![]);
        }
    }
}
