//! Lucky bags in the store: the bag with its secret seed, one row per entry, and the draw's result.

use mulin_shared::lucky_bag::SEED_LEN;
use mulin_shared::{
    BagId, BagPhase, Eligibility, LuckyBag, Prize, ResidentId, ShowId, UtcMillis, Winner,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{Store, StoreError};

/// A stored bag with its seed (which [`LuckyBag::seed`] only shows once drawn).
#[derive(Debug, Clone)]
pub struct StoredBag {
    /// The bag as viewers see it.
    pub bag: LuckyBag,
    /// The secret seed.
    pub seed: [u8; SEED_LEN],
}

/// One winner of a draw, as recorded.
#[derive(Debug, Clone)]
pub struct DrawnWinner {
    /// The resident.
    pub resident: ResidentId,
    /// Their claim code.
    pub claim_code: String,
}

const BAG_COLUMNS: &str = "b.id, b.show_id, b.prize, b.winners_wanted, b.eligibility, b.pickup_id, \
     b.opened_at, b.closes_at, b.seed, b.commitment, b.drawn_at, b.entries_hash, \
     (SELECT COUNT(*) FROM bag_entries e WHERE e.bag_id = b.id)";

impl Store {
    /// Stores a newly opened bag (its `id` is ignored) with its secret seed; returns its id.
    pub async fn insert_bag(
        &self,
        new: &LuckyBag,
        seed: &[u8; SEED_LEN],
        by: &super::Actor,
    ) -> Result<BagId, StoreError> {
        self.write(2, async |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO bags (show_id, prize, winners_wanted, eligibility, pickup_id, opened_at, \
                 closes_at, seed, commitment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(new.show)
            .bind(&new.prize)
            .bind(new.winners_wanted)
            .bind(eligibility_name(new.eligibility))
            .bind(new.pickup)
            .bind(new.opened_at)
            .bind(new.closes_at)
            .bind(&seed[..])
            .bind(&new.commitment)
            .fetch_one(&mut *tx)
            .await?;
            let change = super::Change::new(
                mulin_shared::community::AuditAction::BagOpened,
                None,
                format!("lucky bag {id}"),
            )
            .after(serde_json::json!({
                "prize": new.prize, "winners": new.winners_wanted, "closes_at": new.closes_at,
                "eligibility": new.eligibility, "pickup": new.pickup, "commitment": new.commitment,
            }));
            super::audit::record_in_show(tx, new.show, by, &change, new.opened_at).await?;
            Ok(id)
        })
        .await
    }

    /// Stores entries in one transaction; an entry already there is left as it is.
    pub async fn add_bag_entries(
        &self,
        bag: BagId,
        residents: &[ResidentId],
        at: UtcMillis,
    ) -> Result<(), StoreError> {
        self.write(1, async |tx| {
            for resident in residents {
                sqlx::query(
                    "INSERT INTO bag_entries (bag_id, resident_id, entered_at) VALUES (?, ?, ?) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(bag)
                .bind(resident)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            Ok(())
        })
        .await
    }

    /// The bag's entries, ascending.
    pub async fn bag_entries(&self, bag: BagId) -> Result<Vec<ResidentId>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT resident_id FROM bag_entries WHERE bag_id = ? ORDER BY resident_id",
        )
        .bind(bag)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records a draw: from now on the bag takes no entries (the store refuses them too).
    pub async fn record_draw(
        &self,
        bag: BagId,
        entries_hash: &str,
        drawn_at: UtcMillis,
        winners: &[DrawnWinner],
        closed_by: Option<&super::Actor>,
    ) -> Result<(), StoreError> {
        self.write(2, async |tx| {
            sqlx::query("UPDATE bags SET drawn_at = ?, entries_hash = ? WHERE id = ?")
                .bind(drawn_at)
                .bind(entries_hash)
                .bind(bag)
                .execute(&mut *tx)
                .await?;
            for (rank, w) in winners.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO bag_winners (bag_id, rank, resident_id, claim_code) VALUES (?, ?, ?, ?)",
                )
                .bind(bag)
                .bind(rank as i64)
                .bind(w.resident)
                .bind(&w.claim_code)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(by) = closed_by {
                let show: ShowId = sqlx::query_scalar("SELECT show_id FROM bags WHERE id = ?")
                    .bind(bag)
                    .fetch_one(&mut *tx)
                    .await?;
                let change = super::Change::new(
                    mulin_shared::community::AuditAction::BagClosed,
                    None,
                    format!("lucky bag {bag}"),
                )
                .after(serde_json::json!({ "winners": winners.len(), "entries_hash": entries_hash }));
                super::audit::record_in_show(tx, show, by, &change, drawn_at).await?;
            }
            Ok(())
        })
        .await
    }

    /// The show's latest bag, open or drawn.
    pub async fn latest_bag(&self, show: ShowId) -> Result<Option<StoredBag>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {BAG_COLUMNS} FROM bags b WHERE b.show_id = ? ORDER BY b.id DESC LIMIT 1"
        ))
        .bind(show)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some(self.bag_from_row(&r).await?)),
            None => Ok(None),
        }
    }

    /// A bag by id.
    pub async fn bag(&self, bag: BagId) -> Result<Option<StoredBag>, StoreError> {
        let row = sqlx::query(&format!("SELECT {BAG_COLUMNS} FROM bags b WHERE b.id = ?"))
            .bind(bag)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(self.bag_from_row(&r).await?)),
            None => Ok(None),
        }
    }

    async fn bag_from_row(&self, r: &SqliteRow) -> Result<StoredBag, StoreError> {
        let id: BagId = r.get(0);
        let seed_bytes: Vec<u8> = r.get(8);
        let seed: [u8; SEED_LEN] = seed_bytes
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("bag {id} has a damaged seed")))?;
        let drawn_at: Option<UtcMillis> = r.get(10);
        let winners = if drawn_at.is_some() {
            sqlx::query(
                "SELECT w.resident_id, r.nickname FROM bag_winners w \
                 JOIN residents r ON r.id = w.resident_id WHERE w.bag_id = ? ORDER BY w.rank",
            )
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|w| Winner {
                resident: w.get(0),
                nickname: w.get(1),
            })
            .collect()
        } else {
            Vec::new()
        };
        let eligibility = match r.get::<String, _>(4).as_str() {
            "buyers" => Eligibility::Buyers,
            _ => Eligibility::Everyone,
        };
        let bag = LuckyBag {
            id,
            show: r.get(1),
            prize: r.get(2),
            winners_wanted: r.get(3),
            eligibility,
            pickup: r.get(5),
            opened_at: r.get(6),
            closes_at: r.get(7),
            phase: if drawn_at.is_some() {
                BagPhase::Drawn
            } else {
                BagPhase::Open
            },
            commitment: r.get(9),
            entrants: r.get::<i64, _>(12) as u64,
            entries_hash: r.get(11),
            winners,
            seed: drawn_at.map(|_| hex::encode(seed)),
        };
        Ok(StoredBag { bag, seed })
    }

    /// What `resident` won in `show`'s bags, newest first.
    pub async fn prizes(
        &self,
        show: ShowId,
        resident: ResidentId,
    ) -> Result<Vec<Prize>, StoreError> {
        let rows = sqlx::query(
            "SELECT b.id, b.prize, b.pickup_id, w.claim_code FROM bag_winners w \
             JOIN bags b ON b.id = w.bag_id JOIN residents r ON r.id = w.resident_id \
             WHERE b.show_id = ? AND (r.id = ?2 OR r.merged_into = ?2) ORDER BY b.id DESC",
        )
        .bind(show)
        .bind(resident)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Prize {
                bag: r.get(0),
                prize: r.get(1),
                pickup: r.get(2),
                claim_code: r.get(3),
            })
            .collect())
    }

    /// Whether `resident` entered `bag`.
    pub async fn has_entered(&self, bag: BagId, resident: ResidentId) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM bag_entries WHERE bag_id = ? AND resident_id = ?")
                .bind(bag)
                .bind(resident)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    /// Whether `resident` has an order in `show` that is not cancelled.
    pub async fn has_ordered(
        &self,
        show: ShowId,
        resident: ResidentId,
    ) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM orders o JOIN deals d ON d.id = o.deal_id \
             WHERE d.show_id = ? AND o.resident_id = ? AND o.status != 'cancelled' LIMIT 1",
        )
        .bind(show)
        .bind(resident)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }
}

fn eligibility_name(e: Eligibility) -> &'static str {
    match e {
        Eligibility::Everyone => "everyone",
        Eligibility::Buyers => "buyers",
    }
}
