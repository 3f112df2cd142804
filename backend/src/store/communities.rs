//! Communities: what lasts from show to show (a community's catalogue, pickup points, staff and
//! residents). A show names its community by a label, "公园街道·小西湖社区" (district, then name,
//! joined by a middle dot) or just "和平花园社区"; migration 0013 turned the labels of earlier shows
//! into communities the same way [`split_label`] does.

use mulin_shared::{ShowId, UtcMillis};
use sqlx::{Row, SqliteConnection};

use super::{Store, StoreError};

/// A community's id.
pub type CommunityId = i64;

/// A community, e.g. 公园街道 · 小西湖社区.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    /// Its id.
    pub id: CommunityId,
    /// The street office (街道) it belongs to; empty if not given.
    pub district: String,
    /// Its name.
    pub name: String,
}

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
