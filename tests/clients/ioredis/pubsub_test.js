// Pub/sub through ioredis: subscribe/publish, patterns, RESP2 subscriber mode, keyspace
// notifications. Started by run.sh; starts the server itself on a free port.
//   node pubsub_test.js --server PATH [--workers N]
// Last line: "ioredis pubsub: N passed, N failed"; exit status 1 on any failure.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const Redis = require('ioredis');

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function startServer(binary, workers) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-ioredis-srv-'));
  const argv = path.basename(binary).includes('redis')
    ? ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
       '--dir', dir]
    : ['--port', String(port), '--bind', '127.0.0.1', '--workers', String(workers)];
  const proc = spawn(binary, argv, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => s.write('PING\r\n'));
      s.on('data', (d) => { s.destroy(); resolve(d.toString().startsWith('+PONG')); });
      s.on('error', () => resolve(false));
    });
    if (ok) return { port, proc };
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  throw new Error('server did not start');
}

// Resolves with the next `n` events `name` of emitter, or rejects after `ms`.
function collect(emitter, name, n, ms = 5000) {
  return new Promise((resolve, reject) => {
    const got = [];
    const timer = setTimeout(() => {
      emitter.removeListener(name, on);
      reject(new Error(`timeout waiting for ${n} '${name}' events, got ${got.length}`));
    }, ms);
    function on(...a) {
      got.push(a);
      if (got.length === n) {
        clearTimeout(timer);
        emitter.removeListener(name, on);
        resolve(got);
      }
    }
    emitter.on(name, on);
  });
}

function eq(a, b, what) {
  const sa = JSON.stringify(a), sb = JSON.stringify(b);
  if (sa !== sb) throw new Error(`${what}: expected ${sb}, got ${sa}`);
}

async function main() {
  const binary = arg('--server');
  const workers = Number(arg('--workers', '2'));
  const srv = await startServer(binary, workers);
  const port = srv.port;
  const open = [];
  const mk = () => { const c = new Redis({ port }); open.push(c); return c; };
  let passed = 0, failed = 0;

  async function test(name, fn) {
    try {
      await fn();
      passed++;
      console.log(`ok   ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e.message}`);
    }
  }

  await test('subscribe and publish', async () => {
    const sub = mk(), pub = mk();
    eq(await sub.subscribe('news', 'sport'), 2, 'subscribe count');
    const msgs = collect(sub, 'message', 2);
    eq(await pub.publish('news', 'n1'), 1, 'receivers');
    eq(await pub.publish('sport', 's1'), 1, 'receivers');
    eq(await msgs, [['news', 'n1'], ['sport', 's1']], 'messages');
    eq(await sub.unsubscribe('news'), 1, 'unsubscribe count');
    eq(await pub.publish('news', 'n2'), 0, 'receivers after unsubscribe');
  });

  await test('patterns', async () => {
    const sub = mk(), pub = mk();
    await sub.psubscribe('user:*');
    const msgs = collect(sub, 'pmessage', 2);
    await pub.publish('user:1', 'a');
    await pub.publish('other', 'x');
    await pub.publish('user:2', 'b');
    eq(await msgs, [['user:*', 'user:1', 'a'], ['user:*', 'user:2', 'b']], 'pmessages');
    eq(await pub.pubsub('NUMPAT'), 1, 'numpat');
  });

  await test('subscriber mode rejects other commands', async () => {
    const sub = mk();
    await sub.subscribe('c');
    let err = null;
    try {
      await sub.call('GET', 'c');  // ioredis refuses in subscriber mode itself
    } catch (e) {
      err = e;
    }
    if (!err) throw new Error('GET in subscriber mode did not fail');
  });

  await test('publish order across many messages', async () => {
    const sub = mk(), pub = mk();
    await sub.subscribe('seq');
    const msgs = collect(sub, 'message', 1000, 10000);
    const p = pub.pipeline();
    for (let i = 0; i < 1000; i++) p.publish('seq', String(i));
    await p.exec();
    const got = (await msgs).map((m) => Number(m[1]));
    eq(got, Array.from({ length: 1000 }, (_, i) => i), 'order');
  });

  await test('keyspace notifications', async () => {
    const admin = mk(), sub = mk();
    await admin.config('SET', 'notify-keyspace-events', 'KEg$l');
    await sub.psubscribe('__keyspace@0__:*');
    const msgs = collect(sub, 'pmessage', 4);
    // One hash tag: the keys share a shard, whose events keep command order; events of keys on
    // different shards may interleave differently (docs/design/pubsub.md).
    await admin.set('{ks}:a', '1');
    await admin.rpush('{ks}:l', 'x');
    await admin.expire('{ks}:a', 100);
    await admin.del('{ks}:l');
    eq((await msgs).map((m) => [m[1], m[2]]),
       [['__keyspace@0__:{ks}:a', 'set'], ['__keyspace@0__:{ks}:l', 'rpush'],
        ['__keyspace@0__:{ks}:a', 'expire'], ['__keyspace@0__:{ks}:l', 'del']], 'events');
    await admin.config('SET', 'notify-keyspace-events', '');
  });

  await test('pubsub numsub and channels', async () => {
    const a = mk(), b = mk(), q = mk();
    await a.subscribe('chan-x');
    await b.subscribe('chan-x', 'chan-y');
    eq(await q.pubsub('NUMSUB', 'chan-x', 'chan-y', 'chan-z'),
       ['chan-x', 2, 'chan-y', 1, 'chan-z', 0], 'numsub');
    const chans = (await q.pubsub('CHANNELS', 'chan-*')).sort();
    eq(chans, ['chan-x', 'chan-y'], 'channels');
  });

  for (const c of open) c.disconnect();
  srv.proc.kill();
  console.log(`ioredis pubsub: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main().catch((e) => {
  console.log(`setup failed: ${e.message}`);
  console.log('ioredis pubsub: 0 passed, 1 failed');
  process.exit(1);
});
