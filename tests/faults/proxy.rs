//! A TCP proxy between a region's node and the gateway that can cut the region
//! off — closing its connections, or leaving them open and silent as a firewall
//! that forgets a connection does — and heal the link again.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, Default)]
struct LinkState {
    open: bool,
    /// Moves on at every cut: connections of an older generation stop carrying.
    generation: u64,
    /// Whether the last cut left the connections it broke open but silent, as a
    /// firewall that forgets a connection does, instead of closing them.
    silent: bool,
    /// The proxy is gone: every connection closes.
    closed: bool,
}

/// Carries TCP connections to `upstream`. `cut` closes every live connection and
/// holds new ones without carrying a byte, as a broken network would; `heal` carries
/// them again. `cut_silently` also holds new ones, but leaves the live connections
/// open and silent for ever, so that neither end hears of the cut.
pub(crate) struct TcpProxy {
    pub(crate) address: SocketAddr,
    state: watch::Sender<LinkState>,
    task: JoinHandle<()>,
}

impl TcpProxy {
    pub(crate) async fn start(upstream: SocketAddr) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (state, link) = watch::channel(LinkState {
            open: true,
            ..Default::default()
        });
        let task = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    continue;
                };
                let _ = inbound.set_nodelay(true);
                tokio::spawn(carry(inbound, upstream, link.clone()));
            }
        });
        TcpProxy {
            address,
            state,
            task,
        }
    }

    pub(crate) fn cut(&self) {
        self.state.send_modify(|state| {
            state.open = false;
            state.silent = false;
            state.generation += 1;
        });
    }

    pub(crate) fn cut_silently(&self) {
        self.state.send_modify(|state| {
            state.open = false;
            state.silent = true;
            state.generation += 1;
        });
    }

    pub(crate) fn heal(&self) {
        self.state.send_modify(|state| state.open = true);
    }
}

async fn carry(mut inbound: TcpStream, upstream: SocketAddr, mut link: watch::Receiver<LinkState>) {
    let Ok(Some(generation)) = link
        .wait_for(|state| state.open || state.closed)
        .await
        .map(|s| (!s.closed).then_some(s.generation))
    else {
        return;
    };
    let Ok(mut outbound) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = outbound.set_nodelay(true);
    let silent = tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => return,
        state = link.wait_for(|state| state.generation != generation) => {
            state.map(|s| s.silent && !s.closed).unwrap_or(false)
        }
    };
    if silent {
        let _ = link.wait_for(|state| state.closed).await;
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.state.send_modify(|state| {
            state.closed = true;
            state.generation += 1;
        });
    }
}
