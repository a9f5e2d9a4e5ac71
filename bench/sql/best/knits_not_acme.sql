-- spent(vendor: "Nordic Knits") >= 200 and not bought_from("Acme")
-- shape: semi_anti
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
    SELECT o.customer_id FROM orders AS o
    WHERE o.created_at <= '${as_of}'
      AND o.order_id IN (SELECT i.order_id FROM order_items AS i WHERE i.vendor = 'Nordic Knits')
    GROUP BY o.customer_id HAVING CAST(SUM(o.total) AS DOUBLE PRECISION) >= 200)
  AND c.customer_id NOT IN (
    SELECT o.customer_id FROM orders AS o
    WHERE o.created_at <= '${as_of}'
      AND o.order_id IN (SELECT i.order_id FROM order_items AS i WHERE i.vendor = 'Acme'))
-- shape: one_scan
-- One pass over the orders that hold either vendor, each order flagged by vendor first.
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
  SELECT o.customer_id
  FROM orders AS o
  JOIN (SELECT i.order_id, MAX(CASE WHEN i.vendor = 'Nordic Knits' THEN 1 ELSE 0 END) AS knits,
               MAX(CASE WHEN i.vendor = 'Acme' THEN 1 ELSE 0 END) AS acme
        FROM order_items AS i WHERE i.vendor IN ('Nordic Knits', 'Acme') GROUP BY i.order_id) AS v
    ON v.order_id = o.order_id
  WHERE o.created_at <= '${as_of}'
  GROUP BY o.customer_id
  HAVING CAST(SUM(CASE WHEN v.knits = 1 THEN o.total ELSE 0 END) AS DOUBLE PRECISION) >= 200 AND MAX(v.acme) = 0)
