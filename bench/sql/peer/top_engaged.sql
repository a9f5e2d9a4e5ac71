-- shape: peer
-- Cohorts do not rank: the members (everyone) as a set, then the measure joined for the order.
SELECT s.customer_id FROM (SELECT c.customer_id FROM customers AS c) AS s
LEFT JOIN (
  SELECT e.customer_id, SUM(CASE e.type WHEN 'open' THEN 1 WHEN 'click' THEN 2 ELSE 5 END) AS score
  FROM events AS e
  WHERE e.type IN ('open', 'click', 'conversion') AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
  GROUP BY e.customer_id) AS m ON m.customer_id = s.customer_id
ORDER BY COALESCE(m.score, 0) DESC, s.customer_id
LIMIT 1000
