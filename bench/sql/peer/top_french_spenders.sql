-- shape: peer
-- Cohorts do not rank: the members as a set of one subquery per condition, then the measure joined.
SELECT s.customer_id FROM (
  SELECT c.customer_id FROM customers AS c WHERE c.country = 'France'
  INTERSECT
  SELECT o.customer_id FROM orders AS o
  WHERE o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}'
  GROUP BY o.customer_id HAVING COUNT(*) >= 1) AS s
LEFT JOIN (SELECT o.customer_id, CAST(SUM(o.total) AS DOUBLE PRECISION) AS spent FROM orders AS o
           WHERE o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}'
           GROUP BY o.customer_id) AS m ON m.customer_id = s.customer_id
ORDER BY COALESCE(m.spent, 0) DESC, s.customer_id
LIMIT 500
