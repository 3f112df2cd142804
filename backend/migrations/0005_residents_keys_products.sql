-- Sign-in asks for a phone number and a community. Residents who signed in before keep empty ones.
-- Both are for aggregate statistics and pickup only; no client is ever sent them.
ALTER TABLE residents ADD COLUMN phone     TEXT NOT NULL DEFAULT '';
ALTER TABLE residents ADD COLUMN community TEXT NOT NULL DEFAULT '';

-- Server-wide secrets, e.g. the key that signs session tokens. One row per name; the first node
-- to start creates it and every node after uses the same.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- Traceability and a picture on the deal card: the batch (lot) on sale and a picture URL.
ALTER TABLE products ADD COLUMN batch   TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN picture TEXT;
