// A fleet runner's console: one model per org, made as each org first runs, so the fleet's page
// lists one row per org and each org has the pages a single reconciler has, under /orgs/NAME.
import { ConsoleModel, type ConsoleLimits } from './model.js';

export class FleetConsole {
  private readonly models = new Map<string, ConsoleModel>();

  constructor(
    readonly fleet: string,
    /** The orgs this runner reconciles, in the fleet file's order. */
    private readonly orgNames: readonly string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly options: { limits?: Partial<ConsoleLimits>; now?: () => number } = {},
  ) {}

  /** The org's model, made on first use. */
  model(org: string): ConsoleModel {
    let model = this.models.get(org);
    if (model === undefined) {
      model = new ConsoleModel(this.env, this.options);
      this.models.set(org, model);
    }
    return model;
  }

  /** An org of this runner, or undefined for a name it does not reconcile. */
  known(org: string): ConsoleModel | undefined {
    return this.orgNames.includes(org) || this.models.has(org) ? this.model(org) : undefined;
  }

  /** The fleet file's orgs, then any that joined it since the runner started. */
  get orgs(): readonly string[] {
    return [...new Set([...this.orgNames, ...this.models.keys()])];
  }
}
