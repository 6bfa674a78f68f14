// Preloaded into the Agents Playground (`node --require`): every server it opens listens on 127.0.0.1
// only. The Playground itself listens on all interfaces; tests and `make run` must not.
"use strict";
const net = require("net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (first !== null && typeof first === "object" && !Array.isArray(first)) {
    if (first.path === undefined && !first.host) args[0] = { ...first, host: "127.0.0.1" };
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first)) || first === undefined) {
    if (args.length < 2 || args[1] === undefined || args[1] === null) args[1] = "127.0.0.1";
    else if (typeof args[1] !== "string") args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
