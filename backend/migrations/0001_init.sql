-- Mulin Live schema. Money in fen, times in UTC milliseconds.
CREATE TABLE shows (
    id         INTEGER PRIMARY KEY,
    title      TEXT    NOT NULL,
    community  TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE products (
    id           INTEGER PRIMARY KEY,
    show_id      INTEGER NOT NULL REFERENCES shows(id),
    name         TEXT    NOT NULL,
    origin       TEXT    NOT NULL,
    unit         TEXT    NOT NULL,
    normal_price INTEGER NOT NULL CHECK (normal_price >= 0)
);

CREATE TABLE pickup_points (
    id      INTEGER PRIMARY KEY,
    show_id INTEGER NOT NULL REFERENCES shows(id),
    name    TEXT    NOT NULL,
    address TEXT    NOT NULL
);

CREATE TABLE residents (
    id         INTEGER PRIMARY KEY,
    nickname   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- Only the SHA-256 of a token is kept: a copy of the database does not hand out sessions.
CREATE TABLE tokens (
    hash        TEXT    PRIMARY KEY,
    role        TEXT    NOT NULL CHECK (role IN ('resident', 'host', 'moderator')),
    show_id     INTEGER REFERENCES shows(id),
    resident_id INTEGER REFERENCES residents(id),
    created_at  INTEGER NOT NULL
);

-- The CHECK on sold is the last line of defence: whatever the deal desk decides in memory,
-- the store refuses to hold an oversold deal.
CREATE TABLE deals (
    id                 INTEGER PRIMARY KEY,
    show_id            INTEGER NOT NULL REFERENCES shows(id),
    product_id         INTEGER NOT NULL REFERENCES products(id),
    price              INTEGER NOT NULL CHECK (price >= 0),
    stock              INTEGER NOT NULL CHECK (stock >= 0),
    sold               INTEGER NOT NULL DEFAULT 0,
    per_resident_limit INTEGER NOT NULL CHECK (per_resident_limit >= 1),
    starts_at          INTEGER NOT NULL,
    ends_at            INTEGER NOT NULL,
    status             TEXT    NOT NULL DEFAULT 'live' CHECK (status IN ('live', 'ended')),
    CHECK (sold >= 0 AND sold <= stock)
);
CREATE INDEX deals_show ON deals(show_id);

-- (resident_id, key) is unique: a retried purchase intent can never become a second order.
CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    deal_id     INTEGER NOT NULL REFERENCES deals(id),
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    qty         INTEGER NOT NULL CHECK (qty >= 1),
    unit_price  INTEGER NOT NULL,
    pickup_id   INTEGER NOT NULL REFERENCES pickup_points(id),
    pickup_code TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'accepted' CHECK (status IN ('accepted', 'cancelled', 'picked_up')),
    created_at  INTEGER NOT NULL,
    UNIQUE (resident_id, key)
);
CREATE INDEX orders_deal_resident ON orders(deal_id, resident_id);
