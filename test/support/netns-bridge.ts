/**
 * Run inside a network namespace (`ip netns exec NS node netns-bridge.js SOCKET PORT`): accepts connections on a
 * unix socket (a file, visible from every namespace) and pipes each to 127.0.0.1:PORT of the namespace it runs
 * in. The test process, outside, listens on its own 127.0.0.1 and pipes to the socket: that is how it reaches an
 * API server that listens on the namespace's loopback only. Bytes are copied as they are (TLS end to end).
 * Prints "ready" once listening; SIGTERM ends it (the default action).
 */
import { connect, createServer } from 'node:net';

const [socketPath, port] = process.argv.slice(2);
if (!socketPath || !port) {
  process.stderr.write('usage: netns-bridge SOCKET PORT\n');
  process.exitCode = 2;
} else {
  const server = createServer((client) => {
    const upstream = connect(Number(port), '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  server.listen(socketPath, () => process.stdout.write('ready\n'));
}
