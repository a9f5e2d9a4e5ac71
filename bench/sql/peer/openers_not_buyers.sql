-- shape: peer
SELECT c.customer_id FROM customers AS c
INTERSECT
SELECT e.customer_id FROM events AS e
WHERE e.type = 'open' AND e.occurred_at > '${ago_90d}' AND e.occurred_at <= '${as_of}'
GROUP BY e.customer_id HAVING COUNT(*) >= 1
EXCEPT
SELECT o.customer_id FROM orders AS o WHERE o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}'
