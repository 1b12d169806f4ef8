"use strict";
// @npmcli/arborist, loaded on first use (see lazy.js).
const path = require("path");
module.exports = require("./lazy")(() =>
    require(path.join(__dirname, "..", "..", "..", "node_modules", "@npmcli", "arborist")),
);
