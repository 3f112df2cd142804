//! How far the control room lags the store during a fan-out run's order spike: the host's
//! connection notes each `pulse` figure of the deal's units sold as it arrives, and each accepted
//! order's acknowledgement is matched with the first figure that counts it.

use std::time::{Duration, Instant};

use mulin_shared::{DealId, ServerMsg};

use crate::wire::Wire;

/// Awaits `work` while the host reads the room, noting each control-room figure of `deal`'s units
/// sold as it arrives.
pub(super) async fn watching_the_figures<T>(
    host: &mut Wire,
    deal: DealId,
    figures: &mut Vec<(Instant, i64)>,
    work: impl Future<Output = T>,
) -> Result<T, String> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return Ok(done),
            read = host.next_text() => {
                if let Some(sold) = sold_in_pulse(read?.as_str(), deal) {
                    figures.push((Instant::now(), sold));
                }
            }
        }
    }
}

/// The units of `deal` sold, if `text` is a `pulse` frame.
fn sold_in_pulse(text: &str, deal: DealId) -> Option<i64> {
    if !text.starts_with(r#"{"type":"pulse""#) {
        return None;
    }
    match ServerMsg::parse(text).ok()? {
        ServerMsg::Pulse { pulse } => pulse.deals.iter().find(|d| d.deal == deal).map(|d| d.sold),
        _ => None,
    }
}

/// For each accepted order, in the order acknowledged: from its acknowledgement to the first
/// figures showing at least that many sold (0 if they showed it before the answer arrived), in ms.
/// `None` if no figures came at all; an order the figures never came to count lags until the end.
pub(super) fn control_room_lags(
    run: &crate::spike::SpikeRun,
    figures: &[(Instant, i64)],
) -> Option<Vec<f64>> {
    if figures.is_empty() {
        return None;
    }
    let mut acks: Vec<Instant> = run
        .buyers
        .iter()
        .flat_map(|b| &b.intents)
        .filter(|i| matches!(i.answer, crate::spike::Answer::Accepted(_)))
        .map(|i| i.sent + i.latency)
        .collect();
    acks.sort_unstable();
    let end = figures.last().map_or_else(Instant::now, |&(at, _)| at);
    let mut lags: Vec<f64> = acks
        .iter()
        .enumerate()
        .map(|(n, &acked)| {
            let shown = figures
                .iter()
                .find(|&&(_, sold)| sold > n as i64)
                .map_or(end, |&(at, _)| at);
            shown.saturating_duration_since(acked).as_secs_f64() * 1000.0
        })
        .collect();
    lags.sort_by(f64::total_cmp);
    Some(lags)
}

/// The `p` quantile of sorted `values`, to 0.1.
pub(super) fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let i = ((values.len() as f64 * p).ceil() as usize).clamp(1, values.len()) - 1;
    (values[i] * 10.0).round() / 10.0
}

/// Reads on until the figures count all `accepted` orders of `deal`, for at most a few beats (a
/// server that sends none is waited for in vain, after the measuring).
pub(super) async fn catch_up(
    host: &mut Wire,
    deal: DealId,
    figures: &mut Vec<(Instant, i64)>,
    accepted: i64,
) {
    let caught_up = async {
        while figures.last().is_none_or(|&(_, sold)| sold < accepted) {
            let text = host.next_text().await?;
            if let Some(sold) = sold_in_pulse(text.as_str(), deal) {
                figures.push((Instant::now(), sold));
            }
        }
        Ok::<(), String>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), caught_up).await;
}
