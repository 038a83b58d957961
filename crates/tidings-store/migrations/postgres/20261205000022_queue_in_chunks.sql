-- 1 while a newsletter's deliveries are still being added, a chunk of subscribers per transaction
-- (so that queueing a million holds no lock for long); a newsletter is not finished before it is 0.
ALTER TABLE newsletters ADD COLUMN queueing BIGINT NOT NULL DEFAULT 0;
