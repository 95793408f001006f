//! A small SMTP receiver on 127.0.0.1 for the notification tests: it speaks
//! enough of RFC 5321 for lettre (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT),
//! keeps every message it accepted, and can refuse the first messages with a
//! temporary failure (451), as a busy mail server does.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as it arrived over the protocol.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent after DATA, dot-unstuffed, CRLF line ends.
    pub data: String,
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

/// The receiver: its address, what it accepted, what it refused.
#[derive(Clone)]
pub struct SmtpReceiver {
    pub port: u16,
    accepted: Arc<Mutex<Vec<Received>>>,
    refused: Arc<Mutex<Vec<Received>>>,
    /// How many more messages to refuse with 451 before accepting.
    to_refuse: Arc<Mutex<usize>>,
}

impl SmtpReceiver {
    /// Starts a receiver that refuses the first `refuse_first` messages.
    pub async fn start(refuse_first: usize) -> SmtpReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = SmtpReceiver {
            port: listener.local_addr().unwrap().port(),
            accepted: Arc::default(),
            refused: Arc::default(),
            to_refuse: Arc::new(Mutex::new(refuse_first)),
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
        receiver
    }

    /// `smtp://127.0.0.1:<port>` (plain, as on loopback).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.accepted.lock().unwrap().clone()
    }

    pub fn refused(&self) -> Vec<Received> {
        self.refused.lock().unwrap().clone()
    }

    async fn converse(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 test.passage ESMTP ready\r\n").await?;
        let mut from = String::new();
        let mut to = Vec::new();
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
                    write
                        .write_all(b"250-test.passage\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                        .await?
                }
                "MAIL" => {
                    from = address_in(&command);
                    to.clear();
                    write.write_all(b"250 OK\r\n").await?;
                }
                "RCPT" => {
                    to.push(address_in(&command));
                    write.write_all(b"250 OK\r\n").await?;
                }
                "DATA" => {
                    write.write_all(b"354 go ahead\r\n").await?;
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
                    };
                    let refuse = {
                        let mut left = self.to_refuse.lock().unwrap();
                        let refuse = *left > 0;
                        *left = left.saturating_sub(1);
                        refuse
                    };
                    if refuse {
                        self.refused.lock().unwrap().push(message);
                        write
                            .write_all(b"451 4.3.0 busy, try again later\r\n")
                            .await?;
                    } else {
                        self.accepted.lock().unwrap().push(message);
                        write.write_all(b"250 OK queued\r\n").await?;
                    }
                }
                "RSET" | "NOOP" => write.write_all(b"250 OK\r\n").await?,
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => write.write_all(b"502 not implemented\r\n").await?,
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
