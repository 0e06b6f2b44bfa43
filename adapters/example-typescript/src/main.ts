// Runs the example adapter with settings from RELEVO_EXAMPLE_* variables.
import { configFromEnv, start } from "./adapter.js";

let cfg;
try {
  cfg = configFromEnv(process.env);
} catch (err) {
  console.error("example adapter:", (err as Error).message);
  process.exit(2);
}
const adapter = await start(cfg);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    adapter.stop().then(() => process.exit(0));
  });
}
