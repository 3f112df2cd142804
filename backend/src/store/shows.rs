//! Shows: one livestream of a community, with its own catalogue and pickup points (until the
//! catalogue is read by community: products and pickup points carry both ids meanwhile).

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
        self.write(1, async |tx| {
            let community_id = super::communities::community_for_label(tx, community, now).await?;
            let show = sqlx::query_scalar(
                "INSERT INTO shows (title, community, community_id, created_at) VALUES (?, ?, ?, ?) \
                 RETURNING id",
            )
            .bind(title)
            .bind(community)
            .bind(community_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            Ok(show)
        })
        .await
    }
}

impl Store {
    /// The answer given to the host request `key` of `show`, if it was done.
    pub async fn host_answer(&self, show: ShowId, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT answer FROM host_requests WHERE show_id = ? AND key = ?")
                .bind(show)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Keeps the answer to the host request `key` of `show`; forgets those older than a day.
    pub async fn remember_host_answer(
        &self,
        show: ShowId,
        key: &str,
        answer: &str,
        now: UtcMillis,
    ) -> Result<(), StoreError> {
        self.write(1, async |tx| {
            sqlx::query(
                "INSERT INTO host_requests (show_id, key, answer, created_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (show_id, key) DO NOTHING",
            )
            .bind(show)
            .bind(key)
            .bind(answer)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM host_requests WHERE created_at < ?")
                .bind(now - 24 * 60 * 60 * 1000)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
        .await
    }
}
