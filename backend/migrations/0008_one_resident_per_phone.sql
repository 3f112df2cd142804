-- One resident per phone number. Until now every sign-in made a new resident, so the same person
-- could appear several times (another phone, a cleared browser). Each later resident with a number
-- is merged into the first one with it: their orders, holdings, sessions and entries in bags still
-- open move to it; nothing is deleted. Residents merged away keep their row (`merged_into`) because
-- the published entry lists and winners of drawn bags name them, and those must still verify.
ALTER TABLE residents ADD COLUMN merged_into INTEGER REFERENCES residents(id);

UPDATE residents
SET merged_into = (SELECT MIN(k.id) FROM residents k WHERE k.phone = residents.phone)
WHERE phone != ''
  AND id != (SELECT MIN(k.id) FROM residents k WHERE k.phone = residents.phone);

-- Units held per deal add up (a merged resident may now hold past the limit: what was bought stays
-- bought, and the limit of that row grows with it so the CHECK holds).
INSERT INTO holdings (deal_id, resident_id, units, max_units)
SELECT h.deal_id, r.merged_into, h.units, h.max_units
FROM holdings h JOIN residents r ON r.id = h.resident_id
WHERE r.merged_into IS NOT NULL
ON CONFLICT (deal_id, resident_id) DO UPDATE SET
    units = holdings.units + excluded.units,
    max_units = MAX(holdings.max_units, holdings.units + excluded.units);
DELETE FROM holdings WHERE resident_id IN (SELECT id FROM residents WHERE merged_into IS NOT NULL);

-- A purchase key is unique per (deal, resident): a key both used in one deal (never by chance, keys
-- are 128 random bits) gets the old resident's id appended before the move, so no order is lost.
UPDATE orders SET key = key || '~' || resident_id
WHERE resident_id IN (SELECT id FROM residents WHERE merged_into IS NOT NULL)
  AND EXISTS (
    SELECT 1 FROM orders o2 JOIN residents r2 ON r2.id = o2.resident_id
    WHERE o2.deal_id = orders.deal_id AND o2.key = orders.key AND o2.id != orders.id
      AND COALESCE(r2.merged_into, r2.id)
          = (SELECT merged_into FROM residents WHERE id = orders.resident_id)
  );
UPDATE orders
SET resident_id = (SELECT merged_into FROM residents WHERE id = orders.resident_id)
WHERE resident_id IN (SELECT id FROM residents WHERE merged_into IS NOT NULL);

UPDATE tokens
SET resident_id = (SELECT merged_into FROM residents WHERE id = tokens.resident_id)
WHERE resident_id IN (SELECT id FROM residents WHERE merged_into IS NOT NULL);

-- Entries in bags still open move (one entry per resident); drawn bags keep their frozen lists.
INSERT OR IGNORE INTO bag_entries (bag_id, resident_id, entered_at)
SELECT e.bag_id, r.merged_into, e.entered_at
FROM bag_entries e
JOIN residents r ON r.id = e.resident_id
JOIN bags b ON b.id = e.bag_id
WHERE r.merged_into IS NOT NULL AND b.drawn_at IS NULL;
DELETE FROM bag_entries
WHERE resident_id IN (SELECT id FROM residents WHERE merged_into IS NOT NULL)
  AND bag_id IN (SELECT id FROM bags WHERE drawn_at IS NULL);

-- From now on a number has one resident (residents from before phone numbers were asked have '').
CREATE UNIQUE INDEX residents_phone ON residents (phone) WHERE phone != '' AND merged_into IS NULL;

-- One-time sign-in codes: the latest per number. Only an HMAC of the code is kept.
CREATE TABLE phone_codes (
    phone         TEXT    PRIMARY KEY,
    code_mac      TEXT    NOT NULL,
    sent_at       INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    attempts_left INTEGER NOT NULL
);

-- When codes were sent to each number, for the hourly limit.
CREATE TABLE phone_code_sends (
    phone   TEXT    NOT NULL,
    sent_at INTEGER NOT NULL
);
CREATE INDEX phone_code_sends_phone ON phone_code_sends (phone, sent_at);
