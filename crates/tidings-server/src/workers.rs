//! Threads that serve client connections, one per core, each on a single-threaded runtime.
//!
//! The accept loop hands each new connection to the next thread in turn, and the connection stays
//! on that thread for its life: its reads, its handler and its writes never hop between threads,
//! which on a loaded machine is what keeps the slowest answers close to the typical one (the
//! work-stealing runtime moves ready connections between its workers and wakes them across
//! threads). Everything else (background work, the job runner, the accept loop) stays on the
//! process's main runtime.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use tokio::sync::mpsc;

/// Work sent to a thread: run inside its runtime, where it spawns the connection's task.
type Job = Box<dyn FnOnce() + Send>;

/// The connection threads, started with the first server of the process and kept for its life:
/// sockets a connection opens (to PostgreSQL, say) belong to the runtime it was on, and must stay
/// usable by the rest of the process after that connection and its server are gone.
struct Workers {
    senders: Vec<mpsc::UnboundedSender<Job>>,
    next: AtomicUsize,
}

static WORKERS: OnceLock<Option<Workers>> = OnceLock::new();

impl Workers {
    /// Starts one thread per available core.
    fn start() -> std::io::Result<Workers> {
        let count = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut senders = Vec::with_capacity(count);
        for i in 0..count {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
            std::thread::Builder::new()
                .name(format!("tidings-http-{i}"))
                .spawn(move || {
                    runtime.block_on(async move {
                        while let Some(job) = rx.recv().await {
                            job();
                        }
                    });
                })?;
            senders.push(tx);
        }
        Ok(Workers {
            senders,
            next: AtomicUsize::new(0),
        })
    }
}

/// Runs `job` within the runtime of the next connection thread in turn; `job` spawns the
/// connection's task there. If the threads could not be started, runs it on the calling runtime.
pub fn run(job: impl FnOnce() + Send + 'static) {
    let workers = WORKERS.get_or_init(|| match Workers::start() {
        Ok(workers) => Some(workers),
        Err(e) => {
            tracing::error!(error = %e, "cannot start the connection threads; serving from the main runtime");
            None
        }
    });
    match workers {
        Some(w) => {
            let i = w.next.fetch_add(1, Ordering::Relaxed) % w.senders.len();
            // The threads run for the life of the process, so their queues stay open.
            let _ = w.senders[i].send(Box::new(job));
        }
        None => job(),
    }
}
