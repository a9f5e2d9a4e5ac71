-- shape: peer
SELECT c.customer_id FROM customers AS c
INTERSECT
SELECT o.customer_id FROM orders AS o
WHERE o.created_at <= '${as_of}'
  AND o.order_id IN (SELECT i.order_id FROM order_items AS i WHERE i.vendor = 'Nordic Knits')
GROUP BY o.customer_id HAVING CAST(SUM(o.total) AS DOUBLE PRECISION) >= 200
EXCEPT
SELECT o.customer_id FROM orders AS o
WHERE o.created_at <= '${as_of}'
  AND o.order_id IN (SELECT i.order_id FROM order_items AS i WHERE i.vendor = 'Acme')
