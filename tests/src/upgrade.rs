//! A database written by an earlier schema, and what it must still hold after an upgrade.
//!
//! `tests/fixtures/schema-0012.sql` is a `sqlite3 .dump` of a database filled through the code
//! paths of the release whose newest migration is 0012 (`cargo run -p mulin-tests --example
//! upgrade_fixture`), and `schema-0012.json` is what was in it, read through that release's store
//! and sessions. `tests/upgrade.rs` loads the dump, opens it with today's code (which migrates it)
//! and checks every show, deal, order, pickup code, token and lucky bag against the record.

use mulin_shared::{
    BagId, Deal, LuckyBag, Order, PickupId, PickupPoint, Product, ResidentId, Role, Show, ShowId,
};
use serde::{Deserialize, Serialize};

/// Everything the fixture's database held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Every show, with what belongs to it.
    pub shows: Vec<ShowRecord>,
    /// Every token handed out, in plain (the database keeps only hashes), with whom it names.
    pub tokens: Vec<TokenRecord>,
    /// The SHA-256 names of the stored pictures, with their content types and sizes.
    pub pictures: Vec<(String, String, usize)>,
}

/// One show and what belongs to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowRecord {
    /// The show.
    pub show: Show,
    /// Its products.
    pub products: Vec<Product>,
    /// Its pickup points.
    pub pickup_points: Vec<PickupPoint>,
    /// Its deals, newest first.
    pub deals: Vec<Deal>,
    /// Its orders, newest first, with their purchase keys.
    pub orders: Vec<(String, Order)>,
    /// Its lucky bags, with their frozen entry lists once drawn.
    pub bags: Vec<(LuckyBag, Vec<ResidentId>)>,
    /// Each resident's own view: their orders in this show (as "my orders" lists them) and the
    /// prizes they won here, with their claim codes.
    pub residents: Vec<(ResidentId, Vec<Order>, Vec<PrizeRecord>)>,
}

/// A prize as its winner sees it: (bag, prize, pickup point, claim code).
pub type PrizeRecord = (BagId, String, PickupId, String);

/// A token and whom it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// The token as its holder keeps it.
    pub token: String,
    /// The role it grants.
    pub role: Role,
    /// The resident, for a resident's token.
    pub resident: Option<ResidentId>,
    /// The show, for a staff token.
    pub show: Option<ShowId>,
    /// The name shown.
    pub nickname: String,
}
