-- engagement(90d) >= 20
-- shape: semi_join
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
  SELECT e.customer_id FROM events AS e
  WHERE e.type IN ('open', 'click', 'conversion') AND e.occurred_at > '${ago_90d}' AND e.occurred_at <= '${as_of}'
  GROUP BY e.customer_id
  HAVING SUM(CASE e.type WHEN 'open' THEN 1 WHEN 'click' THEN 2 ELSE 5 END) >= 20)
-- shape: correlated_sum [sqlite postgres]
SELECT c.customer_id FROM customers AS c
WHERE (SELECT SUM(CASE e.type WHEN 'open' THEN 1 WHEN 'click' THEN 2 ELSE 5 END) FROM events AS e
       WHERE e.customer_id = c.customer_id AND e.type IN ('open', 'click', 'conversion')
         AND e.occurred_at > '${ago_90d}' AND e.occurred_at <= '${as_of}') >= 20
