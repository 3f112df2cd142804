-- PostgreSQL's classic way to sell a flash deal: one hot row, one transaction per order.
\set resident random(1, 1000000)
BEGIN;
UPDATE deals SET sold = sold + 1 WHERE id = 1 AND sold < stock;
INSERT INTO orders (deal_id, resident_id, qty, created_at) VALUES (1, :resident, 1, now());
COMMIT;
