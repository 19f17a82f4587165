// Reads WARC files with warcio (an independent reader: webrecorder's, not nianbao's code) and
// prints one JSON line per record: type, target URI, record id, refers-to, payload digest as
// written, the SHA-256 of the payload warcio reads, and the HTTP status. A file warcio cannot
// read is an error line and exit status 1.
//
// Usage: node tests/archive/read_warc.mjs FILE...   (warcio from tests/tools/node_modules)
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../tools/package.json"));
const { WARCParser } = require("warcio");

let failed = false;
for (const file of process.argv.slice(2)) {
  try {
    for await (const record of WARCParser.iterRecords(createReadStream(file))) {
      const type = record.warcType;
      const out = {
        file: path.basename(file),
        type,
        uri: record.warcTargetURI || null,
        id: record.warcHeader("WARC-Record-ID"),
        refers_to: record.warcHeader("WARC-Refers-To") || null,
        concurrent_to: record.warcHeader("WARC-Concurrent-To") || null,
        payload_digest: record.warcHeader("WARC-Payload-Digest") || null,
        status: record.httpHeaders ? Number(record.httpHeaders.statusCode) || null : null,
      };
      const payload = await record.readFully(false);
      out.payload_sha256 = createHash("sha256").update(payload).digest("hex");
      out.payload_bytes = payload.length;
      console.log(JSON.stringify(out));
    }
  } catch (e) {
    console.log(JSON.stringify({ file: path.basename(file), error: String(e) }));
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
