/** Renders the Caddyfile from the routes the services declare. Pure, so it is tested on its own. */
import type { EdgeRoute } from "../service-container";

export function renderCaddyfile(routes: readonly EdgeRoute[], acmeEmail: string): string {
  const hosts = new Map<string, EdgeRoute[]>();
  for (const route of routes) {
    hosts.set(route.host, [...(hosts.get(route.host) ?? []), route]);
  }
  // The admin API stays on the container's own localhost:2019 (the healthcheck uses it); never published.
  const lines = ["{", `\temail ${acmeEmail}`, "}", ""];
  for (const [host, hostRoutes] of [...hosts.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`${host} {`);
    // Specific paths first; the catch-all route (no path) last.
    const ordered = [...hostRoutes].sort((a, b) => (a.path === undefined ? 1 : 0) - (b.path === undefined ? 1 : 0));
    for (const route of ordered) {
      const upstream = route.transport === "h2c" ? `h2c://${route.upstream}` : route.upstream;
      lines.push(route.path === undefined ? `\treverse_proxy ${upstream}` : `\treverse_proxy ${route.path} ${upstream}`);
    }
    lines.push("}", "");
  }
  return lines.join("\n");
}
