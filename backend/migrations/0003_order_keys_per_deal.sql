-- A purchase key is unique per resident *and deal*: a deal desk knows only its own deal's keys, so a
-- key reused in another deal must not be able to fail a whole batch of other residents' orders.
CREATE TABLE orders_new (
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
    UNIQUE (deal_id, resident_id, key)
);
INSERT INTO orders_new SELECT id, deal_id, resident_id, qty, unit_price, pickup_id, pickup_code, key,
    status, created_at FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
-- (deal_id, resident_id, …) is the unique index's prefix; residents' own lists need their own index.
CREATE INDEX orders_resident ON orders(resident_id);
