// Starts `tidings demo` on a free loopback port and launches Debian's Chromium, headless and offline.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../..");

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
    srv.on("error", fail);
  });
}

async function waitReady(url, child) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tidings exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} never became ready`);
}

/** Starts the demo site (with extra `TIDINGS_*` settings); returns its URL and a stop function. */
export async function startDemo(extraEnv = {}) {
  return start("demo", extraEnv);
}

/** Starts `tidings serve` on an empty data folder, as a new outlet would. */
export async function startEmpty(extraEnv = {}) {
  return start("serve", extraEnv);
}

async function start(command, extraEnv) {
  const bin = process.env.TIDINGS_BIN ?? join(root, "target/debug/tidings");
  const dataDir = mkdtempSync(join(tmpdir(), "tidings-browser-"));
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TIDINGS_")));
  // Digests go out only when a test sends one.
  const child = spawn(bin, [command, "--data-dir", dataDir, "--listen", `127.0.0.1:${port}`], {
    env: { ...env, RUST_LOG: "warn", TIDINGS_NEWSLETTER__DIGEST_TIME: "off", ...extraEnv },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // `serve` prints the one-time code that the first-run setup page asks for.
  let printed = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    printed += chunk;
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child);
  return {
    url,
    dataDir,
    /** The setup code `serve` printed at start. */
    setupCode() {
      const found = printed.match(/setup code (\S+)/);
      if (!found) throw new Error(`no setup code printed: ${printed}`);
      return found[1];
    },
    /** Runs a `tidings` command beside the live demo, on its data. */
    run(args) {
      const result = spawnSync(bin, [...args, "--data-dir", dataDir], {
        env: { ...env, RUST_LOG: "warn", TIDINGS_SITE__URL: url, TIDINGS_NEWSLETTER__DIGEST_TIME: "off" },
        encoding: "utf8",
      });
      if (result.status !== 0) throw new Error(`tidings ${args.join(" ")}: ${result.stdout}${result.stderr}`);
      return result.stdout;
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** First run: /admin/ leads to the setup page, which takes the code `serve` printed and creates
 * the owner, Olu Owner <owner@example.org>; ends signed in on the dashboard. */
export async function createOwner(page, site) {
  await page.goto(`${site.url}/admin/`);
  await page.waitForURL(/\/admin\/setup$/);
  await page.getByLabel("Setup code").fill(site.setupCode());
  await page.getByLabel("Your name").fill("Olu Owner");
  await page.getByLabel("Email").fill("owner@example.org");
  await page.getByLabel("Password", { exact: true }).fill("a long and careful passphrase");
  await page.getByLabel("Password again").fill("a long and careful passphrase");
  await page.getByRole("button", { name: "Create the owner account" }).click();
  await page.waitForURL(/\/admin\/$/);
}

/** Launches headless Chromium; Playwright gives it a fresh, empty profile of its own. */
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** The newest message in the demo's outbox sent to `to`, decoded from quoted-printable. */
export async function mailTo(dataDir, to, matching = /./) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    let names = [];
    try {
      names = readdirSync(join(dataDir, "outbox")).filter((n) => n.endsWith(".eml")).sort().reverse();
    } catch {
      // no outbox yet
    }
    for (const name of names) {
      const raw = readFileSync(join(dataDir, "outbox", name), "utf8");
      const text = raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
      if (new RegExp(`^To: .*${to}`, "mi").test(text) && matching.test(text)) return text;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no message to ${to} in the outbox`);
}

/** The first URL in `text` that starts with `prefix`. */
export function linkIn(text, prefix) {
  const at = text.indexOf(prefix);
  if (at < 0) throw new Error(`no link ${prefix}`);
  return text.slice(at).split(/[\s"<>]/)[0];
}

/**
 * A small SMTP server on loopback that keeps what it receives (enough of RFC 5321 for Tidings'
 * mailer): returns its `smtp://` URL, the received messages and a stop function.
 */
export async function startSmtp() {
  const { createServer: createTcp } = await import("node:net");
  const messages = [];
  const server = createTcp((socket) => {
    let buffer = "";
    let data = null;
    let to = [];
    const reply = (line) => socket.write(line + "\r\n");
    reply("220 tidings-browser-test ESMTP");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      let at;
      while ((at = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (data !== null) {
          if (line === ".") {
            messages.push({ to, data: data.join("\r\n") });
            data = null;
            to = [];
            reply("250 queued");
          } else {
            data.push(line.startsWith("..") ? line.slice(1) : line);
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") reply("250-tidings-browser-test\r\n250 8BITMIME");
        else if (verb === "HELO" || verb === "MAIL" || verb === "RSET" || verb === "NOOP") reply("250 ok");
        else if (verb === "RCPT") { to.push(line.replace(/^RCPT TO:\s*<?([^>]*)>?.*$/i, "$1")); reply("250 ok"); }
        else if (verb === "DATA") { data = []; reply("354 go ahead"); }
        else if (verb === "QUIT") { reply("221 bye"); socket.end(); }
        else reply("502 not implemented");
      }
    });
    socket.on("error", () => {});
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    /** Waits for a message to `to` whose text matches. */
    async waitFor(to, matching = /./) {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const found = messages.find((m) => m.to.includes(to) && matching.test(m.data));
        if (found) return found.data.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no message to ${to}`);
    },
    stop: () => new Promise((ok) => server.close(ok)),
  };
}
