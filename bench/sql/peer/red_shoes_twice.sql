-- shape: peer
SELECT c.customer_id FROM customers AS c
INTERSECT
SELECT o.customer_id FROM orders AS o
WHERE o.created_at <= '${as_of}' AND o.order_id IN (
  SELECT i.order_id FROM order_items AS i WHERE i.product_name = 'Red Shoes' OR i.product_id = 'Red Shoes')
GROUP BY o.customer_id HAVING COUNT(*) >= 2
