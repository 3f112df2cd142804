//! A fan-out run's order spike: the buyers buy while the host reads the room, and what they got,
//! with how far the control room lagged the store meanwhile.

use std::time::Duration;

use serde::Serialize;

use super::control_room::{catch_up, control_room_lags, percentile, watching_the_figures};
use crate::wire::Wire;

/// What the buyers of a fan-out run got.
#[derive(Debug, Clone, Serialize)]
pub struct OrderFigures {
    /// Residents buying.
    pub buyers: usize,
    /// How long they took to connect and sign in, all of them, with the viewers watching: what a
    /// show's start costs while the room is full.
    pub sign_in_ms: u64,
    /// Orders accepted (the deal has a unit for every buyer).
    pub accepted: u64,
    /// Orders that got anything but an acceptance, or no answer.
    pub failed: u64,
    /// Time from sending an order to its answer.
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    /// How far the control room (the host's `pulse` frames) lagged the store: for each accepted
    /// order, from its acknowledgement to the first figures that count it (the deal's `sold`
    /// reaching that many). `None` from a server that sends no figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_room_lag_p50_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_room_lag_p99_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_room_lag_max_ms: Option<f64>,
}

/// Lets the buyers buy and waits for all their answers: with the host following the show and
/// its control-room figures noted (`Some`), or with nobody of staff following it (`None`: the
/// host's connection is closed first).
pub(super) async fn buy(
    host: Option<&mut Wire>,
    buyers: crate::spike::Buyers,
    signing_in: Duration,
) -> Result<OrderFigures, String> {
    let deal = buyers.deal();
    let Some(host) = host else {
        let run = buyers.go().await?;
        return Ok(summed(&run, signing_in, None));
    };
    let mut figures = Vec::new();
    let run = watching_the_figures(host, deal, &mut figures, buyers.go()).await??;
    let accepted = summed(&run, signing_in, None).accepted;
    catch_up(host, deal, &mut figures, accepted as i64).await;
    let lags = control_room_lags(&run, &figures);
    Ok(summed(&run, signing_in, lags.as_deref()))
}

/// What `run` got, with the control room's `lags` (sorted, ms) if it was watched.
fn summed(
    run: &crate::spike::SpikeRun,
    signing_in: Duration,
    lags: Option<&[f64]>,
) -> OrderFigures {
    let intents = || run.buyers.iter().flat_map(|b| &b.intents);
    let accepted = intents()
        .filter(|i| matches!(i.answer, crate::spike::Answer::Accepted(_)))
        .count() as u64;
    let (ack_p50_ms, ack_p99_ms) = crate::spike::ack_percentiles(intents());
    let lag = |p: f64| lags.map(|l| percentile(l, p));
    OrderFigures {
        buyers: run.buyers.len(),
        sign_in_ms: signing_in.as_millis() as u64,
        accepted,
        failed: intents().count() as u64 - accepted,
        ack_p50_ms,
        ack_p99_ms,
        control_room_lag_p50_ms: lag(0.50),
        control_room_lag_p99_ms: lag(0.99),
        control_room_lag_max_ms: lag(1.0),
    }
}
