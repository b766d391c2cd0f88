#!/usr/bin/env node
// The physical floor of `myoci check` as a whole process (bench/check.bench.ts): the fewest requests any client
// needs — one HEAD of the pinned tag's manifest and one tag-list page per image, six at a time over keep-alive
// node:http — and nothing else (no config, no validation, no classification, no output but a count).
// Usage: node bench/floor-client.js <registry-url> <repository:tag>...
"use strict";
const http = require("node:http");

const [base, ...images] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
const ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

function request(method, path, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

Promise.all(
  images.map(async (image) => {
    const colon = image.lastIndexOf(":");
    const repository = image.slice(0, colon);
    const head = await request("HEAD", `/v2/${repository}/manifests/${image.slice(colon + 1)}`, { accept: ACCEPT });
    const list = await request("GET", `/v2/${repository}/tags/list?n=1000`, {});
    if (head.status !== 200 || list.status !== 200 || typeof head.headers["docker-content-digest"] !== "string") {
      throw new Error(`${image}: HEAD ${head.status}, tag list ${list.status}`);
    }
    return JSON.parse(list.body).tags.length;
  }),
).then(
  (counts) => {
    process.stdout.write(`${counts.length} images, ${counts.reduce((a, b) => a + b, 0)} tags\n`);
    agent.destroy();
  },
  (error) => {
    process.stderr.write(`floor client: ${error.message}\n`);
    process.exitCode = 1;
    agent.destroy();
  },
);
