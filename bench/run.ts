// `npm run bench`: runs every benchmark in turn; each prints its figure against its floor.
const benches = ['./validate.js', './sandbox-list.js', './plan.js', './reconcile.js', './impact.js', './fleet.js'];

for (const path of benches) {
  const module = (await import(path)) as { default: () => Promise<void> };
  await module.default();
}
