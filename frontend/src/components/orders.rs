//! Names and words every list of orders uses (the resident's and the moderators').

use leptos::prelude::*;
use mulin_shared::{OrderStatus, PickupPoint};

use crate::socket::Conn;
use crate::tr;

/// Looks up display names in the catalogue and room.
#[derive(Clone, Copy)]
pub(crate) struct Names {
    pub(crate) conn: Conn,
}

impl Names {
    /// A product's name (the community's catalogue holds every product any order names).
    pub(crate) fn product(&self, id: i64) -> String {
        self.conn
            .catalogue
            .with(|c| {
                c.as_ref()
                    .and_then(|c| c.product(id).map(|p| p.name.clone()))
            })
            .unwrap_or_else(|| tr!("deal.product", id = id))
    }

    pub(crate) fn pickup(&self, id: i64) -> String {
        self.pickup_point(id).map(|p| p.name).unwrap_or_default()
    }

    pub(crate) fn pickup_point(&self, id: i64) -> Option<PickupPoint> {
        self.conn
            .catalogue
            .with(|c| c.as_ref().and_then(|c| c.pickup(id).cloned()))
    }
}

/// Where an order stands, in words.
pub(crate) fn status_word(status: OrderStatus) -> String {
    match status {
        OrderStatus::Accepted => tr!("orders.accepted"),
        OrderStatus::Cancelled => tr!("orders.cancelled"),
        OrderStatus::PickedUp => tr!("orders.picked_up"),
        OrderStatus::Ready => tr!("orders.ready"),
        OrderStatus::NotCollected => tr!("orders.not_collected"),
    }
}

/// Where an order stands, as on the wire (for tests and styling).
pub(crate) fn status_key(status: OrderStatus) -> &'static str {
    status.as_str()
}
