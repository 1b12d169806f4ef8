/**
 * ha-webstack as a library: the whole stack from one component, WebStack, in active-active mode
 * (one target group, one pool across every AZ: no failover controller), with three MySQL read
 * replicas and this program's own user data instead of the sample app.
 *
 *     npm pack                      # at the repository root: builds and packs ha-webstack-<version>.tgz
 *     cd examples/active-active && npm install && pulumi stack init dev && pulumi up
 */
import * as fs from "fs";
import * as path from "path";
import { WebStack } from "ha-webstack";

const web = new WebStack("shop", {
    mode: "active-active",
    azCount: 3,
    natGateways: "perAz",
    serversPerPool: 3,
    replicaCount: 3,
    // A real file, so that it can be linted and run on its own; plain text, WebStack encodes it.
    userData: fs.readFileSync(path.join(__dirname, "user-data.sh"), "utf8"),
    tags: { Team: "shop" },
});

export const url = web.url;
export const dbWriterEndpoint = web.database.writerEndpoint;
export const dbReaderEndpoints = web.database.readerEndpoints;
export const autoScalingGroupName = web.pools[0].autoScalingGroup.name;
