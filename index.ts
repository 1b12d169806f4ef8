import * as pulumi from "@pulumi/pulumi";
import { readStackConfig, WebStack } from "./components";

/**
 * The ha-webstack stack: reads the `ha-webstack:*` config of the selected stack, builds one
 * WebStack and exports its outputs. Written as an entry-point function (which Pulumi calls and
 * whose result becomes the stack outputs) so that the offline plan and the tests can evaluate the
 * same program under every stack config in one process.
 */
export = () => {
    const web = new WebStack(pulumi.getStack(), readStackConfig());
    return {
        url: web.url,
        mode: web.mode,
        albDnsName: web.loadBalancer.dnsName,
        vpcId: web.network.vpcId,
        availabilityZones: web.network.availabilityZones,
        activeTargetGroupArn: web.loadBalancer.activeTargetGroup.arn,
        failoverTargetGroupArn: web.loadBalancer.failoverTargetGroup?.arn,
        httpsListenerArn: web.loadBalancer.httpsListener.arn,
        certificateArn: web.loadBalancer.certificateArn,
        selfSignedCertificate: web.loadBalancer.selfSignedCertificate,
        autoScalingGroupNames: web.pools.map((p) => p.autoScalingGroup.name),
        dbWriterEndpoint: web.database.writerEndpoint,
        dbReaderEndpoints: web.database.readerEndpoints,
        dbSecretArn: web.database.secretArn,
        alertTopicArn: web.monitoring.topicArn,
        dashboardUrl: web.monitoring.dashboardUrl,
        failoverControllerFunction: web.failoverController?.function.name,
        failoverTimeSeconds: web.failoverController?.failoverTimeSeconds,
        failoverCallSeconds: web.failoverController?.failoverCallSeconds,
    };
};
