-- A host action sent with a request key is done once: its answer is kept here, and the same key
-- again (a double click, a retry after a dropped connection) gets that answer instead of a second
-- deal, restock or product. Kept a day.
CREATE TABLE host_requests (
    show_id    INTEGER NOT NULL REFERENCES shows(id),
    key        TEXT    NOT NULL,
    answer     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (show_id, key)
) WITHOUT ROWID;
