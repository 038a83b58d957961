-- Every node keeps a page cache keyed by the content generation. Announcing each new generation
-- lets the other nodes drop stale pages at once; the notification is delivered when the
-- transaction that bumped it commits, and never for one that rolls back.
CREATE FUNCTION tidings_announce_generation() RETURNS trigger AS $$
BEGIN
    IF NEW.generation IS DISTINCT FROM OLD.generation THEN
        PERFORM pg_notify('tidings_generation', NEW.generation::text);
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER site_state_generation_notify
    AFTER UPDATE ON site_state
    FOR EACH ROW EXECUTE FUNCTION tidings_announce_generation();
