"use strict";
// @pulumi/pulumi's typescript-shim, loaded on first use (see lazy.js).
const path = require("path");
module.exports = require("./lazy")(() => require(path.join(__dirname, "..", "..", "..", "node_modules", "typescript")));
