-- A manager keeps the community's catalogue from the manager's console, outside any show: a
-- product, pickup point or picture belongs to a community, and names the show it was added from
-- only when a host added it during one (`show_id`, now optional). SQLite cannot drop NOT NULL in
-- place, so the three tables are rebuilt; every row and id stays. A removed product's or pickup
-- point's id is never given to a new one (AUTOINCREMENT): the audit log, a resident's old orders
-- and a page open since keep meaning what they meant. Deals, orders, lucky bags and
-- clerks name products and pickup points by id: the store runs migrations with foreign keys off
-- and checks every reference after them (`store::migrate`), as SQLite prescribes for a rebuild.

CREATE TABLE products_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    show_id      INTEGER REFERENCES shows(id),
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    origin       TEXT    NOT NULL,
    unit         TEXT    NOT NULL,
    normal_price INTEGER NOT NULL CHECK (normal_price >= 0),
    batch        TEXT    NOT NULL DEFAULT '',
    picture      TEXT
);
INSERT INTO products_new (id, community_id, show_id, name, description, origin, unit,
                          normal_price, batch, picture)
SELECT id, community_id, show_id, name, description, origin, unit, normal_price, batch, picture
FROM products;
DROP TABLE products;
ALTER TABLE products_new RENAME TO products;
CREATE INDEX products_community ON products(community_id);

CREATE TABLE pickup_points_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    show_id      INTEGER REFERENCES shows(id),
    name         TEXT    NOT NULL,
    address      TEXT    NOT NULL,
    hours        TEXT    NOT NULL DEFAULT ''
);
INSERT INTO pickup_points_new (id, community_id, show_id, name, address, hours)
SELECT id, community_id, show_id, name, address, hours FROM pickup_points;
DROP TABLE pickup_points;
ALTER TABLE pickup_points_new RENAME TO pickup_points;
CREATE INDEX pickup_points_community ON pickup_points(community_id);

CREATE TABLE pictures_new (
    sha256       TEXT    PRIMARY KEY,
    community_id INTEGER REFERENCES communities(id),
    show_id      INTEGER REFERENCES shows(id),
    content_type TEXT    NOT NULL,
    bytes        BLOB    NOT NULL,
    created_at   INTEGER NOT NULL
);
INSERT INTO pictures_new (sha256, community_id, show_id, content_type, bytes, created_at)
SELECT p.sha256, s.community_id, p.show_id, p.content_type, p.bytes, p.created_at
FROM pictures p LEFT JOIN shows s ON s.id = p.show_id;
DROP TABLE pictures;
ALTER TABLE pictures_new RENAME TO pictures;
