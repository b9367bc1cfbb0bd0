// A real client for the server's tests: Node's http module with a keep-alive agent (four
// sockets), as a Node service calls an upstream. Prints one JSON object of outcomes.
//   node node_client.js BASE_URL PATH_OF_big.bin_ON_DISK
const http = require("http"), crypto = require("crypto"), fs = require("fs");
const [base, bigPath] = process.argv.slice(2);
const { hostname, port } = new URL(base);
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
function request(options, body, pieceSize = 7000) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: hostname, port, agent, ...options }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    r.on("error", reject);
    // Written in pieces without a length: Node sends the body chunked.
    if (body) for (let i = 0; i < body.length; i += pieceSize) r.write(body.subarray(i, i + pieceSize));
    r.end();
  });
}
(async () => {
  const big = fs.readFileSync(bigPath), out = {};
  let whole = 0;
  for (let i = 0; i < 20; i++) { const r = await request({ path: "/big.bin" }); if (r.status === 200 && r.body.equals(big)) whole++; }
  out.sequential = whole;
  const index = Buffer.from("<h1>home</h1>\n");
  const many = await Promise.all(Array.from({ length: 40 }, (_, i) => request({ path: i % 4 ? "/index.html" : "/big.bin" })));
  out.parallel = many.filter((r, i) => r.status === 200 && r.body.equals(i % 4 ? index : big)).length;
  const upload = crypto.randomBytes(700000);
  const put = await request({ method: "PUT", path: "/node-upload.bin" }, upload);
  const back = await request({ path: "/node-upload.bin" });
  out.chunkedPut = [put.status, back.status, back.body.equals(upload) ? "same bytes" : "different bytes"];
  const head = await request({ method: "HEAD", path: "/big.bin" });
  out.head = [head.status, head.headers["content-length"], head.body.length];
  const part = await request({ path: "/big.bin", headers: { Range: "bytes=100-199" } });
  out.range = [part.status, part.body.equals(big.subarray(100, 200)) ? "same bytes" : "different bytes"];
  const tag = (await request({ path: "/big.bin" })).headers.etag;
  const unchanged = await request({ path: "/big.bin", headers: { "If-None-Match": tag } });
  out.notModified = [unchanged.status, unchanged.body.length];
  const expecting = await request({ method: "PUT", path: "/node-expect.bin", headers: { Expect: "100-continue", "Content-Length": 1000 } }, Buffer.alloc(1000, 7));
  out.expectContinue = expecting.status;
  agent.destroy();
  console.log(JSON.stringify(out));
})().catch((e) => { console.log(JSON.stringify({ error: String(e) })); process.exit(1); });
