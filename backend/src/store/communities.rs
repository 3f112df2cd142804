//! Communities: what lasts from show to show (a community's catalogue, pickup points, staff and
//! residents). A show names its community by a label, "公园街道·小西湖社区" (district, then name,
//! joined by a middle dot) or just "和平花园社区"; migration 0013 turned the labels of earlier shows
//! into communities the same way [`split_label`] does.

use mulin_shared::{ShowId, UtcMillis};
use sqlx::{Row, SqliteConnection};

use super::{Store, StoreError};

pub use mulin_shared::CommunityId;
pub use mulin_shared::community::Community;

/// A name already taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duplicate;

/// The district and name in a show's community label: the parts around the first middle dot (·),
/// or no district and the whole label.
pub fn split_label(label: &str) -> (&str, &str) {
    label.split_once('·').unwrap_or(("", label))
}

/// The id of the community a label names, made now if it is new.
pub(super) async fn community_for_label(
    conn: &mut SqliteConnection,
    label: &str,
    now: UtcMillis,
) -> Result<CommunityId, StoreError> {
    let (district, name) = split_label(label);
    sqlx::query(
        "INSERT INTO communities (district, name, created_at) VALUES (?, ?, ?) \
         ON CONFLICT (district, name) DO NOTHING",
    )
    .bind(district)
    .bind(name)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM communities WHERE district = ? AND name = ?")
            .bind(district)
            .bind(name)
            .fetch_one(&mut *conn)
            .await?,
    )
}

impl Store {
    /// Makes a community; `duplicate` if one of that name is in that district already.
    pub async fn create_community(
        &self,
        district: &str,
        name: &str,
        now: UtcMillis,
    ) -> Result<Result<Community, Duplicate>, StoreError> {
        self.write(1, async |tx| {
            let id: Option<CommunityId> = sqlx::query_scalar(
                "INSERT INTO communities (district, name, created_at) VALUES (?, ?, ?) \
                 ON CONFLICT (district, name) DO NOTHING RETURNING id",
            )
            .bind(district)
            .bind(name)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            Ok(id
                .map(|id| Community {
                    id,
                    district: district.to_owned(),
                    name: name.to_owned(),
                })
                .ok_or(Duplicate))
        })
        .await
    }

    /// The community with this id.
    pub async fn community(&self, id: CommunityId) -> Result<Option<Community>, StoreError> {
        let row = sqlx::query("SELECT id, district, name FROM communities WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| Community {
            id: r.get(0),
            district: r.get(1),
            name: r.get(2),
        }))
    }

    /// Every community, oldest first.
    pub async fn communities(&self) -> Result<Vec<Community>, StoreError> {
        let rows = sqlx::query("SELECT id, district, name FROM communities ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| Community {
                id: r.get(0),
                district: r.get(1),
                name: r.get(2),
            })
            .collect())
    }

    /// The community a show belongs to.
    pub async fn community_of(&self, show: ShowId) -> Result<Option<Community>, StoreError> {
        let row = sqlx::query(
            "SELECT c.id, c.district, c.name FROM shows s JOIN communities c ON c.id = s.community_id \
             WHERE s.id = ?",
        )
        .bind(show)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| Community {
            id: r.get(0),
            district: r.get(1),
            name: r.get(2),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::split_label;

    #[test]
    fn labels_split_into_district_and_name() {
        assert_eq!(
            split_label("公园街道·小西湖社区"),
            ("公园街道", "小西湖社区")
        );
        assert_eq!(split_label("和平花园社区"), ("", "和平花园社区"));
        assert_eq!(split_label("a·b·c"), ("a", "b·c"));
    }
}
