// The monitoring component and what a user of it needs.
export * from "./monitoring";
