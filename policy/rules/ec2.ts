import * as aws from "@pulumi/aws";
import { ReportViolation, ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { isTrue } from "../helpers";

// ---------------------------------------------------------------------------------------------
// EC2: launch templates and instances (and standalone EBS volumes).
// ---------------------------------------------------------------------------------------------

/**
 * IMDSv2 (session tokens) blocks SSRF-style credential theft through the instance metadata service.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html
 */
export const ec2Imdsv2: ResourceValidationPolicy = {
    name: "ec2-imdsv2-required",
    description: 'Launch templates and instances require IMDSv2 (metadataOptions.httpTokens: "required").',
    enforcementLevel: "mandatory",
    validateResource: [
        validateResourceOfType(aws.ec2.LaunchTemplate, (lt, _args, report) =>
            checkHttpTokens(lt.metadataOptions, report),
        ),
        validateResourceOfType(aws.ec2.Instance, (instance, _args, report) => {
            if (!instance.metadataOptions && instance.launchTemplate) {
                return; // takes its metadata options from the launch template, checked on its own
            }
            checkHttpTokens(instance.metadataOptions, report);
        }),
    ],
};

export function checkHttpTokens(options: { httpTokens?: string } | undefined, report: ReportViolation): void {
    if (options?.httpTokens !== "required") {
        report(
            `metadataOptions.httpTokens is ${JSON.stringify(options?.httpTokens)}; set it to "required" (IMDSv2 only).`,
        );
    }
}

/**
 * Every EBS volume is encrypted, the root volume included: a launch template with no EBS mapping
 * boots the AMI's snapshot as it is (unencrypted unless the account encrypts by default).
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html
 */
export const ec2EbsEncrypted: ResourceValidationPolicy = {
    name: "ec2-ebs-encrypted",
    description:
        "Launch template EBS mappings, instance root/EBS block devices and EBS volumes are encrypted; a launch template maps an encrypted root volume.",
    enforcementLevel: "mandatory",
    validateResource: [
        validateResourceOfType(aws.ec2.LaunchTemplate, (lt, _args, report) => {
            const mappings = lt.blockDeviceMappings ?? [];
            mappings.forEach((mapping, i) => {
                // In pulumi-aws the launch template's `ebs.encrypted` is a string ("true"/"false").
                if (mapping.ebs && !isTrue(mapping.ebs.encrypted)) {
                    report(
                        `blockDeviceMappings[${i}].ebs.encrypted is ${JSON.stringify(mapping.ebs.encrypted)} (device ${mapping.deviceName ?? "?"}); set it to "true".`,
                    );
                }
            });
            if (!mappings.some((m) => m.ebs)) {
                report(
                    `blockDeviceMappings has no EBS mapping, so the root volume keeps the AMI's (unencrypted) settings; map the root device with ebs.encrypted "true".`,
                );
            }
        }),
        validateResourceOfType(aws.ec2.Instance, (instance, _args, report) => {
            if (
                instance.rootBlockDevice?.encrypted !== true &&
                !(instance.launchTemplate && !instance.rootBlockDevice)
            ) {
                report(
                    `rootBlockDevice.encrypted is ${JSON.stringify(instance.rootBlockDevice?.encrypted)}; set it to true.`,
                );
            }
            (instance.ebsBlockDevices ?? []).forEach((device, i) => {
                if (device.encrypted !== true) {
                    report(
                        `ebsBlockDevices[${i}].encrypted is ${JSON.stringify(device.encrypted)} (device ${device.deviceName}); set it to true.`,
                    );
                }
            });
        }),
        validateResourceOfType(aws.ebs.Volume, (volume, _args, report) => {
            if (volume.encrypted !== true) {
                report(`encrypted is ${JSON.stringify(volume.encrypted)}; set it to true.`);
            }
        }),
    ],
};

/** No key pair: there is no SSH; operators use SSM Session Manager. */
export const ec2NoKeyPair: ResourceValidationPolicy = {
    name: "ec2-no-key-pair",
    description: "Launch templates and instances set no keyName (no SSH key pair; use SSM Session Manager).",
    enforcementLevel: "mandatory",
    validateResource: [
        validateResourceOfType(aws.ec2.LaunchTemplate, (lt, _args, report) => checkNoKeyName(lt.keyName, report)),
        validateResourceOfType(aws.ec2.Instance, (instance, _args, report) => checkNoKeyName(instance.keyName, report)),
    ],
};

export function checkNoKeyName(keyName: string | undefined, report: ReportViolation): void {
    if (keyName) {
        report(`keyName is "${keyName}"; servers get no SSH key pair (use SSM Session Manager).`);
    }
}

/**
 * Servers live in private subnets behind the ALB: a public IP would bypass it.
 * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-ip-addressing.html
 */
export const ec2NoPublicIp: ResourceValidationPolicy = {
    name: "ec2-no-public-ip",
    description:
        "Launch templates and instances do not associate a public IP address (servers sit in private subnets).",
    enforcementLevel: "mandatory",
    validateResource: [
        validateResourceOfType(aws.ec2.LaunchTemplate, (lt, _args, report) => {
            (lt.networkInterfaces ?? []).forEach((nic, i) => {
                if (isTrue(nic.associatePublicIpAddress)) {
                    report(
                        `networkInterfaces[${i}].associatePublicIpAddress is ${JSON.stringify(nic.associatePublicIpAddress)}; servers get no public IP.`,
                    );
                }
            });
        }),
        validateResourceOfType(aws.ec2.Instance, (instance, _args, report) => {
            if (instance.associatePublicIpAddress === true) {
                report(`associatePublicIpAddress is true; servers get no public IP.`);
            }
        }),
    ],
};
