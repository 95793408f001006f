//! A real browser for the web tests: Debian's Chromium, headless, driven over
//! WebDriver by `chromedriver` (both installed by `scripts/test`), with axe-core
//! (from the npm registry, also installed by `scripts/test`) for accessibility, and
//! the web app started in front of a test federation's gateway.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

/// A headless Chromium over WebDriver, and the chromedriver serving it.
pub struct Browser {
    pub client: Client,
    driver: tokio::process::Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, 1280 px wide, asking for `lang`.
    pub async fn start(lang: &str) -> Browser {
        let port = free_port();
        let driver = tokio::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver must be installed (scripts/test installs chromium-driver)");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
                    "--window-size=1280,900", format!("--lang={lang}"),
                ],
                "prefs": { "intl.accept_languages": lang },
            }),
        );
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let client = loop {
            let attempt = ClientBuilder::rustls()
                .expect("a WebDriver client")
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await;
            match attempt {
                Ok(client) => break client,
                Err(error) => {
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "chromedriver did not start: {error}"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        Browser { client, driver }
    }

    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap(),
            Err(error) => {
                let url = self.client.current_url().await.map(|u| u.to_string());
                let source = self.client.source().await.unwrap_or_default();
                panic!("no {css} on the page {url:?}: {error}\n{source}")
            }
        }
    }

    /// Whether an element matches `css`.
    pub async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// Types `value` into the field with id `id`, replacing what was there.
    pub async fn fill(&self, id: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("no field #{id}: {e}"));
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Chooses the file at `path` in the file field with id `id`.
    pub async fn choose_file(&self, id: &str, path: &std::path::Path) {
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("no file field #{id}: {e}"))
            .send_keys(&path.display().to_string())
            .await
            .unwrap();
    }

    /// Types `value` into the first field matching `css`.
    pub async fn fill_css(&self, css: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no field {css}: {e}"));
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} to click: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Clicks the element matching `css` (a link or a form's button) and waits
    /// until the next page has loaded.
    pub async fn press(&self, css: &str) {
        self.run("window.__passage_before = true; return null;")
            .await;
        self.click(css).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let loaded = self
                .client
                .execute(
                    "return window.__passage_before === undefined && document.readyState === 'complete';",
                    Vec::new(),
                )
                .await;
            if matches!(loaded, Ok(serde_json::Value::Bool(true))) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "pressing {css} led to no new page"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The page's path.
    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Runs a script and returns its value.
    pub async fn run(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, Vec::new()).await.unwrap()
    }

    /// The serious and critical accessibility violations axe-core finds on the page.
    pub async fn axe_violations(&self) -> Vec<String> {
        let axe = std::fs::read_to_string(axe_file()).unwrap_or_else(|e| {
            panic!(
                "axe-core is missing at {} ({e}): scripts/test installs it",
                axe_file().display()
            )
        });
        self.client.execute(&axe, Vec::new()).await.unwrap();
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, { resultTypes: ['violations'] }).then(r => done(\
                   r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\
                     .map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))));",
                Vec::new(),
            )
            .await
            .unwrap();
        serde_json::from_value(found).unwrap()
    }

    /// Checks the page as a person would meet it: no serious or critical axe
    /// violation, and at a 360-pixel-wide phone no sideways scrolling.
    pub async fn check_page(&self, what: &str) {
        let violations = self.axe_violations().await;
        assert!(violations.is_empty(), "{what}: {violations:#?}");
        self.client.set_window_size(360, 800).await.unwrap();
        let fits = self
            .run("return document.documentElement.scrollWidth <= window.innerWidth;")
            .await;
        self.client.set_window_size(1280, 900).await.unwrap();
        assert_eq!(
            fits,
            serde_json::Value::Bool(true),
            "{what}: scrolls sideways at 360 px"
        );
    }

    /// Saves a screenshot of the page to `docs/screenshots/<name>.png` when
    /// `PASSAGE_UPDATE_SCREENSHOT=1` (and always to the test's own folder, `into`).
    /// Also at a 360-pixel phone's width, as `<name>-phone.png`.
    pub async fn screenshot(&self, into: &std::path::Path, name: &str) {
        let wide = self.client.screenshot().await.unwrap();
        self.client.set_window_size(360, 800).await.unwrap();
        let phone = self.client.screenshot().await.unwrap();
        self.client.set_window_size(1280, 900).await.unwrap();
        for (file, png) in [
            (format!("{name}.png"), wide),
            (format!("{name}-phone.png"), phone),
        ] {
            std::fs::write(into.join(&file), &png).unwrap();
            if std::env::var_os("PASSAGE_UPDATE_SCREENSHOT").is_some() {
                let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
                std::fs::create_dir_all(&docs).unwrap();
                std::fs::write(docs.join(&file), &png).unwrap();
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill().await;
    }
}

/// Where axe-core's script is: `PASSAGE_AXE_FILE`, or where `scripts/test` puts it.
fn axe_file() -> PathBuf {
    match std::env::var_os("PASSAGE_AXE_FILE") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/axe/node_modules/axe-core/axe.min.js"),
    }
}

/// The web app, started in front of `gateway` (over TLS, trusting `ca`); its address.
pub async fn start_web(
    gateway: String,
    ca: PathBuf,
    web_identity: Option<(PathBuf, PathBuf)>,
) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (cert_file, key_file) = match web_identity {
        Some((cert, key)) => (Some(cert), Some(key)),
        None => (None, None),
    };
    let settings = passage_web::WebSettings {
        server: passage_web::settings::ServerSettings { listen: address },
        gateway: passage_web::settings::GatewayLink {
            endpoint: gateway,
            ca_file: Some(ca),
            cert_file,
            key_file,
        },
        cookies: Default::default(),
    };
    tokio::spawn(async move {
        if let Err(error) = passage_web::run(settings, listener, std::future::pending()).await {
            panic!("the web app stopped: {error}");
        }
    });
    address
}
