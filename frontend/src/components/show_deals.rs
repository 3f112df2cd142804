//! The show at a glance: every deal of the show besides the one on the card — coming up, still on
//! sale, and earlier ones — so a resident who tuned in late sees what they missed and what is next.
//! A deal on sale or coming up opens on the card with one tap.

use leptos::prelude::*;
use mulin_shared::{Deal, DealId, DealStatus, UtcMillis};

use crate::i18n::txt;
use crate::socket::Conn;
use crate::{escape, local_time, tr, yuan};

/// Where a deal stands for a resident, in the order the list shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Phase {
    OnSale,
    ComingUp,
    SoldOut,
    Ended,
}

fn phase(deal: &Deal, now: UtcMillis) -> Phase {
    if deal.status == DealStatus::Ended || deal.ends_at <= now {
        Phase::Ended
    } else if deal.starts_at > now {
        Phase::ComingUp
    } else if deal.remaining() <= 0 {
        Phase::SoldOut
    } else {
        Phase::OnSale
    }
}

/// Every deal but the one on the card, with where it stands: what can be bought now first, then
/// what is next, then the most recent of the rest.
fn at_a_glance(deals: &[Deal], on_card: Option<DealId>, now: UtcMillis) -> Vec<(Phase, Deal)> {
    let mut list: Vec<(Phase, Deal)> = deals
        .iter()
        .filter(|d| Some(d.id) != on_card)
        .map(|d| (phase(d, now), d.clone()))
        .collect();
    // A show has a handful of deals: an insertion sort does, at a fraction of the widget bytes of
    // the standard library's sorts (2 KB gzipped).
    let rank = |(p, d): &(Phase, Deal)| {
        let at = if *p == Phase::ComingUp {
            d.starts_at
        } else {
            -d.ends_at
        };
        (*p, at, d.id)
    };
    for i in 1..list.len() {
        let mut j = i;
        while j > 0 && rank(&list[j - 1]) > rank(&list[j]) {
            list.swap(j - 1, j);
            j -= 1;
        }
    }
    list
}

/// The show's other deals; hidden while there are none.
///
/// Drawn as one stretch of HTML from text, redrawn when a deal, the clock's minute or the language
/// changes: a reactive view per row cost the widget 6 KB of its 200 KB budget for a list nobody
/// interacts with.
#[component]
pub fn ShowDeals(
    conn: Conn,
    now: ReadSignal<UtcMillis>,
    shown: Memo<Option<Deal>>,
    choice: RwSignal<Option<DealId>>,
) -> impl IntoView {
    let on_card = Memo::new(move |_| shown.with(|d| d.as_ref().map(|d| d.id)));
    let rows = Memo::new(move |_| {
        let _ = crate::i18n::lang();
        let now = now.get();
        let on_card = on_card.get();
        conn.room.with(|r| {
            let mut html = String::new();
            for (phase, deal) in r
                .as_ref()
                .map(|r| at_a_glance(&r.deals, on_card, now))
                .unwrap_or_default()
            {
                let (class, key, words) = match phase {
                    Phase::ComingUp => (
                        "soon",
                        "coming_up",
                        tr!("more.from", time = local_time(deal.starts_at)),
                    ),
                    Phase::OnSale => ("on", "on_sale", tr!("more.on_sale", n = deal.remaining())),
                    Phase::SoldOut => ("off", "sold_out", tr!("more.sold_out")),
                    Phase::Ended => ("off", "ended", tr!("more.ended")),
                };
                // What can be bought or is coming opens on the card: the whole row is the button.
                let (open, close) = if matches!(phase, Phase::OnSale | Phase::ComingUp) {
                    (
                        format!(
                            "<button type=\"button\" class=\"show-deal-open\" data-open=\"{}\">",
                            deal.id
                        ),
                        "<span class=\"show-deal-go\" aria-hidden=\"true\">›</span></button>",
                    )
                } else {
                    (String::from("<div class=\"show-deal-open\">"), "</div>")
                };
                html.push_str(&format!(
                    "<li class=\"show-deal\" data-deal=\"{}\">{open}<span class=\"show-deal-what\">\
                     <strong>{}</strong> <span class=\"muted\">{}</span></span>\
                     <span class=\"chip {class}\" data-phase=\"{key}\">{}</span>{close}</li>",
                    deal.id,
                    escape(&conn.product_name(deal.product)),
                    yuan(deal.price),
                    escape(&words),
                ));
            }
            html
        })
    });
    view! {
        <section class="card" aria-labelledby="show-deals" hidden=move || rows.with(String::is_empty)>
            <h2 id="show-deals">{txt("more.title")}</h2>
            <ul class="show-deals" inner_html=move || rows.get() on:click=move |ev: leptos::ev::MouseEvent| {
                let picked = ev
                    .target()
                    .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
                    .and_then(|e| e.closest("[data-open]").ok().flatten())
                    .and_then(|b| b.get_attribute("data-open"))
                    .and_then(|id| id.parse().ok());
                if let Some(id) = picked {
                    choice.set(Some(id));
                    // The card is above: bring all of it into view (its top, not its title's:
                    // the picture sits above the title).
                    if let Some(card) = document()
                        .get_element_by_id("deal-name")
                        .and_then(|t| t.closest(".deal").ok().flatten())
                    {
                        card.scroll_into_view();
                    }
                }
            }></ul>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deal(id: DealId, starts_at: UtcMillis, ends_at: UtcMillis, sold: i64, ended: bool) -> Deal {
        Deal {
            id,
            show: 1,
            product: 1,
            price: 990,
            stock: 10,
            sold,
            per_resident_limit: 1,
            starts_at,
            ends_at,
            status: if ended {
                DealStatus::Ended
            } else {
                DealStatus::Live
            },
        }
    }

    #[test]
    fn on_sale_first_then_next_up_then_the_latest_of_the_rest() {
        let now = 1_000;
        let deals = [
            deal(1, 0, 500, 2, false),       // ran out of time
            deal(2, 0, 5_000, 3, false),     // pinned
            deal(3, 3_000, 9_000, 0, false), // later
            deal(4, 0, 4_000, 10, false),    // sold out
            deal(5, 2_000, 9_000, 0, false), // sooner
            deal(6, 0, 800, 1, true),        // ended early, after 1
            deal(7, 0, 6_000, 1, false),     // on sale
        ];
        let list = at_a_glance(&deals, Some(2), now);
        let got: Vec<(Phase, DealId)> = list.iter().map(|(p, d)| (*p, d.id)).collect();
        assert_eq!(
            got,
            [
                (Phase::OnSale, 7),
                (Phase::ComingUp, 5),
                (Phase::ComingUp, 3),
                (Phase::SoldOut, 4),
                (Phase::Ended, 6),
                (Phase::Ended, 1),
            ]
        );
    }
}
