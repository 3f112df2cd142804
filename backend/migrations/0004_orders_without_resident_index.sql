-- A resident's own orders are found through the show's deals (deals_show) and the prefix
-- (deal_id, resident_id) of the unique key index. A separate index on resident_id cost every order
-- one more insert at a random place in a B-tree, the dearest part of storing a batch.
DROP INDEX orders_resident;
