-- shape: peer
SELECT c.customer_id FROM customers AS c WHERE c.country IN ('France', 'Belgium', 'Germany')
INTERSECT
SELECT c.customer_id FROM customers AS c WHERE c.status = 'subscribed'
INTERSECT
SELECT c.customer_id FROM customers AS c WHERE c.quality IS NULL OR c.quality <> 'lapsed'
INTERSECT
SELECT e.customer_id FROM events AS e
WHERE e.type = 'open' AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
GROUP BY e.customer_id HAVING COUNT(*) >= 2
INTERSECT
SELECT e.customer_id FROM events AS e
WHERE e.type = 'click' AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
GROUP BY e.customer_id HAVING COUNT(*) >= 1
INTERSECT
SELECT o.customer_id FROM orders AS o
WHERE o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}'
GROUP BY o.customer_id HAVING COUNT(*) >= 1
INTERSECT
SELECT o.customer_id FROM orders AS o
WHERE o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}'
GROUP BY o.customer_id HAVING CAST(SUM(o.total) AS DOUBLE PRECISION) > 100
INTERSECT
SELECT e.customer_id FROM events AS e
WHERE e.type = 'open' AND e.occurred_at <= '${as_of}'
GROUP BY e.customer_id HAVING MAX(e.occurred_at) > '${ago_30d}'
EXCEPT
SELECT r.customer_id FROM refunds AS r
WHERE r.created_at > '${ago_1y}' AND r.created_at <= '${as_of}'
GROUP BY r.customer_id HAVING NOT (COUNT(*) = 0)
EXCEPT
SELECT lm.customer_id FROM list_members AS lm
WHERE lm.added_at <= '${as_of}' AND lm.list_id IN (SELECT l.list_id FROM lists AS l WHERE l.name = 'Do not email')
