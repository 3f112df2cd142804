//! Real headless Chromium driven through chromedriver (WebDriver), for end-to-end tests of the widget.
//!
//! Each [`Browser`] starts its own chromedriver on a free loopback port with a fresh profile, and
//! stops both when dropped.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::{TestServer, fresh_phone};

/// The Tab key, for [`Browser::press`].
pub const TAB: &str = "\u{E004}";
/// The Enter key, for [`Browser::press`].
pub const ENTER: &str = "\u{E007}";

/// How long a browser test waits for something to appear on the page.
pub const PAGE_WAIT: Duration = Duration::from_secs(20);

/// Fails the test, saying how to build it, unless the widget is built in dist/.
pub fn dist_is_built() {
    assert!(
        crate::repo_root().join("dist/index.html").is_file(),
        "dist/index.html is missing: run `make test` (it builds the widget first)"
    );
}

/// A running chromedriver and a Chromium session on it.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn program(env: &str, default: &str) -> String {
    std::env::var(env).unwrap_or_else(|_| default.to_string())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium window of `width`×`height` CSS pixels.
    pub async fn start(width: u32, height: u32) -> Browser {
        let chromedriver = program("CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = program("CHROMIUM", "/usr/bin/chromium");
        assert!(
            std::path::Path::new(&chromedriver).exists()
                && std::path::Path::new(&chromium).exists(),
            "browser tests need {chromium} and {chromedriver}: run `make test`, which installs them"
        );
        let port = free_port();
        let driver = Command::new(&chromedriver)
            // Its own process group, so that Chromium goes with it even when a test panics before
            // closing the session (killing chromedriver alone left Chromium running).
            .process_group(0)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("profile folder");
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--hide-scrollbars", "--force-device-scale-factor=1",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--window-size={width},{height}"),
                ]
            }
        });
        let caps = caps.as_object().cloned().unwrap_or_default();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let client = loop {
            let attempt = ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await;
            match attempt {
                Ok(client) => break client,
                Err(e) if std::time::Instant::now() > deadline => {
                    panic!("chromedriver at {url} did not start a session: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        // Headless Chromium's window includes no chrome, so the viewport is the window size.
        let _ = client.set_window_size(width, height).await;
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Draws the page as it would print (CSS `@media print`), through chromedriver's DevTools
    /// command: a screenshot then shows what paper would.
    pub async fn emulate_print(&self) {
        let media = DevTools {
            cmd: "Emulation.setEmulatedMedia",
            params: json!({ "media": "print" }),
        };
        tokio::time::timeout(PAGE_WAIT, self.client.issue_cmd(media))
            .await
            .expect("chromedriver answers in time")
            .expect("print media");
    }

    /// Gives the file input matching `css` the file at `path` (as a person choosing it would).
    pub async fn choose_file(&self, css: &str, path: &std::path::Path) {
        let input = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        input
            .send_keys(&path.display().to_string())
            .await
            .unwrap_or_else(|e| panic!("choosing {} in {css}: {e}", path.display()));
    }

    /// Opens `url`.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("page opens");
    }

    /// The resident widget of `ts`'s show in a `width`×`height` window, connected.
    pub async fn resident(ts: &TestServer, width: u32, height: u32) -> Browser {
        let page = Browser::start(width, height).await;
        page.open(&format!("{}/show/{}", ts.http_url(), ts.show))
            .await;
        page.wait_live().await;
        page
    }

    /// The host console of `ts`'s show in a `width`×`height` window, connected.
    pub async fn host_console(ts: &TestServer, width: u32, height: u32) -> Browser {
        let host = Browser::start(width, height).await;
        host.open(&format!(
            "{}/show/{}/host?token={}",
            ts.http_url(),
            ts.show,
            ts.host_token
        ))
        .await;
        host.wait_live().await;
        host
    }

    /// Waits until the page's connection badge says it is live.
    pub async fn wait_live(&self) {
        self.wait_attr("#link-state", "data-link", |s| s == "online")
            .await;
    }

    /// Signs in through the widget's form with `nickname` and a fresh phone number (the community
    /// is offered already), and waits for Buy.
    pub async fn sign_in(&self, nickname: &str) {
        // The form stands below the deal card, drawn a moment after the show has loaded.
        self.wait_attr("#nickname", "id", |_| true).await;
        self.type_into("#nickname", nickname).await;
        self.type_into("#phone", &fresh_phone()).await;
        self.click("#sign-in").await;
        self.wait_attr("#buy", "data-state", |s| !s.is_empty())
            .await;
    }

    /// Asks `probe` every 100 ms until it answers; fails the test (with a screenshot) after
    /// [`PAGE_WAIT`], naming `what` was awaited.
    async fn poll<T>(&self, what: &str, probe: impl AsyncFn() -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + PAGE_WAIT;
        loop {
            if let Some(found) = probe().await {
                return found;
            }
            if tokio::time::Instant::now() > deadline {
                let shot = self.screenshot("failure").await;
                // The page's words go into the message too: CI keeps the log, not the picture.
                let words = self
                    .client
                    .execute("return document.body.innerText", vec![])
                    .await
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                panic!(
                    "waited {PAGE_WAIT:?} for {what}; page saved to {}; it read:\n{words}",
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The attribute `name` of the element matching `css`: `None` without such an element,
    /// `Some(None)` if it lacks the attribute.
    pub async fn attr(&self, css: &str, name: &str) -> Option<Option<String>> {
        let el = self.client.find(Locator::Css(css)).await.ok()?;
        el.attr(name).await.ok()
    }

    /// Waits until the element matching `css` exists and `check` accepts its text; returns the text.
    pub async fn wait_text(&self, css: &str, check: impl Fn(&str) -> bool) -> String {
        self.poll(&format!("the text of {css}"), async || {
            let el = self.client.find(Locator::Css(css)).await.ok()?;
            el.text().await.ok().filter(|t| check(t))
        })
        .await
    }

    /// Waits until the element matching `css` has attribute `name` accepted by `check`.
    pub async fn wait_attr(&self, css: &str, name: &str, check: impl Fn(&str) -> bool) -> String {
        self.poll(&format!("{css}[{name}]"), async || {
            self.attr(css, name).await.flatten().filter(|v| check(v))
        })
        .await
    }

    /// Types into the element matching `css` (after clearing it), once it exists: a form may be
    /// drawn only after the server has confirmed the page's role, a moment after it is online.
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self
            .poll(&format!("{css} to type into"), async || {
                self.client.find(Locator::Css(css)).await.ok()
            })
            .await;
        el.clear().await.expect("input clears");
        el.send_keys(text).await.expect("typing works");
    }

    /// Chooses `value` in the `<select>` whose id is `id`, as a person picking from its list does
    /// (the page hears `change`).
    pub async fn choose(&self, id: &str, value: &str) {
        self.wait_attr(&format!("#{id}"), "id", |_| true).await;
        self.client
            .execute(
                "const s = document.getElementById(arguments[0]); s.value = arguments[1]; \
                 s.dispatchEvent(new Event('change'));",
                vec![serde_json::json!(id), serde_json::json!(value)],
            )
            .await
            .unwrap_or_else(|e| panic!("choosing {value} in #{id}: {e}"));
    }

    /// Clicks the element matching `css` once it exists and is enabled.
    pub async fn click(&self, css: &str) {
        self.poll(&format!("{css} to be enabled"), async || {
            matches!(self.attr(css, "disabled").await, Some(None)).then_some(())
        })
        .await;
        // The page may draw the element again between finding it and clicking it (a live update):
        // a stale element was not clicked, so the click goes to the new one, as a person's would.
        let mut tries = 0;
        loop {
            let el = self
                .client
                .find(Locator::Css(css))
                .await
                .expect("element exists");
            match el.click().await {
                Ok(_) => return,
                Err(e) if tries < 20 && format!("{e:?}").contains("StaleElementReference") => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("clicking {css} failed: {e}"),
            }
        }
    }

    /// The box of the element matching `css` in CSS pixels: `[left, top, right, bottom]`.
    pub async fn rect(&self, css: &str) -> [f64; 4] {
        let v = self
            .client
            .execute(
                "const r = document.querySelector(arguments[0]).getBoundingClientRect();\
                 return [r.left, r.top, r.right, r.bottom];",
                vec![json!(css)],
            )
            .await
            .unwrap_or_else(|e| panic!("no box for {css}: {e}"));
        let n = |i: usize| v[i].as_f64().unwrap_or(f64::NAN);
        [n(0), n(1), n(2), n(3)]
    }

    /// Whether the page is wider than the window (it can be scrolled sideways).
    pub async fn scrolls_sideways(&self) -> bool {
        self.client
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth;",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .expect("page width")
    }

    /// Presses keys (WebDriver key codes, e.g. [`TAB`], [`ENTER`]) on whatever has the focus.
    pub async fn press(&self, keys: &str) {
        let focused = self
            .client
            .active_element()
            .await
            .expect("a focused element");
        focused.send_keys(keys).await.expect("keys sent");
    }

    /// The focused element, described as its id, else its accessible label, else its tag.
    pub async fn focused(&self) -> String {
        self.client
            .execute(
                "const e = document.activeElement; \
                 return e.id || e.getAttribute('aria-label') || e.tagName.toLowerCase();",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Controls (buttons, fields, links) that a screen reader would announce without a name: no
    /// `aria-label`, no `aria-labelledby`, no `<label>`, no text of their own.
    pub async fn unnamed_controls(&self) -> Vec<String> {
        let v = self
            .client
            .execute(
                "return [...document.querySelectorAll('button, input, select, textarea, a[href]')] \
                 .filter(e => { \
                   const by = e.getAttribute('aria-labelledby'); \
                   const named = (e.getAttribute('aria-label') || '').trim() \
                     || (by && by.split(' ').map(i => document.getElementById(i)?.textContent || '').join('').trim()) \
                     || [...(e.labels || [])].map(l => l.textContent).join('').trim() \
                     || (e.tagName !== 'INPUT' && e.tagName !== 'SELECT' && e.textContent.trim()); \
                   return !named; }) \
                 .map(e => e.outerHTML.slice(0, 120));",
                vec![],
            )
            .await
            .expect("controls listed");
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Switches into the page's first frame (an embedded widget); `leave_frame` switches back.
    pub async fn enter_frame(&self) {
        self.poll("a frame to enter", async || {
            self.client.enter_frame(0).await.ok()
        })
        .await;
    }

    /// Switches back to the top page.
    pub async fn leave_frame(&self) {
        self.client
            .enter_parent_frame()
            .await
            .expect("back to the page");
    }

    /// Saves a PNG of the page under target/screenshots/NAME.png and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = crate::repo_root().join("target").join("screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("{name}.png"));
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(&path, png);
        }
        path
    }

    /// Ends the session and stops chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        // Dropping stops chromedriver and anything left of its Chromium.
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: chromedriver and the Chromium processes it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A DevTools command through chromedriver (`POST /session/{id}/goog/cdp/execute`).
#[derive(Debug)]
struct DevTools {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}
