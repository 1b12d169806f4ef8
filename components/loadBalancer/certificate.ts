import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { named, Tags } from "../shared/tags";
import { acmCertificateArn, checkInput, invalid, ValidationError } from "../shared/validation";

/**
 * Where the HTTPS listener's certificate comes from:
 * - `existing`: an ACM certificate ARN given by the user;
 * - `domain`: a certificate requested from ACM for `domainName`, validated through DNS records in
 *   the Route 53 hosted zone `hostedZoneId`, plus an alias record for the domain to the ALB;
 * - `self-signed`: neither given: a generated self-signed certificate imported into ACM, so that
 *   a dev stack still serves TLS only (browsers warn, and no HSTS is sent).
 */
export const CertificateMode = {
    /** An existing ACM certificate (`certificateArn`). */
    Existing: "existing",
    /** A DNS-validated ACM certificate for `domainName`, and an alias record. */
    Domain: "domain",
    /** A generated self-signed certificate imported into ACM. */
    SelfSigned: "self-signed",
} as const;
export type CertificateMode = (typeof CertificateMode)[keyof typeof CertificateMode];

/** The arguments that choose the certificate (a subset of `LoadBalancerArgs`, and of the stack config). */
export interface CertificateSource {
    /** An existing ACM certificate. @default unset */
    certificateArn?: pulumi.Input<string>;
    /** A domain to request a DNS-validated certificate for (needs `hostedZoneId`). @default unset */
    domainName?: pulumi.Input<string>;
    /** The Route 53 hosted zone of `domainName`. @default unset */
    hostedZoneId?: pulumi.Input<string>;
}

/** The checked {@link CertificateSource}: the mode and the values it uses (each validated). */
export interface CertificateSettings {
    mode: CertificateMode;
    certificateArn?: pulumi.Input<string>;
    domainName?: pulumi.Input<string>;
    hostedZoneId?: pulumi.Input<string>;
}

/**
 * ACM puts the certificate's (first) domain name in the subject's common name, which X.509 caps at
 * 64 characters; names up to 253 characters can only be subject alternative names.
 * https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html
 */
export const MAX_CERTIFICATE_DOMAIN_LENGTH = 64;

/** A DNS label: 1-63 lowercase letters, digits and hyphens, no hyphen first or last. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A fully qualified DNS name such as `shop.example.com`: at least two dot-separated labels of
 * lowercase letters, digits and hyphens (1-63 characters, no hyphen first or last), at most 253
 * characters, no trailing dot, a top-level label that is not all digits (not an IP address).
 */
export function dnsName(key: string, value: unknown): string {
    const expected =
        "a DNS name such as shop.example.com: dot-separated labels of 1 to 63 lowercase letters, digits and hyphens " +
        "(no hyphen first or last), at most 253 characters, no trailing dot";
    if (typeof value !== "string" || value.length > 253) {
        throw invalid(key, value, expected);
    }
    const labels = value.split(".");
    if (
        labels.length < 2 ||
        !labels.every((label) => DNS_LABEL.test(label)) ||
        /^\d+$/.test(labels[labels.length - 1])
    ) {
        throw invalid(key, value, expected);
    }
    return value;
}

/** A domain to request an ACM certificate for: a {@link dnsName} of at most 64 characters. */
export function certificateDomainName(key: string, value: unknown): string {
    const name = dnsName(key, value);
    if (name.length > MAX_CERTIFICATE_DOMAIN_LENGTH) {
        throw invalid(
            key,
            value,
            `at most ${MAX_CERTIFICATE_DOMAIN_LENGTH} characters: ACM puts the domain in the certificate's common name, which is capped at ${MAX_CERTIFICATE_DOMAIN_LENGTH}`,
        );
    }
    return name;
}

/** A Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (the id, not `/hostedzone/<id>`). */
export function hostedZoneId(key: string, value: unknown): string {
    if (typeof value !== "string" || !/^Z[0-9A-Z]{1,31}$/.test(value)) {
        throw invalid(
            key,
            value,
            "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (Z, then uppercase letters and digits)",
        );
    }
    return value;
}

/**
 * Checks the certificate arguments alone and together, and picks the mode. `keyOf` names each
 * argument in messages: `(k) => \`LoadBalancer args.${k}\`` for the component,
 * `(k) => \`ha-webstack:${k}\`` for the stack config.
 */
export function certificateSettings(
    source: CertificateSource,
    keyOf: (field: keyof CertificateSource) => string,
): CertificateSettings {
    const { certificateArn, domainName, hostedZoneId: zoneId } = source;
    if (certificateArn !== undefined && domainName !== undefined) {
        throw new ValidationError(
            `${keyOf("certificateArn")} and ${keyOf("domainName")} are both set: set only one of them ` +
                `(an existing ACM certificate, or a domain to request a DNS-validated certificate for)`,
        );
    }
    if (domainName !== undefined && zoneId === undefined) {
        throw new ValidationError(
            `${keyOf("domainName")} is set but ${keyOf("hostedZoneId")} is not: a DNS-validated certificate needs the domain's ` +
                `Route 53 hosted zone (for the validation records and the alias record to the load balancer)`,
        );
    }
    if (zoneId !== undefined && domainName === undefined) {
        throw new ValidationError(
            `${keyOf("hostedZoneId")} is set but ${keyOf("domainName")} is not: set the domain to request a certificate for and to point at the load balancer`,
        );
    }
    if (certificateArn !== undefined) {
        return {
            mode: "existing",
            certificateArn: checkInput(certificateArn, (arn) => acmCertificateArn(keyOf("certificateArn"), arn)),
        };
    }
    if (domainName !== undefined) {
        return {
            mode: "domain",
            domainName: checkInput(domainName, (d) => certificateDomainName(keyOf("domainName"), d)),
            hostedZoneId: checkInput(zoneId!, (z) => hostedZoneId(keyOf("hostedZoneId"), z)),
        };
    }
    return { mode: "self-signed" };
}

/** The certificate of the HTTPS listener and what was created for it. */
export interface ListenerCertificate {
    mode: CertificateMode;
    /** The ARN the listener uses: in `domain` mode, the validated certificate's (so the listener waits for validation). */
    arn: pulumi.Output<string>;
    /** True for the generated self-signed certificate (browsers do not trust it: no HSTS). */
    selfSigned: boolean;
    /** The domain the stack answers on (`domain` mode). */
    domainName?: pulumi.Output<string>;
    /** The requested (`domain`) or imported (`self-signed`) ACM certificate. */
    certificate?: aws.acm.Certificate;
    validation?: aws.acm.CertificateValidation;
    validationRecords: aws.route53.Record[];
    /** Alias records for the domain to the load balancer: A, and AAAA when it is dual-stack. */
    aliasRecords: aws.route53.Record[];
}

/** What the certificate needs to know of the load balancer: its DNS name, alias zone and IP address type. */
export interface CertificateTarget {
    /** The ALB's DNS name: the alias target, and the self-signed certificate's subject alternative name. */
    dnsName: pulumi.Input<string>;
    /** The ALB's canonical hosted zone (for alias records). */
    zoneId: pulumi.Input<string>;
    /** `dualstack` adds an AAAA alias record to the A record. */
    ipAddressType: "ipv4" | "dualstack";
}

/**
 * Creates (or adopts) the listener's certificate per `settings.mode`, as children of `parent`.
 * https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html
 */
export function createListenerCertificate(
    name: string,
    settings: CertificateSettings,
    target: CertificateTarget,
    parent: pulumi.Resource,
    tags?: Tags,
): ListenerCertificate {
    if (settings.mode === "existing") {
        return {
            mode: "existing",
            arn: pulumi.output(settings.certificateArn!),
            selfSigned: false,
            validationRecords: [],
            aliasRecords: [],
        };
    }
    if (settings.mode === "self-signed") {
        return createSelfSignedCertificate(name, target, parent, tags);
    }
    const domainName = pulumi.output(settings.domainName!);
    const zoneId = settings.hostedZoneId!;
    const certificate = new aws.acm.Certificate(
        `${name}-cert`,
        { domainName, validationMethod: "DNS", keyAlgorithm: "RSA_2048", tags: named(tags, domainName) },
        // A domain change requests the new certificate before the listener lets go of the old one.
        { parent },
    );
    // One CNAME per domain of the certificate (here: the one domain). allowOverwrite: ACM gives every
    // certificate for a domain the same record, so a record left by an earlier certificate is reused.
    const option = pulumi.all([certificate.domainValidationOptions, domainName]).apply(([options, domain]) => {
        const found = options.find((o) => o.domainName === domain);
        if (!found) {
            throw new Error(`ACM returned no DNS validation record for ${domain}`);
        }
        return found;
    });
    const validationRecord = new aws.route53.Record(
        `${name}-cert-dns`,
        {
            zoneId,
            name: option.resourceRecordName,
            type: option.resourceRecordType,
            records: [option.resourceRecordValue],
            ttl: 60,
            allowOverwrite: true,
        },
        { parent },
    );
    const validation = new aws.acm.CertificateValidation(
        `${name}-cert-validation`,
        { certificateArn: certificate.arn, validationRecordFqdns: [validationRecord.fqdn] },
        { parent },
    );
    // The domain points at the ALB: an alias record (free, follows the ALB's changing IPs).
    const aliasTypes = target.ipAddressType === "dualstack" ? (["A", "AAAA"] as const) : (["A"] as const);
    const aliasRecords = aliasTypes.map(
        (type) =>
            new aws.route53.Record(
                `${name}-alias-${type.toLowerCase()}`,
                {
                    zoneId,
                    name: domainName,
                    type,
                    aliases: [{ name: target.dnsName, zoneId: target.zoneId, evaluateTargetHealth: true }],
                },
                { parent },
            ),
    );
    return {
        mode: "domain",
        arn: validation.certificateArn,
        selfSigned: false,
        domainName,
        certificate,
        validation,
        validationRecords: [validationRecord],
        aliasRecords,
    };
}

/** A self-signed certificate for the ALB's own DNS name, imported into ACM. */
function createSelfSignedCertificate(
    name: string,
    target: CertificateTarget,
    parent: pulumi.Resource,
    tags?: Tags,
): ListenerCertificate {
    const key = new tls.PrivateKey(`${name}-tls-key`, { algorithm: "RSA", rsaBits: 2048 }, { parent });
    const cert = new tls.SelfSignedCert(
        `${name}-tls-cert`,
        {
            privateKeyPem: key.privateKeyPem,
            // The CN is capped at 64 characters, shorter than many ALB DNS names: the name goes in the SAN.
            subject: { commonName: "ha-webstack self-signed", organization: "ha-webstack" },
            dnsNames: [target.dnsName],
            validityPeriodHours: 24 * 365,
            earlyRenewalHours: 24 * 30,
            allowedUses: ["key_encipherment", "digital_signature", "server_auth"],
        },
        { parent },
    );
    const imported = new aws.acm.Certificate(
        `${name}-cert`,
        { privateKey: key.privateKeyPem, certificateBody: cert.certPem, tags: named(tags, `${name}-self-signed`) },
        { parent },
    );
    return {
        mode: "self-signed",
        arn: imported.arn,
        selfSigned: true,
        certificate: imported,
        validationRecords: [],
        aliasRecords: [],
    };
}
