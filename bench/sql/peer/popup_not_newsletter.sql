-- shape: peer
SELECT c.customer_id FROM customers AS c
INTERSECT
SELECT lm.customer_id FROM list_members AS lm
WHERE lm.added_at <= '${as_of}' AND lm.list_id IN (SELECT l.list_id FROM lists AS l WHERE l.name = 'Popup leads')
EXCEPT
SELECT t.customer_id FROM customer_tags AS t WHERE LOWER(t.tag) = 'newsletter'
