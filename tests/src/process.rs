//! `mulin serve` as a real child process: for load runs and for killing it mid-spike.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::spike::Target;

/// A running `mulin serve --demo`.
pub struct ServerProcess {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// The demo show's host token it printed.
    pub host_token: String,
    /// The demo show it printed.
    pub show: mulin_shared::ShowId,
}

/// The `mulin` binary of the current build profile, built on demand when missing.
pub fn mulin_binary() -> Result<PathBuf, String> {
    if let Ok(path) = std::env::var("MULIN_BIN") {
        return Ok(PathBuf::from(path));
    }
    // Test and tool binaries live in target/<profile>/ or target/<profile>/deps/.
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = exe.parent().ok_or("no folder")?;
    let profile_dir = if dir.ends_with("deps") {
        dir.parent().ok_or("no folder")?
    } else {
        dir
    };
    let bin = profile_dir.join("mulin");
    if !bin.is_file() {
        let release = profile_dir.ends_with("release");
        let mut cargo =
            std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cargo.args(["build", "-p", "mulin-backend", "--bin", "mulin"]);
        if release {
            cargo.arg("--release");
        }
        let status = cargo
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() || !bin.is_file() {
            return Err(format!("could not build {}", bin.display()));
        }
    }
    Ok(bin)
}

impl ServerProcess {
    /// Starts `mulin serve --demo` on a free loopback port with the database `db`.
    pub async fn start(db: &Path, max_batch: usize) -> Result<ServerProcess, String> {
        ServerProcess::start_at(db, max_batch, "127.0.0.1:0").await
    }

    /// Starts `mulin serve --demo` on `bind` (e.g. the address of a server just stopped).
    pub async fn start_at(
        db: &Path,
        max_batch: usize,
        bind: &str,
    ) -> Result<ServerProcess, String> {
        ServerProcess::launch(
            db,
            max_batch,
            bind,
            Path::new("no-widget-needed"),
            None,
            false,
            &[],
        )
        .await
    }

    /// Starts `mulin serve --demo` logging everything (`RUST_LOG=debug`), then closes the reading
    /// ends of its stdout and stderr once it has printed its links: every later line it writes
    /// fails (EPIPE), like a log collector that went away.
    pub async fn start_with_closed_output(db: &Path) -> Result<ServerProcess, String> {
        ServerProcess::launch(
            db,
            4096,
            "127.0.0.1:0",
            Path::new("no-widget-needed"),
            None,
            true,
            &[],
        )
        .await
    }

    /// Starts `mulin serve --demo` on a free loopback port with `args` added to its command line.
    pub async fn start_with_args(db: &Path, args: &[&str]) -> Result<ServerProcess, String> {
        ServerProcess::launch(
            db,
            4096,
            "127.0.0.1:0",
            Path::new("no-widget-needed"),
            None,
            false,
            args,
        )
        .await
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops it with SIGTERM and returns how it ended.
    pub async fn stop_status(mut self) -> Option<std::process::ExitStatus> {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        self.child.wait().await.ok()
    }

    /// Starts `mulin serve --demo` on a free loopback port in a process that may open `soft` files,
    /// and `hard` once it raises its own limit.
    pub async fn start_with_open_files(
        db: &Path,
        soft: u64,
        hard: u64,
    ) -> Result<ServerProcess, String> {
        let limits = Some((soft, hard));
        ServerProcess::launch(
            db,
            4096,
            "127.0.0.1:0",
            Path::new("no-widget-needed"),
            limits,
            false,
            &[],
        )
        .await
    }

    /// Starts `mulin serve --demo` on `bind`, serving the built widget from the repository's dist/
    /// (for browser tests that restart the server under a page).
    pub async fn start_with_widget(db: &Path, bind: &str) -> Result<ServerProcess, String> {
        ServerProcess::launch(
            db,
            4096,
            bind,
            &crate::repo_root().join("dist"),
            None,
            false,
            &[],
        )
        .await
    }

    async fn launch(
        db: &Path,
        max_batch: usize,
        bind: &str,
        dist: &Path,
        open_files: Option<(u64, u64)>,
        close_output: bool,
        extra: &[&str],
    ) -> Result<ServerProcess, String> {
        let mulin = mulin_binary()?;
        let mut command = match open_files {
            None => Command::new(mulin),
            // The shell sets both limits, lowers the soft one, and becomes mulin (same process and pid).
            Some((soft, hard)) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(r#"ulimit -n "$1" && ulimit -S -n "$2" && shift 2 && exec "$@""#)
                    .arg("sh")
                    .arg(hard.to_string())
                    .arg(soft.to_string())
                    .arg(mulin);
                sh
            }
        };
        let mut child = command
            .args(["serve", "--demo", "--bind", bind])
            .arg("--dist")
            .arg(dist)
            .arg("--db")
            .arg(db)
            .arg("--max-batch")
            .arg(max_batch.to_string())
            .args(extra)
            .env(
                "RUST_LOG",
                if close_output {
                    "debug".to_string()
                } else {
                    // MULIN_TEST_LOG=mulin_backend=debug shows a test server's whole log.
                    std::env::var("MULIN_TEST_LOG").unwrap_or_else(|_| "warn".into())
                },
            )
            .stdout(Stdio::piped())
            .stderr(if close_output {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start mulin: {e}"))?;
        // Logging everything, the server would fill an unread stderr pipe and stall before its
        // links: read it until they are printed, then close it.
        let stderr_reader = child.stderr.take().map(|err| {
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(async move {
                let mut lines = BufReader::new(err).lines();
                tokio::select! {
                    _ = async { while let Ok(Some(_)) = lines.next_line().await {} } => {}
                    _ = stopped => {}
                }
            });
            (stop, task)
        });
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let (mut addr, mut host_token, mut show) = (None, None, None);
        while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
            if let Some(rest) = line.strip_prefix("Mulin Live is running on http://") {
                addr = rest.split_whitespace().next().and_then(|a| a.parse().ok());
            }
            if let Some((page, token)) = line.split_once("/host?token=") {
                host_token = Some(token.trim().to_string());
                show = page.rsplit('/').next().and_then(|s| s.parse().ok());
            }
            if line.starts_with("Press Ctrl-C") {
                break;
            }
        }
        if close_output {
            // Both pipes' reading ends close here: the server's next write to either fails.
            drop(lines);
            if let Some((stop, task)) = stderr_reader {
                let _ = stop.send(());
                let _ = task.await;
            }
        } else {
            // Keep draining stdout so the child never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        }
        match (addr, host_token, show) {
            (Some(addr), Some(host_token), Some(show)) => Ok(ServerProcess {
                child,
                addr,
                host_token,
                show,
            }),
            _ => Err("mulin did not print its address and host link".into()),
        }
    }

    /// The process id (for /proc readings).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// `ws://…/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// This server as a load target: its demo show, with the host token it printed.
    pub fn target(&self) -> Target {
        Target {
            ws_url: self.ws_url(),
            http: self.addr,
            show: self.show,
            host_token: self.host_token.clone(),
        }
    }

    /// Kills it with SIGKILL — no shutdown, no flush — and waits for it to be gone.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }

    /// Stops it with SIGTERM and waits.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        let _ = self.child.wait().await;
    }
}

/// A peer server for side-by-side fan-out runs: the Node.js `ws` broadcast server of
/// tests/peers/ws-broadcast (`npm install` there first; `make bench` does), or the `floor-peer`
/// binary built beside this one.
pub struct PeerProcess {
    child: Child,
    /// Where it listens.
    pub addr: std::net::SocketAddr,
}

impl PeerProcess {
    /// Starts `node server.js` on a free loopback port.
    pub async fn start_node() -> Result<PeerProcess, String> {
        let dir = crate::repo_root().join("tests/peers/ws-broadcast");
        if !dir.join("node_modules/ws").is_dir() {
            return Err(format!(
                "the peer's packages are missing: run `npm install` in {}",
                dir.display()
            ));
        }
        let mut node = Command::new("node");
        node.arg("server.js").current_dir(&dir);
        PeerProcess::start(node).await
    }

    /// Starts the `floor-peer` binary at `bin` on a free loopback port, its clock running
    /// `clock_ahead_ms` ahead of the machine's (as a server elsewhere might).
    pub async fn start_floor(bin: &Path, clock_ahead_ms: i64) -> Result<PeerProcess, String> {
        if !bin.is_file() {
            return Err(format!(
                "{} is missing: cargo build --release -p mulin-tests",
                bin.display()
            ));
        }
        let mut floor = Command::new(bin);
        floor.env("CLOCK_AHEAD_MS", clock_ahead_ms.to_string());
        PeerProcess::start(floor).await
    }

    /// Runs `command` with PORT=0 and reads the `listening IP:PORT` line it prints first.
    async fn start(mut command: Command) -> Result<PeerProcess, String> {
        let mut child = command
            .env("PORT", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start the peer: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = lines
            .next_line()
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the peer exited before listening")?;
        let addr = line
            .strip_prefix("listening ")
            .and_then(|a| a.trim().parse().ok())
            .ok_or_else(|| format!("unexpected first line from the peer: {line}"))?;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(PeerProcess { child, addr })
    }

    /// The process id (for /proc readings).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// `ws://…/`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// This peer as a fan-out target (it serves show 1 and takes any host token).
    pub fn target(&self) -> Target {
        Target {
            ws_url: self.ws_url(),
            http: self.addr,
            show: 1,
            host_token: "peer".into(),
        }
    }

    /// Stops it and waits.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
