// Compiles main.scss and copies govuk-frontend's JavaScript into the platform package's static
// folder. The output is committed: running the platform needs neither Node.js nor the network.
import { compile, NodePackageImporter } from "sass";
import { copyFileSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";

const out = new URL("../src/rtw_platform/web/static/", import.meta.url);
mkdirSync(out, { recursive: true });
const version = JSON.parse(readFileSync(new URL("node_modules/govuk-frontend/package.json", import.meta.url))).version;
// No byte-order mark: Sass puts one first when the CSS holds a non-ASCII character, and after the
// comment below a browser would read it as part of the first selector and drop that rule (govuk's
// `:root` breakpoints, without which its scripts stop: the navigation never folded on a phone).
// The file is served as UTF-8 (text/css; charset=utf-8).
const result = compile(new URL("main.scss", import.meta.url).pathname, {
  charset: false,
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

// The interactive API documentation (each service's /docs and /redoc) is served from here too,
// so it works on a locked-down network: Swagger UI and ReDoc with their licences.
const docs = new URL("api-docs/", out);
mkdirSync(docs, { recursive: true });
for (const [from, to] of [
  ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-bundle.js"],
  ["swagger-ui-dist/swagger-ui.css", "swagger-ui.css"],
  ["swagger-ui-dist/LICENSE", "swagger-ui.LICENSE.txt"],
  ["redoc/bundles/redoc.standalone.js", "redoc.standalone.js"],
  ["redoc/bundles/redoc.standalone.js.LICENSE.txt", "redoc.standalone.js.LICENSE.txt"],
  ["redoc/LICENSE", "redoc.LICENSE.txt"],
]) {
  copyFileSync(new URL(`node_modules/${from}`, import.meta.url), new URL(to, docs));
}
// ReDoc's footer shows its logo from its CDN: an empty image instead, so nothing is fetched elsewhere.
const redoc = new URL("redoc.standalone.js", docs);
writeFileSync(
  redoc,
  readFileSync(redoc, "utf8").replaceAll("https://cdn.redoc.ly/redoc/logo-mini.svg", "data:image/svg+xml,%3Csvg%20xmlns='http://www.w3.org/2000/svg'/%3E"),
);
console.log("copied Swagger UI and ReDoc into static/api-docs");
