//! The SMTP receiver the notification tests send to: the one `passage bench
//! notify` runs (`passage::bench::smtp_receiver`).

// Each test binary takes what it needs of `common`.
#[allow(unused_imports)]
pub use passage::bench::smtp_receiver::{Received, SmtpReceiver, Step};
