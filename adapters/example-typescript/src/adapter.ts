// A minimal Relevo channel adapter: it bridges a simple HTTP webhook
// provider to ChannelService. Like every adapter it keeps no state: the
// server stores the messages, so the process can restart at any time.
//
//   provider ──POST /webhook──▶ adapter ──HandleMessage──▶ Relevo
//   provider ◀─POST /messages── adapter ◀─StreamOutbound── Relevo (acks)
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  ChannelService,
  InboundKind,
  OutboundKind,
  ReceiptStatus,
  type OutboundMessage,
  type StreamOutboundRequest,
  StreamOutboundRequestSchema,
} from "./gen/relevo/v1/channel_pb.js";

export interface Config {
  /** Port of the webhook server (0: any free port). */
  port: number;
  /** Host of the webhook server. */
  host: string;
  /** Relevo gRPC server, e.g. http://127.0.0.1:50051. */
  server: string;
  /** API key, role adapter ("" for a loopback server without keys). */
  token: string;
  /** Channel name the adapter speaks for. */
  channel: string;
  /** Provider's send API base URL. */
  providerUrl: string;
  /** Provider's API token. */
  providerToken: string;
  /** Secret the provider signs webhooks with. */
  webhookSecret: string;
  /** Largest webhook body accepted, in bytes. */
  maxBody: number;
}

/** Reads the configuration from RELEVO_EXAMPLE_* environment variables. */
export function configFromEnv(env: NodeJS.ProcessEnv): Config {
  const get = (name: string, def = ""): string => env["RELEVO_EXAMPLE_" + name] ?? def;
  const cfg: Config = {
    port: Number(get("PORT", "8094")),
    host: get("HOST", "127.0.0.1"),
    server: get("SERVER", "http://127.0.0.1:50051"),
    token: get("TOKEN"),
    channel: get("CHANNEL", "example"),
    providerUrl: get("PROVIDER_URL"),
    providerToken: get("PROVIDER_TOKEN"),
    webhookSecret: get("WEBHOOK_SECRET"),
    maxBody: Number(get("MAX_BODY", String(1 << 20))),
  };
  const errs: string[] = [];
  if (!Number.isInteger(cfg.port) || cfg.port < 0 || cfg.port > 65535) errs.push("RELEVO_EXAMPLE_PORT: not a port");
  if (!/^https?:\/\//.test(cfg.server)) errs.push("RELEVO_EXAMPLE_SERVER: want http://host:port");
  if (!/^https?:\/\//.test(cfg.providerUrl)) errs.push("RELEVO_EXAMPLE_PROVIDER_URL: required, an http(s) URL");
  if (cfg.webhookSecret.length < 16) errs.push("RELEVO_EXAMPLE_WEBHOOK_SECRET: required, at least 16 characters");
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(cfg.channel)) errs.push("RELEVO_EXAMPLE_CHANNEL: lower-case name");
  if (errs.length) throw new Error("invalid settings:\n" + errs.join("\n"));
  return cfg;
}

/** The webhook signature the provider sends: sha256=hex(HMAC-SHA256(secret, body)). */
export function sign(secret: string, body: Buffer | string): string {
  return "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
}

function verify(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const want = Buffer.from(sign(secret, body));
  const got = Buffer.from(header);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** A provider webhook: an inbound message or a delivery receipt. */
type Webhook =
  | { type: "message"; id: string; from: string; name?: string; text?: string; choice?: { id: string; title: string }; timestamp?: number }
  | { type: "receipt"; message_id: string; status: "sent" | "delivered" | "read" | "failed"; timestamp?: number; error?: string };

const receiptStatus: Record<string, ReceiptStatus> = {
  sent: ReceiptStatus.SENT,
  delivered: ReceiptStatus.DELIVERED,
  read: ReceiptStatus.READ,
  failed: ReceiptStatus.FAILED,
};

/** A failure of the provider's send API, reported to Relevo as such. */
export class SendError extends Error {
  constructor(message: string, readonly retryable: boolean, readonly code: string, readonly retryAfterMs = 0) {
    super(message);
  }
}

export interface Adapter {
  /** The webhook server's address once listening. */
  address(): { host: string; port: number };
  /** Stops the webhook server and the outbound stream. */
  stop(): Promise<void>;
}

type Log = (msg: string, fields?: Record<string, unknown>) => void;
const defaultLog: Log = (msg, fields) => console.error(JSON.stringify({ time: new Date().toISOString(), msg, ...fields }));

/** Starts the adapter: the webhook server and the outbound loop. */
export async function start(cfg: Config, log: Log = defaultLog, transport?: Transport): Promise<Adapter> {
  const auth: Interceptor = (next) => async (req) => {
    if (cfg.token) req.header.set("authorization", "Bearer " + cfg.token);
    return next(req);
  };
  // The server speaks gRPC over HTTP/2; connect-node's gRPC transport talks to grpc-go.
  const client = createClient(ChannelService, transport ?? createGrpcTransport({ baseUrl: cfg.server, interceptors: [auth] }));
  const stopping = new AbortController();

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      log("webhook failed", { err: String(err) });
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (req.method !== "POST" || req.url !== "/webhook") {
      res.writeHead(404).end();
      return;
    }
    const body = await readBody(req, cfg.maxBody);
    if (body === null) {
      res.writeHead(413).end("body too large\n");
      return;
    }
    if (!verify(cfg.webhookSecret, body, req.headers["x-provider-signature"] as string | undefined)) {
      res.writeHead(401).end("bad signature\n");
      return;
    }
    let hook: Webhook;
    try {
      hook = JSON.parse(body.toString("utf8"));
    } catch {
      res.writeHead(400).end("not JSON\n");
      return;
    }
    try {
      if (hook.type === "message") {
        if (!hook.id || !hook.from) {
          res.writeHead(400).end("id and from are required\n");
          return;
        }
        // Answer the provider only once Relevo stored the message: a crash
        // before this point makes the provider deliver it again, and the
        // channel's message id makes that second delivery harmless.
        const out = await client.handleMessage({
          message: {
            contact: { channel: cfg.channel, address: hook.from, displayName: hook.name ?? "" },
            channelMessageId: hook.id,
            sentAt: timestampFromMs(hook.timestamp ? hook.timestamp * 1000 : Date.now()),
            kind: hook.choice ? InboundKind.CHOICE : InboundKind.TEXT,
            text: hook.text ?? hook.choice?.title ?? "",
            choice: hook.choice ? { id: hook.choice.id, title: hook.choice.title } : undefined,
          },
        });
        log("message accepted", { id: hook.id, duplicate: out.duplicate });
      } else if (hook.type === "receipt") {
        const status = receiptStatus[hook.status];
        if (!hook.message_id || status === undefined) {
          res.writeHead(400).end("message_id and a known status are required\n");
          return;
        }
        await client.reportDelivery({
          channel: cfg.channel,
          providerMessageId: hook.message_id,
          status,
          timestamp: timestampFromMs(hook.timestamp ? hook.timestamp * 1000 : Date.now()),
          errorReason: hook.error ?? "",
        });
      } else {
        // Unknown events are acknowledged so that the provider does not retry them.
        log("webhook ignored", { type: (hook as { type?: string }).type });
      }
    } catch (err) {
      const ce = ConnectError.from(err);
      // Invalid input will never be accepted: 400 stops the provider's
      // retries. Anything else is worth a retry: 503.
      const code = ce.code === Code.InvalidArgument ? 400 : 503;
      log("webhook not accepted", { code: ce.code, err: ce.message });
      res.writeHead(code).end(ce.rawMessage + "\n");
      return;
    }
    res.writeHead(200).end("ok\n");
  }

  /** Sends one message through the provider; returns its id. */
  async function send(m: OutboundMessage): Promise<string> {
    if (m.kind === OutboundKind.MARK_READ) return ""; // the provider has no read marks
    if (m.kind !== OutboundKind.TEXT) throw new SendError(`cannot send kind ${OutboundKind[m.kind]}`, false, "unsupported_kind");
    let resp: Response;
    try {
      resp = await fetch(cfg.providerUrl.replace(/\/$/, "") + "/messages", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer " + cfg.providerToken },
        body: JSON.stringify({ to: m.to?.address, text: m.text, buttons: m.buttons.map((b) => ({ id: b.id, title: b.title })), reply_to: m.replyToMessageId || undefined }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new SendError("provider unreachable: " + String(err), true, "network");
    }
    const text = await resp.text();
    if (resp.ok) {
      const id = (JSON.parse(text) as { id?: string }).id;
      if (!id) throw new SendError("provider answered without an id", true, "no_id");
      return id;
    }
    const retryable = resp.status === 429 || resp.status >= 500;
    const retryAfter = Number(resp.headers.get("retry-after") ?? 0) * 1000;
    let reason = text.trim();
    try {
      reason = (JSON.parse(text) as { error?: string }).error ?? reason;
    } catch {
      /* a plain-text error */
    }
    throw new SendError(reason || `HTTP ${resp.status}`, retryable, String(resp.status), retryAfter);
  }

  const outbound = runOutbound(client, cfg.channel, send, stopping.signal, log);

  await new Promise<void>((resolve) => server.listen(cfg.port, cfg.host, resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : cfg.port;
  log("example adapter started", { listen: `${cfg.host}:${port}`, channel: cfg.channel });

  return {
    address: () => ({ host: cfg.host, port }),
    stop: async () => {
      stopping.abort();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await outbound;
    },
  };
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** An async queue of stream requests: the client side of a bidi stream. */
class Requests implements AsyncIterable<StreamOutboundRequest> {
  private items: StreamOutboundRequest[] = [];
  private wake: (() => void) | null = null;
  private closed = false;
  push(r: StreamOutboundRequest): void {
    this.items.push(r);
    this.wake?.();
  }
  close(): void {
    this.closed = true;
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<StreamOutboundRequest> {
    for (;;) {
      while (this.items.length) yield this.items.shift()!;
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}

/**
 * Holds the outbound stream open until signal aborts: subscribe, send each
 * message through the provider, ack it with the provider's id or report the
 * failure, reconnect with backoff when the stream breaks. Messages are
 * handled one at a time, so a conversation's replies keep their order;
 * whatever was not acked when the stream broke, the server offers again.
 */
async function runOutbound(
  client: Client<typeof ChannelService>,
  channel: string,
  send: (m: OutboundMessage) => Promise<string>,
  signal: AbortSignal,
  log: Log,
): Promise<void> {
  let backoff = 250;
  while (!signal.aborted) {
    const requests = new Requests();
    // Stopping closes our side once the message being sent has its result,
    // and the server ends the stream after recording it; aborting the call
    // at once could lose that result, and the message would be sent again.
    // The call is aborted only if the server does not end it in time.
    const call = new AbortController();
    let busy = false;
    let grace: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      if (!busy) requests.close();
      grace = setTimeout(() => call.abort(), 10_000);
    };
    signal.addEventListener("abort", onAbort);
    let received = 0;
    try {
      requests.push(create(StreamOutboundRequestSchema, { event: { case: "subscribe", value: { channel, maxInFlight: 16 } } }));
      for await (const resp of client.streamOutbound(requests, { signal: call.signal })) {
        const m = resp.message;
        // Offered while stopping: not taken, the server offers it again.
        if (!m || signal.aborted) continue;
        received++;
        busy = true;
        try {
          const providerMessageId = await send(m);
          requests.push(create(StreamOutboundRequestSchema, { event: { case: "ack", value: { outboundId: m.id, providerMessageId } } }));
        } catch (err) {
          const e = err instanceof SendError ? err : new SendError(String(err), true, "");
          log("outbound message not delivered", { outbound_id: m.id, err: e.message, retryable: e.retryable });
          requests.push(
            create(StreamOutboundRequestSchema, {
              event: {
                case: "failure",
                value: { outboundId: m.id, retryable: e.retryable, code: e.code, reason: e.message, retryAfter: e.retryAfterMs ? { seconds: BigInt(Math.floor(e.retryAfterMs / 1000)), nanos: (e.retryAfterMs % 1000) * 1e6 } : undefined },
              },
            }),
          );
        } finally {
          busy = false;
          if (signal.aborted) requests.close();
        }
      }
    } catch (err) {
      if (!signal.aborted) log("outbound stream broke", { err: ConnectError.from(err).message });
    } finally {
      clearTimeout(grace);
      signal.removeEventListener("abort", onAbort);
      requests.close();
    }
    if (signal.aborted) return;
    if (received > 0) backoff = 250;
    const wait = backoff / 2 + Math.random() * (backoff / 2);
    backoff = Math.min(backoff * 2, 10_000);
    log("outbound stream reconnecting", { in_ms: Math.round(wait) });
    await new Promise((r) => setTimeout(r, wait));
  }
}
