-- country = "France" and orders(1y) >= 1 order by spent(1y) desc limit 500
-- shape: join_grouped
-- Contacts with an order in the year are exactly those with a group: one grouped pass gives both the
-- condition (an inner join) and the sort key.
SELECT c.customer_id FROM customers AS c
JOIN (SELECT o.customer_id, CAST(SUM(o.total) AS DOUBLE PRECISION) AS spent FROM orders AS o
      WHERE o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}'
      GROUP BY o.customer_id) AS o ON o.customer_id = c.customer_id
WHERE c.country = 'France'
ORDER BY o.spent DESC, c.customer_id
LIMIT 500
-- shape: correlated_sum [sqlite postgres]
SELECT customer_id FROM (
  SELECT c.customer_id,
         (SELECT CAST(SUM(o.total) AS DOUBLE PRECISION) FROM orders AS o
          WHERE o.customer_id = c.customer_id AND o.created_at > '${ago_1y}' AND o.created_at <= '${as_of}') AS spent
  FROM customers AS c WHERE c.country = 'France') AS s
WHERE spent IS NOT NULL
ORDER BY spent DESC, customer_id
LIMIT 500
