-- A community runs its weekly shows with named staff (issue 28).
--
-- Shows get a life (scheduled → live → ended, or cancelled before it starts), a scheduled start and
-- an optional stream address. Shows made before this were running: they stay live, their start is
-- when they were made.
ALTER TABLE shows ADD COLUMN status TEXT NOT NULL DEFAULT 'live'
    CHECK (status IN ('scheduled', 'live', 'ended', 'cancelled'));
ALTER TABLE shows ADD COLUMN starts_at INTEGER;
ALTER TABLE shows ADD COLUMN stream_url TEXT NOT NULL DEFAULT '';
ALTER TABLE shows ADD COLUMN started_at INTEGER;
ALTER TABLE shows ADD COLUMN ended_at INTEGER;
-- Most residents watching at once, for the show's report (kept by the node every few seconds).
ALTER TABLE shows ADD COLUMN peak_viewers INTEGER NOT NULL DEFAULT 0;
UPDATE shows SET starts_at = created_at, started_at = created_at;

-- Staff: named people of a community. A person who left keeps their row (`revoked_at`): the audit
-- log names them.
CREATE TABLE staff (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    name         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
-- Two people of a community who are still there never share a name.
CREATE UNIQUE INDEX staff_name ON staff (community_id, name) WHERE revoked_at IS NULL;

-- What each person may do; one person may hold several roles.
CREATE TABLE staff_roles (
    staff_id   INTEGER NOT NULL REFERENCES staff(id),
    role       TEXT    NOT NULL
        CHECK (role IN ('manager', 'host', 'moderator', 'grid_worker', 'pickup_clerk')),
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (staff_id, role)
) WITHOUT ROWID;

-- The pickup points a pickup clerk serves.
CREATE TABLE staff_pickups (
    staff_id  INTEGER NOT NULL REFERENCES staff(id),
    pickup_id INTEGER NOT NULL REFERENCES pickup_points(id),
    PRIMARY KEY (staff_id, pickup_id)
) WITHOUT ROWID;

-- One-time sign-in links. Only the SHA-256 of the link's code is kept, like tokens.
CREATE TABLE invites (
    hash       TEXT    PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX invites_staff ON invites (staff_id);

-- Tokens now also belong to staff people (role 'staff'). The show tokens of hosts and moderators
-- made before keep working for their one show. SQLite cannot change a CHECK in place, so the table
-- is rebuilt; every row and hash stays.
CREATE TABLE tokens_new (
    hash        TEXT    PRIMARY KEY,
    role        TEXT    NOT NULL CHECK (role IN ('resident', 'host', 'moderator', 'staff')),
    show_id     INTEGER REFERENCES shows(id),
    resident_id INTEGER REFERENCES residents(id),
    staff_id    INTEGER REFERENCES staff(id),
    created_at  INTEGER NOT NULL
);
INSERT INTO tokens_new (hash, role, show_id, resident_id, created_at)
SELECT hash, role, show_id, resident_id, created_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE INDEX tokens_staff ON tokens (staff_id) WHERE staff_id IS NOT NULL;

-- Who changed what, when: written in the same transaction as the change, never changed after.
-- `actor` is the name at the time (a person may be renamed or leave); `staff_id` is empty for the
-- show tokens from before staff accounts and for the command line.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    show_id      INTEGER REFERENCES shows(id),
    at           INTEGER NOT NULL,
    staff_id     INTEGER REFERENCES staff(id),
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    before       TEXT,
    after        TEXT
);
CREATE INDEX audit_log_community ON audit_log (community_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Residents belong to the community they first signed in from (a show's page); those from before
-- belong to the community whose shows they ordered in first, if any.
ALTER TABLE residents ADD COLUMN community_id INTEGER REFERENCES communities(id);
UPDATE residents SET community_id = (
    SELECT s.community_id FROM orders o
    JOIN deals d ON d.id = o.deal_id
    JOIN shows s ON s.id = d.show_id
    WHERE o.resident_id = residents.id
    ORDER BY o.id LIMIT 1
);
