//! Ports for the servers tests start: below Linux's ephemeral range (32768 and
//! up, where the kernel picks the local port of every outgoing connection). A
//! server that a test stops and starts again on its old address (a node after a
//! restart, a process after SIGKILL) would otherwise find its port taken now and
//! then by a connection some other test opened meanwhile, and fail with "address
//! already in use". The demo's ports sit below that range for the same reason.

use std::net::{SocketAddr, TcpListener};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The ports handed out: from 20000 up to, not including, 32700.
const FIRST: u16 = 20_000;
const SPAN: u16 = 12_700;

/// Where this test binary starts: a random place, so that test binaries running
/// side by side seldom meet.
static START: OnceLock<u32> = OnceLock::new();
/// How many ports this binary has tried: every test of it shares the count, so
/// that no two of its servers are given one port.
static TRIED: AtomicU32 = AtomicU32::new(0);

fn candidate() -> u16 {
    let start = *START.get_or_init(|| (uuid::Uuid::new_v4().as_u128() % u128::from(SPAN)) as u32);
    let offset = (start + TRIED.fetch_add(1, Ordering::Relaxed)) % u32::from(SPAN);
    FIRST + offset as u16
}

/// A port on 127.0.0.1 that nothing listens on now, outside the ephemeral range.
pub fn quiet_port() -> u16 {
    for _ in 0..SPAN {
        let port = candidate();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!(
        "no free port on 127.0.0.1 between {FIRST} and {}",
        FIRST + SPAN
    )
}

/// 127.0.0.1 with a [`quiet_port`].
pub fn quiet_address() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], quiet_port()))
}
