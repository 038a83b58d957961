//! Release builds for x86-64 Linux, linked by Rust's own LLD (the default there since 1.90), get
//! two linker options that keep an idle server's memory small (ADR 024):
//!
//! - `link-order.txt` (written by `scripts/startup-order.sh`) lists the functions a start and the
//!   first pages run; LLD places them first and together. Scattered, each first call maps 64 kB of
//!   unrelated code around it.
//! - Relative relocations are packed (RELR) when the C library loads them (glibc 2.36 and later):
//!   the loader then reads a few kilobytes of relocations at start instead of two megabytes.
//!
//! Elsewhere, with another linker chosen, or with `TIDINGS_LINK_ORDER=off`, the binary links as
//! usual.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=link-order.txt");
    println!("cargo:rerun-if-env-changed=TIDINGS_LINK_ORDER");
    let env = |key: &str| std::env::var(key).unwrap_or_default();
    let applies = env("PROFILE") == "release"
        && env("TARGET") == "x86_64-unknown-linux-gnu"
        && env("TIDINGS_LINK_ORDER") != "off"
        && !chooses_another_linker(&env("CARGO_ENCODED_RUSTFLAGS"))
        && std::env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_none()
        && links_with_lld(&env("RUSTC"));
    if !applies {
        return;
    }
    let order = PathBuf::from(env("CARGO_MANIFEST_DIR")).join("link-order.txt");
    if order.exists() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={},--no-warn-symbol-ordering",
            order.display()
        );
    }
    if glibc_loads_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether the flags pick a linker or linker flavour of their own (then ours may not apply).
fn chooses_another_linker(encoded_rustflags: &str) -> bool {
    encoded_rustflags.split('\x1f').any(|flag| {
        flag.contains("linker") || flag.contains("link-self-contained") || flag.contains("fuse-ld")
    })
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

/// Whether the C library the binary links against loads packed relocations: glibc marks that
/// with the version `GLIBC_ABI_DT_RELR` (2.36 and later), which LLD then makes the binary
/// require, so a host with an older glibc refuses it at start with a clear message.
fn glibc_loads_relr() -> bool {
    [
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/lib64/libc.so.6",
        "/usr/lib64/libc.so.6",
    ]
    .iter()
    .map(Path::new)
    .find(|p| p.exists())
    .and_then(|p| std::fs::read(p).ok())
    .is_some_and(|bytes| {
        bytes
            .windows(b"GLIBC_ABI_DT_RELR".len())
            .any(|w| w == b"GLIBC_ABI_DT_RELR")
    })
}
