import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { checkWritable, FileWriteError, makeDirectory, writeFileAtomic } from "../../config/atomic-write";
import { ConfigError } from "../../config/schema";
import { decodeUtf8 } from "../../config/yaml-file";

const deadPid = (): number => Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);

describe("the one write path (config/atomic-write.ts)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "myoci-write-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes exactly the given bytes (any bytes), keeps the old mode, leaves no temp file", () => {
    const file = path.join(dir, "state.bin");
    writeFileSync(file, "old");
    chmodSync(file, 0o600);
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0xe9, 0x80]);
    writeFileAtomic(file, bytes);
    expect(readFileSync(file).equals(bytes)).to.equal(true);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(readdirSync(dir)).to.deep.equal(["state.bin"]);
  });

  it("a new file gets the umask's mode, as any editor's would", () => {
    const file = path.join(dir, "new.txt");
    writeFileAtomic(file, "x");
    writeFileSync(path.join(dir, "reference.txt"), "x"); // Node's own write: 0666 minus the umask
    expect(statSync(file).mode & 0o777).to.equal(statSync(path.join(dir, "reference.txt")).mode & 0o777);
  });

  it("replaces what a symlink points to and keeps the link", () => {
    const target = path.join(dir, "real.yaml");
    const link = path.join(dir, "link.yaml");
    writeFileSync(target, "a");
    symlinkSync(target, link);
    writeFileAtomic(link, "b");
    expect(lstatSync(link).isSymbolicLink()).to.equal(true);
    expect(readlinkSync(link)).to.equal(target);
    expect(readFileSync(target, "utf8")).to.equal("b");
  });

  it("refuses a directory as the target", () => {
    mkdirSync(path.join(dir, "d"));
    expect(() => writeFileAtomic(path.join(dir, "d"), "x")).to.throw(FileWriteError, /cannot write .*\/d: not a regular file; nothing written/);
  });

  it("sweeps temp files of dead runs of the same file, never a live run's or another file's", () => {
    const file = path.join(dir, "Pulumi.prod.yaml");
    writeFileSync(file, "old");
    const dead = `.Pulumi.prod.yaml.${deadPid()}.abcd1234.tmp`;
    const live = `.Pulumi.prod.yaml.1.abcd1234.tmp`; // pid 1 is alive
    const other = `.other.yaml.${deadPid()}.abcd1234.tmp`;
    for (const name of [dead, live, other]) writeFileSync(path.join(dir, name), "partial");
    writeFileAtomic(file, "new");
    expect(readdirSync(dir).sort()).to.deep.equal([live, other, "Pulumi.prod.yaml"].sort());
  });

  it("checkWritable: a new file in missing directories passes and creates nothing; /proc fails at once", () => {
    const file = path.join(dir, "a", "b", "index.html");
    checkWritable(file);
    expect(existsSync(path.join(dir, "a"))).to.equal(false);
    expect(readdirSync(dir)).to.deep.equal([]);
    expect(() => checkWritable("/proc/nope/index.html")).to.throw(FileWriteError, "/proc does not accept new files");
    writeFileSync(path.join(dir, "f"), "");
    expect(() => checkWritable(path.join(dir, "f", "index.html"))).to.throw(FileWriteError, `${path.join(dir, "f")} is not a directory`);
  });

  it("makeDirectory: creates missing levels one by one; under /proc it fails instead of looping", () => {
    makeDirectory(path.join(dir, "x", "y", "z"));
    expect(statSync(path.join(dir, "x", "y", "z")).isDirectory()).to.equal(true);
    const started = Date.now();
    expect(() => makeDirectory("/proc/nope/deeper")).to.throw(FileWriteError, /cannot write \/proc\/nope\/deeper/);
    expect(Date.now() - started).to.be.below(1000);
  });
});

describe("UTF-8 decoding of the files users write (config/yaml-file.ts)", () => {
  it("round-trips valid UTF-8 byte for byte, BOM included", () => {
    const bytes = Buffer.from("\ufeff# grüße 日本 🚀\nconfig: {}\n", "utf8");
    expect(Buffer.from(decodeUtf8(bytes, "f.yaml"), "utf8").equals(bytes)).to.equal(true);
  });

  const invalid: [string, number[], string][] = [
    ["a Latin-1 byte", [0x61, 0x0a, 0x62, 0xe9, 0x0a], "(line 2, column 2) = byte 0xe9"],
    ["a lone continuation byte", [0x80], "(line 1, column 1) = byte 0x80"],
    ["a surrogate encoded in UTF-8", [0x0a, 0x0a, 0xed, 0xa0, 0x80], "(line 3, column 1) = byte 0xed"],
    ["a code point above U+10FFFF", [0x20, 0xf4, 0x90, 0x80, 0x80], "(line 1, column 2) = byte 0xf4"],
    ["an overlong slash", [0xc0, 0xaf], "(line 1, column 1) = byte 0xc0"],
  ];
  for (const [name, bytes, where] of invalid) {
    it(`reports ${name} with its line and column`, () => {
      let error: unknown;
      try {
        decodeUtf8(Uint8Array.from(bytes), "Pulumi.x.yaml", "stack file");
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.contain(`Invalid stack file (1 problem):\n  - Pulumi.x.yaml: ${where}: expected UTF-8 text`);
    });
  }
});
