//! The server's stdout and stderr break under load (the log collector went away, or the disk under
//! a redirected log filled): it keeps serving, answers every purchase, counts the lines it could
//! not write, and still stops cleanly on SIGTERM. It used to abort (SIGABRT) a second after.

use std::time::Duration;

use mulin_tests::process::ServerProcess;
use mulin_tests::spike::{self, Answer, SpikeConfig};
use mulin_tests::wire::http_get;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_log_and_stdout_do_not_stop_the_server() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut server = ServerProcess::start_with_closed_output(&dir.path().join("mulin.db"))
        .await
        .expect("server starts");
    let cfg = SpikeConfig {
        buyers: 100,
        stock: 150,
        limit: 2,
        qty: 1,
        orders_each: 2,
        duplicates: 0,
        window: Duration::from_secs(1),
    };
    let run = spike::run(&server.target(), &cfg)
        .await
        .expect("the spike runs against a server with no log");
    let intents: Vec<&Answer> = run
        .buyers
        .iter()
        .flat_map(|b| b.intents.iter().map(|i| &i.answer))
        .collect();
    assert_eq!(intents.len(), 200);
    assert!(
        intents
            .iter()
            .all(|a| matches!(a, Answer::Accepted(_) | Answer::Refused(_))),
        "every purchase answered: {:?}",
        intents
            .iter()
            .filter(|a| !matches!(a, Answer::Accepted(_) | Answer::Refused(_)))
            .collect::<Vec<_>>()
    );
    let accepted = intents
        .iter()
        .filter(|a| matches!(a, Answer::Accepted(_)))
        .count();
    assert_eq!(accepted, 150, "the stock sold out, no more");

    assert!(server.running(), "the server is still running");
    let metrics = http_get(server.addr, "/api/metrics")
        .await
        .expect("metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    let body = metrics.split("\r\n\r\n").nth(1).expect("body");
    let v: serde_json::Value = serde_json::from_str(body).expect("JSON");
    let dropped = v["log_lines_dropped"].as_u64().expect("log_lines_dropped");
    assert!(dropped > 0, "the lines it could not write are counted");

    // Stopping prints "Stopping…" to the closed stdout: still a clean exit, not an abort.
    let status = server.stop_status().await.expect("exit status");
    assert!(status.success(), "stopped cleanly: {status:?}");
}
