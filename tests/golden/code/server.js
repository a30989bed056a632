// An Express-style server: what the code check finds in JavaScript.
const express = require("express");
const { JS_DESTRUCTURED, JS_WITH_DEFAULT = "x", JS_RENAMED: renamed } = process.env;
const app = express();
const secret = process.env.JS_SESSION_SECRET;
const url = process.env["JS_BRACKET"];
const port = process.env.PORT || 3000;
process.env.JS_WRITTEN = "1";
const dynamic = process.env[`JS_${secret}`];
// process.env.JS_IN_A_COMMENT
app.listen(port, () => console.log(url, renamed, JS_DESTRUCTURED, JS_WITH_DEFAULT, dynamic));
