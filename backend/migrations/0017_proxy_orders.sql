-- Ordering for a neighbour (代客下单, issue 29): an order placed by staff records who placed it,
-- apart from whose it is; residents registered by staff may give their building and unit.
ALTER TABLE orders ADD COLUMN placed_by INTEGER REFERENCES staff(id);
CREATE INDEX orders_placed_by ON orders (placed_by, created_at) WHERE placed_by IS NOT NULL;
ALTER TABLE residents ADD COLUMN building TEXT NOT NULL DEFAULT '';
