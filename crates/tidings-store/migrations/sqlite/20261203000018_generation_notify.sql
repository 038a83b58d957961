-- SQLite serves one node; its servers notice a new generation by reading it twice a second.
SELECT 1;
