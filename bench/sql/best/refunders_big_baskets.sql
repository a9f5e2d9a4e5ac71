-- refunds(1y) >= 2 and average_order_value > 80
-- shape: semi_joins
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
    SELECT r.customer_id FROM refunds AS r
    WHERE r.created_at > '${ago_1y}' AND r.created_at <= '${as_of}'
    GROUP BY r.customer_id HAVING COUNT(*) >= 2)
  AND c.customer_id IN (
    SELECT o.customer_id FROM orders AS o WHERE o.created_at <= '${as_of}'
    GROUP BY o.customer_id HAVING CAST(AVG(o.total) AS DOUBLE PRECISION) > 80)
-- shape: refunders_first
-- Few contacts have two refunds in a year: find them, then average only their orders.
SELECT c.customer_id FROM customers AS c
JOIN (SELECT r.customer_id FROM refunds AS r
      WHERE r.created_at > '${ago_1y}' AND r.created_at <= '${as_of}'
      GROUP BY r.customer_id HAVING COUNT(*) >= 2) AS r ON r.customer_id = c.customer_id
WHERE (SELECT CAST(AVG(o.total) AS DOUBLE PRECISION) FROM orders AS o
       WHERE o.customer_id = c.customer_id AND o.created_at <= '${as_of}') > 80
-- shape: correlated [sqlite postgres]
SELECT c.customer_id FROM customers AS c
WHERE EXISTS (
    SELECT 1 FROM refunds AS r
    WHERE r.customer_id = c.customer_id AND r.created_at > '${ago_1y}' AND r.created_at <= '${as_of}'
    LIMIT 1 OFFSET 1)
  AND (SELECT CAST(AVG(o.total) AS DOUBLE PRECISION) FROM orders AS o
       WHERE o.customer_id = c.customer_id AND o.created_at <= '${as_of}') > 80
