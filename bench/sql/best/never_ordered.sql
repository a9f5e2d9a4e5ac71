-- orders() = 0
-- shape: not_exists
SELECT c.customer_id FROM customers AS c
WHERE NOT EXISTS (SELECT 1 FROM orders AS o WHERE o.customer_id = c.customer_id AND o.created_at <= '${as_of}')
-- shape: not_in
-- customer_id is never NULL in orders, so NOT IN is the anti-join and needs no grouping.
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id NOT IN (SELECT o.customer_id FROM orders AS o WHERE o.created_at <= '${as_of}')
-- shape: left_join_null
SELECT c.customer_id FROM customers AS c
LEFT JOIN (SELECT DISTINCT o.customer_id FROM orders AS o WHERE o.created_at <= '${as_of}') AS o
  ON o.customer_id = c.customer_id
WHERE o.customer_id IS NULL
-- shape: anti_grouped
-- The contacts who ordered, one row each, before the anti-join: PostgreSQL hashes 14,000 ids instead of
-- 200,000 orders.
SELECT c.customer_id FROM customers AS c
WHERE NOT EXISTS (
  SELECT 1 FROM (SELECT o.customer_id FROM orders AS o WHERE o.created_at <= '${as_of}' GROUP BY o.customer_id) AS x
  WHERE x.customer_id = c.customer_id)
