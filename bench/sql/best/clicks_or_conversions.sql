-- clicks(3mo) >= 2 or conversions(90d) >= 1
-- shape: two_semi_joins
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
    SELECT e.customer_id FROM events AS e
    WHERE e.type = 'click' AND e.occurred_at > '${ago_3mo}' AND e.occurred_at <= '${as_of}'
    GROUP BY e.customer_id HAVING COUNT(*) >= 2)
  OR c.customer_id IN (
    SELECT e.customer_id FROM events AS e
    WHERE e.type = 'conversion' AND e.occurred_at > '${ago_90d}' AND e.occurred_at <= '${as_of}')
-- shape: one_scan
-- One pass over the union of both filters, each condition a filtered count of the group.
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
  SELECT e.customer_id FROM events AS e
  WHERE e.type IN ('click', 'conversion') AND e.occurred_at > '${ago_3mo}' AND e.occurred_at <= '${as_of}'
  GROUP BY e.customer_id
  HAVING COUNT(*) FILTER (WHERE e.type = 'click') >= 2
      OR COUNT(*) FILTER (WHERE e.type = 'conversion' AND e.occurred_at > '${ago_90d}') >= 1)
-- shape: correlated [sqlite postgres]
SELECT c.customer_id FROM customers AS c
WHERE EXISTS (
    SELECT 1 FROM events AS e
    WHERE e.customer_id = c.customer_id AND e.type = 'click'
      AND e.occurred_at > '${ago_3mo}' AND e.occurred_at <= '${as_of}'
    LIMIT 1 OFFSET 1)
  OR EXISTS (
    SELECT 1 FROM events AS e
    WHERE e.customer_id = c.customer_id AND e.type = 'conversion'
      AND e.occurred_at > '${ago_90d}' AND e.occurred_at <= '${as_of}')
