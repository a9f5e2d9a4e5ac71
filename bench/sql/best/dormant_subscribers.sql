-- status = "subscribed" and opens(6mo) = 0 and sends(6mo) >= 5
-- shape: semi_anti
SELECT c.customer_id FROM customers AS c
WHERE c.status = 'subscribed'
  AND c.customer_id IN (
    SELECT e.customer_id FROM events AS e
    WHERE e.type = 'sent' AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
    GROUP BY e.customer_id HAVING COUNT(*) >= 5)
  AND NOT EXISTS (
    SELECT 1 FROM events AS e
    WHERE e.customer_id = c.customer_id AND e.type = 'open'
      AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}')
-- shape: one_scan
-- sends >= 5 needs facts, so the zero-count condition can be read in the same group: one pass over sends
-- and opens of the window.
SELECT c.customer_id FROM customers AS c
WHERE c.status = 'subscribed' AND c.customer_id IN (
  SELECT e.customer_id FROM events AS e
  WHERE e.type IN ('sent', 'open') AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
  GROUP BY e.customer_id
  HAVING COUNT(*) FILTER (WHERE e.type = 'sent') >= 5 AND COUNT(*) FILTER (WHERE e.type = 'open') = 0)
-- shape: correlated [sqlite postgres]
SELECT c.customer_id FROM customers AS c
WHERE c.status = 'subscribed'
  AND NOT EXISTS (
    SELECT 1 FROM events AS e
    WHERE e.customer_id = c.customer_id AND e.type = 'open'
      AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}')
  AND EXISTS (
    SELECT 1 FROM events AS e
    WHERE e.customer_id = c.customer_id AND e.type = 'sent'
      AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
    LIMIT 1 OFFSET 4)
