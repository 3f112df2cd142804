-- Why staff cancelled an order, shown to the resident (NULL: not cancelled, or by the resident).
ALTER TABLE orders ADD COLUMN cancel_reason TEXT;
