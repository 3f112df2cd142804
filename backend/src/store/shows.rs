//! Shows: one livestream of a community, with its own catalogue and pickup points (until
//! communities own them).

use mulin_shared::{ShowId, UtcMillis};

use super::{Store, StoreError};

impl Store {
    /// Creates an empty show (no products, no pickup points yet) and returns its id.
    pub async fn create_show(
        &self,
        title: &str,
        community: &str,
        now: UtcMillis,
    ) -> Result<ShowId, StoreError> {
        let mut tx = self.begin_write().await?;
        let show = sqlx::query_scalar(
            "INSERT INTO shows (title, community, created_at) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(title)
        .bind(community)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(show)
    }
}
