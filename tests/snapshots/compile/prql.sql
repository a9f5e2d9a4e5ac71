-- Compiled by tests/test_compile_snapshots.py for prql, anchored at 2026-08-31T10:00:00Z.

-- rule: country = "France" and quality = "vip"
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: city != "Paris" and status in ["subscribed", "pending"]
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: first_name contains "50%_o'ff\\" or last_name starts with "'; DROP TABLE customers; --"
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: city ends with "Zoë"
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: email ends with "@Gmail.com"
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: opens(6mo) >= 3
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: orders() = 0 or opens(6mo) < 3
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: clicks(6mo) > opens(6mo)
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: clicks(6mo) / opens(6mo) >= 0.2 and total_spent - 10 * refunds() > 100
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: created_at = 2026-02-28 or last_order_date between 2025-12-01 and 2025-12-31
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: last_open_date within 12h and last_order_date < 90d ago
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: purchased(vendor: "Acme", month: "dec", within: 1y)
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: tags contains "vip" and not tags contains "newsletter" and tags is set
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: in_list("Popup leads") and not in_list("Do not email")
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: in_segment("french") and spent(product: "Red Shoes") > 0
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: country = "France" order by engagement(6mo) desc limit 1000
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it

-- rule: order by last_order_date desc, total_spent asc limit 10
-- RD301: `prql` is not a SQL dialect: sqlglot only reads it
