//! When `link-order.txt` exists (written by `scripts/startup-order.sh`; not kept in the repository,
//! see ADR 024), release builds for x86-64 Linux link the code a start runs first and in that order,
//! so that the pages of the binary an idle server has touched are few: scattered, each first call
//! maps 64 kB of unrelated code around it.
//!
//! The ordering is an option of LLD, the linker Rust uses by default for that target since 1.90.
//! Elsewhere, with another linker chosen, or with `TIDINGS_LINK_ORDER=off`, the binary links as
//! usual.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=link-order.txt");
    println!("cargo:rerun-if-env-changed=TIDINGS_LINK_ORDER");
    let env = |key: &str| std::env::var(key).unwrap_or_default();
    let order = PathBuf::from(env("CARGO_MANIFEST_DIR")).join("link-order.txt");
    let wanted = env("PROFILE") == "release"
        && env("TARGET") == "x86_64-unknown-linux-gnu"
        && env("TIDINGS_LINK_ORDER") != "off"
        && !env("CARGO_ENCODED_RUSTFLAGS").contains("link")
        && std::env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_none()
        && order.exists()
        && links_with_lld(&env("RUSTC"));
    if wanted {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={},--no-warn-symbol-ordering",
            order.display()
        );
    }
}

/// Whether this compiler links x86-64 Linux binaries with its own LLD (1.90 and later).
fn links_with_lld(rustc: &str) -> bool {
    let Ok(out) = Command::new(rustc).arg("-vV").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let minor = text
        .lines()
        .find_map(|l| l.strip_prefix("release: 1."))
        .and_then(|rest| rest.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    minor.is_some_and(|m| m >= 90)
}
