-- country in ["France", "Belgium", "Germany"] and status = "subscribed" and quality != "lapsed"
-- and opens(6mo) >= 2 and clicks(6mo) >= 1 and orders(1y) >= 1 and spent(1y) > 100 and refunds(1y) = 0
-- and not in_list("Do not email") and last_open_date within 30d
-- shape: grouped_scans
-- Events read once for opens, clicks and the last open (the 30-day window lies inside the six months);
-- orders once (spent > 100 implies an order); refunds and the list as anti-joins.
SELECT c.customer_id FROM customers AS c
WHERE c.country IN ('France', 'Belgium', 'Germany') AND c.status = 'subscribed'
  AND (c.quality IS NULL OR c.quality <> 'lapsed')
  AND c.customer_id IN (
    SELECT e.customer_id FROM events AS e
    WHERE e.type IN ('open', 'click') AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
    GROUP BY e.customer_id
    HAVING COUNT(*) FILTER (WHERE e.type = 'open') >= 2 AND COUNT(*) FILTER (WHERE e.type = 'click') >= 1
       AND MAX(e.occurred_at) FILTER (WHERE e.type = 'open') > '${ago_30d}')
  AND c.customer_id IN (
    SELECT o.customer_id FROM orders AS o
    WHERE o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}'
    GROUP BY o.customer_id HAVING CAST(SUM(o.total) AS DOUBLE PRECISION) > 100)
  AND NOT EXISTS (
    SELECT 1 FROM refunds AS r
    WHERE r.customer_id = c.customer_id AND r.created_at > '${ago_1y}' AND r.created_at <= '${as_of}')
  AND NOT EXISTS (
    SELECT 1 FROM list_members AS lm JOIN lists AS l ON l.list_id = lm.list_id
    WHERE lm.customer_id = c.customer_id AND l.name = 'Do not email' AND lm.added_at <= '${as_of}')
-- shape: correlated [sqlite postgres]
-- The attributes leave a few thousand contacts; each then costs a few index seeks, cheapest first.
SELECT c.customer_id FROM customers AS c
WHERE c.country IN ('France', 'Belgium', 'Germany') AND c.status = 'subscribed'
  AND (c.quality IS NULL OR c.quality <> 'lapsed')
  AND EXISTS (
    SELECT 1 FROM events AS e
    WHERE e.customer_id = c.customer_id AND e.type = 'open'
      AND e.occurred_at > '${ago_30d}' AND e.occurred_at <= '${as_of}')
  AND EXISTS (
    SELECT 1 FROM events AS e
    WHERE e.customer_id = c.customer_id AND e.type = 'click'
      AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}')
  AND EXISTS (
    SELECT 1 FROM events AS e
    WHERE e.customer_id = c.customer_id AND e.type = 'open'
      AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
    LIMIT 1 OFFSET 1)
  AND NOT EXISTS (
    SELECT 1 FROM refunds AS r
    WHERE r.customer_id = c.customer_id AND r.created_at > '${ago_1y}' AND r.created_at <= '${as_of}')
  AND NOT EXISTS (
    SELECT 1 FROM list_members AS lm JOIN lists AS l ON l.list_id = lm.list_id
    WHERE lm.customer_id = c.customer_id AND l.name = 'Do not email' AND lm.added_at <= '${as_of}')
  AND (SELECT CAST(SUM(o.total) AS DOUBLE PRECISION) FROM orders AS o
       WHERE o.customer_id = c.customer_id AND o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}') > 100
