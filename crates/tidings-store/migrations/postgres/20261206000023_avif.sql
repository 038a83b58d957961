-- AVIF copies of photos, made by a background job after the upload (encoding takes seconds).
-- 0: not tried yet (the job's queue, so images from before this column get theirs too);
-- 1: a smaller AVIF copy sits beside every size; 2: tried, none kept (not smaller, or failed).
ALTER TABLE media ADD COLUMN avif BIGINT NOT NULL DEFAULT 0;
CREATE INDEX media_avif_waiting ON media (avif, id);
-- 1 when the feature image has its AVIF set (copied from media when the job finishes).
ALTER TABLE articles ADD COLUMN feature_image_avif BIGINT NOT NULL DEFAULT 0;
