-- The raw loop the refresh worker is compared with (bench scenario `noop`): claim the
-- oldest runnable job with the store's claim statement (crates/store/src/queue.rs),
-- then finish it. Run by pgbench -M prepared, one job per transaction.
UPDATE refresh_jobs SET state = 'running', attempts = attempts + 1,
    started_at = clock_timestamp(), lease_owner = 'pgbench',
    lease_expires_at = now() + interval '60 seconds'
  WHERE id = (
    SELECT id FROM refresh_jobs
    WHERE (state = 'queued' AND run_at <= now())
       OR (state = 'running' AND lease_expires_at < now())
    ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING id AS job_id \gset
UPDATE refresh_jobs SET state = 'succeeded', finished_at = clock_timestamp(),
    lease_owner = NULL, lease_expires_at = NULL
  WHERE id = :job_id AND state = 'running' AND lease_owner = 'pgbench';
