-- shape: peer
-- True at zero: everyone except the contacts whose facts break it.
SELECT c.customer_id FROM customers AS c
EXCEPT
SELECT o.customer_id FROM orders AS o WHERE o.created_at <= '${as_of}'
GROUP BY o.customer_id HAVING NOT (COUNT(*) = 0)
