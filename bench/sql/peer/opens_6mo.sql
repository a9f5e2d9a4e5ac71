-- shape: peer
SELECT e.customer_id FROM events AS e
WHERE e.type = 'open' AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
GROUP BY e.customer_id HAVING COUNT(*) >= 3
INTERSECT
SELECT c.customer_id FROM customers AS c
