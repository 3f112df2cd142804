//! Text messages to residents' phones: the one-time codes that prove a phone number.
//!
//! No SMS service is reachable from where Mulin Live is built and tested, and every provider has its
//! own API, so the server speaks to them through [`SmsSender`] and ships two: [`LogSms`] writes each
//! message to the server's log (development, the demo, the tests), and [`CommandSms`] runs a command
//! the operator configures (`--sms-command`), which hands the message to their gateway (a `curl` to
//! its HTTP API, say). Plugging in a real gateway is configuration, not code: see OPERATIONS.md.

use std::future::Future;
use std::pin::Pin;
use std::process::Stdio;
use std::time::Duration;

/// A command gets this long to hand a message over.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// The command could not be started or waited for.
    #[error("the SMS command could not run: {0}")]
    Spawn(std::io::Error),
    /// The command said it failed.
    #[error("the SMS command failed ({status}): {stderr}")]
    Failed {
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it printed on stderr (the first 300 bytes).
        stderr: String,
    },
    /// The command took longer than [`COMMAND_TIMEOUT`].
    #[error("the SMS command took longer than {} s", COMMAND_TIMEOUT.as_secs())]
    TimedOut,
}

/// What a sender returns: done when the provider has taken the message.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<(), SmsError>> + Send + 'a>>;

/// Something that delivers a text message to a phone.
pub trait SmsSender: Send + Sync + std::fmt::Debug {
    /// Sends `text` to `phone` (11 digits, mainland China). `code` is the one-time code the text
    /// carries, for providers that fill a template with it instead of sending free text.
    fn send<'a>(&'a self, phone: &'a str, code: &'a str, text: &'a str) -> Sending<'a>;
}

/// Writes every message to the server's log (target `mulin::sms`, level INFO), phone number and
/// all: for development, the demo and the tests. Never use it where residents sign in for real.
#[derive(Debug, Default)]
pub struct LogSms;

impl SmsSender for LogSms {
    fn send<'a>(&'a self, phone: &'a str, code: &'a str, text: &'a str) -> Sending<'a> {
        Box::pin(async move {
            tracing::info!(target: "mulin::sms", phone, code, text, "SMS (log only, not sent)");
            Ok(())
        })
    }
}

/// Runs `sh -c COMMAND` per message with `MULIN_SMS_PHONE`, `MULIN_SMS_CODE` and `MULIN_SMS_TEXT`
/// in its environment; exit status 0 means the gateway took the message.
#[derive(Debug)]
pub struct CommandSms {
    command: String,
}

impl CommandSms {
    /// A sender that runs `command` through `sh -c`.
    pub fn new(command: impl Into<String>) -> CommandSms {
        CommandSms {
            command: command.into(),
        }
    }
}

impl SmsSender for CommandSms {
    fn send<'a>(&'a self, phone: &'a str, code: &'a str, text: &'a str) -> Sending<'a> {
        Box::pin(async move {
            let child = tokio::process::Command::new("sh")
                .arg("-c")
                .arg(&self.command)
                .env("MULIN_SMS_PHONE", phone)
                .env("MULIN_SMS_CODE", code)
                .env("MULIN_SMS_TEXT", text)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(SmsError::Spawn)?;
            let output = tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output())
                .await
                .map_err(|_| SmsError::TimedOut)?
                .map_err(SmsError::Spawn)?;
            if output.status.success() {
                Ok(())
            } else {
                let mut stderr = String::from_utf8_lossy(&output.stderr).into_owned();
                stderr.truncate(stderr.floor_char_boundary(300));
                Err(SmsError::Failed {
                    status: output.status,
                    stderr,
                })
            }
        })
    }
}
