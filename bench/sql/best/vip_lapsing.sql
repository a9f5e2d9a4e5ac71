-- quality = "vip" and last_order_date < 90d ago
-- shape: semi_join
SELECT c.customer_id FROM customers AS c
WHERE c.quality = 'vip' AND c.customer_id IN (
  SELECT o.customer_id FROM orders AS o WHERE o.created_at <= '${as_of}'
  GROUP BY o.customer_id HAVING MAX(o.created_at) < '${ago_90d}')
-- shape: exists_not_exists
-- The last order is before the boundary: some order before it, none from it up to the as-of instant.
SELECT c.customer_id FROM customers AS c
WHERE c.quality = 'vip'
  AND EXISTS (SELECT 1 FROM orders AS o WHERE o.customer_id = c.customer_id AND o.created_at < '${ago_90d}')
  AND NOT EXISTS (
    SELECT 1 FROM orders AS o
    WHERE o.customer_id = c.customer_id AND o.created_at >= '${ago_90d}' AND o.created_at <= '${as_of}')
-- shape: correlated_max [sqlite postgres]
-- Per VIP, the last order through the index (customer_id, created_at): one seek from the top.
SELECT c.customer_id FROM customers AS c
WHERE c.quality = 'vip'
  AND (SELECT MAX(o.created_at) FROM orders AS o
       WHERE o.customer_id = c.customer_id AND o.created_at <= '${as_of}') < '${ago_90d}'
