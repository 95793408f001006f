//! The flow network secondary suppression measures ranges with: integer rooms on
//! arcs, a maximum flow counted up to a limit, and how much of that flow passes
//! through each vertex. A network is built once for an attacker and the hidden
//! entries of the moment, and then asked many flows, each without one entry of
//! its choice; the buffers a flow needs are kept between flows, so a flow costs
//! its breadth-first searches and nothing else.

use std::cell::{OnceCell, RefCell};

/// A flow network with integer rooms, whose arcs come in pairs per entry of the
/// table (by the entry's number there). The first `split` vertices (the regions'
/// rows) are each split in two, joined by one arc: what comes in arrives at the
/// vertex, what goes out leaves from its twin, so the flow through a region's row
/// is the flow on that arc, and can be capped there.
pub(super) struct Network {
    /// Per vertex, its arcs (indices into `head` and `room`), as they are added.
    out: Vec<Vec<usize>>,
    head: Vec<usize>,
    room: Vec<i64>,
    /// How many vertices the table has (their twins come after them).
    vertices: usize,
    /// How many of the first vertices are split.
    split: usize,
    /// Per entry's number, its first arc: its arcs are that one and the one two
    /// after it, and each arc `i` has its residual twin `i ^ 1`.
    arcs_of: Vec<Option<usize>>,
    /// `out` laid out in one piece, made at the first flow.
    adjacency: OnceCell<Adjacency>,
    /// What a flow works in, kept between flows.
    scratch: RefCell<Scratch>,
}

/// Every vertex's arcs in one array: those of vertex `v` are
/// `arcs[start[v]..start[v + 1]]`, each as (arc, the vertex it leads to), so a
/// search reads one array front to back.
struct Adjacency {
    start: Vec<u32>,
    arcs: Vec<(u32, u32)>,
}

#[derive(Default)]
struct Scratch {
    /// The rooms left by the flow being found (or last found).
    room: Vec<i64>,
    /// Per vertex, its distance from the source in this phase.
    level: Vec<u32>,
    /// Per vertex, the position in `Adjacency::arcs` of its first arc not yet
    /// found useless in this phase.
    next_arc: Vec<u32>,
    /// The search's queue: each vertex enters it at most once a phase.
    queue: Vec<u32>,
}

/// What a flow may not use: one entry's arcs, and split vertices (the rows a
/// chapter admin knows: none of their entries can change).
#[derive(Clone, Copy, Default)]
pub(super) struct Without<'a> {
    pub entry: Option<usize>,
    pub rows: &'a [usize],
}

/// A flow found: its value, and per split vertex how much of it passed through.
pub(super) struct Flow {
    pub value: i64,
    pub through: Vec<i64>,
}

/// As good as no limit.
pub(super) const UNLIMITED: i64 = i64::MAX / 4;

/// Not reached (yet) in this phase.
const UNREACHED: u32 = u32::MAX;

impl Network {
    /// A network of `vertices` vertices, the first `split` of them split, for a
    /// table of `entries` entries.
    pub(super) fn new(vertices: usize, split: usize, entries: usize) -> Network {
        let mut network = Network {
            out: vec![Vec::new(); vertices + split],
            head: Vec::new(),
            room: Vec::new(),
            vertices,
            split,
            arcs_of: vec![None; entries],
            adjacency: OnceCell::new(),
            scratch: RefCell::new(Scratch::default()),
        };
        for vertex in 0..split {
            network.add(vertex, vertices + vertex, UNLIMITED);
        }
        network
    }

    /// Where flow leaves `vertex` from: its twin when it is split.
    fn leaving(&self, vertex: usize) -> usize {
        if vertex < self.split {
            self.vertices + vertex
        } else {
            vertex
        }
    }

    /// The two arcs of entry number `entry`, each (from, to, room).
    pub(super) fn add_entry(&mut self, entry: usize, arcs: [(usize, usize, i64); 2]) {
        self.arcs_of[entry] = Some(self.head.len());
        for (from, to, room) in arcs {
            self.add(self.leaving(from), to, room);
        }
    }

    /// An arc from `from` to `to`, and its residual twin.
    fn add(&mut self, from: usize, to: usize, room: i64) {
        self.adjacency.take();
        self.out[from].push(self.head.len());
        self.head.push(to);
        self.room.push(room);
        self.out[to].push(self.head.len());
        self.head.push(from);
        self.room.push(0);
    }

    fn adjacency(&self) -> &Adjacency {
        self.adjacency.get_or_init(|| {
            let mut start = Vec::with_capacity(self.out.len() + 1);
            let mut arcs = Vec::with_capacity(self.head.len());
            for out in &self.out {
                start.push(arcs.len() as u32);
                arcs.extend(out.iter().map(|arc| (*arc as u32, self.head[*arc] as u32)));
            }
            start.push(arcs.len() as u32);
            Adjacency { start, arcs }
        })
    }

    /// The maximum flow from `from` to `to` without what `without` names,
    /// counted up to `limit`.
    pub(super) fn max_flow(&self, from: usize, to: usize, limit: i64, without: Without<'_>) -> i64 {
        let mut scratch = self.scratch.borrow_mut();
        self.find(&mut scratch, from, to, limit, without, UNLIMITED)
    }

    /// [`Network::max_flow`] with at most `per_row` through each split vertex,
    /// and how much passed through each: without a split vertex, a flow at
    /// least `value` minus what passed through it is left.
    pub(super) fn max_flow_through(
        &self,
        from: usize,
        to: usize,
        limit: i64,
        without: Without<'_>,
        per_row: i64,
    ) -> Flow {
        let mut scratch = self.scratch.borrow_mut();
        let value = self.find(&mut scratch, from, to, limit, without, per_row);
        let through = (0..self.split)
            .map(|vertex| {
                let arc = 2 * vertex;
                if value == 0 || vertex == from || vertex == to || without.rows.contains(&vertex) {
                    0
                } else {
                    per_row.min(UNLIMITED) - scratch.room[arc]
                }
            })
            .collect();
        Flow { value, through }
    }

    /// Augments along shortest paths until `limit` or no path is left.
    fn find(
        &self,
        scratch: &mut Scratch,
        from: usize,
        to: usize,
        limit: i64,
        without: Without<'_>,
        per_row: i64,
    ) -> i64 {
        // (What passed through each row is read from the rooms left, so they
        // are only left as they were when nothing flows.)
        if limit <= 0 {
            return 0;
        }
        if without.rows.contains(&from) || without.rows.contains(&to) {
            // A known row changes nowhere: nothing leaves it or comes to it.
            return 0;
        }
        scratch.room.clear();
        scratch.room.extend_from_slice(&self.room);
        if let Some(first) = without.entry.and_then(|entry| self.arcs_of[entry]) {
            scratch.room[first] = 0;
            scratch.room[first + 2] = 0;
        }
        for vertex in 0..self.split {
            scratch.room[2 * vertex] = per_row;
        }
        for vertex in without.rows {
            scratch.room[2 * vertex] = 0;
        }
        if from == to {
            return limit;
        }
        let adjacency = self.adjacency();
        let from = self.leaving(from);
        let vertices = self.out.len();
        scratch.level.resize(vertices, UNREACHED);
        scratch.next_arc.resize(vertices, 0);
        scratch.queue.resize(vertices, 0);
        let Scratch {
            room,
            level,
            next_arc,
            queue,
        } = scratch;
        // Slices, not vectors, from here on: their lengths stay in registers.
        let (room, level, next_arc, queue) = (
            &mut room[..],
            &mut level[..],
            &mut next_arc[..],
            &mut queue[..],
        );
        let mut flow = 0;
        // Dinic's phases: the shortest paths' levels, then as many paths along
        // them as they carry.
        while flow < limit && levels(adjacency, room, level, queue, from, to) {
            next_arc.copy_from_slice(&adjacency.start[..vertices]);
            let mut phase = Phase {
                adjacency,
                room: &mut *room,
                level: &*level,
                next_arc: &mut *next_arc,
                to,
            };
            loop {
                let pushed = phase.push(from, limit - flow);
                if pushed == 0 {
                    break;
                }
                flow += pushed;
                if flow >= limit {
                    break;
                }
            }
        }
        flow
    }
}

/// Each vertex's distance from `from` over arcs with room, as far as `to`'s;
/// false when `to` cannot be reached. The search stops as soon as it reaches
/// `to`: every vertex nearer than `to` has its level by then, and the paths of
/// a phase only go one level down each step, to `to` at the last.
fn levels(
    adjacency: &Adjacency,
    room: &[i64],
    level: &mut [u32],
    queue: &mut [u32],
    from: usize,
    to: usize,
) -> bool {
    level.fill(UNREACHED);
    level[from] = 0;
    queue[0] = from as u32;
    // Each vertex enters the queue once at most: `queued` stays within it.
    let (mut next_in_queue, mut queued) = (0, 1);
    while next_in_queue < queued {
        let vertex = queue[next_in_queue] as usize;
        next_in_queue += 1;
        let below = level[vertex] + 1;
        let span = adjacency.start[vertex] as usize..adjacency.start[vertex + 1] as usize;
        for &(arc, next) in &adjacency.arcs[span] {
            let next = next as usize;
            if room[arc as usize] > 0 && level[next] == UNREACHED {
                level[next] = below;
                if next == to {
                    return true;
                }
                queue[queued] = next as u32;
                queued += 1;
            }
        }
    }
    false
}

/// One phase of Dinic's: the levels found, and the rooms it changes.
struct Phase<'a> {
    adjacency: &'a Adjacency,
    room: &'a mut [i64],
    level: &'a [u32],
    next_arc: &'a mut [u32],
    to: usize,
}

impl Phase<'_> {
    /// Pushes up to `most` from `vertex` to `to` along arcs one level down
    /// each, skipping arcs found useless in this phase; what it pushed.
    fn push(&mut self, vertex: usize, most: i64) -> i64 {
        if vertex == self.to {
            return most;
        }
        let last = self.adjacency.start[vertex + 1];
        let below = self.level[vertex] + 1;
        while self.next_arc[vertex] < last {
            let (arc, next) = self.adjacency.arcs[self.next_arc[vertex] as usize];
            let (arc, next) = (arc as usize, next as usize);
            let room = self.room[arc];
            if room > 0 && self.level[next] == below {
                let pushed = self.push(next, most.min(room));
                if pushed > 0 {
                    self.room[arc] -= pushed;
                    self.room[arc ^ 1] = self.room[arc ^ 1].saturating_add(pushed);
                    return pushed;
                }
            }
            self.next_arc[vertex] += 1;
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two regions' rows (vertices 0 and 1, split), a column on each side
    /// (2 and 3): from column 2 to column 3 through row 0 (room 4 then 3) and
    /// through row 1 (room 5 then 5).
    fn two_rows() -> Network {
        let mut network = Network::new(4, 2, 4);
        network.add_entry(0, [(2, 0, 4), (0, 2, 0)]);
        network.add_entry(1, [(0, 3, 3), (3, 0, 0)]);
        network.add_entry(2, [(2, 1, 5), (1, 2, 0)]);
        network.add_entry(3, [(1, 3, 5), (3, 1, 0)]);
        network
    }

    #[test]
    fn a_flow_is_the_sum_of_its_paths_and_says_which_rows_it_passed() {
        let network = two_rows();
        assert_eq!(network.max_flow(2, 3, UNLIMITED, Without::default()), 8);
        assert_eq!(
            network.max_flow(2, 3, 6, Without::default()),
            6,
            "counted up to the limit"
        );
        let flow = network.max_flow_through(2, 3, UNLIMITED, Without::default(), UNLIMITED);
        assert_eq!((flow.value, flow.through), (8, vec![3, 5]));
        assert_eq!(
            network.max_flow(3, 2, UNLIMITED, Without::default()),
            0,
            "no way back"
        );
    }

    #[test]
    fn a_flow_without_an_entry_or_capped_per_row_is_smaller() {
        let network = two_rows();
        let without_entry = |entry| Without {
            entry: Some(entry),
            rows: &[],
        };
        assert_eq!(network.max_flow(2, 3, UNLIMITED, without_entry(1)), 5);
        assert_eq!(network.max_flow(2, 3, UNLIMITED, without_entry(3)), 3);
        let without_rows = |rows| Without { entry: None, rows };
        assert_eq!(network.max_flow(2, 3, UNLIMITED, without_rows(&[0])), 5);
        assert_eq!(network.max_flow(2, 3, UNLIMITED, without_rows(&[0, 1])), 0);
        assert_eq!(
            network.max_flow(0, 3, UNLIMITED, without_rows(&[0])),
            0,
            "a known row"
        );
        let flow = network.max_flow_through(2, 3, UNLIMITED, without_rows(&[1]), UNLIMITED);
        assert_eq!((flow.value, flow.through), (3, vec![3, 0]));
        let spread = network.max_flow_through(2, 3, UNLIMITED, Without::default(), 1);
        assert_eq!((spread.value, spread.through), (2, vec![1, 1]));
        let none = network.max_flow_through(2, 3, 0, Without::default(), 1);
        assert_eq!((none.value, none.through), (0, vec![0, 0]), "nothing asked");
        // The network is unchanged by the flows asked of it.
        assert_eq!(network.max_flow(2, 3, UNLIMITED, Without::default()), 8);
    }
}
