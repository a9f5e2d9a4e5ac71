-- orders(product: "Red Shoes") >= 2
-- shape: semi_join
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
  SELECT o.customer_id FROM orders AS o
  WHERE o.created_at <= '${as_of}' AND o.order_id IN (
    SELECT i.order_id FROM order_items AS i WHERE i.product_name = 'Red Shoes' OR i.product_id = 'Red Shoes')
  GROUP BY o.customer_id HAVING COUNT(*) >= 2)
-- shape: items_join
-- Join the matching items to their orders and count distinct orders per contact.
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
  SELECT o.customer_id FROM order_items AS i JOIN orders AS o ON o.order_id = i.order_id
  WHERE (i.product_name = 'Red Shoes' OR i.product_id = 'Red Shoes') AND o.created_at <= '${as_of}'
  GROUP BY o.customer_id HAVING COUNT(DISTINCT o.order_id) >= 2)
