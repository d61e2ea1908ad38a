// Turn on the NHS.UK frontend's JavaScript enhancements. Every page works without it.
import { initAll } from "../../wagtailnhsukfrontend/js/nhsuk-frontend-10.4.2.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
