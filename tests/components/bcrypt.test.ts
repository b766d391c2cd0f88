import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { bcryptHash, BLOWFISH_WORDS, PI_FRACTION_HEX, stableBcryptHash } from "../../components/bootstrap/bcrypt";

/** The system's crypt(3) (libxcrypt, through Python's crypt module) computing the same hash from its salt prefix. */
function systemCrypt(password: string, setting: string): string {
  return execFileSync("python3", ["-W", "ignore", "-c", "import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]))", password, setting]).toString().trim();
}

describe("bcrypt for ntfy's auth-users, against the system's crypt(3)", function () {
  this.timeout(60000);

  it("matches crypt(3) for short, empty-ish, unicode and over-72-byte passwords", () => {
    const cases: [string, number][] = [
      ["password", 4],
      ["x", 4],
      ["pässwörd ✓ 密码", 5],
      ["a".repeat(72), 4],
      ["b".repeat(100), 4],
      ["the-ntfy-publisher-password", 10],
    ];
    for (const [index, [password, cost]] of cases.entries()) {
      const salt = Buffer.from(Array.from({ length: 16 }, (_, i) => (i * 37 + index * 11) & 0xff));
      const mine = bcryptHash(password, salt, cost);
      expect(mine).to.match(/^\$2a\$\d{2}\$[./A-Za-z0-9]{53}$/);
      expect(systemCrypt(password, mine.slice(0, 29)), password).to.equal(mine);
    }
  });

  it("starts Blowfish from π's fractional digits: the table is Machin's π = 16·atan(1/5) − 4·atan(1/239), digit for digit", () => {
    const bits = BigInt(BLOWFISH_WORDS * 32 + 64);
    const one = 1n << bits;
    const atanInv = (x: bigint): bigint => {
      let sum = 0n;
      let term = one / x;
      for (let k = 1n, sign = 1n; term !== 0n; k += 2n, sign = -sign, term /= x * x) sum += (sign * term) / k;
      return sum;
    };
    const fraction = (16n * atanInv(5n) - 4n * atanInv(239n) - 3n * one) >> 64n;
    expect(PI_FRACTION_HEX).to.have.length(BLOWFISH_WORDS * 8);
    expect(PI_FRACTION_HEX).to.equal(fraction.toString(16).padStart(BLOWFISH_WORDS * 8, "0"));
    // Schneier's published first P-array words.
    expect(PI_FRACTION_HEX.slice(0, 16)).to.equal("243f6a8885a308d3");
  });

  it("keeps only the first 72 bytes of the password, as bcrypt does", () => {
    const salt = Buffer.alloc(16, 3);
    expect(bcryptHash("c".repeat(72) + "tail", salt, 4)).to.equal(bcryptHash("c".repeat(72), salt, 4));
  });

  it("gives the same hash for the same password and label (no new file, no replacement on every up), another for another label", () => {
    const a = stableBcryptHash("some-password", "ntfy myoci", 4);
    expect(stableBcryptHash("some-password", "ntfy myoci", 4)).to.equal(a);
    expect(stableBcryptHash("some-password", "ntfy other", 4)).not.to.equal(a);
    expect(systemCrypt("some-password", a.slice(0, 29))).to.equal(a);
  });

  it("refuses a salt that is not 16 bytes and a cost outside 4–31", () => {
    expect(() => bcryptHash("p", Buffer.alloc(15), 4)).to.throw("bcrypt: the salt must be 16 bytes");
    expect(() => bcryptHash("p", Buffer.alloc(16), 3)).to.throw("bcrypt: cost must be 4 to 31");
  });
});
