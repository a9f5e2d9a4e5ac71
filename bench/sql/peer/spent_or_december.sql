-- shape: peer [duckdb postgres]
SELECT c.customer_id FROM customers AS c
INTERSECT
SELECT customer_id FROM (
  SELECT o.customer_id FROM orders AS o
  WHERE o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}'
  GROUP BY o.customer_id HAVING CAST(SUM(o.total) AS DOUBLE PRECISION) > 500
  UNION
  SELECT o.customer_id FROM orders AS o
  WHERE EXTRACT(MONTH FROM o.created_at) = 12 AND o.created_at <= '${as_of}'
  GROUP BY o.customer_id HAVING COUNT(*) >= 2) AS either
-- shape: peer [sqlite]
SELECT c.customer_id FROM customers AS c
INTERSECT
SELECT customer_id FROM (
  SELECT o.customer_id FROM orders AS o
  WHERE o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}'
  GROUP BY o.customer_id HAVING CAST(SUM(o.total) AS DOUBLE PRECISION) > 500
  UNION
  SELECT o.customer_id FROM orders AS o
  WHERE CAST(STRFTIME('%m', o.created_at) AS INT) = 12 AND o.created_at <= '${as_of}'
  GROUP BY o.customer_id HAVING COUNT(*) >= 2) AS either
