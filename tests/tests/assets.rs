//! How the widget's files and the server's other HTTP answers travel: compressed for a browser
//! that accepts it (and whole for one that does not), `Vary: Accept-Encoding`, a cache policy per
//! kind of file, and a 404 for a file that is not there. Against the built `dist/` (`make widget`
//! precompresses it).

use std::path::PathBuf;

use mulin_tests::TestServer;
use mulin_tests::browser::dist_is_built;
use mulin_tests::wire::{HttpResponse, http_request};

const BR_GZIP: (&str, &str) = ("Accept-Encoding", "gzip, deflate, br");
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

async fn get(ts: &TestServer, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
    http_request(ts.server.addr(), "GET", path, headers, &[])
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// The path (from dist/) of the one built file whose name starts with `prefix` and ends with `suffix`.
fn built(prefix: &str, suffix: &str) -> String {
    let dist = mulin_tests::repo_root().join("dist");
    let names: Vec<String> = std::fs::read_dir(&dist)
        .expect("dist/ is readable")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix) && n.ends_with(suffix))
        .collect();
    assert_eq!(names.len(), 1, "one {prefix}…{suffix} in dist/: {names:?}");
    format!("/{}", names[0])
}

fn on_disk(path: &str) -> Vec<u8> {
    let file: PathBuf = mulin_tests::repo_root().join("dist").join(&path[1..]);
    std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn varies_by_encoding(r: &HttpResponse) -> bool {
    r.head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("vary:") && l.contains("accept-encoding")
    })
}

#[tokio::test]
async fn the_widgets_files_come_compressed_and_are_kept_for_good() {
    dist_is_built();
    let ts = TestServer::start().await;
    let wasm = built("mulin-frontend-", "_bg.wasm");
    let js = built("mulin-frontend-", ".js");
    let css = built("mulin-", ".css");
    for path in [&wasm, &js, &css] {
        let whole = on_disk(path);
        // Brotli to a browser that takes it, gzip to one that takes only gzip, the file itself to one
        // that takes neither; each decodes to the very file.
        for (accept, encoding) in [
            ("gzip, deflate, br", Some("br")),
            ("gzip", Some("gzip")),
            ("identity", None),
        ] {
            let r = get(&ts, path, &[("Accept-Encoding", accept)]).await;
            assert_eq!(r.status, 200, "{path} ({accept}): {}", r.head);
            assert_eq!(r.header("content-encoding"), encoding, "{path} ({accept})");
            assert!(varies_by_encoding(&r), "{path} ({accept}): {}", r.head);
            assert_eq!(r.header("cache-control"), Some(IMMUTABLE), "{path}");
            assert_eq!(r.decoded().expect("decodes"), whole, "{path} ({accept})");
            if encoding.is_some() {
                assert!(
                    r.body.len() * 2 < whole.len(),
                    "{path} ({accept}) is compressed"
                );
            }
        }
    }
    let r = get(&ts, &wasm, &[BR_GZIP]).await;
    assert_eq!(r.header("content-type"), Some("application/wasm"));
}

#[tokio::test]
async fn pages_are_compressed_and_asked_after_on_every_visit() {
    dist_is_built();
    let ts = TestServer::start().await;
    let show = ts.show;
    let widget = on_disk("/index.html");
    let console = on_disk("/console/index.html");
    for (path, page) in [
        ("/".to_string(), &widget),
        (format!("/show/{show}"), &widget),
        (format!("/show/{show}/host"), &console),
        (format!("/show/{show}/moderator"), &console),
    ] {
        let r = get(&ts, &path, &[BR_GZIP]).await;
        assert_eq!(r.status, 200, "{path}: {}", r.head);
        assert_eq!(r.header("content-encoding"), Some("br"), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{path}");
        assert!(varies_by_encoding(&r), "{path}: {}", r.head);
        assert_eq!(&r.decoded().expect("decodes"), page, "{path}");
        // The next visit revalidates: unchanged, the page is not sent again.
        let since = r
            .header("last-modified")
            .expect("Last-Modified")
            .to_string();
        let again = get(&ts, &path, &[BR_GZIP, ("If-Modified-Since", &since)]).await;
        assert_eq!(again.status, 304, "{path}: {}", again.head);
        assert!(again.body.is_empty());
    }
    // The demo stream page is made per request: compressed on the way out, never kept stale.
    let r = get(&ts, &format!("/demo/{show}"), &[BR_GZIP]).await;
    assert_eq!(r.status, 200, "{}", r.head);
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert!(r.header("content-encoding").is_some(), "{}", r.head);
    assert!(varies_by_encoding(&r), "{}", r.head);
    let html = String::from_utf8(r.decoded().expect("decodes")).expect("UTF-8");
    assert!(html.contains(&format!("src=\"/show/{show}\"")), "{html}");
}

#[tokio::test]
async fn json_answers_are_compressed_for_clients_that_accept_it() {
    let ts = TestServer::start().await;
    let r = get(&ts, "/api/metrics", &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(r.status, 200, "{}", r.head);
    assert_eq!(r.header("content-encoding"), Some("gzip"), "{}", r.head);
    assert!(varies_by_encoding(&r), "{}", r.head);
    let metrics: serde_json::Value =
        serde_json::from_slice(&r.decoded().expect("decodes")).expect("JSON");
    assert!(
        metrics["connections"]["limit"].as_u64() > Some(0),
        "{metrics}"
    );
    let plain = get(&ts, "/api/metrics", &[]).await;
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.json()["connections"].is_object(), "{}", plain.head);
    // Errors too stay JSON with a code, compressed or not.
    let r = get(&ts, "/api/no-such-thing", &[BR_GZIP]).await;
    assert_eq!(r.status, 404);
    let error: serde_json::Value =
        serde_json::from_slice(&r.decoded().expect("decodes")).expect("JSON");
    assert_eq!(error["error"], "not_found");
}

#[tokio::test]
async fn a_missing_file_is_a_404_not_the_app() {
    dist_is_built();
    let ts = TestServer::start().await;
    let app = on_disk("/index.html");
    for path in [
        "/favicon.ico",
        "/robots.txt",
        "/nope.js",
        "/mulin-frontend-0123456789abcdef_bg.wasm",
        "/products/none.svg",
        "/show/1/nope",
        "/shows",
    ] {
        // A browser asking for a page gets a short page saying so; anything else a JSON error.
        let r = get(&ts, path, &[BR_GZIP, ("Accept", "text/html,*/*")]).await;
        assert_eq!(r.status, 404, "{path}: {}", r.head);
        assert_ne!(r.header("cache-control"), Some(IMMUTABLE), "{path}");
        let page = r.decoded().expect("decodes");
        assert_ne!(page, app, "{path} answered the app");
        let page = String::from_utf8(page).expect("UTF-8");
        assert!(page.contains("找不到这个页面"), "{path}: {page}");
        let r = get(&ts, path, &[("Accept", "image/*")]).await;
        assert_eq!(r.status, 404, "{path}: {}", r.head);
        assert_eq!(r.json()["error"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn demo_product_pictures_keep_their_policy() {
    dist_is_built();
    let ts = TestServer::start().await;
    let r = get(&ts, "/products/corn.svg", &[BR_GZIP]).await;
    assert_eq!(r.status, 200, "{}", r.head);
    assert_eq!(r.header("content-type"), Some("image/svg+xml"));
    // Named by product, not content: revalidated, never kept for a year.
    assert_eq!(r.header("cache-control"), None, "{}", r.head);
    assert_eq!(r.decoded().expect("decodes"), on_disk("/products/corn.svg"));
}
