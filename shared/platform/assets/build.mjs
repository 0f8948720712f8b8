// Compiles main.scss and copies govuk-frontend's JavaScript into the platform package's static
// folder. The output is committed: running the platform needs neither Node.js nor the network.
import { compile, NodePackageImporter } from "sass";
import { copyFileSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";

const out = new URL("../src/rtw_platform/web/static/", import.meta.url);
mkdirSync(out, { recursive: true });
const version = JSON.parse(readFileSync(new URL("node_modules/govuk-frontend/package.json", import.meta.url))).version;
const result = compile(new URL("main.scss", import.meta.url).pathname, {
  style: "compressed",
  importers: [new NodePackageImporter()],
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(new URL("rtw.css", out), `/* govuk-frontend ${version}, built by shared/platform/assets */\n${result.css}\n`);
copyFileSync(
  new URL("node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js", import.meta.url),
  new URL("govuk-frontend.min.js", out),
);
console.log(`built rtw.css and govuk-frontend.min.js from govuk-frontend ${version}`);
