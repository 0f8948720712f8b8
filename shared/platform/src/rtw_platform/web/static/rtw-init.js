// Starts govuk-frontend's components (a file of its own: the pages allow no inline script).
import { initAll } from "./govuk-frontend.min.js";

initAll();
