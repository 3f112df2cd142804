-- The host manages the catalogue from the console.
ALTER TABLE products ADD COLUMN description TEXT NOT NULL DEFAULT '';

-- Grows with every change to a show's products or pickup points, in the same transaction, so a
-- viewer on any node can tell whether the catalogue it holds is current.
ALTER TABLE shows ADD COLUMN catalogue_version INTEGER NOT NULL DEFAULT 1;

-- The deal residents see first, chosen by the host; it survives a restart. NULL: never chosen
-- (the newest deal on sale is pinned); 0: the host chose none.
ALTER TABLE shows ADD COLUMN pinned_deal INTEGER;

-- Uploaded product pictures, named by their SHA-256: the same picture is kept once, and its
-- address never changes meaning, so browsers may cache it for good.
CREATE TABLE pictures (
    sha256       TEXT    PRIMARY KEY,
    show_id      INTEGER NOT NULL REFERENCES shows(id),
    content_type TEXT    NOT NULL,
    bytes        BLOB    NOT NULL,
    created_at   INTEGER NOT NULL
);
