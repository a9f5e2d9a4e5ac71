-- shape: peer
SELECT c.customer_id FROM customers AS c
INTERSECT
SELECT r.customer_id FROM refunds AS r
WHERE r.created_at > '${ago_1y}' AND r.created_at <= '${as_of}'
GROUP BY r.customer_id HAVING COUNT(*) >= 2
INTERSECT
SELECT o.customer_id FROM orders AS o WHERE o.created_at <= '${as_of}'
GROUP BY o.customer_id HAVING CAST(AVG(o.total) AS DOUBLE PRECISION) > 80
