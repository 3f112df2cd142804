-- One row that the server rewrites every few seconds while the store cannot write, to find out
-- when it can again (store/health.rs).
CREATE TABLE write_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL
);
