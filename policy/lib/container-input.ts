/** What every container policy reads first: the type check, the literal inputs, its typed settings, the component. */
import type { PolicyConfigSchema, ResourceValidationArgs } from "@pulumi/policy";
import type { ComponentId } from "../../catalog";
import { requireType } from "./applies";
import { componentOf, plainProps, TYPES, type Props } from "./resources";
import { settingsOf, type SettingsOf } from "./settings";

export interface ContainerInput<S extends PolicyConfigSchema> {
  readonly props: Props;
  readonly settings: SettingsOf<S>;
  readonly component: ComponentId | undefined;
}

export function containerInput<S extends PolicyConfigSchema>(args: ResourceValidationArgs, configSchema: S): ContainerInput<S> {
  requireType(args, [TYPES.container]);
  const props = plainProps(args.props);
  return { props, settings: settingsOf(args, configSchema), component: componentOf(props) };
}
