//! Serving HTTP/1.1 connections: what `axum::serve` does, plus a deadline on every request's head.
//!
//! Why not `axum::serve`: axum 0.8 gives hyper no timer, so hyper's header read timeout never runs.
//! A client that connects and sends nothing, stops halfway through a request, or leaves a
//! keep-alive connection idle then holds an open file for as long as it likes, and every viewer
//! needs an open file too. Here each connection gets the timer: its request head must arrive
//! within the deadline, the idle wait before it included, or the connection is closed. A WebSocket
//! leaves hyper at its upgrade, and with it the deadline; the session's heartbeat takes over.
//!
//! Only HTTP/1.1: browsers speak HTTP/2 only over TLS, which a proxy in front of the node ends.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::serve::Listener as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_service::Service as _;

use super::parse_errors::JsonParseErrors;
use super::socket::{Listener, Socket};

/// Serves `app` on `listener` until `stop` completes, closing a connection whose request head
/// (idle time before it included) takes longer than `header_timeout`. Then it stops accepting, lets
/// each connection finish the request it is on, and returns once all have.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    stop: impl Future<Output = ()> + Send + 'static,
) {
    let mut make_service = app.into_make_service_with_connect_info::<Socket>();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    // Connections watch `stopping`; each holds a `running` receiver until it ends.
    let (stopping_tx, stopping) = watch::channel(false);
    let (running_tx, running) = watch::channel(());
    let mut listener = Listener(listener);
    tokio::pin!(stop);
    loop {
        let (io, socket) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        let service: Result<_, Infallible> = make_service.call(socket).await;
        let Ok(service) = service;
        let connection = http
            .serve_connection(
                TokioIo::new(JsonParseErrors::new(io)),
                TowerToHyperService::new(service),
            )
            .with_upgrades();
        let mut stopping = stopping.clone();
        let running = running.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            // (The `Ref` that `wait_for` answers must not live across the next await.)
            let stop = async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            };
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = stop => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                // Timed-out heads, resets, malformed requests: the client's doing, not news.
                tracing::trace!(error = %e, "HTTP connection ended");
            }
            drop(running);
        });
    }
    drop(listener);
    let _ = stopping_tx.send(true);
    drop(running);
    running_tx.closed().await;
}

/// The request's `ConnectInfo` is the connection's socket itself.
impl Connected<Socket> for Socket {
    fn connect_info(socket: Socket) -> Socket {
        socket
    }
}
