//! `tidings avif-encode`: one photo's AVIF copies, in a process the background job starts and
//! waits for. It answers on standard output with `made` or `not smaller`, and fails with the
//! reason on standard error.

use std::process::ExitCode;

use tidings_jobs::avif::{lower_priority, MADE, NOT_SMALLER};

use crate::cli::AvifEncode;

/// Encodes at the lowest priority; the process ends, and its memory goes back to the system.
pub fn encode(args: &AvifEncode) -> ExitCode {
    lower_priority();
    // A server that stops (or is killed) takes its encoder with it: the photo stays waiting and is
    // taken again from the start by the next run, and nothing keeps writing into its media folder.
    if let Err(e) =
        rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::TERM))
    {
        tracing::debug!(error = %e, "the encoder will outlive a server that stops");
    }
    match tidings_media::library::make_avif(&args.path, &args.widths, args.webp, &args.media_dir) {
        Ok(Some(_)) => {
            println!("{MADE}");
            ExitCode::SUCCESS
        }
        Ok(None) => {
            println!("{NOT_SMALLER}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
