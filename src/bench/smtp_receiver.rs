//! A small SMTP receiver on 127.0.0.1, for `passage bench notify` and the
//! notification and fault tests: it speaks enough of RFC 5321 for lettre (EHLO,
//! MAIL, RCPT, DATA, RSET, NOOP, QUIT; PIPELINING offered unless started
//! without it), keeps every message it accepted, can
//! refuse the first messages with a temporary failure (451), as a busy mail
//! server does, and can hold the next conversation at a chosen step of the
//! protocol ([`Step`]) until it is released or the sender goes away — so a test
//! can kill the sender at exactly that step.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpListener;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::oneshot;

/// One message as it arrived over the protocol.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent after DATA, dot-unstuffed, CRLF line ends.
    pub data: String,
    /// Whether the sender wrote its envelope's commands (MAIL, RCPT, DATA)
    /// without waiting for each answer: pipelined (RFC 2920).
    pub pipelined: bool,
}

impl Received {
    /// The value of header `name` (first occurrence, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(current) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    current.push_str(line.trim_start());
                    continue;
                }
                break;
            }
            if let Some((key, rest)) = line.split_once(':')
                && key.eq_ignore_ascii_case(name)
            {
                value = Some(rest.trim().to_owned());
            }
        }
        value
    }
}

/// A step of an SMTP conversation the receiver can hold it at, saying nothing
/// more until released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The connection is open; the greeting (220) is not sent.
    Greeting,
    /// MAIL FROM and RCPT TO were answered; the DATA command is not.
    Data,
    /// The whole message arrived (up to the final `.`); the 250 that accepts it
    /// is not sent.
    EndOfData,
}

/// A hold set with [`SmtpReceiver::hold_next`].
pub struct Hold {
    /// Resolves when a conversation reached the step and is held there.
    pub reached: oneshot::Receiver<()>,
    /// Sent: the conversation goes on as if never held. Dropped unsent: the
    /// step is never answered (the holder stops the sender; the test that
    /// kills a node mid-delivery drops it after the kill, and must not find
    /// that message accepted).
    pub release: oneshot::Sender<()>,
}

/// The conversation-side half of a [`Hold`].
struct Waiting {
    step: Step,
    reached: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

/// How a held conversation ended its wait.
enum Held {
    Released,
    SenderGone,
}

/// The receiver: its address, what it accepted, what it refused.
#[derive(Clone)]
pub struct SmtpReceiver {
    pub port: u16,
    accepted: Arc<Mutex<Vec<Received>>>,
    refused: Arc<Mutex<Vec<Received>>>,
    /// How many more messages to refuse with 451 before accepting.
    to_refuse: Arc<Mutex<usize>>,
    /// The next conversation to reach this step is held there.
    hold: Arc<Mutex<Option<Waiting>>>,
    /// Connections opened so far.
    connections: Arc<Mutex<u64>>,
    /// Whether its greeting offers PIPELINING.
    pipelining: bool,
    /// Addresses it has no mailbox for (RCPT refused with 550).
    unknown: Arc<Mutex<Vec<String>>>,
}

impl SmtpReceiver {
    /// Starts a receiver that refuses the first `refuse_first` messages.
    pub async fn start(refuse_first: usize) -> std::io::Result<SmtpReceiver> {
        Self::start_offering(refuse_first, true).await
    }

    /// [`SmtpReceiver::start`], its greeting offering PIPELINING or not, as
    /// relays differ.
    pub async fn start_offering(
        refuse_first: usize,
        pipelining: bool,
    ) -> std::io::Result<SmtpReceiver> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let receiver = SmtpReceiver {
            port: listener.local_addr()?.port(),
            accepted: Arc::default(),
            refused: Arc::default(),
            to_refuse: Arc::new(Mutex::new(refuse_first)),
            hold: Arc::default(),
            connections: Arc::default(),
            pipelining,
            unknown: Arc::default(),
        };
        let serving = receiver.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let serving = serving.clone();
                tokio::spawn(async move {
                    let _ = serving.converse(socket).await;
                });
            }
        });
        Ok(receiver)
    }

    /// `smtp://127.0.0.1:<port>` (plain, as on loopback).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.accepted.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// How many messages were accepted so far.
    pub fn accepted_count(&self) -> usize {
        self.accepted.lock().map(|a| a.len()).unwrap_or_default()
    }

    pub fn refused(&self) -> Vec<Received> {
        self.refused.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// From now on, refuses mail to `address` at RCPT (550: no such mailbox).
    pub fn refuse_recipient(&self, address: &str) {
        if let Ok(mut unknown) = self.unknown.lock() {
            unknown.push(address.to_owned());
        }
    }

    /// How many connections were opened so far.
    pub fn connections(&self) -> u64 {
        self.connections.lock().map(|c| *c).unwrap_or_default()
    }

    /// Holds the next conversation that reaches `step` there (one only; a hold
    /// set before replaces it).
    pub fn hold_next(&self, step: Step) -> Hold {
        let (reached_tx, reached) = oneshot::channel();
        let (release, release_rx) = oneshot::channel();
        if let Ok(mut hold) = self.hold.lock() {
            *hold = Some(Waiting {
                step,
                reached: reached_tx,
                release: release_rx,
            });
        }
        Hold { reached, release }
    }

    /// Whether a hold waits for the next conversation to reach `step`.
    fn holds_at(&self, step: Step) -> bool {
        self.hold
            .lock()
            .is_ok_and(|hold| hold.as_ref().is_some_and(|w| w.step == step))
    }

    /// At `step`: when a hold waits for it, tells the holder and waits until
    /// released or until the sender goes away.
    async fn maybe_hold(&self, step: Step, lines: &mut BufReader<OwnedReadHalf>) -> Held {
        let waiting = match self.hold.lock() {
            Ok(mut hold) if hold.as_ref().is_some_and(|w| w.step == step) => hold.take(),
            _ => None,
        };
        let Some(waiting) = waiting else {
            return Held::Released;
        };
        let _ = waiting.reached.send(());
        let mut ignored = String::new();
        let released = tokio::select! {
            // The sender says nothing while it waits for an answer: a read ends
            // only when it is gone. Gone wins over a release that comes with it.
            biased;
            _ = lines.read_line(&mut ignored) => return Held::SenderGone,
            released = waiting.release => released.is_ok(),
        };
        if released {
            return Held::Released;
        }
        // Let go without a release (its holder stopped the sender): the step
        // is never answered, and the conversation ends when the sender is gone,
        // however soon the holder let go.
        let _ = lines.read_line(&mut ignored).await;
        Held::SenderGone
    }

    async fn converse(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        if let Ok(mut connections) = self.connections.lock() {
            *connections += 1;
        }
        socket.set_nodelay(true)?;
        let (read, write) = socket.into_split();
        // Answers are written out when the sender has sent nothing more, so a
        // pipelined envelope's three answers leave in one segment, as a relay
        // offering PIPELINING does (RFC 2920). Written one by one, with
        // Nagle's algorithm on, the second would wait 40 ms for the sender's
        // delayed acknowledgement; it is off too.
        let mut write = BufWriter::new(write);
        let mut lines = BufReader::new(read);
        if let Held::SenderGone = self.maybe_hold(Step::Greeting, &mut lines).await {
            return Ok(());
        }
        write.write_all(b"220 test.passage ESMTP ready\r\n").await?;
        write.flush().await?;
        let mut from = String::new();
        let mut to = Vec::new();
        let mut pipelined = false;
        loop {
            let mut line = String::new();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_owned();
            let verb = command
                .split([' ', ':'])
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            match verb.as_str() {
                "EHLO" | "HELO" => {
                    let offered: &[u8] = if self.pipelining {
                        b"250-test.passage\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n"
                    } else {
                        b"250-test.passage\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
                    };
                    write.write_all(offered).await?
                }
                "MAIL" => {
                    from = address_in(&command);
                    to.clear();
                    // The rest of the envelope is here before MAIL is answered.
                    pipelined = !lines.buffer().is_empty();
                    write.write_all(b"250 OK\r\n").await?;
                }
                "RCPT" => {
                    let address = address_in(&command);
                    let unknown = self
                        .unknown
                        .lock()
                        .is_ok_and(|unknown| unknown.contains(&address));
                    if unknown {
                        write.write_all(b"550 5.1.1 no such mailbox\r\n").await?;
                    } else {
                        to.push(address);
                        write.write_all(b"250 OK\r\n").await?;
                    }
                }
                "DATA" if to.is_empty() => {
                    write
                        .write_all(b"554 5.5.1 no valid recipients\r\n")
                        .await?;
                }
                "DATA" => {
                    if self.holds_at(Step::Data) {
                        // Held with MAIL and RCPT answered, as the step says.
                        write.flush().await?;
                    }
                    if let Held::SenderGone = self.maybe_hold(Step::Data, &mut lines).await {
                        return Ok(());
                    }
                    write.write_all(b"354 go ahead\r\n").await?;
                    write.flush().await?;
                    let mut data = String::new();
                    loop {
                        let mut line = String::new();
                        if lines.read_line(&mut line).await? == 0 {
                            return Ok(());
                        }
                        if line == ".\r\n" {
                            break;
                        }
                        let line = line.strip_prefix('.').unwrap_or(&line);
                        data.push_str(line);
                    }
                    let message = Received {
                        from: from.clone(),
                        to: to.clone(),
                        data,
                        pipelined,
                    };
                    if let Held::SenderGone = self.maybe_hold(Step::EndOfData, &mut lines).await {
                        return Ok(());
                    }
                    let refuse = match self.to_refuse.lock() {
                        Ok(mut left) => {
                            let refuse = *left > 0;
                            *left = left.saturating_sub(1);
                            refuse
                        }
                        Err(_) => false,
                    };
                    if refuse {
                        if let Ok(mut refused) = self.refused.lock() {
                            refused.push(message);
                        }
                        write
                            .write_all(b"451 4.3.0 busy, try again later\r\n")
                            .await?;
                    } else {
                        if let Ok(mut accepted) = self.accepted.lock() {
                            accepted.push(message);
                        }
                        write.write_all(b"250 OK queued\r\n").await?;
                    }
                }
                "RSET" | "NOOP" => write.write_all(b"250 OK\r\n").await?,
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    write.flush().await?;
                    return Ok(());
                }
                _ => write.write_all(b"502 not implemented\r\n").await?,
            }
            if lines.buffer().is_empty() {
                write.flush().await?;
            }
        }
    }
}

/// The address between `<` and `>` of a MAIL or RCPT command.
fn address_in(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address.to_owned())
        .unwrap_or_default()
}
