-- Pickup day (issue 30): an order's whole life, hand-overs at the counter, goods received by the
-- stores, picking lists frozen at a cut-off.
--
-- An order becomes ready when its store has the goods, and then must be collected by `collect_by`
-- (the community's pickup window from then); one not collected by then is `not_collected`.
-- `handed` counts the units handed over so far: fewer than `qty` is a partial hand-over, and the
-- order stays ready for the rest. SQLite cannot change a CHECK in place, so the table is rebuilt;
-- every row and id stays.
CREATE TABLE orders_new (
    id            INTEGER PRIMARY KEY,
    deal_id       INTEGER NOT NULL REFERENCES deals(id),
    resident_id   INTEGER NOT NULL REFERENCES residents(id),
    qty           INTEGER NOT NULL CHECK (qty >= 1),
    unit_price    INTEGER NOT NULL,
    pickup_id     INTEGER NOT NULL REFERENCES pickup_points(id),
    pickup_code   TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'accepted'
        CHECK (status IN ('accepted', 'ready', 'picked_up', 'not_collected', 'cancelled')),
    created_at    INTEGER NOT NULL,
    cancel_reason TEXT,
    placed_by     INTEGER REFERENCES staff(id),
    ready_at      INTEGER,
    collect_by    INTEGER,
    handed        INTEGER NOT NULL DEFAULT 0,
    picked_up_at  INTEGER,
    CHECK (handed >= 0 AND handed <= qty),
    UNIQUE (deal_id, resident_id, key)
);
INSERT INTO orders_new (id, deal_id, resident_id, qty, unit_price, pickup_id, pickup_code, key,
    status, created_at, cancel_reason, placed_by, handed, picked_up_at)
SELECT id, deal_id, resident_id, qty, unit_price, pickup_id, pickup_code, key, status, created_at,
    cancel_reason, placed_by, CASE WHEN status = 'picked_up' THEN qty ELSE 0 END,
    CASE WHEN status = 'picked_up' THEN created_at END
FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_placed_by ON orders (placed_by, created_at) WHERE placed_by IS NOT NULL;
-- No index on pickup codes: every order would pay for it on the spike's insert path (scenario B
-- lost a fifth of its orders a second to one). A typed code is looked for among the community's
-- recent shows' orders instead.
-- The orders whose pickup window runs out, for the sweep that marks them not collected.
CREATE INDEX orders_collect_by ON orders (collect_by) WHERE status = 'ready';

-- Each hand-over at a counter: who, when, how many units, where. An undone one keeps its row
-- (`undone_at`, `undone_by`): the counter's day reads true afterwards.
CREATE TABLE handovers (
    id         INTEGER PRIMARY KEY,
    order_id   INTEGER NOT NULL REFERENCES orders(id),
    pickup_id  INTEGER NOT NULL REFERENCES pickup_points(id),
    units      INTEGER NOT NULL CHECK (units >= 1),
    at         INTEGER NOT NULL,
    staff_id   INTEGER REFERENCES staff(id),
    actor      TEXT    NOT NULL,
    undone_at  INTEGER,
    undone_by  TEXT
);
CREATE INDEX handovers_order ON handovers (order_id);
-- A code typed again finds the recent hand-overs.
CREATE INDEX handovers_at ON handovers (at);

-- A store's goods of a product for a show, marked received (which made its orders ready).
CREATE TABLE goods_received (
    show_id    INTEGER NOT NULL REFERENCES shows(id),
    pickup_id  INTEGER NOT NULL REFERENCES pickup_points(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    PRIMARY KEY (show_id, pickup_id, product_id)
) WITHOUT ROWID;

-- How many days a ready order waits at its store for the resident.
ALTER TABLE communities ADD COLUMN pickup_days INTEGER NOT NULL DEFAULT 3;

-- A show's picking list is frozen at its cut-off: the orders as they were then, kept here, so later
-- cancellations and changes show as differences.
ALTER TABLE shows ADD COLUMN cutoff_at INTEGER;
ALTER TABLE shows ADD COLUMN frozen_at INTEGER;
CREATE TABLE picking_frozen (
    show_id     INTEGER NOT NULL REFERENCES shows(id),
    order_id    INTEGER NOT NULL REFERENCES orders(id),
    pickup_id   INTEGER NOT NULL,
    product_id  INTEGER NOT NULL,
    qty         INTEGER NOT NULL,
    PRIMARY KEY (show_id, order_id)
) WITHOUT ROWID;
