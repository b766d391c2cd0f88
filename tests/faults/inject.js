// Fault injection for the fault suite, loaded into a real `myoci` process with `node --require`.
// MYOCI_FAULT is JSON: { op: "open" | "write" | "fsync" | "rename", action, ... } and applies to temp files only
// (paths ending in .tmp), so reading and everything else behave normally. Actions:
//   error   { code }           the call throws an errno error with that code (EIO, ENOSPC, EXDEV, ...)
//   short   { after }          write: the file system takes `after` bytes in total, then answers ENOSPC
//                              (what a nearly full disk does: a partial write count, then the error)
//   delay   { ms, mark }       block (synchronously) for ms before the call; `mark` is a file created first,
//                              so the test knows the process is inside the write (e.g. to kill it there)
"use strict";
const fs = require("node:fs");

const fault = JSON.parse(process.env.MYOCI_FAULT || "null");
if (fault) {
  const tempFds = new Set();
  let written = 0;
  const errno = (code, syscall) => Object.assign(new Error(`${code}: injected fault, ${syscall}`), { code, errno: -5, syscall });
  const hit = (op) => fault.op === op;
  const before = (op) => {
    if (!hit(op)) return;
    if (fault.action === "error") throw errno(fault.code, op);
    if (fault.action === "delay") {
      if (fault.mark) fs.writeFileSync(fault.mark, String(process.pid));
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, fault.ms);
    }
  };

  const openSync = fs.openSync;
  fs.openSync = function (file, ...rest) {
    const isTemp = String(file).endsWith(".tmp");
    if (isTemp) before("open");
    const fd = openSync.call(this, file, ...rest);
    if (isTemp) tempFds.add(fd);
    return fd;
  };
  const closeSync = fs.closeSync;
  fs.closeSync = function (fd) {
    tempFds.delete(fd);
    return closeSync.call(this, fd);
  };
  const writeSync = fs.writeSync;
  fs.writeSync = function (fd, buffer, ...rest) {
    if (!tempFds.has(fd)) return writeSync.call(this, fd, buffer, ...rest);
    before("write");
    if (hit("write") && fault.action === "short") {
      const bytes = typeof buffer === "string" ? Buffer.from(buffer, "utf8") : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      const offset = typeof buffer === "string" ? 0 : (rest[0] ?? 0);
      const length = typeof buffer === "string" ? bytes.length : (rest[1] ?? bytes.length - offset);
      const room = fault.after - written;
      if (room <= 0) throw errno("ENOSPC", "write");
      const n = Math.min(room, length);
      writeSync.call(this, fd, bytes, offset, n);
      written += n;
      return n;
    }
    return writeSync.call(this, fd, buffer, ...rest);
  };
  const fsyncSync = fs.fsyncSync;
  fs.fsyncSync = function (fd) {
    if (tempFds.has(fd)) before("fsync");
    return fsyncSync.call(this, fd);
  };
  const renameSync = fs.renameSync;
  fs.renameSync = function (from, to) {
    if (String(from).endsWith(".tmp")) before("rename");
    return renameSync.call(this, from, to);
  };
}
