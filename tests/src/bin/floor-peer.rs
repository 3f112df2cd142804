//! `floor-peer`: the least work a fan-out server can do on this machine, for
//! `spike fanout --peer floor`.
//!
//! It speaks the part of the protocol the fan-out load uses (welcome, join, resume, launch_deal,
//! restock, ping; anything else gets an `Error` frame) with the same `room` frames as Mulin Live,
//! and fans each state out as plainly as the kernel allows: the WebSocket frame is built once, and
//! two threads (one per core) write the same bytes to every viewer's socket with one non-blocking
//! `send` each. No framing or wake-up per viewer, no locks on the way, no heartbeat; a viewer whose
//! socket cannot take a whole frame at once is cut off. Its CPU per frame is what the kernel asks
//! of any server that writes one frame per viewer per state, which bounds what Mulin Live (or any
//! server) can reach on this machine.
//!
//! Listens on $HOST:$PORT (127.0.0.1 and 0 = any free port unless set) and prints `listening
//! IP:PORT`. `GET /api/metrics` answers its CPU time and memory, as Mulin Live's does, for load
//! runs from another machine.

use std::sync::{Arc, Mutex, mpsc};

use futures_util::{SinkExt, StreamExt};
use mulin_backend::api::Socket;
use mulin_shared::{ClientMsg, Deal, DealStatus, ErrorCode, Role, RoomState, ServerMsg};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// The show the peer serves.
const SHOW: mulin_shared::ShowId = 1;
/// Threads writing each state (the machine's cores).
const WRITERS: usize = 2;

/// What every viewer is shown, and the viewers' sockets.
#[derive(Default)]
struct Room {
    deals: Vec<Deal>,
    version: u64,
    seq: u64,
    /// Sockets that receive the states (shared with each connection's reader).
    viewers: Vec<Arc<TcpStream>>,
    /// Connections that joined and are still open.
    joined: u64,
    /// The last state, framed, for joiners.
    frame: Arc<Vec<u8>>,
}

type SharedRoom = Arc<Mutex<Room>>;

fn lock(room: &SharedRoom) -> std::sync::MutexGuard<'_, Room> {
    room.lock().unwrap_or_else(|e| e.into_inner())
}

/// How far this peer's clock runs ahead of the machine's, from `CLOCK_AHEAD_MS` (0 unless set): a
/// server on another machine seldom agrees with the load tool's clock to the millisecond, and the
/// tests check that the tool's delays do not depend on it.
static CLOCK_AHEAD_MS: std::sync::OnceLock<i64> = std::sync::OnceLock::new();

/// This peer's clock (UTC ms, shifted by `CLOCK_AHEAD_MS`).
fn clock() -> i64 {
    let ahead = CLOCK_AHEAD_MS.get_or_init(|| {
        (std::env::var("CLOCK_AHEAD_MS").ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    });
    mulin_backend::now_ms() + ahead
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = std::env::var("PORT").unwrap_or_else(|_| "0".into());
    let listener = TcpListener::bind(format!("{host}:{port}")).await?;
    println!("listening {}", listener.local_addr()?);
    let room: SharedRoom = Arc::default();
    // States to fan out; the fan-out thread always takes the newest.
    let (states, newest) = mpsc::channel::<Arc<Vec<u8>>>();
    let fan_room = room.clone();
    std::thread::spawn(move || fan_out(&fan_room, &newest));
    loop {
        let (tcp, _) = listener.accept().await?;
        let (room, states) = (room.clone(), states.clone());
        tokio::spawn(async move {
            if let Err(e) = serve(tcp, &room, &states).await {
                eprintln!("floor-peer: {e}");
            }
        });
    }
}

/// Writes each state to every viewer, split over [`WRITERS`] threads.
fn fan_out(room: &SharedRoom, newest: &mpsc::Receiver<Arc<Vec<u8>>>) {
    while let Ok(mut frame) = newest.recv() {
        while let Ok(newer) = newest.try_recv() {
            frame = newer;
        }
        // Taken out of the room while written, so joiners do not wait; put back after.
        let mut viewers = std::mem::take(&mut lock(room).viewers);
        let per_thread = viewers.len().div_ceil(WRITERS).max(1);
        let mut parts = Vec::with_capacity(WRITERS);
        while viewers.len() > per_thread {
            parts.push(viewers.split_off(viewers.len() - per_thread));
        }
        parts.push(viewers);
        let kept: Vec<Vec<Arc<TcpStream>>> = std::thread::scope(|s| {
            let writers: Vec<_> = (parts.into_iter())
                .map(|mut part| {
                    let frame = &frame;
                    s.spawn(move || {
                        part.retain(|viewer| {
                            let whole =
                                matches!(viewer.try_write(frame), Ok(n) if n == frame.len());
                            if !whole {
                                // A partial frame leaves the stream unreadable: end it.
                                let socket = socket2::SockRef::from(&**viewer);
                                let _ = socket.shutdown(std::net::Shutdown::Both);
                            }
                            whole
                        });
                        part
                    })
                })
                .collect();
            (writers.into_iter())
                .filter_map(|w| w.join().ok())
                .collect()
        });
        let mut room = lock(room);
        for mut part in kept {
            room.viewers.append(&mut part);
        }
    }
}

fn framed(msg: &ServerMsg) -> Arc<Vec<u8>> {
    let mut bytes = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = Frame::message(msg.to_json(), OpCode::Data(Data::Text), true).format(&mut bytes);
    Arc::new(bytes)
}

/// Builds and queues a new state.
fn publish(room: &mut Room, states: &mpsc::Sender<Arc<Vec<u8>>>) {
    room.version += 1;
    let state = ServerMsg::Room(RoomState {
        show: SHOW,
        version: room.version,
        seq: room.seq,
        deals: room.deals.iter().rev().cloned().collect(),
        pinned: room.deals.last().map(|d| d.id),
        viewers: room.joined,
        bag: None,
        catalogue: 0,
        server_time: clock(),
    });
    room.frame = framed(&state);
    let _ = states.send(room.frame.clone());
}

async fn serve(
    tcp: TcpStream,
    room: &SharedRoom,
    states: &mpsc::Sender<Arc<Vec<u8>>>,
) -> Result<(), String> {
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    if asks_for_metrics(&tcp).await? {
        return answer_metrics(tcp).await;
    }
    // Small frames only: tungstenite's 128 KiB default read buffer per connection would make this
    // peer's memory figure meaningless.
    let config = WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(0);
    let mut ws =
        tokio_tungstenite::accept_async_with_config(Socket::new(Arc::new(tcp)), Some(config))
            .await
            .map_err(|e| e.to_string())?;
    ws.send(text(&ServerMsg::Welcome {
        protocol: mulin_shared::PROTOCOL_VERSION,
        server_time: clock(),
    }))
    .await
    .map_err(|e| e.to_string())?;
    let mut joined = false;
    let result = read(&mut ws, room, states, &mut joined).await;
    if joined {
        lock(room).joined -= 1;
        // The fan-out list still holds the socket: shut it, so the next write fails and the list
        // lets go of it.
        let _ = socket2::SockRef::from(&**ws.get_ref().stream()).shutdown(std::net::Shutdown::Both);
    }
    result
}

/// The request line that asks for the process's usage.
const METRICS_REQUEST: &[u8] = b"GET /api/metrics ";

/// Whether the connection opens with `GET /api/metrics` (looked at, not read: anything else is
/// left for the WebSocket handshake).
async fn asks_for_metrics(tcp: &TcpStream) -> Result<bool, String> {
    let mut head = [0u8; METRICS_REQUEST.len()];
    // A request line split over segments comes whole within milliseconds; a client that sends
    // part of one and stops is left to the handshake, which refuses it.
    for _ in 0..1000 {
        let n = tcp.peek(&mut head).await.map_err(|e| e.to_string())?;
        if n == 0 || !METRICS_REQUEST.starts_with(&head[..n]) {
            return Ok(false);
        }
        if n == head.len() {
            return Ok(true);
        }
        // Only part of the request line is here yet.
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    Ok(false)
}

/// Answers `GET /api/metrics` with `{"process":{"cpu_s","kernel_s","rss_kb"}}` and closes.
async fn answer_metrics(mut tcp: TcpStream) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;
    let usage = mulin_backend::usage::of_self().ok();
    let body = serde_json::json!({ "process": usage }).to_string();
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(response.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    tcp.shutdown().await.map_err(|e| e.to_string())
}

fn text(msg: &ServerMsg) -> Message {
    Message::text(msg.to_json())
}

async fn read(
    ws: &mut tokio_tungstenite::WebSocketStream<Socket>,
    room: &SharedRoom,
    states: &mpsc::Sender<Arc<Vec<u8>>>,
    joined: &mut bool,
) -> Result<(), String> {
    while let Some(frame) = ws.next().await {
        let message = match frame {
            Ok(Message::Text(message)) => message,
            Ok(_) => continue,
            // The viewer went away: nothing to report.
            Err(_) => break,
        };
        let msg = match ClientMsg::parse(message.as_str()) {
            Ok(msg) => msg,
            Err(e) => {
                ws.send(text(&ServerMsg::error(e.code, e.message)))
                    .await
                    .map_err(|e| e.to_string())?;
                continue;
            }
        };
        let answer = match msg {
            ClientMsg::Join { .. } if !*joined => {
                // The fan-out thread writes states through a second handle on the socket. Each
                // state and each answer is one whole `send`, so the two never interleave mid-frame.
                // The newest state is written and the handle listed under one lock: every later
                // state reaches this viewer.
                let tcp = ws.get_ref().stream().clone();
                let mut room = lock(room);
                if !room.frame.is_empty() {
                    let frame = room.frame.clone();
                    if !matches!(tcp.try_write(&frame), Ok(n) if n == frame.len()) {
                        return Err("the first state did not fit the socket".into());
                    }
                }
                room.viewers.push(tcp);
                room.joined += 1;
                *joined = true;
                continue;
            }
            ClientMsg::Join { .. } => continue,
            ClientMsg::Ping { t } => ServerMsg::Pong {
                t,
                server_time: clock(),
            },
            ClientMsg::Resume { .. } => ServerMsg::SignedIn {
                role: Role::Host,
                resident: None,
                nickname: "host".into(),
                token: None,
                show: Some(SHOW),
                roles: vec![Role::Host],
                community: None,
            },
            ClientMsg::LaunchDeal {
                product,
                price,
                stock,
                per_resident_limit,
                ends_at,
                ..
            } => {
                let mut room = lock(room);
                let deal = Deal {
                    id: room.deals.len() as i64 + 1,
                    show: SHOW,
                    product,
                    price,
                    stock,
                    sold: 0,
                    per_resident_limit,
                    starts_at: clock(),
                    ends_at,
                    status: DealStatus::Live,
                };
                room.deals.push(deal.clone());
                room.seq += 1;
                publish(&mut room, states);
                ServerMsg::DealLaunched { deal }
            }
            ClientMsg::Restock { deal, units } => {
                let mut room = lock(room);
                match room.deals.iter_mut().find(|d| d.id == deal) {
                    Some(d) => {
                        d.stock += units;
                        let deal = d.clone();
                        publish(&mut room, states);
                        ServerMsg::DealRestocked { deal }
                    }
                    None => ServerMsg::error(ErrorCode::UnknownDeal, "no such deal"),
                }
            }
            _ => ServerMsg::error(ErrorCode::UnknownMessage, "not spoken by the floor peer"),
        };
        ws.send(text(&answer)).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}
