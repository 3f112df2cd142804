-- Units each resident holds in each deal, with the deal's limit beside them. The CHECK makes the
-- per-resident limit a rule of the store itself (like `sold <= stock`), checked in O(1) per buyer
-- inside the same transaction as the orders, instead of re-summing every earlier order.
CREATE TABLE holdings (
    deal_id     INTEGER NOT NULL REFERENCES deals(id),
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    units       INTEGER NOT NULL,
    max_units   INTEGER NOT NULL,
    PRIMARY KEY (deal_id, resident_id),
    CHECK (units >= 0 AND units <= max_units)
) WITHOUT ROWID;

INSERT INTO holdings (deal_id, resident_id, units, max_units)
SELECT o.deal_id, o.resident_id, SUM(o.qty), d.per_resident_limit
FROM orders o JOIN deals d ON d.id = o.deal_id
WHERE o.status != 'cancelled'
GROUP BY o.deal_id, o.resident_id;
