//! Residents, their sessions, and the one-time codes that prove a phone number. A number has one
//! resident (a unique index); residents merged into another (migration 0008) keep their row only
//! for the published lists of drawn bags.

use mulin_shared::{ResidentId, SignInForm, UtcMillis};
use sqlx::Row;

use super::{Store, StoreError};

/// A resident as known by their phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownResident {
    /// Their id.
    pub id: ResidentId,
    /// Their name as shown.
    pub nickname: String,
}

/// The latest code sent to a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCode {
    /// The code's HMAC (the code itself is never stored).
    pub mac: String,
    /// When it was sent.
    pub sent_at: UtcMillis,
    /// When it stops being accepted.
    pub expires_at: UtcMillis,
    /// Wrong guesses it still takes before it is void.
    pub attempts_left: i64,
}

/// Whether a unique index refused the write (the number has a resident already).
fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Store {
    /// The resident with this phone number (11 digits), if any.
    pub async fn resident_by_phone(
        &self,
        phone: &str,
    ) -> Result<Option<KnownResident>, StoreError> {
        let row = sqlx::query(
            "SELECT id, nickname FROM residents WHERE phone = ? AND merged_into IS NULL",
        )
        .bind(phone)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| KnownResident {
            id: r.get(0),
            nickname: r.get(1),
        }))
    }

    /// Creates a resident and, in the same transaction, stores the hash of their session token,
    /// which `token_hash` makes once the resident's id is known. `None` if the number has a
    /// resident already (someone signed in with it meanwhile).
    pub async fn create_resident(
        &self,
        form: &SignInForm,
        home: Option<mulin_shared::CommunityId>,
        now: UtcMillis,
        token_hash: impl FnOnce(ResidentId) -> String,
    ) -> Result<Option<ResidentId>, StoreError> {
        self.write(1, async |tx| {
            let inserted = sqlx::query_scalar(
                "INSERT INTO residents (nickname, phone, community, community_id, created_at) \
                 VALUES (?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(&form.nickname)
            .bind(&form.phone)
            .bind(&form.community)
            .bind(home)
            .bind(now)
            .fetch_one(&mut *tx)
            .await;
            let id: i64 = match inserted {
                Ok(id) => id,
                Err(e) if is_unique_violation(&e) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            insert_resident_token(&mut *tx, id, &token_hash(id), now).await?;
            Ok(Some(id))
        })
        .await
    }

    /// Signs a known resident in on a new device: stores a new session token's hash, and the name
    /// and community they just gave.
    pub async fn resume_resident(
        &self,
        id: ResidentId,
        form: &SignInForm,
        token_hash: &str,
        now: UtcMillis,
    ) -> Result<(), StoreError> {
        self.write(1, async |tx| {
            sqlx::query("UPDATE residents SET nickname = ?, community = ? WHERE id = ?")
                .bind(&form.nickname)
                .bind(&form.community)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            insert_resident_token(&mut *tx, id, token_hash, now).await?;
            Ok(())
        })
        .await
    }

    /// Changes a resident's name as shown.
    pub async fn rename_resident(&self, id: ResidentId, nickname: &str) -> Result<(), StoreError> {
        self.write(1, async |tx| {
            sqlx::query("UPDATE residents SET nickname = ? WHERE id = ?")
                .bind(nickname)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
        .await
    }

    /// Forgets a session token: whoever holds it is signed out everywhere it is used.
    pub async fn revoke_token(&self, token_hash: &str) -> Result<(), StoreError> {
        self.write(1, async |tx| {
            sqlx::query("DELETE FROM tokens WHERE hash = ?")
                .bind(token_hash)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
        .await
    }

    /// The latest code sent to `phone`, if any.
    pub async fn phone_code(&self, phone: &str) -> Result<Option<StoredCode>, StoreError> {
        let row = sqlx::query(
            "SELECT code_mac, sent_at, expires_at, attempts_left FROM phone_codes WHERE phone = ?",
        )
        .bind(phone)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| StoredCode {
            mac: r.get(0),
            sent_at: r.get(1),
            expires_at: r.get(2),
            attempts_left: r.get(3),
        }))
    }

    /// How many codes were sent to `phone` since `since`.
    pub async fn codes_sent_since(&self, phone: &str, since: UtcMillis) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM phone_code_sends WHERE phone = ? AND sent_at >= ?",
        )
        .bind(phone)
        .bind(since)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Records a code sent to `phone` (replacing any earlier one), and forgets sends older than
    /// `forget_before`.
    pub async fn save_phone_code(
        &self,
        phone: &str,
        code: &StoredCode,
        forget_before: UtcMillis,
    ) -> Result<(), StoreError> {
        self.write(1, async |tx| {
            sqlx::query(
                "INSERT INTO phone_codes (phone, code_mac, sent_at, expires_at, attempts_left) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (phone) DO UPDATE SET code_mac = excluded.code_mac, \
                 sent_at = excluded.sent_at, expires_at = excluded.expires_at, \
                 attempts_left = excluded.attempts_left",
            )
            .bind(phone)
            .bind(&code.mac)
            .bind(code.sent_at)
            .bind(code.expires_at)
            .bind(code.attempts_left)
            .execute(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO phone_code_sends (phone, sent_at) VALUES (?, ?)")
                .bind(phone)
                .bind(code.sent_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM phone_code_sends WHERE sent_at < ?")
                .bind(forget_before)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
        .await
    }

    /// Takes a guess of `phone`'s code: if `mac` matches an unexpired code with attempts left, the
    /// code is used up (`true`); otherwise one attempt is spent (`false`). One transaction, so two
    /// guesses at once cannot both use a code, nor both spend the last attempt.
    pub async fn try_phone_code(
        &self,
        phone: &str,
        mac: &str,
        now: UtcMillis,
    ) -> Result<bool, StoreError> {
        self.write(1, async |tx| {
            let used = sqlx::query(
                "DELETE FROM phone_codes WHERE phone = ? AND code_mac = ? AND expires_at > ? \
                 AND attempts_left > 0",
            )
            .bind(phone)
            .bind(mac)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !used {
                sqlx::query(
                    "UPDATE phone_codes SET attempts_left = attempts_left - 1 \
                     WHERE phone = ? AND attempts_left > 0",
                )
                .bind(phone)
                .execute(&mut *tx)
                .await?;
            }
            Ok(used)
        })
        .await
    }
}

async fn insert_resident_token(
    tx: &mut sqlx::SqliteConnection,
    id: ResidentId,
    token_hash: &str,
    now: UtcMillis,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO tokens (hash, role, resident_id, created_at) VALUES (?, 'resident', ?, ?)",
    )
    .bind(token_hash)
    .bind(id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};

    use super::*;

    /// A database as the release before one-resident-per-number left it (migrations 0001–0007),
    /// with the same number signed in three times, is upgraded in place: the three become the
    /// first, nothing is lost, and the drawn bag's published lists still name who they named.
    #[tokio::test]
    async fn the_upgrade_merges_residents_of_one_number_without_losing_an_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let old = dir.path().join("migrations");
        std::fs::create_dir(&old).expect("folder");
        for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
            .expect("migrations")
        {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            if name.as_str() < "0008" {
                std::fs::copy(&path, old.join(&name)).expect("copied");
            }
        }
        let db = dir.path().join("old.db");
        let mut conn = SqliteConnectOptions::new()
            .filename(&db)
            .create_if_missing(true)
            .connect()
            .await
            .expect("db");
        sqlx::migrate::Migrator::new(old.as_path())
            .await
            .expect("old migrations")
            .run(&mut conn)
            .await
            .expect("migrated to 0007");
        for sql in [
            "INSERT INTO shows (id, title, community, created_at) VALUES (1, 't', 'c', 0)",
            "INSERT INTO products (id, show_id, name, origin, unit, normal_price) VALUES (1, 1, 'p', 'o', 'u', 100)",
            "INSERT INTO pickup_points (id, show_id, name, address) VALUES (1, 1, 'n', 'a')",
            "INSERT INTO deals (id, show_id, product_id, price, stock, sold, per_resident_limit, starts_at, ends_at) \
             VALUES (1, 1, 1, 50, 100, 6, 5, 0, 9999999999999)",
            // 13800138000 three times (ids 1, 2, 5), another number, and one from before phones.
            "INSERT INTO residents (id, nickname, phone, community, created_at) VALUES \
             (1, 'a', '13800138000', 'c', 1), (2, 'b', '13800138000', 'c', 2), \
             (3, 'c', '13900139000', 'c', 3), (4, 'd', '', '', 4), (5, 'e', '13800138000', 'c', 5)",
            // Resident 5 used the same purchase key as resident 1 in the same deal.
            "INSERT INTO orders (id, deal_id, resident_id, qty, unit_price, pickup_id, pickup_code, key, created_at) VALUES \
             (1, 1, 1, 2, 50, 1, '111111', 'k1', 10), (2, 1, 2, 3, 50, 1, '222222', 'k2', 11), \
             (3, 1, 5, 1, 50, 1, '555555', 'k1', 12), (4, 1, 3, 1, 50, 1, '333333', 'k3', 13)",
            "INSERT INTO holdings (deal_id, resident_id, units, max_units) VALUES \
             (1, 1, 2, 5), (1, 2, 3, 5), (1, 5, 1, 5), (1, 3, 1, 5)",
            "INSERT INTO tokens (hash, role, resident_id, created_at) VALUES \
             ('t1', 'resident', 1, 1), ('t2', 'resident', 2, 2), ('t5', 'resident', 5, 5)",
            // Bag 1 drawn (resident 2 entered and won), bag 2 open (residents 1 and 2 entered).
            "INSERT INTO bags (id, show_id, prize, winners_wanted, eligibility, pickup_id, opened_at, closes_at, seed, commitment, drawn_at, entries_hash) VALUES \
             (1, 1, 'rice', 1, 'everyone', 1, 0, 1, x'00', 'c', NULL, NULL), \
             (2, 1, 'eggs', 1, 'everyone', 1, 0, 9999999999999, x'00', 'c', NULL, NULL)",
            "INSERT INTO bag_winners (bag_id, rank, resident_id, claim_code) VALUES (1, 0, 2, '424242')",
            "INSERT INTO bag_entries (bag_id, resident_id, entered_at) VALUES (1, 2, 0), (1, 3, 0)",
            "UPDATE bags SET drawn_at = 1, entries_hash = 'h' WHERE id = 1",
        ] {
            sqlx::query(sql).execute(&mut conn).await.expect(sql);
        }
        sqlx::query(
            "INSERT INTO bag_entries (bag_id, resident_id, entered_at) VALUES (2, 1, 0), (2, 2, 0)",
        )
        .execute(&mut conn)
        .await
        .expect("open bag entries");
        conn.close().await.expect("closed");

        let store = Store::open(&db).await.expect("upgraded");
        assert_eq!(
            store.resident_by_phone("13800138000").await.expect("read"),
            Some(KnownResident {
                id: 1,
                nickname: "a".into()
            })
        );
        let owners: Vec<(i64, i64, String)> =
            sqlx::query_as("SELECT id, resident_id, key FROM orders ORDER BY id")
                .fetch_all(&store.pool)
                .await
                .expect("orders");
        assert_eq!(
            owners,
            [
                (1, 1, "k1".into()),
                (2, 1, "k2".into()),
                (3, 1, "k1~5".into()),
                (4, 3, "k3".into())
            ],
            "every order kept, all of the number's on its one resident"
        );
        let held: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT resident_id, units, max_units FROM holdings ORDER BY resident_id",
        )
        .fetch_all(&store.pool)
        .await
        .expect("holdings");
        assert_eq!(held, [(1, 6, 6), (3, 1, 5)]);
        for token in ["t1", "t2", "t5"] {
            let owner = store.token_owner(token).await.expect("read").expect("kept");
            assert_eq!(owner.resident, Some(1), "{token}");
        }
        assert_eq!(store.bag_entries(2).await.expect("open bag"), [1]);
        assert_eq!(store.bag_entries(1).await.expect("drawn bag"), [2, 3]);
        let prizes = store.prizes(1, 1).await.expect("prizes");
        assert_eq!(prizes.len(), 1);
        assert_eq!(prizes[0].claim_code, "424242");
        // The number has one resident from now on.
        let form = SignInForm {
            nickname: "f".into(),
            phone: "13800138000".into(),
            community: "c".into(),
        };
        assert_eq!(
            store
                .create_resident(&form, None, 9, |_| "t9".into())
                .await
                .expect("asked"),
            None
        );
    }
}
