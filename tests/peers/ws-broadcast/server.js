// A minimal broadcast server on the `ws` package, for `spike fanout --peer node`.
//
// It speaks the part of the Mulin Live protocol the fan-out load uses (welcome, join, resume,
// launch_deal, restock, ping) and pushes `room` frames of the same shape as Mulin Live's: each state
// is serialized once and the same string is sent to every viewer, the way one would write it in Node.
// Listens on $HOST:$PORT (127.0.0.1 and 0 = any free port unless set) and prints
// `listening IP:PORT`. `GET /api/metrics` answers its CPU time and memory, as Mulin Live's does, for
// load runs from another machine.
'use strict';

const http = require('http');
const { WebSocketServer } = require('ws');

const SHOW = 1;

function json(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/api/metrics') {
    const cpu = process.cpuUsage();
    return json(res, 200, {
      process: { cpu_s: (cpu.user + cpu.system) / 1e6, kernel_s: cpu.system / 1e6, rss_kb: Math.round(process.memoryUsage.rss() / 1024) },
    });
  }
  json(res, 404, { error: 'not_found', message: 'the peer answers /api/metrics and WebSockets only' });
});
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 64 * 1024 });

const deals = new Map();
let version = 0;
let seq = 0;
let pinned = null;
let nextDeal = 1;
let viewers = 0;
let frame = '';

function publish() {
  version += 1;
  frame = JSON.stringify({
    type: 'room',
    show: SHOW,
    version,
    seq,
    deals: [...deals.values()].reverse(),
    pinned,
    viewers,
    server_time: Date.now(),
  });
  for (const client of wss.clients) {
    if (client.joined && client.readyState === 1) client.send(frame);
  }
}

function send(ws, msg) {
  ws.send(JSON.stringify(msg));
}

wss.on('connection', (ws) => {
  ws.joined = false;
  send(ws, { type: 'welcome', protocol: 1, server_time: Date.now() });
  ws.on('message', (data, isBinary) => {
    let msg;
    try {
      msg = JSON.parse(data.toString());
    } catch (e) {
      return send(ws, { type: 'error', code: 'malformed_frame', message: 'not JSON' });
    }
    switch (msg.type) {
      case 'join':
        if (!ws.joined) viewers += 1;
        ws.joined = true;
        if (!frame) publish();
        ws.send(frame);
        break;
      case 'resume':
        send(ws, { type: 'signed_in', role: 'host', resident: null, nickname: 'host', token: null, show: SHOW });
        break;
      case 'launch_deal': {
        const now = Date.now();
        const deal = {
          id: nextDeal++, show: SHOW, product: msg.product, price: msg.price, stock: msg.stock, sold: 0,
          per_resident_limit: msg.per_resident_limit, starts_at: now, ends_at: msg.ends_at, status: 'live',
        };
        deals.set(deal.id, deal);
        pinned = deal.id;
        seq += 1;
        send(ws, { type: 'deal_launched', deal });
        publish();
        break;
      }
      case 'restock': {
        const deal = deals.get(msg.deal);
        if (!deal) return send(ws, { type: 'error', code: 'unknown_deal', message: 'no such deal' });
        deal.stock += msg.units;
        send(ws, { type: 'deal_restocked', deal });
        publish();
        break;
      }
      case 'ping':
        send(ws, { type: 'pong', t: msg.t, server_time: Date.now() });
        break;
      default:
        send(ws, { type: 'error', code: 'unknown_message', message: 'not supported by the peer' });
    }
  });
  ws.on('close', () => {
    if (ws.joined) viewers -= 1;
  });
  ws.on('error', () => {});
});

server.listen(Number(process.env.PORT || 0), process.env.HOST || '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`listening ${address}:${port}`);
});

process.on('SIGTERM', () => process.exit(0));
