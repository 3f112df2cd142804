//! Helpers for Mulin Live's integration tests and load tools: a real server on port 0 with a
//! throw-away database, and a real WebSocket client that speaks the protocol.

pub mod browser;
pub mod disk;
pub mod fanout;
pub mod picking_bench;
pub mod process;
pub mod sms_log;
pub mod spike;
pub mod staff;
pub mod upgrade;
pub mod wire;

use std::path::PathBuf;
use std::time::Duration;

/// A phone number for forms and bad-input tests (residents that sign in get [`fresh_phone`]).
pub const TEST_PHONE: &str = "13800138000";

/// A valid PNG picture, 1×1 and red: the smallest photo a host can upload.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0xF8, 0xCF, 0xC0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xDD, 0x8D, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E,
    0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// A phone number no other resident of this process signs in with: a number has one resident,
/// and a second sign-in with it must prove the phone. The random start keeps numbers of another
/// run against the same server (a load tool's) apart too.
pub fn fresh_phone() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: OnceLock<AtomicU64> = OnceLock::new();
    let n = NEXT
        .get_or_init(|| AtomicU64::new(rand::random_range(0..900_000_000)))
        .fetch_add(1, Ordering::Relaxed);
    format!("15{:09}", n % 1_000_000_000)
}
/// The community test residents sign in with.
pub const TEST_COMMUNITY: &str = "和平花园社区";

use mulin_backend::{Server, ServerConfig};
use mulin_shared::{ClientMsg, ServerMsg, ShowId};
use tokio_tungstenite::tungstenite::Message;

use crate::wire::Wire;

/// How long a test waits for one expected frame before failing.
pub const FRAME_WAIT: Duration = Duration::from_secs(10);

/// `mulin serve`'s own header timeout, for test servers that are not testing it.
const HEADER_TIMEOUT: Duration =
    Duration::from_secs(mulin_backend::config::DEFAULT_HEADER_TIMEOUT_S);

/// A new product (id 0) named `name`, with every other field filled as a host would.
pub fn new_product(name: &str) -> mulin_shared::Product {
    mulin_shared::Product {
        id: 0,
        name: name.into(),
        description: String::new(),
        origin: "浙江临安".into(),
        unit: "30 枚".into(),
        normal_price: 3_600,
        batch: String::new(),
        picture: None,
    }
}

/// The repository's root folder (for `dist/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// How a test server differs from `mulin serve --demo`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Most WebSockets at once.
    pub max_connections: Option<usize>,
    /// Deadline of a request's head (and a picture's body).
    pub header_timeout: Duration,
    /// Whether new numbers must prove themselves too (the demo's default: no).
    pub new_numbers_need_code: bool,
    /// `--sms-command`; `None` writes codes to the log ([`sms_log`] reads them).
    pub sms_command: Option<String>,
    /// How often pickup windows and cut-offs are checked.
    pub pickup_clock: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_connections: Some(10_000),
            header_timeout: HEADER_TIMEOUT,
            new_numbers_need_code: false,
            sms_command: None,
            pickup_clock: mulin_backend::PICKUP_CLOCK,
        }
    }
}

/// A server on 127.0.0.1 port 0 with its own temporary database and the demo show seeded.
pub struct TestServer {
    /// The running server.
    pub server: Server,
    /// The demo show.
    pub show: ShowId,
    /// A host token for the demo show.
    pub host_token: String,
    /// A moderator token for the demo show.
    pub moderator_token: String,
    /// The demo show's community, its next scheduled show and its staff's one-time sign-in links.
    pub demo: mulin_backend::Demo,
    /// The server's database file.
    pub db: PathBuf,
    options: Options,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server serving `dist/` from the repository.
    pub async fn start() -> TestServer {
        TestServer::start_with_options(Options::default()).await
    }

    /// A connection joined to the demo show and signed in as its host.
    pub async fn host(&self) -> Client {
        let mut host = self.client().await;
        host.join(self.show).await;
        let signed = host.resume(&self.host_token).await;
        assert!(
            matches!(signed, ServerMsg::SignedIn { .. }),
            "host sign-in: {signed:?}"
        );
        host
    }

    /// A resident joined to the demo show and signed in as `nickname` (with a fresh phone number).
    pub async fn resident(&self, nickname: &str) -> Client {
        let mut c = self.client().await;
        c.join(self.show).await;
        c.sign_in(nickname).await;
        c
    }

    /// `n` connections joined to the demo show, each past its first room state.
    pub async fn viewers(&self, n: usize) -> Vec<Client> {
        let mut viewers = Vec::with_capacity(n);
        for _ in 0..n {
            let mut v = self.client().await;
            v.join(self.show).await;
            viewers.push(v);
        }
        viewers
    }

    /// Starts one that takes at most `max_connections` WebSockets at a time.
    pub async fn start_with(max_connections: usize) -> TestServer {
        TestServer::start_with_options(Options {
            max_connections: Some(max_connections),
            ..Options::default()
        })
        .await
    }

    /// Starts one that closes a connection whose request head is not in within `header_timeout`.
    pub async fn start_with_header_timeout(header_timeout: Duration) -> TestServer {
        TestServer::start_with_options(Options {
            header_timeout,
            ..Options::default()
        })
        .await
    }

    /// Starts one with these options.
    pub async fn start_with_options(options: Options) -> TestServer {
        sms_log::listen();
        let dir = tempfile::tempdir().expect("temporary folder");
        TestServer::start_in(dir, options).await
    }

    /// Shuts this server down gracefully and starts a new one on the same database (on a new
    /// port): what survives a restart.
    pub async fn restart(self) -> TestServer {
        let TestServer {
            server,
            _dir,
            options,
            ..
        } = self;
        server.shutdown().await.expect("clean shutdown");
        TestServer::start_in(_dir, options).await
    }

    async fn start_in(dir: tempfile::TempDir, options: Options) -> TestServer {
        let db = dir.path().join("mulin.db");
        let server = mulin_backend::start(ServerConfig {
            bind: "127.0.0.1:0".parse().expect("loopback address"),
            db: db.clone(),
            dist: repo_root().join("dist"),
            demo: true,
            max_batch: 4096,
            max_connections: options.max_connections,
            header_timeout: options.header_timeout,
            new_numbers_need_code: options.new_numbers_need_code,
            sms_command: options.sms_command.clone(),
            space: Default::default(),
            pickup_clock: options.pickup_clock,
        })
        .await
        .expect("server starts");
        let demo = server.demo().cloned().expect("demo seeded");
        TestServer {
            server,
            show: demo.show,
            host_token: demo.host_token.clone(),
            moderator_token: demo.moderator_token.clone(),
            demo,
            db,
            options,
            _dir: dir,
        }
    }

    /// `ws://…/ws` of this server.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.server.addr())
    }

    /// The address it listens on.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }

    /// `http://…` of this server.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// This server as a spike target.
    pub fn spike_target(&self) -> spike::Target {
        spike::Target {
            ws_url: self.ws_url(),
            http: self.server.addr(),
            show: self.show,
            host_token: self.host_token.clone(),
        }
    }

    /// A connected client that has read the `Welcome` frame.
    pub async fn client(&self) -> Client {
        Client::connect(&self.ws_url()).await
    }
}

/// One WebSocket connection speaking the Mulin protocol, for tests: every failure panics with
/// what was expected, and room pushes are returned like any other frame.
pub struct Client {
    wire: Wire,
    /// The protocol version from `Welcome`.
    pub protocol: u32,
}

impl Client {
    /// Connects and reads the `Welcome` frame.
    pub async fn connect(url: &str) -> Client {
        let mut wire = Wire::open(url, FRAME_WAIT)
            .await
            .expect("websocket connects and welcomes");
        wire.keep_room = true;
        let protocol = wire.protocol;
        Client { wire, protocol }
    }

    /// Connects with a 4 KiB kernel receive buffer (see [`Wire::open_small_window`]).
    pub async fn connect_small_window(url: &str) -> Client {
        let wire = Wire::open_small_window(url, FRAME_WAIT)
            .await
            .expect("websocket connects and welcomes");
        let protocol = wire.protocol;
        Client { wire, protocol }
    }

    /// Launches a deal of `product` (this connection being the host's), closing in ten minutes;
    /// panics if refused.
    pub async fn launch_deal(
        &mut self,
        product: i64,
        price: i64,
        stock: i64,
        per_resident_limit: i64,
    ) -> mulin_shared::Deal {
        self.send(&ClientMsg::LaunchDeal {
            product,
            price,
            stock,
            per_resident_limit,
            starts_at: None,
            ends_at: mulin_backend::now_ms() + 600_000,
        })
        .await;
        self.recv_until(|m| match m {
            ServerMsg::DealLaunched { deal } => Some(deal.clone()),
            ServerMsg::Error { code, message, .. } => panic!("launch refused: {code:?} {message}"),
            _ => None,
        })
        .await
    }

    /// Opens a lucky bag of `prize` for everyone (this connection being the host's): one winner,
    /// collected at pickup point 1, closing in ten minutes; its id. Panics if refused.
    pub async fn open_bag(&mut self, prize: &str) -> i64 {
        self.send(&ClientMsg::OpenBag {
            prize: prize.into(),
            winners: 1,
            closes_at: mulin_backend::now_ms() + 600_000,
            eligibility: mulin_shared::Eligibility::Everyone,
            pickup: 1,
        })
        .await;
        self.recv_until(|m| match m {
            ServerMsg::BagOpened { bag } => Some(bag.id),
            ServerMsg::Error { code, message, .. } => panic!("bag refused: {code:?} {message}"),
            _ => None,
        })
        .await
    }

    /// Sends a protocol message.
    pub async fn send(&mut self, msg: &ClientMsg) {
        self.wire.send(msg).await.expect("frame sent");
    }

    /// Buys `qty` of `deal` for pickup point 1 with purchase key `key`, and returns the answer:
    /// `OrderAccepted`, `OrderRefused` or an `Error`.
    pub async fn order(&mut self, deal: i64, qty: i64, key: &str) -> ServerMsg {
        self.send(&ClientMsg::PlaceOrder {
            deal,
            qty,
            pickup: 1,
            key: key.into(),
        })
        .await;
        self.recv_until(|m| match m {
            ServerMsg::OrderAccepted { key: k, .. } | ServerMsg::OrderRefused { key: k, .. }
                if k == key =>
            {
                Some(m.clone())
            }
            ServerMsg::Error { .. } => Some(m.clone()),
            _ => None,
        })
        .await
    }

    /// Sends a protocol message with a request key beside its fields.
    pub async fn send_keyed(&mut self, msg: &ClientMsg, key: &str) {
        self.send_raw(&msg.to_json_with_key(key)).await;
    }

    /// Sends any text frame (for bad-input tests).
    pub async fn send_raw(&mut self, text: &str) {
        self.send_message(Message::text(text)).await;
    }

    /// Sends any WebSocket message (e.g. binary).
    pub async fn send_message(&mut self, msg: Message) {
        self.wire.send_message(msg).await.expect("message sent");
    }

    /// The next protocol frame (control frames are skipped); panics after [`FRAME_WAIT`].
    pub async fn recv(&mut self) -> ServerMsg {
        self.wire
            .next(FRAME_WAIT)
            .await
            .expect("a server frame within the wait")
    }

    /// The next WebSocket message, control frames (a pong) included; panics after [`FRAME_WAIT`]
    /// or on a malformed frame.
    pub async fn recv_message(&mut self) -> Message {
        self.wire
            .next_message_raw(FRAME_WAIT)
            .await
            .expect("a well-formed WebSocket message within the wait")
    }

    /// Reads frames until `pick` returns something; panics after [`FRAME_WAIT`] overall.
    pub async fn recv_until<T>(&mut self, pick: impl FnMut(&ServerMsg) -> Option<T>) -> T {
        self.recv_within(FRAME_WAIT, pick).await
    }

    /// [`Client::recv_until`] for something that is due later than [`FRAME_WAIT`] (a timer).
    pub async fn recv_within<T>(
        &mut self,
        wait: Duration,
        mut pick: impl FnMut(&ServerMsg) -> Option<T>,
    ) -> T {
        self.wire
            .until(wait, |m| pick(&m))
            .await
            .expect("expected frame arrives in time")
    }

    /// Sends a first `Join` (no `since`, no catalogue held): the server answers with the catalogue
    /// and the room state.
    async fn send_join(&mut self, show: ShowId) {
        self.send(&ClientMsg::Join {
            show,
            since: None,
            catalogue: None,
        })
        .await;
    }

    /// Joins `show` and returns the id of its pinned deal (the demo's deal on sale).
    pub async fn join_pinned(&mut self, show: ShowId) -> i64 {
        self.join(show)
            .await
            .pinned_deal()
            .expect("a pinned deal on sale")
            .id
    }

    /// Signs in as a resident with `phone` (a new number: no code asked on a test server) and
    /// returns their id.
    pub async fn sign_in_as(&mut self, nickname: &str, phone: &str) -> i64 {
        match self.sign_in_with(nickname, phone, None).await {
            ServerMsg::SignedIn {
                resident: Some(id), ..
            } => id,
            other => panic!("{nickname}'s sign-in: {other:?}"),
        }
    }

    /// Joins a show and waits for its first room state.
    pub async fn join(&mut self, show: ShowId) -> mulin_shared::RoomState {
        self.send_join(show).await;
        self.recv_until(|m| match m {
            ServerMsg::Room(state) => Some(state.clone()),
            _ => None,
        })
        .await
    }

    /// Joins a show afresh and returns the catalogue it is sent first: (version, products, pickup
    /// points). The room states that follow stay unread.
    pub async fn catalogue(
        &mut self,
        show: ShowId,
    ) -> (
        u64,
        Vec<mulin_shared::Product>,
        Vec<mulin_shared::PickupPoint>,
    ) {
        self.send_join(show).await;
        self.recv_until(|m| match m {
            ServerMsg::ShowInfo {
                catalogue,
                products,
                pickup_points,
                ..
            } => Some((*catalogue, products.clone(), pickup_points.clone())),
            _ => None,
        })
        .await
    }

    /// Signs in as a new resident (with a [`fresh_phone`] and [`TEST_COMMUNITY`], on a server
    /// where new numbers need no code) and returns (resident id, token).
    pub async fn sign_in(&mut self, nickname: &str) -> (i64, String) {
        self.send(&ClientMsg::SignIn {
            nickname: nickname.into(),
            phone: fresh_phone(),
            community: TEST_COMMUNITY.into(),
            code: None,
        })
        .await;
        self.recv_until(|m| match m {
            ServerMsg::SignedIn {
                resident: Some(id),
                token: Some(token),
                ..
            } => Some((*id, token.clone())),
            ServerMsg::Error { code, message, .. } => panic!("sign-in refused: {code:?} {message}"),
            _ => None,
        })
        .await
    }

    /// Sends a sign-in with `phone` (and `code`, if given) and returns the answer: `SignedIn`,
    /// `CodeSent` or `Error`.
    pub async fn sign_in_with(
        &mut self,
        nickname: &str,
        phone: &str,
        code: Option<&str>,
    ) -> ServerMsg {
        self.send(&ClientMsg::SignIn {
            nickname: nickname.into(),
            phone: phone.into(),
            community: TEST_COMMUNITY.into(),
            code: code.map(str::to_owned),
        })
        .await;
        self.recv_until(|m| match m {
            ServerMsg::SignedIn { .. } | ServerMsg::CodeSent { .. } | ServerMsg::Error { .. } => {
                Some(m.clone())
            }
            _ => None,
        })
        .await
    }

    /// Signs in with a token and returns the `SignedIn` frame.
    pub async fn resume(&mut self, token: &str) -> ServerMsg {
        self.send(&ClientMsg::Resume {
            token: token.into(),
        })
        .await;
        self.recv_until(|m| match m {
            ServerMsg::SignedIn { .. } | ServerMsg::Error { .. } => Some(m.clone()),
            _ => None,
        })
        .await
    }

    /// The next `Error` frame's code and message.
    pub async fn next_error(&mut self) -> (mulin_shared::ErrorCode, String) {
        self.recv_until(|m| match m {
            ServerMsg::Error { code, message, .. } => Some((*code, message.clone())),
            _ => None,
        })
        .await
    }

    /// Whether the server closes this connection within [`FRAME_WAIT`].
    pub async fn is_closed(&mut self) -> bool {
        self.wire.is_closed(FRAME_WAIT).await
    }

    /// Sends a ping and waits for its pong: proves the connection is still usable.
    pub async fn ping(&mut self) {
        let t = 4242;
        self.send(&ClientMsg::Ping { t }).await;
        self.recv_until(|m| match m {
            ServerMsg::Pong { t: echoed, .. } if *echoed == t => Some(()),
            _ => None,
        })
        .await
    }
}
