/** Option values of rollout/rollback that need more than parseArgs (errors name the option and value). */
import { isComponentId, CATALOG, type ComponentId } from "../../../catalog";

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

/** `component=port` pairs of `--probe-port` (components with an HTTP probe only). */
export function parseProbePorts(args: readonly string[], errors: string[]): Partial<Record<ComponentId, number>> {
  const ports: Partial<Record<ComponentId, number>> = {};
  for (const arg of args) {
    const [component, port] = arg.split("=", 2) as [string, string | undefined];
    const value = Number(port);
    if (!isComponentId(component) || CATALOG[component].health.probe === undefined) {
      errors.push(`--probe-port ${JSON.stringify(arg)}: expected <component>=<port> for a component with an HTTP probe`);
    } else if (!(Number.isInteger(value) && value >= 1 && value <= 65535)) {
      errors.push(`--probe-port ${JSON.stringify(arg)}: expected a port from 1 to 65535`);
    } else {
      ports[component] = value;
    }
  }
  return ports;
}
