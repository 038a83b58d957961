-- Tags get an image, shown at the top of their listing.

ALTER TABLE tags ADD COLUMN image_url TEXT NOT NULL DEFAULT '';
