//! A show's catalogue in the store: its community's products and pickup points (every show of a
//! community offers the same), uploaded pictures, and the version that every change bumps.

use mulin_shared::community::AuditAction;
use mulin_shared::{CommunityId, PickupId, PickupPoint, Product, ProductId, ShowId, UtcMillis};
use sha2::{Digest, Sha256};
use sqlx::{Row, SqliteConnection};

use super::audit::{self, Actor, Change};
use super::{Store, StoreError};

/// What became of a change to the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogueChange<T> {
    /// Done; the catalogue is now at this version.
    Done(T, u64),
    /// No such item in this show's community.
    NotFound,
    /// Still named by a deal, an order or a lucky bag.
    InUse,
}

/// Whose catalogue a change is made to: the community's, from one of its shows (a host adding a
/// product during the show) or from the manager's console (no show). The show goes into the audit
/// log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueOf {
    /// The community whose catalogue it is.
    pub community: CommunityId,
    /// The show the change was made from, if one.
    pub show: Option<ShowId>,
}

/// A show's products and pickup points as of one moment, with the catalogue's version then.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredCatalogue {
    /// The version (see [`CatalogueChange::Done`]); it also grows when the show changes.
    pub version: u64,
    /// The show as of the same moment (title, status, start, stream).
    pub show: Option<mulin_shared::Show>,
    /// Products, oldest first.
    pub products: Vec<Product>,
    /// Pickup points, oldest first.
    pub pickup_points: Vec<PickupPoint>,
}

impl Store {
    /// A show's catalogue, read in one transaction so the version matches the lists.
    pub async fn catalogue(&self, show: ShowId) -> Result<StoredCatalogue, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<(i64, Option<CommunityId>)> =
            sqlx::query_as("SELECT catalogue_version, community_id FROM shows WHERE id = ?")
                .bind(show)
                .fetch_optional(&mut *tx)
                .await?;
        let (version, community) = row.unwrap_or((0, None));
        let about = super::shows::show_in_conn(&mut tx, show).await?;
        let community = community.unwrap_or_default();
        let products = products_in(&mut tx, community).await?;
        let pickup_points = pickups_in(&mut tx, community).await?;
        tx.commit().await?;
        Ok(StoredCatalogue {
            version: version as u64,
            show: about,
            products,
            pickup_points,
        })
    }

    /// A community's pickup points, oldest first.
    pub async fn pickup_points_of(
        &self,
        community: CommunityId,
    ) -> Result<Vec<PickupPoint>, StoreError> {
        pickups_in(&mut *self.pool.acquire().await?, community).await
    }

    /// A community's products, oldest first.
    pub async fn products_of(&self, community: CommunityId) -> Result<Vec<Product>, StoreError> {
        products_in(&mut *self.pool.acquire().await?, community).await
    }

    /// Adds a product (`id` 0) or changes one of the community's.
    pub async fn save_product(
        &self,
        of: CatalogueOf,
        p: &Product,
        by: &Actor,
    ) -> Result<CatalogueChange<Product>, StoreError> {
        self.write(2, async |tx| {
            let before = row_json(
                tx,
                "SELECT json_object('name', name, 'description', description, 'origin', origin, \
                 'unit', unit, 'normal_price', normal_price, 'batch', batch, 'picture', picture) \
                 FROM products WHERE id = ?",
                p.id,
            )
            .await?;
            let id: Option<i64> = if p.id == 0 {
                sqlx::query_scalar(
                    "INSERT INTO products (show_id, community_id, name, description, origin, unit, \
                     normal_price, batch, picture) SELECT ?, id, ?, ?, ?, ?, ?, ?, ? \
                     FROM communities WHERE id = ? RETURNING id",
                )
                .bind(of.show)
                .bind(&p.name)
                .bind(&p.description)
                .bind(&p.origin)
                .bind(&p.unit)
                .bind(p.normal_price)
                .bind(&p.batch)
                .bind(&p.picture)
                .bind(of.community)
                .fetch_optional(&mut *tx)
                .await?
            } else {
                sqlx::query_scalar(
                    "UPDATE products SET name = ?, description = ?, origin = ?, unit = ?, \
                     normal_price = ?, batch = ?, picture = ? WHERE id = ? AND community_id = ? \
                     RETURNING id",
                )
                .bind(&p.name)
                .bind(&p.description)
                .bind(&p.origin)
                .bind(&p.unit)
                .bind(p.normal_price)
                .bind(&p.batch)
                .bind(&p.picture)
                .bind(p.id)
                .bind(of.community)
                .fetch_optional(&mut *tx)
                .await?
            };
            let Some(id) = id else {
                return Ok(CatalogueChange::NotFound);
            };
            let saved = Product { id, ..p.clone() };
            let change = Change::new(
                AuditAction::ProductSaved,
                of.show,
                format!("product {id} {}", saved.name),
            );
            saved_and_logged(tx, of.community, by, change, before, saved).await
        })
        .await
    }

    /// Removes a product of the community that no deal has sold.
    pub async fn remove_product(
        &self,
        of: CatalogueOf,
        product: ProductId,
        by: &Actor,
    ) -> Result<CatalogueChange<()>, StoreError> {
        let change = Change::new(
            AuditAction::ProductRemoved,
            of.show,
            format!("product {product}"),
        );
        self.remove(
            of.community,
            ("products", product),
            (by, change),
            "SELECT EXISTS (SELECT 1 FROM deals WHERE product_id = ?1)",
        )
        .await
    }

    /// Adds a pickup point (`id` 0) or changes one of this show's community's.
    pub async fn save_pickup(
        &self,
        of: CatalogueOf,
        p: &PickupPoint,
        by: &Actor,
    ) -> Result<CatalogueChange<PickupPoint>, StoreError> {
        self.write(2, async |tx| {
            let before = row_json(
                tx,
                "SELECT json_object('name', name, 'address', address, 'hours', hours) \
                 FROM pickup_points WHERE id = ?",
                p.id,
            )
            .await?;
            let id: Option<i64> = if p.id == 0 {
                sqlx::query_scalar(
                    "INSERT INTO pickup_points (show_id, community_id, name, address, hours) \
                     SELECT ?, id, ?, ?, ? FROM communities WHERE id = ? RETURNING id",
                )
                .bind(of.show)
                .bind(&p.name)
                .bind(&p.address)
                .bind(&p.hours)
                .bind(of.community)
                .fetch_optional(&mut *tx)
                .await?
            } else {
                sqlx::query_scalar(
                    "UPDATE pickup_points SET name = ?, address = ?, hours = ? \
                     WHERE id = ? AND community_id = ? RETURNING id",
                )
                .bind(&p.name)
                .bind(&p.address)
                .bind(&p.hours)
                .bind(p.id)
                .bind(of.community)
                .fetch_optional(&mut *tx)
                .await?
            };
            let Some(id) = id else {
                return Ok(CatalogueChange::NotFound);
            };
            let saved = PickupPoint { id, ..p.clone() };
            let change = Change::new(
                AuditAction::PickupSaved,
                of.show,
                format!("pickup {id} {}", saved.name),
            );
            saved_and_logged(tx, of.community, by, change, before, saved).await
        })
        .await
    }

    /// Removes a pickup point of the community that no order, lucky bag or clerk names.
    pub async fn remove_pickup(
        &self,
        of: CatalogueOf,
        pickup: PickupId,
        by: &Actor,
    ) -> Result<CatalogueChange<()>, StoreError> {
        let change = Change::new(
            AuditAction::PickupRemoved,
            of.show,
            format!("pickup {pickup}"),
        );
        self.remove(
            of.community,
            ("pickup_points", pickup),
            (by, change),
            "SELECT EXISTS (SELECT 1 FROM orders WHERE pickup_id = ?1) \
             OR EXISTS (SELECT 1 FROM bags WHERE pickup_id = ?1) \
             OR EXISTS (SELECT 1 FROM staff_pickups WHERE pickup_id = ?1)",
        )
        .await
    }

    /// Deletes row `id` of `community`'s `table` unless `in_use` (which binds `id` as `?1`) says
    /// it is still named somewhere; checked, done and logged (`logged`: by whom, what) in one
    /// transaction. A row of another community is not found, whatever names it: the answer must
    /// not tell another community's catalogue apart from nothing.
    async fn remove(
        &self,
        community: CommunityId,
        (table, id): (&'static str, i64),
        logged: (&Actor, Change),
        in_use: &str,
    ) -> Result<CatalogueChange<()>, StoreError> {
        self.write(2, async |tx| {
            let name: Option<String> = sqlx::query_scalar(&format!(
                "SELECT name FROM {table} WHERE id = ? AND community_id = ?"
            ))
            .bind(id)
            .bind(community)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(name) = name else {
                return Ok(CatalogueChange::NotFound);
            };
            let used: bool = sqlx::query_scalar(in_use)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            if used {
                return Ok(CatalogueChange::InUse);
            }
            sqlx::query(&format!("DELETE FROM {table} WHERE id = ?"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let version = bump(&mut *tx, community).await?;
            // The log names what went: its id may be given to something new later.
            let (by, change) = logged;
            let change = Change {
                subject: format!("{} {name}", change.subject),
                ..change
            }
            .before(serde_json::json!({ "name": name }));
            audit::record(tx, community, by, &change, crate::now_ms()).await?;
            Ok(CatalogueChange::Done((), version))
        })
        .await
    }

    /// Keeps an uploaded picture (already checked to be an image of `content_type`); returns its
    /// name, the hex SHA-256 of its bytes. The same picture uploaded twice is kept once.
    pub async fn put_picture(
        &self,
        of: CatalogueOf,
        content_type: &str,
        bytes: &[u8],
        now: UtcMillis,
    ) -> Result<String, StoreError> {
        let name = hex::encode(Sha256::digest(bytes));
        // The picture's own pages (a blob of up to 2 MiB), and a few of the tables'.
        let pages = bytes.len() as u64 / 4096 + 4;
        self.write(pages, async |tx| {
            sqlx::query(
                "INSERT INTO pictures (sha256, community_id, show_id, content_type, bytes, \
                 created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
            )
            .bind(&name)
            .bind(of.community)
            .bind(of.show)
            .bind(content_type)
            .bind(bytes)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            Ok(name)
        })
        .await
    }

    /// An uploaded picture's content type and bytes.
    pub async fn picture(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let row = sqlx::query("SELECT content_type, bytes FROM pictures WHERE sha256 = ?")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }
}

/// Bumps the catalogue version of every show of `community` (they share its catalogue) inside the
/// change's transaction; returns the highest version now (0 for a community without shows). Each
/// show keeps a version of its own, so a viewer's held version never goes backwards, whichever
/// show it watches.
async fn bump(tx: &mut SqliteConnection, community: CommunityId) -> Result<u64, StoreError> {
    sqlx::query(
        "UPDATE shows SET catalogue_version = catalogue_version + 1 WHERE community_id = ?",
    )
    .bind(community)
    .execute(&mut *tx)
    .await?;
    let v: Option<i64> =
        sqlx::query_scalar("SELECT MAX(catalogue_version) FROM shows WHERE community_id = ?")
            .bind(community)
            .fetch_one(&mut *tx)
            .await?;
    Ok(v.unwrap_or(0) as u64)
}

/// `community`'s products, oldest first.
async fn products_in(
    conn: &mut SqliteConnection,
    community: CommunityId,
) -> Result<Vec<Product>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, name, description, origin, unit, normal_price, batch, picture \
         FROM products WHERE community_id = ? ORDER BY id",
    )
    .bind(community)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(product_from_row).collect())
}

/// `community`'s pickup points, oldest first.
async fn pickups_in(
    conn: &mut SqliteConnection,
    community: CommunityId,
) -> Result<Vec<PickupPoint>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, name, address, hours FROM pickup_points WHERE community_id = ? ORDER BY id",
    )
    .bind(community)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(pickup_from_row).collect())
}

/// A product from a row of `id, name, description, origin, unit, normal_price, batch, picture`.
fn product_from_row(r: &sqlx::sqlite::SqliteRow) -> Product {
    Product {
        id: r.get(0),
        name: r.get(1),
        description: r.get(2),
        origin: r.get(3),
        unit: r.get(4),
        normal_price: r.get(5),
        batch: r.get(6),
        picture: r.get(7),
    }
}

/// A pickup point from a row of `id, name, address, hours`.
fn pickup_from_row(r: &sqlx::sqlite::SqliteRow) -> PickupPoint {
    PickupPoint {
        id: r.get(0),
        name: r.get(1),
        address: r.get(2),
        hours: r.get(3),
    }
}

/// The one JSON value `sql` (binding `id`) selects, if the row exists: what a row was before a
/// change, for the audit log.
async fn row_json(
    tx: &mut sqlx::SqliteConnection,
    sql: &str,
    id: i64,
) -> Result<Option<serde_json::Value>, StoreError> {
    let text: Option<String> = sqlx::query_scalar(sql)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// After a product or pickup point was saved: the catalogue's new version, and the log line with
/// what it was (`before`, if it was there) and is now.
async fn saved_and_logged<T: serde::Serialize>(
    tx: &mut SqliteConnection,
    community: CommunityId,
    by: &Actor,
    change: Change,
    before: Option<serde_json::Value>,
    saved: T,
) -> Result<CatalogueChange<T>, StoreError> {
    let version = bump(&mut *tx, community).await?;
    let change = Change { before, ..change }.after(&saved);
    audit::record(tx, community, by, &change, crate::now_ms()).await?;
    Ok(CatalogueChange::Done(saved, version))
}
