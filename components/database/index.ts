// Database: RDS for MySQL, a primary and its read replicas, credentials in Secrets Manager.
export * from "./args";
export * from "./database";
export * from "./instanceClasses";
export * from "./mysql";
export * from "./placement";
export * from "./settings";
