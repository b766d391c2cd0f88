import * as pulumi from "@pulumi/pulumi";
import { attach, pinOf, type PlatformContext } from "../context";
import { ServiceContainer, type HostMount, type ServiceOutputs } from "../service-container";

/** Read-only host views Netdata needs to see the host rather than its own container. */
export const NETDATA_HOST_MOUNTS: readonly HostMount[] = [
  { hostPath: "/proc", containerPath: "/host/proc", readOnly: true },
  { hostPath: "/sys", containerPath: "/host/sys", readOnly: true },
  { hostPath: "/etc/os-release", containerPath: "/host/etc/os-release", readOnly: true },
  { hostPath: "/etc/passwd", containerPath: "/host/etc/passwd", readOnly: true },
  { hostPath: "/etc/group", containerPath: "/host/etc/group", readOnly: true },
  { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true },
];

/** Why Netdata gets SYS_PTRACE: per-process metrics of the host (apps.plugin). Kept as a label for the policy pack. */
export const NETDATA_CAPABILITY_REASON = "apps.plugin reads per-process metrics of the host (Netdata Docker install docs)";

export interface NetdataArgs {
  readonly context: PlatformContext;
}

/** Netdata: host metrics on 127.0.0.1:19999, with the host PID namespace and read-only host mounts. */
export class Netdata extends pulumi.ComponentResource implements ServiceOutputs {
  public readonly agent: ServiceContainer;
  public readonly containers: readonly ServiceContainer[];
  public readonly routes = [];

  constructor(name: string, args: NetdataArgs, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:monitoring:Netdata", name, {}, opts);
    const { context } = args;
    this.agent = new ServiceContainer(
      `${name}-agent`,
      {
        component: "netdata",
        pin: pinOf(context, "netdata"),
        stack: context.stack,
        networks: attach(context, "netdata", false),
        memoryMb: context.memoryMb.netdata,
        hostMounts: NETDATA_HOST_MOUNTS,
        capabilities: { add: ["SYS_PTRACE"], reason: NETDATA_CAPABILITY_REASON },
        securityOpts: ["apparmor=unconfined"],
        pidMode: "host",
        env: { DO_NOT_TRACK: "1" },
      },
      { parent: this },
    );
    this.containers = [this.agent];
    this.registerOutputs({});
  }
}
