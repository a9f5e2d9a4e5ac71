-- Compiled by tests/test_compile_snapshots.py for starrocks, anchored at 2026-08-31T10:00:00Z.

-- rule: country = "France" and quality = "vip"
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND (
    `c`.`country` = 'France' AND `c`.`quality` = 'vip'
  );

-- rule: city != "Paris" and status in ["subscribed", "pending"]
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND (
    NOT (
      COALESCE(`c`.`city` = 'Paris', FALSE)
    )
    AND `c`.`status` IN ('subscribed', 'pending')
  );

-- rule: first_name contains "50%_o'ff\\" or last_name starts with "'; DROP TABLE customers; --"
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND (
    LOWER(`c`.`first_name`) LIKE '%50\\%\\_o''ff\\\\%' ESCAPE '\\'
    OR LOWER(`c`.`last_name`) LIKE '''; drop table customers; --%' ESCAPE '\\'
  );

-- rule: city ends with "Zoë"
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND CASE
    WHEN LENGTH(`c`.`city`) = CHAR_LENGTH(`c`.`city`)
    THEN LOWER(`c`.`city`)
    ELSE LOWER(REPLACE(`c`.`city`, 'Ë', 'ë'))
  END LIKE '%zoë' ESCAPE '\\';

-- rule: email ends with "@Gmail.com"
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND `c`.`email` LIKE '%@gmail.com' ESCAPE '\\';

-- rule: opens(6mo) >= 3
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND `c`.`customer_id` IN (
    SELECT
      `e1`.`customer_id`
    FROM `events` AS `e1`
    WHERE
      `e1`.`occurred_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
      AND (
        `e1`.`occurred_at` > CAST('2026-02-28 10:00:00' AS DATETIME)
        AND `e1`.`type` = 'open'
      )
    GROUP BY
      `e1`.`customer_id`
    HAVING
      COUNT(*) >= 3
  );

-- rule: orders() = 0 or opens(6mo) < 3
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND (
    NOT EXISTS(
      SELECT
        1
      FROM (
        SELECT
          `o1`.`customer_id`
        FROM `orders` AS `o1`
        WHERE
          `o1`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
      ) AS `x2`
      WHERE
        `x2`.`customer_id` = `c`.`customer_id`
    )
    OR NOT EXISTS(
      SELECT
        1
      FROM (
        SELECT
          `e3`.`customer_id`
        FROM `events` AS `e3`
        WHERE
          `e3`.`occurred_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
          AND (
            `e3`.`occurred_at` > CAST('2026-02-28 10:00:00' AS DATETIME)
            AND `e3`.`type` = 'open'
          )
        GROUP BY
          `e3`.`customer_id`
        HAVING
          NOT (
            COUNT(*) < 3
          )
      ) AS `x4`
      WHERE
        `x4`.`customer_id` = `c`.`customer_id`
    )
  );

-- rule: clicks(6mo) > opens(6mo)
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
LEFT JOIN (
  SELECT
    `m1_e3`.`customer_id` AS `customer_id`,
    COUNT(*) AS `value`
  FROM `events` AS `m1_e3`
  WHERE
    `m1_e3`.`occurred_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
    AND (
      `m1_e3`.`occurred_at` > CAST('2026-02-28 10:00:00' AS DATETIME)
      AND `m1_e3`.`type` = 'click'
    )
  GROUP BY
    `m1_e3`.`customer_id`
) AS `m1`
  ON `m1`.`customer_id` = `c`.`customer_id`
LEFT JOIN (
  SELECT
    `m2_e4`.`customer_id` AS `customer_id`,
    COUNT(*) AS `value`
  FROM `events` AS `m2_e4`
  WHERE
    `m2_e4`.`occurred_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
    AND (
      `m2_e4`.`occurred_at` > CAST('2026-02-28 10:00:00' AS DATETIME)
      AND `m2_e4`.`type` = 'open'
    )
  GROUP BY
    `m2_e4`.`customer_id`
) AS `m2`
  ON `m2`.`customer_id` = `c`.`customer_id`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND COALESCE(`m1`.`value`, 0) > COALESCE(`m2`.`value`, 0);

-- rule: clicks(6mo) / opens(6mo) >= 0.2 and total_spent - 10 * refunds() > 100
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
LEFT JOIN (
  SELECT
    `m1_e5`.`customer_id` AS `customer_id`,
    COUNT(*) AS `value`
  FROM `events` AS `m1_e5`
  WHERE
    `m1_e5`.`occurred_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
    AND (
      `m1_e5`.`occurred_at` > CAST('2026-02-28 10:00:00' AS DATETIME)
      AND `m1_e5`.`type` = 'click'
    )
  GROUP BY
    `m1_e5`.`customer_id`
) AS `m1`
  ON `m1`.`customer_id` = `c`.`customer_id`
LEFT JOIN (
  SELECT
    `m2_e6`.`customer_id` AS `customer_id`,
    COUNT(*) AS `value`
  FROM `events` AS `m2_e6`
  WHERE
    `m2_e6`.`occurred_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
    AND (
      `m2_e6`.`occurred_at` > CAST('2026-02-28 10:00:00' AS DATETIME)
      AND `m2_e6`.`type` = 'open'
    )
  GROUP BY
    `m2_e6`.`customer_id`
) AS `m2`
  ON `m2`.`customer_id` = `c`.`customer_id`
LEFT JOIN (
  SELECT
    `m3_o7`.`customer_id` AS `customer_id`,
    COALESCE(SUM(`m3_o7`.`total`), 0) AS `exact`
  FROM `orders` AS `m3_o7`
  WHERE
    `m3_o7`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  GROUP BY
    `m3_o7`.`customer_id`
) AS `m3`
  ON `m3`.`customer_id` = `c`.`customer_id`
LEFT JOIN (
  SELECT
    `m4_r8`.`customer_id` AS `customer_id`,
    COUNT(*) AS `value`
  FROM `refunds` AS `m4_r8`
  WHERE
    `m4_r8`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  GROUP BY
    `m4_r8`.`customer_id`
) AS `m4`
  ON `m4`.`customer_id` = `c`.`customer_id`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND (
    COALESCE(`m1`.`value`, 0) * 5 >= NULLIF(COALESCE(`m2`.`value`, 0) + 0, 0)
    AND COALESCE(`m3`.`exact`, 0) - 10 * COALESCE(`m4`.`value`, 0) > 100
  );

-- rule: created_at = 2026-02-28 or last_order_date between 2025-12-01 and 2025-12-31
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND (
    (
      `c`.`created_at` >= CAST('2026-02-28 00:00:00' AS DATETIME)
      AND `c`.`created_at` < CAST('2026-03-01 00:00:00' AS DATETIME)
    )
    OR (
      `c`.`customer_id` IN (
        SELECT
          `o1`.`customer_id`
        FROM `orders` AS `o1`
        WHERE
          `o1`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
          AND `o1`.`created_at` >= CAST('2025-12-01 00:00:00' AS DATETIME)
      )
      AND `c`.`customer_id` IN (
        SELECT
          `o2`.`customer_id`
        FROM `orders` AS `o2`
        WHERE
          `o2`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
        GROUP BY
          `o2`.`customer_id`
        HAVING
          MAX(`o2`.`created_at`) < CAST('2026-01-01 00:00:00' AS DATETIME)
      )
    )
  );

-- rule: last_open_date within 12h and last_order_date < 90d ago
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND (
    `c`.`customer_id` IN (
      SELECT
        `e1`.`customer_id`
      FROM `events` AS `e1`
      WHERE
        `e1`.`occurred_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
        AND (
          `e1`.`type` = 'open'
          AND `e1`.`occurred_at` > CAST('2026-08-30 22:00:00' AS DATETIME)
        )
    )
    AND `c`.`customer_id` IN (
      SELECT
        `o2`.`customer_id`
      FROM `orders` AS `o2`
      WHERE
        `o2`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
      GROUP BY
        `o2`.`customer_id`
      HAVING
        MAX(`o2`.`created_at`) < CAST('2026-06-02 10:00:00' AS DATETIME)
    )
  );

-- rule: purchased(vendor: "Acme", month: "dec", within: 1y)
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND `c`.`customer_id` IN (
    SELECT
      `o1`.`customer_id`
    FROM `orders` AS `o1`
    WHERE
      (
        `o1`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
        AND `o1`.`created_at` > CAST('2025-08-31 10:00:00' AS DATETIME)
      )
      AND (
        EXTRACT(MONTH FROM `o1`.`created_at`) = 12
        AND `o1`.`order_id` IN (
          SELECT
            `i2`.`order_id`
          FROM `order_items` AS `i2`
          WHERE
            `i2`.`vendor` = 'Acme'
        )
      )
  );

-- rule: tags contains "vip" and not tags contains "newsletter" and tags is set
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND (
    `c`.`customer_id` IN (
      SELECT
        `t1`.`customer_id`
      FROM `customer_tags` AS `t1`
      WHERE
        CASE
          WHEN LENGTH(`t1`.`tag`) = CHAR_LENGTH(`t1`.`tag`)
          THEN LOWER(`t1`.`tag`)
          ELSE LOWER(REPLACE(`t1`.`tag`, 'İ', 'i̇'))
        END = 'vip'
    )
    AND (
      NOT EXISTS(
        SELECT
          1
        FROM (
          SELECT
            `t2`.`customer_id`
          FROM `customer_tags` AS `t2`
          WHERE
            LOWER(`t2`.`tag`) = 'newsletter'
        ) AS `x3`
        WHERE
          `x3`.`customer_id` = `c`.`customer_id`
      )
      AND `c`.`customer_id` IN (
        SELECT
          `t4`.`customer_id`
        FROM `customer_tags` AS `t4`
        WHERE
          NOT `t4`.`tag` IS NULL
      )
    )
  );

-- rule: in_list("Popup leads") and not in_list("Do not email")
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND (
    `c`.`customer_id` IN (
      SELECT
        `lm1`.`customer_id`
      FROM `list_members` AS `lm1`
      WHERE
        `lm1`.`added_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
        AND `lm1`.`list_id` IN (
          SELECT
            `l2`.`list_id`
          FROM `lists` AS `l2`
          WHERE
            `l2`.`name` = 'Popup leads'
        )
    )
    AND NOT EXISTS(
      SELECT
        1
      FROM (
        SELECT
          `lm3`.`customer_id`
        FROM `list_members` AS `lm3`
        WHERE
          `lm3`.`added_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
          AND `lm3`.`list_id` IN (
            SELECT
              `l4`.`list_id`
            FROM `lists` AS `l4`
            WHERE
              `l4`.`name` = 'Do not email'
          )
      ) AS `x5`
      WHERE
        `x5`.`customer_id` = `c`.`customer_id`
    )
  );

-- rule: in_segment("french") and spent(product: "Red Shoes") > 0
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND (
    `c`.`customer_id` IN (
      SELECT
        `s1`.`customer_id`
      FROM (
        SELECT
          `c`.`customer_id`
        FROM `customers` AS `c`
        WHERE
          (
            `c`.`created_at` IS NULL
            OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
          )
          AND `c`.`country` = 'France'
      ) AS `s1`
    )
    AND `c`.`customer_id` IN (
      SELECT
        `o2`.`customer_id`
      FROM `orders` AS `o2`
      WHERE
        `o2`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
        AND `o2`.`order_id` IN (
          SELECT
            `i3`.`order_id`
          FROM `order_items` AS `i3`
          WHERE
            (
              `i3`.`product_name` = 'Red Shoes' OR `i3`.`product_id` = 'Red Shoes'
            )
        )
      GROUP BY
        `o2`.`customer_id`
      HAVING
        COALESCE(CAST(SUM(`o2`.`total`) AS DOUBLE), 0) > 0
    )
  );

-- rule: country = "France" order by engagement(6mo) desc limit 1000
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
LEFT JOIN (
  SELECT
    `m1_e2`.`customer_id` AS `customer_id`,
    COALESCE(
      SUM(
        CASE
          WHEN `m1_e2`.`type` = 'open'
          THEN 1
          WHEN `m1_e2`.`type` = 'click'
          THEN 2
          WHEN `m1_e2`.`type` = 'conversion'
          THEN 5
          ELSE 0
        END
      ),
      0
    ) AS `value`
  FROM `events` AS `m1_e2`
  WHERE
    `m1_e2`.`occurred_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
    AND (
      `m1_e2`.`occurred_at` > CAST('2026-02-28 10:00:00' AS DATETIME)
      AND `m1_e2`.`type` IN ('open', 'click', 'conversion')
    )
  GROUP BY
    `m1_e2`.`customer_id`
) AS `m1`
  ON `m1`.`customer_id` = `c`.`customer_id`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
  AND `c`.`country` = 'France'
ORDER BY
  COALESCE(`m1`.`value`, 0) DESC,
  `c`.`customer_id` ASC
LIMIT 1000;

-- rule: order by last_order_date desc, total_spent asc limit 10
SELECT
  `c`.`customer_id`
FROM `customers` AS `c`
LEFT JOIN (
  SELECT
    `m1_o3`.`customer_id` AS `customer_id`,
    MAX(`m1_o3`.`created_at`) AS `value`
  FROM `orders` AS `m1_o3`
  WHERE
    `m1_o3`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  GROUP BY
    `m1_o3`.`customer_id`
) AS `m1`
  ON `m1`.`customer_id` = `c`.`customer_id`
LEFT JOIN (
  SELECT
    `m2_o4`.`customer_id` AS `customer_id`,
    COALESCE(CAST(SUM(`m2_o4`.`total`) AS DOUBLE), 0) AS `value`
  FROM `orders` AS `m2_o4`
  WHERE
    `m2_o4`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  GROUP BY
    `m2_o4`.`customer_id`
) AS `m2`
  ON `m2`.`customer_id` = `c`.`customer_id`
WHERE
  (
    `c`.`created_at` IS NULL
    OR `c`.`created_at` <= CAST('2026-08-31 10:00:00' AS DATETIME)
  )
ORDER BY
  CASE WHEN `m1`.`value` IS NULL THEN 1 ELSE 0 END ASC,
  `m1`.`value` DESC,
  COALESCE(`m2`.`value`, 0) ASC,
  `c`.`customer_id` ASC
LIMIT 10;
