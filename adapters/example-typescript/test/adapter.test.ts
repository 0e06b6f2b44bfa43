// The adapter against a fake Relevo server (connect-node's gRPC server, the
// same protocol grpc-go speaks) and a fake provider.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer as createHttp2Server, type Http2Server } from "node:http2";
import { createServer, type Server } from "node:http";
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  ChannelService,
  OutboundKind,
  type HandleMessageRequest,
  type StreamOutboundRequest,
  type StreamOutboundResponse,
  StreamOutboundResponseSchema,
} from "../src/gen/relevo/v1/channel_pb.js";
import { sign, start, type Config } from "../src/adapter.js";

const secret = "test-webhook-secret-0123";

/** A resolvable promise. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** An async queue for the server side of the outbound stream. */
class Queue<T> implements AsyncIterable<T> {
  items: T[] = [];
  waiters: ((v: IteratorResult<T>) => void)[] = [];
  closed = false;
  push(v: T) {
    const w = this.waiters.shift();
    if (w) w({ value: v, done: false });
    else this.items.push(v);
  }
  close() {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length) return Promise.resolve({ value: this.items.shift()!, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((r) => this.waiters.push(r));
      },
    };
  }
}

interface Fake {
  handled: HandleMessageRequest[];
  release: () => void;
  hold: boolean;
  streams: { out: Queue<StreamOutboundResponse>; events: StreamOutboundRequest[]; event: () => Promise<StreamOutboundRequest> }[];
  streamOpened: () => Promise<void>;
}

async function fakeRelevo(): Promise<{ url: string; fake: Fake; close: () => Promise<void> }> {
  let gate = deferred();
  let opened = deferred();
  const fake: Fake = {
    handled: [],
    hold: false,
    release: () => gate.resolve(),
    streams: [],
    streamOpened: () => opened.promise,
  };
  const routes = (router: ConnectRouter) =>
    router.service(ChannelService, {
      async handleMessage(req) {
        if (fake.hold) await gate.promise;
        fake.handled.push(req);
        return { messageId: "m" + fake.handled.length, conversationId: "c1" };
      },
      async reportDelivery() {
        return { matched: true };
      },
      async *streamOutbound(reqs) {
        const out = new Queue<StreamOutboundResponse>();
        const events: StreamOutboundRequest[] = [];
        let next = deferred<StreamOutboundRequest>();
        const s = { out, events, event: () => next.promise };
        fake.streams.push(s);
        (async () => {
          for await (const r of reqs) {
            events.push(r);
            const n = next;
            next = deferred();
            n.resolve(r);
          }
          out.close();
        })().catch(() => out.close());
        const o = opened;
        opened = deferred();
        o.resolve();
        yield* out;
      },
    });
  const server: Http2Server = createHttp2Server(connectNodeAdapter({ routes }));
  const sessions = new Set<import("node:http2").ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    fake,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sessions) s.destroy();
      }),
  };
}

async function fakeProvider(answer: (body: any) => { status: number; body: string }) {
  const sent: any[] = [];
  const server: Server = createServer((req, res) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", () => {
      const body = JSON.parse(data);
      sent.push(body);
      const a = answer(body);
      res.writeHead(a.status, { "content-type": "application/json" }).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, sent, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function config(server: string, providerUrl: string): Config {
  return { port: 0, host: "127.0.0.1", server, token: "", channel: "example", providerUrl, providerToken: "pt", webhookSecret: secret, maxBody: 1 << 16 };
}

async function webhook(port: number, body: object, signature?: string) {
  const raw = JSON.stringify(body);
  const resp = await fetch(`http://127.0.0.1:${port}/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-provider-signature": signature ?? sign(secret, raw) },
    body: raw,
  });
  return resp.status;
}

const quiet = () => {};

test("webhooks are answered only after Relevo accepted the message; bad signatures are refused", async () => {
  const relevo = await fakeRelevo();
  const provider = await fakeProvider(() => ({ status: 200, body: '{"id":"p1"}' }));
  const adapter = await start(config(relevo.url, provider.url), quiet);
  try {
    const { port } = adapter.address();
    assert.equal(await webhook(port, { type: "message", id: "x", from: "a", text: "hola" }, "sha256=00"), 401);
    assert.equal(relevo.fake.handled.length, 0);

    relevo.fake.hold = true;
    let answered = false;
    const pending = webhook(port, { type: "message", id: "w1", from: "+56911", name: "Ana", text: "Hola" }).then((s) => {
      answered = true;
      return s;
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(answered, false, "the webhook was answered before HandleMessage returned");
    relevo.fake.release();
    assert.equal(await pending, 200);
    const m = relevo.fake.handled[0].message!;
    assert.equal(m.channelMessageId, "w1");
    assert.equal(m.contact?.channel, "example");
    assert.equal(m.contact?.address, "+56911");
    assert.equal(m.text, "Hola");
  } finally {
    await adapter.stop();
    await provider.close();
    await relevo.close();
  }
});

test("outbound messages are acked with the provider id or failed with the reason; a broken stream reconnects", async () => {
  const relevo = await fakeRelevo();
  const provider = await fakeProvider((b) =>
    b.text === "bad" ? { status: 400, body: '{"error":"recipient blocked"}' } : { status: 200, body: JSON.stringify({ id: "p-" + b.text }) },
  );
  const adapter = await start(config(relevo.url, provider.url), quiet);
  try {
    await relevo.fake.streamOpened();
    let s = relevo.fake.streams[0];
    const sub = await s.event();
    assert.equal(sub.event.case, "subscribe");
    assert.equal(sub.event.value?.channel, "example");

    const msg = (id: string, text: string) =>
      create(StreamOutboundResponseSchema, { message: { id, conversationId: "c1", to: { channel: "example", address: "+56911" }, kind: OutboundKind.TEXT, text, buttons: [{ id: "b1", title: "Sí" }] } });
    s.out.push(msg("o1", "uno"));
    const ack = await s.event();
    assert.equal(ack.event.case, "ack");
    assert.deepEqual(ack.event.case === "ack" && [ack.event.value.outboundId, ack.event.value.providerMessageId], ["o1", "p-uno"]);
    assert.deepEqual(provider.sent[0], { to: "+56911", text: "uno", buttons: [{ id: "b1", title: "Sí" }] });

    s.out.push(msg("o2", "bad"));
    const fail = await s.event();
    assert.equal(fail.event.case, "failure");
    if (fail.event.case === "failure") {
      assert.equal(fail.event.value.outboundId, "o2");
      assert.equal(fail.event.value.retryable, false);
      assert.equal(fail.event.value.reason, "recipient blocked");
    }

    // The server ends the stream: the adapter subscribes again.
    s.out.close();
    await relevo.fake.streamOpened();
    s = relevo.fake.streams[1];
    assert.equal((await s.event()).event.case, "subscribe");
    s.out.push(msg("o3", "tres"));
    const ack3 = await s.event();
    assert.equal(ack3.event.case === "ack" && ack3.event.value.providerMessageId, "p-tres");
  } finally {
    await adapter.stop();
    await provider.close();
    await relevo.close();
  }
});

test("an adapter that stops still reports the message it was sending", async () => {
  const relevo = await fakeRelevo();
  // A provider that holds the send until the test releases it.
  const held = deferred();
  const release = deferred();
  const providerServer: Server = createServer((req, res) => {
    req.resume();
    req.on("end", async () => {
      held.resolve();
      await release.promise;
      res.writeHead(200, { "content-type": "application/json" }).end('{"id":"p-slow"}');
    });
  });
  await new Promise<void>((r) => providerServer.listen(0, "127.0.0.1", r));
  const providerUrl = `http://127.0.0.1:${(providerServer.address() as { port: number }).port}`;
  const adapter = await start(config(relevo.url, providerUrl), quiet);
  try {
    await relevo.fake.streamOpened();
    const s = relevo.fake.streams[0];
    assert.equal((await s.event()).event.case, "subscribe");
    s.out.push(create(StreamOutboundResponseSchema, { message: { id: "o1", conversationId: "c1", to: { channel: "example", address: "+56911" }, kind: OutboundKind.TEXT, text: "uno" } }));
    await held.promise;
    // Stopping while the provider holds the message: its ack must still
    // reach Relevo, or the message would be sent again by the next process.
    const stopped = adapter.stop();
    release.resolve();
    const ack = await s.event();
    assert.deepEqual(ack.event.case === "ack" && [ack.event.value.outboundId, ack.event.value.providerMessageId], ["o1", "p-slow"]);
    await stopped;
  } finally {
    await new Promise<void>((r) => providerServer.close(() => r()));
    await relevo.close();
  }
});
