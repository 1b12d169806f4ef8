import * as aws from "@pulumi/aws";
import {
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    validateResourceOfType,
} from "@pulumi/policy";
import {
    validateResourcesOfTypes,
    getPulumiType,
    PolicyStatement,
    parsePolicyDocument,
    isFullWildcardAction,
    actionMatches,
} from "../helpers";

// ---------------------------------------------------------------------------------------------
// IAM: least privilege.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
// ---------------------------------------------------------------------------------------------

/** Where each IAM resource type keeps its policy documents. */
export function policyDocumentsOf(args: ResourceValidationArgs): Array<{ property: string; document: unknown }> {
    if (args.type === getPulumiType(aws.iam.Role)) {
        const inline: ReadonlyArray<{ policy?: unknown }> = args.props.inlinePolicies ?? [];
        return inline.map((p, i) => ({ property: `inlinePolicies[${i}].policy`, document: p.policy }));
    }
    return [{ property: "policy", document: args.props.policy }];
}

export const IAM_DOCUMENT_TYPES = [
    aws.iam.Policy,
    aws.iam.RolePolicy,
    aws.iam.UserPolicy,
    aws.iam.GroupPolicy,
    aws.iam.Role,
];

/** Runs `check` on every Allow statement of every policy document of the IAM resource. */
export function validateAllowStatements(
    check: (statement: PolicyStatement, where: string, report: ReportViolation) => void,
): ResourceValidation[] {
    return validateResourcesOfTypes(IAM_DOCUMENT_TYPES, (_props, args, report) => {
        for (const { property, document } of policyDocumentsOf(args)) {
            const parsed = parsePolicyDocument(document);
            if ("error" in parsed) {
                report(`${property} cannot be checked: ${parsed.error}.`);
                continue;
            }
            parsed.statements.forEach((statement, i) => {
                if (statement.effect === "Allow") {
                    check(
                        statement,
                        `${property} Statement[${i}]${statement.sid ? ` (Sid "${statement.sid}")` : ""}`,
                        report,
                    );
                }
            });
        }
    });
}

export const iamNoAdminStatements: ResourceValidationPolicy = {
    name: "iam-no-admin-statements",
    description: 'No IAM policy statement allows Action "*" (or "*:*") on Resource "*".',
    enforcementLevel: "mandatory",
    validateResource: validateAllowStatements((statement, where, report) => {
        const admin = statement.actions.filter(isFullWildcardAction);
        if (admin.length > 0 && statement.resources.indexOf("*") >= 0) {
            report(
                `${where} allows Action ${JSON.stringify(admin[0])} on Resource "*" (full administrator rights); name the actions and resources.`,
            );
        }
    }),
};

/**
 * `iam:PassRole` on "*" lets the holder hand any role (an admin one included) to a service it
 * controls. https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
 */
export const iamNoPassRoleOnAll: ResourceValidationPolicy = {
    name: "iam-no-passrole-on-any-role",
    description:
        'No IAM policy statement allows iam:PassRole (directly or through a wildcard such as iam:*) on Resource "*".',
    enforcementLevel: "mandatory",
    validateResource: validateAllowStatements((statement, where, report) => {
        const passRole = statement.actions.filter((a) => !isFullWildcardAction(a) && actionMatches(a, "iam:PassRole"));
        if (passRole.length > 0 && statement.resources.indexOf("*") >= 0) {
            report(
                `${where} allows Action ${JSON.stringify(passRole[0])} (iam:PassRole) on Resource "*"; name the roles that may be passed.`,
            );
        }
    }),
};

/** AWS managed policies that grant (or can grant themselves) far more than any tier needs. */
export const FORBIDDEN_MANAGED_POLICY_ARNS: ReadonlyArray<string> = [
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/IAMFullAccess",
];

/**
 * The instance profile gets SSM, CloudWatch agent and read access to one secret only; a broad AWS
 * managed policy would undo that. Checks attachments and `aws.iam.Role.managedPolicyArns`.
 */
export const iamNoBroadManagedPolicies: ResourceValidationPolicy = {
    name: "iam-no-admin-managed-policies",
    description: "No role, user or group is attached AdministratorAccess, PowerUserAccess or IAMFullAccess.",
    enforcementLevel: "mandatory",
    validateResource: [
        ...validateResourcesOfTypes(
            [
                aws.iam.RolePolicyAttachment,
                aws.iam.UserPolicyAttachment,
                aws.iam.GroupPolicyAttachment,
                aws.iam.PolicyAttachment,
            ],
            (attachment, _args, report) => checkManagedPolicyArns("policyArn", [attachment.policyArn], report),
        ),
        validateResourceOfType(aws.iam.Role, (role, _args, report) =>
            checkManagedPolicyArns("managedPolicyArns", role.managedPolicyArns ?? [], report),
        ),
    ],
};

export function checkManagedPolicyArns(property: string, arns: ReadonlyArray<unknown>, report: ReportViolation): void {
    for (const arn of arns) {
        if (
            typeof arn === "string" &&
            FORBIDDEN_MANAGED_POLICY_ARNS.some((f) => arn.replace(/^arn:aws-[a-z-]+:/, "arn:aws:") === f)
        ) {
            report(`${property} attaches "${arn}"; grant the tier only the actions it needs.`);
        }
    }
}
