//! A picking list as HTML: one stretch of markup, built as text and set at once. A show of 20,000
//! orders has as many resident lines; a reactive view per line would take seconds to draw, a
//! string takes milliseconds. Every name typed by someone is escaped.

use mulin_shared::OrderStatus;
use mulin_shared::pickup::{PickingList, ProductLine};

use crate::components::orders::status_word;
use crate::pages::manager::local_day_time;
use crate::{escape, tr};

/// The whole list: title, totals across stores, each store (a printed page each), differences.
pub(super) fn list_html(list: &PickingList) -> String {
    let mut html = String::with_capacity(list.points.len() * 4096 + 4096);
    // Words looked up once, not once per line (20,000 lines make that count).
    let names: std::collections::HashMap<i64, String> = list
        .products
        .iter()
        .map(|p| (p.id, escape(&p.name)))
        .collect();
    let words: Vec<(OrderStatus, String)> = OrderStatus::ALL
        .iter()
        .map(|s| (*s, escape(&status_word(*s))))
        .collect();
    let word = |s: OrderStatus| {
        words
            .iter()
            .find(|(w, _)| *w == s)
            .map(|(_, t)| t.as_str())
            .unwrap_or_default()
    };
    let shows: Vec<String> = list
        .shows
        .iter()
        .map(|s| format!("{} ({})", s.title, local_day_time(s.starts_at)))
        .collect();
    let state = if list.frozen {
        let at = list
            .shows
            .iter()
            .filter_map(|s| s.frozen_at)
            .max()
            .unwrap_or_default();
        tr!("pick.frozen_at", at = local_day_time(at))
    } else {
        tr!("pick.live", at = local_day_time(list.made_at))
    };
    html.push_str(&format!(
        "<header class=\"pick-head\"><h1>{}</h1><p>{}</p><p class=\"pick-state\" data-frozen=\"{}\">{}</p></header>",
        escape(&tr!("pick.title")),
        escape(&shows.join("、")),
        list.frozen,
        escape(&state),
    ));
    html.push_str(&format!(
        "<section class=\"pick-totals\" id=\"pick-totals\"><h2>{}</h2>{}</section>",
        escape(&tr!("pick.totals")),
        products_table(list, &list.totals, false),
    ));
    for p in &list.points {
        let people: usize = p.residents.len();
        html.push_str(&format!(
            "<section class=\"pick-store\" data-pickup=\"{}\"><h2>{}</h2><p class=\"muted\">{} · {}</p>{}",
            p.pickup,
            escape(&p.name),
            escape(&p.address),
            escape(&tr!("pick.people", n = people)),
            products_table(list, &p.products, true),
        ));
        html.push_str(&format!(
            "<table class=\"pick-residents\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th class=\"sign\">{}</th></tr></thead><tbody>",
            escape(&tr!("pick.name")),
            escape(&tr!("pick.phone")),
            escape(&tr!("pick.code")),
            escape(&tr!("pick.items")),
            escape(&tr!("pick.state")),
            escape(&tr!("pick.sign")),
        ));
        for r in &p.residents {
            let staff = r.items.iter().any(|i| i.by_staff);
            let mut codes = String::new();
            let mut items = String::new();
            let mut states = String::new();
            for i in &r.items {
                let name = names.get(&i.product).map_or("", String::as_str);
                codes.push_str(&format!("<span class=\"code\">{}</span>", escape(&i.code)));
                items.push_str(&format!("<span>{name} × {}</span>", i.qty));
                let partly;
                let state = if i.status == OrderStatus::Ready && i.handed > 0 {
                    partly = escape(&tr!("pick.partly", handed = i.handed, qty = i.qty));
                    partly.as_str()
                } else {
                    word(i.status)
                };
                states.push_str(&format!(
                    "<span data-status=\"{}\">{state}</span>",
                    i.status.as_str(),
                ));
            }
            html.push_str(&format!(
                "<tr><td>{}{}</td><td>{}</td><td>{codes}</td><td>{items}</td><td>{states}</td><td class=\"sign\"></td></tr>",
                escape(&r.name),
                if staff {
                    format!(" <span class=\"chip by-staff\">{}</span>", escape(&tr!("pick.by_staff")))
                } else {
                    String::new()
                },
                escape(&r.phone),
            ));
        }
        html.push_str("</tbody></table></section>");
    }
    if !list.differences.is_empty() {
        html.push_str(&format!(
            "<section class=\"pick-diffs\" id=\"pick-diffs\"><h2>{}</h2><p class=\"muted\">{}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            escape(&tr!("pick.diffs")),
            escape(&tr!("pick.diffs_note")),
            escape(&tr!("pick.code")),
            escape(&tr!("pick.name")),
            escape(&tr!("pick.product")),
            escape(&tr!("pick.store")),
            escape(&tr!("pick.change")),
        ));
        let store = |id| list.point_name(id);
        for d in &list.differences {
            let product = list
                .product(d.product)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            let change = match (d.frozen_qty, d.qty_now) {
                (0, n) => tr!("pick.added", n = n),
                (n, 0) => tr!("pick.cancelled", n = n),
                (a, b) if d.pickup != d.pickup_now => {
                    tr!("pick.moved", a = a, b = b, to = store(d.pickup_now))
                }
                (a, b) => tr!("pick.changed", a = a, b = b),
            };
            html.push_str(&format!(
                "<tr data-order=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                d.order,
                escape(&d.code),
                escape(&d.name),
                escape(&product),
                escape(&store(d.pickup)),
                escape(&change),
            ));
        }
        html.push_str("</tbody></table></section>");
    }
    html
}

/// Units per product (`store`: a store's lines, with when each was received).
fn products_table(list: &PickingList, lines: &[ProductLine], store: bool) -> String {
    let frozen = list.frozen;
    let mut html = format!(
        "<table class=\"pick-products\"><thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th>",
        escape(&tr!("pick.product")),
        escape(&tr!("pick.pack")),
        escape(&tr!("pick.units")),
        escape(&tr!("pick.orders")),
    );
    if frozen {
        html.push_str(&format!(
            "<th class=\"num\">{}</th>",
            escape(&tr!("pick.frozen_units"))
        ));
    }
    if store {
        html.push_str(&format!("<th>{}</th>", escape(&tr!("pick.received"))));
    }
    html.push_str("</tr></thead><tbody>");
    for line in lines {
        let (name, unit) = list
            .product(line.product)
            .map(|p| (p.name.clone(), p.unit.clone()))
            .unwrap_or_default();
        html.push_str(&format!(
            "<tr data-product=\"{}\"><td>{}</td><td>{}</td><td class=\"num units\">{}</td><td class=\"num\">{}</td>",
            line.product,
            escape(&name),
            escape(&unit),
            line.units,
            line.orders,
        ));
        if frozen {
            html.push_str(&format!(
                "<td class=\"num frozen\">{}</td>",
                line.frozen_units.unwrap_or_default()
            ));
        }
        if store {
            html.push_str(&format!(
                "<td>{}</td>",
                escape(&line.received_at.map(local_day_time).unwrap_or_default())
            ));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}
