//! One notification mail: the kind's title as subject, a greeting, the link back
//! to the page and the one-click unsubscribe link, in plain text and HTML, in the
//! person's language. Nothing else goes in: no region-local fact, no one's words.
//! A digest lists its items the same way, each its kind's title and its link.
//! An invitation's mail has the invitation's link and says why it came, with no
//! unsubscribe link: it is no notice one chose.
//! The `Message-ID` comes from the notification's id (the digest's own), so every
//! attempt at the same mail sends the same message.

use lettre::Message;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use crate::error::{Error, Result};
use crate::notify::Mailer;
use crate::notify::digest::Contents;
use crate::notify::texts::Texts;
use crate::store::entity::mail_queue;
use crate::store::notifications::INVITATION;

/// The `Message-ID` of the mail of notification `id` in `region`.
pub fn message_id(id: uuid::Uuid, region: &str) -> String {
    format!("<{}@{region}.passage>", id.simple())
}

/// `List-Unsubscribe` (RFC 2369): where a mail client unsubscribes.
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): the link
/// unsubscribes with one POST, without signing in.
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// `Content-Language` (RFC 3282): the language the mail is written in.
#[derive(Debug, Clone)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ContentLanguage(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The mail of queued notification `queued` (or of a digest).
pub fn build(mailer: &Mailer, queued: &mail_queue::Model) -> Result<Message> {
    let texts = Texts::of(&queued.language);
    let base = mailer.web_url.trim_end_matches('/');
    let digest = Contents::read(&queued.digest_items);
    let title = match &digest {
        Some(contents) => texts.t(&format!("notification-digest-{}", contents.period.name())),
        None => texts.title(&queued.kind),
    };
    let link = format!("{base}{}", queued.link);
    let token = mailer.unsubscribe_key.token(queued.member_id, &queued.kind);
    // The web app sends the click to this region: the link names it.
    let unsubscribe = format!("{base}/unsubscribe/{}/{token}", mailer.region);
    let from: Mailbox = mailer
        .from
        .parse()
        .map_err(|e| Error::invalid("mail.from", format!("is not a mail address: {e}")))?;
    let to: Mailbox = queued
        .to_address
        .parse()
        .map_err(|e| Error::invalid("email", format!("is not a mail address: {e}")))?;
    // A digest lists each item's title and link; a single notice has one link.
    let (plain_items, html_items) = match &digest {
        Some(contents) => {
            let lines: Vec<(String, String)> = contents
                .items
                .iter()
                .map(|item| (texts.title(&item.kind), format!("{base}{}", item.link)))
                .collect();
            (
                format!(
                    "{intro}\n\n{list}\n{open}\n{link}\n",
                    intro = texts.t("mail-digest-intro"),
                    list = lines
                        .iter()
                        .map(|(title, link)| format!("- {title}\n  {link}\n"))
                        .collect::<String>(),
                    open = texts.t("mail-digest-inbox"),
                ),
                format!(
                    "<p>{intro}</p>\n<ul>\n{list}</ul>\n<p><a href=\"{link}\">{open}</a></p>\n",
                    intro = escape(&texts.t("mail-digest-intro")),
                    list = lines
                        .iter()
                        .map(|(title, link)| format!(
                            "<li><a href=\"{}\">{}</a></li>\n",
                            escape(link),
                            escape(title)
                        ))
                        .collect::<String>(),
                    link = escape(&link),
                    open = escape(&texts.t("mail-digest-inbox-button")),
                ),
            )
        }
        None => (
            format!("{title}\n\n{open}\n{link}\n", open = texts.t("mail-open")),
            format!(
                "<h1>{title}</h1>\n<p><a href=\"{link}\">{open}</a></p>\n",
                title = escape(&title),
                link = escape(&link),
                open = escape(&texts.t("mail-open-button")),
            ),
        ),
    };
    // An invitation is no notice one chose: it says why it came, and there is
    // nothing to stop.
    let invitation = queued.kind == INVITATION.name;
    let footer = if invitation {
        texts.t("mail-invitation-why")
    } else {
        format!(
            "{why}\n{stop}\n{unsubscribe}",
            why = texts.t("mail-why"),
            stop = texts.t("mail-unsubscribe"),
        )
    };
    let plain = format!(
        "{greeting}\n\n{plain_items}\n-- \n{footer}\n",
        greeting = texts.t("mail-greeting"),
    );
    let dir = if texts.rtl { "rtl" } else { "ltr" };
    let html_footer = if invitation {
        format!("<p>{}</p>\n", escape(&texts.t("mail-invitation-why")))
    } else {
        format!(
            "<p>{why}</p>\n<p><a href=\"{unsubscribe}\">{stop}</a></p>\n",
            why = escape(&texts.t("mail-why")),
            unsubscribe = escape(&unsubscribe),
            stop = escape(&texts.t("mail-unsubscribe-button")),
        )
    };
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <title>{title}</title></head><body>\n<p>{greeting}</p>\n{html_items}<hr>\n\
         {html_footer}</body></html>\n",
        lang = texts.code,
        title = escape(&title),
        greeting = escape(&texts.t("mail-greeting")),
    );
    let mut message = Message::builder()
        .from(from)
        .to(to)
        .subject(title)
        .message_id(Some(message_id(queued.notification_id, &mailer.region)))
        .header(ContentLanguage(texts.code.to_owned()));
    if !invitation {
        message = message
            .header(ListUnsubscribe(format!("<{unsubscribe}>")))
            .header(ListUnsubscribePost);
    }
    message
        .multipart(MultiPart::alternative_plain_html(plain, html))
        .map_err(|e| Error::invalid("email", format!("the mail cannot be built: {e}")))
}

/// Text made safe to put in HTML.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}
