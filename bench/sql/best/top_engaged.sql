-- order by engagement(6mo) desc limit 1000
-- shape: left_join
SELECT c.customer_id FROM customers AS c
LEFT JOIN (
  SELECT e.customer_id, SUM(CASE e.type WHEN 'open' THEN 1 WHEN 'click' THEN 2 ELSE 5 END) AS score
  FROM events AS e
  WHERE e.type IN ('open', 'click', 'conversion') AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}'
  GROUP BY e.customer_id) AS m ON m.customer_id = c.customer_id
ORDER BY COALESCE(m.score, 0) DESC, c.customer_id
LIMIT 1000
-- shape: top_n_union
-- The top 1,000 of the engaged contacts, topped up (only if there are fewer) by the first contacts with
-- no engagement in id order; each branch is a top-N of its own, the second stops early.
SELECT customer_id FROM (
  SELECT customer_id, score FROM (
    SELECT c.customer_id, m.score FROM customers AS c
    JOIN (SELECT e.customer_id, SUM(CASE e.type WHEN 'open' THEN 1 WHEN 'click' THEN 2 ELSE 5 END) AS score
          FROM events AS e
          WHERE e.type IN ('open', 'click', 'conversion') AND e.occurred_at > '${ago_6mo}'
            AND e.occurred_at <= '${as_of}'
          GROUP BY e.customer_id) AS m ON m.customer_id = c.customer_id
    ORDER BY m.score DESC, c.customer_id LIMIT 1000) AS engaged
  UNION ALL
  SELECT customer_id, 0 AS score FROM (
    SELECT c.customer_id FROM customers AS c
    WHERE NOT EXISTS (
      SELECT 1 FROM events AS e
      WHERE e.customer_id = c.customer_id AND e.type IN ('open', 'click', 'conversion')
        AND e.occurred_at > '${ago_6mo}' AND e.occurred_at <= '${as_of}')
    ORDER BY c.customer_id LIMIT 1000) AS idle
) AS ranked
ORDER BY score DESC, customer_id
LIMIT 1000
