/**
 * zod's translated messages (`z.locales`: ~40 languages, 200 modules) loaded on first use: requiring zod loads them
 * all (zod v4/classic/external.cjs: `exports.locales = __importStar(require("../locales/index.cjs"))`), about half of
 * zod's load time, on the pack's start-up path; the pack never uses them (zod's English messages come from
 * locales/en.cjs, required directly by classic/schemas.cjs). The CLI's bundles stub the same module at build
 * (scripts/bundle.js). Import this before anything that imports zod.
 */
import Module from "node:module";

const localesFile = require.resolve("zod/v4/locales/index.cjs");

export function installLazyZodLocales(): void {
  if (require.cache[localesFile] !== undefined) return; // zod is loaded already
  let locales: object | undefined;
  const target = (): object => {
    if (locales === undefined) {
      delete require.cache[localesFile]; // the stub's place, for the real module
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      locales = require(localesFile) as object;
    }
    return locales;
  };
  const stub = new Module(localesFile);
  stub.filename = localesFile;
  stub.loaded = true;
  // `__esModule` makes zod's __importStar keep this object as it is instead of copying every export at once.
  stub.exports = new Proxy(
    { __esModule: true },
    {
      get: (own, key): unknown => (key === "__esModule" ? own.__esModule : (Reflect.get(target(), key) as unknown)),
      has: (_, key) => key === "__esModule" || Reflect.has(target(), key),
      ownKeys: () => [...new Set(["__esModule", ...Reflect.ownKeys(target())])],
      getOwnPropertyDescriptor: (own, key) => {
        const descriptor = key === "__esModule" ? Reflect.getOwnPropertyDescriptor(own, key) : Reflect.getOwnPropertyDescriptor(target(), key);
        return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
      },
    },
  );
  require.cache[localesFile] = stub;
}

installLazyZodLocales();
