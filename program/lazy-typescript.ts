/**
 * @pulumi/pulumi's runtime loads TypeScript (9 MB of JavaScript) when it is imported, only for its closure
 * serialiser to parse functions (runtime/closure/parseFunction.js requires `../../typescript-shim` at its top; the
 * other users require it inside the function that needs it, and tsutils.js says why: not to always load it).
 * This program serialises no function, so the offline runner and the tests put a module in the shim's place that
 * loads the same TypeScript on first use. Import this before @pulumi/pulumi. Under `pulumi preview` the program
 * runs through ts-node, which has loaded TypeScript anyway.
 */
import Module from "node:module";
import * as path from "node:path";

const shimFile = require.resolve("@pulumi/pulumi/typescript-shim");

/** What the SDK's shim exports: the project's TypeScript, else the copy the SDK vendors (typescript-shim.js). */
function loadTypeScript(): object {
  const fromSdk = Module.createRequire(shimFile);
  try {
    return fromSdk("typescript") as object;
  } catch {
    return fromSdk(path.join(path.dirname(shimFile), "vendor", "typescript@3.8.3", "typescript.js")) as object;
  }
}

export function installLazyTypeScript(): void {
  if (require.cache[shimFile] !== undefined) return; // the SDK is loaded already
  let typescript: object | undefined;
  const target = (): object => (typescript ??= loadTypeScript());
  const lazy = new Module(shimFile);
  lazy.filename = shimFile;
  lazy.loaded = true;
  lazy.exports = new Proxy(
    {},
    {
      get: (_, key): unknown => Reflect.get(target(), key) as unknown,
      has: (_, key) => Reflect.has(target(), key),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
        return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
      },
    },
  );
  require.cache[shimFile] = lazy;
}

installLazyTypeScript();
