//! The server's log as the tests read it: the development SMS provider (`mulin_backend::sms::LogSms`)
//! writes each sign-in code there, and a test signs in with the code it finds, as a developer would.
//! The servers of a test binary run in its process, so one subscriber of the process's log keeps
//! the messages of target `mulin::sms`, by phone number.

use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Every (phone, code) the log has shown, oldest first.
static SENT: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

struct Codes;

#[derive(Default)]
struct Fields {
    phone: Option<String>,
    code: Option<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "phone" => self.phone = Some(value.to_owned()),
            "code" => self.code = Some(value.to_owned()),
            _ => {}
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> Layer<S> for Codes {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "mulin::sms" {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let (Some(phone), Some(code)) = (fields.phone, fields.code) {
            SENT.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((phone, code));
        }
    }
}

/// Starts reading the log (once per process; later calls do nothing).
pub fn listen() {
    static START: Once = Once::new();
    START.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(Codes);
        // A test binary that set its own subscriber keeps it; its codes are then not seen here.
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// How many codes the log has shown for `phone`.
pub fn count(phone: &str) -> usize {
    SENT.lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(p, _)| p == phone)
        .count()
}

/// The latest code the log showed for `phone`, waiting up to 10 s for it.
pub async fn latest(phone: &str) -> String {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let found = SENT
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .rev()
            .find(|(p, _)| p == phone)
            .map(|(_, code)| code.clone());
        if let Some(code) = found {
            return code;
        }
        assert!(
            Instant::now() < until,
            "no code for {phone} in the server's log"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
