/** Every host path a container binds, from both mount forms the docker provider takes. */
import * as path from "node:path";
import { arrayOf, scalarText, type Props } from "./resources";

export interface HostBind {
  readonly hostPath: string;
  readonly containerPath: string;
  readonly readOnly: boolean;
  /** Where it was declared, e.g. `volumes[2]`, `mounts[0]`. */
  readonly property: string;
}

/** `/var//run/../run/` → `/var/run`; relative paths stay relative (Docker refuses them anyway). */
export function normaliseHostPath(hostPath: string): string {
  const normal = path.posix.normalize(hostPath.trim());
  return normal.length > 1 ? normal.replace(/\/+$/, "") : normal;
}

/** Whether `ancestor` is `child` or one of its parent directories. */
export function isSameOrParent(ancestor: string, child: string): boolean {
  return ancestor === child || ancestor === "/" || child.startsWith(`${ancestor}/`);
}

/** `volumes[].hostPath` and `mounts[]` of type bind (a bind mount without a type is refused by Docker; counted anyway). */
export function hostBinds(props: Props): HostBind[] {
  const binds: HostBind[] = [];
  arrayOf(props["volumes"]).forEach((v, i) => {
    if (typeof v["hostPath"] === "string" && v["hostPath"] !== "") {
      binds.push({
        hostPath: normaliseHostPath(v["hostPath"]),
        containerPath: scalarText(v["containerPath"]),
        readOnly: v["readOnly"] === true,
        property: `volumes[${i}]`,
      });
    }
  });
  arrayOf(props["mounts"]).forEach((m, i) => {
    const type = typeof m["type"] === "string" ? m["type"].toLowerCase() : "";
    if ((type === "bind" || type === "") && typeof m["source"] === "string" && m["source"].startsWith("/")) {
      binds.push({
        hostPath: normaliseHostPath(m["source"]),
        containerPath: scalarText(m["target"]),
        readOnly: m["readOnly"] === true,
        property: `mounts[${i}]`,
      });
    }
  });
  return binds;
}
