//! The demo show a newcomer sees on `make run`: real products of a community market, three pharmacy
//! branches as pickup points, and a flash deal on sale.

use mulin_shared::community::{ShowDraft, StaffDraft};
use mulin_shared::{CommunityId, Role, ShowId, ShowStatus, StaffId, UtcMillis};
use sqlx::Row;

use super::{Actor, NewDeal, Store, StoreError};

/// How long the demo's flash deal stays open after it is (re)launched.
const DEMO_DEAL_MS: i64 = 2 * 60 * 60 * 1000;

/// What seeding found or made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoShow {
    /// The demo show's id.
    pub show: ShowId,
    /// Whether this call created it (first start).
    pub created: bool,
    /// Its community.
    pub community: CommunityId,
    /// The community's next scheduled show (made for tomorrow when there is none).
    pub next_show: ShowId,
    /// The demo community's staff, one per role: who is on it already (with their id) and who is
    /// still to be invited (the server invites them with the link it prints).
    pub staff: Vec<DemoStaff>,
}

/// One of the demo community's staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoStaff {
    /// Their id, once they are on the staff.
    pub id: Option<StaffId>,
    /// Their role.
    pub role: Role,
    /// Their name, roles and pickup points.
    pub draft: StaffDraft,
}

/// The demo community's staff: one person per role (the pickup clerk serves the first branch).
const STAFF: &[(Role, &str)] = &[
    (Role::Manager, "周主任"),
    (Role::Host, "李主播"),
    (Role::Moderator, "王场控"),
    (Role::GridWorker, "赵网格员"),
    (Role::PickupClerk, "刘店员"),
];

/// Name, origin, unit, normal price, batch (for traceability), picture (served with the widget) and
/// description.
type DemoProduct = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    &'static str,
    &'static str,
    &'static str,
);

const PRODUCTS: &[DemoProduct] = &[
    (
        "鲜食甜糯玉米",
        "吉林榆树",
        "5 根装",
        1990,
        "YS-1118-03",
        "/products/corn.svg",
        "当天清晨现摘，甜糯多汁，蒸 15 分钟即可。",
    ),
    (
        "北部湾海鸭蛋",
        "广西钦州",
        "20 枚",
        4680,
        "QZ-1112-07",
        "/products/duck-eggs.svg",
        "红树林下散养海鸭所产，流油起沙，可煮可腌。",
    ),
    (
        "散养土鸡蛋",
        "山东平阴",
        "30 枚",
        3990,
        "PY-1119-02",
        "/products/eggs.svg",
        "山林散养，每日现收，蛋黄饱满。",
    ),
    (
        "五常稻花香大米",
        "黑龙江五常",
        "5 kg",
        6990,
        "WC-1025-11",
        "/products/rice.svg",
        "今年新米，稻花香 2 号，煮饭软糯清香。",
    ),
    (
        "压榨花生油",
        "山东莒南",
        "5 L",
        8990,
        "JN-1030-05",
        "/products/oil.svg",
        "物理压榨一级花生油，无添加，炒菜更香。",
    ),
];

/// Name, address and opening hours.
const PICKUP_POINTS: &[(&str, &str, &str)] = &[
    (
        "老百姓大药房（和平路店）",
        "和平路 88 号",
        "每天 8:00–21:00",
    ),
    (
        "老百姓大药房（幸福里店）",
        "幸福里 12 栋底商",
        "每天 8:30–20:30",
    ),
    (
        "老百姓大药房（光明街店）",
        "光明街 203 号",
        "周一至周六 9:00–19:00",
    ),
];

impl Store {
    /// Makes sure the demo show exists and has a flash deal on sale: creates the show on first start,
    /// and opens a new demo deal whenever none is on sale (so the demo is alive after any restart).
    pub async fn seed_demo(&self, now: UtcMillis) -> Result<DemoShow, StoreError> {
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM shows ORDER BY id LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        let (show, created) = match existing {
            Some(id) => (id, false),
            None => (self.create_demo_show(now).await?, true),
        };
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM deals WHERE show_id = ? AND status = 'live' AND ends_at > ? \
             AND sold < stock",
        )
        .bind(show)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        if live == 0 {
            let product = sqlx::query(
                "SELECT id, normal_price FROM products WHERE show_id = ? ORDER BY id LIMIT 1",
            )
            .bind(show)
            .fetch_optional(&self.pool)
            .await?;
            if let Some(p) = product {
                let normal: i64 = p.get(1);
                self.insert_deal(
                    &NewDeal {
                        show,
                        product: p.get(0),
                        price: normal * 6 / 10,
                        stock: 200,
                        per_resident_limit: 5,
                        starts_at: now,
                        ends_at: now + DEMO_DEAL_MS,
                    },
                    None,
                )
                .await?;
            }
        }
        let community = self
            .community_of(show)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("show {show} has no community")))?
            .id;
        let next_show = self.seed_next_show(community, now).await?;
        let staff = self.seed_demo_staff(community).await?;
        Ok(DemoShow {
            show,
            created,
            community,
            next_show,
            staff,
        })
    }

    /// The community's next scheduled show, or a new one for tomorrow at 10:00 Beijing time.
    async fn seed_next_show(
        &self,
        community: CommunityId,
        now: UtcMillis,
    ) -> Result<ShowId, StoreError> {
        let next = self
            .shows_of(community)
            .await?
            .into_iter()
            .filter(|s| s.status == ShowStatus::Scheduled && s.starts_at > now)
            .min_by_key(|s| s.starts_at);
        if let Some(next) = next {
            return Ok(next.id);
        }
        const DAY: i64 = 24 * 60 * 60 * 1000;
        const BEIJING: i64 = 8 * 60 * 60 * 1000;
        let tomorrow_10 = (now + BEIJING) / DAY * DAY + DAY + 10 * 60 * 60 * 1000 - BEIJING;
        let draft = ShowDraft {
            title: "明日邻里早市".into(),
            starts_at: tomorrow_10,
            stream_url: String::new(),
        };
        Ok(self
            .schedule_show(community, &draft, &Actor::command_line(), now)
            .await?
            .id)
    }

    /// The demo staff: those on the staff already, and those still to invite (on the first
    /// start). The server invites or re-invites each with a link it prints: one log line each.
    async fn seed_demo_staff(&self, community: CommunityId) -> Result<Vec<DemoStaff>, StoreError> {
        let people = self.staff_of(community).await?;
        let first_pickup: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM pickup_points WHERE community_id = ? ORDER BY id LIMIT 1",
        )
        .bind(community)
        .fetch_optional(&self.pool)
        .await?;
        let mut seeded = Vec::new();
        for (role, name) in STAFF {
            let pickups = match (role, first_pickup) {
                (Role::PickupClerk, Some(p)) => vec![p],
                (Role::PickupClerk, None) => continue,
                _ => Vec::new(),
            };
            let id = people
                .iter()
                .find(|p| p.name == *name && p.revoked_at.is_none())
                .map(|p| p.id);
            seeded.push(DemoStaff {
                id,
                role: *role,
                draft: StaffDraft {
                    name: (*name).into(),
                    roles: vec![*role],
                    pickups,
                },
            });
        }
        Ok(seeded)
    }

    async fn create_demo_show(&self, now: UtcMillis) -> Result<ShowId, StoreError> {
        self.write(1, async |tx| {
            let community = super::communities::community_for_label(tx, "和平花园社区", now).await?;
            let show: i64 = sqlx::query_scalar(
                "INSERT INTO shows (title, community, community_id, created_at, status, starts_at, \
                 started_at) VALUES (?, ?, ?, ?, 'live', ?, ?) RETURNING id",
            )
            .bind("周日丰收集市")
            .bind("和平花园社区")
            .bind(community)
            .bind(now)
            .bind(now)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for (name, origin, unit, price, batch, picture, description) in PRODUCTS {
                sqlx::query(
                    "INSERT INTO products (show_id, community_id, name, origin, unit, normal_price, \
                     batch, picture, description) VALUES (?1, (SELECT community_id FROM shows \
                     WHERE id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .bind(show)
                .bind(name)
                .bind(origin)
                .bind(unit)
                .bind(price)
                .bind(batch)
                .bind(picture)
                .bind(description)
                .execute(&mut *tx)
                .await?;
            }
            for (name, address, hours) in PICKUP_POINTS {
                sqlx::query(
                    "INSERT INTO pickup_points (show_id, community_id, name, address, hours) VALUES \
                     (?1, (SELECT community_id FROM shows WHERE id = ?1), ?2, ?3, ?4)",
                )
                .bind(show)
                .bind(name)
                .bind(address)
                .bind(hours)
                .execute(&mut *tx)
                .await?;
            }
            Ok(show)
        })
        .await
    }
}
