//! Mail to viewers. Jobs write each message to the outbox table in the transaction that finishes them; from there it
//! goes to the SMTP server when one is configured (`smtp_url`), or stays held for the operator console to list (the
//! embedded default, so the whole path runs on one machine). Delivery is at least once: a crash between the SMTP
//! server's acceptance and the outbox update sends that message again.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};

use crate::{
    error::AppError,
    secret::Secret,
    store::{MailRecord, MailState, Store, StoreError},
};

/// Delivery attempts before a message is marked failed.
const MAX_ATTEMPTS: i64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("smtp_url is not a valid SMTP URL (smtp://, smtps://; credentials as user:password@)")]
    Url,
    #[error("mail_from is not a valid mailbox such as `Caravan <no-reply@example.com>`")]
    From,
}

#[derive(Clone)]
pub enum Mailer {
    /// No SMTP server: mail is held in the outbox.
    Outbox,
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mailer::Outbox => "Mailer::Outbox",
            Mailer::Smtp { .. } => "Mailer::Smtp",
        })
    }
}

/// Where mail goes.
#[derive(Debug, Clone, Default)]
pub struct MailSettings {
    /// The SMTP server (`smtp://`, `smtps://`); none: mail is held in the outbox.
    pub smtp_url: Option<Secret<String>>,
    /// The sender, such as `Caravan <no-reply@example.com>`.
    pub from: String,
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Self, MailConfigError> {
        let Some(url) = settings.smtp_url.as_ref().filter(|url| !url.expose().is_empty()) else {
            return Ok(Mailer::Outbox);
        };
        crate::outbound::install_tls();
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(|_| MailConfigError::Url)?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = Mailbox::from_str(&settings.from).map_err(|_| MailConfigError::From)?;
        Ok(Mailer::Smtp {
            transport: Box::new(transport),
            from,
        })
    }

    /// The state new mail starts in.
    pub fn new_mail_state(&self) -> MailState {
        match self {
            Mailer::Outbox => MailState::Held,
            Mailer::Smtp { .. } => MailState::Queued,
        }
    }

    /// Sends the queued mail, oldest first, until the queue is empty or the server fails once; how many were sent.
    pub async fn deliver_queued(&self, store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let Mailer::Smtp { transport, from } = self else {
            return Ok(0);
        };
        let mut sent = 0;
        while let Some(mail) = store.next_queued_mail().await? {
            match send(transport, from, &mail).await {
                Ok(()) => {
                    store.mail_attempt(mail.id, MailState::Sent, None, now).await?;
                    sent += 1;
                }
                Err(error) => {
                    tracing::warn!(mail = mail.id, %error, "cannot send mail");
                    let state = if mail.attempts + 1 >= MAX_ATTEMPTS {
                        MailState::Failed
                    } else {
                        MailState::Queued
                    };
                    store.mail_attempt(mail.id, state, Some(&error), now).await?;
                    break;
                }
            }
        }
        Ok(sent)
    }
}

async fn send(transport: &AsyncSmtpTransport<Tokio1Executor>, from: &Mailbox, mail: &MailRecord) -> Result<(), String> {
    let to = Mailbox::from_str(&mail.recipient).map_err(|e| format!("recipient: {e}"))?;
    let message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&mail.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| format!("message: {e}"))?;
    transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
}

/// An optional e-mail address as a request gave it: trimmed, blank as none, and 400 for anything mail cannot be sent
/// to.
pub fn optional_address(given: Option<&str>) -> Result<Option<&str>, AppError> {
    match given.map(str::trim).filter(|address| !address.is_empty()) {
        Some(address) if address.len() > 254 || lettre::Address::from_str(address).is_err() => {
            Err(AppError::BadRequest(format!("{address:?} is not an e-mail address")))
        }
        address => Ok(address),
    }
}
