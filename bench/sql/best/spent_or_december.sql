-- spent(within: 1y) > 500 or orders(month: "dec") >= 2
-- shape: two_semi_joins [duckdb postgres]
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
    SELECT o.customer_id FROM orders AS o
    WHERE o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}'
    GROUP BY o.customer_id HAVING CAST(SUM(o.total) AS DOUBLE PRECISION) > 500)
  OR c.customer_id IN (
    SELECT o.customer_id FROM orders AS o
    WHERE EXTRACT(MONTH FROM o.created_at) = 12 AND o.created_at <= '${as_of}'
    GROUP BY o.customer_id HAVING COUNT(*) >= 2)
-- shape: one_scan [duckdb postgres]
-- Both conditions read orders: one grouped pass, each a filtered aggregate.
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
  SELECT o.customer_id FROM orders AS o
  WHERE o.created_at <= '${as_of}'
  GROUP BY o.customer_id
  HAVING CAST(SUM(o.total) FILTER (WHERE o.created_at > '${ago_1y}') AS DOUBLE PRECISION) > 500
      OR COUNT(*) FILTER (WHERE EXTRACT(MONTH FROM o.created_at) = 12) >= 2)
-- shape: two_semi_joins [sqlite]
-- Timestamps are ISO text in SQLite: the month is characters 6 and 7, no date parsing.
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
    SELECT o.customer_id FROM orders AS o
    WHERE o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}'
    GROUP BY o.customer_id HAVING CAST(SUM(o.total) AS DOUBLE PRECISION) > 500)
  OR c.customer_id IN (
    SELECT o.customer_id FROM orders AS o
    WHERE SUBSTR(o.created_at, 6, 2) = '12' AND o.created_at <= '${as_of}'
    GROUP BY o.customer_id HAVING COUNT(*) >= 2)
-- shape: one_scan [sqlite]
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
  SELECT o.customer_id FROM orders AS o
  WHERE o.created_at <= '${as_of}'
  GROUP BY o.customer_id
  HAVING CAST(SUM(o.total) FILTER (WHERE o.created_at > '${ago_1y}') AS DOUBLE PRECISION) > 500
      OR COUNT(*) FILTER (WHERE SUBSTR(o.created_at, 6, 2) = '12') >= 2)
