//! Hearing of new content generations the moment another process commits them (PostgreSQL
//! `LISTEN/NOTIFY`; the trigger on `site_state` announces each one).

use sqlx::postgres::PgListener;

use crate::db::{Backend, Store};
use crate::error::StoreError;

/// The channel the `site_state` trigger announces on.
const CHANNEL: &str = "tidings_generation";

/// A connection of its own that waits for announced generations.
pub struct GenerationListener(PgListener);

impl std::fmt::Debug for GenerationListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GenerationListener")
    }
}

impl Store {
    /// Starts listening for generations announced by any process writing to this database;
    /// `None` on SQLite, which has no such channel (servers read the generation instead).
    pub async fn listen_generations(&self) -> Result<Option<GenerationListener>, StoreError> {
        if self.backend() != Backend::Postgres {
            return Ok(None);
        }
        let mut listener = PgListener::connect(&self.url).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(GenerationListener(listener)))
    }
}

impl GenerationListener {
    /// Waits for the next announcement: `Some(generation)`, or `None` when the connection dropped
    /// and was made again, so announcements may have been missed and the generation must be read.
    pub async fn next(&mut self) -> Result<Option<i64>, StoreError> {
        loop {
            match self.0.try_recv().await? {
                None => return Ok(None),
                Some(note) => {
                    if let Ok(generation) = note.payload().parse() {
                        return Ok(Some(generation));
                    }
                }
            }
        }
    }
}
