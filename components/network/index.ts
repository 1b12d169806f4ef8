// The network component and what a user of it needs.
export * from "./flowLogs";
export * from "./network";
