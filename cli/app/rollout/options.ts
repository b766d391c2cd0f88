/** Option values of rollout/rollback that need more than parseArgs (errors name the option and value). */
import { CATALOG, isComponentId, type ComponentId } from "../../../catalog";

/** Whole seconds within [min, max]; undefined when the option is absent. */
export function parseSeconds(option: string, value: string | undefined, min: number, max: number, errors: string[]): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const seconds = Number(value);
  if (!(Number.isInteger(seconds) && seconds >= min && seconds <= max)) {
    errors.push(`${option} ${JSON.stringify(value)}: expected whole seconds from ${min} to ${max}`);
    return undefined;
  }
  return seconds;
}

/** `[stack:]component=port` pairs of `--probe-port` (components with an HTTP probe only; no stack: every stack). */
export function parseProbePorts(args: readonly string[], errors: string[]): Record<string, Partial<Record<ComponentId, number>>> {
  const ports: Record<string, Partial<Record<ComponentId, number>>> = {};
  for (const arg of args) {
    const [left, port] = arg.split("=", 2) as [string, string | undefined];
    const colon = left.indexOf(":");
    const stack = colon >= 0 ? left.slice(0, colon) : "*";
    const component = colon >= 0 ? left.slice(colon + 1) : left;
    const value = Number(port);
    if (!isComponentId(component) || CATALOG[component].health.probe === undefined) {
      errors.push(`--probe-port ${JSON.stringify(arg)}: expected [<stack>:]<component>=<port> for a component with an HTTP probe`);
    } else if (!(Number.isInteger(value) && value >= 1 && value <= 65535)) {
      errors.push(`--probe-port ${JSON.stringify(arg)}: expected a port from 1 to 65535`);
    } else {
      (ports[stack] ??= {})[component] = value;
    }
  }
  return ports;
}
