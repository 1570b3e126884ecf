// A static file server for the demo page (and, later, its weights) on 127.0.0.1: files under one folder, same origin.
// Usage: node examples/web/serve.mjs [--port N] [--root DIR]   (port 0, the default, takes a free one; root: this folder)
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json', '.json': 'application/json', '.css': 'text/css', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg', '.wasm': 'application/wasm', '.safetensors': 'application/octet-stream', '.bin': 'application/octet-stream',
};

/** Serves the files under `root` on 127.0.0.1:`port` (0: a free port). Resolves to the page's URL and a close function. */
export async function serve({ root = fileURLToPath(new URL('.', import.meta.url)), port = 0 } = {}) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    let path;
    try { path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname); }
    catch { res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request path\n'); return; }
    const file = resolve(base, '.' + (path.endsWith('/') ? path + 'index.html' : path));
    let size = -1;
    if (file === base || file.startsWith(base + sep)) try { const st = statSync(file); if (st.isFile()) size = st.size; } catch {}
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET, HEAD' }).end(); return; }
    if (size < 0) { res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'content-length': size, 'cache-control': 'no-cache' });
    if (req.method === 'HEAD') res.end(); else createReadStream(file).pipe(res);
  });
  await new Promise((ok, fail) => { server.once('error', fail); server.listen(port, '127.0.0.1', ok); });
  const url = `http://127.0.0.1:${server.address().port}/`;
  return { url, close: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name) => { const i = args.indexOf(name); return i < 0 ? undefined : args[i + 1]; };
  for (let i = 0; i < args.length; i += 2)
    if (!['--port', '--root'].includes(args[i]) || args[i + 1] === undefined) { console.error(`serve: unknown flag or missing value: ${args[i]} (--port N, --root DIR)`); process.exit(2); }
  const port = Number(opt('--port') ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) { console.error(`serve: --port must be an integer from 0 to 65535, got ${opt('--port')}`); process.exit(2); }
  const root = opt('--root');
  const { url } = await serve({ port, ...(root ? { root } : {}) });
  console.log(`serving ${root ?? join('examples', 'web')} on ${url} (Ctrl-C stops)`);
}
