//! The region's mail relay, as `[mail] smtp_url` names it: one SMTP connection,
//! opened when mail is due and kept for the next mail while it is fresh.
//!
//! The connection is this module's own rather than lettre's transport for two
//! reasons. The transport (without its `pool` feature) opens a connection per
//! mail. And lettre 0.11 leaves Nagle's algorithm on: it writes a message's body,
//! then its closing `.` as a second small write, which waits for the server to
//! acknowledge the body — a delayed ACK, 40 ms on Linux — so every mail cost
//! 40 ms whatever the relay (22 mails a second; `passage bench notify`). Here
//! the socket is opened with `TCP_NODELAY` and handed to lettre's SMTP
//! conversation (`AsyncSmtpConnection`), which still speaks the protocol,
//! STARTTLS over rustls and the login. Implicit TLS (`smtps://`) is opened by
//! lettre itself, which gives no way to set the option there.
//!
//! Where the relay offers PIPELINING (RFC 2920), a mail's MAIL, RCPT and DATA
//! go in one write and their answers are read after: two round trips a mail
//! instead of four. lettre's conversation sends each command and waits, and
//! keeps no note of the keyword, so the relay is asked once per connection.

use std::fmt;
use std::time::{Duration, Instant};

use lettre::Message;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use tokio::sync::Mutex;

use crate::error::{Error, Result};

/// How long one SMTP conversation (or opening a connection) may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection unused this long is closed and a new one opened: relays drop
/// idle connections, and a mail sent on one they dropped would fail.
const FRESH: Duration = Duration::from_secs(20);

/// How the connection is secured.
enum Security {
    /// `smtp://`: plain, as on loopback or a private network.
    Plain,
    /// `smtp://…?tls=required` (or `opportunistic`): STARTTLS after the greeting.
    StartTls {
        parameters: TlsParameters,
        required: bool,
    },
    /// `smtps://`: TLS from the first byte.
    Implicit(TlsParameters),
}

/// The relay and the connection kept open to it.
pub struct Relay {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    open: Mutex<Option<Kept>>,
}

/// The connection kept open between mails.
struct Kept {
    connection: AsyncSmtpConnection,
    /// Whether the relay offered PIPELINING on it.
    pipelining: bool,
    /// When it was last used.
    used: Instant,
}

/// A mail's envelope as one pipelined write: MAIL, each RCPT, DATA.
struct PipelinedEnvelope<'e>(&'e Envelope);

impl fmt::Display for PipelinedEnvelope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Mail::new(self.0.from().cloned(), Vec::new()))?;
        for to in self.0.to() {
            write!(f, "{}", Rcpt::new(to.clone(), Vec::new()))?;
        }
        write!(f, "{Data}")
    }
}

impl Relay {
    /// The relay `url` names: `smtp://[user:password@]host[:port][?tls=required]`
    /// or `smtps://…`; a path names the EHLO domain.
    pub fn from_url(url: &str) -> Result<Relay> {
        let refused = |why: String| {
            Error::invalid(
                "mail.smtp_url",
                format!(
                    "{why}; write smtp://host:port (add ?tls=required for STARTTLS) or \
                     smtps://host:port"
                ),
            )
        };
        let parsed = url::Url::parse(url).map_err(|e| refused(e.to_string()))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| refused("names no host".into()))?
            .to_owned();
        let tls = parsed
            .query_pairs()
            .find(|(key, _)| key == "tls")
            .map(|(_, value)| value.into_owned());
        let parameters =
            || TlsParameters::new(host.clone()).map_err(|e| refused(format!("TLS: {e}")));
        let (security, default_port) = match (parsed.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, 25),
            ("smtp", Some(mode @ ("required" | "opportunistic"))) => (
                Security::StartTls {
                    parameters: parameters()?,
                    required: mode == "required",
                },
                587,
            ),
            ("smtps", _) => (Security::Implicit(parameters()?), 465),
            (scheme, tls) => {
                return Err(refused(format!(
                    "unknown scheme {scheme:?} or tls={}",
                    tls.unwrap_or_default()
                )));
            }
        };
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map(|decoded| decoded.into_owned())
                .map_err(|e| refused(format!("user or password: {e}")))
        };
        let credentials = match parsed.password() {
            Some(password) => Some(Credentials::new(
                decode(parsed.username())?,
                decode(password)?,
            )),
            None => None,
        };
        let path = parsed.path().trim_matches('/');
        let hello = if path.is_empty() {
            ClientId::default()
        } else {
            ClientId::Domain(path.to_owned())
        };
        Ok(Relay {
            port: parsed.port().unwrap_or(default_port),
            host,
            security,
            credentials,
            hello,
            open: Mutex::new(None),
        })
    }

    /// Sends `message`; the relay's refusal or the failure, as text.
    pub async fn send(&self, message: &Message) -> std::result::Result<(), String> {
        let mut open = self.open.lock().await;
        let mut kept = match open.take() {
            Some(kept) if kept.used.elapsed() < FRESH && !kept.connection.has_broken() => kept,
            stale => {
                if let Some(mut stale) = stale {
                    stale.connection.abort().await;
                }
                tokio::time::timeout(SMTP_TIMEOUT, self.connect())
                    .await
                    .map_err(|_| "the mail server did not answer in time".to_owned())?
                    .map_err(|e| format!("the mail server did not accept it: {e}"))?
            }
        };
        let formatted = message.formatted();
        let envelope = message.envelope();
        // Addresses or a body beyond ASCII need SMTPUTF8 or 8BITMIME said on
        // MAIL: lettre's own conversation says them.
        let plain = formatted.is_ascii()
            && envelope.from().is_none_or(ascii)
            && envelope.to().iter().all(ascii);
        let pipelining = kept.pipelining && plain;
        let connection = &mut kept.connection;
        let sending = async move {
            if pipelining {
                pipelined(connection, envelope, &formatted).await
            } else {
                connection.send(envelope, &formatted).await.map(drop)
            }
        };
        match tokio::time::timeout(SMTP_TIMEOUT, sending).await {
            Ok(Ok(())) => {
                kept.used = Instant::now();
                *open = Some(kept);
                Ok(())
            }
            Ok(Err(error)) => {
                // A refusal leaves the conversation mid-transaction: start anew.
                kept.connection.abort().await;
                Err(format!("the mail server did not accept it: {error}"))
            }
            Err(_) => Err("the mail server did not answer in time".to_owned()),
        }
    }

    /// A new connection, greeted, secured and logged in as the URL says.
    async fn connect(&self) -> std::result::Result<Kept, String> {
        let failed = |e: lettre::transport::smtp::Error| e.to_string();
        let mut connection = match &self.security {
            Security::Implicit(parameters) => AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(SMTP_TIMEOUT),
                &self.hello,
                Some(parameters.clone()),
                None,
            )
            .await
            .map_err(failed)?,
            Security::Plain | Security::StartTls { .. } => {
                let socket = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                    .await
                    .map_err(|e| e.to_string())?;
                // The point of this module: see its header.
                socket.set_nodelay(true).map_err(|e| e.to_string())?;
                AsyncSmtpConnection::connect_with_transport(Box::new(socket), &self.hello)
                    .await
                    .map_err(failed)?
            }
        };
        if let Security::StartTls {
            parameters,
            required,
        } = &self.security
            && (*required || connection.can_starttls())
        {
            connection
                .starttls(parameters.clone(), &self.hello)
                .await
                .map_err(failed)?;
        }
        // Asked again, before the login (a greeting after it could undo it):
        // lettre keeps no note of PIPELINING from its own greeting.
        let greeting = connection
            .command(Ehlo::new(self.hello.clone()))
            .await
            .map_err(failed)?;
        let pipelining = greeting.message().skip(1).any(|line| {
            line.split_whitespace()
                .next()
                .is_some_and(|keyword| keyword.eq_ignore_ascii_case("PIPELINING"))
        });
        if let Some(credentials) = &self.credentials {
            connection
                .auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(failed)?;
        }
        Ok(Kept {
            connection,
            pipelining,
            used: Instant::now(),
        })
    }
}

/// Whether `address` is ASCII (no SMTPUTF8 needed).
fn ascii(address: &lettre::Address) -> bool {
    AsRef::<str>::as_ref(address).is_ascii()
}

/// Sends one mail with its envelope pipelined (RFC 2920): MAIL, RCPT and DATA in
/// one write, then their answers, then the message. Every answer is read
/// before any refusal is returned, and a refusal ends the connection (the
/// caller's `abort`), so no answer is left for the next mail to read.
async fn pipelined(
    connection: &mut AsyncSmtpConnection,
    envelope: &Envelope,
    formatted: &[u8],
) -> std::result::Result<(), lettre::transport::smtp::Error> {
    // The first answer (to MAIL) comes with the write; one for each RCPT and
    // the DATA follow.
    let mut refusal = connection.command(PipelinedEnvelope(envelope)).await.err();
    for _ in 0..envelope.to().len() + 1 {
        let answer = connection.read_response().await;
        match answer {
            Ok(_) => {}
            // A refusal (4xx, 5xx): the answers after it still come.
            Err(error) if error.is_permanent() || error.is_transient() => {
                refusal.get_or_insert(error);
            }
            // The connection failed, or the relay's answer made no sense: no
            // answer after it can be trusted to come.
            Err(error) => return Err(refusal.unwrap_or(error)),
        }
    }
    match refusal {
        Some(refused) => Err(refused),
        None => connection.message(formatted).await.map(drop),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_port_security_and_login_and_a_wrong_one_is_refused_by_name() {
        let relay =
            Relay::from_url("smtp://passage:p%40ss@smtp.amsterdam.example?tls=required").unwrap();
        assert_eq!(
            (relay.host.as_str(), relay.port),
            ("smtp.amsterdam.example", 587)
        );
        assert!(matches!(
            relay.security,
            Security::StartTls { required: true, .. }
        ));
        assert!(relay.credentials.is_some());
        let relay = Relay::from_url("smtps://smtp.example:2465").unwrap();
        assert!(matches!(relay.security, Security::Implicit(_)) && relay.port == 2465);
        let relay = Relay::from_url("smtp://127.0.0.1:2525").unwrap();
        assert!(matches!(relay.security, Security::Plain) && relay.credentials.is_none());
        for wrong in [
            "ftp://smtp.example",
            "smtp://smtp.example?tls=sometimes",
            "not a url",
        ] {
            let refused = Relay::from_url(wrong).err().unwrap().to_string();
            assert!(refused.contains("mail.smtp_url"), "{wrong}: {refused}");
        }
    }
}
