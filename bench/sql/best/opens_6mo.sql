-- opens(6mo) >= 3
-- shape: semi_join
-- One scan of the window's opens, grouped; the contacts with at least three.
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
  SELECT e.customer_id FROM events AS e
  WHERE e.type = 'open' AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
  GROUP BY e.customer_id HAVING COUNT(*) >= 3)
-- shape: correlated_offset [sqlite postgres]
-- Per contact, a seek into events (customer_id, type, occurred_at) that stops at the third open.
SELECT c.customer_id FROM customers AS c
WHERE EXISTS (
  SELECT 1 FROM events AS e
  WHERE e.customer_id = c.customer_id AND e.type = 'open'
    AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
  LIMIT 1 OFFSET 2)
