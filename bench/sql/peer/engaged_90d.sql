-- shape: peer
SELECT c.customer_id FROM customers AS c
INTERSECT
SELECT e.customer_id FROM events AS e
WHERE e.type IN ('open', 'click', 'conversion') AND e.occurred_at > '${ago_90d}' AND e.occurred_at <= '${as_of}'
GROUP BY e.customer_id
HAVING SUM(CASE e.type WHEN 'open' THEN 1 WHEN 'click' THEN 2 ELSE 5 END) >= 20
