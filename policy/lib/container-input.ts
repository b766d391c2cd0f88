/** What every container policy reads first: the type check, the literal inputs, its typed settings, the component. */
import type { PolicyConfigSchema, ResourceValidationArgs } from "@pulumi/policy";
import type { ComponentId } from "../../catalog";
import { requireType } from "./applies";
import { componentOf, plainProps, TYPES, type Props } from "./resources";
import { settingsOf } from "./settings";

export interface ContainerInput<S> {
  readonly props: Props;
  readonly settings: S;
  readonly component: ComponentId | undefined;
}

export function containerInput<S>(args: ResourceValidationArgs, configSchema: unknown): ContainerInput<S> {
  requireType(args, [TYPES.container]);
  const props = plainProps(args.props);
  return { props, settings: settingsOf<S>(args, configSchema as PolicyConfigSchema), component: componentOf(props) };
}
