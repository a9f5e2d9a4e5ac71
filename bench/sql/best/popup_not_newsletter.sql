-- in_list("Popup leads") and not tags contains "newsletter"
-- shape: semi_anti
SELECT c.customer_id FROM customers AS c
WHERE c.customer_id IN (
    SELECT lm.customer_id FROM list_members AS lm JOIN lists AS l ON l.list_id = lm.list_id
    WHERE l.name = 'Popup leads' AND lm.added_at <= '${as_of}')
  AND NOT EXISTS (
    SELECT 1 FROM customer_tags AS t WHERE t.customer_id = c.customer_id AND LOWER(t.tag) = 'newsletter')
-- shape: from_list
-- Start from the list's members (one row per contact: the list's key) and look each contact up.
SELECT c.customer_id
FROM lists AS l
JOIN list_members AS lm ON lm.list_id = l.list_id
JOIN customers AS c ON c.customer_id = lm.customer_id
WHERE l.name = 'Popup leads' AND lm.added_at <= '${as_of}'
  AND NOT EXISTS (
    SELECT 1 FROM customer_tags AS t WHERE t.customer_id = c.customer_id AND LOWER(t.tag) = 'newsletter')
