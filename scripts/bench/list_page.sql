-- The page query of GET /api/v1/companies?status=available&sort=name&limit=50
-- (crates/store/src/companies.rs, list_companies: limit + 1 rows to know whether a next
-- page exists). pgbench -M prepared -D org=<organization uuid> -D status=available.
SELECT * FROM companies
  WHERE organization_id = :org AND status = :status
  ORDER BY name ASC, id ASC
  LIMIT 51;
