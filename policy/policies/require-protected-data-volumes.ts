import type { ResourceValidationPolicy } from "@pulumi/policy";
import { CATALOG, LABEL } from "../../catalog";
import { forType, notApplicable, requireType } from "../lib/applies";
import { componentOf, displayName, labelsOf, TYPES, plainProps } from "../lib/resources";

export const requireProtectedDataVolumes: ResourceValidationPolicy = {
  name: "require-protected-data-volumes",
  description: "Every volume that holds a service's data is protected from deletion (protect = true).",
  enforcementLevel: "mandatory",
  validateResource: forType(TYPES.volume, (args, reportViolation) => {
    requireType(args, [TYPES.volume]);
    const props = plainProps(args.props);
    const labels = labelsOf(props);
    const component = componentOf(props);
    const path = labels[LABEL.path];
    const holdsData = labels[LABEL.data] === "true" || (component !== undefined && path !== undefined && CATALOG[component].dataPaths.includes(path));
    if (!holdsData) {
      notApplicable(args, `not a data volume (no ${LABEL.data} label, no catalog data path)`);
    }
    if (args.opts.protect !== true) {
      reportViolation(
        `Volume ${displayName(props, args.name)} holds ${component === undefined ? "service" : CATALOG[component].title} data but is not protected: set protect (and retainOnDelete) so no update or destroy can delete it.`,
      );
    }
  }),
};
