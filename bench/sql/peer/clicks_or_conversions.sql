-- shape: peer
SELECT c.customer_id FROM customers AS c
INTERSECT
SELECT customer_id FROM (
  SELECT e.customer_id FROM events AS e
  WHERE e.type = 'click' AND e.occurred_at > '${ago_3mo}' AND e.occurred_at <= '${as_of}'
  GROUP BY e.customer_id HAVING COUNT(*) >= 2
  UNION
  SELECT e.customer_id FROM events AS e
  WHERE e.type = 'conversion' AND e.occurred_at > '${ago_90d}' AND e.occurred_at <= '${as_of}'
  GROUP BY e.customer_id HAVING COUNT(*) >= 1) AS either
