-- country = "France" and opens(6mo) >= 3
-- shape: semi_join
SELECT c.customer_id FROM customers AS c
WHERE c.country = 'France' AND c.customer_id IN (
  SELECT e.customer_id FROM events AS e
  WHERE e.type = 'open' AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
  GROUP BY e.customer_id HAVING COUNT(*) >= 3)
-- shape: correlated_offset [sqlite postgres]
-- The French contacts first (a third of them), then a seek per contact that stops at the third open.
SELECT c.customer_id FROM customers AS c
WHERE c.country = 'France' AND EXISTS (
  SELECT 1 FROM events AS e
  WHERE e.customer_id = c.customer_id AND e.type = 'open'
    AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
  LIMIT 1 OFFSET 2)
-- shape: join_grouped
SELECT c.customer_id FROM customers AS c
JOIN (
  SELECT e.customer_id FROM events AS e
  WHERE e.type = 'open' AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
  GROUP BY e.customer_id HAVING COUNT(*) >= 3) AS o ON o.customer_id = c.customer_id
WHERE c.country = 'France'
