//! Photos' AVIF copies made by the binary: through encoder processes of its own, and the encoder
//! ending with whatever started it.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod process;
use process::{start_site, text, tidings, wait_ready};

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("run tidings")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_gets_avif_copies_from_encoder_processes_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = start_site(dir.path(), "demo", "data");
    wait_ready(&url).await;
    let start = Instant::now();
    loop {
        let home = reqwest::get(&url).await.unwrap().text().await.unwrap();
        if home.contains("<source type=\"image/avif\"") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "no card offered AVIF within 90 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let made: Vec<_> = std::fs::read_dir(dir.path().join("data/media/demo"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "avif"))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    assert!(made.len() >= 3, "one photo's three widths at least");
    assert!(made.iter().all(|f| &f[4..12] == b"ftypavif"));

    // The encoder on its own: a photo that is not there fails, naming it, and writes nothing.
    let out = run(tidings(dir.path()).args([
        "avif-encode",
        "data/media",
        "demo/missing.jpg",
        "--widths=480,800",
        "--webp",
    ]));
    assert!(!out.status.success());
    assert!(
        text(&out).contains("demo/missing-480w.jpg"),
        "{}",
        text(&out)
    );
    assert!(!dir
        .path()
        .join("data/media/demo/missing-480w.avif")
        .exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_avif_encoder_ends_with_the_process_that_started_it() {
    // A photo large enough to take the encoder several seconds.
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    std::fs::create_dir_all(media.join("big")).unwrap();
    let photo = image::ImageBuffer::from_fn(4000, 2250, |x, y| {
        let v = ((x * 7 + y * 13) ^ (x * y)) % 256;
        image::Rgb([v as u8, (v / 2) as u8, 255 - v as u8])
    });
    photo.save(media.join("big/photo.jpg")).unwrap();
    // Its parent, a shell, waits for it; the encoder is the shell's only child.
    let mut shell = Command::new("sh")
        .arg("-c")
        .arg("\"$0\" avif-encode \"$1\" big/photo.jpg & wait")
        .arg(env!("CARGO_BIN_EXE_tidings"))
        .arg(&media)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let encoder = loop {
        if let Some(pid) = encoder_of(shell.id()) {
            break pid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no encoder started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(alive(encoder), "still encoding");
    shell.kill().unwrap();
    shell.wait().unwrap();
    let killed = Instant::now();
    while alive(encoder) {
        assert!(
            killed.elapsed() < Duration::from_secs(2),
            "the encoder outlived the process that started it"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!media.join("big/photo.avif").exists(), "nothing written");
}

/// A running `tidings avif-encode` whose parent is `parent`.
fn encoder_of(parent: u32) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
        // The fields after the command name: state, then the parent's pid.
        let ppid: u32 = stat.rsplit_once(") ")?.1.split(' ').nth(1)?.parse().ok()?;
        let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
        (ppid == parent && cmdline.windows(11).any(|w| w == b"avif-encode")).then_some(pid)
    })
}

/// Whether the process still runs (one that has exited but is not yet reaped does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
        .unwrap_or(false)
}
