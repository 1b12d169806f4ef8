// The failoverController component and what a user of it needs.
export * from "./failoverController";
