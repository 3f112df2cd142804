-- A resident stopped from ordering and entering lucky bags in a community, for a time or until
-- lifted, with the reason staff gave. Lifting keeps the row (when, by whom): the list is history.
CREATE TABLE mutes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    resident_id  INTEGER NOT NULL REFERENCES residents(id),
    reason       TEXT    NOT NULL,
    until        INTEGER,
    staff_id     INTEGER REFERENCES staff(id),
    by_name      TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    lifted_at    INTEGER,
    lifted_by    TEXT
);
CREATE INDEX mutes_in_force ON mutes (community_id, resident_id) WHERE lifted_at IS NULL;
