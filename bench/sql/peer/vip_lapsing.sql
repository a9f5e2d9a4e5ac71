-- shape: peer
SELECT c.customer_id FROM customers AS c WHERE c.quality = 'vip'
INTERSECT
SELECT o.customer_id FROM orders AS o WHERE o.created_at <= '${as_of}'
GROUP BY o.customer_id HAVING MAX(o.created_at) < '${ago_90d}'
