-- opens(90d) >= 1 and not purchased(within: 1y)
-- shape: semi_anti
-- "At least one" needs no grouping: a plain semi-join on the window's opens.
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
    SELECT e.customer_id FROM events AS e
    WHERE e.type = 'open' AND e.occurred_at > '${ago_90d}' AND e.occurred_at <= '${as_of}')
  AND c.customer_id NOT IN (
    SELECT o.customer_id FROM orders AS o WHERE o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}')
-- shape: exists_not_exists
SELECT c.customer_id FROM customers AS c
WHERE EXISTS (
    SELECT 1 FROM events AS e
    WHERE e.customer_id = c.customer_id AND e.type = 'open'
      AND e.occurred_at > '${ago_90d}' AND e.occurred_at <= '${as_of}')
  AND NOT EXISTS (
    SELECT 1 FROM orders AS o
    WHERE o.customer_id = c.customer_id AND o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}')
-- shape: grouped_semi_anti
-- Both sets reduced to one row per contact before joining.
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
    SELECT e.customer_id FROM events AS e
    WHERE e.type = 'open' AND e.occurred_at > '${ago_90d}' AND e.occurred_at <= '${as_of}'
    GROUP BY e.customer_id)
  AND NOT EXISTS (
    SELECT 1 FROM (SELECT o.customer_id FROM orders AS o
                   WHERE o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}' GROUP BY o.customer_id) AS x
    WHERE x.customer_id = c.customer_id)
