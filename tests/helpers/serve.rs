//! `aduan serve` as a process of its own, for the tests that run it.

use std::future::Future;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aduan_sim::{SmartCityConfig, Sp4nConfig, WadulConfig};
use aduan_store::testing::TestStore;

use super::REPORTER_KEY;

const SECRET_ENV: &str = "ADUAN_SP4N_LAPOR_CLIENT_SECRET";

/// A running `aduan serve`; killed when dropped, if still running.
pub struct Serve {
    pub child: Child,
    pub base: String,
    log: PathBuf,
}

impl Serve {
    /// Starts `aduan [args] serve --listen 127.0.0.1:0` in `dir` and waits for the line with
    /// its address.
    pub async fn start(dir: &Path, args: &[&str]) -> Serve {
        Self::start_with_env(dir, args, &[]).await
    }

    /// [`Serve::start`] with `env` set besides the channels' secrets.
    pub async fn start_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Serve {
        let n = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
        let log = dir.join(format!("serve-{n}.log"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aduan"));
        cmd.current_dir(dir)
            .args(args)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_remove("ADUAN_DATABASE_URL")
            .env_remove("ADUAN_CONFIG")
            .env_remove("RUST_LOG")
            .env_remove("ADUAN_API_TOKEN")
            .env_remove("ADUAN_METRICS_TOKEN")
            .env("ADUAN_REPORTER_KEY", REPORTER_KEY)
            .env(SECRET_ENV, Sp4nConfig::default().client_secret)
            .env("ADUAN_SMART_CITY_TOKEN", SmartCityConfig::default().token)
            .env(
                "ADUAN_SMART_CITY_WEBHOOK_SECRET",
                SmartCityConfig::default().webhook_secret,
            )
            .env(
                "ADUAN_WADUL_ALADIN_APP_SECRET",
                WadulConfig::default().app_secret,
            )
            .env(
                "ADUAN_WADUL_ALADIN_VERIFY_TOKEN",
                WadulConfig::default().verify_token,
            )
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"));
        let mut child = cmd.spawn().expect("aduan serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        // Keeps reading, so that the process never writes into a closed pipe.
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        let mut serve = Serve {
            child,
            base: String::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(line) = rx.try_recv() {
                if let Some(rest) = line.strip_prefix("aduan serve: listening on ") {
                    let url = rest.split_whitespace().next().unwrap_or_default();
                    serve.base = url.to_string();
                    return serve;
                }
            }
            if let Ok(Some(status)) = serve.child.try_wait() {
                panic!(
                    "aduan serve exited ({status}) before listening:\n{}",
                    serve.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "aduan serve did not say where it listens within 60 s:\n{}",
                serve.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        match reqwest::get(self.url(path)).await {
            Ok(res) => {
                let status = res.status().as_u16();
                (status, res.text().await.unwrap_or_default())
            }
            Err(e) => (0, e.to_string()),
        }
    }

    /// Sends SIGTERM.
    pub fn term(&self) {
        self.signal("TERM");
    }

    /// Sends signal `name` (`TERM`, `HUP`).
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{name} {}", self.child.id());
    }

    /// Waits for the process to exit.
    pub async fn exited(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "aduan serve did not exit within {within:?} of SIGTERM:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, then a clean exit within 30 s.
    pub async fn stop(&mut self) {
        self.term();
        let status = self.exited(Duration::from_secs(30)).await;
        assert!(status.success(), "exit {status}:\n{}", self.log());
        assert!(self.log().contains("Stopped."), "{}", self.log());
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls `probe` until it gives a value, or fails after `within` with `what` and `context`.
pub async fn eventually<T, Fut>(
    what: &str,
    within: Duration,
    context: impl Fn() -> String,
    mut probe: impl FnMut() -> Fut,
) -> T
where
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "waited {within:?} for {what}, in vain:\n{}",
            context()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The URL a process of its own uses for the test's store.
pub fn database_url(ts: &TestStore) -> String {
    match &ts.schema {
        Some(schema) => format!("{}?options=-c%20search_path%3D{schema}", ts.url),
        None => ts.url.clone(),
    }
}

/// Writes `aduan.toml` in `dir` and returns the arguments pointing at it.
pub fn config(dir: &Path, ts: &TestStore, tables: &[String]) -> Vec<String> {
    let path = dir.join("aduan.toml");
    let text = format!(
        "[store]\nurl = \"{}\"\n\n{}",
        database_url(ts),
        tables.join("\n")
    );
    std::fs::write(&path, text).expect("config written");
    vec!["--config".into(), path.display().to_string()]
}

pub fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
