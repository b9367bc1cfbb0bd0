// The client's real-server tests' endpoints on Node's http module (see wsgi_app.py).
const http = require("http"), fs = require("fs"), path = require("path"), crypto = require("crypto");
const [root, port, pidFile, keepAliveMilliseconds] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  const url = req.url.split("?")[0];
  if (url === "/stream") {
    res.writeHead(200, { "Content-Type": "application/octet-stream" });
    for (let i = 0; i < 50; i++) res.write(Buffer.alloc(1000, i % 251));
    return res.end();
  }
  if (url === "/redirect") { res.writeHead(302, { Location: "/files/a.txt", "Content-Length": 0 }); return res.end(); }
  if (url === "/echo") {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const text = `${body.length} ${crypto.createHash("sha256").update(body).digest("hex")}`;
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(text) });
      res.end(text);
    });
    return;
  }
  if (url.startsWith("/files/")) {
    const data = fs.readFileSync(path.join(root, url.slice(7)));
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": data.length });
    return res.end(data);
  }
  res.writeHead(404, { "Content-Length": 0 }); res.end();
});
// Node closes an idle kept-alive connection after this (5 s by default): the tests make it
// short, so a pooled connection the server has just closed is met often.
server.keepAliveTimeout = Number(keepAliveMilliseconds || 5000);
server.listen(Number(port), "127.0.0.1", () => fs.writeFileSync(pidFile, String(process.pid)));
