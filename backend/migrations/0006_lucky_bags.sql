-- Lucky bags (福袋) and their provably fair draws (docs/FAIRNESS.md).
CREATE TABLE bags (
    id             INTEGER PRIMARY KEY,
    show_id        INTEGER NOT NULL REFERENCES shows(id),
    prize          TEXT    NOT NULL,
    winners_wanted INTEGER NOT NULL CHECK (winners_wanted >= 1),
    eligibility    TEXT    NOT NULL CHECK (eligibility IN ('everyone', 'buyers')),
    pickup_id      INTEGER NOT NULL REFERENCES pickup_points(id),
    opened_at      INTEGER NOT NULL,
    closes_at      INTEGER NOT NULL,
    -- Secret until the draw: only its SHA-256 (the commitment) is published before.
    seed           BLOB    NOT NULL,
    commitment     TEXT    NOT NULL,
    -- Set by the draw; NULL while the bag is open.
    drawn_at       INTEGER,
    entries_hash   TEXT
);
CREATE INDEX bags_show ON bags (show_id, id);

-- One entry per resident and bag (the primary key).
CREATE TABLE bag_entries (
    bag_id      INTEGER NOT NULL REFERENCES bags(id),
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    entered_at  INTEGER NOT NULL,
    PRIMARY KEY (bag_id, resident_id)
) WITHOUT ROWID;

-- The last line of defence against a late entry: whatever the bag's task decides, the store
-- refuses an entry into a bag that has been drawn.
CREATE TRIGGER bag_entries_only_while_open BEFORE INSERT ON bag_entries
WHEN (SELECT drawn_at FROM bags WHERE id = NEW.bag_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'the bag is drawn');
END;

CREATE TABLE bag_winners (
    bag_id      INTEGER NOT NULL REFERENCES bags(id),
    rank        INTEGER NOT NULL,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    claim_code  TEXT    NOT NULL,
    PRIMARY KEY (bag_id, rank)
);
